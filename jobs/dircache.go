package jobs

import (
	"strings"
	"sync"

	"outreach"
	"outreach/replies"
	"outreach/store"
)

// dirCache keeps what the engine derives from the missions and sessions —
// the round every message needs, and the index intake classifies against —
// under the store's directory generation. Every write of a mission, a
// session or the secret bumps the generation in its own transaction, so an
// entry is used only by a transaction that reads the generation it was
// built at, and sees exactly the records it was built from. A transaction
// that has itself changed the directory reads uncommitted records: it
// neither uses nor fills the cache.
//
// Entries are shared between goroutines and never modified once stored.
type dirCache struct {
	mu       sync.Mutex
	round    *genEntry[roundData]
	index    *genEntry[*dirIndex]
	sessions *genEntry[map[string]outreach.Session]
}

// genEntry is a value derived from the directory at one generation.
type genEntry[T any] struct {
	gen uint64
	v   T
}

// cached returns *slot's value when tx reads the generation it was built
// at; otherwise it builds the value from tx and, when tx has not itself
// changed the directory, keeps it in *slot.
func cached[T any](mu *sync.Mutex, slot **genEntry[T], tx *store.Tx, build func(*store.Tx) (T, error)) (T, error) {
	cacheable := !tx.DirectoryChanged()
	gen := tx.DirectoryGeneration()
	if cacheable {
		mu.Lock()
		c := *slot
		mu.Unlock()
		if c != nil && c.gen == gen {
			return c.v, nil
		}
	}
	v, err := build(tx)
	if err != nil || !cacheable {
		return v, err
	}
	mu.Lock()
	*slot = &genEntry[T]{gen: gen, v: v}
	mu.Unlock()
	return v, nil
}

// round returns the round's sessions and State names as tx sees them.
func (e *Engine) round(tx *store.Tx) (roundData, error) {
	return cached(&e.dc.mu, &e.dc.round, tx, e.loadRound)
}

// session returns the session sur as tx.Session does, from the sessions
// decoded once per generation: recording an answer reads its session, and
// decoding it took a tenth of a first sync. The Session is a copy; its
// Panel is shared and must not be modified.
func (e *Engine) session(tx *store.Tx, sur string) (outreach.Session, error) {
	ss, err := cached(&e.dc.mu, &e.dc.sessions, tx, loadSessions)
	if err != nil {
		return outreach.Session{}, err
	}
	if s, ok := ss[sur]; ok {
		return s, nil
	}
	return tx.Session(sur) // not found: its error
}

func loadSessions(tx *store.Tx) (map[string]outreach.Session, error) {
	ss, err := tx.Sessions()
	if err != nil {
		return nil, err
	}
	m := make(map[string]outreach.Session, len(ss))
	for _, s := range ss {
		m[s.SuR] = s
	}
	return m, nil
}

// dirIndex is the directory as replies.Classify looks things up in it.
type dirIndex struct {
	mailbox   string
	tokens    map[string]string
	addresses map[string]string
	domains   map[string]string
	missions  map[string]bool
	sessions  []replies.Session
	sessIDs   map[string]bool
	// uids maps every copy's calendar UID, in lower case, to its mission
	// and session.
	uids map[string][2]string
}

func (e *Engine) dirIndex(tx *store.Tx) (*dirIndex, error) {
	return cached(&e.dc.mu, &e.dc.index, tx, e.buildIndex)
}

func (e *Engine) buildIndex(tx *store.Tx) (*dirIndex, error) {
	ms, err := tx.Missions()
	if err != nil {
		return nil, err
	}
	ss, err := tx.Sessions()
	if err != nil {
		return nil, err
	}
	d := &dirIndex{mailbox: strings.ToLower(e.event.Mailbox.Email), tokens: map[string]string{},
		addresses: map[string]string{}, domains: map[string]string{}, missions: map[string]bool{}, sessIDs: map[string]bool{}}
	secret := tx.Secret()
	names := map[string]outreach.Names{}
	for _, m := range ms {
		d.missions[m.ID] = true
		names[m.ID] = m.Names
		d.tokens[replyToken(secret, m.ID)] = m.ID
		for _, c := range m.Contacts {
			d.addresses[strings.ToLower(c.Email)] = m.ID
		}
		for _, dom := range m.Domains {
			d.domains[strings.ToLower(dom)] = m.ID
		}
	}
	for _, s := range ss {
		n := names[s.SuR]
		all := append([]string{n.EN, n.FR, n.ES}, replies.Aliases(s.SuR)...)
		d.sessions = append(d.sessions, replies.Session{SuR: s.SuR, Names: all, Cancelled: s.Status == outreach.Cancelled, Start: s.Start})
		d.sessIDs[s.SuR] = true
	}
	key := tx.CalendarUIDKey()
	readable, err := tx.ReadableUIDs()
	if err != nil {
		return nil, err
	}
	rd := roundData{uidKey: key, readable: readable}
	d.uids = make(map[string][2]string, len(ms)*len(ss))
	for _, m := range ms {
		for _, s := range ss {
			d.uids[strings.ToLower(e.uidOf(rd, m.ID, s.SuR))] = [2]string{m.ID, s.SuR}
		}
	}
	return d, nil
}
