package jobs

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/ical/icaltest"
	"outreach/internal/clientcheck"
	"outreach/internal/smtptest"
)

// calendarParts returns the iCalendar objects a message carries, as
// Python's email package reads it (no defects allowed), in the order of its
// parts; an object present twice (inline and as a file) counts once, as a
// client imports it once.
func calendarParts(t *testing.T, who string, msg smtptest.Message) [][]byte {
	t.Helper()
	e, err := clientcheck.PyEmail(msg.Data)
	if err != nil {
		t.Fatalf("%s: Python email: %v", who, err)
	}
	if len(e.Defects) > 0 {
		t.Errorf("%s: Python email found defects: %v", who, e.Defects)
	}
	var out [][]byte
	for _, p := range e.Root.Leaves() {
		if p.ContentType != "text/calendar" {
			continue
		}
		if !slices.ContainsFunc(out, func(b []byte) bool { return bytes.Equal(b, p.Body) }) {
			out = append(out, p.Body)
		}
	}
	return out
}

// playMission sends what the engine sends to mission through the recording
// SMTP server, flushing after each change, and returns the calendar
// objects of each message received, in order.
func playMission(t *testing.T, f *fixture, mission string, changes ...func()) [][][]byte {
	t.Helper()
	if _, err := f.e.Invite(mission, "test"); err != nil {
		t.Fatal(err)
	}
	if rep := flush(t, f, 0); rep.Sent != 1 {
		t.Fatalf("invitation flush: %+v", rep)
	}
	for i, change := range changes {
		f.clock.Advance(26 * time.Hour)
		change()
		if rep := flush(t, f, 0); rep.Sent != 1 || rep.Failed != 0 {
			t.Fatalf("flush after change %d: %+v", i+1, rep)
		}
	}
	var out [][][]byte
	for i, msg := range f.smtp.Messages() {
		out = append(out, calendarParts(t, fmt.Sprintf("message %d (%s)", i+1, msg.MessageID), msg))
	}
	return out
}

// TestCalendarPlay plays one mission's calendar through ical.js: it applies
// the invitation's 14 attachments, then a move of one session, a second
// move, and its cancellation, each as the mission received it by mail. The
// moved session exists once, at the latest time and room, and ends
// cancelled; the other sessions are as invited. Every object also parses
// with Python's icalendar and passes icaltest.Validate.
func TestCalendarPlay(t *testing.T) {
	clientcheck.Require(t, clientcheck.ICALJSParser, clientcheck.PyICalendarParser, clientcheck.PyEmailParser)
	f := newFixture(t, smtptest.Hooks{})
	const mission, sur = "CIV", "UKR"
	zrh := f.event.Location
	first := time.Date(2017, 10, 13, 9, 0, 0, 0, zrh)
	second := time.Date(2017, 10, 12, 16, 30, 0, 0, zrh)
	room1, room2 := "Room XX", "Salle XXIII, bâtiment E"
	moved := func(start time.Time, room string) func() {
		return func() {
			rep, err := f.e.MoveSession(sur, Move{Start: &start, Room: &room, Note: "the Working Group changed its schedule"}, "test")
			if err != nil || rep.Queued != 1 {
				t.Fatalf("move to %s %s: queued %d, %v", start, room, rep.Queued, err)
			}
		}
	}
	received := playMission(t, f, mission,
		moved(first, room1),
		moved(second, room2),
		func() {
			if rep, err := f.e.CancelSession(sur, "the State under Review asked to postpone", "test"); err != nil || rep.Queued != 1 {
				t.Fatalf("cancel: queued %d, %v", rep.Queued, err)
			}
		})
	objects := validInviteThenThreeChanges(t, received)

	uid := f.e.UID(mission, sur)
	played, err := clientcheck.PlayCalendar(objects)
	if err != nil {
		t.Fatal(err)
	}
	actions := checkPlayedSteps(t, played, uid)
	if want := []string{"REQUEST added 0", "REQUEST updated 1", "REQUEST updated 2", "CANCEL cancelled 3"}; !slices.Equal(actions, want) {
		t.Errorf("session %s: the calendar applied %q, want %q", sur, actions, want)
	}

	t.Logf("ical.js applied %d objects; session %s: %s", len(objects), sur, strings.Join(actions, ", "))
	if len(played.Events) != 14 {
		t.Errorf("calendar holds %d events, want the 14 sessions once each", len(played.Events))
	}
	// The slots as the round was seeded, before any change.
	_, sessions, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	m := mustMission(t, f, mission)
	for _, s := range sessions {
		ev, ok := playedOnce(t, f, played, mission, s.SuR)
		if !ok {
			continue
		}
		if !everyContact(m, ev.Attendees, "") {
			t.Errorf("session %s: attendees %+v, want every contact of %q", s.SuR, ev.Attendees, m.Title())
		}
		if s.SuR != sur {
			if ev.Cancelled || ev.Sequence != 0 || !ev.Start.Equal(s.Start) || !strings.HasPrefix(ev.Location, roomIn(m.Language, s.Room)) {
				t.Errorf("session %s changed: %+v", s.SuR, ev)
			}
			continue
		}
		checkPlayedCancelledAfterSecondMove(t, ev, sur, second, room2)
	}

	// The same objects, read by Python's icalendar.
	revs := pyICalendarRevisions(t, objects, uid)
	ukr := sessionBySuR(t, sessions, sur)
	want := []calendarRevision{
		{"REQUEST", 0, utcText(ukr.Start), roomIn(m.Language, ukr.Room)},
		{"REQUEST", 1, utcText(first), roomIn(m.Language, room1)},
		{"REQUEST", 2, utcText(second), room2},
		{"CANCEL", 3, utcText(second), room2},
	}
	if fmt.Sprint(revs) != fmt.Sprint(want) {
		t.Errorf("Python icalendar reads session %s as\n%v\nwant\n%v", sur, revs, want)
	}
}

