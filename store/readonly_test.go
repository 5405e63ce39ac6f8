package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestJournalPendingAfterAnUncleanStop: deliveries left in the send
// journal are what a read-only opener must not skip; once a read-write
// open records them, nothing is pending.
func TestJournalPendingAfterAnUncleanStop(t *testing.T) {
	s, path := openTemp(t)
	if JournalPending(path) {
		t.Fatal("a new store has deliveries pending")
	}
	items := claimed(t, s, "JPN")
	if err := s.JournalSent(delivered(items[0], time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // without JournalRecorded: what a kill leaves
		t.Fatal(err)
	}
	if !JournalPending(path) {
		t.Fatal("the journaled delivery is not pending")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if JournalPending(path) {
		t.Error("still pending after a read-write open recorded it")
	}
	if JournalPending(filepath.Join(t.TempDir(), "none.db")) {
		t.Error("a store without a journal has deliveries pending")
	}
}

// TestReadOnlyOpenOfAnOlderSchemaIsErrOldSchema: the CLI tells "migrate
// first" from other failures of a read-only open.
func TestReadOnlyOpenOfAnOlderSchemaIsErrOldSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bMeta); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrOldSchema) {
		t.Fatalf("read-only open of an older schema: %v, want ErrOldSchema", err)
	}
}
