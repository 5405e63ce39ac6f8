package templates

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"outreach"
)

// View is the value every template executes against. Its fields are the
// whole vocabulary of the templates: an operator's override may use any of
// them, and a name that is not here fails at Load. Dates and times are
// already in the event's time zone (Geneva) and already written in the
// template's language.
type View struct {
	// Lang is the language of the template ("en", "fr", "es"); the HTML
	// layout writes it as the lang attribute.
	Lang outreach.Language
	Kind Kind
	// Subject is the rendered subject line, for the HTML <title>; it is
	// empty while the subject itself is rendered.
	Subject string

	Event outreach.Event
	// Venue is Event.Venue with its place words in Lang ("Palais des
	// Nations, Genève").
	Venue string
	// Dates is the span of the round, for headings ("10–13 October 2017");
	// When the same after a verb ("from 10 to 13 October 2017", "du 10 au
	// 13 octobre 2017", "del 10 al 13 de octubre de 2017").
	Dates, When string
	// Provisional is set until the UN has confirmed the dates and venue.
	Provisional bool
	// Deadline is the RSVP deadline as a date ("Tuesday 3 October 2017"),
	// or empty when the event sets none or it has passed.
	Deadline string
	// AtPalais is set when the venue is the Palais des Nations, whose
	// access rules the practical reminder explains.
	AtPalais bool
	// Mailbox is the organiser's address; ReplyTo the address this
	// mission's answers go to (Mailbox unless the engine gave another).
	Mailbox, ReplyTo string
	// PageURL is the link to this mission's reply page, where it answers
	// for every Pre-session at once; empty when there is none.
	PageURL string

	Mission outreach.Mission
	// Speaker is the panellist a speaker's reminder is written to (nil in
	// every message to a mission); their line in Session.Panel has You set.
	Speaker *SpeakerView
	// Title is the mission's formal title in Lang ("Mission permanente du
	// Japon"); Name its State's short name in Lang.
	Title, Name string
	// Designation is what the mission is called after the opening, without
	// its State: "Permanent Mission", or for an observer State (Holy See,
	// State of Palestine) "Permanent Observer Mission"; "Mission
	// permanente (d'observation)", "Misión Permanente (de Observación)".
	Designation string

	// Sessions are every session of the round in time order, cancelled ones
	// included (marked Cancelled); Scheduled only those taking place.
	Sessions, Scheduled Sessions
	// Session is the one session a confirmation, update, cancellation or
	// practical reminder is about; Summary its calendar title.
	Session *SessionView
	Summary string
	// Previous is the session before an update moved it, and Changed says
	// what the move changed.
	Previous *SessionView
	Changed  Changes
	// Reason says why a session moved or was cancelled; may be empty.
	// ReasonEnglish is set when staff gave it in English only and the
	// template's language is another: the template then says so before
	// quoting it.
	Reason        string
	ReasonEnglish bool
	// Accepted, Tentative, Declined and Unanswered split the scheduled
	// sessions by this mission's answers.
	Accepted, Tentative, Declined, Unanswered Sessions

	// Covered marks a confirmation sent with a summary of the answers it
	// follows: it carries the calendar invitation and refers to the
	// summary instead of repeating it.
	Covered bool

	// AnsweredBy, in a withdrawal, is where the mission's answer came
	// from: "web" (its reply page), "staff" (it told the organiser) or
	// "email" (a letter or a calendar reply).
	AnsweredBy string
	// PageUntil is the date the reply page closes ("Tuesday 3 October
	// 2017"), empty when unknown.
	PageUntil string
	// Delegates and Comment are what the mission typed on its reply page,
	// the comment one line per element.
	Delegates []Delegate
	Comment   []string

	Digest *DigestView

	// Now is the time of rendering, in the event's time zone; Today is its
	// date without the weekday ("26 September 2017").
	Now   time.Time
	Today string
}

// Changes says what moved between two revisions of a session.
type Changes struct {
	Date, Time, Room bool
}

