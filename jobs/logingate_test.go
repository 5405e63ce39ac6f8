package jobs

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"outreach/internal/smtptest"
	"outreach/mailer"
)

func TestLoginBackoffGrowsToAnHour(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := LoginBackoff(i + 1); got != w {
			t.Errorf("after refusal %d: wait %v, want %v", i+1, got, w)
		}
	}
}

// With four connections configured, credentials the server refuses cost
// one AUTH per hold, not one per connection or per wake-up; the hold
// survives a restart and is lifted by new credentials.
func TestSMTPLoginRefusedIsHeldBack(t *testing.T) {
	var auths atomic.Int64
	var refuse atomic.Bool
	refuse.Store(true)
	f := newFixture(t, smtptest.Hooks{Auth: func(string, string) error {
		auths.Add(1)
		if refuse.Load() {
			return smtptest.Reply(535, [3]int{5, 7, 8}, "Authentication credentials invalid")
		}
		return nil
	}})
	withPassword := func(pw string) *LoginGate {
		t.Helper()
		host, port, _ := net.SplitHostPort(f.smtp.Addr)
		p, _ := strconv.Atoi(port)
		sender, err := mailer.New(mailer.Options{Host: host, Port: p, TLS: mailer.Plain, Timeout: 5 * time.Second,
			Username: "organiser", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		opts := f.opts
		opts.Sender, opts.Connections = sender, 4
		f.e = New(opts)
		g, err := f.e.NewLoginGate("smtp", host, port, "organiser", pw)
		if err != nil {
			t.Fatal(err)
		}
		f.e.SetSMTPGate(g)
		return g
	}
	g := withPassword("wrong")

	// Nothing due: no connection at all.
	if _, err := f.e.Flush(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if n := f.smtp.Connections(); n != 0 {
		t.Fatalf("an empty outbox opened %d SMTP connections", n)
	}
	if _, err := f.e.Invite("JPN", "test"); err != nil {
		t.Fatal(err)
	}
	_, err := f.e.Flush(context.Background(), 0)
	var me *mailer.Error
	if !errors.As(err, &me) || me.Code != 535 {
		t.Fatalf("first flush: %v, want the server's 535", err)
	}
	for i := 0; i < 5; i++ {
		f.clock.Advance(10 * time.Second)
		_, err = f.e.Flush(context.Background(), 0)
		var held *LoginHeldError
		if !errors.As(err, &held) {
			t.Fatalf("flush %d during the hold: %v, want the hold", i, err)
		}
	}
	if n := auths.Load(); n != 1 {
		t.Fatalf("%d AUTH attempts during the first minute, want 1", n)
	}
	f.clock.Advance(15 * time.Second) // a minute after the refusal
	f.e.Flush(context.Background(), 0)
	if n, h := auths.Load(), g.Hold(); n != 2 || h.Failures != 2 || h.Next.Sub(h.Last) != 2*time.Minute {
		t.Fatalf("after the first hold: %d attempts, hold %+v; want 2 and a 2-minute hold", n, h)
	}

	// A restart with the same credentials waits out the same hold.
	f.restart()
	g = withPassword("wrong")
	if until, why := g.Held(); why == nil || until.Sub(f.clock.Now()) != 2*time.Minute {
		t.Fatalf("after a restart: held until %v (%v), want 2 minutes from now", until, why)
	}
	f.e.Flush(context.Background(), 0)
	if n := auths.Load(); n != 2 {
		t.Fatalf("a restart tried to log in again during the hold: %d attempts", n)
	}

	// New credentials are tried at once; success lifts the hold for good.
	refuse.Store(false)
	g = withPassword("right")
	rep, err := f.e.Flush(context.Background(), 0)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("with new credentials: %+v, %v", rep, err)
	}
	if h := g.Hold(); h.Failures != 0 {
		t.Errorf("hold after a successful login: %+v", h)
	}
	f.restart()
	if g = withPassword("wrong"); g.Hold().Failures != 0 {
		t.Errorf("the lifted hold came back after a restart: %+v", g.Hold())
	}
}
