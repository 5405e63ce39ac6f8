package jobs

import (
	"strings"
	"sync"

	"outreach"
	"outreach/mailer/reply"
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
	mu    sync.Mutex
	round *roundEntry
	index *indexEntry
}

type roundEntry struct {
	gen uint64
	rd  roundData
}

type indexEntry struct {
	gen uint64
	ix  *dirIndex
}

// round returns the round's sessions and State names as tx sees them.
func (e *Engine) round(tx *store.Tx) (roundData, error) {
	cacheable := !tx.DirectoryChanged()
	gen := tx.DirectoryGeneration()
	if cacheable {
		e.dc.mu.Lock()
		c := e.dc.round
		e.dc.mu.Unlock()
		if c != nil && c.gen == gen {
			return c.rd, nil
		}
	}
	rd, err := e.loadRound(tx)
	if err != nil || !cacheable {
		return rd, err
	}
	e.dc.mu.Lock()
	e.dc.round = &roundEntry{gen: gen, rd: rd}
	e.dc.mu.Unlock()
	return rd, nil
}

// dirIndex is the directory as reply.Classify looks things up in it.
type dirIndex struct {
	mailbox   string
	tokens    map[string]string
	addresses map[string]string
	domains   map[string]string
	missions  map[string]bool
	sessions  []reply.Session
	sessIDs   map[string]bool
}

func (e *Engine) dirIndex(tx *store.Tx) (*dirIndex, error) {
	cacheable := !tx.DirectoryChanged()
	gen := tx.DirectoryGeneration()
	if cacheable {
		e.dc.mu.Lock()
		c := e.dc.index
		e.dc.mu.Unlock()
		if c != nil && c.gen == gen {
			return c.ix, nil
		}
	}
	ix, err := e.buildIndex(tx)
	if err != nil || !cacheable {
		return ix, err
	}
	e.dc.mu.Lock()
	e.dc.index = &indexEntry{gen: gen, ix: ix}
	e.dc.mu.Unlock()
	return ix, nil
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
		all := append([]string{n.EN, n.FR, n.ES}, reply.Aliases(s.SuR)...)
		d.sessions = append(d.sessions, reply.Session{SuR: s.SuR, Names: all, Cancelled: s.Status == outreach.Cancelled, Start: s.Start})
		d.sessIDs[s.SuR] = true
	}
	return d, nil
}
