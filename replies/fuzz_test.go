package replies

import (
	"os"
	"outreach/message"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds are the corpus messages and a few broken shapes.
func fuzzSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus to seed from: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"From: a@b\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a--\r\n",
		"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n",
		"Content-Type: text/calendar; method=REPLY\r\nContent-Transfer-Encoding: base64\r\n\r\n====\r\n",
		"Content-Type: text/html\r\n\r\n<script><!--</script><p>We will attend all the pre-sessions</p>",
		"Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822;\r\nAction: failed\r\n--r--",
	} {
		f.Add([]byte(s))
	}
}

// FuzzClassify: whatever the bytes, Classify returns, keeps the promises
// of Result (checkInvariants) with the real round and with no directory,
// and says the same thing twice.
func FuzzClassify(f *testing.F) {
	fuzzSeeds(f)
	dir := testDirectory(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Classify(raw, dir)
		checkInvariants(t, r)
		if again := Classify(raw, dir); !reflect.DeepEqual(r, again) {
			t.Fatalf("two readings differ:\n%+v\n%+v", r, again)
		}
		checkInvariants(t, Classify(raw, nil))
	})
}

// FuzzDropInvitation: whatever the text, dropInvitation returns, and only
// removes whole lines, keeping the others in order.
func FuzzDropInvitation(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "quoted-*.eml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var w message.Walker
		m := &msg{}
		f.Add(m.bodyText(w.ParseMessage(b, 0, 0)))
	}
	f.Add("Merci, bien reçu.\n\n10:00–11:00 Room XXIV Argentina")
	f.Fuzz(func(t *testing.T, text string) {
		got := dropInvitation(text, testMailbox)
		if got == "" {
			return
		}
		in := strings.Split(text, "\n")
		k := 0
		for _, l := range strings.Split(got, "\n") {
			for k < len(in) && in[k] != l {
				k++
			}
			if k == len(in) {
				t.Fatalf("a line that is not the input's: %q", l)
			}
			k++
		}
	})
}
