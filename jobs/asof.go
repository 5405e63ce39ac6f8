package jobs

import (
	"time"

	"outreach"
)

// PlannedSend is when an invitation previewed now would be sent: now while
// the round is still ahead; for a round whose first day has passed (a
// preview of an earlier round, or of the seed data), four weeks before its
// first day at 09:00 in Geneva, the usual lead time, so the deadline and
// dates read as they did in the letter.
func (e *Engine) PlannedSend() time.Time {
	now := e.now()
	first := e.event.First
	if first.IsZero() || now.Before(first) {
		return now
	}
	loc := e.event.Location
	if loc == nil {
		loc = time.UTC
	}
	f := first.In(loc).AddDate(0, 0, -28)
	return time.Date(f.Year(), f.Month(), f.Day(), 9, 0, 0, 0, loc)
}

// PreviewEMLAt is PreviewEML as the message would be composed at at: its
// Date, DTSTAMP, the date under the close and the deadline (left out once
// past) are those of that moment. A zero at is PlannedSend.
func (e *Engine) PreviewEMLAt(kind outreach.MessageKind, mission, session string, at time.Time) ([]byte, error) {
	if at.IsZero() {
		at = e.PlannedSend()
	}
	tmpl, err := e.templates()
	if err != nil {
		return nil, err
	}
	// An engine of its own, over the same store, whose clock stands at at.
	pe := &Engine{st: e.st, event: e.event, log: e.log, now: func() time.Time { return at }, clock: e.clock,
		tmpl: tmpl, wake: make(chan struct{}, 1)}
	return pe.PreviewEML(kind, mission, session)
}
