package jobs

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"outreach"
	"outreach/ical"
	"outreach/store"
)

// Move is a change to a session's time or room. Nil fields stay as they are.
type Move struct {
	Start, End *time.Time
	Room       *string
	// Note says why, in English; NoteFR and NoteES in French and Spanish
	// (a mission whose language has none is told the note is in English).
	Note, NoteFR, NoteES string
	// IncludeDeclined also sends the update to missions that declined.
	IncludeDeclined bool
	// DryRun reports what the move would queue, and changes nothing.
	DryRun bool
}

// ChangeReport says what a move or a cancellation queued.
type ChangeReport struct {
	Session  outreach.Session `json:"session"`
	Queued   int              `json:"queued"`
	Replaced int              `json:"replaced"` // pending messages for an older revision, superseded
	// Skipped counts missions not sent the change: not yet invited (their
	// invitation will carry the new data) or, for a move, declined.
	Skipped int `json:"skipped"`
	// Missions are the missions sent the change.
	Missions []string `json:"missions,omitempty"`
	// DryRun is set when nothing was changed (a preview).
	DryRun bool `json:"dry_run,omitempty"`
	// Sample is, in a preview, the message the first of Missions would
	// receive, as it would be composed.
	Sample *Sample `json:"sample,omitempty"`
}

