package jobs

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"outreach"
	"outreach/store"
)

// The staff digest: queued by the sweep at the schedule's times (composed
// when it is sent, see composeDigest).

// sweepDigest queues the staff digest for the latest scheduled time at or
// before now, once per day, unless it is later than the lateness limit.
func (e *Engine) sweepDigest(now time.Time) (bool, error) {
	sched := e.schedule()
	if sched.Digest == "" || e.event.Staff.Email == "" {
		return false, nil
	}
	spec, err := cron.ParseStandard(sched.Digest)
	if err != nil {
		return false, fmt.Errorf("digest schedule %q: %w", sched.Digest, err)
	}
	// The latest occurrence at or before now, looking back a day.
	var last time.Time
	for t := spec.Next(now.Add(-25 * time.Hour)); !t.After(now); t = spec.Next(t) {
		last = t
	}
	if last.IsZero() || (sched.Lateness > 0 && now.Sub(last) > sched.Lateness) {
		return false, nil
	}
	key := outreach.OutboxKey{Kind: outreach.Digest, Revision: last.In(e.loc()).Format(time.DateOnly)}
	already := false
	if err := e.st.View(func(tx *store.Tx) error {
		_, err := tx.OutboxByKey(key)
		already = err == nil
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
		return err
	}); err != nil || already {
		return false, err
	}
	queued := false
	err = e.st.Update(func(tx *store.Tx) error {
		_, added, err := e.enqueue(tx, key, "", now)
		queued = added
		return err
	})
	return queued, err
}
