package store

import (
	"testing"
	"time"

	"outreach"
)

// TestOutboxItemReadsAreTheirOwn: items read back are decoded once and
// kept, but each read is the caller's own copy — changing its recipients
// or revisions changes nothing stored or read after — and an item saved
// since is read as saved, in this store or another holding the same id.
func TestOutboxItemReadsAreTheirOwn(t *testing.T) {
	s, _ := openTemp(t)
	other, _ := openTemp(t)
	var id uint64
	for _, st := range []*Store{s, other} {
		if err := st.Update(func(tx *Tx) error {
			it, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "JPN"},
				MessageID: "<memo@x>", To: []string{"a@jpn.example"}, Revisions: map[string]int{"GAB": 1},
				Created: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)})
			id = it.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(st *Store) outreach.OutboxItem {
		t.Helper()
		var it outreach.OutboxItem
		if err := st.View(func(tx *Tx) error {
			var err error
			it, err = tx.OutboxItem(id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return it
	}
	for range 2 { // decoded, then kept
		first := read(s)
		first.To[0] = "changed@x"
		first.Revisions["GAB"] = 9
	}
	again := read(s)
	if again.To[0] != "a@jpn.example" || again.Revisions["GAB"] != 1 {
		t.Fatalf("a change to an item read changed the next read: %v %v", again.To, again.Revisions)
	}
	again.To = append(again.To[:0], "b@jpn.example")
	again.Revisions = map[string]int{"GAB": 2, "AUT": 1}
	if err := s.Update(func(tx *Tx) error { return tx.SaveOutbox(again) }); err != nil {
		t.Fatal(err)
	}
	saved := read(s)
	if len(saved.To) != 1 || saved.To[0] != "b@jpn.example" || saved.Revisions["GAB"] != 2 || saved.Revisions["AUT"] != 1 {
		t.Fatalf("read after a save: %v %v", saved.To, saved.Revisions)
	}
	if o := read(other); o.To[0] != "a@jpn.example" || o.Revisions["GAB"] != 1 {
		t.Fatalf("another store's item with the same id read as this one's: %v %v", o.To, o.Revisions)
	}
}
