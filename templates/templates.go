package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	ttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"

	"outreach"
)

// Kind is the kind of message a template writes. Its value is the stem of
// the template files ("reminder-noanswer" → fr/reminder-noanswer.txt.tmpl).
type Kind string

// The messages outreach sends.
const (
	// Invitation is the note inviting a mission to every session of the round.
	Invitation Kind = "invitation"
	// Confirmation thanks a mission that accepted a session by letter and
	// carries the calendar request for it.
	Confirmation Kind = "confirmation"
	// Update tells that a session moved and carries the new request.
	Update Kind = "update"
	// Cancellation tells that a session will not take place.
	Cancellation Kind = "cancel"
	// ReminderNoAnswer nudges a mission that has not answered.
	ReminderNoAnswer Kind = "reminder-noanswer"
	// ReminderAccepted reminds a mission of the sessions it accepted.
	ReminderAccepted Kind = "reminder-accepted"
	// ReminderPractical is the practical note sent the day before a day of
	// sessions: one note listing every session of Data.Sessions (the day's
	// sessions the mission attends) with its time, room and programme.
	ReminderPractical Kind = "reminder-practical"
	// ReminderSpeaker is the note to one of a session's speakers: when and
	// where, access, the panel in speaking order with its minutes.
	ReminderSpeaker Kind = "reminder-speaker"
	// Digest is the daily note to staff, in English only.
	Digest Kind = "digest"
	// Withdrawal acknowledges that a mission gave up a session whose
	// calendar request it had received; the engine attaches the CANCEL
	// that removes it from the mission's calendar. Plain text only.
	Withdrawal Kind = "withdrawal"
	// PageSummary lists a mission's answers as recorded after it submitted
	// its reply page, with the delegates and comment it typed. Plain text
	// only.
	PageSummary Kind = "web-summary"
)

// Kinds returns every kind of message, in a stable order.
func Kinds() []Kind {
	return []Kind{Invitation, Confirmation, Update, Cancellation,
		ReminderNoAnswer, ReminderAccepted, ReminderPractical, ReminderSpeaker, Digest,
		Withdrawal, PageSummary}
}

// TextOnly reports whether messages of kind k have no HTML body (and no
// <lang>/<kind>.html.tmpl): the messages that follow a reply page quote
// what the mission typed, which plain text shows as typed and no mail
// client can take for markup.
func (k Kind) TextOnly() bool { return k == Withdrawal || k == PageSummary }

// languages a kind is written in: every kind in the three languages, the
// digest for staff in English only.
func (k Kind) languages() []outreach.Language {
	if k == Digest {
		return []outreach.Language{outreach.English}
	}
	return outreach.Languages[:]
}

// Data is what the engine knows when it renders a message.
type Data struct {
	Event   outreach.Event
	Mission outreach.Mission
	// Sessions are every session of the round; SuRNames the names of their
	// States under Review, by mission id.
	Sessions []outreach.Session
	SuRNames map[string]outreach.Names
	// Views, when set, keeps the views of Sessions for the next message
	// showing the same list (see SessionViews).
	Views *SessionViews
	// Session is the one session for a confirmation, update, cancellation,
	// withdrawal or speaker's reminder. A practical note has none: it lists
	// Sessions.
	Session *outreach.Session
	// Previous is, for an update, the session before the move, so the
	// message can say what changed.
	Previous *outreach.Session
	// Reason says why a session was cancelled or moved, in the message's
	// language; when empty the session's note in that language is used
	// (Session.NoteIn), or its English note introduced as such, and when
	// there is none nothing is said.
	Reason string
	// ReplyTo is the mission's own reply address; Event.Mailbox when empty.
	ReplyTo string
	// PageURL is the link to the mission's reply page; empty when pages
	// are not served.
	PageURL string
	// Answers are this mission's answers by session, for reminders.
	Answers map[string]outreach.Status
	// Speaker is the panellist of Session a speaker's reminder is written
	// to; such a message has no Mission.
	Speaker *outreach.Speaker
	// Digest is the staff digest's content, for Digest only.
	Digest *DigestData
	// Confirmed is set once the UN has confirmed the dates and venue; until
	// then invitations say they are provisional.
	Confirmed bool
	// Covered is set on a confirmation sent with a summary of the answers
	// it follows (one letter or one reply page answering several
	// Pre-sessions): it then only carries the calendar invitation and
	// refers to the summary, which says what was recorded.
	Covered bool
	// AnsweredBy is where the answer a withdrawal or a summary follows came from: the
	// reply page (FromWeb), staff (FromStaff), a letter or a calendar
	// reply (anything else).
	AnsweredBy outreach.SourceKind
	// PageUntil is when the mission's reply page closes. A withdrawal and
	// a page summary offer the page again only when PageURL is set.
	PageUntil time.Time
	// Delegates and Comment are what the mission typed on its reply page,
	// for its summary.
	Delegates []Delegate
	Comment   string
	// Now is the time of rendering, from the engine's clock.
	Now time.Time
}

