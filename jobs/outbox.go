package jobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"outreach"
	"outreach/mailer"
	"outreach/store"
)

// Retry policy for temporary failures: exponential backoff from one minute,
// at most six hours between attempts, with ±20% jitter so a recovering
// server is not hit by every deferred message at once; after MaxAttempts or
// GiveUpAfter the message fails and is shown to staff.
const (
	MaxAttempts = 12
	GiveUpAfter = 4 * 24 * time.Hour
)

func backoff(attempt int) time.Duration {
	d := time.Minute * time.Duration(math.Pow(2, float64(attempt-1)))
	if d > 6*time.Hour || d <= 0 {
		d = 6 * time.Hour
	}
	jitter := 0.8 + 0.4*mrand.Float64()
	return time.Duration(float64(d) * jitter)
}

// newMessageID returns a fresh Message-ID for kind, in the organiser's
// domain: <kind.session.mission.random@domain>.
func (e *Engine) newMessageID(key outreach.OutboxKey) string {
	var b [8]byte
	rand.Read(b[:])
	parts := []string{string(key.Kind), fmt.Sprint(e.event.UPRSession)}
	for _, p := range []string{key.Mission, key.Session, key.Revision} {
		if p != "" {
			parts = append(parts, strings.Map(safeIDRune, p))
		}
	}
	return "<" + strings.Join(parts, ".") + "." + hex.EncodeToString(b[:]) + "@" + e.domain() + ">"
}

func safeIDRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
		return r
	}
	return '-'
}

func (e *Engine) domain() string {
	if at := strings.LastIndexByte(e.event.Mailbox.Email, '@'); at >= 0 {
		return strings.ToLower(e.event.Mailbox.Email[at+1:])
	}
	return "outreach.invalid"
}

// enqueue adds a message to the outbox within tx, fixing its Message-ID
// now, before any attempt. It returns false when the key was already queued.
func (e *Engine) enqueue(tx *store.Tx, key outreach.OutboxKey, rule string, at time.Time) (outreach.OutboxItem, bool, error) {
	return tx.Enqueue(outreach.OutboxItem{Key: key, MessageID: e.newMessageID(key), State: outreach.Queued,
		Created: at, Next: at, Rule: rule})
}

// FlushReport sums up one run of the outbox worker.
type FlushReport struct {
	Sent     int `json:"sent"`
	Deferred int `json:"deferred"`
	Failed   int `json:"failed"`
	// Waiting counts messages still queued when the run ended (not yet due,
	// or held back by the throttle).
	Waiting int       `json:"waiting"`
	Next    time.Time `json:"next,omitzero"`
	// Retry is the earliest time anything may go out: the next due message,
	// or the throttle's release, whichever is later.
	Retry time.Time `json:"retry,omitzero"`
}

// result is one attempt's outcome, recorded durably.
type result struct {
	item outreach.OutboxItem
	err  error
	// bounced is a recipient refused permanently at RCPT while the mission
	// has other addresses: the contact is marked undeliverable and the
	// message goes out again at once to the others.
	bounced string
	// connection is set when the failure was the connection's, not the
	// message's: it goes back to the queue as it was.
	connection bool
	// interrupted is set when the send was cut short by a stop: the
	// message goes back to the queue, due at once, with its attempt not
	// counted (it may have arrived: the next send keeps its Message-ID).
	interrupted bool
}

// RecoverSending puts messages caught in `sending` by a crash back in the
// queue. They keep their Message-ID, so a copy the server had already
// accepted is recognisable downstream. Call once before the worker starts.
func (e *Engine) RecoverSending() (int, error) {
	n := 0
	err := e.st.Update(func(tx *store.Tx) error {
		n = 0
		items, err := tx.Outbox(func(it *outreach.OutboxItem) bool { return it.State == outreach.Sending })
		if err != nil {
			return err
		}
		for _, it := range items {
			it.State = outreach.Queued
			it.Next = e.now()
			if err := tx.SaveOutbox(it); err != nil {
				return err
			}
			n++
		}
		if n > 0 {
			return tx.Audit("outbox", "recover", fmt.Sprintf("%d messages caught in sending re-queued with their Message-IDs", n))
		}
		return nil
	})
	return n, err
}

