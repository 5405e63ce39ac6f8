package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"outreach"
	"outreach/jobs/outbox"
	"outreach/message"
	"outreach/store"
)

// The outbox: operations queue messages here (enqueue, with the Message-ID
// fixed before any attempt); the worker of package outbox sends them,
// calling back through outboxComposer to compose each one.

// Retry policy of the outbox worker (see outbox.MaxAttempts).
const (
	MaxAttempts = outbox.MaxAttempts
	GiveUpAfter = outbox.GiveUpAfter
)

// FlushReport sums up one run of the outbox worker.
type FlushReport = outbox.FlushReport

// ErrNoSender means the engine has no SMTP configuration.
var ErrNoSender = outbox.ErrNoSender

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

// RecoverSending puts messages caught in `sending` by a crash back in the
// queue. They keep their Message-ID, so a copy the server had already
// accepted is recognisable downstream. Call once before the worker starts.
func (e *Engine) RecoverSending() (int, error) { return e.outbox.RecoverSending() }

// Flush sends every message that is due, over e's configured number of SMTP
// connections, and returns when none is left due (or ctx ends). With wait
// set it waits for the throttle and for deferred messages that fall due
// within maxWait; otherwise it stops at the first message not yet due.
func (e *Engine) Flush(ctx context.Context, maxWait time.Duration) (FlushReport, error) {
	return e.outbox.Flush(ctx, maxWait)
}

// SetSMTPGate makes the outbox ask g before each SMTP login and tell it
// how the login went.
func (e *Engine) SetSMTPGate(g *LoginGate) {
	if g == nil { // no gate, not a gate that is a nil *LoginGate
		e.outbox.SetGate(nil)
		return
	}
	e.outbox.SetGate(g)
}

// Drain makes the outbox worker finish the message it is sending and claim
// no more (shutdown).
func (e *Engine) Drain() { e.outbox.Drain() }

// dropMapped lets go of the store's pages mapped into memory, at most once
// a second unless now is set (see outbox.Worker.DropMapped).
func (e *Engine) dropMapped(now bool) { e.outbox.DropMapped(now) }

// markUndeliverable records that mail to addr cannot be delivered.
func (e *Engine) markUndeliverable(tx *store.Tx, mission, addr, why string) error {
	return outbox.MarkUndeliverable(tx, mission, addr, why, e.now())
}

// outboxComposer is the engine as the outbox worker's Composer.
type outboxComposer struct{ e *Engine }

func (c outboxComposer) Compose(tx *store.Tx, it outreach.OutboxItem) (*message.Message, map[string]int, error) {
	return c.e.compose(tx, it)
}

func (c outboxComposer) Supersede(tx *store.Tx, it outreach.OutboxItem) (bool, error) {
	return c.e.supersede(tx, it)
}

// ComposedAhead: invitations, cancellations and updates depend only on the
// directory (missions, sessions and the revisions kept with them) and the
// item. Confirmations, reminders (a panellist's too: Key.Speaker) and the
// digest read answers or the outbox, or may be superseded: they are
// composed in the claim.
func (outboxComposer) ComposedAhead(it outreach.OutboxItem) bool {
	switch it.Key.Kind {
	case outreach.Invitation, outreach.Cancellation, outreach.Update:
		return it.Key.Speaker == ""
	}
	return false
}
