package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"outreach"
)

// Enqueue adds item to the outbox unless a message with the same key is
// already there; it returns the stored item and whether it was added. The
// caller fixes item.MessageID before calling, so the Message-ID is stored
// before the first attempt.
func (t *Tx) Enqueue(item outreach.OutboxItem) (outreach.OutboxItem, bool, error) {
	if item.MessageID == "" {
		return item, false, errors.New("store: enqueue: message id required")
	}
	keys := t.bucket(bOutboxKeys)
	if id := keys.Get([]byte(item.Key.String())); id != nil {
		existing, err := t.OutboxItem(btoi(id))
		return existing, false, err
	}
	if t.bucket(bOutboxMsgID).Get([]byte(item.MessageID)) != nil {
		return item, false, fmt.Errorf("store: enqueue %s: message id %s already used", item.Key, item.MessageID)
	}
	id, err := t.nextOutboxID()
	if err != nil {
		return item, false, err
	}
	item.ID = id
	if item.Created.IsZero() {
		item.Created = t.now()
	}
	if item.Next.IsZero() {
		item.Next = item.Created
	}
	if err := keys.Put([]byte(item.Key.String()), itob(id)); err != nil {
		return item, false, err
	}
	if err := t.bucket(bOutboxMsgID).Put([]byte(item.MessageID), itob(id)); err != nil {
		return item, false, err
	}
	return item, true, t.writeOutbox(item, nil)
}

func dueKey(item outreach.OutboxItem) []byte {
	return append(itob(uint64(item.Next.UnixNano())), itob(item.ID)...)
}

// writeOutbox stores item and keeps the due index in step: only queued and
// deferred items are in it, keyed by their next attempt.
func (t *Tx) writeOutbox(item outreach.OutboxItem, old *outreach.OutboxItem) error {
	due := t.bucket(bOutboxDue)
	if old != nil && (old.State == outreach.Queued || old.State == outreach.Deferred) {
		if err := due.Delete(dueKey(*old)); err != nil {
			return err
		}
	}
	if item.State == outreach.Queued || item.State == outreach.Deferred {
		if err := due.Put(dueKey(item), nil); err != nil {
			return err
		}
	}
	if err := t.indexSending(item, old); err != nil {
		return err
	}
	if done(item.State) {
		// Sent, failed or superseded: its bytes will not go again (a
		// failed message queued again is composed anew).
		item.Composed = time.Time{}
		if old == nil || !done(old.State) {
			if err := t.dropOutboxBody(item.ID); err != nil {
				return err
			}
		}
	}
	raw, err := json.Marshal(item)
	if err != nil {
		return err
	}
	return t.bucket(bOutbox).Put(itob(item.ID), raw)
}

// done reports whether a message in state s is finished with: sent,
// failed or superseded.
func done(s outreach.OutboxState) bool {
	return s == outreach.Sent || s == outreach.Failed || s == outreach.Superseded
}

// SaveOutbox stores a changed outbox item (its state, attempts, error).
func (t *Tx) SaveOutbox(item outreach.OutboxItem) error {
	old, err := t.OutboxItem(item.ID)
	if err != nil {
		return err
	}
	if old.MessageID != item.MessageID || old.Key != item.Key {
		return fmt.Errorf("store: outbox %d: key and message id never change", item.ID)
	}
	return t.writeOutbox(item, &old)
}

// OutboxBytes returns an outbox item as stored, or nil when there is none:
// two reads of an item are the same item when their bytes are equal. The
// bytes are valid until the transaction ends.
func (t *Tx) OutboxBytes(id uint64) []byte {
	return t.bucket(bOutbox).Get(itob(id))
}

// OutboxItem returns the outbox item with id.
func (t *Tx) OutboxItem(id uint64) (outreach.OutboxItem, error) {
	raw := t.OutboxBytes(id)
	if raw == nil {
		return outreach.OutboxItem{}, fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
	}
	if item, ok := itemMemo.get(id, raw); ok {
		return item, nil
	}
	var item outreach.OutboxItem
	if err := json.Unmarshal(raw, &item); err != nil {
		return item, fmt.Errorf("store: read outbox %d: %w", id, err)
	}
	itemMemo.put(id, raw, item)
	return item, nil
}

// itemMemo keeps the outbox items last decoded, each with the bytes it was
// decoded from. The outbox reads an item to compose it, again to claim it
// and again as the claim saves it, and decoding its JSON (with a revision
// per session) was a twentieth of the CPU sending an invitation takes. A
// read whose bytes equal those kept gets a copy of the item kept: decoding
// is a function of the bytes alone, so every store, round and transaction
// may share it, and an item changed since is decoded again.
var itemMemo = decodedItems{m: map[uint64]decodedItem{}}

