package store

import (
	"fmt"
	"sync"
	"syscall"
	"time"
)

// MinFreeBytes is the free space below which the file system holding the
// store is reported full: the file grows by doubling (up to 1 GiB at a
// time), so a store needs room to grow before a write is refused.
const MinFreeBytes = 1 << 20

// Writability is whether the store can be written, for health checks.
type Writability struct {
	// Writable is false after a write failed for want of space or an I/O
	// error (until a write succeeds again or space comes back), and while
	// the file system holding the store has less than MinFreeBytes free.
	Writable bool `json:"writable"`
	// Problem says why not, in words an operator can act on.
	Problem string `json:"problem,omitempty"`
	// Since is when the problem was first seen.
	Since time.Time `json:"since,omitzero"`
	// FreeBytes is the space free for the store's file system; -1 when it
	// cannot be read.
	FreeBytes int64 `json:"free_bytes"`
	// LastWrite is when a write last succeeded in this process.
	LastWrite time.Time `json:"last_write,omitzero"`
}

// writeHealth is the outcome of the latest writes.
type writeHealth struct {
	mu        sync.Mutex
	err       error
	since     time.Time
	freeAtErr int64
	lastWrite time.Time
	lowSince  time.Time
}

// noteWrite records the outcome of a commit: a storage error makes the
// store unwritable until a write succeeds or space comes back.
func (s *Store) noteWrite(err error) {
	h := &s.health
	if err != nil && !isStorageError(err) {
		return
	}
	now := s.now()
	var free int64 = -1
	if err != nil {
		free = s.freeBytes()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.err, h.lastWrite = nil, now
		return
	}
	if h.err == nil {
		h.since = now
	}
	h.err, h.freeAtErr = err, free
}

// freeBytes is the space free for unprivileged writers on the store's file
// system, -1 when unknown.
func (s *Store) freeBytes() int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dirOf(s.path), &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// Writability reports whether the store can be written. It writes nothing:
// it looks at the free space of the file system and at the outcome of the
// latest write. A failed write counts until a write succeeds or the free
// space has grown since the failure (space came back): the caller should
// then let its workers try again at once rather than wait for their
// backoff.
func (s *Store) Writability() Writability {
	h := &s.health
	free := s.freeBytes()
	now := s.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	w := Writability{Writable: true, FreeBytes: free, LastWrite: h.lastWrite}
	if h.err != nil {
		if free >= 0 && h.freeAtErr >= 0 && free > h.freeAtErr+MinFreeBytes/4 {
			h.err = nil // space came back; the next write will tell
		} else {
			w.Writable, w.Problem, w.Since = false, h.err.Error(), h.since
			return w
		}
	}
	if free >= 0 && free < MinFreeBytes {
		if h.lowSince.IsZero() {
			h.lowSince = now
		}
		w.Writable, w.Since = false, h.lowSince
		w.Problem = fmt.Sprintf("store: the file system holding %s has %d KiB free, less than %d KiB: writes will soon be refused; free disk space", s.path, free>>10, MinFreeBytes>>10)
		return w
	}
	h.lowSince = time.Time{}
	return w
}
