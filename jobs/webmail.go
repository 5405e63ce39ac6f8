package jobs

import (
	"fmt"
	"strings"

	"outreach"
	"outreach/ical"
	"outreach/message"
	"outreach/store"
	"outreach/templates"
)

// The two messages a reply page sends: the cancellation of a session a
// mission gave up (one inline METHOD:CANCEL, like a session's own
// cancellation), and the summary of its answers (also sent after a letter
// answering several sessions). Both are plain text in
// the mission's language, from the templates Withdrawal and PageSummary.

// composePage writes a withdrawal or a page summary for it, from what the
// store holds now.
func (e *Engine) composePage(t *templates.Set, tx *store.Tx, it outreach.OutboxItem, rd roundData, revs map[string]int) (*message.Message, error) {
	m, to, err := missionTo(tx, it.Key.Mission)
	if err != nil {
		return nil, err
	}
	replyTo := e.ReplyAddress(tx, m.ID)
	msg := &message.Message{
		MessageID: it.MessageID,
		From:      message.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email},
		To:        to,
		ReplyTo:   &message.Address{Name: e.organiserName(), Email: replyTo},
		Date:      e.now(),
		Headers:   [][2]string{{"Auto-Submitted", "auto-generated"}, {"X-Auto-Response-Suppress", "OOF, AutoReply"}},
	}
	data := templates.Data{Event: e.event, Mission: m, Sessions: rd.sessions, SuRNames: rd.names, Views: rd.views, ReplyTo: replyTo,
		Now: e.now(), Confirmed: !e.event.Provisional, Answers: map[string]outreach.Status{}}
	if link := e.pageLink(tx, m.ID); link != "" && e.now().Before(e.pageDeadline()) {
		data.PageURL, data.PageUntil = link, e.pageDeadline()
	}
	for _, s := range rd.sessions {
		r, err := tx.RSVP(m.ID, s.SuR)
		if err != nil {
			return nil, err
		}
		data.Answers[s.SuR] = r.Status
	}
	var kind templates.Kind
	switch it.Key.Kind {
	case outreach.Withdrawal:
		kind = templates.Withdrawal
		if err := e.withdrawalCalendar(t, tx, it, m, rd, msg, &data, revs); err != nil {
			return nil, err
		}
	case outreach.PageSummary:
		kind = templates.PageSummary
		if strings.HasPrefix(it.Key.Revision, letterSummary) {
			// After a letter answering several Pre-sessions.
			data.AnsweredBy = outreach.FromEmail
			break
		}
		data.AnsweredBy = outreach.FromWeb
		ps, err := tx.PageState(m.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range ps.Delegates {
			data.Delegates = append(data.Delegates, templates.Delegate{Name: d.Name, Email: d.Email})
		}
		data.Comment = ps.Comment
	default:
		return nil, fmt.Errorf("not a reply page message: %s", it.Key.Kind)
	}
	out, err := t.Render(kind, m.Language, data)
	if err != nil {
		return nil, err
	}
	msg.Subject, msg.Text = out.Subject, out.Text
	return msg, nil
}

// withdrawalCalendar makes the CANCEL that takes a session out of the
// mission's calendar after it gave the session up on its reply page.
func (e *Engine) withdrawalCalendar(t *templates.Set, tx *store.Tx, it outreach.OutboxItem, m outreach.Mission, rd roundData,
	msg *message.Message, data *templates.Data, revs map[string]int) error {
	s, err := rd.session(it.Key.Session)
	if err != nil {
		return err
	}
	data.Session = s
	ev := e.calendarEvent(t, m, *s, rd, "DECLINED", e.now())
	ev.Status = "CANCELLED"
	ev.Sequence += tx.CopySequence(m.ID, s.SuR)
	ics, err := ical.Cancel(ev)
	if err != nil {
		return err
	}
	msg.Calendar = &message.Calendar{Method: "CANCEL", Data: ics}
	revs[s.SuR] = s.Sequence
	r, err := tx.RSVP(m.ID, s.SuR)
	if err != nil {
		return err
	}
	data.AnsweredBy = r.Source.Kind
	return nil
}
