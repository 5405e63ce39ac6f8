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
	// Each mission then gives up Benin on its reply page and accepts the
	// Republic of Korea: a withdrawal, a confirmation and a summary.
	for _, id := range missions {
		a := answers("BEN", outreach.Declined, "KOR", outreach.Accepted)
		a.Delegates = []store.PageDelegate{{Name: "Inès Núñez", Email: "i.nunez@" + strings.ToLower(id) + ".mission.example"}}
		submit(t, f, id, a)
	}
	f.flushAll()
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]outreach.MessageKind{}
	for _, it := range items {
		kinds[it.MessageID] = it.Key.Kind
	}
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
	closing := map[outreach.Language]string{outreach.English: "highest consideration", outreach.French: "haute considération", outreach.Spanish: "más alta consideración"}
	room := map[outreach.Language]string{outreach.English: "Room ", outreach.French: "Salle ", outreach.Spanish: "Sala "}
	observer := map[outreach.Language]string{outreach.English: "Permanent Observer Mission", outreach.French: "Mission permanente d'observation", outreach.Spanish: "Misión Permanente de Observación"}
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
			for line := range strings.SplitSeq(text, "\n") {
				l := strings.TrimSpace(line)
				if i := strings.Index(l, "«"); i >= 0 {
					l = l[:i]
				}
				if strings.HasPrefix(l, "- ") && strings.Contains(l, "min)") || strings.Contains(l, "@") {
					continue
				}
				if englishProse.MatchString(l) {
					t.Errorf("%s: English in a %s message: %q", where, lang, line)
				}
			}
		}
		if m.Kind == outreach.Observer && !strings.Contains(text, observer[lang]) {
			t.Errorf("%s: no %q in the letter", where, observer[lang])
		}
		if kind != outreach.Reminder && !strings.Contains(text, closing[lang]) {
			t.Errorf("%s: no complimentary close %q:\n%s", where, closing[lang], text)
		}
		for _, read := range []func([]byte) (clientcheck.Calendar, error){clientcheck.ICALJS, clientcheck.PyICalendar} {
			for _, ics := range cals {
				c, err := read(ics)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				for _, ev := range c.Events {
					if !strings.HasPrefix(ev.Location, room[lang]) {
						t.Errorf("%s: LOCATION %q not in %s", where, ev.Location, lang)
					}
					if lang == outreach.English {
						continue
					}
					for line := range strings.SplitSeq(ev.Summary+"\n"+ev.Description, "\n") {
						l := strings.TrimSpace(line)
						if i := strings.Index(l, "«"); i >= 0 {
							l = l[:i]
						}
						if strings.HasPrefix(l, "- ") && strings.Contains(l, "min)") || strings.Contains(l, "@") {
							continue
						}
						if englishProse.MatchString(l) {
							t.Errorf("%s: English in a %s calendar field: %q", where, lang, line)
						}
					}
				}
			}
		}
	}
	for _, k := range []outreach.MessageKind{outreach.Invitation, outreach.Confirmation, outreach.Update, outreach.Cancellation,
		outreach.Withdrawal, outreach.PageSummary} {
		if seen[k] == 0 {
			t.Errorf("no %s was sent", k)
		}
	}
}
