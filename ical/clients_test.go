package ical

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"outreach/directory"
	"outreach/internal/clientcheck"
)

// built is one object this package produced and the events it was built
// from, so what a client reads can be compared with what was meant.
type built struct {
	name   string
	method string
	data   []byte
	events []Event
}

// clientNames are attendee names chosen to break a naive writer or reader:
// commas, apostrophes, parentheses, accents, colons and semicolons, scripts
// of several bytes per character, and lengths that fold inside the CN.
var clientNames = []string{
	"Mission permanente de l'Ukraine",
	"Permanent Mission of the Democratic People's Republic of Korea",
	"Mission permanente de la République démocratique populaire lao",
	"Misión Permanente de la República Bolivariana de Venezuela",
	"Permanent Mission of Côte d'Ivoire, Geneva",
	"Permanent Mission of Bolivia (Plurinational State of)",
	"Korea, Republic of",
	"Mission permanente de Sao Tomé-et-Principe; Genève: Service des droits de l'homme",
	"Permanent Mission of the United Kingdom of Great Britain and Northern Ireland to the United Nations Office and Other International Organizations in Geneva",
	"Постоянное представительство Российской Федерации при Отделении ООН и других международных организациях в Женеве",
	"中华人民共和国常驻联合国日内瓦办事处和瑞士其他国际组织代表团",
	"البعثة الدائمة للمملكة العربية السعودية، جنيف",
}

// clientObjects builds REQUESTs and CANCELs for every name above and for
// every mission title of the directory in English, French and Spanish,
// with slots in summer and winter time and on the night the clocks go back,
// and a PUBLISH feed holding events in two zones.
func clientObjects(t *testing.T) []built {
	t.Helper()
	zrh := loadZone(t, "Europe/Zurich")
	ny := loadZone(t, "America/New_York")
	names := append([]string(nil), clientNames...)
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		names = append(names, m.Titles.EN, m.Titles.FR, m.Titles.ES)
	}
	starts := []time.Time{
		time.Date(2017, 10, 10, 10, 0, 0, 0, zrh),      // CEST
		time.Date(2017, 11, 6, 15, 30, 0, 0, zrh),      // CET
		time.Date(2017, 10, 29, 0, 30, 0, 0, time.UTC), // 02:30 CEST, the first 02:30
		time.Date(2017, 10, 29, 1, 30, 0, 0, time.UTC), // 02:30 CET, the repeated one
		time.Date(2018, 3, 25, 3, 0, 0, 0, zrh),        // the first hour of summer time
	}
	var out []built
	for i, name := range names {
		start := starts[i%len(starts)]
		ev := demoSession(t, "UKR", "Ukraine", 10, 10, Attendee{Name: name, Email: fmt.Sprintf("geneva%d@mission.example", i), RSVP: true})
		ev.UID = fmt.Sprintf("pre28-ukr-%d@invites.example.org", i)
		ev.Start, ev.End = start, start.Add(90*time.Minute)
		ev.Summary = "Pré-session de l'EPU : " + name + ", Genève; salle XXIV"
		ev.Location = `Room XXIV, Palais des Nations; Geneva \ Genève`
		ev.Sequence = i % 3
		req, err := Request(ev, WithProdID(DefaultProdID))
		if err != nil {
			t.Fatalf("request for %q: %v", name, err)
		}
		out = append(out, built{name: "REQUEST " + name, method: "REQUEST", data: req, events: []Event{ev}})
		cev := ev
		cev.Sequence++
		cev.DTStamp = ev.DTStamp.Add(24 * time.Hour)
		cev.Status = "CANCELLED"
		cev.Attendees = []Attendee{{Name: name, Email: ev.Attendees[0].Email}}
		cancel, err := Cancel(cev)
		if err != nil {
			t.Fatalf("cancel for %q: %v", name, err)
		}
		out = append(out, built{name: "CANCEL " + name, method: "CANCEL", data: cancel, events: []Event{cev}})
	}
	var feed []Event
	for i, name := range clientNames {
		ev := demoSession(t, "KOR", name, 10+i%4, 9+i%8, korea)
		ev.UID = fmt.Sprintf("pre28-feed-%d@invites.example.org", i)
		ev.Summary = "UPR Pre-session on " + name
		if i%4 == 3 {
			ev.TZ = ny
			ev.Start, ev.End = ev.Start.In(ny), ev.End.In(ny)
		}
		feed = append(feed, ev)
	}
	pub, err := Publish("UPR Pre-sessions, 28th session: l'agenda", feed)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, built{name: "PUBLISH feed", method: "PUBLISH", data: pub, events: feed})
	return out
}

