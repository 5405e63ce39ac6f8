package templates

import (
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outreach"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; diff with go test -update and git diff.\n got:\n%s", path, got)
	}
}

func messageFile(m Message) string {
	return "Subject: " + m.Subject + "\n\n----- text/plain -----\n" + m.Text + "\n----- text/html -----\n" + m.HTML
}

// scenario is one mission's story through the round: which session its
// confirmation, update, cancellation and practical note are about, how the
// session moved, and its answers.
type scenario struct {
	mission  string
	session  string
	move     func(r round, s outreach.Session) outreach.Session
	reason   string
	answers  map[string]outreach.Status
	noAnswer map[string]outreach.Status // answers when the no-answer reminder goes out
	// by is where the answer the withdrawal follows came from; page
	// says whether the reply page is still open then; delegates and
	// comment are what the mission typed on its reply page.
	by        outreach.SourceKind
	page      bool
	delegates []Delegate
	comment   string
}

func scenarios() []scenario {
	return []scenario{
		{
			// English; the update changes time and room, with a reason.
			mission: "JPN", session: "PER",
			move: func(r round, s outreach.Session) outreach.Session {
				s.Start, s.End, s.Room = r.at(time.October, 12, 15, 30), r.at(time.October, 12, 16, 30), "Room XX"
				return s
			},
			reason:    "Room XXIV is needed for a meeting of the Human Rights Council.",
			answers:   map[string]outreach.Status{"PER": outreach.Accepted, "KOR": outreach.Accepted, "CHE": outreach.Tentative, "ARG": outreach.Declined},
			noAnswer:  map[string]outreach.Status{"ARG": outreach.Declined, "KOR": outreach.Accepted},
			by:        outreach.FromStaff,
			delegates: []Delegate{{Name: "Hiroshi Tanaka", Email: "h.tanaka@jpn.mission.example"}, {Name: "Yuki Sato"}},
		},
		{
			// French; the update changes the day only, no reason.
			mission: "BEN", session: "JPN",
			move: func(r round, s outreach.Session) outreach.Session {
				s.Start, s.End = s.Start.AddDate(0, 0, 2), s.End.AddDate(0, 0, 2)
				return s
			},
			answers: map[string]outreach.Status{"JPN": outreach.Accepted, "BEN": outreach.Accepted, "GAB": outreach.Accepted},
			by:      outreach.FromEmail, page: true,
			comment: "Deux délégués participeront.\nL'Ambassadeur se joindra peut-être à eux.",
		},
		{
			// Spanish; the update changes the room only.
			mission: "PER", session: "KOR",
			move: func(r round, s outreach.Session) outreach.Session {
				s.Room = "Room XXVI"
				return s
			},
			reason:  "La sala XXIV no está disponible.",
			answers: map[string]outreach.Status{"KOR": outreach.Tentative, "PER": outreach.Accepted, "GTM": outreach.Declined},
			by:      outreach.FromWeb, page: true,
			delegates: []Delegate{{Name: "María José Quispe", Email: "mj.quispe@per.mission.example"}},
			comment:   "Asistirán dos delegados.",
		},
	}
}

