package store

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// migrateEnv is what a migration may need besides the file: the round a
// store holding one round becomes (Options.FirstRound) and the clock.
type migrateEnv struct {
	first outreach.Round
	now   func() time.Time
}

// plain adapts a migration that needs nothing but the file.
func plain(fn func(tx *bolt.Tx) error) func(*bolt.Tx, migrateEnv) error {
	return func(tx *bolt.Tx, _ migrateEnv) error { return fn(tx) }
}

// migrations bring a store from schema version i to i+1. They run in one
// transaction each, so a crash leaves the file at a version it can resume
// from. Append only; never edit a migration that has shipped.
var migrations = []func(tx *bolt.Tx, env migrateEnv) error{
	// 0 → 1: the first schema.
	plain(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMissions, bSessions, bRSVP, bHistory, bOutbox, bOutboxKeys,
			bOutboxMsgID, bOutboxDue, bProcessed, bCheckpoints, bReview, bAudit, bState} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		// secret keys the per-mission reply tokens.
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put([]byte("secret"), secret)
	}),
	// 1 → 2: the bytes of each pending message as composed at its claim,
	// so that a message sent again is the same, byte for byte.
	plain(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bOutboxBody)
		return err
	}),
	// 2 → 3: calendar UIDs no one can guess, keyed by a random key of the
	// store's own; the copies of sessions already sent with the earlier,
	// readable UIDs keep them.
	plain(migrateCalendarUIDs),
	// 3 → 4: rounds. The store's one round becomes a round record
	// (Options.FirstRound, the 28th by default) holding its sessions,
	// answers, outbox, review queue and state, unchanged.
	migrateRounds,
	// 4 → 5: an index of the outbox items in sending, so that a start
	// finds what a crash left there without reading the whole outbox.
	plain(migrateSendingIndex),
}

// SchemaVersion is the schema this build writes.
func SchemaVersion() int { return len(migrations) }

func readVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get([]byte("schema"))
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("%w: schema version %q unreadable", ErrDamaged, v)
	}
	return n, nil
}

func (s *Store) checkVersion() error {
	return s.db.View(func(tx *bolt.Tx) error {
		v, err := readVersion(tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion() {
			return fmt.Errorf("%w: %s has schema %d, this outreach knows %d; upgrade outreach", ErrTooNew, s.path, v, SchemaVersion())
		}
		if v < SchemaVersion() {
			return fmt.Errorf("%w: %s has schema %d, this outreach writes %d; open it once read-write to migrate", ErrOldSchema, s.path, v, SchemaVersion())
		}
		return nil
	})
}

func (s *Store) migrate(env migrateEnv) error {
	for {
		done := false
		err := s.db.Update(func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucketIfNotExists(bMeta); err != nil {
				return err
			}
			v, err := readVersion(tx)
			if err != nil {
				return err
			}
			if v > SchemaVersion() {
				return fmt.Errorf("%w: %s has schema %d, this outreach knows %d; upgrade outreach", ErrTooNew, s.path, v, SchemaVersion())
			}
			if v == SchemaVersion() {
				done = true
				return nil
			}
			if err := migrations[v](tx, env); err != nil {
				return fmt.Errorf("store: migrate %s from schema %d: %w", s.path, v, err)
			}
			return tx.Bucket(bMeta).Put([]byte("schema"), []byte(strconv.Itoa(v+1)))
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// Version returns the store's schema version.
func (s *Store) Version() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = readVersion(tx)
		return err
	})
	return v, err
}
