package store

import (
	"errors"
	"testing"
	"time"

	"outreach"
)

// The directory generation moves with every committed change to a mission,
// a session or the secret, once per transaction, and with nothing else; a
// transaction rolled back leaves it where it was.
func TestDirectoryGeneration(t *testing.T) {
	s, path := openTemp(t)
	gen := func() uint64 {
		t.Helper()
		var g uint64
		if err := s.View(func(tx *Tx) error { g = tx.DirectoryGeneration(); return nil }); err != nil {
			t.Fatal(err)
		}
		return g
	}
	if g := gen(); g != 0 {
		t.Fatalf("new store at generation %d, want 0", g)
	}
	step := func(name string, want uint64, fn func(tx *Tx) error) {
		t.Helper()
		err := s.Update(func(tx *Tx) error {
			if tx.DirectoryChanged() {
				t.Errorf("%s: a new transaction says it changed the directory", name)
			}
			return fn(tx)
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g := gen(); g != want {
			t.Fatalf("after %s: generation %d, want %d", name, g, want)
		}
	}
	jpn := japan()
	step("two missions in one transaction", 1, func(tx *Tx) error {
		if err := tx.PutMission(jpn); err != nil {
			return err
		}
		if !tx.DirectoryChanged() {
			t.Error("PutMission: transaction does not say it changed the directory")
		}
		fra := jpn
		fra.ID = "FRA"
		return tx.PutMission(fra)
	})
	start := time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)
	step("a session", 2, func(tx *Tx) error {
		return tx.PutSession(outreach.Session{SuR: "JPN", Start: start, End: start.Add(time.Hour)})
	})
	step("an outbox item, an answer, state and audit", 2, func(tx *Tx) error {
		if _, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "JPN"}, MessageID: "<a@x>"}); err != nil {
			return err
		}
		if _, err := tx.RecordRSVP(outreach.RSVP{Mission: "FRA", Session: "JPN", Status: outreach.Accepted}); err != nil {
			return err
		}
		if err := tx.PutState("k", 1); err != nil {
			return err
		}
		return tx.Audit("test", "x", "y")
	})
	step("the secret", 3, func(tx *Tx) error { return tx.SetSecret([]byte("0123456789abcdef0123")) })
	step("deleting a session", 4, func(tx *Tx) error {
		if err := tx.PutSession(outreach.Session{SuR: "FRA", Start: start, End: start.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.DeleteSession("FRA")
	})
	boom := errors.New("boom")
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(jpn); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("update: %v", err)
	}
	if g := gen(); g != 4 {
		t.Fatalf("after a rolled-back change: generation %d, want 4", g)
	}
	// The counter is in the file.
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s = s2
	if g := gen(); g != 4 {
		t.Fatalf("reopened: generation %d, want 4", g)
	}
}