// validInviteThenThreeChanges: the mission received the invitation with 14
// calendar objects, then three messages with one each, every object valid
// by icaltest.Validate. It returns the objects in order.
func validInviteThenThreeChanges(t *testing.T, received [][][]byte) [][]byte {
	t.Helper()
	if len(received) != 4 {
		t.Fatalf("mission received %d messages, want the invitation, two updates and a cancellation", len(received))
	}
	if n := len(received[0]); n != 14 {
		t.Fatalf("invitation carries %d calendar objects, want 14", n)
	}
	var objects [][]byte
	for i, objs := range received {
		if i > 0 && len(objs) != 1 {
			t.Fatalf("message %d carries %d calendar objects, want 1", i+1, len(objs))
		}
		objects = append(objects, objs...)
	}
	for i, o := range objects {
		if err := icaltest.Validate(o); err != nil {
			t.Errorf("object %d does not validate:\n%v\n%s", i+1, err, o)
		}
	}
	return objects
}

// checkPlayedSteps: every object of another session is added, and ical.js
// has no problem with any. It returns what the calendar did with uid's.
func checkPlayedSteps(t *testing.T, played clientcheck.Played, uid string) []string {
	t.Helper()
	var actions []string
	for _, s := range played.Steps {
		if s.UID == uid {
			actions = append(actions, fmt.Sprintf("%s %s %d", s.Method, s.Action, s.Sequence))
		} else if s.Action != "added" {
			t.Errorf("object %d (%s) %s: %s %s", s.Index+1, s.UID, s.Method, s.Action, s.Reason)
		}
		if len(s.Problems) > 0 {
			t.Errorf("object %d: ical.js: %v", s.Index+1, s.Problems)
		}
	}
	return actions
}

// playedOnce returns the mission's event for session sur in the played
// calendar, which must hold it once.
func playedOnce(t *testing.T, f *fixture, played clientcheck.Played, mission, sur string) (clientcheck.PlayedEvent, bool) {
	t.Helper()
	var got []clientcheck.PlayedEvent
	for _, ev := range played.Events {
		if ev.UID == f.e.UID(mission, sur) {
			got = append(got, ev)
		}
	}
	if len(got) != 1 {
		t.Errorf("session %s is %d times in the calendar", sur, len(got))
		return clientcheck.PlayedEvent{}, false
	}
	return got[0], true
}

