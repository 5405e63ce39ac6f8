package templates

import (
	"fmt"
	"time"

	"outreach"
)

// samples returns the data every template is executed against at Load.
// The variants between them set and leave empty every optional part
// (phone, web, deadline, reason, previous revision, answers, panel,
// digest lists), so a mistake inside a condition is found too.
func samples() []Data {
	loc := time.FixedZone("CEST", 2*60*60)
	at := func(day, h, m int) time.Time { return time.Date(2017, time.October, day, h, m, 0, 0, loc) }
	ev := outreach.Event{
		Title:        "UPR Pre-sessions: 28th UPR Working Group session",
		UPRSession:   28,
		Venue:        "Palais des Nations, Geneva",
		Location:     loc,
		First:        at(10, 0, 0),
		Last:         at(13, 0, 0),
		Organiser:    "UPR Info",
		Mailbox:      outreach.Address{Name: "UPR Pre-sessions", Email: "rsvp@presessions.example"},
		Staff:        outreach.Address{Name: "Pre-sessions team", Email: "staff@presessions.example"},
		RSVPDeadline: at(3, 18, 0),
		Phone:        "+41 22 321 77 70",
		Web:          "https://presessions.example/28",
	}
	names := map[string]outreach.Names{
		"JPN": {EN: "Japan", FR: "Japon", ES: "Japón"},
		"CIV": {EN: "Côte d'Ivoire", FR: "Côte d'Ivoire", ES: "Côte d'Ivoire"},
		"NLD": {EN: "Netherlands (Kingdom of the)", FR: "Pays-Bas (Royaume des)", ES: "Países Bajos (Reino de los)"},
		"PER": {EN: "Peru", FR: "Pérou", ES: "Perú"},
		"KOR": {EN: "Republic of Korea", FR: "République de Corée", ES: "República de Corea"},
	}
	panel := []outreach.Speaker{
		{Name: "Ana Moreno", Organisation: "National Human Rights Institution", Kind: outreach.NHRI, Minutes: 7, Email: "ana.moreno@nhri.example"},
		{Name: "Kofi Mensah", Organisation: "Women's Rights Network", Kind: outreach.CSO, Minutes: 5, Email: "kofi.mensah@wrn.ngo.example", Language: outreach.French},
	}
	sessions := []outreach.Session{
		{SuR: "JPN", Start: at(10, 10, 0), End: at(10, 11, 0), Room: "Room XXIV", Panel: panel, SuRStatement: true, Sequence: 1, Note: "moved to Room XXIV"},
		{SuR: "CIV", Start: at(10, 14, 0), End: at(10, 15, 0), Room: "Room XXV", Panel: panel},
		{SuR: "NLD", Start: at(11, 10, 0), End: at(11, 11, 0), Room: "Room XXIV", Status: outreach.Cancelled, Sequence: 1},
		{SuR: "PER", Start: at(12, 15, 30), End: at(12, 16, 30), Room: "Room XXIV"},
		{SuR: "KOR", Start: at(13, 10, 0), End: at(13, 11, 0), Room: "Room XXV", Panel: panel},
	}
	previous := sessions[0]
	previous.Start, previous.End, previous.Room, previous.Sequence = at(9, 15, 30), at(9, 16, 30), "Room XX", 0
	mission := outreach.Mission{
		ID:       "CIV",
		Names:    names["CIV"],
		Titles:   outreach.Names{EN: "Permanent Mission of Côte d'Ivoire", FR: "Mission permanente de la Côte d'Ivoire", ES: "Misión Permanente de Côte d'Ivoire"},
		Language: outreach.French,
	}
	tally := func(i int) outreach.SessionTally {
		s := sessions[i]
		return outreach.SessionTally{SuR: s.SuR, Name: names[s.SuR].EN, Start: s.Start, End: s.End, Room: s.Room,
			Status: s.Status.String(), Invited: 195, Accepted: 31, Declined: 4, Tentative: 2, NoAnswer: 158, SuRAnswer: "accepted"}
	}
	full := Data{
		Event: ev, Mission: mission, Sessions: sessions, SuRNames: names,
		Session: &sessions[0], Previous: &previous, Reason: "the room was needed for a Council meeting",
		ReplyTo: "rsvp+civ@presessions.example",
		PageURL: "https://rsvp.presessions.example/r/q8Xy2mZt0bVnL4sW9aKc1A",
		Answers: map[string]outreach.Status{"JPN": outreach.Accepted, "CIV": outreach.Tentative, "PER": outreach.Declined},
		Digest: &DigestData{
			Since: at(2, 8, 0),
			NewAnswers: []DigestAnswer{
				{Mission: "JPN", Title: "Permanent Mission of Japan", Session: "Peru", Status: "accepted", Source: "calendar"},
				{Mission: "PER", Title: "Permanent Mission of Peru", Session: "Japan", Status: "declined", Source: "email"},
				{Mission: "CIV", Title: "Permanent Mission of Côte d'Ivoire", Session: "Japan", Status: "tentative", Source: "staff"},
			},
			ReviewOpen: 2, Bounces: []string{"geneva@xxa.example: 550 5.1.1 user unknown"}, Unreachable: []string{"XXA"},
			Tallies: []outreach.SessionTally{tally(0), tally(1), tally(2)}, OutboxFailed: 1,
			Today: []outreach.SessionTally{tally(0), tally(1)},
			Reviews: []DigestReview{{From: "someone@webmail.example", Days: 17,
				Reason: "unknown sender someone@webmail.example: not a known contact or mission domain; find the mission before recording"}},
			Failed: []DigestFailed{{Mission: "XXA", Name: "Xanadu", Kind: "invitation",
				Error: "mailer: rcpt <geneva@xxa.example>: recipient refused: 550 5.1.1 user unknown (permanent)"}},
		},
		Speaker:    &panel[1],
		Now:        at(2, 9, 0),
		AnsweredBy: outreach.FromWeb,
		PageUntil:  at(3, 18, 0),
		Delegates:  []Delegate{{Name: "Awa Koné", Email: "a.kone@civ.mission.example"}, {Name: "Jean Yao"}},
		Comment:    "Two delegates.\nThe Ambassador may join.",
	}
	sparse := full
	sparse.Event.Phone, sparse.Event.Web, sparse.Event.RSVPDeadline = "", "", time.Time{}
	sparse.Confirmed = true
	sparse.Reason, sparse.ReplyTo = "", ""
	bare := sessions[1]
	sparse.Session, sparse.Previous = &bare, nil
	sparse.Answers = map[string]outreach.Status{"CIV": outreach.Accepted}
	sparse.Digest = &DigestData{}
	sparse.Speaker = &panel[0]
	sparse.AnsweredBy, sparse.PageURL, sparse.PageUntil = outreach.FromStaff, "", time.Time{}
	sparse.Delegates, sparse.Comment = nil, ""

	moved := full
	roomOnly := sessions[0]
	roomOnly.Room = "Room XVII"
	moved.Previous = &roomOnly
	moved.Reason = ""
	moved.Answers = map[string]outreach.Status{"JPN": outreach.Tentative}
	moved.Mission.Titles.FR = `Mission <b>& "permanente" d'essai`
	moved.AnsweredBy = outreach.FromEmail

	same := sparse
	same.Previous = &bare
	same.Event.Venue = "Maison de la paix, Geneva" // not the Palais: no access rules
	return []Data{full, sparse, moved, same}
}

