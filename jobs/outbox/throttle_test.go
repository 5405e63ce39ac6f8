package outbox

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"outreach/store"
)

// TestThrottleRoomFollowsReservations: room, which decides whether a
// message may be transmitted while its claim commits, counts what reserve
// has taken in the rolling minute and day, and only reads.
func TestThrottleRoomFollowsReservations(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "outreach.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	room := func(l Limits, at time.Time) int {
		t.Helper()
		var n int
		if err := st.View(func(tx *store.Tx) error {
			var err error
			n, err = l.room(tx, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	reserve := func(l Limits, at time.Time) bool {
		t.Helper()
		var ok bool
		if err := st.Update(func(tx *store.Tx) error {
			var err error
			ok, _, err = l.reserve(tx, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if n := room(Limits{}, now); n != math.MaxInt {
		t.Errorf("room without limits %d", n)
	}
	l := Limits{PerMinute: 5, PerDay: 7}
	for i := range 3 {
		if !reserve(l, now.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("reservation %d refused", i)
		}
	}
	if n := room(l, now.Add(3*time.Second)); n != 2 {
		t.Errorf("room after 3 of 5 a minute: %d, want 2", n)
	}
	if n := room(l, now.Add(3*time.Second)); n != 2 {
		t.Errorf("room changed by reading it: %d", n)
	}
	// A minute later the minute is free again; the day has 4 left.
	later := now.Add(61 * time.Second)
	if n := room(l, later); n != 4 {
		t.Errorf("room a minute later: %d, want 4 (the day's)", n)
	}
	for range 4 {
		reserve(l, later)
	}
	if n := room(l, later); n != 0 {
		t.Errorf("room with the day spent: %d, want 0", n)
	}
	if reserve(l, later) {
		t.Error("reservation beyond the day's budget accepted")
	}
}
