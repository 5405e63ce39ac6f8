package jobs

import (
	"runtime"
	"sync"
	"sync/atomic"

	"outreach/replies"
	"outreach/store"
)

// classified is a message classified ahead of the transaction that
// records it, outside any write transaction and alongside the others of
// its group. Its result is used only by a transaction that would have
// reached the same one (see classifyIn): one at the directory generation
// it was read against, that has not itself changed the directory, and
// whose outbox gives the same missions to the Message-IDs it looked up.
type classified struct {
	done bool   // classified; otherwise the transaction classifies it
	gen  uint64 // the directory generation it was read against
	res  replies.Result
	// ids are the outbox lookups Classify made (ByMessageID), with the
	// answers it got: the outbox is not part of the directory generation.
	ids []idAnswer
}

// idAnswer is one ByMessageID lookup and its answer.
type idAnswer struct {
	id, mission string
	ok          bool
}

// noteDirectory is a storeDirectory that notes the outbox lookups made
// through it.
type noteDirectory struct {
	*storeDirectory
	ids *[]idAnswer
}

func (d noteDirectory) ByMessageID(id string) (string, bool) {
	m, ok := d.storeDirectory.ByMessageID(id)
	*d.ids = append(*d.ids, idAnswer{id: id, mission: m, ok: ok})
	return m, ok
}

// classifyAhead classifies raws (nil ones are left alone) in parallel, one
// read transaction per worker: Classify reads only the directory index,
// shared and never modified, and the outbox through the worker's own
// transaction. A worker whose transaction fails leaves its messages to
// the recording transaction.
func (e *Engine) classifyAhead(raws [][]byte) []classified {
	out := make([]classified, len(raws))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(raws)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = e.st.View(func(tx *store.Tx) error {
				dir, err := e.directory(tx)
				if err != nil {
					return err
				}
				gen := tx.DirectoryGeneration()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(raws) {
						return nil
					}
					if raws[i] == nil {
						continue
					}
					c := &out[i]
					c.res = replies.Classify(raws[i], noteDirectory{storeDirectory: dir, ids: &c.ids})
					c.gen, c.done = gen, true
				}
			})
		}()
	}
	wg.Wait()
	return out
}

// classifyIn returns what raw says as tx sees it: pre's result when it
// was read against what tx holds, otherwise Classify's against tx.
func (e *Engine) classifyIn(tx *store.Tx, raw []byte, pre *classified) (replies.Result, error) {
	if pre != nil && pre.done && !tx.DirectoryChanged() && pre.gen == tx.DirectoryGeneration() && outboxAgrees(tx, pre.ids) {
		return pre.res, nil
	}
	dir, err := e.directory(tx)
	if err != nil {
		return replies.Result{}, err
	}
	return replies.Classify(raw, dir), nil
}

// outboxAgrees reports whether tx's outbox answers every lookup in ids as
// it was answered.
func outboxAgrees(tx *store.Tx, ids []idAnswer) bool {
	for _, a := range ids {
		if m, ok := byMessageID(tx, a.id); m != a.mission || ok != a.ok {
			return false
		}
	}
	return true
}
