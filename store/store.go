// Package store keeps outreach's state in one bbolt file: missions, sessions,
// RSVPs and their history, the outbox, intake checkpoints, processed
// messages, the review queue and an audit log.
//
// One process owns the file at a time (bbolt's file lock); a second opener
// fails after a short timeout with ErrLocked instead of waiting forever. The
// file carries a schema version and is migrated forward when opened.
// Values are JSON, so a record can be read with nothing but the schema.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"outreach"
)

// Errors callers test for with errors.Is.
var (
	// ErrLocked means another process has the store open.
	ErrLocked = errors.New("store: in use by another process")
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrDamaged means the file is not a readable store.
	ErrDamaged = errors.New("store: damaged")
	// ErrTooNew means the file was written by a newer version of outreach.
	ErrTooNew = errors.New("store: written by a newer outreach")
)

// Bucket names.
var (
	bMeta        = []byte("meta")
	bMissions    = []byte("missions")
	bSessions    = []byte("sessions")
	bRSVP        = []byte("rsvp")
	bHistory     = []byte("rsvp_history")
	bOutbox      = []byte("outbox")
	bOutboxKeys  = []byte("outbox_keys")
	bOutboxMsgID = []byte("outbox_msgid")
	bProcessed   = []byte("processed")
	bCheckpoints = []byte("checkpoints")
	bReview      = []byte("review")
	bAudit       = []byte("audit")
	bState       = []byte("state")
	bOutboxDue   = []byte("outbox_due")
)

// Options configure Open.
type Options struct {
	// Timeout is how long to wait for another process to release the file.
	// Default one second.
	Timeout time.Duration
	// ReadOnly opens the file without taking the write lock (for reading a
	// backup while the daemon runs on the live store).
	ReadOnly bool
	// NoSync skips fsync (tests and benchmarks of throughput only).
	NoSync bool
	// JournalSize is the size of the send journal beside the file (see
	// JournalSent); default 1 MiB, room for some 29,000 deliveries not yet
	// recorded in the store.
	JournalSize int64
	// JournalFault, for tests, is called instead of the send journal's
	// flush.
	JournalFault func() error
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Round is the round the store acts on; 0 for the current round.
	Round int
	// FirstRound is the round a store holding one round (schema 3 and
	// earlier) becomes when it is migrated, and the first round of a new
	// store: the configuration's [event]. Its Number, when 0, is
	// DefaultFirstRound.
	FirstRound outreach.Round
}

// Store is an open state file.
type Store struct {
	db      *bolt.DB
	path    string
	now     func() time.Time
	round   int      // the round bound at Open
	group   grouper  // see Group
	journal *journal // nil when read-only
	health  writeHealth
}

// Open opens or creates the store at path and migrates it to the current
// schema. A file locked by another process gives ErrLocked, a damaged one
// ErrDamaged, and a newer schema ErrTooNew; each error names the file and
// what to do.
func Open(path string, opts Options) (s *Store, err error) {
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	if err := checkPages(db, path); err != nil {
		db.Close()
		return nil, err
	}
	s = &Store{db: db, path: path, now: opts.Now}
	if opts.ReadOnly {
		if err := s.checkVersion(); err != nil {
			db.Close()
			return nil, err
		}
		if err := s.bindRound(opts.Round); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}
	if err := s.migrate(migrateEnv{first: opts.FirstRound, now: opts.Now}); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.bindRound(opts.Round); err != nil {
		db.Close()
		return nil, err
	}
	j, entries, err := openJournal(path, opts.JournalSize, opts.NoSync)
	if err != nil {
		db.Close()
		return nil, err
	}
	j.failSync = opts.JournalFault
	s.journal = j
	if err := s.replayJournal(entries); err != nil {
		j.close()
		db.Close()
		return nil, err
	}
	return s, nil
}

func openBolt(path string, opts Options) (db *bolt.DB, err error) {
	// bbolt panics on some kinds of damage instead of returning an error.
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: %s: %v; restore it from a copy made with `outreach backup`", ErrDamaged, path, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  opts.Timeout,
		ReadOnly: opts.ReadOnly,
		NoSync:   opts.NoSync,
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s is open in another process; if `outreach run` is running, use the CLI while it runs (it talks to the daemon), or stop it first", ErrLocked, path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrInvalidMapping),
		strings.HasPrefix(err.Error(), "file size too small"):
		return nil, fmt.Errorf("%w: %s: %v; restore it from a copy made with `outreach backup`", ErrDamaged, path, err)
	}
	return nil, fmt.Errorf("store: open %s: %w", path, err)
}