// Any reports whether the date, time or room changed.
func (c Changes) Any() bool { return c.Date || c.Time || c.Room }

// SessionView is one session as the templates show it.
type SessionView struct {
	SuR string
	// Name is the State under Review's short name in the template's
	// language ("Japon"); The the name as it reads in a sentence ("le
	// Japon", "el Perú", "the Republic of Korea"); On the session's subject
	// ("sur le Japon", "sobre el Perú", "on Japan"); Of the name after "of"
	// ("du Japon", "del Perú", "of Japan").
	Name, The, On, Of string
	// Date is "Tuesday 10 October 2017" / "mardi 10 octobre 2017" /
	// "martes 10 de octubre de 2017"; ShortDate "Tue 10 Oct"; Time the slot
	// in Geneva ("10:00–11:00").
	Date, ShortDate, Time string
	Start, End            time.Time
	// Room is the room with its words in the template's language ("Salle
	// XXIV").
	Room  string
	Panel []SpeakerView
	// Statement is the length in minutes of the State under Review's
	// opening statement, 0 when it makes none.
	Statement int
	Cancelled bool
	Sequence  int
	// Answer is this mission's answer for the session.
	Answer outreach.Status
}

// SpeakerView is one panellist; Kind is "CSO" or "NHRI" in the template's
// language ("OSC", "INDH"). Order is the speaker's place on the panel (1
// for the first to speak); You marks the recipient's own line in a
// speaker's reminder.
type SpeakerView struct {
	Name, Organisation, Kind string
	Minutes                  int
	Order                    int
	You                      bool
}

// Sessions is a list of sessions in time order.
type Sessions []SessionView

// Day is the sessions of one day.
type Day struct {
	// Date is "Tuesday 10 October 2017".
	Date     string
	Sessions Sessions
}

// Days groups the sessions by day, in order.
func (ss Sessions) Days() []Day {
	var out []Day
	start := 0
	for i, s := range ss {
		if i+1 < len(ss) && ss[i+1].Date == s.Date {
			continue
		}
		// ss[start:i+1] is one day; sharing ss (read only) spares a
		// copy of every session at every use in a template.
		out = append(out, Day{Date: s.Date, Sessions: ss[start : i+1 : i+1]})
		start = i + 1
	}
	return out
}

func (ss Sessions) widest(f func(SessionView) string) int {
	w := 0
	for _, s := range ss {
		w = max(w, utf8.RuneCountInString(f(s)))
	}
	return w
}

// NameWidth, DateWidth and RoomWidth are the widest name, date and room,
// in characters, to align columns in plain text with pad.
func (ss Sessions) NameWidth() int { return ss.widest(func(s SessionView) string { return s.Name }) }

// DateWidth is the widest Date; see NameWidth.
func (ss Sessions) DateWidth() int { return ss.widest(func(s SessionView) string { return s.Date }) }

// RoomWidth is the widest Room; see NameWidth.
func (ss Sessions) RoomWidth() int { return ss.widest(func(s SessionView) string { return s.Room }) }

// DigestView is the staff digest as the templates show it: DigestData with
// its times in Geneva.
type DigestView struct {
	DigestData
	// Accepted, Declined and Tentative count the new answers by status.
	Accepted, Declined, Tentative int
	// TallyWidth is the widest session name among the tallies, to align
	// columns in plain text.
	TallyWidth int
}

// speakerKind writes CSO and NHRI in language l.
func speakerKind(l outreach.Language, k outreach.SpeakerKind) string {
	if l == outreach.French || l == outreach.Spanish {
		switch k {
		case outreach.CSO:
			return "OSC"
		case outreach.NHRI:
			return "INDH"
		}
	}
	return string(k)
}