func TestGoldenMessages(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	for _, sc := range scenarios() {
		m := r.missions[sc.mission]
		before := r.session(t, sc.session)
		after := sc.move(r, before)
		after.Sequence = before.Sequence + 1
		cancelled := before
		cancelled.Status, cancelled.Sequence = outreach.Cancelled, before.Sequence+1
		for _, k := range []Kind{Invitation, Confirmation, Update, Cancellation, ReminderNoAnswer, ReminderAccepted, ReminderPractical,
			Withdrawal, PageSummary} {
			t.Run(sc.mission+"/"+string(k), func(t *testing.T) {
				d := r.data(t, sc.mission)
				if sc.page && k.TextOnly() {
					d.PageURL = "https://rsvp.presessions.example/r/" + sc.mission + "q8Xy2mZt0bVnL4sW9aKc"
					d.PageUntil = r.at(time.October, 3, 18, 0)
				}
				switch k {
				case Confirmation:
					d.Session, d.Answers = &before, sc.answers
					d.Now = r.at(time.September, 20, 11, 0)
				case Update:
					d.Session, d.Previous, d.Reason = &after, &before, sc.reason
					d.Now = r.at(time.September, 28, 16, 0)
				case Cancellation:
					d.Session, d.Reason = &cancelled, sc.reason
					d.Sessions = replace(r.sessions, cancelled)
					d.Now = r.at(time.October, 2, 10, 0)
				case ReminderNoAnswer:
					d.Answers = sc.noAnswer
					d.Now = r.at(time.September, 26, 8, 0)
				case ReminderAccepted:
					d.Answers = sc.answers
					d.Now = r.at(time.October, 3, 8, 0)
				case ReminderPractical:
					// The note of the session's day: every session of that
					// day the mission attends.
					d.Sessions, d.Answers = attendedOn(r.sessions, before, sc.answers), sc.answers
					d.Now = before.Start.Add(-20 * time.Hour)
				case Withdrawal:
					d.Session, d.AnsweredBy = &before, sc.by
					d.Answers = map[string]outreach.Status{sc.session: outreach.Declined}
					d.Now = r.at(time.September, 22, 14, 0)
				case PageSummary:
					d.Answers, d.Delegates, d.Comment = sc.answers, sc.delegates, sc.comment
					d.AnsweredBy = outreach.FromWeb
					d.Now = r.at(time.September, 21, 17, 45)
				}
				msg, err := s.Render(k, m.Language, d)
				if err != nil {
					t.Fatal(err)
				}
				if k.TextOnly() {
					checkTextMessage(t, msg)
				} else {
					checkMessage(t, m.Language, msg)
				}
				golden(t, sc.mission+"-"+string(k), messageFile(msg))

				// One letter answering several Pre-sessions: each
				// confirmation carries its calendar invitation and refers
				// to the summary, which says it follows the answers given.
				var variant string
				switch k {
				case Confirmation:
					d.Covered, variant = true, "covered"
				case PageSummary:
					d.AnsweredBy, d.Delegates, d.Comment, variant = outreach.FromEmail, nil, "", "letter"
				default:
					return
				}
				msg, err = s.Render(k, m.Language, d)
				if err != nil {
					t.Fatal(err)
				}
				if k.TextOnly() {
					checkTextMessage(t, msg)
				} else {
					checkMessage(t, m.Language, msg)
				}
				if strings.Contains(msg.Text, "Programme") || strings.Contains(msg.Text, "Programa") || strings.Contains(msg.Text, "page was submitted") ||
					strings.Contains(msg.Text, "envoi de la page") || strings.Contains(msg.Text, "envío de la página") {
					t.Errorf("%s %s repeats what the summary says or names the reply page:\n%s", k, variant, msg.Text)
				}
				golden(t, sc.mission+"-"+string(k)+"-"+variant, messageFile(msg))
			})
		}
	}
}

// TestGoldenSpeakerReminder renders the note to a speaker of the session
// on Japan (which opens with the State's statement) in each language, and
// to one of the session on Czechia (no statement) in the speaker's own.
func TestGoldenSpeakerReminder(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	for _, c := range []struct {
		sur   string
		index int
		lang  outreach.Language
	}{{"JPN", 2, outreach.English}, {"JPN", 2, outreach.French}, {"JPN", 2, outreach.Spanish}, {"CZE", 0, ""}} {
		sess := r.session(t, c.sur)
		sp := sess.Panel[c.index]
		lang := c.lang
		if lang == "" {
			lang = sp.Lang()
		}
		t.Run(c.sur+"/"+string(lang), func(t *testing.T) {
			d := Data{Event: r.ev, Sessions: r.sessions, SuRNames: r.names, Session: &sess, Speaker: &sp,
				ReplyTo: r.ev.Staff.Email, Now: sess.Start.Add(-24 * time.Hour)}
			msg, err := s.Render(ReminderSpeaker, lang, d)
			if err != nil {
				t.Fatal(err)
			}
			checkMessage(t, lang, msg)
			you := map[outreach.Language]string{outreach.English: "← you", outreach.French: "← vous", outreach.Spanish: "← usted"}[lang]
			if strings.Count(msg.Text, you) != 1 || !strings.Contains(msg.Text, fmt.Sprintf("%d. %s, %s", c.index+1, sp.Name, sp.Organisation)) {
				t.Errorf("the speaker's own line is not marked once:\n%s", msg.Text)
			}
			for i, other := range sess.Panel {
				if !strings.Contains(msg.Text, fmt.Sprintf("%d. %s", i+1, other.Name)) || !strings.Contains(msg.HTML, html.EscapeString(other.Name)) {
					t.Errorf("panel line %d (%s) missing", i+1, other.Name)
				}
			}
			if strings.Contains(msg.Text, "Mission") || strings.Contains(msg.Text, "rsvp@") && !strings.Contains(msg.Text, r.ev.Staff.Email) {
				t.Errorf("a speaker's note reads as a mission's:\n%s", msg.Text)
			}
			golden(t, "speaker-"+c.sur+"-"+string(lang), messageFile(msg))
		})
	}
}

