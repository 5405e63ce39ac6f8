package store

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// grouper gathers the Group calls waiting while a commit is in progress,
// so the next commit carries them all.
type grouper struct {
	mu      sync.Mutex
	pending []*groupCall
	running bool
}

type groupCall struct {
	fn  func(*Tx) error
	err chan error
}

// errGroupMember marks that one function of a group failed: the group's
// transaction was rolled back and each function is run again on its own.
var errGroupMember = errors.New("store: a grouped transaction failed")

// Group is Update for small transactions that many goroutines run at once
// (the outbox's connections): the calls waiting while a commit is in
// progress are run in one read-write transaction, committed durably once
// for all of them, as soon as that commit ends — nobody waits for a timer.
// Each fn is all-or-nothing with the others of its group: when fn returns
// nil, it returns only after its changes are committed. When one fn of a
// group fails, the group is rolled back and every fn of it is run again in
// a transaction of its own, so fn may run more than once and must set its
// results afresh each time.
func (s *Store) Group(fn func(*Tx) error) error {
	c := &groupCall{fn: fn, err: make(chan error, 1)}
	s.group.mu.Lock()
	s.group.pending = append(s.group.pending, c)
	if !s.group.running {
		s.group.running = true
		go s.commitGroups()
	}
	s.group.mu.Unlock()
	return <-c.err
}

func (s *Store) commitGroups() {
	for {
		s.group.mu.Lock()
		calls := s.group.pending
		s.group.pending = nil
		if len(calls) == 0 {
			s.group.running = false
			s.group.mu.Unlock()
			return
		}
		s.group.mu.Unlock()
		if len(calls) == 1 {
			calls[0].err <- s.Update(calls[0].fn)
			continue
		}
		err := s.db.Update(func(btx *bolt.Tx) error {
			tx := &Tx{tx: btx, now: s.now}
			for _, c := range calls {
				if err := c.fn(tx); err != nil {
					return fmt.Errorf("%w: %w", errGroupMember, err)
				}
			}
			return nil
		})
		switch {
		case err == nil:
			for _, c := range calls {
				c.err <- nil
			}
		case errors.Is(err, errGroupMember):
			for _, c := range calls {
				c.err <- s.Update(c.fn)
			}
		default:
			// The commit itself failed (disk, file): nothing was
			// changed; each caller hears it.
			if isStorageError(err) {
				err = fmt.Errorf("store: write %s: %w (nothing was changed; free disk space or fix the file system, then try again)", s.path, err)
			}
			for _, c := range calls {
				c.err <- err
			}
		}
	}
}