// itemMemoMax bounds itemMemo: a few claims' worth of items, well under a
// megabyte; when full it starts again empty.
const itemMemoMax = 512

type decodedItems struct {
	mu sync.Mutex
	m  map[uint64]decodedItem
}

type decodedItem struct {
	raw  []byte
	item outreach.OutboxItem
}

func (d *decodedItems) get(id uint64, raw []byte) (outreach.OutboxItem, bool) {
	d.mu.Lock()
	e, ok := d.m[id]
	d.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return outreach.OutboxItem{}, false
	}
	return cloneItem(e.item), true
}

func (d *decodedItems) put(id uint64, raw []byte, item outreach.OutboxItem) {
	e := decodedItem{raw: bytes.Clone(raw), item: cloneItem(item)}
	d.mu.Lock()
	if len(d.m) >= itemMemoMax {
		clear(d.m)
	}
	d.m[id] = e
	d.mu.Unlock()
}

// cloneItem copies it so that neither the copy's nor the original's
// slices and maps are shared.
func cloneItem(it outreach.OutboxItem) outreach.OutboxItem {
	it.To = slices.Clone(it.To)
	it.Revisions = maps.Clone(it.Revisions)
	return it
}

// OutboxByKey returns the item queued under key.
func (t *Tx) OutboxByKey(key outreach.OutboxKey) (outreach.OutboxItem, error) {
	id := t.bucket(bOutboxKeys).Get([]byte(key.String()))
	if id == nil {
		return outreach.OutboxItem{}, fmt.Errorf("outbox %s: %w", key, ErrNotFound)
	}
	return t.OutboxItem(btoi(id))
}

// OutboxByKeyPrefix returns the items whose key (OutboxKey.String) starts
// with prefix, in key order, from the key index: only those items are read.
func (t *Tx) OutboxByKeyPrefix(prefix string) ([]outreach.OutboxItem, error) {
	var out []outreach.OutboxItem
	err := t.each(bOutboxKeys, prefix, func(_, v []byte) error {
		it, err := t.OutboxItem(btoi(v))
		if err != nil {
			return err
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

// OutboxByMessageID returns the item sent with Message-ID msgid.
func (t *Tx) OutboxByMessageID(msgid string) (outreach.OutboxItem, error) {
	id := t.bucket(bOutboxMsgID).Get([]byte(msgid))
	if id == nil {
		return outreach.OutboxItem{}, fmt.Errorf("outbox message %s: %w", msgid, ErrNotFound)
	}
	return t.OutboxItem(btoi(id))
}

// Outbox returns every item, oldest first; fn, when not nil, filters.
func (t *Tx) Outbox(keep func(*outreach.OutboxItem) bool) ([]outreach.OutboxItem, error) {
	var out []outreach.OutboxItem
	err := t.each(bOutbox, "", func(k, v []byte) error {
		var item outreach.OutboxItem
		if err := json.Unmarshal(v, &item); err != nil {
			return fmt.Errorf("store: read outbox %d: %w", btoi(k), err)
		}
		if keep == nil || keep(&item) {
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// Due returns up to limit queued or deferred items whose next attempt is at
// or before now, earliest first.
func (t *Tx) Due(now time.Time, limit int) ([]outreach.OutboxItem, error) {
	var out []outreach.OutboxItem
	c := t.bucket(bOutboxDue).Cursor()
	end := uint64(now.UnixNano())
	for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
		if btoi(k[:8]) > end {
			break
		}
		item, err := t.OutboxItem(btoi(k[8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}

// NextDue returns when the earliest queued or deferred item is due, and
// false when none is waiting.
func (t *Tx) NextDue() (time.Time, bool) {
	k, _ := t.bucket(bOutboxDue).Cursor().First()
	if k == nil {
		return time.Time{}, false
	}
	return time.Unix(0, int64(btoi(k[:8]))), true
}

// Waiting returns the number of queued or deferred items, from the due
// index (no item is read).
func (t *Tx) Waiting() int {
	n := 0
	c := t.bucket(bOutboxDue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// FirstDue returns the earliest queued or deferred item that take accepts,
// in order of next attempt; take is called with each item's id in turn
// until it accepts one. It returns false when take accepted none.
func (t *Tx) FirstDue(take func(id uint64, next time.Time) bool) (outreach.OutboxItem, bool, error) {
	c := t.bucket(bOutboxDue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !take(btoi(k[8:]), time.Unix(0, int64(btoi(k[:8])))) {
			continue
		}
		item, err := t.OutboxItem(btoi(k[8:]))
		return item, err == nil, err
	}
	return outreach.OutboxItem{}, false, nil
}

// NextClaim returns a number never returned before, for OutboxItem.Claim.
func (t *Tx) NextClaim() (uint64, error) {
	return t.bucket(bOutboxDue).NextSequence()
}