func TestGoldenDigest(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	current := []outreach.RSVP{
		{Mission: "JPN", Session: "PER", Status: outreach.Accepted},
		{Mission: "PER", Session: "PER", Status: outreach.Accepted},
		{Mission: "BEN", Session: "JPN", Status: outreach.Declined},
		{Mission: "FRA", Session: "BEN", Status: outreach.Tentative},
	}
	sessions := replace(r.sessions, func() outreach.Session {
		s := r.session(t, "LKA")
		s.Status = outreach.Cancelled
		return s
	}())
	d := Data{
		Event: r.ev,
		Digest: &DigestData{
			Since: r.at(time.September, 25, 7, 0),
			NewAnswers: []DigestAnswer{
				{Mission: "JPN", Title: "Permanent Mission of Japan", Session: "Peru", Status: "accepted", Source: "calendar"},
				{Mission: "BEN", Title: "Mission permanente du Bénin", Session: "Japan", Status: "declined", Source: "email"},
				{Mission: "FRA", Title: "Mission permanente de la France", Session: "Benin", Status: "tentative", Source: "staff"},
			},
			ReviewOpen:   2,
			Bounces:      []string{"geneva@tuv.mission.example (TUV): 550 5.1.1 user unknown"},
			Unreachable:  []string{"TUV"},
			Tallies:      outreach.Tally(r.all, sessions, current, func(string) bool { return true }),
			OutboxFailed: 1,
		},
		Now: r.at(time.September, 26, 7, 0),
	}
	// The digest is in English whatever language is asked for.
	msg, err := s.Render(Digest, outreach.French, d)
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, outreach.English, msg)
	golden(t, "digest", messageFile(msg))

	empty := d
	empty.Digest = &DigestData{}
	msg, err = s.Render(Digest, outreach.English, empty)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, "NEW ANSWERS: 0") || !strings.Contains(msg.Subject, "0 new answers") {
		t.Errorf("an empty digest should say there is nothing new:\n%s\n%s", msg.Subject, msg.Text)
	}
}

func TestGoldenCalendarText(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	var b strings.Builder
	for _, l := range outreach.Languages {
		for _, sur := range []string{"JPN", "KOR", "CZE"} {
			sess := r.session(t, sur)
			b.WriteString("== " + string(l) + " " + sur + " " + AttachmentName(r.names[sur], l) + "\n")
			b.WriteString("SUMMARY: " + s.Summary(l, r.ev, r.names[sur]) + "\n")
			b.WriteString(s.Description(l, r.ev, sess, r.names[sur]) + "\n\n")
		}
	}
	golden(t, "calendar", b.String())
}

// attendedOn returns the sessions on the day of s that answers accept or
// hold as tentative, in time order.
func attendedOn(sessions []outreach.Session, s outreach.Session, answers map[string]outreach.Status) []outreach.Session {
	var out []outreach.Session
	for _, o := range sessions {
		a := answers[o.SuR]
		if sameDay(o.Start, s.Start) && (a == outreach.Accepted || a == outreach.Tentative) {
			out = append(out, o)
		}
	}
	return out
}

// replace returns sessions with the one on the same SuR as s replaced by s.
func replace(sessions []outreach.Session, s outreach.Session) []outreach.Session {
	out := append([]outreach.Session(nil), sessions...)
	for i := range out {
		if out[i].SuR == s.SuR {
			out[i] = s
		}
	}
	return out
}

// checkTextMessage checks a plain-text message: one subject line, no
// template holes, no HTML body.
func checkTextMessage(t *testing.T, m Message) {
	t.Helper()
	if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q: want one non-empty line", m.Subject)
	}
	if m.HTML != "" {
		t.Errorf("a plain-text message has an HTML body: %.80q", m.HTML)
	}
	for part, body := range map[string]string{"subject": m.Subject, "text": m.Text} {
		for _, hole := range []string{"<no value>", "{{", "}}", "%!"} {
			if strings.Contains(body, hole) {
				t.Errorf("%s contains %q", part, hole)
			}
		}
	}
}
