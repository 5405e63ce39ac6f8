package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// Rounds. Each round of pre-sessions has its own bucket under bRounds,
// keyed by its number ("0028"), holding its record (keyRoundRecord) and
// its own copy of every per-round bucket: sessions and panels, answers and
// their history, the outbox and its indexes, the review queue and the
// engine's state of the round (reminders sent, calendar revisions, reply
// page answers). The missions and their contacts, the processed messages,
// the mailbox checkpoints, the audit log and the store's keys are shared
// by every round, at the top of the file.
//
// A Store is bound to one round when it is opened (Options.Round, or the
// current round): every Tx it gives reads and writes that round's
// buckets. Tx.InRound reads another round in the same transaction.
var (
	bRounds         = []byte("rounds")
	keyRoundRecord  = []byte("record")
	keyCurrentRound = []byte("current-round")
	keyOutboxID     = []byte("outbox-id")
	// keyFirstRound names the round a store holding one round became.
	keyFirstRound = []byte("first-round")
)

// perRound lists the buckets each round has its own copy of.
var perRound = map[string]bool{
	string(bSessions): true, string(bRSVP): true, string(bHistory): true,
	string(bOutbox): true, string(bOutboxKeys): true, string(bOutboxMsgID): true,
	string(bOutboxDue): true, string(bOutboxBody): true, string(bReview): true,
	string(bState): true, string(bReadableUIDs): true, string(bOutboxSending): true,
}

