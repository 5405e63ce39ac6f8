package replies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"outreach/message"
)

// calendarDefectLines is calendarDefect as it was first written, all the
// lines split and unfolded before any is read: what calendarDefect must
// still say of any calendar.
func calendarDefectLines(data []byte) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if len(lines) > 0 && len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	inEvent := 0
	var seen map[string]bool
	for _, l := range lines {
		nameParams, _, _ := cutUnquoted(l, ':')
		name, params, _ := strings.Cut(nameParams, ";")
		name = strings.ToUpper(strings.TrimSpace(name))
		value := strings.ToUpper(strings.TrimSpace(l[min(len(nameParams)+1, len(l)):]))
		switch {
		case name == "BEGIN" && value == "VEVENT":
			inEvent++
			seen = map[string]bool{}
			continue
		case name == "END" && value == "VEVENT":
			inEvent--
			continue
		case name == "BEGIN" || name == "END":
			continue
		}
		if inEvent != 1 {
			continue
		}
		if onceOnly[name] {
			if seen[name] {
				return "the calendar gives " + name + " twice in one event"
			}
			seen[name] = true
		}
		if name == "ATTENDEE" && params != "" {
			ps := map[string]bool{}
			for rest := params; rest != ""; {
				var p string
				p, rest, _ = cutUnquoted(rest, ';')
				k, _, _ := strings.Cut(p, "=")
				k = strings.ToUpper(strings.TrimSpace(k))
				if ps[k] {
					return "an ATTENDEE of the calendar gives " + shorten(k, 40) + " twice"
				}
				ps[k] = true
			}
		}
	}
	return ""
}

func defectSamples(t testing.TB) [][]byte {
	samples := []string{
		"", "\n", "\r\n", "BEGIN:VEVENT\r\nUID:a\r\nUID:b\r\nEND:VEVENT\r\n",
		"BEGIN:VEVENT\nUID:a\n UID:b\nEND:VEVENT", "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n",
		"begin:vevent\r\nuid:a\r\nUid:b\r\nend:vevent", "BEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED;partstat=DECLINED:mailto:a@b\r\nEND:VEVENT",
		"BEGIN:VEVENT\r\nATTENDEE;CN=\"a;PARTSTAT=x\";PARTSTAT=ACCEPTED:mailto:a@b\r\nEND:VEVENT",
		"BEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACC\r\n EPTED;PART\r\n\tSTAT=DECLINED:mailto:a@b\r\nEND:VEVENT",
		"BEGIN:VEVENT\r\r\nUID:a\r\r\nUID:b\rEND:VEVENT\r\n", " UID:a\r\nBEGIN:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nUID:a\r\nEND:VEVENT",
		"BEGIN : VEVENT \r\nDTSTART:1\r\nDTSTART;TZID=x:2\r\nEND:VEVENT", "END:VEVENT\r\nBEGIN:VEVENT\r\nSTATUS:a\r\nSTATUS:b\r\n",
		"BEGIN:VEVENT\r\nBEGIN:VALARM\r\nUID:a\r\nEND:VALARM\r\nUID:b\r\nEND:VEVENT\r\n\r\n \r\n",
	}
	var out [][]byte
	for _, s := range samples {
		out = append(out, []byte(s))
	}
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var w message.Walker
		message.Walk(w.ParseMessage(raw, 0, 0), func(n *message.Part) {
			if isCalendarPart(n) {
				out = append(out, calendarData(n))
			}
		})
	}
	return out
}

// calendarDefect, reading the lines as they are unfolded, says what
// calendarDefectLines says, of the corpus's calendars and of defects
// written by hand.
func TestCalendarDefectReadsLineByLine(t *testing.T) {
	samples := defectSamples(t)
	calendars, defects := 0, 0
	for _, data := range samples {
		want := calendarDefectLines(data)
		if got := calendarDefect(data); got != want {
			t.Errorf("calendarDefect(%q) = %q, want %q", data, got, want)
		}
		if strings.Contains(string(data), "VCALENDAR") {
			calendars++
		}
		if want != "" {
			defects++
		}
	}
	if calendars < 50 || defects < 5 {
		t.Errorf("%d calendars read, %d defects: the corpus is not being read", calendars, defects)
	}
}

func FuzzCalendarDefect(f *testing.F) {
	for _, data := range defectSamples(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := calendarDefect(data), calendarDefectLines(data); got != want {
			t.Errorf("calendarDefect(%q) = %q, want %q", data, got, want)
		}
	})
}