// Delegate is one delegate a mission named on its reply page; Email may
// be empty.
type Delegate struct {
	Name, Email string
}

// DigestData is the content of the daily digest to staff.
type DigestData struct {
	// Since is the time of the previous digest.
	Since      time.Time
	NewAnswers []DigestAnswer
	// ReviewOpen is the number of review items waiting for a person.
	ReviewOpen int
	// Bounces describes addresses that bounced since the last digest.
	Bounces []string
	// Unreachable lists missions no mail can reach.
	Unreachable []string
	Tallies     []outreach.SessionTally
	// OutboxFailed is the number of messages that failed for good.
	OutboxFailed int
	// MissedReminders describes reminders not sent since the last digest
	// because they fell due while outreach was not running and the lateness
	// limit had passed when it resumed.
	MissedReminders []string
	// Today are the sessions held on the digest's day, with their counts;
	// Next, when none is today, the next one to come.
	Today []outreach.SessionTally
	Next  *outreach.SessionTally
	// Reviews are the messages waiting for a person, oldest first;
	// Failed the messages that failed for good.
	Reviews []DigestReview
	Failed  []DigestFailed
}

// DigestReview is one message waiting for a person.
type DigestReview struct {
	From, Reason string
	Days         int // how long it has waited, in whole days
}

// DigestFailed is one message that failed for good.
type DigestFailed struct {
	Mission, Name, Kind, Error string
}

// DigestAnswer is one answer recorded since the last digest.
type DigestAnswer struct {
	Mission, Title, Session, Status, Source string
}

// Message is a rendered email: its subject and its two bodies.
type Message struct {
	Subject, Text, HTML string
}

// Set is a loaded, checked set of templates. It is safe for concurrent use.
type Set struct {
	kinds       map[setKey]*kindTemplates
	summary     map[outreach.Language]*ttemplate.Template
	description map[outreach.Language]*ttemplate.Template
	g           grammar
	overridden  []string
	// fallback is the embedded set, used by Summary and Description when an
	// operator's template fails on data the load-time check did not cover.
	fallback *Set
}

type setKey struct {
	lang outreach.Language
	kind Kind
}

type kindTemplates struct {
	subjectFile, textFile, htmlFile string
	subject, text                   *ttemplate.Template
	html                            *htemplate.Template
	// memoBlocks are the blocks the memo functions given the View print
	// (see memoize), by the function's name.
	memoBlocks map[string]string
	// fill, when set, prints the messages from one kept execution with
	// each mission's own fields filled in (see fill.go).
	fill *fillPlan
}

//go:embed files
var embedded embed.FS

// maxFileSize bounds an override file: templates are a few kilobytes.
const maxFileSize = 1 << 20

// Names of the shared files.
const (
	layoutFile = "layout.html.tmpl"
	placesFile = "places.csv"
)

