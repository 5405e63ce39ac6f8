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
//
// The caller that finds no commit in progress commits its group itself, so
// a lone caller pays no hand-over to another goroutine; calls that arrive
// meanwhile are committed after it, by a goroutine of their own.
func (s *Store) Group(fn func(*Tx) error) error {
	c := &groupCall{fn: fn, err: make(chan error, 1)}
	s.group.mu.Lock()
	s.group.pending = append(s.group.pending, c)
	if s.group.running {
		s.group.mu.Unlock()
		return <-c.err
	}
	s.group.running = true
	s.group.mu.Unlock()
	// This caller's call is in the first group taken.
	if s.commitGroup() {
		go s.commitGroups()
	}
	return <-c.err
}

func (s *Store) commitGroups() {
	for s.commitGroup() {
	}
}

// commitGroup commits the calls pending now, if any, and reports whether
// more arrived meanwhile, to be committed next; when none did, it marks
// the grouper idle.
func (s *Store) commitGroup() (more bool) {
	s.group.mu.Lock()
	calls := s.group.pending
	s.group.pending = nil
	s.group.mu.Unlock()
	if len(calls) > 0 {
		s.commitCalls(calls)
	}
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	if len(s.group.pending) == 0 {
		s.group.running = false
		return false
	}
	return true
}

func (s *Store) commitCalls(calls []*groupCall) {
	if len(calls) == 1 {
		calls[0].err <- s.Update(calls[0].fn)
		return
	}
	err := s.db.Update(func(btx *bolt.Tx) error {
		tx := s.bind(btx)
		for _, c := range calls {
			if err := c.fn(tx); err != nil {
				return fmt.Errorf("%w: %w", errGroupMember, err)
			}
		}
		return nil
	})
	s.noteWrite(err)
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
