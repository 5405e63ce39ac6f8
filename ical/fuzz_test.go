package ical

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// seedFromTestdata adds every .ics under testdata to the corpus.
func seedFromTestdata(f *testing.F) {
	for _, pattern := range []string{"testdata/*.ics", "testdata/replies/*.ics"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("BEGIN:VEVENT\nUID:u\nATTENDEE;CN=\"a\":mailto:b\nEND:VEVENT\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\n\tX;A=\"\r\n :\r\nEND:VCALENDAR"))
}

// FuzzParseReplies: neither ParseReplies nor Validate may panic, and what
// ParseReplies returns must be consistent.
func FuzzParseReplies(f *testing.F) {
	seedFromTestdata(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseReplies(data)
		if err == nil {
			if len(rs) == 0 {
				t.Fatal("no error and no reply")
			}
			for _, r := range rs {
				if r.UID == "" {
					t.Fatal("reply without UID")
				}
				if r.Attendees == 0 && (r.Attendee != "" || r.PartStat != "") {
					t.Fatalf("attendee data without ATTENDEE: %+v", r)
				}
				if r.Sequence < 0 || r.Guests < 0 {
					t.Fatalf("negative count: %+v", r)
				}
				if r.PartStat != strings.ToUpper(r.PartStat) || r.Attendee != strings.ToLower(r.Attendee) {
					t.Fatalf("case not normalised: %+v", r)
				}
			}
		} else if !strings.HasPrefix(err.Error(), "ical: parse replies") {
			t.Fatalf("error without prefix: %v", err)
		}
		_ = Validate(data)
	})
}

// normalized is what a reader must get back from a string we wrote: invalid
// UTF-8 replaced, CRLF and CR turned into LF, other controls but HTAB
// dropped.
func normalized(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
		case r == '\n' || r == '\t' || (r >= 0x20 && r != 0x7f):
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// FuzzBuildRoundTrip: whatever the names and texts, a built REQUEST passes
// Validate and reads back with the same CN, SUMMARY and structure.
func FuzzBuildRoundTrip(f *testing.F) {
	f.Add("Permanent Mission of Côte d'Ivoire, Geneva", "UPR Pre-session on Japan", "Room XXIV, Palais des Nations", "a\nb", uint8(0))
	f.Add(`The "Holy See" ^n`, "x\r\nATTENDEE:mailto:e@x", `C:\path;a,b`, "", uint8(3))
	f.Add("日本国政府代表部", "𝒰𝒫ℛ 🇨🇭", "\xff\xfe", "\x00\x01\x7f", uint8(255))
	zrh, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cn, summary, location, description string, seq uint8) {
		start := time.Date(2017, 10, 10, 10, 0, 0, 0, zrh)
		ev := Event{
			UID: "upr28-fuzz@invites.example.org", Sequence: int(seq),
			DTStamp: time.Date(2017, 9, 1, 8, 0, 0, 0, time.UTC),
			Start:   start, End: start.Add(time.Hour), TZ: zrh,
			Summary: summary, Location: location, Description: description,
			Organizer: Address{Name: cn, Email: "rsvp@invites.example.org"},
			Attendees: []Attendee{{Name: cn, Email: "mission@geneva.example", RSVP: true}},
		}
		b, err := Request(ev)
		if strings.TrimSpace(summary) == "" {
			if err == nil {
				t.Fatal("empty summary accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(b); err != nil {
			t.Fatalf("built object invalid: %v\n%s", err, b)
		}
		if want := whole(t, methodRequest, ev); !bytes.Equal(b, want) {
			t.Fatalf("built object differs from the one written whole:\n%q\n%q", b, want)
		}
		rs, err := ParseReplies(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 {
			t.Fatalf("%d VEVENTs", len(rs))
		}
		r := rs[0]
		if r.Attendees != 1 || r.UID != ev.UID || r.Sequence != int(seq) || r.Method != "REQUEST" {
			t.Fatalf("structure changed: %+v", r)
		}
		if want := strings.TrimSpace(normalized(cn)); r.AttendeeName != want {
			t.Fatalf("CN %q reads back as %q, want %q", cn, r.AttendeeName, want)
		}
		if want := normalized(summary); r.Summary != want {
			t.Fatalf("SUMMARY %q reads back as %q, want %q", summary, r.Summary, want)
		}
	})
}