// ErrNoSender means the engine has no SMTP configuration.
var ErrNoSender = errors.New("jobs: no SMTP sender configured")

// Flush sends every message that is due, over e's configured number of SMTP
// connections, and returns when none is left due (or ctx ends). With wait
// set it waits for the throttle and for deferred messages that fall due
// within maxWait; otherwise it stops at the first message not yet due.
func (e *Engine) Flush(ctx context.Context, maxWait time.Duration) (FlushReport, error) {
	if e.sender == nil {
		return FlushReport{}, ErrNoSender
	}
	// Items in sending when the engine starts were left by a crash. Only
	// the first Flush looks: later, an item in sending is one this process
	// is sending now.
	e.recoverMu.Lock()
	if !e.recovered {
		if _, err := e.RecoverSending(); err != nil {
			e.recoverMu.Unlock()
			return FlushReport{}, err
		}
		e.recovered = true
	}
	e.recoverMu.Unlock()
	deadline := e.now().Add(maxWait)
	var mu sync.Mutex
	var rep FlushReport
	var firstErr error
	var wg sync.WaitGroup
	conns := e.connections
	if conns < 1 {
		conns = 1
	}
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.work(ctx, deadline)
			mu.Lock()
			defer mu.Unlock()
			if !r.Retry.IsZero() && (rep.Retry.IsZero() || r.Retry.Before(rep.Retry)) {
				rep.Retry = r.Retry
			}
			rep.Sent += r.Sent
			rep.Deferred += r.Deferred
			rep.Failed += r.Failed
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	err := e.st.View(func(tx *store.Tx) error {
		rep.Waiting = tx.Waiting()
		rep.Next, _ = tx.NextDue()
		return nil
	})
	if firstErr == nil {
		firstErr = err
	}
	if errors.Is(firstErr, context.Canceled) && ctx.Err() != nil {
		firstErr = nil
	}
	return rep, firstErr
}