func commonText(l outreach.Language) string { return string(l) + "/common.txt.tmpl" }
func commonHTML(l outreach.Language) string { return string(l) + "/common.html.tmpl" }

// Load reads the templates. With dir empty only the embedded templates are
// used; otherwise a file in dir replaces the embedded file of the same name
// (dir/fr/invitation.html.tmpl replaces fr/invitation.html.tmpl). A .tmpl or
// .csv file in dir that matches no embedded file is an error, so a
// misspelt override is not silently ignored; hidden files and other files
// are skipped.
//
// Every template is parsed and then executed against sample data, with
// several variants covering the optional parts, so that a typo or a missing
// field is an error here, naming the file, and never a blank in a sent
// message. Load reports every problem it finds.
func Load(dir string) (*Set, error) {
	files, err := embeddedFiles()
	if err != nil {
		return nil, err
	}
	base, err := build(files)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return base, nil
	}
	over, err := readOverrides(dir, files)
	if err != nil {
		return nil, err
	}
	merged := make(map[string][]byte, len(files))
	for name, data := range files {
		merged[name] = data
	}
	var names []string
	for name, data := range over {
		merged[name] = data
		names = append(names, name)
	}
	sort.Strings(names)
	s, err := build(merged)
	if err != nil {
		return nil, err
	}
	s.overridden = names
	s.fallback = base
	return s, nil
}

// Overridden lists the files Load took from the override directory.
func (s *Set) Overridden() []string { return append([]string(nil), s.overridden...) }

// embeddedFiles returns the embedded files by name relative to files/.
func embeddedFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(embedded, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, "files/")] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("templates: read embedded files: %w", err)
	}
	return out, nil
}

// readOverrides reads the operator's files from dir.
func readOverrides(dir string, known map[string][]byte) (map[string][]byte, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("templates: override directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("templates: override directory %s: not a directory", dir)
	}
	out := map[string][]byte{}
	var errs []error
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !strings.HasSuffix(name, ".tmpl") && !strings.HasSuffix(name, ".csv") {
			return nil
		}
		if _, ok := known[name]; !ok {
			errs = append(errs, fmt.Errorf("templates: %s: no embedded file has this name, so it would replace nothing (names are like fr/invitation.html.tmpl)", name))
			return nil
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("templates: %s: not a regular file", name))
			return nil
		}
		if fi.Size() > maxFileSize {
			errs = append(errs, fmt.Errorf("templates: %s: %d bytes, more than the %d allowed", name, fi.Size(), maxFileSize))
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !utf8.Valid(data) {
			errs = append(errs, fmt.Errorf("templates: %s: not UTF-8 text", name))
			return nil
		}
		out[name] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("templates: read override directory: %w", err)
	}
	return out, errors.Join(errs...)
}

// problems collects load errors once each, in order.
type problems struct {
	errs []error
	seen map[string]bool
}

func (p *problems) add(name string, err error) {
	if err != nil {
		p.addErr(fmt.Errorf("templates: %s: %w", name, err))
	}
}

func (p *problems) addErr(e error) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[e.Error()] {
		return
	}
	p.seen[e.Error()] = true
	p.errs = append(p.errs, e)
}

