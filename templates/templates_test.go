package templates

import (
	"errors"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"outreach"
)

var (
	hrefRE        = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*"([^"]*)"`)
	englishDateRE = regexp.MustCompile(`\b(January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b`)
)

// checkMessage checks what every message must be, whatever its kind: a
// one-line subject, no holes left by a template, HTML that mail clients
// render, and, in French and Spanish, no English date words.
func checkMessage(t *testing.T, l outreach.Language, m Message) {
	t.Helper()
	if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q: want one non-empty line", m.Subject)
	}
	for part, body := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
		for _, hole := range []string{"<no value>", "{{", "}}", "ZgotmplZ", "%!"} {
			if strings.Contains(body, hole) {
				t.Errorf("%s contains %q", part, hole)
			}
		}
		if !utf8.ValidString(body) {
			t.Errorf("%s is not UTF-8", part)
		}
	}
	if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>\n<html lang=\""+string(l)+"\">") {
		t.Errorf("HTML does not start with a doctype and lang=%q: %.80q", l, m.HTML)
	}
	low := strings.ToLower(m.HTML)
	for _, bad := range []string{"<style", "<script", "<img", "<link", "javascript:", "@import", "<iframe", "<form"} {
		if strings.Contains(low, bad) {
			t.Errorf("HTML contains %q, which mail clients drop or block", bad)
		}
	}
	for _, mt := range hrefRE.FindAllStringSubmatch(m.HTML, -1) {
		u := html.UnescapeString(mt[1])
		if !strings.HasPrefix(u, "mailto:") && u != "https://presessions.example/28" {
			t.Errorf("HTML links to %q: only mailto: and the organiser's web are allowed", u)
		}
	}
	if l != outreach.English {
		for part, body := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
			if w := englishDateRE.FindString(body); w != "" {
				t.Errorf("%s message: %s holds the English word %q", l, part, w)
			}
		}
	}
}

func TestEveryMissionInvitation(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	if len(r.all) != 195 || len(r.sessions) != 14 {
		t.Fatalf("directory has %d missions and %d sessions, want 195 and 14", len(r.all), len(r.sessions))
	}
	langs := map[outreach.Language]int{}
	for _, m := range r.all {
		d := r.data(t, m.ID)
		msg, err := s.Render(Invitation, m.Language, d)
		if err != nil {
			t.Errorf("%s: %v", m.ID, err)
			continue
		}
		langs[m.Language]++
		title := m.Title()
		if !strings.Contains(msg.Text, title) {
			t.Errorf("%s: the text does not contain the title %q", m.ID, title)
		}
		if !strings.Contains(msg.HTML, html.EscapeString(title)) {
			t.Errorf("%s: the HTML does not contain the title %q", m.ID, title)
		}
		for _, sess := range r.sessions {
			name := r.names[sess.SuR].In(m.Language)
			if !strings.Contains(msg.Text, name) {
				t.Errorf("%s (%s): the text does not name the session on %q", m.ID, m.Language, name)
			}
			if !strings.Contains(msg.HTML, ">"+html.EscapeString(name)+"<") {
				t.Errorf("%s (%s): the HTML table does not name the session on %q", m.ID, m.Language, name)
			}
		}
		if !strings.Contains(msg.Text, d.ReplyTo) {
			t.Errorf("%s: the text does not say where to reply (%s)", m.ID, d.ReplyTo)
		}
	}
	if langs[outreach.English] == 0 || langs[outreach.French] == 0 || langs[outreach.Spanish] == 0 {
		t.Errorf("invitations by language %v: want all three used", langs)
	}
}

