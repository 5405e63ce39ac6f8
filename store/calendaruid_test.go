package store

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// TestMigrationKeepsReadableUIDsOfCopiesSent opens a store at schema 2
// whose outbox holds messages in every state: the copies that may have
// reached a mission (sent, being sent, or attempted) are recorded as
// keeping their readable UID, those never attempted are not, and the
// store gains a key of its own for the other UIDs.
func TestMigrationKeepsReadableUIDsOfCopiesSent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := []outreach.OutboxItem{
		// Sent with the calendar data of two sessions.
		{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "AUT"}, State: outreach.Sent, Attempts: 1, Revisions: map[string]int{"JPN": 0, "KOR": 0}},
		// Deferred after an attempt: it may have arrived.
		{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "BEL"}, State: outreach.Deferred, Attempts: 1, Revisions: map[string]int{"JPN": 0}},
		// Queued, never tried.
		{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "CHE"}, State: outreach.Queued},
		// Caught in sending, without revisions: every session.
		{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "DEU"}, State: outreach.Sending, Attempts: 1},
		// A confirmation sent before revisions were kept.
		{Key: outreach.OutboxKey{Kind: outreach.Confirmation, Mission: "FRA", Session: "UKR", Revision: "0"}, State: outreach.Sent, Attempts: 1},
		// A superseded confirmation, never sent.
		{Key: outreach.OutboxKey{Kind: outreach.Confirmation, Mission: "GHA", Session: "UKR", Revision: "0"}, State: outreach.Superseded},
		// A reminder carries no calendar.
		{Key: outreach.OutboxKey{Kind: outreach.Reminder, Mission: "ITA", Revision: "r1"}, State: outreach.Sent, Attempts: 1},
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bMeta); err != nil {
			return err
		}
		for _, m := range migrations[:2] {
			if err := m(tx, migrateEnv{}); err != nil {
				return err
			}
		}
		st := &Tx{tx: tx}
		for _, s := range []string{"JPN", "KOR", "UKR"} {
			if err := st.put(bSessions, s, outreach.Session{SuR: s}); err != nil {
				return err
			}
		}
		for i, it := range items {
			it.MessageID = "<m" + string(rune('a'+i)) + "@x>"
			it.Created = time.Date(2017, 9, 1, 8, 0, 0, 0, time.UTC)
			if _, _, err := st.Enqueue(it); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte("schema"), []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.View(func(tx *Tx) error {
		if len(tx.CalendarUIDKey()) != 32 {
			t.Errorf("no key for calendar UIDs after the migration")
		}
		got, err := tx.ReadableUIDs()
		if err != nil {
			return err
		}
		want := map[string]bool{"AUT/JPN": true, "AUT/KOR": true, "BEL/JPN": true,
			"DEU/JPN": true, "DEU/KOR": true, "DEU/UKR": true, "FRA/UKR": true}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("copies keeping their readable UID: %v, want %v", got, want)
		}
		// The later migration indexes the message caught in sending.
		sending, err := tx.SendingItems()
		if err != nil {
			return err
		}
		if len(sending) != 1 || sending[0].Key.Mission != "DEU" {
			t.Errorf("items in sending after the migrations: %v, want DEU's invitation", sending)
		}
		if d := tx.Depth(); d != 3 {
			t.Errorf("depth %d after the migrations, want 3 (queued CHE, sending DEU, deferred BEL)", d)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	consistent(t, s)
}

// TestNewStoreHasNoReadableUIDs: a store made now keys every UID.
func TestNewStoreHasNoReadableUIDs(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.View(func(tx *Tx) error {
		got, err := tx.ReadableUIDs()
		if len(got) != 0 || len(tx.CalendarUIDKey()) != 32 {
			t.Errorf("new store: %d readable UIDs, key of %d bytes", len(got), len(tx.CalendarUIDKey()))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
