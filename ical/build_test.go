package ical

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRequestGolden(t *testing.T) {
	ev := demoRequest(t)
	got, err := Request(ev)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "request.ics", got)
	if err := Validate(got); err != nil {
		t.Fatalf("generated REQUEST does not validate:\n%v", err)
	}
	for _, want := range []string{
		"METHOD:REQUEST\r\n",
		"DTSTAMP:20170901T080000Z\r\n",
		"SEQUENCE:0\r\n",
		"DTSTART;TZID=Europe/Zurich:20171010T100000\r\n",
		"DTEND;TZID=Europe/Zurich:20171010T110000\r\n",
		"LOCATION:Room XXIV\\, Palais des Nations\\, Geneva\r\n",
		"STATUS:CONFIRMED\r\n",
		"TRANSP:OPAQUE\r\n",
		"X-MICROSOFT-DISALLOW-COUNTER:TRUE\r\n",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("request lacks %q", want)
		}
	}
	lines := unfolded(t, got)
	if want := `ORGANIZER;CN="UPR Info, Pre-sessions":mailto:rsvp@invites.example.org`; !slices.Contains(lines, want) {
		t.Errorf("request lacks content line %s", want)
	}
	if want := `ATTENDEE;CN="Permanent Mission of Côte d'Ivoire, Geneva";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:mission.geneva@civ.example`; !slices.Contains(lines, want) {
		t.Errorf("request lacks content line %s", want)
	}
	// VTIMEZONE comes before the VEVENT.
	if tz, ev := bytes.Index(got, []byte("BEGIN:VTIMEZONE")), bytes.Index(got, []byte("BEGIN:VEVENT")); tz < 0 || tz > ev {
		t.Errorf("VTIMEZONE at %d, VEVENT at %d", tz, ev)
	}
}

// TestRequestTimesInUTC checks the instant a client computes from our
// VTIMEZONE: 10 October 2017 10:00 in Geneva is 08:00Z (CEST, UTC+2, before
// the clocks go back on the 29th).
func TestRequestTimesInUTC(t *testing.T) {
	got, err := Request(demoRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	m := modelZone(t, got, "Europe/Zurich", 2018)
	rs, err := ParseReplies(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ raw, want string }{
		{rs[0].ProposedStart, "2017-10-10T08:00:00Z"},
		{rs[0].ProposedEnd, "2017-10-10T09:00:00Z"},
	} {
		local := strings.TrimPrefix(c.raw, "TZID=Europe/Zurich:")
		if at := m.localToUTC(t, local).Format(time.RFC3339); at != c.want {
			t.Errorf("%s is %s in UTC, want %s", c.raw, at, c.want)
		}
	}
	// Every session of the round, 10–13 October, is in CEST.
	for day := 10; day <= 13; day++ {
		for hour := 9; hour <= 17; hour++ {
			ev := demoSession(t, "GHA", "Ghana", day, hour, civ)
			b, err := Request(ev)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := ParseReplies(b)
			if err != nil {
				t.Fatal(err)
			}
			local := strings.TrimPrefix(rs[0].ProposedStart, "TZID=Europe/Zurich:")
			if at := modelZone(t, b, "Europe/Zurich", 2018).localToUTC(t, local); !at.Equal(ev.Start) {
				t.Errorf("session %d October %02d:00: client reads %s, want %s", day, hour, at, ev.Start.UTC())
			}
		}
	}
}

func TestRequestIsDeterministic(t *testing.T) {
	ev := demoRequest(t)
	a, err := Request(ev)
	if err != nil {
		t.Fatal(err)
	}
	// The same instants given in another zone, with sub-second noise, give
	// the same bytes.
	ev.Start = ev.Start.UTC().Add(300 * time.Millisecond)
	ev.End = ev.End.In(loadZone(t, "Asia/Tokyo"))
	ev.DTStamp = ev.DTStamp.In(loadZone(t, "America/New_York"))
	b, err := Request(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("same event, different bytes:\n%s\n---\n%s", a, b)
	}
}

func TestCancelGolden(t *testing.T) {
	ev := demoSession(t, "GAB", "Gabon", 12, 15, bolivia)
	ev.Sequence = 1
	got, err := Cancel(ev)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "cancel.ics", got)
	if err := Validate(got); err != nil {
		t.Fatalf("generated CANCEL does not validate:\n%v", err)
	}
	for _, want := range []string{"METHOD:CANCEL\r\n", "STATUS:CANCELLED\r\n", "SEQUENCE:1\r\n"} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("cancel lacks %q", want)
		}
	}
	if bytes.Contains(got, []byte("RSVP")) {
		t.Errorf("cancel asks for an RSVP")
	}
	if want := `ATTENDEE;CN="Permanent Mission of Bolivia (Plurinational State of)";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:mission@bolivia.example`; !slices.Contains(unfolded(t, got), want) {
		t.Errorf("cancel lacks content line %s", want)
	}
}