// work is one connection's loop: claim a due message (marking it sending
// and recording the previous message's outcome in the same transaction),
// send it, repeat. At most one message per connection is ever in `sending`,
// so a crash re-sends at most one message per connection.
//
// The next message is picked and composed in a read-only transaction while
// the current one is being sent; the claim then only checks that neither
// the item nor the directory changed meanwhile (else it composes again),
// so the write transaction, which bbolt runs one at a time, stays short.
//
// A message composed ahead is pipelined: while the claim commits, its
// transaction is opened and its content transmitted, all but the end of
// data, which is written only once the claim is durable. A server takes no
// message before the end of data, so the guarantee is the same as claiming
// first and sending after: if the process dies before the commit, the
// message was not delivered; after it, it is recorded as sending. A claim
// that does not go through (the item changed, the budget ran out) abandons
// the transmission by closing the connection, and the server discards it.
func (e *Engine) work(ctx context.Context, deadline time.Time) (FlushReport, error) {
	var rep FlushReport
	var conn *mailer.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	var prev *result
	var next *prepared
	var ahead chan prepResult // the message after next, being composed
	defer func() {
		if prev != nil {
			// Record the last outcome even when ctx ended.
			e.st.Update(func(tx *store.Tx) error { return e.record(tx, prev) })
			e.release(prev.item.ID)
		}
		if next != nil {
			e.release(next.item.ID)
		}
		if ahead != nil {
			if pr := <-ahead; pr.p != nil {
				e.release(pr.p.item.ID)
			}
		}
	}()
	// collect waits for the message composed ahead, if any, and makes it
	// next (next is nil whenever a message is being composed ahead: it
	// was just claimed).
	collect := func() error {
		if ahead == nil {
			return nil
		}
		pr := <-ahead
		ahead = nil
		next = pr.p
		return pr.err
	}
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if e.draining.Load() {
			return rep, nil
		}
		if conn != nil && conn.Broken() {
			conn.Close()
			conn = nil
		}
		if conn == nil {
			c, err := e.sender.Dial(ctx)
			if err != nil {
				return rep, fmt.Errorf("outbox: connect to SMTP server: %w", err)
			}
			conn = c
		}
		if err := collect(); err != nil {
			return rep, err
		}
		if next == nil {
			p, err := e.prepare()
			if err != nil {
				return rep, err
			}
			next = p
		}
		recorded := prev != nil
		var (
			item     *outreach.OutboxItem
			msg      *mailer.Message
			wait     time.Time
			err      error
			pending  *mailer.Pending
			beginErr error
		)
		pipelined := next != nil && next.pipeline
		if pipelined {
			// Claim next and transmit it at once; then compose the
			// message after it while the claim commits (not before the
			// transmission: composing would hold up its round trips).
			if e.beforePipelinedClaim != nil {
				e.beforePipelinedClaim(next.item)
			}
			done := make(chan struct{})
			go func(prev *result, p *prepared) {
				defer close(done)
				item, msg, wait, err = e.claim(prev, p)
			}(prev, next)
			pending, beginErr = conn.Begin(ctx, next.msg)
			ahead = e.prepareAhead()
			<-done
		} else {
			item, msg, wait, err = e.claim(prev, next)
		}
		if prev != nil && err == nil {
			tally(&rep, prev)
			e.release(prev.item.ID)
			prev = nil
		}
		if err != nil {
			if pending != nil {
				pending.Abandon()
			}
			return rep, err
		}
		claimed := next
		next = nil
		if item == nil {
			if pending != nil {
				// Not claimed: the server must not take it.
				pending.Abandon()
			}
			if claimed != nil {
				e.release(claimed.item.ID)
			}
			if recorded || (claimed != nil && claimed.due && wait.IsZero()) {
				// The outcome just recorded may have put a message back in
				// the queue, or the item changed since it was composed (or
				// was superseded): look again.
				continue
			}
			if err := collect(); err != nil {
				return rep, err
			}
			if next != nil {
				e.release(next.item.ID)
				next = nil
			}
			if wait.IsZero() || wait.After(deadline) {
				rep.Retry = wait
				return rep, nil
			}
			if err := e.clock.Sleep(ctx, wait.Sub(e.now())+10*time.Millisecond); err != nil {
				return rep, err
			}
			continue
		}
		if msg == nil {
			// Could not be composed: recorded as failed by claim.
			e.release(item.ID)
			rep.Failed++
			continue
		}
		switch {
		case !pipelined:
			// Compose the next message while this one is sent.
			ahead = e.prepareAhead()
			err = conn.Send(ctx, msg)
		case beginErr != nil:
			err = beginErr
		default:
			err = pending.Finish()
		}
		prev = &result{item: *item, err: err, interrupted: err != nil && ctx.Err() != nil}
		if err := collect(); err != nil {
			return rep, err
		}
		if err != nil && conn.Broken() && mailer.IsPermanent(err) {
			// The connection failed for a reason no retry fixes (e.g. 530
			// authentication required): not the message's fault. Put it
			// back and stop until an operator acts.
			prev.connection = true
			e.st.Update(func(tx *store.Tx) error { return e.record(tx, prev) })
			e.release(prev.item.ID)
			prev = nil
			return rep, fmt.Errorf("outbox: SMTP server refused the connection: %w", err)
		}
		var me *mailer.Error
		if errors.As(err, &me) && !me.Temporary && me.Op == mailer.OpRcpt && me.Recipient != "" && len(msg.To) > 1 {
			prev.bounced = strings.ToLower(me.Recipient)
		}
	}
}

// prepareAhead composes the next message in the background.
func (e *Engine) prepareAhead() chan prepResult {
	ch := make(chan prepResult, 1)
	go func() {
		p, err := e.prepare()
		ch <- prepResult{p, err}
	}()
	return ch
}

func tally(rep *FlushReport, r *result) {
	switch {
	case r.err == nil:
		rep.Sent++
	case r.bounced != "":
	case mailer.IsPermanent(r.err):
		rep.Failed++
	default:
		rep.Deferred++
	}
}

// prepared is the next message a connection will send: picked from the
// due index and, when its content depends only on the directory, composed,
// all in a read-only transaction. It is held by the connection (see
// Engine.take) but still queued in the store until claim marks it sending.
type prepared struct {
	item outreach.OutboxItem // as read when prepared
	raw  []byte              // the item's stored bytes then
	// due is false when the item picked is not due yet: claim only waits.
	due bool
	// gen is the directory generation the message was composed at.
	gen  uint64
	msg  *mailer.Message
	revs map[string]int
	cerr error
	// inClaim: the message reads answers or the outbox (confirmations,
	// reminders, the digest) or may be superseded (reminders): it is
	// composed in the claim's transaction, from what is committed then.
	inClaim bool
	// pipeline: composed ahead and, as far as can be seen when it was
	// composed, within the sending budget: it is transmitted while its
	// claim commits (see work).
	pipeline bool
}

