// Package outbox is the durable outbox worker: it claims the messages due in
// the store's outbox, sends them over one or more SMTP connections within
// the sending limits, and records each outcome so that a crash re-sends at
// most one message per connection, with its Message-ID (see Worker.work).
//
// It is a package of its own so that the crash rules live in one place,
// apart from the operations that queue messages: it reaches the store, the
// SMTP client, the composing of messages and time only through the
// interfaces of ports.go, which package jobs implements and wires.
package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"outreach"
	"outreach/mailer"
	"outreach/message"
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

// Config is what a Worker works with.
type Config struct {
	Store    Store
	Composer Composer
	Clock    Clock
	Logger   *slog.Logger
	// Sender is the SMTP client; nil when sending is not configured.
	Sender Sender
	// Connections is how many SMTP connections Flush uses at once.
	Connections int
	// Limits throttle sending.
	Limits Limits
}

// Worker is the outbox worker of one store.
type Worker struct {
	st          Store
	composer    Composer
	log         *slog.Logger
	now         func() time.Time
	clock       Clock
	sender      Sender
	connections int
	limits      Limits
	gate        LoginGate // see SetGate; nil: no hold

	recoverMu sync.Mutex // the first Flush re-queues what a crash left in sending
	recovered bool

	mapDropped atomic.Int64 // when the store's map was last let go (UnixNano; see DropMapped)

	flightMu sync.Mutex          // guards inflight
	inflight map[uint64]struct{} // outbox items a connection holds: picked, being sent, or their outcome not yet recorded

	draining atomic.Bool // set on shutdown: finish the send in flight, claim no more

	// BeforeClaim, set by tests only, runs before the claim of messages
	// composed ahead, with their items as they were composed.
	BeforeClaim func([]outreach.OutboxItem)
}

// New returns a worker; c.Logger may be nil.
func New(c Config) *Worker {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{st: c.Store, composer: c.Composer, log: c.Logger, now: c.Clock.Now, clock: c.Clock,
		sender: c.Sender, connections: c.Connections, limits: c.Limits}
}

// SetSender sets the SMTP client (nil: sending is not configured).
func (o *Worker) SetSender(s Sender) { o.sender = s }

// SetGate makes the worker ask g before each SMTP login and tell it how
// the login went.
func (o *Worker) SetGate(g LoginGate) { o.gate = g }

// Drain makes the worker finish the message it is sending and claim no
// more (shutdown).
func (o *Worker) Drain() { o.draining.Store(true) }

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
	// unsent is set for a message claimed and never transmitted: it goes
	// back to the queue as it was.
	unsent bool
	// at is when the attempt ended (zero: when it is recorded).
	at time.Time
}

