package templates

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"outreach"
)

// englishWords are words of English prose that have no place in a French or
// Spanish sentence (checked as whole words, case-insensitively).
var englishWords = regexp.MustCompile(`(?i)\b(the|and|will|please|with|which|your|its|has been|reason|room|geneva|meeting|attend|thank|regards|permanent mission|pre-session|calendar|accept|decline|informed|written|automatically|removed|answers)\b`)

// englishIn returns the lines of text that read as English, leaving out the
// programme's panel lines (speakers' organisations keep their own names),
// addresses and a note staff gave in English only, which the message quotes
// after saying so.
func englishIn(text string) []string {
	var bad []string
	for line := range strings.SplitSeq(text, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "- ") && strings.Contains(l, "min)") {
			continue // a speaker and their organisation
		}
		if i := strings.IndexAny(l, "«"); i >= 0 {
			l = l[:i]
		}
		l = regexp.MustCompile(`\S+@\S+|https?://\S+`).ReplaceAllString(l, "")
		if englishWords.MatchString(l) {
			bad = append(bad, line)
		}
	}
	return bad
}

// Every message to a mission, and its calendar fields, is in the mission's
// language: no English sentence in French or Spanish, LOCATION in the
// language, observer missions called Permanent Observer Missions
// throughout, and every message that opens as a note ending with the
// complimentary close.
func TestEveryMessageInItsLanguage(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	before := r.session(t, "JPN")
	after := before
	after.Room, after.Sequence = "Room XXVI", before.Sequence+1
	after.Note = "Room XXIV is needed for a meeting of the Human Rights Council."
	cancelled := before
	cancelled.Status, cancelled.Sequence = outreach.Cancelled, before.Sequence+1
	cancelled.Note = "the State under Review asked for a later date"
	answers := map[string]outreach.Status{"JPN": outreach.Accepted, "KOR": outreach.Tentative}
	v := versions{before: before, after: after, cancelled: cancelled, answers: answers}
	notes := map[Kind]bool{Invitation: true, Confirmation: true, Update: true, Cancellation: true, ReminderNoAnswer: true,
		Withdrawal: true, PageSummary: true}
	var messages []message
	for _, k := range []Kind{Invitation, Confirmation, Update, Cancellation, ReminderNoAnswer, ReminderAccepted, ReminderPractical} {
		messages = append(messages, message{k: k})
	}
	messages = append(messages, message{k: Confirmation, covered: true},
		message{k: PageSummary, by: outreach.FromWeb}, message{k: PageSummary, by: outreach.FromEmail})
	for _, by := range []outreach.SourceKind{outreach.FromWeb, outreach.FromEmail, outreach.FromStaff, outreach.FromCalendar} {
		messages = append(messages, message{k: Withdrawal, by: by})
	}
	for _, id := range []string{"VAT", "PSE", "BEN", "PER", "JPN"} {
		for _, lang := range outreach.Languages {
			m := r.missions[id]
			m.Language = lang
			observer := m.Kind == outreach.Observer
			for _, mk := range messages {
				k := mk.k
				d := r.data(t, id)
				d.Mission = m
				v.fill(t, r, &d, mk, id)
				msg, err := s.Render(k, lang, d)
				if err != nil {
					t.Fatalf("%s %s %s: %v", id, lang, k, err)
				}
				where := id + "/" + string(lang) + "/" + string(k)
				if mk.by != "" {
					where += "(" + string(mk.by) + ")"
				}
				if mk.covered {
					where += "(covered)"
				}
				checkNoteInItsLanguage(t, where, lang, observer, notes[k], msg)
			}
			checkCalendarInItsLanguage(t, s, r, id, lang, before, cancelled)
		}
	}
	// The word list catches what the issue found.
	for _, text := range []string{"Motif : the State under Review has asked …", "Salle XXV, Palais des Nations, Geneva",
		"Pour répondre, use Accept or Decline in your calendar."} {
		if len(englishIn(text)) == 0 {
			t.Errorf("the word list misses %q", text)
		}
	}
	if got := s.Summary(outreach.French, r.ev, r.names["JPN"]); got != "Pré-session de l'EPU : Japon" {
		t.Errorf("French title %q", got)
	}
}

// message is one message of the test: its kind, who answered (a withdrawal
// or a summary) and whether a summary covers it (a confirmation).
type message struct {
	k       Kind
	by      outreach.SourceKind // for a withdrawal or a summary
	covered bool                // a confirmation sent with a summary
}

// versions are the session of the test as planned, moved and cancelled,
// and the answers the mission gave.
type versions struct {
	before, after, cancelled outreach.Session
	answers                  map[string]outreach.Status
}

