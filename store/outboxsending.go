package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// bOutboxSending indexes the outbox items in sending (keyed like bOutbox,
// no value): what a crash leaves there is found without reading every item
// of the outbox, which at tens of thousands of messages would bring the
// whole outbox into memory at each start.
var bOutboxSending = []byte("outbox_sending")

// indexSending keeps bOutboxSending in step with an item written in state
// item.State, that was in old.State (old nil: a new item).
func (t *Tx) indexSending(item outreach.OutboxItem, old *outreach.OutboxItem) error {
	was := old != nil && old.State == outreach.Sending
	is := item.State == outreach.Sending
	if was == is {
		return nil
	}
	idx := t.bucket(bOutboxSending)
	if idx == nil {
		// A file at a schema before the index (written by a migration):
		// migrateSendingIndex builds it from the items.
		return nil
	}
	if is {
		return idx.Put(itob(item.ID), nil)
	}
	return idx.Delete(itob(item.ID))
}

// SendingItems returns the items in sending, from the index: only those
// items are read.
func (t *Tx) SendingItems() ([]outreach.OutboxItem, error) {
	var out []outreach.OutboxItem
	err := t.each(bOutboxSending, "", func(k, _ []byte) error {
		it, err := t.OutboxItem(btoi(k))
		if err != nil {
			return err
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

// Depth returns the number of messages still to send (queued, deferred or
// in sending), from the indexes: no item is read.
func (t *Tx) Depth() int {
	n := t.Waiting()
	idx := t.bucket(bOutboxSending)
	if idx == nil {
		return n
	}
	c := idx.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// migrateSendingIndex (schema 4 → 5) builds every round's index of the
// items in sending from its outbox.
func migrateSendingIndex(tx *bolt.Tx) error {
	rs := tx.Bucket(bRounds)
	if rs == nil {
		return nil
	}
	return rs.ForEachBucket(func(k []byte) error {
		rb := rs.Bucket(k)
		idx, err := rb.CreateBucketIfNotExists(bOutboxSending)
		if err != nil {
			return err
		}
		ob := rb.Bucket(bOutbox)
		if ob == nil {
			return nil
		}
		return ob.ForEach(func(id, v []byte) error {
			var item outreach.OutboxItem
			if err := json.Unmarshal(v, &item); err != nil {
				return fmt.Errorf("round %s: outbox %d: %w", k, btoi(id), err)
			}
			if item.State != outreach.Sending {
				return nil
			}
			return idx.Put(id, nil)
		})
	})
}
