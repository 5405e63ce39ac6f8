package templates

import "sync"

// recent keeps a block's latest outputs by key (the sessions list, or the
// View fields a block reads), the most recent first, at most maxMemoLists.
// It stops keeping (off) once 32 lookups have missed and the hits are
// fewer than the misses: the key changes in every message.
type recent[K, V any] struct {
	mu           sync.Mutex
	entries      []recentEntry[K, V] // the most recent first
	hits, misses int
	off          bool
}

type recentEntry[K, V any] struct {
	key K
	out V
}

// isOff reports whether r has stopped keeping.
func (r *recent[K, V]) isOff() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.off
}

// find returns the output kept for the key same matches, moving it to the
// front; ok is false on a miss (counted) or when r is off.
func (r *recent[K, V]) find(same func(K) bool) (out V, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.off {
		return out, false
	}
	for i, e := range r.entries {
		if same(e.key) {
			if i > 0 {
				copy(r.entries[1:i+1], r.entries[:i])
				r.entries[0] = e
			}
			r.hits++
			return e.out, true
		}
	}
	r.misses++
	if r.misses >= 32 && r.hits < r.misses {
		r.off, r.entries = true, nil
	}
	return out, false
}

// keep puts out first under key, unless r is off.
func (r *recent[K, V]) keep(key K, out V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.off {
		return
	}
	if len(r.entries) < maxMemoLists {
		r.entries = append(r.entries, recentEntry[K, V]{})
	}
	copy(r.entries[1:], r.entries)
	r.entries[0] = recentEntry[K, V]{key: key, out: out}
}

// reset forgets everything kept and counted.
func (r *recent[K, V]) reset() {
	r.mu.Lock()
	r.entries, r.hits, r.misses, r.off = nil, 0, 0, false
	r.mu.Unlock()
}