// fill gives d what a message of mk's kind is written from.
func (v versions) fill(t *testing.T, r round, d *Data, mk message, id string) {
	before, after, cancelled, answers := v.before, v.after, v.cancelled, v.answers
	switch mk.k {
	case Confirmation:
		d.Session, d.Answers, d.Covered = &before, answers, mk.covered
		d.Now = r.at(time.October, 9, 9, 0)
	case ReminderPractical:
		// The day's note for two sessions of 11 October.
		d.Sessions = []outreach.Session{r.session(t, "GHA"), before}
		d.Answers = map[string]outreach.Status{"GHA": outreach.Tentative, "JPN": outreach.Accepted}
		d.Now = r.at(time.October, 10, 9, 30)
	case Update:
		d.Session, d.Previous = &after, &before
	case Cancellation:
		d.Session = &cancelled
		d.Sessions = replace(r.sessions, cancelled)
	case ReminderAccepted:
		d.Answers = answers
	case Withdrawal:
		d.Session, d.AnsweredBy = &before, mk.by
		d.PageURL, d.PageUntil = "https://rsvp.presessions.example/r/"+id, r.at(time.October, 3, 18, 0)
	case PageSummary:
		d.Answers, d.AnsweredBy = answers, mk.by
		d.Delegates = []Delegate{{Name: "Inès Núñez", Email: "i.nunez@mission.example"}, {Name: "Jo Tan"}}
		d.PageURL, d.PageUntil = "https://rsvp.presessions.example/r/"+id, r.at(time.October, 3, 18, 0)
	}
}

// The words each language closes a note with, calls a mission by, and
// names the room with.
var (
	noteClose = map[outreach.Language]string{outreach.English: "assurances of its highest consideration",
		outreach.French: "les assurances de sa haute considération", outreach.Spanish: "las seguridades de su más alta consideración"}
	designations = map[outreach.Language][2]string{outreach.English: {"Permanent Mission", "Permanent Observer Mission"},
		outreach.French: {"Mission permanente", "Mission permanente d'observation"}, outreach.Spanish: {"Misión Permanente", "Misión Permanente de Observación"}}
	places = map[outreach.Language]string{outreach.English: "Room XXV, Palais des Nations, Geneva",
		outreach.French: "Salle XXV, Palais des Nations, Genève", outreach.Spanish: "Sala XXV, Palacio de las Naciones, Ginebra"}
)

// checkNoteInItsLanguage checks a rendered message: no English in another
// language, an observer called so, and a note closed as a note.
func checkNoteInItsLanguage(t *testing.T, where string, lang outreach.Language, observer, note bool, msg Message) {
	t.Helper()
	if lang != outreach.English {
		for _, part := range []string{msg.Subject, msg.Text} {
			if bad := englishIn(part); len(bad) > 0 {
				t.Errorf("%s: English in a %s message:\n  %s", where, lang, strings.Join(bad, "\n  "))
			}
		}
	}
	ds := designations[lang]
	if observer {
		plain := strings.Count(msg.Text, ds[0]) - strings.Count(msg.Text, ds[1])
		if lang == outreach.English {
			plain = len(regexp.MustCompile(`Permanent Mission([^s]|$)`).FindAllString(msg.Text, -1))
		}
		if plain > 0 || !strings.Contains(msg.Text, ds[1]) {
			t.Errorf("%s: an observer mission is called %q %d times, %q nowhere or less:\n%s", where, ds[0], plain, ds[1], msg.Text)
		}
	}
	if note && !strings.Contains(msg.Text, noteClose[lang]) {
		t.Errorf("%s: opens as a note and lacks the complimentary close %q:\n%s", where, noteClose[lang], msg.Text)
	}
	if note && strings.Contains(msg.Text, "\n--\n") {
		t.Errorf("%s: a note ends with an email signature", where)
	}
}

// checkCalendarInItsLanguage checks the calendar fields of a session as
// planned and cancelled.
func checkCalendarInItsLanguage(t *testing.T, s *Set, r round, id string, lang outreach.Language, before, cancelled outreach.Session) {
	t.Helper()
	for _, sess := range []outreach.Session{before, cancelled} {
		where := id + "/" + string(lang) + "/calendar/" + sess.Status.String()
		loc := s.Location(lang, r.ev, sess)
		if loc != places[lang] {
			t.Errorf("%s: LOCATION %q, want %q", where, loc, places[lang])
		}
		desc := s.Description(lang, r.ev, sess, r.names["JPN"])
		sum := s.Summary(lang, r.ev, r.names["JPN"])
		if lang != outreach.English {
			if bad := englishIn(sum + "\n" + desc); len(bad) > 0 {
				t.Errorf("%s: English in a %s calendar field:\n  %s", where, lang, strings.Join(bad, "\n  "))
			}
		}
		if sess.Status == outreach.Cancelled {
			for _, w := range []string{"Accept", "Aceptar", "Accepter", "Programme", "Programa"} {
				if strings.Contains(desc, w) {
					t.Errorf("%s: a cancellation's description has %q:\n%s", where, w, desc)
				}
			}
		}
	}
}