func TestInvitationContent(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"JPN", []string{
			"UPR Info presents its compliments to the Permanent Mission of Japan and has the honour to invite it",
			"all Permanent Missions are invited to every Pre-session, including the States under Review",
			"the dates and venue are provisional",
			"by Tuesday 3 October 2017",
			"Tuesday 10 October 2017\n  10:00–11:00  Room XXIV  Argentina\n",
			"11:30–12:30  Room XXIV  Republic of Korea",
			"accept the calendar invitations attached to this email, one for each Pre-session",
			"+41 22 321 77 70", "https://presessions.example/28", "rsvp@presessions.example",
			"avails itself of this opportunity to renew to the Permanent Mission of Japan the assurances of its highest consideration",
		}},
		{"BEN", []string{
			"UPR Info présente ses compliments à la Mission permanente du Bénin et a l'honneur de l'inviter",
			"du 10 au 13 octobre 2017", "28e session",
			"y compris les États sous examen",
			"les dates et le lieu restent provisoires",
			"d'ici au mardi 3 octobre 2017",
			"Mardi 10 octobre 2017\n  10:00–11:00  Salle XXIV  Argentine\n",
			"« Nous assisterons aux Pré-sessions sur l'Argentine et le Bénin »",
			"saisit cette occasion pour renouveler à la Mission permanente du Bénin les assurances de sa haute considération",
			"Genève, le 15 septembre 2017",
		}},
		{"PER", []string{
			"UPR Info saluda atentamente a la Misión Permanente del Perú y tiene el honor de invitarla",
			"del 10 al 13 de octubre de 2017", "28.º período de sesiones",
			"incluidos los Estados examinados",
			"las fechas y el lugar son provisionales",
			"a más tardar el martes 3 de octubre de 2017",
			"Martes 10 de octubre de 2017\n  10:00–11:00  Sala XXIV  Argentina\n",
			"«Asistiremos a las Pre-sesiones sobre la Argentina y Benin»",
			"aprovecha la oportunidad para reiterar a la Misión Permanente del Perú las seguridades de su más alta consideración",
			"Ginebra, 15 de septiembre de 2017",
		}},
	} {
		m := r.missions[tc.id]
		msg, err := s.Render(Invitation, m.Language, r.data(t, tc.id))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg.Text, w) {
				t.Errorf("%s invitation: text lacks %q", tc.id, w)
			}
		}
	}
}

func TestInvitationConfirmedAndLate(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	d := r.data(t, "JPN")
	d.Confirmed = true
	d.Now = r.at(time.October, 5, 9, 0) // after the RSVP deadline
	msg, err := s.Render(Invitation, outreach.English, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.Text, "provisional") || strings.Contains(msg.HTML, "provisional") {
		t.Error("a confirmed event is still called provisional")
	}
	if strings.Contains(msg.Text, "by Tuesday 3 October 2017") {
		t.Error("an invitation sent after the deadline still asks for an answer by it")
	}
}

func TestCancelledSessionInInvitation(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	lka := r.session(t, "LKA")
	lka.Status = outreach.Cancelled
	d := r.data(t, "BEN")
	d.Sessions = replace(r.sessions, lka)
	msg, err := s.Render(Invitation, outreach.French, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, "Sri Lanka (annulée)") || !strings.Contains(msg.HTML, "<s>Sri Lanka</s> (annulée)") {
		t.Errorf("the cancelled session is not marked:\n%s", msg.Text)
	}
}

