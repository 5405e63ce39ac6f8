package jobs

import (
	"time"

	"outreach"
	"outreach/store"
)

// Snapshot is the engine's state in numbers, for metrics and health.
type Snapshot struct {
	// Outbox counts messages by kind and state.
	Outbox map[outreach.MessageKind]map[string]int `json:"outbox"`
	// Depth is the number of messages still to send.
	Depth int `json:"depth"`
	// Replies counts inbound messages by what they were.
	Replies     map[string]int `json:"replies"`
	ReviewOpen  int            `json:"review_open"`
	Unreachable int            `json:"unreachable"`
	// NextReminder is the next reminder instance due, zero when none.
	NextReminder    time.Time `json:"next_reminder,omitzero"`
	MissedReminders int       `json:"missed_reminders"`
}

// Queue is what the status line and the health report show of the
// engine's state: read from the store's indexes and the reminders' own
// states, cheap enough for a status line every half minute and a monitor
// polling /healthz (Snapshot reads every item).
type Queue struct {
	// Depth is the number of messages still to send; ReviewOpen of open
	// review items.
	Depth, ReviewOpen int
	// NextReminder is the next reminder instance due, zero when none.
	NextReminder    time.Time
	MissedReminders int
}

// Queue reads the engine's Queue.
func (e *Engine) Queue() (Queue, error) {
	var q Queue
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		q, err = e.queue(tx, e.now())
		return err
	})
	return q, err
}

// queue reads the Queue within tx.
func (e *Engine) queue(tx *store.Tx, now time.Time) (Queue, error) {
	q := Queue{Depth: tx.Depth()}
	open, err := tx.Reviews(outreach.ReviewOpen)
	if err != nil {
		return q, err
	}
	q.ReviewOpen = len(open)
	err = e.eachReminder(tx, func(d Due, st reminderState) error {
		if st.Missed {
			q.MissedReminders++
		}
		if !st.Done && d.At.After(now) && (q.NextReminder.IsZero() || d.At.Before(q.NextReminder)) {
			q.NextReminder = d.At
		}
		return nil
	})
	return q, err
}

// Snapshot reads the engine's state.
func (e *Engine) Snapshot() (Snapshot, error) {
	sn := Snapshot{Outbox: map[outreach.MessageKind]map[string]int{}, Replies: map[string]int{}}
	now := e.now()
	err := e.st.View(func(tx *store.Tx) error {
		items, err := tx.Outbox(nil)
		if err != nil {
			return err
		}
		for _, it := range items {
			m := sn.Outbox[it.Key.Kind]
			if m == nil {
				m = map[string]int{}
				sn.Outbox[it.Key.Kind] = m
			}
			m[it.State.String()]++
		}
		ps, err := tx.ProcessedSince(time.Time{})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if tx.HandledInRound(p) {
				sn.Replies[p.Kind]++
			}
		}
		ms, err := tx.Missions()
		if err != nil {
			return err
		}
		sn.Unreachable = len(outreach.Cover(ms).Unreachable)
		q, err := e.queue(tx, now)
		sn.Depth, sn.ReviewOpen, sn.NextReminder, sn.MissedReminders = q.Depth, q.ReviewOpen, q.NextReminder, q.MissedReminders
		return err
	})
	return sn, err
}
