package web

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"outreach"
	"outreach/jobs"
	"outreach/templates"
)

// view is what the page template executes against. Every string in it is
// text: html/template escapes it.
type view struct {
	Lang         string
	T            *text
	Langs        []langLink
	MissionTitle string
	Intro        string
	Provisional  bool
	Open         bool
	DeadlineLine string
	ClosedLine   string
	ContactLine  string
	Days         []dayView
	Delegates    []delegateView
	Comment      string
	CommentError string
	Errors       []fieldError
	Notice       string
	Done         *doneView
	// Action is where the form posts; Self the page in this language.
	Action, Self string
	Issued, CSRF string
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

type dayView struct {
	Date     string
	Sessions []sessionView
}

type sessionView struct {
	ID, Name, Time, Room string
	Cancelled            bool
	// Choice is yes, no or undecided; ChoiceText the answer in words.
	Choice, ChoiceText string
	Source             string
	Error              string
}

type delegateView struct {
	Index                 int
	NameLabel, EmailLabel string
	Name, Email           string
	NameError, EmailError string
}

type fieldError struct {
	Field, Label, Message string
}

type doneView struct {
	Requests, Cancels []string
	Summary, Nothing  bool
}

// capitalise writes s with a capital first letter ("mardi 10 octobre" as
// a heading).
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// view builds the page for p in lang, with a fresh form token.
func (s *Server) view(p jobs.Page, lang outreach.Language, token string) *view {
	t := textIn(lang)
	self := "/r/" + token
	v := &view{Lang: string(lang), T: t, MissionTitle: p.Mission.Titles.In(lang), Provisional: p.Event.Provisional, Open: p.Open,
		Action: self, Self: self + "?lang=" + string(lang)}
	for _, l := range outreach.Languages {
		v.Langs = append(v.Langs, langLink{Code: string(l), Name: textIn(l).LangName, Href: self + "?lang=" + string(l), Current: l == lang})
	}
	ev := p.Event
	v.Intro = fmt.Sprintf(t.Intro, ev.Organiser, p.Mission.Titles.In(lang), templates.DatePhrase(lang, ev.First, ev.Last), p.Venue[lang],
		templates.Ordinal(lang, ev.UPRSession))
	deadline := p.Deadline
	if ev.Location != nil {
		deadline = deadline.In(ev.Location)
	}
	v.DeadlineLine = fmt.Sprintf(t.Deadline, templates.FullDate(lang, deadline)+", "+templates.Clock(deadline))
	contact := ev.Staff.Email
	if contact == "" {
		contact = ev.Mailbox.Email
	}
	if ev.Phone != "" {
		contact += ", " + ev.Phone
	}
	v.ClosedLine = fmt.Sprintf(t.Closed, contact)
	v.ContactLine = ev.Organiser + ". " + fmt.Sprintf(t.Contact, contact)
	for _, ps := range p.Sessions {
		date := capitalise(templates.FullDate(lang, ps.Start))
		if len(v.Days) == 0 || v.Days[len(v.Days)-1].Date != date {
			v.Days = append(v.Days, dayView{Date: date})
		}
		sv := sessionView{ID: ps.SuR, Name: ps.SuRNames.In(lang), Time: templates.TimeRange(ps.Start, ps.End),
			Room: ps.Room[lang], Cancelled: ps.Status == outreach.Cancelled}
		switch ps.Answer {
		case outreach.Accepted:
			sv.Choice, sv.ChoiceText = "yes", t.Attend
		case outreach.Declined:
			sv.Choice, sv.ChoiceText = "no", t.NotAttend
		default:
			sv.Choice, sv.ChoiceText = "undecided", t.Undecided
		}
		if src, ok := t.Sources[ps.Source]; ok && ps.Answer != outreach.None {
			sv.Source = fmt.Sprintf(t.AnswerFrom, src)
		}
		d := &v.Days[len(v.Days)-1]
		d.Sessions = append(d.Sessions, sv)
	}
	rows := max(3, len(p.State.Delegates)+1)
	if !p.Open {
		rows = len(p.State.Delegates)
	}
	for i := 0; i < min(rows, jobs.MaxPageDelegates); i++ {
		d := delegateView{Index: i + 1, NameLabel: fmt.Sprintf(t.Name, i+1), EmailLabel: fmt.Sprintf(t.Email, i+1)}
		if i < len(p.State.Delegates) {
			d.Name, d.Email = p.State.Delegates[i].Name, p.State.Delegates[i].Email
		}
		v.Delegates = append(v.Delegates, d)
	}
	v.Comment = p.State.Comment
	issued := s.now().Unix()
	v.Issued = fmt.Sprint(issued)
	v.CSRF = s.csrf(token, issued)
	return v
}