// checkPages refuses a file whose pages do not hold together: cut short,
// or with pages overwritten. bbolt opens such a file and fails or panics
// only when the damaged page is read; checking every page at open turns
// that into ErrDamaged before anything runs.
func checkPages(db *bolt.DB, path string) (err error) {
	damaged := func(what any) error {
		return fmt.Errorf("%w: %s: %v; restore it from a copy made with `outreach backup`", ErrDamaged, path, what)
	}
	defer func() {
		if r := recover(); r != nil {
			err = damaged(r)
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	return db.View(func(tx *bolt.Tx) error {
		if need := tx.Size(); need > fi.Size() {
			return damaged(fmt.Sprintf("the file is %d bytes but its pages need %d (cut short)", fi.Size(), need))
		}
		// Reading every key reads every branch and leaf page; bbolt checks
		// each page's header as it reads it, and panics on a bad one. The
		// meta pages are left to bbolt, which opens with either of its two.
		var walk func(b *bolt.Bucket) error
		walk = func(b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					if child := b.Bucket(k); child != nil {
						return walk(child)
					}
				}
				return nil
			})
		}
		if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) }); err != nil {
			return damaged(err)
		}
		return nil
	})
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the file and releases the lock.
func (s *Store) Close() error {
	if s.journal != nil {
		if err := s.journal.close(); err != nil {
			s.db.Close()
			return fmt.Errorf("store: close %s: %w", s.journal.path, err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// Backup writes a consistent copy of the store to w while it stays in use.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the store to path, atomically: the
// copy is written beside it, synced, and renamed into place.
func (s *Store) BackupFile(path string) (err error) {
	tmp, err := os.CreateTemp(dirOf(path), ".outreach-backup-*")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = s.Backup(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			if i == 0 {
				return "/"
			}
			return path[:i]
		}
	}
	return "."
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(s.bind(btx)) })
}

// Update runs fn in a read-write transaction, committed durably when fn
// returns nil and rolled back otherwise.
func (s *Store) Update(fn func(*Tx) error) error {
	err := s.db.Update(func(btx *bolt.Tx) error { return fn(s.bind(btx)) })
	s.noteWrite(err)
	if err != nil && isStorageError(err) {
		return fmt.Errorf("store: write %s: %w (nothing was changed; free disk space or fix the file system, then try again)", s.path, err)
	}
	return err
}

// isStorageError tells an I/O failure of the file from an error returned by
// the transaction's own logic.
func isStorageError(err error) bool {
	var pe *os.PathError
	var errno syscall.Errno
	if errors.As(err, &pe) || errors.As(err, &errno) ||
		errors.Is(err, bolterrors.ErrDatabaseNotOpen) || errors.Is(err, os.ErrClosed) {
		return true
	}
	// bbolt flattens the errors of growing the file to text.
	msg := err.Error()
	for _, p := range []string{"file resize error: ", "file sync error: ", "mmap allocate error: "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// Tx is a transaction with typed accessors for every record.
type Tx struct {
	tx  *bolt.Tx
	now func() time.Time
	// round is the round the transaction acts on and rb its bucket (nil
	// in a store opened read-only before its migration to rounds).
	round int
	rb    *bolt.Bucket
	// dirChanged is set once the transaction has changed a mission, a
	// session or the secret (and bumped the directory generation).
	dirChanged bool
}

// Now returns the store's clock reading.
func (t *Tx) Now() time.Time { return t.now() }

// bucketFor returns the bucket name for key in this transaction's round.
func (t *Tx) bucketFor(bucket []byte, key string) *bolt.Bucket {
	if string(bucket) == string(bState) {
		return t.stateBucket(key)
	}
	return t.bucket(bucket)
}

func (t *Tx) get(bucket []byte, key string, v any) error {
	b := t.bucketFor(bucket, key)
	raw := b.Get([]byte(key))
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: read %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (t *Tx) put(bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", bucket, key, err)
	}
	return t.bucketFor(bucket, key).Put([]byte(key), raw)
}

// each calls fn for every value in bucket whose key starts with prefix, in
// key order; fn decodes the value itself.
func (t *Tx) each(bucket []byte, prefix string, fn func(k, v []byte) error) error {
	c := t.bucketFor(bucket, prefix).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func hasPrefix(b, p []byte) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == string(p)
}

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// DropMapped lets go of the pages of the store's memory map that reading
// has brought into the process's resident set. bbolt reads every record
// through a shared, read-only map of the file, and each page read stays
// resident until the file is mapped anew: a long run that reads or
// rewrites most of a large store (an outbox of 50,000 messages, each
// body read when it is dropped) would hold most of the file. The pages
// stay in the kernel's page cache; one read again costs a minor fault.
func (s *Store) DropMapped() error {
	return s.db.View(func(btx *bolt.Tx) error { return dropMapped(btx) })
}
