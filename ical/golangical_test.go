package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// golang-ical (github.com/arran4/golang-ical) is kept as an independent
// reader, the way go-mail's writer is kept as the MIME oracle: every
// object this package writes must read back through it with the names,
// times and attendees we put in. Its writer is not used; see
// TestGolangICalWriterStillEscapesParameters for why, and for the test
// that shows when a fixed release makes it usable.

func TestGolangICalReadsWhatWeWrite(t *testing.T) {
	ev := demoRequest(t)
	ev.Attendees = []Attendee{civ, bolivia, lao, korea}
	ev.Description = "Line one, with a comma; and a semicolon.\nLine two: \\ backslash."
	req, err := Request(ev)
	if err != nil {
		t.Fatal(err)
	}
	cancel := ev
	cancel.Sequence, cancel.Status = 1, "CANCELLED"
	can, err := Cancel(cancel)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := Publish("UPR Pre-sessions", []Event{ev, demoSession(t, "PER", "Peru", 12, 10, civ)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		data   []byte
		method string
		events int
		people bool
	}{{"REQUEST", req, "REQUEST", 1, true}, {"CANCEL", can, "CANCEL", 1, true}, {"PUBLISH", pub, "PUBLISH", 2, false}} {
		cal, err := ics.ParseCalendar(bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s: golang-ical cannot read it: %v", c.name, err)
		}
		var method string
		for _, p := range cal.CalendarProperties {
			if p.IANAToken == "METHOD" {
				method = p.Value
			}
		}
		evs := cal.Events()
		if method != c.method || len(evs) != c.events {
			t.Fatalf("%s: golang-ical reads METHOD %q and %d events", c.name, method, len(evs))
		}
		e := evs[0]
		if e.Id() != ev.UID {
			t.Errorf("%s: UID %q", c.name, e.Id())
		}
		if got := e.GetProperty(ics.ComponentPropertyDescription); c.name == "REQUEST" && (got == nil || got.Value != ev.Description) {
			t.Errorf("%s: DESCRIPTION reads %q", c.name, got)
		}
		start, err := e.GetStartAt()
		if err != nil || !start.Equal(ev.Start) {
			t.Errorf("%s: DTSTART reads %v (%v), want %v", c.name, start, err, ev.Start)
		}
		if tz := e.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tz) != 1 || tz[0] != "Europe/Zurich" {
			t.Errorf("%s: DTSTART TZID %v", c.name, tz)
		}
		as := e.Attendees()
		if !c.people {
			if len(as) != 0 {
				t.Errorf("%s: %d attendees, want none", c.name, len(as))
			}
			continue
		}
		if len(as) != len(ev.Attendees) {
			t.Fatalf("%s: %d attendees, want %d", c.name, len(as), len(ev.Attendees))
		}
		for i, a := range as {
			want := ev.Attendees[i]
			cn := a.ICalParameters["CN"]
			if a.Email() != want.Email || len(cn) != 1 || cn[0] != want.Name {
				t.Errorf("%s: attendee %d reads %q CN %q, want %q CN %q", c.name, i, a.Email(), cn, want.Email, want.Name)
			}
		}
	}
}

// TestGolangICalWriterStillEscapesParameters shows the defect that keeps
// golang-ical's writer out: v0.3.4 backslash-escapes a parameter value
// (CN=Côte d\'Ivoire), which RFC 5545 does not allow and no client reads
// back as the name. When this test fails, a release has fixed it: look
// again at using its writer.
func TestGolangICalWriterStillEscapesParameters(t *testing.T) {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodRequest)
	e := cal.AddEvent("x@invites.example.org")
	e.SetDtStampTime(time.Date(2017, 9, 1, 8, 0, 0, 0, time.UTC))
	e.AddAttendee("mailto:mission.geneva@civ.example", ics.WithCN("Permanent Mission of Côte d'Ivoire, Geneva"))
	out := cal.Serialize()
	unfold := strings.ReplaceAll(strings.ReplaceAll(out, "\r\n ", ""), "\n ", "")
	if !strings.Contains(unfold, `CN=Permanent Mission of Côte d\'Ivoire\, Geneva`) {
		t.Fatalf("golang-ical no longer escapes parameter values with backslashes; its writer may now be right:\n%s", out)
	}
	// Our writer quotes the value instead.
	ev := demoRequest(t)
	req, err := Request(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(unfolded(t, req), "\n"), `CN="Permanent Mission of Côte d'Ivoire, Geneva"`) {
		t.Errorf("our ATTENDEE line does not quote the name")
	}
}
