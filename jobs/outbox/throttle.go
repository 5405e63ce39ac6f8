package outbox

import (
	"math"
	"time"

	"outreach/store"
)

// Limits throttle sending: at most PerMinute messages in any rolling minute
// and PerDay in any rolling 24 hours. Zero means no limit.
type Limits struct {
	PerMinute int
	PerDay    int
}

// throttleState is kept in the store, so the limits hold across restarts:
// a daemon restarted in a loop cannot exceed them.
type throttleState struct {
	// Recent holds the times of the last PerMinute sends.
	Recent []time.Time `json:"recent"`
	// Hours counts sends per hour (Unix hour number) over the last day.
	Hours map[int64]int `json:"hours"`
}

const throttleKey = "smtp-throttle"

// window reads the throttle state with what is out of both windows
// forgotten, and counts the sends of the last 24 hours.
func (l Limits) window(tx *store.Tx, now time.Time) (st throttleState, day int, err error) {
	if _, err := tx.GetState(throttleKey, &st); err != nil {
		return st, 0, err
	}
	if st.Hours == nil {
		st.Hours = map[int64]int{}
	}
	recent := st.Recent[:0]
	for _, t := range st.Recent {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	st.Recent = recent
	hour := now.Unix() / 3600
	for h, n := range st.Hours {
		if h <= hour-24 {
			delete(st.Hours, h)
			continue
		}
		day += n
	}
	return st, day, nil
}

// room returns how many sends the budget allows now (math.MaxInt without
// limits). It only reads, so it may run in a read-only transaction.
func (l Limits) room(tx *store.Tx, now time.Time) (int, error) {
	if l.PerMinute <= 0 && l.PerDay <= 0 {
		return math.MaxInt, nil
	}
	st, day, err := l.window(tx, now)
	if err != nil {
		return 0, err
	}
	n := math.MaxInt
	if l.PerMinute > 0 {
		n = min(n, l.PerMinute-len(st.Recent))
	}
	if l.PerDay > 0 {
		n = min(n, l.PerDay-day)
	}
	return max(n, 0), nil
}

// reserve takes one send from the budget, or returns the earliest time one
// will be available.
func (l Limits) reserve(tx *store.Tx, now time.Time) (ok bool, retry time.Time, err error) {
	if l.PerMinute <= 0 && l.PerDay <= 0 {
		return true, time.Time{}, nil
	}
	st, day, err := l.window(tx, now)
	if err != nil {
		return false, time.Time{}, err
	}
	hour := now.Unix() / 3600
	if l.PerMinute > 0 && len(st.Recent) >= l.PerMinute {
		return false, st.Recent[len(st.Recent)-l.PerMinute].Add(time.Minute), nil
	}
	if l.PerDay > 0 && day >= l.PerDay {
		oldest := hour
		for h := range st.Hours {
			if h < oldest {
				oldest = h
			}
		}
		return false, time.Unix((oldest+24)*3600, 0), nil
	}
	st.Recent = append(st.Recent, now)
	if l.PerMinute > 0 && len(st.Recent) > l.PerMinute {
		st.Recent = st.Recent[len(st.Recent)-l.PerMinute:]
	}
	st.Hours[hour]++
	return true, time.Time{}, tx.PutState(throttleKey, st)
}
