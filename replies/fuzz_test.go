package replies

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzMIMEWalk: the MIME walk stays within its limits, every body it
// returns lies inside the input, and every text part decodes to valid
// UTF-8 within its limit.
func FuzzMIMEWalk(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var w walker
		root := w.parseMessage(raw, 0, 0)
		if root == nil {
			t.Fatal("nil root")
		}
		if w.parts > maxParts {
			t.Fatalf("%d parts, limit %d", w.parts, maxParts)
		}
		if d := treeDepth(root); d > maxDepth+1 {
			t.Fatalf("depth %d, limit %d", d, maxDepth)
		}
		nodes := 0
		walk(root, func(n *node) {
			nodes++
			if n.mediaType == "" {
				t.Errorf("node without a media type")
			}
			if n.embedded == 0 && len(n.body) > 0 && !within(n.body, raw) {
				t.Errorf("a body of %d bytes outside the input", len(n.body))
			}
			if n.isMultipart() || n.inner != nil {
				return
			}
			const limit = 4 << 10
			if d := decodeCTE(n.hdr.get("content-transfer-encoding"), n.body, limit); len(d) > limit {
				t.Errorf("decoded %d bytes, limit %d", len(d), limit)
			}
			if s := n.text(limit); !utf8.ValidString(s) {
				t.Errorf("text of a %s part is not UTF-8: %q", n.mediaType, s)
			}
			if n.mediaType == "text/html" {
				if s := htmlToText(n.text(limit)); !utf8.ValidString(s) {
					t.Errorf("HTML text is not UTF-8: %q", s)
				}
			}
		})
		if nodes > maxParts+1 {
			t.Fatalf("walk visited %d nodes, limit %d", nodes, maxParts)
		}
		for _, h := range []header{root.hdr} {
			if len(h) > maxFields {
				t.Fatalf("%d header fields, limit %d", len(h), maxFields)
			}
			for _, fl := range h {
				if len(fl.value) > maxField+1 {
					t.Fatalf("a header field of %d bytes, limit %d", len(fl.value), maxField)
				}
			}
		}
	})
}

// within reports whether b is a sub-slice of s (shares its memory).
func within(b, s []byte) bool {
	off := cap(s) - cap(b)
	if len(b) == 0 || off < 0 || off+len(b) > len(s) {
		return false
	}
	return &s[off] == &b[0]
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
		var w walker
		m := &msg{}
		f.Add(m.bodyText(w.parseMessage(b, 0, 0)))
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