// globalState tells the engine's state kept for every round (the sending
// budget, held logins, the missions' reply page tokens) from the state of
// one round, by the name's prefix.
func globalState(name string) bool {
	for _, p := range []string{"smtp-throttle", "login/", "page/hash/", "page/mission/"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ErrNoRound means the round asked for is not in the store.
var ErrNoRound = errors.New("store: no such round")

func roundKey(n int) []byte { return fmt.Appendf(nil, "%04d", n) }

// DefaultFirstRound is the number of the round a store holding one round
// (schema 3 and earlier) becomes when Options.FirstRound gives none: the
// 28th UPR session's, the round outreach served before it kept rounds.
const DefaultFirstRound = 28

// bucket returns the bucket name for this transaction: the bound round's
// own for a per-round bucket, the top-level one otherwise.
func (t *Tx) bucket(name []byte) *bolt.Bucket {
	if t.rb != nil && perRound[string(name)] {
		return t.rb.Bucket(name)
	}
	return t.tx.Bucket(name)
}

// stateBucket returns the bucket of the engine's state named name.
func (t *Tx) stateBucket(name string) *bolt.Bucket {
	if globalState(name) {
		return t.tx.Bucket(bState)
	}
	return t.bucket(bState)
}

// bind returns a Tx over btx bound to round n (its bucket may be missing
// in a store not yet migrated, read-only).
func (s *Store) bind(btx *bolt.Tx) *Tx {
	t := &Tx{tx: btx, now: s.now, round: s.round}
	if rs := btx.Bucket(bRounds); rs != nil {
		t.rb = rs.Bucket(roundKey(s.round))
	}
	return t
}

// Round returns the number of the round the store is bound to.
func (s *Store) Round() int { return s.round }

// bindRound settles the round the store acts on: want, or the current
// round when want is 0.
func (s *Store) bindRound(want int) error {
	return s.db.View(func(btx *bolt.Tx) error {
		n := want
		if n == 0 {
			n = currentRound(btx)
		}
		if n == 0 {
			// A store opened read-only before its migration to rounds.
			s.round = DefaultFirstRound
			return nil
		}
		rs := btx.Bucket(bRounds)
		if rs == nil || rs.Bucket(roundKey(n)) == nil {
			return fmt.Errorf("%w: round %d is not in %s (`outreach round list` shows the rounds)", ErrNoRound, n, s.path)
		}
		s.round = n
		return nil
	})
}

func currentRound(btx *bolt.Tx) int {
	meta := btx.Bucket(bMeta)
	if meta == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(meta.Get(keyCurrentRound)))
	return n
}

// Round returns the record of the round the transaction is bound to.
func (t *Tx) Round() (outreach.Round, error) {
	var r outreach.Round
	if t.rb == nil {
		return outreach.Round{Number: t.round}, nil
	}
	raw := t.rb.Get(keyRoundRecord)
	if raw == nil {
		return outreach.Round{Number: t.round}, nil
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("store: read round %d: %w", t.round, err)
	}
	return r, nil
}

// RoundNumber returns the number of the round the transaction is bound to.
func (t *Tx) RoundNumber() int { return t.round }

// CurrentRound returns the number of the current round: the one commands
// and the daemon act on unless told otherwise.
func (t *Tx) CurrentRound() int { return currentRound(t.tx) }

// Rounds returns every round's record, in order of number.
func (t *Tx) Rounds() ([]outreach.Round, error) {
	rs := t.tx.Bucket(bRounds)
	if rs == nil {
		return nil, nil
	}
	var out []outreach.Round
	err := rs.ForEach(func(k, v []byte) error {
		b := rs.Bucket(k)
		if v != nil || b == nil {
			return nil
		}
		var r outreach.Round
		raw := b.Get(keyRoundRecord)
		if raw == nil {
			n, _ := strconv.Atoi(string(k))
			r.Number = n
		} else if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("store: read round %s: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, err
}

// InRound returns a transaction over the same file bound to round n, to
// read (or write) another round's records within this transaction.
func (t *Tx) InRound(n int) (*Tx, error) {
	rs := t.tx.Bucket(bRounds)
	if rs == nil || rs.Bucket(roundKey(n)) == nil {
		return nil, fmt.Errorf("%w: round %d", ErrNoRound, n)
	}
	return &Tx{tx: t.tx, now: t.now, round: n, rb: rs.Bucket(roundKey(n))}, nil
}

// AddRound records a new round, with empty sessions, answers, outbox and
// review queue. The current round stays as it was (SetCurrentRound).
func (t *Tx) AddRound(r outreach.Round) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("store: round %d: %w", r.Number, err)
	}
	rs, err := t.tx.CreateBucketIfNotExists(bRounds)
	if err != nil {
		return err
	}
	if rs.Bucket(roundKey(r.Number)) != nil {
		return fmt.Errorf("store: round %d is already in the store", r.Number)
	}
	if r.Created.IsZero() {
		r.Created = t.now()
	}
	return createRound(rs, r)
}

func createRound(rs *bolt.Bucket, r outreach.Round) error {
	b, err := rs.CreateBucket(roundKey(r.Number))
	if err != nil {
		return err
	}
	for name := range perRound {
		if _, err := b.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(keyRoundRecord, raw)
}

// PutRound replaces the record of round r.Number, which must exist: its
// title, venue, days, deadline, time zone.
func (t *Tx) PutRound(r outreach.Round) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("store: round %d: %w", r.Number, err)
	}
	rt, err := t.InRound(r.Number)
	if err != nil {
		return err
	}
	old, err := rt.Round()
	if err != nil {
		return err
	}
	if r.Created.IsZero() {
		r.Created = old.Created
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return rt.rb.Put(keyRoundRecord, raw)
}

// SetCurrentRound makes round n the current round.
func (t *Tx) SetCurrentRound(n int) error {
	if _, err := t.InRound(n); err != nil {
		return err
	}
	return t.tx.Bucket(bMeta).Put(keyCurrentRound, []byte(strconv.Itoa(n)))
}

// nextOutboxID returns an outbox id never used in any round: a delivery
// in the send journal names its message by id alone.
func (t *Tx) nextOutboxID() (uint64, error) {
	ob := t.bucket(bOutbox)
	meta := t.tx.Bucket(bMeta)
	var last uint64
	if v := meta.Get(keyOutboxID); len(v) == 8 {
		last = btoi(v)
	}
	last = max(last, ob.Sequence()) + 1
	if err := ob.SetSequence(last); err != nil {
		return 0, err
	}
	return last, meta.Put(keyOutboxID, itob(last))
}

// roundOfOutbox returns a transaction bound to the round whose outbox holds
// item id, or nil when none does.
func (t *Tx) roundOfOutbox(id uint64) *Tx {
	if t.rb != nil && t.rb.Bucket(bOutbox).Get(itob(id)) != nil {
		return t
	}
	rs := t.tx.Bucket(bRounds)
	if rs == nil {
		return nil
	}
	var found *Tx
	rs.ForEach(func(k, v []byte) error {
		b := rs.Bucket(k)
		if v != nil || b == nil || found != nil {
			return nil
		}
		if ob := b.Bucket(bOutbox); ob != nil && ob.Get(itob(id)) != nil {
			n, _ := strconv.Atoi(string(k))
			found = &Tx{tx: t.tx, now: t.now, round: n, rb: b}
		}
		return nil
	})
	return found
}

// migrateRounds (schema 3 → 4) makes the store's one round a round
// record, numbered and described by first: every per-round bucket moves,
// whole and unchanged, under that round, and the engine's per-round state
// with it; the round becomes the current one. A store written before has
// its calendar UIDs keyed by the round's number, so the number must be the
// one the store's sessions were sent with (the configuration's
// upr_session).
func migrateRounds(tx *bolt.Tx, env migrateEnv) error {
	first := env.first
	if first.Number == 0 {
		first.Number = DefaultFirstRound
	}
	if first.Created.IsZero() {
		first.Created = env.now()
	}
	rs, err := tx.CreateBucketIfNotExists(bRounds)
	if err != nil {
		return err
	}
	rb, err := rs.CreateBucket(roundKey(first.Number))
	if err != nil {
		return err
	}
	var outboxSeq uint64
	for name := range perRound {
		if name == string(bState) {
			continue
		}
		if tx.Bucket([]byte(name)) == nil {
			continue
		}
		if name == string(bOutbox) {
			outboxSeq = tx.Bucket(bOutbox).Sequence()
		}
		if err := tx.MoveBucket([]byte(name), nil, rb); err != nil {
			return fmt.Errorf("move %s to round %d: %w", name, first.Number, err)
		}
	}
	// The engine's state: what belongs to the round moves, key by key.
	rstate, err := rb.CreateBucket(bState)
	if err != nil {
		return err
	}
	if top := tx.Bucket(bState); top != nil {
		var move [][]byte
		if err := top.ForEach(func(k, v []byte) error {
			if v == nil || globalState(string(k)) {
				return nil
			}
			move = append(move, append([]byte(nil), k...))
			return rstate.Put(k, append([]byte(nil), v...))
		}); err != nil {
			return err
		}
		for _, k := range move {
			if err := top.Delete(k); err != nil {
				return err
			}
		}
	} else if _, err := tx.CreateBucket(bState); err != nil {
		return err
	}
	for name := range perRound {
		if _, err := rb.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(first)
	if err != nil {
		return err
	}
	if err := rb.Put(keyRoundRecord, raw); err != nil {
		return err
	}
	meta := tx.Bucket(bMeta)
	if err := meta.Put(keyOutboxID, itob(outboxSeq)); err != nil {
		return err
	}
	if err := meta.Put(keyFirstRound, []byte(strconv.Itoa(first.Number))); err != nil {
		return err
	}
	return meta.Put(keyCurrentRound, []byte(strconv.Itoa(first.Number)))
}
