package jobs

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/clientcheck"
	"outreach/store"
)

// englishProse are words of English prose that have no place in a French or
// Spanish sentence.
var englishProse = regexp.MustCompile(`(?i)\b(the|and|will|please|with|your|has been|reason|room|geneva|attend|accept or decline)\b`)

// Every message of every kind a mission receives, as Python's email and
// icalendar and ical.js read it: no English prose in a French or Spanish
// body or calendar field (panel lines, addresses and a note quoted after
// saying it is in English aside), LOCATION in the mission's language, the
// observer title for the Holy See and the State of Palestine, the
// complimentary close in every note, Auto-Submitted on every automatic
// message.
func TestMessagesReadByClientsInTheirLanguage(t *testing.T) {
	clientcheck.Require(t, clientcheck.ICALJSParser, clientcheck.PyEmailParser)
	f := pageFixture(t)
	missions := []string{"BEL", "ARG", "VAT", "PSE", "AUT"}
	sendEveryKindToMissions(t, f, missions)
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]outreach.MessageKind{}
	for _, it := range items {
		kinds[it.MessageID] = it.Key.Kind
	}
	byAddr := missionsByAddress(t, f)
	seen := map[outreach.MessageKind]int{}
	for _, msg := range f.smtp.Messages() {
		m, ok := byAddr[msg.To[0]]
		if !ok {
			continue
		}
		e, err := clientcheck.PyEmail(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		kind := kinds[e.Header("Message-ID")]
		seen[kind]++
		checkMessageInLanguage(t, e, m, kind)
	}
	for _, k := range []outreach.MessageKind{outreach.Invitation, outreach.Confirmation, outreach.Update, outreach.Cancellation,
		outreach.Withdrawal, outreach.PageSummary} {
		if seen[k] == 0 {
			t.Errorf("no %s was sent", k)
		}
	}
}

// sendEveryKindToMissions invites missions, records an answer for each by
// phone, moves a session and cancels another; each mission then gives up
// Benin on its reply page and accepts the Republic of Korea: a withdrawal,
// a confirmation and a summary. Everything is sent.
func sendEveryKindToMissions(t *testing.T, f *fixture, missions []string) {
	t.Helper()
	f.inviteAndFlush(missions...)
	for _, id := range missions {
		if _, err := f.e.SetRSVP(id, "BEN", outreach.Accepted, "by phone", "staff"); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(time.Hour)
	start := zurich(t, 12, 16, 0)
	if _, err := f.e.MoveSession("JPN", Move{Start: &start, Note: "the Working Group changed its schedule"}, "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	if _, err := f.e.CancelSession("GHA", "the State under Review withdrew", "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	for _, id := range missions {
		a := answers("BEN", outreach.Declined, "KOR", outreach.Accepted)
		a.Delegates = []store.PageDelegate{{Name: "Inès Núñez", Email: "i.nunez@" + strings.ToLower(id) + ".mission.example"}}
		submit(t, f, id, a)
	}
	f.flushAll()
}

// missionsByAddress is every mission by each of its contacts' addresses.
func missionsByAddress(t *testing.T, f *fixture) map[string]outreach.Mission {
	t.Helper()
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]outreach.Mission{}
	for _, m := range ms {
		for _, c := range m.Contacts {
			byAddr[c.Email] = m
		}
	}
	return byAddr
}

var (
	clientLangClosing  = map[outreach.Language]string{outreach.English: "highest consideration", outreach.French: "haute considération", outreach.Spanish: "más alta consideración"}
	clientLangRoom     = map[outreach.Language]string{outreach.English: "Room ", outreach.French: "Salle ", outreach.Spanish: "Sala "}
	clientLangObserver = map[outreach.Language]string{outreach.English: "Permanent Observer Mission", outreach.French: "Mission permanente d'observation", outreach.Spanish: "Misión Permanente de Observación"}
)

// checkMessageInLanguage checks one message of kind to mission m, as
// Python's email read it: no defects, Auto-Submitted on every automatic
// message, no English prose outside an English body, the observer title,
// the complimentary close in every note, and its calendars.
func checkMessageInLanguage(t *testing.T, e clientcheck.Email, m outreach.Mission, kind outreach.MessageKind) {
	t.Helper()
	where := m.ID + "/" + string(kind)
	if len(e.Defects) > 0 {
		t.Errorf("%s: Python email defects %v", where, e.Defects)
	}
	if auto := e.Header("Auto-Submitted"); (kind == outreach.Invitation) != (auto == "") {
		t.Errorf("%s: Auto-Submitted %q", where, auto)
	}
	lang := m.Language
	var text string
	var cals [][]byte
	for _, p := range e.Root.Leaves() {
		switch p.ContentType {
		case "text/plain":
			text = p.Text
		case "text/calendar":
			cals = append(cals, p.Body)
		}
	}
	if lang != outreach.English {
		checkNoEnglishProse(t, where, lang, "message", text)
	}
	if m.Kind == outreach.Observer && !strings.Contains(text, clientLangObserver[lang]) {
		t.Errorf("%s: no %q in the letter", where, clientLangObserver[lang])
	}
	if kind != outreach.Reminder && !strings.Contains(text, clientLangClosing[lang]) {
		t.Errorf("%s: no complimentary close %q:\n%s", where, clientLangClosing[lang], text)
	}
	for _, read := range []func([]byte) (clientcheck.Calendar, error){clientcheck.ICALJS, clientcheck.PyICalendar} {
		for _, ics := range cals {
			checkCalendarInLanguage(t, where, lang, read, ics)
		}
	}
}

// checkCalendarInLanguage: as read, every event's LOCATION is in lang, and
// no English prose is in a French or Spanish SUMMARY or DESCRIPTION.
func checkCalendarInLanguage(t *testing.T, where string, lang outreach.Language, read func([]byte) (clientcheck.Calendar, error), ics []byte) {
	t.Helper()
	c, err := read(ics)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	for _, ev := range c.Events {
		if !strings.HasPrefix(ev.Location, clientLangRoom[lang]) {
			t.Errorf("%s: LOCATION %q not in %s", where, ev.Location, lang)
		}
		if lang == outreach.English {
			continue
		}
		checkNoEnglishProse(t, where, lang, "calendar field", ev.Summary+"\n"+ev.Description)
	}
}

// checkNoEnglishProse: no line of text has English prose, panel lines,
// addresses and a note quoted after saying it is in English aside.
func checkNoEnglishProse(t *testing.T, where string, lang outreach.Language, what, text string) {
	t.Helper()
	for line := range strings.SplitSeq(text, "\n") {
		l := strings.TrimSpace(line)
		if i := strings.Index(l, "«"); i >= 0 {
			l = l[:i]
		}
		if strings.HasPrefix(l, "- ") && strings.Contains(l, "min)") || strings.Contains(l, "@") {
			continue
		}
		if englishProse.MatchString(l) {
			t.Errorf("%s: English in a %s %s: %q", where, lang, what, line)
		}
	}
}
