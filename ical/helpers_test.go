package ical

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load time zone %s: %v", name, err)
	}
	return loc
}

// organizer is the mailbox the daemon reads.
var organizer = Address{Name: "UPR Info, Pre-sessions", Email: "rsvp@invites.example.org"}

// demoSession is one pre-session of the 28th UPR round (10–13 October 2017,
// Palais des Nations, Europe/Zurich) for one mission.
func demoSession(t testing.TB, code, sur string, day, hour int, mission Attendee) Event {
	zrh := loadZone(t, "Europe/Zurich")
	start := time.Date(2017, time.October, day, hour, 0, 0, 0, zrh)
	mcode := strings.SplitN(strings.SplitN(mission.Email, "@", 2)[1], ".", 2)[0]
	return Event{
		UID:      "upr28-" + strings.ToLower(code) + "-" + mcode + "@invites.example.org",
		DTStamp:  time.Date(2017, time.September, 1, 8, 0, 0, 0, time.UTC),
		Start:    start,
		End:      start.Add(time.Hour),
		TZ:       zrh,
		Summary:  "UPR Pre-session on " + sur,
		Location: "Room XXIV, Palais des Nations, Geneva",
		Description: "Pre-session on " + sur + " ahead of the 28th UPR Working Group session.\n" +
			"CSO and NHRI panellists speak 5–7 minutes each; the State under Review may open with a 2-minute statement.\n" +
			"Please accept or decline this invitation; questions to rsvp@invites.example.org.",
		Organizer: organizer,
		Attendees: []Attendee{mission},
		URL:       "https://www.upr-info.org/en/upr-pre-sessions",
	}
}

// civ is a mission whose name has an apostrophe, a comma and a non-ASCII
// letter.
var civ = Attendee{Name: "Permanent Mission of Côte d'Ivoire, Geneva", Email: "mission.geneva@civ.example", RSVP: true}

// bolivia and lao have parentheses and an apostrophe.
var (
	bolivia = Attendee{Name: "Permanent Mission of Bolivia (Plurinational State of)", Email: "mission@bolivia.example", RSVP: true}
	lao     = Attendee{Name: "Permanent Mission of the Lao People's Democratic Republic", Email: "geneva@laomission.example", RSVP: true}
	korea   = Attendee{Name: "Korea, Republic of", Email: "geneva@korea-mission.example", RSVP: true}
)

// demoRequest is the invitation of Côte d'Ivoire's mission to the
// pre-session on Japan, Tuesday 10 October 2017, 10:00–11:00 in Geneva.
func demoRequest(t testing.TB) Event {
	return demoSession(t, "JPN", "Japan", 10, 10, civ)
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\r\n"), strings.Split(string(want), "\r\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test -update if the change is intended)", path, i+1, g, w)
		}
	}
	t.Fatalf("%s differs in line endings", path)
}

// lines splits CRLF output into its physical lines.
func physicalLines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

// unfolded returns the content lines of CRLF output.
func unfolded(t testing.TB, b []byte) []string {
	t.Helper()
	ls, _, err := unfold(b)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// refold writes content lines back as a folded object.
func refold(ls []string) []byte {
	var e encoder
	for _, l := range ls {
		writeFolded(&e.buf, l)
	}
	return e.buf.Bytes()
}
