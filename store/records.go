package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"outreach"
)

// Secret returns the store's random key, used to derive reply tokens.
func (t *Tx) Secret() []byte {
	v := t.tx.Bucket(bMeta).Get([]byte("secret"))
	return append([]byte(nil), v...)
}

// SetSecret replaces the store's key (tests and fixtures that need fixed
// tokens).
func (t *Tx) SetSecret(secret []byte) error {
	if len(secret) < 16 {
		return errors.New("store: secret shorter than 16 bytes")
	}
	if err := t.bumpDirectory(); err != nil {
		return err
	}
	return t.tx.Bucket(bMeta).Put([]byte("secret"), secret)
}

// GetMeta reads a free-form metadata value.
func (t *Tx) GetMeta(key string) string {
	return string(t.tx.Bucket(bMeta).Get([]byte("x:" + key)))
}

// PutMeta writes a free-form metadata value.
func (t *Tx) PutMeta(key, value string) error {
	return t.tx.Bucket(bMeta).Put([]byte("x:"+key), []byte(value))
}

// --- directory generation ---

var keyDirGeneration = []byte("directory-generation")

// DirectoryGeneration counts the committed transactions that changed a
// mission, a session or the secret. A cache of anything derived from them
// is valid for as long as the generation it was built at is the one read;
// a store written before the counter existed reads as 0.
func (t *Tx) DirectoryGeneration() uint64 {
	v := t.tx.Bucket(bMeta).Get(keyDirGeneration)
	if len(v) != 8 {
		return 0
	}
	return btoi(v)
}

// DirectoryChanged reports whether this transaction has changed a mission,
// a session or the secret: what it reads of them then is not committed, and
// must not be cached under any generation.
func (t *Tx) DirectoryChanged() bool { return t.dirChanged }

// bumpDirectory advances the generation, once per transaction, in the
// transaction that changes the directory.
func (t *Tx) bumpDirectory() error {
	if t.dirChanged {
		return nil
	}
	if err := t.tx.Bucket(bMeta).Put(keyDirGeneration, itob(t.DirectoryGeneration()+1)); err != nil {
		return err
	}
	t.dirChanged = true
	return nil
}

// --- missions ---

// PutMission creates or replaces a mission.
func (t *Tx) PutMission(m outreach.Mission) error {
	if !outreach.IsMissionID(m.ID) {
		return fmt.Errorf("store: mission id %q invalid", m.ID)
	}
	if err := t.bumpDirectory(); err != nil {
		return err
	}
	return t.put(bMissions, m.ID, m)
}

func decodeMission(raw []byte) (outreach.Mission, error) {
	var m outreach.Mission
	err := json.Unmarshal(raw, &m)
	return m, err
}

// Mission returns the mission with id.
func (t *Tx) Mission(id string) (outreach.Mission, error) {
	raw := t.tx.Bucket(bMissions).Get([]byte(id))
	if raw == nil {
		return outreach.Mission{}, fmt.Errorf("mission %s: %w", id, ErrNotFound)
	}
	m, err := decodeMission(raw)
	if err != nil {
		return m, fmt.Errorf("store: read mission %s: %w", id, err)
	}
	return m, nil
}

