package web

import (
	"sort"
	"sync"
	"time"
)

// limiter is a token bucket per key: burst requests at once, then one
// every interval. It holds at most maxKeys buckets; when full, buckets that
// have refilled are dropped, and if none has, the oldest half.
type limiter struct {
	mu       sync.Mutex
	burst    float64
	interval time.Duration
	maxKeys  int
	buckets  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, interval time.Duration, maxKeys int) *limiter {
	return &limiter{burst: float64(burst), interval: interval, maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket at now, reporting whether there
// was one.
func (l *limiter) allow(key string, now time.Time) bool {
	if l == nil || l.burst <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(l.burst, b.tokens+float64(el)/float64(l.interval))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// prune drops the buckets that are full again; if that frees nothing, the
// half least recently used.
func (l *limiter) prune(now time.Time) {
	full := time.Duration(l.burst * float64(l.interval))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.maxKeys {
		return
	}
	var oldest []time.Time
	for _, b := range l.buckets {
		oldest = append(oldest, b.last)
	}
	// The median time splits them in two.
	cut := median(oldest)
	for k, b := range l.buckets {
		if !b.last.After(cut) {
			delete(l.buckets, k)
		}
	}
}

func median(ts []time.Time) time.Time {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	return ts[len(ts)/2]
}