// sessionView builds the view of one session in language l and zone loc.
func (g *grammar) sessionView(l outreach.Language, loc *time.Location, s outreach.Session, sur outreach.Names) SessionView {
	name := sur.In(l)
	f := g.forms(l, name)
	start, end := s.Start.In(loc), s.End.In(loc)
	v := SessionView{
		SuR: s.SuR, Name: name, The: f.the, On: on(l, f.the), Of: f.of,
		Date: FullDate(l, start), ShortDate: ShortDate(l, start), Time: TimeRange(start, end),
		Start: start, End: end,
		Room:      g.localPlace(l, s.Room),
		Cancelled: s.Status == outreach.Cancelled,
		Sequence:  s.Sequence,
	}
	if s.SuRStatement {
		v.Statement = outreach.SuRStatementMins
	}
	for i, sp := range s.Panel {
		v.Panel = append(v.Panel, speakerView(l, sp, i+1))
	}
	return v
}

func speakerView(l outreach.Language, sp outreach.Speaker, order int) SpeakerView {
	return SpeakerView{Name: sp.Name, Organisation: sp.Organisation, Kind: speakerKind(l, sp.Kind), Minutes: sp.Minutes, Order: order}
}

// sameSpeaker reports whether a and b are one panellist: the same address,
// or without addresses the same name and organisation.
func sameSpeaker(a, b outreach.Speaker) bool {
	if a.Email != "" || b.Email != "" {
		return strings.EqualFold(a.Email, b.Email)
	}
	return a.Name == b.Name && a.Organisation == b.Organisation
}

// nameView builds a view holding only the State under Review's names, for
// the calendar title.
func (g *grammar) nameView(l outreach.Language, sur outreach.Names) SessionView {
	name := sur.In(l)
	f := g.forms(l, name)
	return SessionView{Name: name, The: f.the, On: on(l, f.the), Of: f.of}
}

// zone returns the event's time zone, or an error: times written in the
// wrong zone would send delegates to the wrong hour.
func zone(ev outreach.Event) (*time.Location, error) {
	if ev.Location == nil {
		return nil, errors.New("event has no time zone")
	}
	return ev.Location, nil
}

// eventView fills the event part of a view.
func (g *grammar) eventView(v *View, l outreach.Language, ev outreach.Event, loc *time.Location) {
	v.Lang = l
	v.Event = ev
	v.Venue = g.localPlace(l, ev.Venue)
	first, last := ev.First, ev.Last
	if !first.IsZero() {
		first = first.In(loc)
	}
	if !last.IsZero() {
		last = last.In(loc)
	}
	v.Dates = DateSpan(l, first, last)
	v.When = DatePhrase(l, first, last)
	if !ev.RSVPDeadline.IsZero() && (v.Now.IsZero() || v.Now.Before(ev.RSVPDeadline)) {
		v.Deadline = FullDate(l, ev.RSVPDeadline.In(loc))
	}
	v.AtPalais = strings.Contains(ev.Venue, "Palais des Nations")
	v.Mailbox = ev.Mailbox.Email
}

