package admin

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"outreach/ical/icaltest"
	"outreach/internal/smtptest"
	"outreach/jobs"
)

// TestCalendarFeedServed: the staff feed a calendar subscribes to — the
// current agenda as METHOD:PUBLISH, one event per session, valid, with a
// moved session at its new time and a cancelled one marked so.
func TestCalendarFeedServed(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ss, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	moved := ss[2]
	start := moved.Start.Add(90 * time.Minute)
	if _, err := f.e.MoveSession(moved.SuR, jobs.Move{Start: &start}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.CancelSession(ss[3].SuR, "no room", "test"); err != nil {
		t.Fatal(err)
	}
	sock := serveSocket(t, Handler(f.e, Hooks{}))

	r := rawGet(t, sock, "/v1/calendar.ics")
	if r.code != 200 || !strings.HasPrefix(r.ctype, "text/calendar") {
		t.Fatalf("GET /v1/calendar.ics: %d %q", r.code, r.ctype)
	}
	if err := icaltest.Validate(r.body); err != nil {
		t.Errorf("the feed is not valid iCalendar: %v", err)
	}
	for _, want := range []string{"METHOD:PUBLISH\r\n", "STATUS:CANCELLED\r\n",
		"DTSTART;TZID=Europe/Zurich:" + start.In(mustZone(t, "Europe/Zurich")).Format("20060102T150405")} {
		if !bytes.Contains(r.body, []byte(want)) && !strings.Contains(string(r.body), strings.TrimSuffix(want, "\r\n")) {
			t.Errorf("the feed lacks %q", strings.TrimSpace(want))
		}
	}
	if n := bytes.Count(r.body, []byte("BEGIN:VEVENT")); n != len(ss) {
		t.Errorf("the feed has %d events, want one per session (%d)", n, len(ss))
	}
	if bytes.Contains(r.body, []byte("ATTENDEE")) {
		t.Error("the staff feed names attendees")
	}

	one := rawGet(t, sock, "/v1/calendar.ics?session="+moved.SuR)
	if one.code != 200 || bytes.Count(one.body, []byte("BEGIN:VEVENT")) != 1 {
		t.Errorf("the feed of one session: %d, %d events", one.code, bytes.Count(one.body, []byte("BEGIN:VEVENT")))
	}
}