// checkPlayedCancelledAfterSecondMove: the moved session ends cancelled
// at sequence 3, at the second move's time and room.
func checkPlayedCancelledAfterSecondMove(t *testing.T, ev clientcheck.PlayedEvent, sur string, second time.Time, room2 string) {
	t.Helper()
	if !ev.Cancelled || ev.Status != "CANCELLED" || ev.Sequence != 3 {
		t.Errorf("session %s: cancelled %v, STATUS %q, SEQUENCE %d; want cancelled at 3", sur, ev.Cancelled, ev.Status, ev.Sequence)
	}
	if !ev.Start.Equal(second) || !ev.End.Equal(second.Add(time.Hour)) || !strings.HasPrefix(ev.Location, room2) {
		t.Errorf("session %s ends at %s–%s in %q, want the second move: %s–%s in %q",
			sur, ev.Start, ev.End, ev.Location, second.UTC(), second.Add(time.Hour).UTC(), room2)
	}
}

// calendarRevision is one revision of a session's event as Python's
// icalendar reads it.
type calendarRevision struct {
	method string
	seq    int
	start  string
	room   string
}

// pyICalendarRevisions reads objects with Python's icalendar, each without
// error, and returns the revisions of uid's event in order.
func pyICalendarRevisions(t *testing.T, objects [][]byte, uid string) []calendarRevision {
	t.Helper()
	rs, err := clientcheck.PyICalendarAll(objects)
	if err != nil {
		t.Fatal(err)
	}
	var revs []calendarRevision
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("object %d: %v", i+1, r.Err)
			continue
		}
		for _, ev := range r.Calendar.Events {
			if ev.UID == uid {
				revs = append(revs, calendarRevision{r.Calendar.Method, ev.Sequence, ev.Start.Format(time.RFC3339), strings.SplitN(ev.Location, ", Palais", 2)[0]})
			}
		}
	}
	return revs
}

