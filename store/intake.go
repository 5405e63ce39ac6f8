package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"outreach"
)

// Processed is what intake did with one inbound message.
type Processed struct {
	MessageID string    `json:"message_id"`
	Kind      string    `json:"kind"`
	Mission   string    `json:"mission,omitempty"`
	Review    uint64    `json:"review,omitempty"`
	At        time.Time `json:"at"`
	// Folder is where the message was filed on the server.
	Folder string `json:"folder,omitempty"`
	// Round is the round that was current for intake when the message
	// was handled; 0 for messages handled before rounds were kept.
	Round int `json:"round,omitempty"`
}

// Processed returns the record for an inbound Message-ID, if it was seen.
func (t *Tx) Processed(msgid string) (Processed, bool, error) {
	var p Processed
	err := t.get(bProcessed, msgid, &p)
	if errors.Is(err, ErrNotFound) {
		return p, false, nil
	}
	return p, err == nil, err
}

// MarkProcessed records that the message msgid was handled.
func (t *Tx) MarkProcessed(p Processed) error {
	if p.MessageID == "" {
		return errors.New("store: mark processed: message id required")
	}
	if p.At.IsZero() {
		p.At = t.now()
	}
	if p.Round == 0 {
		p.Round = t.round
	}
	return t.put(bProcessed, p.MessageID, p)
}

// ProcessedSince returns the inbound messages handled at or after since.
func (t *Tx) ProcessedSince(since time.Time) ([]Processed, error) {
	var out []Processed
	err := t.each(bProcessed, "", func(k, v []byte) error {
		var p Processed
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("store: read processed %q: %w", k, err)
		}
		if !p.At.Before(since) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// HandledInRound reports whether the message p was handled for the round the
// transaction is bound to: one handled before rounds were kept belongs to
// the round the store was upgraded to.
func (t *Tx) HandledInRound(p Processed) bool {
	if p.Round == 0 {
		first, _ := strconv.Atoi(string(t.tx.Bucket(bMeta).Get(keyFirstRound)))
		return first == t.round || (first == 0 && t.round == DefaultFirstRound)
	}
	return p.Round == t.round
}

// Checkpoint is a position in an IMAP mailbox.
type Checkpoint struct {
	UIDValidity uint32    `json:"uid_validity"`
	LastUID     uint32    `json:"last_uid"`
	At          time.Time `json:"at"`
}

// Checkpoint returns the recorded position in mailbox (zero when none).
func (t *Tx) Checkpoint(mailbox string) (Checkpoint, error) {
	var c Checkpoint
	err := t.get(bCheckpoints, mailbox, &c)
	if errors.Is(err, ErrNotFound) {
		return Checkpoint{}, nil
	}
	return c, err
}

// SetCheckpoint records the position in mailbox. It never moves backwards
// within one UIDVALIDITY.
func (t *Tx) SetCheckpoint(mailbox string, c Checkpoint) error {
	old, err := t.Checkpoint(mailbox)
	if err != nil {
		return err
	}
	if old.UIDValidity == c.UIDValidity && c.LastUID < old.LastUID {
		return nil
	}
	if c.At.IsZero() {
		c.At = t.now()
	}
	return t.put(bCheckpoints, mailbox, c)
}

// AddReview queues an item for a person and returns its id.
func (t *Tx) AddReview(item outreach.ReviewItem) (uint64, error) {
	b := t.bucket(bReview)
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	item.ID = id
	if item.State == "" {
		item.State = outreach.ReviewOpen
	}
	if item.Received.IsZero() {
		item.Received = t.now()
	}
	return id, t.put(bReview, string(itob(id)), item)
}

// Review returns the review item with id.
func (t *Tx) Review(id uint64) (outreach.ReviewItem, error) {
	var item outreach.ReviewItem
	if err := t.get(bReview, string(itob(id)), &item); err != nil {
		if errors.Is(err, ErrNotFound) {
			return item, fmt.Errorf("review item %d: %w", id, ErrNotFound)
		}
		return item, err
	}
	return item, nil
}

// SaveReview stores a changed review item.
func (t *Tx) SaveReview(item outreach.ReviewItem) error {
	if _, err := t.Review(item.ID); err != nil {
		return err
	}
	return t.put(bReview, string(itob(item.ID)), item)
}

// Reviews returns the review items in state (all when state is empty),
// oldest first.
func (t *Tx) Reviews(state outreach.ReviewState) ([]outreach.ReviewItem, error) {
	var out []outreach.ReviewItem
	err := t.each(bReview, "", func(k, v []byte) error {
		var item outreach.ReviewItem
		if err := json.Unmarshal(v, &item); err != nil {
			return fmt.Errorf("store: read review %d: %w", btoi(k), err)
		}
		if state == "" || item.State == state {
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// GetState reads a JSON value kept by the engine under name (throttle
// windows, reminder sweep positions); found is false when absent.
func (t *Tx) GetState(name string, v any) (found bool, err error) {
	err = t.get(bState, name, v)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// PutState writes a JSON value kept by the engine under name.
func (t *Tx) PutState(name string, v any) error { return t.put(bState, name, v) }

// DeleteState removes the value kept under name; absent is not an error.
func (t *Tx) DeleteState(name string) error {
	return t.stateBucket(name).Delete([]byte(name))
}