// view builds the View for one message and checks that Data holds what the
// kind of message needs.
func (s *Set) view(kind Kind, l outreach.Language, d Data) (*View, error) {
	d = d.safe()
	loc, err := zone(d.Event)
	if err != nil {
		return nil, err
	}
	if d.Now.IsZero() {
		return nil, errors.New("no rendering time (Data.Now)")
	}
	v := &View{Kind: kind, Provisional: !d.Confirmed, Mission: d.Mission, Now: d.Now.In(loc), Covered: d.Covered}
	s.g.eventView(v, l, d.Event, loc)
	v.Today = LongDate(l, v.Now)
	v.ReplyTo = d.ReplyTo
	v.PageURL = d.PageURL
	if !d.PageUntil.IsZero() {
		v.PageUntil = FullDate(l, d.PageUntil.In(loc))
	}
	switch d.AnsweredBy {
	case outreach.FromWeb, outreach.FromStaff:
		v.AnsweredBy = string(d.AnsweredBy)
	default:
		v.AnsweredBy = string(outreach.FromEmail)
	}
	v.Delegates = d.Delegates
	if c := strings.TrimSpace(d.Comment); c != "" {
		for _, line := range strings.Split(strings.ReplaceAll(c, "\r\n", "\n"), "\n") {
			v.Comment = append(v.Comment, strings.TrimRight(line, "\r"))
		}
	}
	if v.ReplyTo == "" {
		v.ReplyTo = d.Event.Mailbox.Email
	}
	if kind == Digest {
		return v, s.digestView(v, d, loc)
	}
	if v.ReplyTo == "" {
		return nil, errors.New("no address to reply to (Data.ReplyTo and Event.Mailbox are empty)")
	}
	if kind != ReminderSpeaker {
		v.Title = d.Mission.Titles.In(l)
		v.Name = d.Mission.Names.In(l)
		v.Designation = designation(l, d.Mission.Kind == outreach.Observer)
		if strings.TrimSpace(v.Title) == "" {
			return nil, fmt.Errorf("mission %s has no title", d.Mission.ID)
		}
	}

	if err := s.sessionsView(v, l, loc, d); err != nil {
		return nil, err
	}
	if err := s.checkView(v, kind, l, d); err != nil {
		return nil, err
	}
	return v, nil
}

// surName is the name of the State under Review sur, which d must give.
func surName(d Data, sur string) (outreach.Names, error) {
	n, ok := d.SuRNames[sur]
	if !ok || n.EN == "" {
		return n, fmt.Errorf("no name for the State under Review %s (Data.SuRNames)", sur)
	}
	return n, nil
}

// sessionsView fills v's sessions, in order of time and by answer, and
// the one session a message is about (d.Session), with what changed.
func (s *Set) sessionsView(v *View, l outreach.Language, loc *time.Location, d Data) error {
	views, lists, err := s.sortedViews(l, loc, d)
	if err != nil {
		return err
	}
	if len(d.Answers) == 0 {
		// Every session unanswered: the views as they are (they hold no
		// answer), shared by every message showing them; no template can
		// change what it is given.
		if lists == nil {
			lists = unansweredLists(views)
		}
		v.Sessions, v.Scheduled, v.Unanswered = views, lists.scheduled, lists.unanswered
		views = nil
	} else {
		v.Sessions = make(Sessions, 0, len(views))
		v.Scheduled = make(Sessions, 0, len(views))
	}
	for _, sv := range views {
		sv.Answer = d.Answers[sv.SuR]
		v.Sessions = append(v.Sessions, sv)
		if sv.Cancelled {
			continue
		}
		v.Scheduled = append(v.Scheduled, sv)
		switch sv.Answer {
		case outreach.Accepted:
			v.Accepted = append(v.Accepted, sv)
		case outreach.Tentative:
			v.Tentative = append(v.Tentative, sv)
		case outreach.Declined:
			v.Declined = append(v.Declined, sv)
		default:
			v.Unanswered = append(v.Unanswered, sv)
		}
	}

	if d.Session != nil {
		n, err := surName(d, d.Session.SuR)
		if err != nil {
			return err
		}
		sv := s.g.sessionView(l, loc, *d.Session, n)
		sv.Answer = d.Answers[d.Session.SuR]
		v.Session = &sv
		v.Summary = s.Summary(l, d.Event, n)
		v.Reason, v.ReasonEnglish = reasonIn(l, *d.Session, d.Reason)
		if d.Previous != nil {
			pv := s.g.sessionView(l, loc, *d.Previous, n)
			v.Previous = &pv
			v.Changed = Changes{
				Date: !sameDay(pv.Start, sv.Start),
				Time: pv.Time != sv.Time,
				Room: d.Previous.Room != d.Session.Room,
			}
		}
	}
	return nil
}