type prepResult struct {
	p   *prepared
	err error
}

// composedAhead reports whether a message of this kind depends only on the
// directory (missions, sessions and the revisions kept with them) and the
// outbox item, so that it may be composed before it is claimed.
func composedAhead(k outreach.MessageKind) bool {
	switch k {
	case outreach.Invitation, outreach.Cancellation, outreach.Update:
		return true
	}
	return false
}

// take holds id for the calling connection, unless another connection of
// this process already holds it.
func (e *Engine) take(id uint64) bool {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	if _, held := e.inflight[id]; held {
		return false
	}
	if e.inflight == nil {
		e.inflight = map[uint64]struct{}{}
	}
	e.inflight[id] = struct{}{}
	return true
}

// release lets other connections pick id again.
func (e *Engine) release(id uint64) {
	e.flightMu.Lock()
	delete(e.inflight, id)
	e.flightMu.Unlock()
}

// prepare picks the earliest queued or deferred item no other connection
// holds, and composes it when it is due. It returns nil when there is none.
func (e *Engine) prepare() (*prepared, error) {
	var p *prepared
	err := e.st.View(func(tx *store.Tx) error {
		it, ok, err := tx.FirstDue(func(id uint64, _ time.Time) bool { return e.take(id) })
		if err != nil || !ok {
			return err
		}
		p = &prepared{item: it, raw: bytes.Clone(tx.OutboxBytes(it.ID)), gen: tx.DirectoryGeneration()}
		if it.Next.After(e.now()) {
			return nil
		}
		p.due = true
		if !composedAhead(it.Key.Kind) || it.Key.Speaker != "" {
			p.inClaim = true
			return nil
		}
		p.msg, p.revs, p.cerr = e.compose(tx, it)
		if p.cerr == nil {
			// Pipelined only with room in the budget for every
			// connection's next claim and the one after, so that the
			// claim is not refused by the throttle after the message
			// went out (which would cost the connection).
			room, err := e.limits.room(tx, e.now())
			if err != nil {
				return err
			}
			p.pipeline = room >= 2*max(1, e.connections)
		}
		return nil
	})
	if err == nil && p != nil && p.msg != nil && p.cerr == nil {
		// Render the bytes now, ahead of the send, outside any
		// transaction; a message that does not render is left for Send
		// to refuse as it always has, and is not pipelined.
		if p.msg.Prepare() != nil {
			p.pipeline = false
		}
	}
	if err != nil && p != nil {
		e.release(p.item.ID)
		p = nil
	}
	return p, err
}

// claim records prev's outcome and marks p's item sending, in one
// transaction. It returns (nil, nil, wait) when nothing can go now, wait
// being when something may; and (nil, nil, zero) with p set when p's item
// or the directory changed since p was prepared, and p must be prepared
// again.
func (e *Engine) claim(prev *result, p *prepared) (*outreach.OutboxItem, *mailer.Message, time.Time, error) {
	var (
		item *outreach.OutboxItem
		msg  *mailer.Message
		wait time.Time
	)
	if p == nil && prev == nil {
		return nil, nil, time.Time{}, nil
	}
	// Grouped: the claims of several connections share one commit.
	err := e.st.Group(func(tx *store.Tx) error {
		item, msg, wait = nil, nil, time.Time{}
		if prev != nil {
			if err := e.record(tx, prev); err != nil {
				return err
			}
		}
		if p == nil {
			return nil
		}
		if !p.due {
			wait = p.item.Next
			return nil
		}
		if !bytes.Equal(tx.OutboxBytes(p.item.ID), p.raw) || (!p.inClaim && tx.DirectoryGeneration() != p.gen) {
			// The item changed since it was read (every field, as
			// stored), or the directory did.
			return nil
		}
		it, err := tx.OutboxItem(p.item.ID)
		if err != nil {
			return err
		}
		now := e.now()
		superseded, err := e.supersede(tx, it)
		if err != nil {
			return err
		}
		if superseded {
			return nil
		}
		ok, retry, err := e.limits.reserve(tx, now)
		if err != nil {
			return err
		}
		if !ok {
			wait = retry
			return nil
		}
		m, revs, cerr := p.msg, p.revs, p.cerr
		if p.inClaim {
			m, revs, cerr = e.compose(tx, it)
		}
		it.Attempts++
		if cerr != nil {
			it.State, it.Error, it.Next = outreach.Failed, cerr.Error(), time.Time{}
			e.log.Error("outbox: cannot compose message", "key", it.Key.String(), "err", cerr)
			item = &it
			return tx.SaveOutbox(it)
		}
		it.State = outreach.Sending
		it.Revisions = revs
		it.To = addrs(m.To)
		it.Subject = m.Subject
		item, msg = &it, m
		return tx.SaveOutbox(it)
	})
	return item, msg, wait, err
}

