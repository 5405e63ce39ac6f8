package ical

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// whole writes ev's object in one pass, without the shared parts kept
// between calls: the reference the cached build must equal.
func whole(t testing.TB, m method, ev Event) []byte {
	t.Helper()
	e := &encoder{}
	writeCalendarHeader(e, newConfig(nil), m)
	if err := writeZones(e, []Event{ev}); err != nil {
		t.Fatal(err)
	}
	writeEvent(e, m, ev)
	e.line("END", "VCALENDAR")
	return e.buf.Bytes()
}

// TestSharedPartsGiveTheWholeObject builds the same events for many
// attendees, concurrently, and checks each object against one written
// whole: UIDs and names long enough to fold, several attendees, moved and
// cancelled revisions.
func TestSharedPartsGiveTheWholeObject(t *testing.T) {
	zrh, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2017, 10, 10, 10, 0, 0, 0, zrh)
	base := Event{
		Sequence: 0, DTStamp: time.Date(2017, 9, 1, 8, 0, 0, 0, time.UTC),
		Start: start, End: start.Add(time.Hour), TZ: zrh,
		Summary: "Pre-session on Japan", Location: "Room XXIV, Palais des Nations",
		Description: strings.Repeat("Panel: speakers from civil society; ", 12),
		Organizer:   Address{Name: "UPR Pre-sessions", Email: "rsvp@invites.example.org"},
		URL:         "https://www.example.org/pre-sessions",
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				ev := base
				ev.Sequence = i % 3
				ev.Start = start.Add(time.Duration(i%2) * 24 * time.Hour)
				ev.End = ev.Start.Add(time.Hour)
				ev.UID = fmt.Sprintf("pre28-jpn-%03d-%s@invites.example.org", i, strings.Repeat("x", w*20))
				ev.DTStamp = base.DTStamp.Add(time.Duration(i) * time.Second)
				ev.Attendees = []Attendee{{Name: fmt.Sprintf("Permanent Mission of Côte d'Ivoire %d, with a long title", i), Email: fmt.Sprintf("m%d@mfa.example", i), RSVP: true}}
				if i%5 == 0 {
					ev.Attendees = append(ev.Attendees, Attendee{Name: "Deputy", Email: "deputy@mfa.example", PartStat: "accepted"})
				}
				m, build := methodRequest, Request
				if i%4 == 3 {
					m, build = methodCancel, Cancel
					ev.Sequence++
					ev.Status = "CANCELLED"
				}
				got, err := build(ev)
				if err != nil {
					t.Error(err)
					return
				}
				if want := whole(t, m, ev); !bytes.Equal(got, want) {
					t.Errorf("event %d: built object differs from the one written whole:\n%s\nwant:\n%s", i, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestAttendeesKeptFollowTheEvent: the ATTENDEE lines kept for one copy
// are used only for the same attendees, in the same method, under the same
// organizer; a slice changed in place between two builds shows the
// change; and an event that is invalid only in what is its own (UID,
// DTSTAMP, attendees) is refused with every problem, as before anything
// was kept.
func TestAttendeesKeptFollowTheEvent(t *testing.T) {
	ev := demoRequest(t)
	atts := []Attendee{civ, bolivia}
	ev.Attendees = atts
	check := func(m method, ev Event) {
		t.Helper()
		build := Request
		if m == methodCancel {
			build = Cancel
			ev.Status = "CANCELLED"
		}
		got, err := build(ev)
		if err != nil {
			t.Fatal(err)
		}
		if want := whole(t, m, ev); !bytes.Equal(got, want) {
			t.Fatalf("built object differs from the one written whole:\n%s\nwant:\n%s", got, want)
		}
	}
	check(methodRequest, ev)
	atts[1].PartStat = "ACCEPTED" // changed in place
	check(methodRequest, ev)
	atts[1].RSVP = false
	check(methodRequest, ev)
	ev.Attendees = []Attendee{lao}
	check(methodRequest, ev)
	ev.Attendees = atts
	check(methodRequest, ev)
	cancel := ev
	cancel.Sequence = 1
	check(methodCancel, cancel)
	check(methodRequest, ev)

	for name, change := range map[string]func(*Event){
		"empty UID":            func(e *Event) { e.UID = " " },
		"UID with a tab":       func(e *Event) { e.UID = "a\tb@x" },
		"UID not UTF-8":        func(e *Event) { e.UID = "a\xffb@x" },
		"no DTSTAMP":           func(e *Event) { e.DTStamp = time.Time{} },
		"DTSTAMP out of range": func(e *Event) { e.DTStamp = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) },
		"organizer attends": func(e *Event) {
			e.Attendees = []Attendee{civ, {Name: "Us", Email: strings.ToUpper(e.Organizer.Email)}}
		},
		"twice":              func(e *Event) { e.Attendees = []Attendee{civ, civ} },
		"no attendee":        func(e *Event) { e.Attendees = nil },
		"bad role":           func(e *Event) { e.Attendees = []Attendee{{Email: "a@b.example", Role: "BOSS"}} },
		"organizer moved in": func(e *Event) { e.Organizer.Email = civ.Email },
		"bad UID and role": func(e *Event) {
			e.UID = ""
			e.Attendees = []Attendee{{Email: "a@b.example", PartStat: "MAYBE"}}
		},
	} {
		bad := ev
		bad.Attendees = slices.Clone(atts)
		change(&bad)
		_, err := Request(bad)
		if err == nil {
			t.Errorf("%s: built", name)
			continue
		}
		want := fmt.Errorf("ical: build request %q: %w", bad.UID, errors.Join(checkEvent(methodRequest, bad)...))
		if err.Error() != want.Error() {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}