// check executes every template against the samples, in every language,
// and records what fails.
func (s *Set) check(p *problems) {
	data := samples()
	for _, l := range outreach.Languages {
		for i, d := range data {
			sur := d.SuRNames[d.Session.SuR]
			if out, err := execText(s.summary[l], s.summaryView(l, d.Event, sur), true); err != nil {
				p.add(string(l)+"/summary.tmpl", err)
			} else if out == "" {
				p.add(string(l)+"/summary.tmpl", fmt.Errorf("the title is empty (sample %d)", i+1))
			}
			if out, err := execText(s.description[l], s.descriptionView(l, d.Event, *d.Session, sur), false); err != nil {
				p.add(string(l)+"/description.tmpl", err)
			} else if out == "" {
				p.add(string(l)+"/description.tmpl", fmt.Errorf("the description is empty (sample %d)", i+1))
			}
		}
	}
	for _, k := range Kinds() {
		for _, l := range k.languages() {
			kt := s.kinds[setKey{l, k}]
			for _, d := range data {
				v, err := s.view(k, l, d)
				if err != nil {
					p.add(kt.textFile, fmt.Errorf("sample data: %w", err))
					continue
				}
				if _, err := kt.render(v); err != nil {
					p.addErr(err)
				}
			}
		}
	}
}

// memoizeBlocks is unset by tests to load templates without the memo, to
// compare with.
var memoizeBlocks = true

// memoize keeps the output of the sessions block of every kind, checked
// against the samples (kindTemplates.memoize).
func (s *Set) memoize() {
	if !memoizeBlocks {
		return
	}
	data := samples()
	pure := map[string]bool{}
	for name := range funcs(outreach.English) {
		pure[name] = true
	}
	for _, name := range []string{"and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge",
		"print", "printf", "println", "html", "js", "urlquery"} {
		pure[name] = true
	}
	for _, k := range Kinds() {
		for _, l := range k.languages() {
			var views []*View
			for _, d := range data {
				if v, err := s.view(k, l, d); err == nil {
					views = append(views, v)
				}
			}
			kt := s.kinds[setKey{l, k}]
			kt.memoize(views, pure)
			kt.planFill(views)
		}
	}
}