// RecoverSending puts messages caught in `sending` by a crash back in the
// queue. They keep their Message-ID, so a copy the server had already
// accepted is recognisable downstream. Call once before the worker starts.
func (o *Worker) RecoverSending() (int, error) {
	n := 0
	err := o.st.Update(func(tx *store.Tx) error {
		n = 0
		items, err := tx.SendingItems()
		if err != nil {
			return err
		}
		for _, it := range items {
			it.State = outreach.Queued
			it.Next = o.now()
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

// ErrNoSender means the outbox has no SMTP sender configured. (Its text
// names package jobs, where the worker was before: it is unchanged.)
var ErrNoSender = errors.New("jobs: no SMTP sender configured")

// Flush sends every message that is due, over o's configured number of SMTP
// connections, and returns when none is left due (or ctx ends). With wait
// set it waits for the throttle and for deferred messages that fall due
// within maxWait; otherwise it stops at the first message not yet due.
func (o *Worker) Flush(ctx context.Context, maxWait time.Duration) (FlushReport, error) {
	if o.sender == nil {
		return FlushReport{}, ErrNoSender
	}
	// Items in sending when the worker starts were left by a crash. Only
	// the first Flush looks: later, an item in sending is one this process
	// is sending now.
	o.recoverMu.Lock()
	if !o.recovered {
		if _, err := o.RecoverSending(); err != nil {
			o.recoverMu.Unlock()
			return FlushReport{}, err
		}
		o.recovered = true
		o.DropMapped(true) // the search read every item
	}
	o.recoverMu.Unlock()
	deadline := o.now().Add(maxWait)
	var mu sync.Mutex
	var rep FlushReport
	var firstErr error
	var wg sync.WaitGroup
	conns := o.connections
	if conns < 1 {
		conns = 1
	}
	// Connect only when something is due, and once before the others:
	// credentials the server refuses cost one attempt, not one per
	// connection.
	var due bool
	if err := o.st.View(func(tx *store.Tx) error {
		next, ok := tx.NextDue()
		due = ok && !next.After(deadline)
		return nil
	}); err != nil {
		return rep, err
	}
	if !due {
		return o.flushReport(rep, nil)
	}
	first, err := o.dial(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return o.flushReport(rep, nil)
		}
		return o.flushReport(rep, fmt.Errorf("outbox: connect to SMTP server: %w", err))
	}
	for i := 0; i < conns; i++ {
		wg.Add(1)
		var conn Conn
		if i == 0 {
			conn = first
		}
		go func() {
			defer wg.Done()
			r, err := o.work(ctx, deadline, conn)
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
	if errors.Is(firstErr, context.Canceled) && ctx.Err() != nil {
		firstErr = nil
	}
	return o.flushReport(rep, firstErr)
}

// flushReport completes rep with what is left waiting.
func (o *Worker) flushReport(rep FlushReport, err error) (FlushReport, error) {
	verr := o.st.View(func(tx *store.Tx) error {
		rep.Waiting = tx.Waiting()
		rep.Next, _ = tx.NextDue()
		return nil
	})
	if err == nil {
		err = verr
	}
	return rep, err
}

// IsSMTPLoginRefused reports whether err is an SMTP server's refusal of
// the credentials (a reply to AUTH), or the OAuth2 token endpoint's, as
// opposed to a failure on the way.
func IsSMTPLoginRefused(err error) bool {
	var me *mailer.Error
	return errors.As(err, &me) && me.Op == mailer.OpAuth && (me.Code != 0 || errors.Is(err, mailer.ErrTokenRefused))
}

// dial connects to the SMTP server unless the gate holds logins back.
func (o *Worker) dial(ctx context.Context) (Conn, error) {
	g := o.gate
	if g != nil {
		if _, why := g.Held(); why != nil {
			return nil, why
		}
	}
	c, err := o.sender.Dial(ctx)
	switch {
	case g == nil:
	case err == nil:
		g.Accepted()
	case IsSMTPLoginRefused(err):
		g.Refused(err)
	}
	return c, err
}

// maxBatch is the most messages claimed in one commit, shared among the
// connections: each holds its batch and the next, composed, in memory —
// their bytes alone (message.Message.Shed), about 64 KB an invitation,
// 6 MB in all. Fewer, larger claims leave the disk's flushes to the send
// journal (with 16, a claim every 4 messages over four connections); with
// 64, four connections' peak RSS reached 64 MB.
const maxBatch = 48

// claimedMsg is a message marked sending in the store, its send taken from
// the budget; msg is nil when it could not be composed (recorded failed).
type claimedMsg struct {
	item outreach.OutboxItem
	msg  *message.Message
}

// work is one connection's loop: claim a batch of due messages (marking
// them sending, and recording the outcomes of the batch before, in one
// commit), send them one by one, repeat.
//
// Crash guarantee: each message's outcome is durable before the next
// message's end of data, so a killed process re-sends at most one message
// per connection: the one whose end of data was written and whose outcome
// was not. A delivery is written to the store's send journal (one small
// write and flush, see store.JournalWrite) while the next message is
// transmitted, all but its end of data; a failure is recorded in the store
// before the next message goes. The journal's deliveries are recorded in
// the store with the next batch's claim. Messages claimed and not yet sent
// when the process dies are found in sending after the restart and sent
// then: their end of data was never written, so none of them is a copy.
//
// The next batch is picked and composed in read-only transactions while
// the current one is sent; the claim then only checks that neither the
// items nor the directory changed meanwhile (else those are composed
// again), so the write transaction, which bbolt runs one at a time, stays
// short. Batches are only as large as the sending budget leaves room for
// (see prepare): with little room, one message is claimed at a time.
func (o *Worker) work(ctx context.Context, deadline time.Time, conn Conn) (FlushReport, error) {
	w := &loop{o: o, conn: conn, deadline: deadline}
	defer w.finish()
	for {
		if err := ctx.Err(); err != nil {
			return w.rep, err
		}
		if o.draining.Load() {
			return w.rep, nil
		}
		if err := w.connect(ctx); err != nil {
			return w.rep, err
		}
		if len(w.claimed) == 0 {
			next, err := w.claimNext(ctx)
			if err != nil || next == claimStop {
				return w.rep, err
			}
			if next == claimAgain {
				continue
			}
		}
		if err := w.sendNext(ctx); err != nil {
			return w.rep, err
		}
	}
}

// loop is the state of one connection's loop (see work).
type loop struct {
	o         *Worker
	conn      Conn
	deadline  time.Time
	rep       FlushReport
	prev      *result      // the last outcome, not yet durable
	journaled []*result    // deliveries durable in the journal, not yet in the store
	claimed   []claimedMsg // claimed, not yet sent
	// opened is claimed[0]'s transaction, opened behind the end of data
	// of the message before it: the next send takes it up.
	opened Opened
	ahead  chan batchResult // the next batch, being composed
	// claiming is the next batch's claim, committed while the last
	// message of this one is finished (see sendJournaling).
	claiming chan claimResult
	// journalWarned: the journal's failure was logged (once per run).
	journalWarned bool
}

// finish ends the loop: the connection closed, the batch composed ahead
// let go, and the outcomes recorded even when ctx ended, with what was
// claimed and not sent put back in the queue.
func (w *loop) finish() {
	o := w.o
	if w.opened != nil {
		// Never ended: nothing of it is delivered.
		w.opened.Abandon()
		w.opened = nil
	}
	if w.claiming != nil {
		// Claimed and never sent: put back below with the rest.
		if got, _, _, err := w.takeClaim(); err == nil {
			w.claimed = append(w.claimed, got...)
		}
	}
	if w.conn != nil {
		w.conn.Close()
	}
	if w.ahead != nil {
		for _, p := range (<-w.ahead).ps {
			o.release(p.item.ID)
		}
	}
	if w.prev == nil && len(w.journaled) == 0 && len(w.claimed) == 0 {
		return
	}
	err := o.st.Update(func(tx *store.Tx) error {
		if err := o.recordOutcomes(tx, w.prev, w.journaled); err != nil {
			return err
		}
		for _, c := range w.claimed {
			if c.msg == nil {
				continue // recorded failed by its claim
			}
			if err := o.record(tx, &result{item: c.item, unsent: true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		o.journalRecorded(len(w.journaled))
	}
	if w.prev != nil {
		o.release(w.prev.item.ID)
	}
	for _, r := range w.journaled {
		o.release(r.item.ID)
	}
	for _, c := range w.claimed {
		o.release(c.item.ID)
	}
}

// recorded counts an outcome now in the store and lets the item go.
func (w *loop) recorded(r *result) {
	tally(&w.rep, r)
	w.o.release(r.item.ID)
}

// recordNow makes prev's outcome durable in the store.
func (w *loop) recordNow() error {
	if err := w.o.st.Group(func(tx *store.Tx) error { return w.o.record(tx, w.prev) }); err != nil {
		return err
	}
	w.recorded(w.prev)
	w.prev = nil
	return nil
}

// connect dials again when the connection broke (or there is none).
func (w *loop) connect(ctx context.Context) error {
	if w.conn != nil && w.conn.Broken() {
		w.conn.Close()
		w.conn = nil
	}
	if w.conn == nil {
		c, err := w.o.dial(ctx)
		if err != nil {
			return fmt.Errorf("outbox: connect to SMTP server: %w", err)
		}
		w.conn = c
	}
	return nil
}

// What claimNext tells the loop to do.
const (
	claimSend  = iota // messages were claimed: send them
	claimAgain        // look for messages again
	claimStop         // nothing is due before the deadline: stop
)

// claimNext claims the next batch (composed ahead, or now), recording the
// outcomes before it in the same commit; with nothing to claim it waits
// for the next message due, or stops when that is past the deadline.
func (w *loop) claimNext(ctx context.Context) (int, error) {
	o := w.o
	var (
		got         []claimedMsg
		wait        time.Time
		retry       bool
		err         error
		hadOutcomes bool
	)
	if w.claiming != nil {
		// Claimed while the message before was finished; that message's
		// outcome (prev) is made durable before the next goes, as always.
		hadOutcomes = true
		got, wait, retry, err = w.takeClaim()
	} else {
		hadOutcomes = w.prev != nil || len(w.journaled) > 0
		prev, journaled := w.prev, w.journaled
		w.prev, w.journaled = nil, nil
		got, wait, retry, err = w.settle(w.claimBatch(prev, journaled))
	}
	if err != nil {
		return claimStop, err
	}
	if len(got) > 0 {
		w.claimed = got
		// Compose the next batch while this one is sent.
		w.ahead = o.prepareAhead()
		return claimSend, nil
	}
	if hadOutcomes || retry {
		// The outcomes just recorded may have put a message back in the
		// queue, or an item changed since it was composed (or was
		// superseded): look again.
		return claimAgain, nil
	}
	if wait.IsZero() || wait.After(w.deadline) {
		w.rep.Retry = wait
		return claimStop, nil
	}
	if err := o.clock.Sleep(ctx, wait.Sub(o.now())+10*time.Millisecond); err != nil {
		return claimStop, err
	}
	return claimAgain, nil
}

// claimResult is a claim's outcome, with what it was given to record.
type claimResult struct {
	prev      *result
	journaled []*result
	cands     []*prepared
	got       []claimedMsg
	wait      time.Time
	again     bool
	err       error
}

// claimBatch claims the next batch (composed ahead, or now), recording
// prev and journaled in the same commit.
func (w *loop) claimBatch(prev *result, journaled []*result) claimResult {
	r := claimResult{prev: prev, journaled: journaled}
	if r.cands, r.err = w.candidates(); r.err != nil {
		return r
	}
	r.got, r.wait, r.again, r.err = w.o.claim(prev, journaled, r.cands)
	w.o.DropMapped(false)
	return r
}

// takeClaim waits for the claim started in the background and settles it.
func (w *loop) takeClaim() ([]claimedMsg, time.Time, bool, error) {
	r := <-w.claiming
	w.claiming = nil
	return w.settle(r)
}

// settle lets go of the candidates not claimed and counts the outcomes
// the claim recorded; when it failed, they are the loop's to record again.
func (w *loop) settle(r claimResult) ([]claimedMsg, time.Time, bool, error) {
	o := w.o
	for _, p := range r.cands {
		if !slices.ContainsFunc(r.got, func(c claimedMsg) bool { return c.item.ID == p.item.ID }) {
			o.release(p.item.ID)
		}
	}
	if r.err != nil {
		// The claim's commit failed: what it was given to record is the
		// loop's again. claimNext gives it the loop's prev, which it took
		// from the loop; the background claim (sendJournaling) is given
		// none, and the loop's prev — the last message's outcome, kept
		// while it was sent — is left in place. Deliveries journaled go
		// back before those journaled since, in the order they went.
		if r.prev != nil {
			w.prev = r.prev
		}
		w.journaled = append(r.journaled, w.journaled...)
		return nil, time.Time{}, false, r.err
	}
	if r.prev != nil {
		w.recorded(r.prev)
	}
	for _, j := range r.journaled {
		w.recorded(j)
	}
	o.journalRecorded(len(r.journaled))
	return r.got, r.wait, r.again, nil
}

// candidates are the messages to claim: the batch composed ahead, or one
// composed now.
func (w *loop) candidates() ([]*prepared, error) {
	o := w.o
	var cands []*prepared
	if w.ahead != nil {
		br := <-w.ahead
		w.ahead = nil
		if br.err != nil {
			return nil, br.err
		}
		cands = br.ps
	} else {
		ps, err := o.prepareBatch()
		if err != nil {
			return nil, err
		}
		cands = ps
	}
	if o.BeforeClaim != nil && len(cands) > 0 && !cands[0].inClaim {
		items := make([]outreach.OutboxItem, len(cands))
		for i, p := range cands {
			items[i] = p.item
		}
		o.BeforeClaim(items)
	}
	return cands, nil
}

// sendNext sends the first claimed message, after making the outcome
// before it durable: a delivery in the journal while this message is
// transmitted, a failure in the store before it goes.
func (w *loop) sendNext(ctx context.Context) error {
	c := w.claimed[0]
	if c.msg == nil {
		// Could not be composed: recorded as failed by the claim.
		w.claimed = w.claimed[1:]
		w.o.release(c.item.ID)
		w.rep.Failed++
		return nil
	}
	var err error
	switch {
	case w.prev != nil && w.prev.err == nil:
		var rerr error
		if err, rerr = w.sendJournaling(ctx, c); rerr != nil {
			return rerr
		}
	case w.prev != nil:
		// A failure is recorded in the store before anything else goes
		// (it may have been delivered all the same: a connection lost
		// after the end of data).
		if rerr := w.recordNow(); rerr != nil {
			return rerr
		}
		w.claimed = w.claimed[1:]
		err = w.send(ctx, c)
	default:
		w.claimed = w.claimed[1:]
		err = w.send(ctx, c)
	}
	// Sent or not, these bytes go no more (an attempt after this one is
	// composed again): the next message may be rendered into them.
	c.msg.Release()
	return w.outcome(ctx, c, err)
}

// send transmits c and ends its data.
func (w *loop) send(ctx context.Context, c claimedMsg) error {
	p, err := w.begin(ctx, c)
	if err != nil {
		return err
	}
	return w.end(ctx, p)
}

// begin transmits c, all but its end of data: on the transaction opened
// for it behind the message before, or on a new one.
func (w *loop) begin(ctx context.Context, c claimedMsg) (Pending, error) {
	if o := w.opened; o != nil {
		w.opened = nil
		return o.Begin()
	}
	return w.conn.Begin(ctx, c.msg)
}

// end ends p's data. When the next claimed message is ready to go, its
// commands go out with the end of data (mailer.Pending.FinishThen): one
// round trip per message instead of two. Only its transaction is opened;
// its own end of data waits, as always, until p's delivery is durable.
func (w *loop) end(ctx context.Context, p Pending) error {
	if len(w.claimed) == 0 || w.claimed[0].msg == nil || ctx.Err() != nil || w.o.draining.Load() {
		return p.Finish()
	}
	o, err := p.FinishThen(ctx, w.claimed[0].msg)
	w.opened = o
	return err
}

// sendJournaling sends c while prev's delivery is written to the journal;
// c's end of data waits until that is durable. It returns c's send error,
// and an error that stops the loop when nothing durable says prev went.
func (w *loop) sendJournaling(ctx context.Context, c claimedMsg) (sendErr, stopErr error) {
	o := w.o
	pending, beginErr, je := w.beginJournaling(ctx, c)
	if je != nil {
		if !errors.Is(je, store.ErrJournalFull) && !w.journalWarned {
			o.log.Warn("outbox: send journal unavailable; recording deliveries in the store", "err", je)
			w.journalWarned = true
		}
		if rerr := w.recordNow(); rerr != nil {
			// Nothing durable says prev went: c must not go.
			if pending != nil {
				pending.Abandon()
			}
			return nil, rerr
		}
	} else {
		w.journaled = append(w.journaled, w.prev)
		w.prev = nil
	}
	w.claimed = w.claimed[1:]
	if beginErr != nil {
		return beginErr, nil
	}
	if len(w.claimed) == 0 && w.prev == nil && ctx.Err() == nil && !o.draining.Load() {
		// c is the batch's last: the next batch is claimed, with the
		// deliveries journaled so far, while c's end of data travels,
		// instead of after it with the connection idle.
		journaled := w.journaled
		w.journaled = nil
		ch := make(chan claimResult, 1)
		w.claiming = ch
		go func() { ch <- w.claimBatch(nil, journaled) }()
	}
	return w.end(ctx, pending), nil
}

// beginJournaling writes prev's delivery to the journal and transmits c,
// all but its end of data, and returns once that delivery is durable (or
// with the journal's error). The entry is written first; over one
// connection its flush runs while c's content travels (no other flush
// could cover it), over several after c's content has gone: by then
// another connection's flush has often covered the entry, and one flush
// serves several deliveries.
func (w *loop) beginJournaling(ctx context.Context, c claimedMsg) (Pending, error, error) {
	o := w.o
	written, je := o.st.JournalWrite(store.JournalEntry{Item: w.prev.item.ID, Claim: w.prev.item.Claim, Delivered: w.prev.at})
	if je != nil || o.connections > 1 {
		pending, beginErr := w.begin(ctx, c)
		if je == nil {
			je = o.st.JournalDurable(written)
		}
		return pending, beginErr, je
	}
	jerr := make(chan error, 1)
	go func() { jerr <- o.st.JournalDurable(written) }()
	pending, beginErr := w.begin(ctx, c)
	return pending, beginErr, <-jerr
}

// outcome keeps c's outcome as prev, to be made durable before the next
// message goes; a connection refused for a reason no retry fixes puts c
// back and stops the loop.
func (w *loop) outcome(ctx context.Context, c claimedMsg, err error) error {
	o := w.o
	w.prev = &result{item: c.item, err: err, at: o.now(), interrupted: err != nil && ctx.Err() != nil}
	if err != nil && w.conn.Broken() && mailer.IsPermanent(err) {
		// The connection failed for a reason no retry fixes (o.g. 530
		// authentication required): not the message's fault. Put it back
		// and stop until an operator acts.
		w.prev.connection = true
		o.st.Update(func(tx *store.Tx) error { return o.record(tx, w.prev) })
		o.release(w.prev.item.ID)
		w.prev = nil
		return fmt.Errorf("outbox: SMTP server refused the connection: %w", err)
	}
	var me *mailer.Error
	if errors.As(err, &me) && !me.Temporary && me.Op == mailer.OpRcpt && me.Recipient != "" && len(c.msg.To) > 1 {
		w.prev.bounced = strings.ToLower(me.Recipient)
	}
	return nil
}

// DropMapped lets go of the store's pages that reading brought into the
// process's memory (store.DropMapped), at most once a second unless now is
// set (intake calls it too, sharing the once a second). Every message sent reads its item and, when it is recorded sent,
// its kept body: over a long run, most of a large store would stay
// resident.
func (o *Worker) DropMapped(now bool) {
	last := o.mapDropped.Load()
	t := time.Now().UnixNano()
	if !now && t-last < int64(time.Second) || !o.mapDropped.CompareAndSwap(last, t) {
		return
	}
	if err := o.st.DropMapped(); err != nil {
		o.log.Debug("store: memory map not let go", "err", err)
	}
}

// journalRecorded tells the send journal that n of its deliveries are
// recorded in the store.
func (o *Worker) journalRecorded(n int) {
	if err := o.st.JournalRecorded(n); err != nil {
		o.log.Warn("outbox: send journal not emptied", "err", err)
	}
}

type batchResult struct {
	ps  []*prepared
	err error
}

// prepareAhead composes the next batch in the background.
func (o *Worker) prepareAhead() chan batchResult {
	ch := make(chan batchResult, 1)
	go func() {
		ps, err := o.prepareBatch()
		ch <- batchResult{ps, err}
	}()
	return ch
}

// prepareBatch picks and composes the next messages to claim together:
// as many as the first one's batch allows, all composed ahead and due.
func (o *Worker) prepareBatch() ([]*prepared, error) {
	var out []*prepared
	for limit := 1; len(out) < limit; {
		p, err := o.prepare()
		if err != nil {
			for _, q := range out {
				o.release(q.item.ID)
			}
			return nil, err
		}
		if p == nil {
			break
		}
		if len(out) > 0 && p.batch < 2 {
			o.release(p.item.ID)
			break
		}
		out = append(out, p)
		limit = p.batch
	}
	return out, nil
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

// prepared is a message a connection will claim next: picked from the due
// index and, when its content depends only on the directory, composed,
// all in a read-only transaction. It is held by the connection (see
// Worker.take) but still queued in the store until claim marks it sending.
type prepared struct {
	item outreach.OutboxItem // as read when prepared
	raw  []byte              // the item's stored bytes then
	// due is false when the item picked is not due yet: claim only waits.
	due bool
	// gen is the directory generation the message was composed at.
	gen  uint64
	msg  *message.Message
	revs map[string]int
	cerr error
	// inClaim: the message reads answers or the outbox (confirmations,
	// reminders, the digest) or may be superseded (reminders): it is
	// composed in the claim's transaction, from what is committed then.
	inClaim bool
	// batch is how many messages may be claimed with this one (itself
	// included): more than one only for a message composed ahead, when
	// the budget has room for a batch on every connection.
	batch int
}

// take holds id for the calling connection, unless another connection of
// this process already holds it.
func (o *Worker) take(id uint64) bool {
	o.flightMu.Lock()
	defer o.flightMu.Unlock()
	if _, held := o.inflight[id]; held {
		return false
	}
	if o.inflight == nil {
		o.inflight = map[uint64]struct{}{}
	}
	o.inflight[id] = struct{}{}
	return true
}

// release lets other connections pick id again.
func (o *Worker) release(id uint64) {
	o.flightMu.Lock()
	delete(o.inflight, id)
	o.flightMu.Unlock()
}

// prepare picks the earliest queued or deferred item no other connection
// holds, and composes it when it is due. It returns nil when there is none.
func (o *Worker) prepare() (*prepared, error) {
	var p *prepared
	err := o.st.View(func(tx *store.Tx) error {
		it, ok, err := tx.FirstDue(func(id uint64, _ time.Time) bool { return o.take(id) })
		if err != nil || !ok {
			return err
		}
		p = &prepared{item: it, raw: bytes.Clone(tx.OutboxBytes(it.ID)), gen: tx.DirectoryGeneration(), batch: 1}
		if it.Next.After(o.now()) {
			return nil
		}
		p.due = true
		if !o.composer.ComposedAhead(it) {
			p.inClaim = true
			return nil
		}
		p.msg, p.revs, p.cerr = o.composer.Compose(tx, it)
		if p.cerr == nil {
			// A batch takes from the budget at once: only with room for
			// a batch on every connection and as many again, so that
			// connections share what is left.
			room, err := o.limits.room(tx, o.now())
			if err != nil {
				return err
			}
			conns := max(1, o.connections)
			p.batch = max(1, min(max(2, maxBatch/conns), room/(2*conns)))
		}
		return nil
	})
	if err == nil && p != nil && p.msg != nil && p.cerr == nil {
		// Render the bytes now, ahead of the send, outside any
		// transaction; a message that does not render is left for Send
		// to refuse as it always has, and goes alone.
		if p.msg.Prepare() != nil {
			p.batch = 1
		}
		p.msg.Shed()
	}
	if err != nil && p != nil {
		o.release(p.item.ID)
		p = nil
	}
	return p, err
}

// claim records the outcomes of prev and journaled and marks the
// candidates sending, in one transaction. It returns the messages claimed,
// in order; with none, wait is when something may go (zero: nothing
// waits), and again is set when a candidate changed since it was prepared
// (or was superseded) and must be prepared again.
func (o *Worker) claim(prev *result, journaled []*result, cands []*prepared) (got []claimedMsg, wait time.Time, again bool, err error) {
	if len(cands) == 0 && prev == nil && len(journaled) == 0 {
		return nil, time.Time{}, false, nil
	}
	// Grouped: the claims of several connections share one commit.
	err = o.st.Group(func(tx *store.Tx) error {
		got, wait, again = nil, time.Time{}, false
		if err := o.recordOutcomes(tx, prev, journaled); err != nil {
			return err
		}
		now := o.now()
		for _, p := range cands {
			if !p.due {
				if len(got) == 0 {
					wait = p.item.Next
				}
				break
			}
			if !bytes.Equal(tx.OutboxBytes(p.item.ID), p.raw) || (!p.inClaim && tx.DirectoryGeneration() != p.gen) {
				// The item changed since it was read (every field, as
				// stored), or the directory did.
				again = true
				continue
			}
			it, err := tx.OutboxItem(p.item.ID)
			if err != nil {
				return err
			}
			superseded, err := o.composer.Supersede(tx, it)
			if err != nil {
				return err
			}
			if superseded {
				again = true
				continue
			}
			ok, retry, err := o.limits.reserve(tx, now)
			if err != nil {
				return err
			}
			if !ok {
				if len(got) == 0 {
					wait = retry
				}
				break
			}
			m, revs, cerr := p.msg, p.revs, p.cerr
			if p.inClaim {
				m, revs, cerr = o.composer.Compose(tx, it)
			}
			it.Attempts++
			if it.Claim, err = tx.NextClaim(); err != nil {
				return err
			}
			if cerr != nil {
				it.State, it.Error, it.Next = outreach.Failed, cerr.Error(), time.Time{}
				o.log.Error("outbox: cannot compose message", "key", it.Key.String(), "err", cerr)
				got = append(got, claimedMsg{item: it})
				if err := tx.SaveOutbox(it); err != nil {
					return err
				}
				continue
			}
			prevTo, prevRevs := it.To, it.Revisions
			it.State = outreach.Sending
			it.Revisions = revs
			it.To = addrs(m.To)
			it.Subject = m.Subject
			it.Composed = m.Date
			if err := keepBytes(tx, it.ID, m, prevTo, prevRevs, it.To, revs, p.inClaim); err != nil {
				return err
			}
			got = append(got, claimedMsg{item: it, msg: m})
			if err := tx.SaveOutbox(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		got = nil
	}
	return got, wait, again, err
}

// keepBytes makes a message sent again the same, byte for byte, as its
// earlier attempt. A message composed ahead of its claim depends only on
// the directory and its item: composed again as of the same time
// (OutboxItem.Composed), to the same recipients with the same calendar
// data, it comes out the same, so its bytes are not written to the store
// (they are most of what a claim would write). A message composed in the
// claim (inClaim) reads what may change between attempts (answers, the
// outbox), so its bytes are kept: when the store keeps the bytes of an
// earlier attempt and the message as composed now goes to the same
// recipients with the same calendar data (prevTo and prevRevs, as the
// earlier claim recorded them), m is sent as those bytes; otherwise —
// the first attempt, or a recipient refused, an address changed, a
// session moved since — m's own bytes are kept for the attempts to come.
// Date, MIME boundaries and DTSTAMP are thus those of the first attempt,
// and a copy a receiver already has under the same Message-ID is the same
// message.
func keepBytes(tx *store.Tx, id uint64, m *message.Message, prevTo []string, prevRevs map[string]int, to []string, revs map[string]int, inClaim bool) error {
	if kept := tx.OutboxBody(id); kept != nil && slices.Equal(prevTo, to) && maps.Equal(prevRevs, revs) {
		m.Reuse(kept)
		return nil
	}
	if !inClaim {
		return nil
	}
	b, err := m.Bytes()
	if err != nil {
		// Not renderable: Send refuses it as it always has.
		return nil
	}
	return tx.PutOutboxBody(id, b)
}

func addrs(as []message.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Email
	}
	return out
}

// recordOutcomes stores the last outcome of a connection, if any, and the
// deliveries it wrote to the send journal.
func (o *Worker) recordOutcomes(tx *store.Tx, prev *result, journaled []*result) error {
	if prev != nil {
		if err := o.record(tx, prev); err != nil {
			return err
		}
	}
	for _, r := range journaled {
		if err := o.record(tx, r); err != nil {
			return err
		}
	}
	return nil
}

// record stores an attempt's outcome.
func (o *Worker) record(tx *store.Tx, r *result) error {
	it := r.item
	now := r.at
	if now.IsZero() {
		now = o.now()
	}
	var me *mailer.Error
	errors.As(r.err, &me)
	if me != nil {
		it.Error, it.Code, it.Enhanced = me.Error(), me.Code, me.Enhanced
	} else if r.err != nil {
		it.Error = r.err.Error()
	}
	switch {
	case r.unsent:
		it.State, it.Next = outreach.Queued, now
		if it.Attempts > 0 {
			it.Attempts--
		}
	case r.interrupted:
		it.State, it.Next = outreach.Queued, now
		if it.Attempts > 0 {
			it.Attempts--
		}
		o.log.Warn("send interrupted by the stop; queued again with its Message-ID", "key", it.Key.String(), "message_id", it.MessageID)
	case r.connection:
		it.State, it.Next = outreach.Queued, now.Add(time.Minute)
		if it.Attempts > 0 {
			it.Attempts--
		}
	case r.err == nil:
		it.MarkSent(now)
		o.log.Info("sent", "key", it.Key.String(), "message_id", it.MessageID, "attempt", it.Attempts)
	case r.bounced != "":
		// One address refused: mark it and send at once to the others.
		if err := MarkUndeliverable(tx, it.Key.Mission, r.bounced, it.Error, o.now()); err != nil {
			return err
		}
		it.State, it.Next = outreach.Queued, now
		o.log.Warn("recipient refused; sending to the mission's other addresses", "key", it.Key.String(), "recipient", r.bounced, "err", it.Error)
	case mailer.IsPermanent(r.err):
		it.State, it.Next = outreach.Failed, time.Time{}
		o.log.Error("send failed", "key", it.Key.String(), "message_id", it.MessageID, "err", it.Error)
		if me != nil && me.Op == mailer.OpRcpt && me.Recipient != "" {
			if err := MarkUndeliverable(tx, it.Key.Mission, strings.ToLower(me.Recipient), it.Error, o.now()); err != nil {
				return err
			}
		}
	case it.Attempts >= MaxAttempts || now.Sub(it.Created) > GiveUpAfter:
		it.State, it.Next = outreach.Failed, time.Time{}
		it.Error = fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, it.Error)
		o.log.Error("send failed", "key", it.Key.String(), "err", it.Error)
	default:
		it.State, it.Next = outreach.Deferred, now.Add(backoff(it.Attempts))
		o.log.Warn("send deferred", "key", it.Key.String(), "message_id", it.MessageID, "next", it.Next, "err", it.Error)
	}
	return tx.SaveOutbox(it)
}

// MarkUndeliverable records that mail to addr cannot be delivered, as of
// at: the outbox does when a server refuses a recipient, intake when a
// bounce comes back.
func MarkUndeliverable(tx *store.Tx, mission, addr, why string, at time.Time) error {
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
	c.Undeliverable, c.Bounce, c.BouncedAt = true, why, at
	if err := tx.PutMission(m); err != nil {
		return err
	}
	return tx.Audit("outbox", "contact.undeliverable", mission+" "+addr+": "+why)
}