// build parses and checks a complete set of files.
func build(files map[string][]byte) (*Set, error) {
	s := &Set{
		kinds:       map[setKey]*kindTemplates{},
		summary:     map[outreach.Language]*ttemplate.Template{},
		description: map[outreach.Language]*ttemplate.Template{},
	}
	var p problems
	var err error
	s.g.names, err = stateForms()
	p.add("State names", err)
	s.g.places, err = parsePlaces(files[placesFile])
	p.add(placesFile, err)

	for _, l := range outreach.Languages {
		for _, name := range []string{commonText(l), commonHTML(l)} {
			p.add(name, onlyDefines(files, name))
		}
		for _, f := range []struct {
			file string
			into map[outreach.Language]*ttemplate.Template
		}{{string(l) + "/summary.tmpl", s.summary}, {string(l) + "/description.tmpl", s.description}} {
			t, name, err := parseText(l, files, f.file, commonText(l))
			p.add(name, err)
			if t != nil {
				f.into[l] = t
			}
		}
	}
	p.add(layoutFile, onlyDefines(files, layoutFile))
	for _, k := range Kinds() {
		for _, l := range k.languages() {
			kt := &kindTemplates{
				subjectFile: fmt.Sprintf("%s/%s.subject.tmpl", l, k),
				textFile:    fmt.Sprintf("%s/%s.txt.tmpl", l, k),
				htmlFile:    fmt.Sprintf("%s/%s.html.tmpl", l, k),
			}
			var name string
			kt.subject, name, err = parseText(l, files, kt.subjectFile)
			p.add(name, err)
			kt.text, name, err = parseText(l, files, kt.textFile, commonText(l))
			p.add(name, err)
			if k.TextOnly() {
				kt.htmlFile = ""
			} else {
				kt.html, name, err = parseHTML(l, files, kt.htmlFile, layoutFile, commonHTML(l))
				p.add(name, err)
			}
			if kt.subject != nil && kt.text != nil && (kt.html != nil || k.TextOnly()) {
				s.kinds[setKey{l, k}] = kt
			}
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	s.check(&p)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	s.memoize()
	return s, nil
}

// onlyDefines checks that a partial holds nothing but {{define}} blocks:
// text outside them would never be shown.
func onlyDefines(files map[string][]byte, name string) error {
	data, ok := files[name]
	if !ok {
		return errors.New("missing")
	}
	t, err := ttemplate.New(name).Funcs(funcs(outreach.English)).Parse(string(data))
	if err != nil {
		return err
	}
	if t.Tree != nil && !parse.IsEmptyTree(t.Tree.Root) {
		return errors.New(`text outside {{define "..."}} blocks is never shown; put it inside a block`)
	}
	return nil
}

// parseText parses a text template named main with the partials before it.
// It returns the name of the file a problem is in.
func parseText(l outreach.Language, files map[string][]byte, main string, partials ...string) (*ttemplate.Template, string, error) {
	t := ttemplate.New(main).Funcs(funcs(l)).Option("missingkey=error")
	if name, err := parseFiles(t, files, main, partials); err != nil {
		return nil, name, err
	}
	return t, main, nil
}

// parseFiles parses each partial into t as a template of its own name,
// then main into t itself; it returns the name of the file a problem is
// in. T is a text or an HTML template.
func parseFiles[T interface {
	New(name string) T
	Parse(text string) (T, error)
}](t T, files map[string][]byte, main string, partials []string) (string, error) {
	for _, name := range append(partials, main) {
		data, ok := files[name]
		if !ok {
			return name, errors.New("missing")
		}
		tt := t
		if name != main {
			tt = t.New(name)
		}
		if _, err := tt.Parse(string(data)); err != nil {
			return name, err
		}
	}
	return main, nil
}

// parseHTML parses an HTML template named main with the partials before it.
// The main file defines "content" and is shown through the layout.
func parseHTML(l outreach.Language, files map[string][]byte, main string, partials ...string) (*htemplate.Template, string, error) {
	t := htemplate.New(main).Funcs(funcs(l)).Option("missingkey=error")
	if name, err := parseFiles(t, files, main, partials); err != nil {
		return nil, name, err
	}
	if t.Tree != nil && !parse.IsEmptyTree(t.Tree.Root) {
		return nil, main, errors.New(`text outside {{define "content"}} is never shown; put the body inside it`)
	}
	if t.Lookup("content") == nil {
		return nil, main, errors.New(`no {{define "content"}} block: the layout shows that block as the body`)
	}
	if err := addWrappers(t, main); err != nil {
		return nil, main, err
	}
	return t, main, nil
}

// Render writes the message of kind kind in language lang. The digest is
// written in English whatever lang says. The error names the template file
// when a template fails, and says what is missing when d lacks something
// the kind needs.
func (s *Set) Render(kind Kind, lang outreach.Language, d Data) (Message, error) {
	if kind == Digest {
		lang = outreach.English
	}
	kt, ok := s.kinds[setKey{lang, kind}]
	if !ok {
		if _, err := outreach.ParseLanguage(string(lang)); err != nil {
			return Message{}, fmt.Errorf("templates: render %s: %w", kind, err)
		}
		return Message{}, fmt.Errorf("templates: render %s: unknown kind of message", kind)
	}
	v, err := s.view(kind, lang, d)
	if err != nil {
		return Message{}, fmt.Errorf("templates: render %s/%s for %s: %w", lang, kind, d.Mission.ID, err)
	}
	return kt.render(v)
}

// renderBuffers are reused between renderings: an invitation's HTML is
// some 15 KB, which a fresh buffer would reach by doubling several times.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (kt *kindTemplates) render(v *View) (Message, error) {
	if f := kt.fill; f != nil {
		if msg, ok := f.render(kt, v); ok {
			return msg, nil
		}
	}
	return kt.renderDirect(v)
}

// renderDirect executes the templates for v.
func (kt *kindTemplates) renderDirect(v *View) (Message, error) {
	out, err := kt.execute(v)
	if err != nil {
		return Message{}, err
	}
	return kt.finish(out)
}

// printed is what a kind's templates print, before the subject is made
// one line and the text tidied.
type printed struct{ subject, text, html string }

// execute executes the templates for v; v.Subject is set, for the text
// and the HTML, once the subject is printed.
func (kt *kindTemplates) execute(v *View) (printed, error) {
	b := renderBuffers.Get().(*bytes.Buffer)
	b.Reset()
	defer func() {
		if b.Cap() <= 1<<20 {
			renderBuffers.Put(b)
		}
	}()
	var out printed
	if err := kt.subject.Execute(b, v); err != nil {
		return out, fmt.Errorf("templates: %s: %w", kt.subjectFile, err)
	}
	out.subject = b.String()
	v.Subject = oneLine(out.subject)
	if v.Subject == "" {
		return out, fmt.Errorf("templates: %s: the subject is empty", kt.subjectFile)
	}
	b.Reset()
	if err := kt.text.Execute(b, v); err != nil {
		return out, fmt.Errorf("templates: %s: %w", kt.textFile, err)
	}
	out.text = b.String()
	if kt.html == nil {
		return out, nil
	}
	b.Reset()
	if err := kt.html.ExecuteTemplate(b, "layout", v); err != nil {
		return out, fmt.Errorf("templates: %s: %w", kt.htmlFile, err)
	}
	out.html = b.String()
	return out, nil
}

// finish makes the message of what the templates printed.
func (kt *kindTemplates) finish(out printed) (Message, error) {
	subject := oneLine(out.subject)
	if subject == "" {
		return Message{}, fmt.Errorf("templates: %s: the subject is empty", kt.subjectFile)
	}
	text := tidyText(out.text)
	if text == "" {
		return Message{}, fmt.Errorf("templates: %s: the text is empty", kt.textFile)
	}
	return Message{Subject: subject, Text: text, HTML: out.html}, nil
}

// Summary returns the calendar title of the session on the State under
// Review sur, from <lang>/summary.tmpl: "UPR Pre-session: Japan". It is also
// the Subject of the emails that carry a calendar request, since Exchange
// titles the appointment from the Subject. It holds no date: dates move.
func (s *Set) Summary(lang outreach.Language, ev outreach.Event, sur outreach.Names) string {
	lang, sur = known(lang), safeNames(sur)
	if out, err := execText(s.summary[lang], s.summaryView(lang, ev, sur), true); err == nil && out != "" {
		return out
	}
	if s.fallback != nil {
		return s.fallback.Summary(lang, ev, sur)
	}
	return "UPR Pre-session: " + sur.In(lang)
}

// Description returns the calendar DESCRIPTION of a session, from
// <lang>/description.tmpl: when and where, the panel (speaker,
// organisation, CSO or NHRI, minutes), the State under Review's statement,
// and how to answer.
func (s *Set) Description(lang outreach.Language, ev outreach.Event, sess outreach.Session, sur outreach.Names) string {
	lang, sess, sur = known(lang), safeSession(sess), safeNames(sur)
	v := s.descriptionView(lang, ev, sess, sur)
	if out, err := execText(s.description[lang], v, false); err == nil && out != "" {
		return out
	}
	if s.fallback != nil {
		return s.fallback.Description(lang, ev, sess, sur)
	}
	return v.Summary + "\n" + v.Session.Date + ", " + v.Session.Time + ", " + v.Session.Room
}

// Location returns the calendar LOCATION of a session in lang, the room
// and the venue with their place words translated as the message text has
// them ("Salle XXV, Palais des Nations, Genève"): LOCATION is what
// calendars show.
func (s *Set) Location(lang outreach.Language, ev outreach.Event, sess outreach.Session) string {
	lang = known(lang)
	var parts []string
	if r := oneLine(sess.Room); r != "" {
		parts = append(parts, s.g.localPlace(lang, r))
	}
	if v := oneLine(ev.Venue); v != "" {
		parts = append(parts, s.g.localPlace(lang, v))
	}
	return strings.Join(parts, ", ")
}

// summaryView is the view summary.tmpl executes against: the event and a
// session holding only the State under Review's names.
func (s *Set) summaryView(lang outreach.Language, ev outreach.Event, sur outreach.Names) *View {
	v := &View{Kind: "summary"}
	s.g.eventView(v, lang, ev, orUTC(ev.Location))
	sv := s.g.nameView(lang, sur)
	v.Session = &sv
	return v
}

// descriptionView is the view description.tmpl executes against.
func (s *Set) descriptionView(lang outreach.Language, ev outreach.Event, sess outreach.Session, sur outreach.Names) *View {
	loc := orUTC(ev.Location)
	v := &View{Kind: "description"}
	s.g.eventView(v, lang, ev, loc)
	v.ReplyTo = ev.Mailbox.Email
	sv := s.g.sessionView(lang, loc, sess, sur)
	v.Session = &sv
	v.Summary = s.Summary(lang, ev, sur)
	v.Reason, v.ReasonEnglish = reasonIn(lang, sess, "")
	return v
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

func execText(t *ttemplate.Template, v *View, line bool) (string, error) {
	if t == nil {
		return "", errors.New("no template")
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	if line {
		return oneLine(b.String()), nil
	}
	return strings.TrimSuffix(tidyText(b.String()), "\n"), nil
}

// oneLine makes a header value: whitespace runs, line breaks included,
// become one space, and control characters are dropped.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// tidyText cleans a rendered text body: no spaces at line ends, no more
// than one empty line in a row, none at the start or end, and a final line
// break. Templates can then use conditions freely.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + 1)
	blank := true // at the start, blank lines are dropped
	pending := false
	for rest, more := s, true; more; {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if line == "" {
			if !blank {
				pending = true
			}
			blank = true
			continue
		}
		if pending {
			b.WriteByte('\n')
			pending = false
		}
		b.WriteString(line)
		b.WriteByte('\n')
		blank = false
	}
	return b.String()
}

// AttachmentName returns the file name of the calendar attachment for the
// session on sur, in language lang: "Japan.ics", "Côte d'Ivoire.ics".
// Accents, apostrophes and parentheses are kept; path separators, control
// characters and the characters Windows forbids in file names are
// dropped.
func AttachmentName(sur outreach.Names, lang outreach.Language) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|`, r):
			return -1
		}
		return r
	}, sur.In(lang))
	name = strings.Join(strings.Fields(name), " ")
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	name = strings.Trim(name, ". ")
	if name == "" {
		name = "pre-session"
	}
	return name + ".ics"
}