func TestHTMLEscaping(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	for _, l := range outreach.Languages {
		d := r.data(t, "JPN")
		d.Mission.Titles = outreach.Names{EN: `Mission <b>& "X"`, FR: `Mission <b>& "X"`, ES: `Mission <b>& "X"`}
		names := map[string]outreach.Names{}
		for k, v := range r.names {
			names[k] = v
		}
		names["GHA"] = outreach.Names{EN: "<script>alert(1)</script>", FR: "<script>alert(1)</script>", ES: "<script>alert(1)</script>"}
		d.SuRNames = names
		msg, err := s.Render(Invitation, l, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(msg.HTML, "<b>&") || strings.Contains(msg.HTML, "<script>") {
			t.Errorf("%s: the HTML holds a title or name unescaped", l)
		}
		if !strings.Contains(msg.HTML, "Mission &lt;b&gt;&amp; &#34;X&#34;") {
			t.Errorf("%s: the HTML does not hold the escaped title", l)
		}
		if !strings.Contains(msg.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the HTML does not hold the escaped SuR name", l)
		}
		if !strings.Contains(msg.Text, `Mission <b>& "X"`) {
			t.Errorf("%s: the text part should hold the title as it is", l)
		}
	}
}

func TestSummary(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	for _, tc := range []struct {
		l    outreach.Language
		sur  string
		want string
	}{
		{outreach.English, "JPN", "UPR Pre-session: Japan"},
		{outreach.French, "JPN", "Pré-session de l'EPU : Japon"},
		{outreach.Spanish, "JPN", "Pre-sesión del EPU: Japón"},
		{outreach.French, "CIV", "Pré-session de l'EPU : Côte d'Ivoire"},
		{outreach.Spanish, "KOR", "Pre-sesión del EPU: República de Corea"},
		{"de", "JPN", "UPR Pre-session: Japan"},
	} {
		if got := s.Summary(tc.l, r.ev, r.names[tc.sur]); got != tc.want {
			t.Errorf("Summary(%s, %s) = %q, want %q", tc.l, tc.sur, got, tc.want)
		}
	}
	// The calendar request emails carry the summary as their subject, so
	// Exchange names the appointment right.
	for _, l := range outreach.Languages {
		jpn := r.session(t, "JPN")
		for _, k := range []Kind{Confirmation, Update} {
			d := r.data(t, "BEN")
			d.Session, d.Previous = &jpn, &jpn
			msg, err := s.Render(k, l, d)
			if err != nil {
				t.Fatal(err)
			}
			if want := s.Summary(l, r.ev, r.names["JPN"]); msg.Subject != want {
				t.Errorf("%s %s subject %q, want the calendar title %q", l, k, msg.Subject, want)
			}
		}
	}
}

func TestDescription(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	jpn := r.session(t, "JPN")
	for _, l := range outreach.Languages {
		got := s.Description(l, r.ev, jpn, r.names["JPN"])
		for _, sp := range jpn.Panel {
			if !strings.Contains(got, sp.Name) || !strings.Contains(got, sp.Organisation) {
				t.Errorf("%s: the description lacks speaker %s of %s", l, sp.Name, sp.Organisation)
			}
		}
		if !strings.Contains(got, "14:00–15:00") || !strings.Contains(got, r.ev.Mailbox.Email) {
			t.Errorf("%s: the description lacks the time or the address to answer:\n%s", l, got)
		}
	}
	if got := s.Description(outreach.French, r.ev, jpn, r.names["JPN"]); !strings.Contains(got, "(INDH, 7 min)") || !strings.Contains(got, "(OSC, ") {
		t.Errorf("French description does not call speakers INDH and OSC:\n%s", got)
	}
}

func TestRenderNeedsData(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	noZone := r.data(t, "JPN")
	noZone.Event.Location = nil
	unknownSuR := r.data(t, "JPN")
	unknownSuR.SuRNames = map[string]outreach.Names{"JPN": r.names["JPN"]}
	answeredAll := r.data(t, "JPN")
	answeredAll.Answers = map[string]outreach.Status{}
	for _, ss := range r.sessions {
		answeredAll.Answers[ss.SuR] = outreach.Declined
	}
	jpn := r.session(t, "JPN")
	called := jpn
	called.Status = outreach.Cancelled
	practicalNone := r.data(t, "JPN") // its one session was cancelled
	practicalNone.Sessions = []outreach.Session{called}
	speakerless := r.data(t, "JPN")
	speakerless.Session = &jpn
	stranger := speakerless
	stranger.Speaker = &outreach.Speaker{Name: "Eva Keller", Organisation: "Nobody", Kind: outreach.CSO, Minutes: 5, Email: "eva@nobody.example"}
	for _, tc := range []struct {
		name string
		kind Kind
		lang outreach.Language
		d    Data
		want string
	}{
		{"speaker's reminder without session", ReminderSpeaker, outreach.English, r.data(t, "JPN"), "Data.Session"},
		{"speaker's reminder without speaker", ReminderSpeaker, outreach.Spanish, speakerless, "Data.Speaker"},
		{"speaker's reminder to someone off the panel", ReminderSpeaker, outreach.English, stranger, "Eva Keller is not on the panel of JPN"},
		{"confirmation without session", Confirmation, outreach.English, r.data(t, "JPN"), "Data.Session"},
		{"practical note without a session taking place", ReminderPractical, outreach.French, practicalNone, "Data.Sessions"},
		{"invitation without sessions", Invitation, outreach.English, Data{Event: r.ev, Mission: r.missions["JPN"], Now: r.ev.First}, "Data.Sessions"},
		{"no time zone", Invitation, outreach.English, noZone, "time zone"},
		{"no rendering time", Invitation, outreach.English, Data{Event: r.ev, Mission: r.missions["JPN"], Sessions: r.sessions, SuRNames: r.names}, "Data.Now"},
		{"unknown SuR", Invitation, outreach.English, unknownSuR, "ARG"},
		{"accepted reminder without acceptances", ReminderAccepted, outreach.English, r.data(t, "JPN"), "accepted no session"},
		{"no-answer reminder when all answered", ReminderNoAnswer, outreach.English, answeredAll, "nothing to remind"},
		{"digest without data", Digest, outreach.English, Data{Event: r.ev, Now: r.ev.First}, "Data.Digest"},
		{"unknown language", Invitation, "de", r.data(t, "JPN"), `unknown language "de"`},
		{"unknown kind", "thanks", outreach.English, r.data(t, "JPN"), "unknown kind"},
	} {
		_, err := s.Render(tc.kind, tc.lang, tc.d)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "templates: ") {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestReminderLists(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	d := r.data(t, "JPN")
	d.Answers = map[string]outreach.Status{"PER": outreach.Accepted, "KOR": outreach.Accepted, "ARG": outreach.Declined}
	msg, err := s.Render(ReminderAccepted, outreach.English, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"  - Peru: Thursday 12 October 2017, 10:00–11:00, Room XXIV", "  - Republic of Korea: Thursday 12 October 2017, 11:30–12:30, Room XXIV"} {
		if !strings.Contains(msg.Text, w) {
			t.Errorf("accepted reminder lacks %q:\n%s", w, msg.Text)
		}
	}
	if strings.Contains(msg.Text, "Argentina") {
		t.Error("accepted reminder lists a declined session")
	}
	msg, err = s.Render(ReminderNoAnswer, outreach.English, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.Text, "Peru") || strings.Contains(msg.Text, "Argentina") || !strings.Contains(msg.Text, "Zambia") {
		t.Errorf("no-answer reminder should list only the sessions without an answer:\n%s", msg.Text)
	}
}

func TestAttachmentName(t *testing.T) {
	for _, tc := range []struct {
		n    outreach.Names
		l    outreach.Language
		want string
	}{
		{outreach.Names{EN: "Japan", FR: "Japon", ES: "Japón"}, outreach.English, "Japan.ics"},
		{outreach.Names{EN: "Japan", FR: "Japon", ES: "Japón"}, outreach.Spanish, "Japón.ics"},
		{outreach.Names{EN: "Côte d'Ivoire"}, outreach.French, "Côte d'Ivoire.ics"},
		{outreach.Names{EN: "Bolivia (Plurinational State of)"}, outreach.English, "Bolivia (Plurinational State of).ics"},
		{outreach.Names{EN: "A/B\\C: D?*<>|\"E"}, outreach.English, "ABC DE.ics"},
		{outreach.Names{EN: "Line\r\nbreak\x00\tand  tab"}, outreach.English, "Line break and tab.ics"},
		{outreach.Names{EN: ".."}, outreach.English, "pre-session.ics"},
		{outreach.Names{EN: "  "}, outreach.English, "pre-session.ics"},
		{outreach.Names{EN: "bad \xff utf8"}, outreach.English, "bad utf8.ics"},
	} {
		if got := AttachmentName(tc.n, tc.l); got != tc.want {
			t.Errorf("AttachmentName(%q, %s) = %q, want %q", tc.n.In(tc.l), tc.l, got, tc.want)
		}
	}
}

func TestConcurrentRender(t *testing.T) {
	s := mustLoad(t, "")
	r := loadRound(t)
	want, err := s.Render(Invitation, outreach.French, r.data(t, "BEN"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				got, err := s.Render(Invitation, outreach.French, r.data(t, "BEN"))
				if err != nil {
					errs <- err
					return
				}
				if got != want {
					errs <- errors.New("concurrent renders differ")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// writeFiles creates files under dir, making folders as needed.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadOverride(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"en/invitation.subject.tmpl": "Pre-sessions {{.Dates}}: invitation to the {{.Title}}\n",
		"es/summary.tmpl":            "Pre-sesión {{.Session.On}}",
		"README.txt":                 "operators' notes are ignored",
		".hidden/x.tmpl":             "{{.Nope}}",
		"fr/invitation.txt.tmpl~":    "an editor's backup is ignored",
	})
	s := mustLoad(t, dir)
	if got := s.Overridden(); strings.Join(got, ",") != "en/invitation.subject.tmpl,es/summary.tmpl" {
		t.Errorf("Overridden() = %v", got)
	}
	r := loadRound(t)
	msg, err := s.Render(Invitation, outreach.English, r.data(t, "JPN"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Pre-sessions 10–13 October 2017: invitation to the Permanent Mission of Japan"; msg.Subject != want {
		t.Errorf("subject %q, want the override's %q", msg.Subject, want)
	}
	if got := s.Summary(outreach.Spanish, r.ev, r.names["PER"]); got != "Pre-sesión sobre el Perú" {
		t.Errorf("overridden Spanish summary = %q", got)
	}
	// What was not overridden stays embedded.
	if got := s.Summary(outreach.French, r.ev, r.names["JPN"]); got != "Pré-session de l'EPU : Japon" {
		t.Errorf("French summary = %q", got)
	}
	msg, err = s.Render(Invitation, outreach.French, r.data(t, "BEN"))
	if err != nil || !strings.HasPrefix(msg.Subject, "Invitation : ") {
		t.Errorf("French invitation subject %q, %v: want the embedded one", msg.Subject, err)
	}
}

func TestLoadOverrideErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing field", map[string]string{
			"fr/invitation.html.tmpl": `{{define "content"}}<p>{{.Mission.Titel}}</p>{{end}}`,
		}, []string{"templates: fr/invitation.html.tmpl:", "Titel"}},
		{"missing field in a condition", map[string]string{
			"en/update.txt.tmpl": `{{if .Reason}}{{.Reasons}}{{end}}{{.Title}}`,
		}, []string{"templates: en/update.txt.tmpl:", "Reasons"}},
		{"missing field in the subject", map[string]string{
			"es/cancel.subject.tmpl": `{{.Summary}} {{.Sesion.Date}}`,
		}, []string{"templates: es/cancel.subject.tmpl:", "Sesion"}},
		{"unknown block", map[string]string{
			"en/confirmation.txt.tmpl": `{{template "thanks" .}}`,
		}, []string{"templates: en/confirmation.txt.tmpl:", `template "thanks" not defined`}},
		{"unknown function", map[string]string{
			"fr/reminder-noanswer.txt.tmpl": `{{upper .Title}}`,
		}, []string{"templates: fr/reminder-noanswer.txt.tmpl:", `function "upper" not defined`}},
		{"syntax", map[string]string{
			"es/invitation.txt.tmpl": `{{.Title`,
		}, []string{"templates: es/invitation.txt.tmpl:", "unclosed action"}},
		{"empty subject", map[string]string{
			"en/invitation.subject.tmpl": `{{/* nothing */}}`,
		}, []string{"templates: en/invitation.subject.tmpl:", "subject is empty"}},
		{"html body outside content", map[string]string{
			"en/invitation.html.tmpl": `<p>{{.Title}}</p>`,
		}, []string{"templates: en/invitation.html.tmpl:", `{{define "content"}}`}},
		{"text outside blocks in a partial", map[string]string{
			"fr/common.txt.tmpl": `stray text`,
		}, []string{"templates: fr/common.txt.tmpl:", "never shown"}},
		{"misspelt file name", map[string]string{
			"en/invitaton.txt.tmpl": `{{.Title}}`,
		}, []string{"templates: en/invitaton.txt.tmpl:", "replace nothing"}},
		{"digest in French", map[string]string{
			"fr/digest.txt.tmpl": `{{.Title}}`,
		}, []string{"templates: fr/digest.txt.tmpl:"}},
		{"State names are the directory's, not a template file", map[string]string{
			"countries.csv": "lang,name,the,of\nen,Japan,Japan,of Japan\n",
		}, []string{"templates: countries.csv:", "replace nothing"}},
		{"not UTF-8", map[string]string{
			"en/cancel.txt.tmpl": "\xff\xfe",
		}, []string{"templates: en/cancel.txt.tmpl: not UTF-8"}},
		{"every problem at once", map[string]string{
			"en/cancel.txt.tmpl": `{{.A}}`,
			"fr/cancel.txt.tmpl": `{{.B}}`,
		}, []string{"en/cancel.txt.tmpl", "fr/cancel.txt.tmpl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			s, err := Load(dir)
			if err == nil {
				t.Fatalf("Load accepted %v", tc.files)
			}
			if s != nil {
				t.Error("Load returned a set with its error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "templates: override directory") {
		t.Errorf("Load of a missing directory: %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	writeFiles(t, filepath.Dir(f), map[string]string{"file": "x"})
	if _, err := Load(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Load of a file: %v", err)
	}
}