// TestClientsReadWhatWeBuild parses every object with ical.js and Python's
// icalendar and checks that each reads back exactly what was meant: the
// method, UID, SEQUENCE, STATUS, texts, organizer, the attendee's CN
// character for character, and the instants of DTSTART and DTEND.
func TestClientsReadWhatWeBuild(t *testing.T) {
	clientcheck.Require(t, clientcheck.ICALJSParser, clientcheck.PyICalendarParser)
	objs := clientObjects(t)
	data := make([][]byte, len(objs))
	for i, o := range objs {
		data[i] = o.data
		if err := Validate(o.data); err != nil {
			t.Errorf("%s does not validate: %v", o.name, err)
		}
	}
	for _, p := range []struct {
		parser clientcheck.Parser
		all    func([][]byte) ([]clientcheck.CalendarResult, error)
	}{
		{clientcheck.ICALJSParser, clientcheck.ICALJSAll},
		{clientcheck.PyICalendarParser, clientcheck.PyICalendarAll},
	} {
		t.Run(p.parser.String(), func(t *testing.T) {
			rs, err := p.all(data)
			if err != nil {
				t.Fatal(err)
			}
			failures := 0
			for i, r := range rs {
				if problems := compareCalendar(objs[i], r); len(problems) > 0 {
					failures++
					if failures <= 10 {
						t.Errorf("%s, as %s reads it:\n  %s", objs[i].name, p.parser, strings.Join(problems, "\n  "))
					}
				}
			}
			if failures > 0 {
				t.Errorf("%d of %d objects read wrongly by %s", failures, len(objs), p.parser)
			}
			t.Logf("%s read %d objects (%d REQUEST/CANCEL pairs, 1 PUBLISH of %d events)", p.parser, len(objs), (len(objs)-1)/2, len(objs[len(objs)-1].events))
		})
	}
}

// compareCalendar lists every difference between what was built and what
// a parser read.
func compareCalendar(b built, r clientcheck.CalendarResult) []string {
	var out []string
	diff := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			out = append(out, fmt.Sprintf("%s: got %q, want %q", what, fmt.Sprint(got), fmt.Sprint(want)))
		}
	}
	if r.Err != nil {
		return []string{r.Err.Error()}
	}
	c := r.Calendar
	diff("METHOD", c.Method, b.method)
	diff("PRODID", c.ProdID, DefaultProdID)
	diff("VERSION", c.Version, "2.0")
	if len(c.Events) != len(b.events) {
		return append(out, fmt.Sprintf("%d events, want %d", len(c.Events), len(b.events)))
	}
	for i, got := range c.Events {
		want := b.events[i]
		diff("UID", got.UID, want.UID)
		diff("SEQUENCE", got.Sequence, want.Sequence)
		diff("STATUS", got.Status, orDefault(want.Status, "CONFIRMED"))
		diff("SUMMARY", got.Summary, want.Summary)
		diff("LOCATION", got.Location, want.Location)
		diff("DESCRIPTION", got.Description, want.Description)
		diff("DTSTAMP", got.DTStamp.Format(time.RFC3339), want.DTStamp.UTC().Format(time.RFC3339))
		diff("DTSTART", got.Start.Format(time.RFC3339), want.Start.UTC().Format(time.RFC3339))
		diff("DTEND", got.End.Format(time.RFC3339), want.End.UTC().Format(time.RFC3339))
		if got.StartTZID != "" {
			diff("DTSTART TZID", got.StartTZID, want.TZ.String())
			if !got.StartViaVTimezone.IsZero() {
				diff("DTSTART through the VTIMEZONE", got.StartViaVTimezone.Format(time.RFC3339), want.Start.UTC().Format(time.RFC3339))
			}
		} else if !ambiguousWallClock(want.Start.In(want.TZ)) && !isUTC(want.TZ) {
			out = append(out, "DTSTART has no TZID")
		}
		diff("ORGANIZER", got.Organizer.Email, want.Organizer.Email)
		diff("ORGANIZER CN", got.Organizer.CN, want.Organizer.Name)
		if b.method == "PUBLISH" {
			if len(got.Attendees) != 0 {
				out = append(out, fmt.Sprintf("PUBLISH with %d attendees", len(got.Attendees)))
			}
			continue
		}
		if len(got.Attendees) != len(want.Attendees) {
			out = append(out, fmt.Sprintf("%d attendees, want %d", len(got.Attendees), len(want.Attendees)))
			continue
		}
		for j, a := range got.Attendees {
			w := want.Attendees[j]
			diff("ATTENDEE", a.Email, w.Email)
			diff("ATTENDEE CN", a.CN, w.Name)
			diff("ATTENDEE PARTSTAT", a.PartStat, orDefault(w.PartStat, "NEEDS-ACTION"))
			diff("ATTENDEE ROLE", a.Role, orDefault(w.Role, "REQ-PARTICIPANT"))
			rsvp := ""
			if w.RSVP && b.method == "REQUEST" {
				rsvp = "TRUE"
			}
			diff("ATTENDEE RSVP", a.RSVP, rsvp)
		}
	}
	return out
}
