package store

import (
	"crypto/rand"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// bReadableUIDs lists the copies of sessions, "MISSION/SESSION", that went
// out with the readable UID of schema 2 and earlier
// (outreach.ReadableCalendarUID) before the store had a UID key: those
// copies keep that UID, which the missions' calendars hold. Every other
// copy's UID is keyed (outreach.CalendarUID with CalendarUIDKey).
var bReadableUIDs = []byte("calendar_uids_readable")

// uidKeyName names the key of calendar UIDs in bMeta.
var uidKeyName = []byte("calendar-uid-key")

// CalendarUIDKey returns the store's random key for calendar UIDs: made
// once, by the migration to schema 3, and never changed, so a copy's UID
// is the same for as long as the store lives. It is nil only in a store
// opened read-only before that migration.
func (t *Tx) CalendarUIDKey() []byte {
	return append([]byte(nil), t.tx.Bucket(bMeta).Get(uidKeyName)...)
}

// ReadableUIDs returns the copies, as "MISSION/SESSION", that keep the
// readable UID they were first sent with.
func (t *Tx) ReadableUIDs() (map[string]bool, error) {
	out := map[string]bool{}
	b := t.bucket(bReadableUIDs)
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, _ []byte) error {
		out[string(k)] = true
		return nil
	})
	return out, err
}

// migrateCalendarUIDs makes the store's key of calendar UIDs and records
// the copies that may already have reached a mission with the readable
// UID: those of every message carrying calendar data that was attempted
// (sent, being sent, or tried at least once, since a failed attempt may
// still have been delivered).
func migrateCalendarUIDs(tx *bolt.Tx) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	if err := tx.Bucket(bMeta).Put(uidKeyName, key); err != nil {
		return err
	}
	held, err := tx.CreateBucketIfNotExists(bReadableUIDs)
	if err != nil {
		return err
	}
	var sessions []string
	if err := tx.Bucket(bSessions).ForEach(func(k, _ []byte) error {
		sessions = append(sessions, string(k))
		return nil
	}); err != nil {
		return err
	}
	return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		var it outreach.OutboxItem
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("read outbox %d: %w", btoi(k), err)
		}
		if it.Key.Mission == "" || (it.Attempts == 0 && it.State != outreach.Sent && it.State != outreach.Sending) {
			return nil
		}
		var copies []string
		for s := range it.Revisions {
			copies = append(copies, s)
		}
		if len(copies) == 0 {
			switch it.Key.Kind {
			case outreach.Invitation:
				copies = sessions
			case outreach.Confirmation, outreach.Update, outreach.Cancellation:
				copies = []string{it.Key.Session}
			}
		}
		for _, s := range copies {
			if s == "" {
				continue
			}
			if err := held.Put([]byte(it.Key.Mission+"/"+s), []byte{1}); err != nil {
				return err
			}
		}
		return nil
	})
}