// Sample is one composed message, for a person to read before sending.
type Sample struct {
	Mission string   `json:"mission"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Text    string   `json:"text"`
}

// sample composes the message queued under key, inside a preview's
// transaction (rolled back after).
func (e *Engine) sample(tx *store.Tx, key outreach.OutboxKey) (*Sample, error) {
	it, err := tx.OutboxByKey(key)
	if err != nil {
		return nil, err
	}
	msg, _, err := e.compose(tx, it)
	if err != nil {
		return nil, err
	}
	sm := &Sample{Mission: key.Mission, Subject: msg.Subject, Text: msg.Text}
	for _, a := range msg.To {
		sm.To = append(sm.To, a.Email)
	}
	return sm, nil
}

// errDryRun rolls a preview's transaction back.
var errDryRun = errors.New("dry run")

// holders returns the missions whose calendars hold session (their
// invitation has gone out, or is going out right now) and which revision
// each last received.
func holders(tx *store.Tx, session string) (map[string]int, error) {
	out := map[string]int{}
	items, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
		return it.Key.Mission != "" && (it.State == outreach.Sent || it.State == outreach.Sending) &&
			(it.Key.Kind == outreach.Invitation || it.Key.Session == session)
	})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if rev, ok := it.Revisions[session]; ok {
			if cur, seen := out[it.Key.Mission]; !seen || rev > cur {
				out[it.Key.Mission] = rev
			}
		} else if it.Key.Kind == outreach.Invitation {
			if _, seen := out[it.Key.Mission]; !seen {
				out[it.Key.Mission] = 0
			}
		}
	}
	return out, nil
}

// supersede marks pending calendar messages for session (and mission, when
// given) as superseded: a newer revision replaces them.
func supersede(tx *store.Tx, session, mission string) (int, error) {
	items, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
		return it.Key.Session == session && (mission == "" || it.Key.Mission == mission) &&
			(it.State == outreach.Queued || it.State == outreach.Deferred) &&
			(it.Key.Kind == outreach.Update || it.Key.Kind == outreach.Confirmation || it.Key.Kind == outreach.Cancellation)
	})
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		it.State = outreach.Superseded
		it.Next = time.Time{}
		if err := tx.SaveOutbox(it); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

// newRevision is the step moving and cancelling share: it saves s, a new
// revision of a session (Sequence already raised; prev is kept to show
// what changed), supersedes the pending calendar messages of older
// revisions, and queues a message of kind for every mission holding the
// session, except those skip names. It fills rep. With dryRun it puts a
// sample of the first message in rep and returns errDryRun, so the
// transaction changes nothing.
func (e *Engine) newRevision(tx *store.Tx, prev, s outreach.Session, kind outreach.MessageKind, rep *ChangeReport,
	dryRun bool, skip func(outreach.Mission) (bool, error)) error {
	revision := strconv.Itoa(s.Sequence)
	if err := tx.PutState(revisionKey(s.SuR, revision), prev); err != nil {
		return err
	}
	if err := tx.PutSession(s); err != nil {
		return err
	}
	rep.Session = s
	var err error
	if rep.Replaced, err = supersede(tx, s.SuR, ""); err != nil {
		return err
	}
	hold, err := holders(tx, s.SuR)
	if err != nil {
		return err
	}
	ms, err := tx.Missions()
	if err != nil {
		return err
	}
	now := e.now()
	for _, m := range ms {
		if _, ok := hold[m.ID]; !ok {
			rep.Skipped++
			continue
		}
		if skip != nil {
			if skipped, err := skip(m); err != nil {
				return err
			} else if skipped {
				rep.Skipped++
				continue
			}
		}
		key := outreach.OutboxKey{Kind: kind, Mission: m.ID, Session: s.SuR, Revision: revision}
		if _, added, err := e.enqueue(tx, key, "", now); err != nil {
			return err
		} else if added {
			rep.Queued++
			rep.Missions = append(rep.Missions, m.ID)
		}
	}
	if !dryRun {
		return nil
	}
	if len(rep.Missions) > 0 {
		key := outreach.OutboxKey{Kind: kind, Mission: rep.Missions[0], Session: s.SuR, Revision: revision}
		if rep.Sample, err = e.sample(tx, key); err != nil {
			return err
		}
	}
	return errDryRun
}

// scheduledSession returns the session on sur, or an input error when
// there is none or it was cancelled (the error ends "the session on SUR
// " + cancelled).
func scheduledSession(tx *store.Tx, sur, cancelled string) (outreach.Session, error) {
	s, err := tx.Session(sur)
	if errors.Is(err, store.ErrNotFound) {
		return s, inputErr("no session on %s (see `outreach sessions list`)", sur)
	} else if err != nil {
		return s, err
	}
	if s.Status == outreach.Cancelled {
		return s, inputErr("the session on %s %s", sur, cancelled)
	}
	return s, nil
}

// MoveSession changes a session's time or room and sends every mission
// holding it a REQUEST with the same UID and SEQUENCE+1 (all but those that
// declined, unless mv.IncludeDeclined). Pending messages for older
// revisions are superseded, so two moves in a row send only the latest.
func (e *Engine) MoveSession(sur string, mv Move, actor string) (ChangeReport, error) {
	defer e.Wake() // it may have queued messages
	var rep ChangeReport
	sur = strings.ToUpper(sur)
	err := e.st.Update(func(tx *store.Tx) error {
		rep = ChangeReport{}
		s, err := scheduledSession(tx, sur, "was cancelled; it cannot be moved")
		if err != nil {
			return err
		}
		prev := s
		if mv.Start != nil {
			d := s.End.Sub(s.Start)
			s.Start = *mv.Start
			if mv.End == nil {
				s.End = s.Start.Add(d)
			}
		}
		if mv.End != nil {
			s.End = *mv.End
		}
		if mv.Room != nil {
			s.Room = strings.TrimSpace(*mv.Room)
		}
		if s.Start.Equal(prev.Start) && s.End.Equal(prev.End) && s.Room == prev.Room {
			return inputErr("nothing to change: give --start, --end or --room with a new value")
		}
		if err := s.Validate(); err != nil {
			return inputErr("%v", err)
		}
		s.Sequence++
		s.Note, s.NoteFR, s.NoteES = mv.Note, mv.NoteFR, mv.NoteES
		err = e.newRevision(tx, prev, s, outreach.Update, &rep, mv.DryRun, func(m outreach.Mission) (bool, error) {
			if mv.IncludeDeclined {
				return false, nil
			}
			r, err := tx.RSVP(m.ID, sur)
			return r.Status == outreach.Declined, err
		})
		if err != nil {
			return err
		}
		return tx.Audit(actor, "sessions.move", fmt.Sprintf("%s to %s–%s %s (sequence %d), %d updates queued",
			sur, s.Start.Format(time.RFC3339), s.End.Format("15:04"), s.Room, s.Sequence, rep.Queued))
	})
	if errors.Is(err, errDryRun) {
		err, rep.DryRun = nil, true
	}
	rep.Session.Start, rep.Session.End = e.local(rep.Session.Start), e.local(rep.Session.End)
	return rep, err
}

// CancelSession drops a session: every mission holding it gets a
// METHOD:CANCEL with SEQUENCE+1, and answers that arrive later are kept in
// history only.
func (e *Engine) CancelSession(sur, reason, actor string) (ChangeReport, error) {
	return e.CancelSessionWith(sur, Cancel{Reason: reason}, actor)
}

// Cancel says why a session is cancelled: Reason in English, ReasonFR and
// ReasonES in French and Spanish when staff give them.
type Cancel struct {
	Reason, ReasonFR, ReasonES string
	// DryRun reports what the cancellation would queue, and changes
	// nothing.
	DryRun bool
}

// CancelSessionWith is CancelSession with the reason in each language.
func (e *Engine) CancelSessionWith(sur string, c Cancel, actor string) (ChangeReport, error) {
	reason := c.Reason
	defer e.Wake() // it may have queued messages
	var rep ChangeReport
	sur = strings.ToUpper(sur)
	err := e.st.Update(func(tx *store.Tx) error {
		rep = ChangeReport{}
		s, err := scheduledSession(tx, sur, "is already cancelled")
		if err != nil {
			return err
		}
		prev := s
		s.Status = outreach.Cancelled
		s.Sequence++
		s.Note, s.NoteFR, s.NoteES = reason, c.ReasonFR, c.ReasonES
		if err := e.newRevision(tx, prev, s, outreach.Cancellation, &rep, c.DryRun, nil); err != nil {
			return err
		}
		return tx.Audit(actor, "sessions.cancel", fmt.Sprintf("%s (sequence %d): %s; %d cancellations queued", sur, s.Sequence, reason, rep.Queued))
	})
	if errors.Is(err, errDryRun) {
		err, rep.DryRun = nil, true
	}
	rep.Session.Start, rep.Session.End = e.local(rep.Session.Start), e.local(rep.Session.End)
	return rep, err
}

// SetRSVP records an answer staff took by phone or in person. An
// acceptance is confirmed to the mission with a calendar request.
func (e *Engine) SetRSVP(mission, session string, status outreach.Status, note, actor string) (outreach.RSVP, error) {
	defer e.Wake() // it may have queued messages
	mission, session = strings.ToUpper(mission), strings.ToUpper(session)
	r := outreach.RSVP{Mission: mission, Session: session, Status: status, Note: note, At: e.now(),
		Source: outreach.Source{Kind: outreach.FromStaff, Actor: actor}}
	err := e.st.Update(func(tx *store.Tx) error {
		if _, err := tx.Mission(mission); err != nil {
			return inputErr("no mission %q in the directory", mission)
		}
		if _, err := tx.Session(session); err != nil {
			return inputErr("no session on %q (see `outreach sessions list`)", session)
		}
		if _, err := e.recordAnswer(tx, r); err != nil {
			return err
		}
		return tx.Audit(actor, "rsvp.set", fmt.Sprintf("%s %s %s %s", mission, session, status, note))
	})
	return r, err
}

// MissionLine is one mission's state for one session.
type MissionLine struct {
	Mission string `json:"mission"`
	Name    string `json:"name"`
	// Sent is the SEQUENCE the mission last received, -1 if none yet.
	Sent   int    `json:"sent_sequence"`
	Status string `json:"status"`
	Source string `json:"source,omitempty"`
	At     string `json:"at,omitempty"`
	// Pending is a calendar message waiting in the outbox for the mission.
	Pending string `json:"pending,omitempty"`
	// Delegates are the names the mission gave with its answer.
	Delegates []string `json:"delegates,omitempty"`
	// MessageID is the message the answer came from (a letter or a
	// calendar reply), when it came by mail.
	MessageID string `json:"message_id,omitempty"`
}

// SessionDetail is a session with every mission's state.
type SessionDetail struct {
	Session  outreach.Session `json:"session"`
	Name     string           `json:"name"`
	Missions []MissionLine    `json:"missions"`
}

// SessionDetail lists, per mission, what it was last sent and its answer.
func (e *Engine) SessionDetail(sur string) (SessionDetail, error) {
	var d SessionDetail
	sur = strings.ToUpper(sur)
	err := e.st.View(func(tx *store.Tx) error {
		s, err := tx.Session(sur)
		if err != nil {
			return inputErr("no session on %q (see `outreach sessions list`)", sur)
		}
		s.Start, s.End = e.local(s.Start), e.local(s.End)
		d.Session = s
		hold, err := holders(tx, sur)
		if err != nil {
			return err
		}
		pending, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
			return it.State.Pending() && (it.Key.Session == sur || it.Key.Kind == outreach.Invitation)
		})
		if err != nil {
			return err
		}
		pend := map[string]string{}
		for _, it := range pending {
			pend[it.Key.Mission] = string(it.Key.Kind) + " " + it.State.String()
		}
		ms, err := tx.Missions()
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.ID == sur {
				d.Name = m.Names.EN
			}
			line := MissionLine{Mission: m.ID, Name: m.Names.EN, Sent: -1, Pending: pend[m.ID]}
			if rev, ok := hold[m.ID]; ok {
				line.Sent = rev
			}
			r, err := tx.RSVP(m.ID, sur)
			if err != nil {
				return err
			}
			line.Status = r.Status.String()
			line.Delegates = r.DelegateNames
			line.MessageID = r.Source.MessageID
			if !r.At.IsZero() {
				line.Source = string(r.Source.Kind)
				line.At = e.local(r.At).Format(time.RFC3339)
			}
			d.Missions = append(d.Missions, line)
		}
		return nil
	})
	return d, err
}

// CalendarFeed is the staff calendar: every session (or only sur) as
// METHOD:PUBLISH with the current agenda, for subscribing in a calendar.
func (e *Engine) CalendarFeed(sur string) ([]byte, error) {
	t, err := e.templates()
	if err != nil {
		return nil, err
	}
	var evs []ical.Event
	err = e.st.View(func(tx *store.Tx) error {
		rd, err := e.loadRound(tx)
		if err != nil {
			return err
		}
		for _, s := range rd.sessions {
			if sur != "" && !strings.EqualFold(s.SuR, sur) {
				continue
			}
			ev := e.calendarEvent(t, outreach.Mission{Language: outreach.English}, s, rd, "", e.now())
			ev.UID = fmt.Sprintf("pre%d-%s@%s", e.event.UPRSession, strings.ToLower(s.SuR), e.domain())
			ev.Attendees = nil
			evs = append(evs, ev)
		}
		if sur != "" && len(evs) == 0 {
			return inputErr("no session on %q", sur)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Start.Before(evs[j].Start) })
	return ical.Publish(e.event.Title, evs)
}
