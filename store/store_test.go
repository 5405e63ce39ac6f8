package store

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outreach.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func japan() outreach.Mission {
	return outreach.Mission{
		ID:       "JPN",
		Names:    outreach.Names{EN: "Japan", FR: "Japon", ES: "Japón"},
		Titles:   outreach.Names{EN: "Permanent Mission of Japan", FR: "Mission permanente du Japon", ES: "Misión Permanente del Japón"},
		Language: outreach.English,
		Contacts: []outreach.Contact{{Email: "geneva@jpn.mission.example"}},
		Domains:  []string{"jpn.mission.example"},
	}
}

func TestMigrateFromEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	// An existing empty file (touch) is what an operator might create by hand.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open empty file: %v", err)
	}
	defer s.Close()
	v, err := s.Version()
	if err != nil || v != SchemaVersion() {
		t.Fatalf("version = %d, %v; want %d", v, err, SchemaVersion())
	}
	err = s.View(func(tx *Tx) error {
		if len(tx.Secret()) != 32 {
			t.Errorf("secret length %d, want 32", len(tx.Secret()))
		}
		ms, err := tx.Missions()
		if len(ms) != 0 {
			t.Errorf("new store has %d missions", len(ms))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestMigrateResumesFromOlderSchema(t *testing.T) {
	// A store written at schema 0 (only the meta bucket, as a crash during
	// the first migration would leave it) is brought to the current schema.
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(bMeta)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open old store: %v", err)
	}
	defer s.Close()
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(japan()) }); err != nil {
		t.Fatalf("write after migration: %v", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put([]byte("schema"), []byte("99"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "upgrade outreach") {
		t.Fatalf("err = %v, want ErrTooNew saying to upgrade", err)
	}
}

func TestRefusesDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "outreach backup") {
		t.Fatalf("err = %v, want ErrDamaged naming outreach backup", err)
	}
}

func TestSecondOpenerFailsFast(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := Open(path, Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "outreach run") {
		t.Errorf("error does not say what to do: %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("second open waited %v", time.Since(start))
	}
}

// TestSecondProcessFailsFast opens the store from a child process while this
// one holds it: the lock is the operating system's, not the process's.
func TestSecondProcessFailsFast(t *testing.T) {
	if path := os.Getenv("OUTREACH_STORE_CHILD"); path != "" {
		_, err := Open(path, Options{Timeout: 200 * time.Millisecond})
		if errors.Is(err, ErrLocked) {
			os.Exit(3)
		}
		os.Exit(0)
	}
	_, path := openTemp(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessFailsFast$")
	cmd.Env = append(os.Environ(), "OUTREACH_STORE_CHILD="+path)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child opening a held store: %v, want exit 3 (ErrLocked)", err)
	}
}

func TestBackupRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(japan()); err != nil {
			return err
		}
		_, err := tx.RecordRSVP(outreach.RSVP{Mission: "JPN", Session: "UKR", Status: outreach.Accepted,
			Source: outreach.Source{Kind: outreach.FromStaff, Actor: "staff"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	// The live store stays open and writable while the copy is made.
	if err := s.BackupFile(backup); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := s.Update(func(tx *Tx) error { return tx.Audit("t", "after-backup", "") }); err != nil {
		t.Fatal(err)
	}
	b, err := Open(backup, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer b.Close()
	err = b.View(func(tx *Tx) error {
		m, err := tx.Mission("JPN")
		if err != nil {
			return err
		}
		if m.Titles.FR != "Mission permanente du Japon" {
			t.Errorf("title in backup = %q", m.Titles.FR)
		}
		r, err := tx.RSVP("JPN", "UKR")
		if err != nil {
			return err
		}
		if r.Status != outreach.Accepted {
			t.Errorf("rsvp in backup = %v", r.Status)
		}
		log, err := tx.AuditLog(time.Time{})
		if len(log) != 0 {
			t.Errorf("backup holds a write made after it: %v", log)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRSVPHistoryAndRevisions(t *testing.T) {
	s, _ := openTemp(t)
	t0 := time.Date(2017, 9, 1, 8, 0, 0, 0, time.UTC)
	cal := func(seq int, stamp time.Time, st outreach.Status) outreach.RSVP {
		return outreach.RSVP{Mission: "JPN", Session: "UKR", Status: st, At: stamp,
			Source: outreach.Source{Kind: outreach.FromCalendar, Sequence: seq, DTStamp: stamp}}
	}
	steps := []struct {
		r       outreach.RSVP
		applied bool
	}{
		{cal(0, t0, outreach.Accepted), true},
		{cal(1, t0.Add(time.Hour), outreach.Declined), true},
		{cal(0, t0.Add(2*time.Hour), outreach.Accepted), false},    // older revision: stale
		{cal(1, t0.Add(30*time.Minute), outreach.Accepted), false}, // same revision, older stamp
	}
	for i, st := range steps {
		var applied bool
		err := s.Update(func(tx *Tx) error {
			var err error
			applied, err = tx.RecordRSVP(st.r)
			return err
		})
		if err != nil || applied != st.applied {
			t.Fatalf("step %d: applied=%v err=%v, want %v", i, applied, err, st.applied)
		}
	}
	s.View(func(tx *Tx) error {
		cur, _ := tx.RSVP("JPN", "UKR")
		if cur.Status != outreach.Declined || cur.Source.Sequence != 1 {
			t.Errorf("current = %v seq %d, want declined seq 1", cur.Status, cur.Source.Sequence)
		}
		h, _ := tx.History("JPN", "UKR")
		if len(h) != 4 {
			t.Fatalf("history has %d entries, want 4", len(h))
		}
		if h[2].Stale == "" || h[3].Stale == "" || h[0].Stale != "" {
			t.Errorf("stale marks wrong: %+v", h)
		}
		return nil
	})
}

func TestOutboxKeysAndDueIndex(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Date(2017, 9, 1, 8, 0, 0, 0, time.UTC)
	key := outreach.OutboxKey{Kind: outreach.Invitation, Mission: "JPN"}
	var first outreach.OutboxItem
	err := s.Update(func(tx *Tx) error {
		item, added, err := tx.Enqueue(outreach.OutboxItem{Key: key, MessageID: "<a@x.example>", Created: now})
		if err != nil || !added {
			t.Fatalf("enqueue: %v %v", added, err)
		}
		first = item
		again, added, err := tx.Enqueue(outreach.OutboxItem{Key: key, MessageID: "<b@x.example>", Created: now})
		if err != nil || added || again.MessageID != "<a@x.example>" {
			t.Fatalf("second enqueue of the same key: added=%v id=%s err=%v", added, again.MessageID, err)
		}
		if _, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "FRA"}, MessageID: "<a@x.example>"}); err == nil {
			t.Fatal("a Message-ID was reused")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Update(func(tx *Tx) error {
		due, _ := tx.Due(now, 10)
		if len(due) != 1 {
			t.Fatalf("due = %d items, want 1", len(due))
		}
		item := due[0]
		item.State = outreach.Deferred
		item.Next = now.Add(time.Minute)
		if err := tx.SaveOutbox(item); err != nil {
			t.Fatal(err)
		}
		if due, _ := tx.Due(now, 10); len(due) != 0 {
			t.Fatalf("deferred item due before its time")
		}
		if due, _ := tx.Due(now.Add(time.Minute), 10); len(due) != 1 {
			t.Fatalf("deferred item not due at its time")
		}
		item.State = outreach.Sent
		tx.SaveOutbox(item)
		if due, _ := tx.Due(now.Add(time.Hour), 10); len(due) != 0 {
			t.Fatalf("sent item still due")
		}
		got, err := tx.OutboxByMessageID("<a@x.example>")
		if err != nil || got.ID != first.ID || got.State != outreach.Sent {
			t.Fatalf("by message id: %+v %v", got, err)
		}
		return nil
	})
}

func TestCheckpointNeverGoesBack(t *testing.T) {
	s, _ := openTemp(t)
	s.Update(func(tx *Tx) error {
		tx.SetCheckpoint("INBOX", Checkpoint{UIDValidity: 7, LastUID: 10})
		tx.SetCheckpoint("INBOX", Checkpoint{UIDValidity: 7, LastUID: 4})
		c, _ := tx.Checkpoint("INBOX")
		if c.LastUID != 10 {
			t.Errorf("checkpoint moved back to %d", c.LastUID)
		}
		tx.SetCheckpoint("INBOX", Checkpoint{UIDValidity: 8, LastUID: 1})
		c, _ = tx.Checkpoint("INBOX")
		if c.UIDValidity != 8 || c.LastUID != 1 {
			t.Errorf("new UIDVALIDITY not taken: %+v", c)
		}
		return nil
	})
}

func TestFailedTransactionChangesNothing(t *testing.T) {
	s, _ := openTemp(t)
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(japan()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	s.View(func(tx *Tx) error {
		if _, err := tx.Mission("JPN"); !errors.Is(err, ErrNotFound) {
			t.Errorf("rolled-back write is visible: %v", err)
		}
		return nil
	})
}
