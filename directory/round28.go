package directory

import (
	"fmt"
	"strings"
	"time"

	"outreach"
)

// Round28SuR lists the States under Review of the 28th UPR Working Group
// session, in the order of their pre-sessions.
var Round28SuR = []string{"ARG", "BEN", "CZE", "GAB", "GHA", "GTM", "JPN", "PAK", "PER", "KOR", "LKA", "CHE", "UKR", "ZMB"}

// Round28 returns the demo event: the pre-sessions held 10–13 October 2017
// at the Palais des Nations before the 28th UPR Working Group session, one
// one-hour slot per State under Review in Europe/Zurich, each with a
// plausible panel.
func Round28() (outreach.Event, []outreach.Session, error) {
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		return outreach.Event{}, nil, fmt.Errorf("directory: time zone Europe/Zurich: %w (install tzdata)", err)
	}
	day := func(d int) time.Time { return time.Date(2017, time.October, d, 0, 0, 0, 0, loc) }
	ev := outreach.Event{
		Title:        "UPR Pre-sessions: 28th UPR Working Group session",
		UPRSession:   28,
		Venue:        "Palais des Nations, Geneva",
		Location:     loc,
		First:        day(10),
		Last:         day(13),
		Organiser:    "UPR Info",
		Mailbox:      outreach.Address{Name: "UPR Pre-sessions", Email: "rsvp@presessions.example"},
		Staff:        outreach.Address{Name: "Pre-sessions team", Email: "staff@presessions.example"},
		RSVPDeadline: time.Date(2017, time.October, 3, 18, 0, 0, 0, loc),
		Provisional:  true,
		Phone:        "+41 22 321 77 70",
		Web:          "https://presessions.example/28",
	}
	rooms := []string{"Room XXIV", "Room XXIV", "Room XXV", "Room XXIV"}
	sessions, err := demoSessions(Round28SuR, time.Date(2017, time.October, 10, 0, 0, 0, 0, loc), rooms,
		panel28, func(i int) bool { return i%3 != 2 })
	return ev, sessions, err
}

// demoSessions lays out a demo round's fourteen pre-sessions from
// firstDay: four one-hour slots a day (10:00, 11:30, 14:00, 15:30), three
// on the last two days, in the rooms given per slot; panel gives the i-th
// session's speakers, statement whether its State under Review speaks.
func demoSessions(surs []string, firstDay time.Time, rooms []string, panel func(i int) []outreach.Speaker, statement func(i int) bool) ([]outreach.Session, error) {
	slots := [][2]int{{10, 0}, {11, 30}, {14, 0}, {15, 30}}
	perDay := []int{4, 4, 3, 3}
	var sessions []outreach.Session
	i := 0
	for d, n := range perDay {
		for k := 0; k < n; k++ {
			sur := surs[i]
			start := time.Date(firstDay.Year(), firstDay.Month(), firstDay.Day()+d, slots[k][0], slots[k][1], 0, 0, firstDay.Location())
			s := outreach.Session{
				SuR:          sur,
				Start:        start,
				End:          start.Add(time.Hour),
				Room:         rooms[k],
				Panel:        panel(i),
				SuRStatement: statement(i),
			}
			if err := s.Validate(); err != nil {
				return nil, fmt.Errorf("directory: demo session %s: %w", sur, err)
			}
			sessions = append(sessions, s)
			i++
		}
	}
	return sessions, nil
}

// round28Languages is the language each State under Review's speakers
// are written to in, by default.
var round28Languages = map[string]outreach.Language{
	"ARG": outreach.Spanish, "BEN": outreach.French, "GAB": outreach.French, "GTM": outreach.Spanish,
	"PER": outreach.Spanish, "CHE": outreach.French,
}

// panel28 builds a plausible panel for the i-th session: an NHRI and three
// to five civil society speakers, 5 to 7 minutes each. Names are invented;
// addresses are placeholders under the reserved .example domain
// (firstname.lastname@organisation.ngo.example, and the NHRI's under
// nhri-<sur>.example); the NHRI speaks the State's language, the civil
// society speakers a mix.
func panel28(i int) []outreach.Speaker { return panelFor(Round28SuR[i], i, round28Languages) }

// panelFor builds the panel of the i-th session of a round, on the State
// sur, whose speakers write in langs[sur] (English when absent); see
// panel28.
func panelFor(sur string, i int, langs map[string]outreach.Language) []outreach.Speaker {
	orgs := []string{
		"Coalition for Children's Rights", "Women's Rights Network", "Indigenous Peoples' Forum",
		"Human Rights Defenders Alliance", "Disability Rights Coalition", "Migrants' Rights Platform",
		"Freedom of Expression Centre", "LGBTI Equality Network", "Environmental Justice Collective",
	}
	first := []string{"Ana", "Kofi", "Marta", "Hiroshi", "Amina", "Tomás", "Olena", "Sanjeev", "Chileshe", "Eva"}
	last := []string{"Moreno", "Mensah", "Novák", "Tanaka", "Diallo", "Quispe", "Kovalenko", "Perera", "Banda", "Keller"}
	lang := langs[sur]
	if lang == "" {
		lang = outreach.English
	}
	n := 3 + i%3
	f, l := first[i%len(first)], last[(i+3)%len(last)]
	p := []outreach.Speaker{{
		Name:         fmt.Sprintf("%s %s", f, l),
		Organisation: "National Human Rights Institution",
		Kind:         outreach.NHRI,
		Minutes:      7,
		Email:        fmt.Sprintf("%s.%s@nhri-%s.example", slug(f), slug(l), strings.ToLower(sur)),
		Language:     lang,
	}}
	for k := 0; k < n; k++ {
		f, l := first[(i+k+1)%len(first)], last[(i*2+k)%len(last)]
		org := orgs[(i+k)%len(orgs)]
		spl := lang
		if k > 0 {
			spl = outreach.Languages[(i+k)%len(outreach.Languages)]
		}
		p = append(p, outreach.Speaker{
			Name:         fmt.Sprintf("%s %s", f, l),
			Organisation: org,
			Kind:         outreach.CSO,
			Minutes:      5 + (i+k)%3,
			Email:        fmt.Sprintf("%s.%s@%s.ngo.example", slug(f), slug(l), slug(org)),
			Language:     spl,
		})
	}
	return p
}

// slug writes s for an address: lower case ASCII letters and digits,
// accents dropped, words joined by hyphens, apostrophes left out.
func slug(s string) string {
	s = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "'", "", "’", "").Replace(strings.ToLower(s))
	var b strings.Builder
	hyphen := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
	}
	return b.String()
}
