package replies

import (
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// parseDate gives what mail.ParseDate gives, for the Date headers of the
// corpus and for the forms either way of its first layout.
func TestParseDateIsMailParseDate(t *testing.T) {
	dates := []string{
		"Mon, 4 Sep 2017 07:00:01 +0000", "Mon, 04 Sep 2017 07:00:01 +0200", "mon, 4 Sep 2017 07:00:01 -0530",
		"Tue, 4 Sep 2017 07:00:01 +0000", // the wrong day of the week
		"Mon, 4 Sep 2017 07:00:01 +0000 (UTC)", "Mon, 4 Sep 2017 07:00 +0000", "Mon, 4 Sep 17 07:00:01 +0000",
		" Mon, 4 Sep 2017 07:00:01 +0000", "Mon, 4 Sep 2017 07:00:01 +0000 ", "Mon, 4 Sep 2017\r\n 07:00:01 +0000",
		"Mon, 4 Sep 2017 07:00:01 GMT", "Mon, 4 Sep 2017 07:00:01 UT", "Mon, 4 Sep 2017 07:00:01 EDT",
		"4 Sep 2017 07:00:01 +0000", "Mon, 31 Feb 2017 07:00:01 +0000", "Mon, 4 Sep 2017 25:00:01 +0000",
		"Mon, 4 Sep 2017 07:00:01 +2500", "Mon, 4 Sep 2017 07:00:01 +00", "Mon,  4 Sep 2017 07:00:01 +0000",
		"Monday, 4 Sep 2017 07:00:01 +0000", "Mon, 4 September 2017 07:00:01 +0000", "2017-09-04T07:00:01Z", "",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := mail.ReadMessage(f); err == nil {
			dates = append(dates, m.Header.Get("Date"))
		}
		f.Close()
	}
	common := 0
	for _, d := range dates {
		want, wantErr := mail.ParseDate(d)
		got, err := parseDate(d)
		if (err == nil) != (wantErr == nil) || !got.Equal(want) || got.Location().String() != want.Location().String() || got.String() != want.String() {
			t.Errorf("parseDate(%q) = %v, %v; mail.ParseDate: %v, %v", d, got, err, want, wantErr)
		}
		if _, err := time.Parse(commonDate, d); err == nil {
			common++
		}
	}
	if common < len(dates)/2 {
		t.Errorf("only %d of %d dates in the common layout", common, len(dates))
	}
}

func FuzzParseDate(f *testing.F) {
	f.Add("Mon, 4 Sep 2017 07:00:01 +0000")
	f.Add("Mon, 4 Sep 2017 07:00:01 +0000 (UTC)")
	f.Fuzz(func(t *testing.T, d string) {
		want, wantErr := mail.ParseDate(d)
		got, err := parseDate(d)
		if (err == nil) != (wantErr == nil) || got.String() != want.String() {
			t.Errorf("parseDate(%q) = %v, %v; mail.ParseDate: %v, %v", d, got, err, want, wantErr)
		}
	})
}