func TestCancelNeedsIncrementedSequence(t *testing.T) {
	ev := demoRequest(t)
	_, err := Cancel(ev)
	if err == nil || !strings.Contains(err.Error(), "plus one") {
		t.Fatalf("Cancel with SEQUENCE 0: err = %v, want a SEQUENCE error", err)
	}
}

// demoFeed is the staff feed of four pre-sessions of the round, with the
// missions that hold them.
func demoFeed(t testing.TB) []Event {
	evs := []Event{
		demoSession(t, "JPN", "Japan", 10, 10, civ),
		demoSession(t, "KOR", "Republic of Korea", 11, 10, korea),
		demoSession(t, "GAB", "Gabon", 12, 15, lao),
		demoSession(t, "ZMB", "Zambia", 13, 14, bolivia),
	}
	evs[2].Status = "CANCELLED"
	evs[2].Sequence = 2
	for i := range evs {
		evs[i].UID = "upr28-staff-" + []string{"jpn", "kor", "gab", "zmb"}[i] + "@invites.example.org"
		evs[i].Description = "Staff copy. Panellists: see the speakers list; room booked with UNOG."
		evs[i].URL = ""
	}
	return evs
}

func TestPublishGolden(t *testing.T) {
	got, err := Publish("UPR Pre-sessions, 28th session (staff)", demoFeed(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "publish.ics", got)
	if err := Validate(got); err != nil {
		t.Fatalf("generated PUBLISH does not validate:\n%v", err)
	}
	if bytes.Contains(got, []byte("ATTENDEE")) {
		t.Errorf("PUBLISH holds an ATTENDEE")
	}
	if bytes.Contains(got, []byte("RSVP")) || bytes.Contains(got, []byte("DISALLOW-COUNTER")) {
		t.Errorf("PUBLISH holds reply-related properties")
	}
	if n := bytes.Count(got, []byte("BEGIN:VTIMEZONE")); n != 1 {
		t.Errorf("%d VTIMEZONEs for one zone", n)
	}
	if n := bytes.Count(got, []byte("BEGIN:VEVENT")); n != 4 {
		t.Errorf("%d VEVENTs, want 4", n)
	}
	if !bytes.Contains(got, []byte("X-WR-CALNAME:UPR Pre-sessions\\, 28th session (staff)\r\n")) {
		t.Errorf("X-WR-CALNAME missing or not TEXT-escaped")
	}
	rs, err := ParseReplies(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[2].Method != "PUBLISH" || rs[2].Sequence != 2 {
		t.Fatalf("feed reads back as %+v", rs)
	}
}

func TestPublishOneZonePerName(t *testing.T) {
	evs := demoFeed(t)
	ny := loadZone(t, "America/New_York")
	evs[1].TZ = ny
	evs[3].TZ = time.UTC
	got, err := Publish("mixed", evs)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(got); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(got, []byte("BEGIN:VTIMEZONE")); n != 2 {
		t.Fatalf("%d VTIMEZONEs, want America/New_York and Europe/Zurich", n)
	}
	if a, z := bytes.Index(got, []byte("TZID:America/New_York")), bytes.Index(got, []byte("TZID:Europe/Zurich")); a > z {
		t.Errorf("VTIMEZONEs not sorted by name")
	}
	if !bytes.Contains(got, []byte("DTSTART:20171013T120000Z\r\n")) {
		t.Errorf("UTC event not written with Z")
	}
}

func TestUTCZoneHasNoVTimezone(t *testing.T) {
	ev := demoRequest(t)
	ev.TZ = time.UTC
	got, err := Request(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(got); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got, []byte("VTIMEZONE")) || bytes.Contains(got, []byte("TZID")) {
		t.Errorf("UTC event has a time zone:\n%s", got)
	}
	if !bytes.Contains(got, []byte("DTSTART:20171010T080000Z\r\n")) {
		t.Errorf("UTC event start not 20171010T080000Z:\n%s", got)
	}
}

// TestRepeatedWallClockWrittenInUTC: on 29 October 2017 Zurich's clocks go
// from 03:00 CEST back to 02:00 CET, so every time from 02:00 to 02:59
// happens twice. RFC 5545 reads such a TZID local time as the first, but
// ical.js and Python's icalendar read it as the second (see
// clients_test.go), so both are written in UTC; the times around them keep
// their TZID.
func TestRepeatedWallClockWrittenInUTC(t *testing.T) {
	first := time.Date(2017, 10, 29, 0, 30, 0, 0, time.UTC)  // 02:30 CEST
	second := time.Date(2017, 10, 29, 1, 30, 0, 0, time.UTC) // 02:30 CET
	for _, c := range []struct {
		start time.Time
		want  string
	}{
		{first, "DTSTART:20171029T003000Z\r\n"},
		{second, "DTSTART:20171029T013000Z\r\n"},
		{time.Date(2017, 10, 28, 23, 59, 0, 0, time.UTC), "DTSTART;TZID=Europe/Zurich:20171029T015900\r\n"},
		{time.Date(2017, 10, 29, 0, 0, 0, 0, time.UTC), "DTSTART:20171029T000000Z\r\n"},
		{time.Date(2017, 10, 29, 2, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Zurich:20171029T030000\r\n"},
	} {
		ev := demoRequest(t)
		ev.Start, ev.End = c.start, c.start.Add(time.Hour)
		got, err := Request(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(got, []byte(c.want)) {
			t.Errorf("start %s: want %q in\n%s", c.start, c.want, got)
		}
		if err := Validate(got); err != nil {
			t.Error(err)
		}
	}
}

// TestNoLineInjection: CR and LF in any input never start a new content
// line; TEXT gets \n, parameters get ^n.
func TestNoLineInjection(t *testing.T) {
	const evil = "x\r\nATTENDEE:mailto:intruder@evil.example\r\nEND:VEVENT\nBEGIN:VEVENT\rUID:other"
	ev := demoRequest(t)
	ev.Summary = "Japan " + evil
	ev.Location = evil
	ev.Description = evil
	ev.Organizer.Name = evil
	ev.Attendees[0].Name = "Côte d'Ivoire " + evil
	got, err := Request(ev, WithProdID("-//x//"+evil))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(got); err != nil {
		t.Fatalf("object with injected text does not validate:\n%v", err)
	}
	for _, l := range physicalLines(got) {
		if strings.HasPrefix(l, "ATTENDEE:") || strings.HasPrefix(l, "UID:other") {
			t.Errorf("injected line %q", l)
		}
	}
	rs, err := ParseReplies(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Attendees != 1 || rs[0].UID != ev.UID {
		t.Fatalf("injection changed the structure: %+v", rs)
	}
	wantText := "x\nATTENDEE:mailto:intruder@evil.example\nEND:VEVENT\nBEGIN:VEVENT\nUID:other"
	if rs[0].Summary != "Japan "+wantText {
		t.Errorf("summary reads back as %q", rs[0].Summary)
	}
	if rs[0].AttendeeName != "Côte d'Ivoire "+wantText {
		t.Errorf("CN reads back as %q", rs[0].AttendeeName)
	}
	if !strings.Contains(strings.Join(unfolded(t, got), "\n"), `Ivoire x^nATTENDEE:mailto:intruder@evil.example^nEND:VEVENT^nBEGIN:VEVENT^nUID:other"`) {
		t.Errorf("CN newlines not written as ^n:\n%s", got)
	}
}

func TestNamesQuotedAndCaretEncoded(t *testing.T) {
	cases := []struct{ name, want string }{
		{"Permanent Mission of Côte d'Ivoire", `CN="Permanent Mission of Côte d'Ivoire"`},
		{"Bolivia (Plurinational State of)", `CN="Bolivia (Plurinational State of)"`},
		{"Lao People's Democratic Republic", `CN="Lao People's Democratic Republic"`},
		{"Korea, Republic of", `CN="Korea, Republic of"`},
		{`The "Holy See"`, `CN="The ^'Holy See^'"`},
		{"Caret ^ and ^n", `CN="Caret ^^ and ^^n"`},
		{"Back\\slash; colon: x", `CN="Back\slash; colon: x"`},
	}
	for _, c := range cases {
		ev := demoRequest(t)
		ev.Attendees[0].Name = c.name
		got, err := Request(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(unfolded(t, got), "\n"), "ATTENDEE;"+c.want+";") {
			t.Errorf("%q: want %s in\n%s", c.name, c.want, got)
		}
		if err := Validate(got); err != nil {
			t.Errorf("%q: %v", c.name, err)
		}
		rs, err := ParseReplies(got)
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].AttendeeName != c.name {
			t.Errorf("CN %q reads back as %q", c.name, rs[0].AttendeeName)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Event)
		want string
	}{
		{"no UID", func(e *Event) { e.UID = " " }, "UID is empty"},
		{"UID with newline", func(e *Event) { e.UID = "a\nb" }, "control characters"},
		{"negative sequence", func(e *Event) { e.Sequence = -1 }, "negative"},
		{"no DTSTAMP", func(e *Event) { e.DTStamp = time.Time{} }, "DTSTAMP is not set"},
		{"no zone", func(e *Event) { e.TZ = nil }, "time zone is not set"},
		{"Local zone", func(e *Event) { e.TZ = time.Local }, "Local zone"},
		{"no start", func(e *Event) { e.Start = time.Time{} }, "start is not set"},
		{"no end", func(e *Event) { e.End = time.Time{} }, "end is not set"},
		{"end before start", func(e *Event) { e.End = e.Start.Add(-time.Minute) }, "is not after start"},
		{"empty summary", func(e *Event) { e.Summary = "" }, "SUMMARY is empty"},
		{"no organizer", func(e *Event) { e.Organizer.Email = "" }, "organizer: email is empty"},
		{"organizer not an address", func(e *Event) { e.Organizer.Email = "rsvp at example.org" }, "organizer: email"},
		{"no attendee", func(e *Event) { e.Attendees = nil }, "no attendee"},
		{"attendee with header injection", func(e *Event) { e.Attendees[0].Email = "a@b.example\r\nBcc: x@y" }, "attendee 1: email"},
		{"attendee is organizer", func(e *Event) { e.Attendees[0].Email = "RSVP@invites.example.org" }, "also the organizer"},
		{"attendee twice", func(e *Event) { e.Attendees = append(e.Attendees, e.Attendees[0]) }, "listed twice"},
		{"bad role", func(e *Event) { e.Attendees[0].Role = "SPEAKER" }, "ROLE"},
		{"bad partstat", func(e *Event) { e.Attendees[0].PartStat = "MAYBE" }, "PARTSTAT"},
		{"bad status", func(e *Event) { e.Status = "POSTPONED" }, "STATUS"},
		{"cancelled request", func(e *Event) { e.Status = "CANCELLED" }, "use Cancel"},
		{"bad URL", func(e *Event) { e.URL = "javascript:alert(1)" }, "URL"},
		{"year 10000", func(e *Event) { e.End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "outside the years"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := demoRequest(t)
			c.edit(&ev)
			_, err := Request(ev)
			if err == nil {
				t.Fatalf("Request accepted it")
			}
			if !strings.HasPrefix(err.Error(), "ical: build request") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	ev := demoRequest(t)
	ev.Summary, ev.DTStamp, ev.Attendees = "", time.Time{}, nil
	_, err := Request(ev)
	for _, want := range []string{"SUMMARY is empty", "DTSTAMP is not set", "no attendee"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}

func TestPublishRejects(t *testing.T) {
	if _, err := Publish("staff", nil); err == nil || !strings.Contains(err.Error(), "no events") {
		t.Errorf("empty feed: err = %v", err)
	}
	if _, err := Publish(" ", demoFeed(t)); err == nil || !strings.Contains(err.Error(), "name is empty") {
		t.Errorf("unnamed feed: err = %v", err)
	}
	evs := demoFeed(t)
	evs[3].UID = evs[0].UID
	if _, err := Publish("staff", evs); err == nil || !strings.Contains(err.Error(), "already used by event 1") {
		t.Errorf("duplicate UID: err = %v", err)
	}
	evs = demoFeed(t)
	evs[1].Organizer.Email = ""
	if _, err := Publish("staff", evs); err == nil || !strings.Contains(err.Error(), "event 2") {
		t.Errorf("event without organizer: err = %v", err)
	}
}

func TestWithProdID(t *testing.T) {
	got, err := Request(demoRequest(t), WithProdID("-//UPR Info//outreach 1.0//EN"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("\r\nPRODID:-//UPR Info//outreach 1.0//EN\r\n")) {
		t.Fatalf("PRODID not set:\n%s", got)
	}
}
