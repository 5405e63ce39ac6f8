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

// Queue returns the number of messages still to send and of open review
// items, from the store's indexes: cheap enough for a status line written
// every half minute by an idle daemon (Snapshot reads every item).
func (e *Engine) Queue() (depth, reviewOpen int, err error) {
	err = e.st.View(func(tx *store.Tx) error {
		depth = tx.Depth()
		open, err := tx.Reviews(outreach.ReviewOpen)
		reviewOpen = len(open)
		return err
	})
	return depth, reviewOpen, err
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
			if it.State.Pending() {
				sn.Depth++
			}
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
		open, err := tx.Reviews(outreach.ReviewOpen)
		if err != nil {
			return err
		}
		sn.ReviewOpen = len(open)
		ms, err := tx.Missions()
		if err != nil {
			return err
		}
		sn.Unreachable = len(outreach.Cover(ms).Unreachable)
		return e.eachReminder(tx, func(d Due, st reminderState) error {
			if st.Missed {
				sn.MissedReminders++
			}
			if !st.Done && d.At.After(now) && (sn.NextReminder.IsZero() || d.At.Before(sn.NextReminder)) {
				sn.NextReminder = d.At
			}
			return nil
		})
	})
	return sn, err
}
