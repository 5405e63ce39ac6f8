package jobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"outreach/store"
)

// LoginHold is what a LoginGate keeps in the store after a server refused
// the credentials.
type LoginHold struct {
	Service  string    `json:"service"` // "smtp" or "imap"
	Failures int       `json:"failures"`
	First    time.Time `json:"first"` // the first refusal in this run of refusals
	Last     time.Time `json:"last"`
	Next     time.Time `json:"next"` // no login before this time
	Err      string    `json:"err"`  // the server's words, last time
	// Credentials is a short fingerprint of the credentials refused
	// (32 bits of an HMAC under a key of the store): new credentials lift
	// the hold at once; 32 bits say nothing useful about a password.
	Credentials string `json:"credentials"`
}

// LoginHeldError is the error of a login not tried because the server
// refused the same credentials a short while ago.
type LoginHeldError struct{ Hold LoginHold }

func (e *LoginHeldError) Error() string {
	h := e.Hold
	return fmt.Sprintf("%s login held back until %s: the server refused the credentials %d time%s since %s (last: %s); correct them and restart, or wait",
		h.Service, h.Next.UTC().Format("2006-01-02 15:04:05 UTC"), h.Failures, plural(h.Failures),
		h.First.UTC().Format("2006-01-02 15:04:05 UTC"), h.Err)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// LoginBackoff is the wait after the n-th refusal in a row of the same
// credentials: 1 minute, doubling up to an hour. Providers lock an account
// after some ten refusals in a few minutes; this keeps a wrong password
// to a handful of attempts an hour, however often the daemon restarts.
func LoginBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

// A LoginGate holds logins to one server back after it refused the
// credentials, for LoginBackoff, and keeps the hold in the store so that a
// restart (systemd's Restart=, an operator) does not try again at once.
// The hold is lifted by a successful login, by its time passing, or by
// new credentials. Times are the engine's clock's (the wall clock but in
// rehearsals).
type LoginGate struct {
	st      Store
	service string
	fp      string
	clock   Clock
	log     func(msg string, args ...any)

	mu   sync.Mutex
	hold LoginHold // zero Failures: no hold
}

func loginStateKey(service string) string { return "login/" + service }

// NewLoginGate reads the hold kept for service ("smtp", "imap"), lifting it
// when the credentials (host, user, secret, ...) are not those refused.
func (e *Engine) NewLoginGate(service string, credentials ...string) (*LoginGate, error) {
	g := &LoginGate{st: e.st, service: service, clock: e.clock, log: e.log.Warn}
	err := e.st.View(func(tx *store.Tx) error {
		m := hmac.New(sha256.New, tx.DerivedKey("login-credentials"))
		m.Write([]byte(service + "\x00" + strings.Join(credentials, "\x00")))
		g.fp = hex.EncodeToString(m.Sum(nil)[:4])
		_, err := tx.GetState(loginStateKey(service), &g.hold)
		return err
	})
	if err != nil {
		return nil, err
	}
	if g.hold.Failures > 0 && g.hold.Credentials != g.fp {
		e.log.Info("the credentials changed since the server refused them; logging in now", "service", service)
		g.hold = LoginHold{}
		g.save()
	}
	return g, nil
}

// Held returns until when logins are held back and why; a zero time when a
// login may be tried now.
func (g *LoginGate) Held() (time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold.Failures == 0 || !g.clock.Now().Before(g.hold.Next) {
		return time.Time{}, nil
	}
	return g.hold.Next, &LoginHeldError{Hold: g.hold}
}

// Wait returns once a login may be tried (at once when none is held
// back), or with ctx's error.
func (g *LoginGate) Wait(ctx context.Context) error {
	for {
		until, why := g.Held()
		if why == nil {
			return ctx.Err()
		}
		if err := g.clock.Sleep(ctx, until.Sub(g.clock.Now())); err != nil {
			return err
		}
	}
}

// Hold returns the current hold (Failures 0 when none), for health reports.
func (g *LoginGate) Hold() LoginHold {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hold
}

// Refused records that the server refused the credentials.
func (g *LoginGate) Refused(err error) {
	g.mu.Lock()
	now := g.clock.Now()
	if g.hold.Failures == 0 {
		g.hold = LoginHold{Service: g.service, First: now, Credentials: g.fp}
	}
	g.hold.Failures++
	g.hold.Last = now
	g.hold.Next = now.Add(LoginBackoff(g.hold.Failures))
	g.hold.Err = err.Error()
	h := g.hold
	g.mu.Unlock()
	g.log("the server refused the login; the next attempt waits", "service", g.service,
		"failures", h.Failures, "next_attempt", h.Next.UTC().Format(time.RFC3339), "err", err)
	g.save()
}

// Accepted records a successful login, lifting any hold.
func (g *LoginGate) Accepted() {
	g.mu.Lock()
	had := g.hold.Failures > 0
	g.hold = LoginHold{}
	g.mu.Unlock()
	if had {
		g.save()
	}
}

// save writes the hold; a store that cannot be written keeps it in memory
// only (the hold still holds for this run).
func (g *LoginGate) save() {
	g.mu.Lock()
	h := g.hold
	g.mu.Unlock()
	err := g.st.Update(func(tx *store.Tx) error {
		if h.Failures == 0 {
			return tx.DeleteState(loginStateKey(g.service))
		}
		return tx.PutState(loginStateKey(g.service), h)
	})
	if err != nil {
		g.log("the login hold could not be written to the store; it holds until this process stops", "service", g.service, "err", err)
	}
}
