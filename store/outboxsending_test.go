package store

import (
	"testing"
	"time"

	"outreach"
)

// TestSendingIndexFollowsTheItems: an item is in the index of messages in
// sending exactly while its state is sending, whatever state it comes from
// or goes to, and the depth counts queued, deferred and sending items.
func TestSendingIndexFollowsTheItems(t *testing.T) {
	s, _ := openTemp(t)
	var ids []uint64
	if err := s.Update(func(tx *Tx) error {
		for i, m := range []string{"AUT", "BEL", "CHE"} {
			it, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: m},
				MessageID: "<i" + string(rune('a'+i)) + "@x>", Created: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)})
			if err != nil {
				return err
			}
			ids = append(ids, it.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	set := func(id uint64, st outreach.OutboxState) {
		t.Helper()
		if err := s.Update(func(tx *Tx) error {
			it, err := tx.OutboxItem(id)
			if err != nil {
				return err
			}
			it.State = st
			return tx.SaveOutbox(it)
		}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, wantSending []uint64, wantDepth int) {
		t.Helper()
		if err := s.View(func(tx *Tx) error {
			got, err := tx.SendingItems()
			if err != nil {
				return err
			}
			var gotIDs []uint64
			for _, it := range got {
				if it.State != outreach.Sending {
					t.Errorf("%s: item %d listed as sending is %s", what, it.ID, it.State)
				}
				gotIDs = append(gotIDs, it.ID)
			}
			if len(gotIDs) != len(wantSending) {
				t.Errorf("%s: in sending %v, want %v", what, gotIDs, wantSending)
			}
			for i := range min(len(gotIDs), len(wantSending)) {
				if gotIDs[i] != wantSending[i] {
					t.Errorf("%s: in sending %v, want %v", what, gotIDs, wantSending)
				}
			}
			if d := tx.Depth(); d != wantDepth {
				t.Errorf("%s: depth %d, want %d", what, d, wantDepth)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	check("queued", nil, 3)
	set(ids[0], outreach.Sending)
	set(ids[2], outreach.Sending)
	check("two claimed", []uint64{ids[0], ids[2]}, 3)
	set(ids[0], outreach.Sent)
	check("one sent", []uint64{ids[2]}, 2)
	set(ids[2], outreach.Deferred)
	check("one deferred", nil, 2)
	set(ids[2], outreach.Sending)
	set(ids[1], outreach.Sending)
	set(ids[1], outreach.Failed)
	set(ids[2], outreach.Queued)
	check("failed and re-queued", nil, 1)
	set(ids[2], outreach.Sending)
	set(ids[2], outreach.Superseded)
	check("superseded", nil, 0)
	consistent(t, s)
}