func addrs(as []mailer.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Email
	}
	return out
}

// record stores an attempt's outcome.
func (e *Engine) record(tx *store.Tx, r *result) error {
	it := r.item
	now := e.now()
	var me *mailer.Error
	errors.As(r.err, &me)
	if me != nil {
		it.Error, it.Code, it.Enhanced = me.Error(), me.Code, me.Enhanced
	} else if r.err != nil {
		it.Error = r.err.Error()
	}
	switch {
	case r.interrupted:
		it.State, it.Next = outreach.Queued, now
		if it.Attempts > 0 {
			it.Attempts--
		}
		e.log.Warn("send interrupted by the stop; queued again with its Message-ID", "key", it.Key.String(), "message_id", it.MessageID)
	case r.connection:
		it.State, it.Next = outreach.Queued, now.Add(time.Minute)
		if it.Attempts > 0 {
			it.Attempts--
		}
	case r.err == nil:
		it.State, it.Sent, it.Next, it.Error, it.Code, it.Enhanced = outreach.Sent, now, time.Time{}, "", 0, ""
		e.log.Info("sent", "key", it.Key.String(), "message_id", it.MessageID, "attempt", it.Attempts)
	case r.bounced != "":
		// One address refused: mark it and send at once to the others.
		if err := e.markUndeliverable(tx, it.Key.Mission, r.bounced, it.Error); err != nil {
			return err
		}
		it.State, it.Next = outreach.Queued, now
		e.log.Warn("recipient refused; sending to the mission's other addresses", "key", it.Key.String(), "recipient", r.bounced, "err", it.Error)
	case mailer.IsPermanent(r.err):
		it.State, it.Next = outreach.Failed, time.Time{}
		e.log.Error("send failed", "key", it.Key.String(), "message_id", it.MessageID, "err", it.Error)
		if me != nil && me.Op == mailer.OpRcpt && me.Recipient != "" {
			if err := e.markUndeliverable(tx, it.Key.Mission, strings.ToLower(me.Recipient), it.Error); err != nil {
				return err
			}
		}
	case it.Attempts >= MaxAttempts || now.Sub(it.Created) > GiveUpAfter:
		it.State, it.Next = outreach.Failed, time.Time{}
		it.Error = fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, it.Error)
		e.log.Error("send failed", "key", it.Key.String(), "err", it.Error)
	default:
		it.State, it.Next = outreach.Deferred, now.Add(backoff(it.Attempts))
		e.log.Warn("send deferred", "key", it.Key.String(), "message_id", it.MessageID, "next", it.Next, "err", it.Error)
	}
	return tx.SaveOutbox(it)
}

// markUndeliverable records that mail to addr cannot be delivered.
func (e *Engine) markUndeliverable(tx *store.Tx, mission, addr, why string) error {
	if mission == "" {
		return nil
	}
	m, err := tx.Mission(mission)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	c, ok := m.Contact(addr)
	if !ok || c.Undeliverable {
		return nil
	}
	c.Undeliverable, c.Bounce, c.BouncedAt = true, why, e.now()
	if err := tx.PutMission(m); err != nil {
		return err
	}
	return tx.Audit("outbox", "contact.undeliverable", mission+" "+addr+": "+why)
}