// Missions returns every mission ordered by id.
func (t *Tx) Missions() ([]outreach.Mission, error) {
	var out []outreach.Mission
	err := t.each(bMissions, "", func(k, v []byte) error {
		m, err := decodeMission(v)
		if err != nil {
			return fmt.Errorf("store: read mission %s: %w", k, err)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// --- sessions ---

// PutSession creates or replaces a session.
func (t *Tx) PutSession(s outreach.Session) error {
	if !outreach.IsMissionID(s.SuR) {
		return fmt.Errorf("store: session id %q invalid", s.SuR)
	}
	if err := t.bumpDirectory(); err != nil {
		return err
	}
	return t.put(bSessions, s.SuR, s)
}

func decodeSession(raw []byte) (outreach.Session, error) {
	var s outreach.Session
	err := json.Unmarshal(raw, &s)
	return s, err
}

// Session returns the session on the State under Review sur.
func (t *Tx) Session(sur string) (outreach.Session, error) {
	raw := t.bucket(bSessions).Get([]byte(sur))
	if raw == nil {
		return outreach.Session{}, fmt.Errorf("session %s: %w", sur, ErrNotFound)
	}
	s, err := decodeSession(raw)
	if err != nil {
		return s, fmt.Errorf("store: read session %s: %w", sur, err)
	}
	return s, nil
}

// Sessions returns every session in order of start time.
func (t *Tx) Sessions() ([]outreach.Session, error) {
	var out []outreach.Session
	err := t.each(bSessions, "", func(k, v []byte) error {
		s, err := decodeSession(v)
		if err != nil {
			return fmt.Errorf("store: read session %s: %w", k, err)
		}
		out = append(out, s)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].SuR < out[j].SuR
	})
	return out, err
}

// DeleteSession removes a session that has no answers recorded. Sessions
// that have answers are cancelled, never deleted.
func (t *Tx) DeleteSession(sur string) error {
	found := false
	err := t.each(bRSVP, "", func(k, _ []byte) error {
		if strings.HasSuffix(string(k), "/"+sur) {
			found = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if found {
		return fmt.Errorf("store: session %s has answers recorded; cancel it instead", sur)
	}
	if err := t.bumpDirectory(); err != nil {
		return err
	}
	return t.bucket(bSessions).Delete([]byte(sur))
}

// --- RSVPs ---

func rsvpKey(mission, session string) string { return mission + "/" + session }

// RSVP returns the current answer of mission for session (a zero RSVP with
// Status None when there is none).
func (t *Tx) RSVP(mission, session string) (outreach.RSVP, error) {
	var r outreach.RSVP
	err := t.get(bRSVP, rsvpKey(mission, session), &r)
	if errors.Is(err, ErrNotFound) {
		return outreach.RSVP{Mission: mission, Session: session}, nil
	}
	return r, err
}

// RSVPs returns every current answer.
func (t *Tx) RSVPs() ([]outreach.RSVP, error) {
	var out []outreach.RSVP
	err := t.each(bRSVP, "", func(k, v []byte) error {
		var r outreach.RSVP
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("store: read rsvp %s: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// RecordRSVP appends r to the history of (r.Mission, r.Session) and makes it
// the current answer when it supersedes the one held (see
// outreach.RSVP.Supersedes) and is not marked Stale. It reports whether the
// current answer changed.
func (t *Tx) RecordRSVP(r outreach.RSVP) (bool, error) {
	if r.At.IsZero() {
		r.At = t.now()
	}
	cur, err := t.RSVP(r.Mission, r.Session)
	if err != nil {
		return false, err
	}
	apply := r.Stale == "" && r.Supersedes(cur)
	if r.Stale == "" && !apply {
		r.Stale = fmt.Sprintf("older than the answer held (sequence %d)", cur.Source.Sequence)
	}
	hb := t.bucket(bHistory)
	seq, err := hb.NextSequence()
	if err != nil {
		return false, err
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	if err := hb.Put(append([]byte(rsvpKey(r.Mission, r.Session)+"/"), itob(seq)...), raw); err != nil {
		return false, err
	}
	if !apply {
		return false, nil
	}
	return true, t.put(bRSVP, rsvpKey(r.Mission, r.Session), r)
}

// History returns every answer recorded for (mission, session), oldest
// first (in the order recorded). An empty session returns the history of every session of mission.
func (t *Tx) History(mission, session string) ([]outreach.RSVP, error) {
	prefix := mission + "/"
	if session != "" {
		prefix = rsvpKey(mission, session) + "/"
	}
	type entry struct {
		seq uint64
		r   outreach.RSVP
	}
	var all []entry
	err := t.each(bHistory, prefix, func(k, v []byte) error {
		var r outreach.RSVP
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("store: read history %q: %w", k, err)
		}
		all = append(all, entry{btoi(k[len(k)-8:]), r})
		return nil
	})
	// Recording order, across sessions too.
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]outreach.RSVP, len(all))
	for i := range all {
		out[i] = all[i].r
	}
	return out, err
}

// --- audit ---

// Audit appends an entry to the audit log.
func (t *Tx) Audit(actor, action, detail string) error {
	b := t.tx.Bucket(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(outreach.AuditEntry{At: t.now(), Actor: actor, Action: action, Detail: detail})
	if err != nil {
		return err
	}
	return b.Put(itob(seq), raw)
}

// AuditLog returns the entries recorded at or after since, oldest first.
func (t *Tx) AuditLog(since time.Time) ([]outreach.AuditEntry, error) {
	var out []outreach.AuditEntry
	err := t.each(bAudit, "", func(k, v []byte) error {
		var e outreach.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("store: read audit %d: %w", btoi(k), err)
		}
		if !e.At.Before(since) {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
