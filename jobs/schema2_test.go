package jobs

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

// asSchema2 turns the store file at path, written by this build, into
// what schema 2 left: one round, its buckets at the top of the file; no
// key of calendar UIDs and nothing recorded as sent with a readable UID.
// Opening it again runs the migrations from schema 2.
func asSchema2(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		rounds := tx.Bucket([]byte("rounds"))
		round := rounds.Bucket([]byte("0028"))
		top := tx.Bucket([]byte("state"))
		var names [][]byte
		if err := round.ForEach(func(k, v []byte) error {
			if v == nil {
				names = append(names, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, name := range names {
			if string(name) == "state" {
				if err := round.Bucket(name).ForEach(func(k, v []byte) error { return top.Put(k, v) }); err != nil {
					return err
				}
				continue
			}
			if string(name) == "calendar_uids_readable" {
				continue
			}
			if err := tx.MoveBucket(name, round, nil); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket([]byte("rounds")); err != nil {
			return err
		}
		meta := tx.Bucket([]byte("meta"))
		for _, k := range []string{"current-round", "outbox-id", "calendar-uid-key"} {
			if err := meta.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return meta.Put([]byte("schema"), []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
}