// TestCalendarPlayTwoMovesBeforeSending: two moves before the first went
// out send only the latest, which the calendar applies over the invitation.
func TestCalendarPlayTwoMovesBeforeSending(t *testing.T) {
	clientcheck.Require(t, clientcheck.ICALJSParser, clientcheck.PyEmailParser)
	f := newFixture(t, smtptest.Hooks{})
	const mission, sur = "PRK", "KOR"
	zrh := f.event.Location
	first, second := time.Date(2017, 10, 11, 9, 0, 0, 0, zrh), time.Date(2017, 10, 13, 17, 0, 0, 0, zrh)
	room := "Room XXVI"
	received := playMission(t, f, mission, func() {
		if _, err := f.e.MoveSession(sur, Move{Start: &first}, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.e.MoveSession(sur, Move{Start: &second, Room: &room}, "test"); err != nil {
			t.Fatal(err)
		}
	})
	if len(received) != 2 || len(received[1]) != 1 {
		t.Fatalf("received %d messages, want the invitation and one update", len(received))
	}
	objects := append(received[0], received[1]...)
	played, err := clientcheck.PlayCalendar(objects)
	if err != nil {
		t.Fatal(err)
	}
	uid := f.e.UID(mission, sur)
	var actions []string
	for _, s := range played.Steps {
		if s.UID == uid {
			actions = append(actions, fmt.Sprintf("%s %s %d", s.Method, s.Action, s.Sequence))
		}
	}
	if want := []string{"REQUEST added 0", "REQUEST updated 2"}; !slices.Equal(actions, want) {
		t.Errorf("the calendar applied %q, want %q", actions, want)
	}
	for _, ev := range played.Events {
		if ev.UID == uid && (!ev.Start.Equal(second) || !strings.HasPrefix(ev.Location, room) || ev.Cancelled) {
			t.Errorf("session %s ends at %s in %q (cancelled %v), want %s in %q", sur, ev.Start, ev.Location, ev.Cancelled, second.UTC(), room)
		}
	}
}

func utcText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func sessionBySuR(t *testing.T, ss []outreach.Session, sur string) outreach.Session {
	t.Helper()
	for _, s := range ss {
		if s.SuR == sur {
			return s
		}
	}
	t.Fatalf("no session %s", sur)
	return outreach.Session{}
}

func mustMission(t *testing.T, f *fixture, id string) outreach.Mission {
	t.Helper()
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no mission %s", id)
	return outreach.Mission{}
}

// TestCalendarPlayConfirmation: staff record an acceptance; the mission's
// confirmation carries, inside its alternatives, an iMIP REQUEST for the
// invitation's event (same UID) with the mission ACCEPTED, and the Subject
// is the SUMMARY, as Exchange titles the appointment from the Subject.
func TestCalendarPlayConfirmation(t *testing.T) {
	clientcheck.Require(t, clientcheck.ICALJSParser, clientcheck.PyICalendarParser, clientcheck.PyEmailParser)
	f := newFixture(t, smtptest.Hooks{})
	const mission, sur = "UKR", "GHA"
	received := playMission(t, f, mission, func() {
		if _, err := f.e.SetRSVP(mission, sur, outreach.Accepted, "by telephone", "test"); err != nil {
			t.Fatal(err)
		}
	})
	if len(received) != 2 || len(received[1]) != 1 {
		t.Fatalf("received %d messages, want the invitation and a confirmation", len(received))
	}
	msgs := f.smtp.Messages()
	e, err := clientcheck.PyEmail(msgs[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	var inline []clientcheck.Part
	for _, p := range e.Root.Leaves() {
		if p.ContentType == "text/calendar" {
			inline = append(inline, p)
		}
	}
	if len(inline) == 0 || !strings.EqualFold(inline[0].Params["method"], "REQUEST") || inline[0].Disposition == "attachment" {
		t.Fatalf("confirmation calendar parts %+v, want an inline text/calendar; method=REQUEST", inline)
	}
	if parent := parentOf(e.Root, inline[0].Path); parent == nil || parent.ContentType != "multipart/alternative" {
		t.Errorf("the calendar part %s is not among the alternatives (parent %+v)", inline[0].Path, parent)
	}
	conf := received[1][0]
	if err := icaltest.Validate(conf); err != nil {
		t.Errorf("confirmation does not validate: %v", err)
	}
	uid := f.e.UID(mission, sur)
	for name, parse := range map[string]func([]byte) (clientcheck.Calendar, error){"ical.js": clientcheck.ICALJS, "icalendar": clientcheck.PyICalendar} {
		c, err := parse(conf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Method != "REQUEST" || len(c.Events) != 1 {
			t.Fatalf("%s reads %+v", name, c)
		}
		ev := c.Events[0]
		if ev.UID != uid || ev.Sequence != 0 || !everyContact(mustMission(t, f, mission), ev.Attendees, "ACCEPTED") {
			t.Errorf("%s reads UID %s SEQUENCE %d attendees %+v; want %s, 0, every contact ACCEPTED", name, ev.UID, ev.Sequence, ev.Attendees, uid)
		}
		if subj := e.Header("Subject"); subj != ev.Summary {
			t.Errorf("Subject %q, SUMMARY %q as %s reads it: want them equal", subj, ev.Summary, name)
		}
	}
	played, err := clientcheck.PlayCalendar(append(received[0], conf))
	if err != nil {
		t.Fatal(err)
	}
	last := played.Steps[len(played.Steps)-1]
	if last.UID != uid || last.Action != "updated" {
		t.Errorf("the calendar did %s (%s) with the confirmation of %s", last.Action, last.Reason, last.UID)
	}
	for _, ev := range played.Events {
		if ev.UID == uid && !everyContact(mustMission(t, f, mission), ev.Attendees, "ACCEPTED") {
			t.Errorf("after the confirmation the event's attendees are %+v, want every contact ACCEPTED", ev.Attendees)
		}
	}
}

// parentOf returns the multipart holding the part at path, or nil.
func parentOf(p clientcheck.Part, path string) *clientcheck.Part {
	for i := range p.Parts {
		if p.Parts[i].Path == path {
			return &p
		}
		if q := parentOf(p.Parts[i], path); q != nil {
			return q
		}
	}
	return nil
}

// everyContact reports whether as lists each contact of m once, named for
// the mission, and nobody else; with partstat set, each with that PARTSTAT.
func everyContact(m outreach.Mission, as []clientcheck.Attendee, partstat string) bool {
	if len(as) != len(m.Contacts) {
		return false
	}
	for _, c := range m.Contacts {
		i := slices.IndexFunc(as, func(a clientcheck.Attendee) bool { return strings.EqualFold(a.Email, c.Email) })
		if i < 0 || as[i].CN != m.Title() || (partstat != "" && as[i].PartStat != partstat) {
			return false
		}
	}
	return true
}