// checkView says what a message of kind lacks to be written: its sessions,
// its session, its speaker, or a reason to remind.
func (s *Set) checkView(v *View, kind Kind, l outreach.Language, d Data) error {
	switch kind {
	case Invitation, ReminderNoAnswer, ReminderAccepted, PageSummary:
		if len(v.Sessions) == 0 {
			return errors.New("no sessions (Data.Sessions)")
		}
	case ReminderPractical:
		// The note lists the sessions it is given, those of one day.
		if len(v.Scheduled) == 0 {
			return errors.New("no session taking place (Data.Sessions)")
		}
		if len(v.Scheduled) == 1 {
			n, err := surName(d, v.Scheduled[0].SuR)
			if err != nil {
				return err
			}
			v.Summary = s.Summary(l, d.Event, n)
		}
	case Confirmation, Update, Cancellation, ReminderSpeaker, Withdrawal:
		if v.Session == nil {
			return errors.New("no session (Data.Session)")
		}
	}
	if kind == ReminderSpeaker {
		if d.Speaker == nil {
			return errors.New("no speaker (Data.Speaker)")
		}
		for i, sp := range d.Session.Panel {
			if sameSpeaker(sp, *d.Speaker) {
				v.Session.Panel[i].You = true
				sv := v.Session.Panel[i]
				v.Speaker = &sv
			}
		}
		if v.Speaker == nil {
			return fmt.Errorf("%s is not on the panel of %s", d.Speaker.Name, d.Session.SuR)
		}
	}
	switch kind {
	case ReminderNoAnswer:
		if len(v.Unanswered) == 0 {
			return fmt.Errorf("mission %s has answered for every session: nothing to remind", d.Mission.ID)
		}
	case ReminderAccepted:
		if len(v.Accepted)+len(v.Tentative) == 0 {
			return fmt.Errorf("mission %s has accepted no session", d.Mission.ID)
		}
	}
	return nil
}

// digestView fills the digest part of a view.
func (s *Set) digestView(v *View, d Data, loc *time.Location) error {
	if d.Digest == nil {
		return errors.New("no digest data (Data.Digest)")
	}
	dv := &DigestView{DigestData: *d.Digest}
	if !dv.Since.IsZero() {
		dv.Since = dv.Since.In(loc)
	}
	dv.Tallies = make([]outreach.SessionTally, len(d.Digest.Tallies))
	for i, t := range d.Digest.Tallies {
		t.Start, t.End = t.Start.In(loc), t.End.In(loc)
		dv.Tallies[i] = t
		dv.TallyWidth = max(dv.TallyWidth, utf8.RuneCountInString(t.Name))
	}
	dv.Today = make([]outreach.SessionTally, len(d.Digest.Today))
	for i, t := range d.Digest.Today {
		t.Start, t.End = t.Start.In(loc), t.End.In(loc)
		dv.Today[i] = t
	}
	if n := d.Digest.Next; n != nil {
		c := *n
		c.Start, c.End = c.Start.In(loc), c.End.In(loc)
		dv.Next = &c
	}
	for _, a := range dv.NewAnswers {
		switch a.Status {
		case outreach.Accepted.String():
			dv.Accepted++
		case outreach.Declined.String():
			dv.Declined++
		case outreach.Tentative.String():
			dv.Tentative++
		}
	}
	v.Digest = dv
	return nil
}

// designation is the mission's designation in l (View.Designation).
func designation(l outreach.Language, observer bool) string {
	switch l {
	case outreach.French:
		if observer {
			return "Mission permanente d'observation"
		}
		return "Mission permanente"
	case outreach.Spanish:
		if observer {
			return "Misión Permanente de Observación"
		}
		return "Misión Permanente"
	}
	if observer {
		return "Permanent Observer Mission"
	}
	return "Permanent Mission"
}

// reasonIn is the reason to show in l: given (Data.Reason, already in l)
// or else the session's note, in l when staff wrote it in l, else the
// English text and true. Its first letter is a capital: it stands after a
// label.
func reasonIn(l outreach.Language, sess outreach.Session, given string) (string, bool) {
	text, inL := sess.NoteIn(l)
	if given != "" {
		text, inL = given, true
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", false
	}
	return capFirst(text), !inL
}
