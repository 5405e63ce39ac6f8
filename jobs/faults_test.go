package jobs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/mailer"
)

// SMTP faults as the outbox lives them: each fault ends in the outbox state
// staff would expect, with the server's words kept, and once the fault is
// gone the message goes out once, with the Message-ID fixed before the
// first attempt. Faults tried elsewhere in this package: 451 at RCPT
// (TestTemporaryFailureRetriedLater), 554 after DATA
// (TestPermanentFailureShownWithServerWords), a cut after the server
// accepted (TestCutAfterDataResentWithSameMessageID).

// useSender points the engine at another SMTP server or configuration.
func (f *fixture) useSender(o mailer.Options) {
	f.t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	s, err := mailer.New(o)
	if err != nil {
		f.t.Fatal(err)
	}
	f.e.SetSender(s)
}

// plainTo returns clear-text options for a server on loopback.
func plainTo(t *testing.T, addr string) mailer.Options {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return mailer.Options{Host: host, Port: p, TLS: mailer.Plain, HELO: "outreach.presessions.example"}
}

// rawSMTP serves every connection with fn on 127.0.0.1, for faults go-smtp
// cannot produce (it always greets with 220).
func rawSMTP(t *testing.T, fn func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				fn(c)
			}()
		}
	}()
	return l.Addr().String()
}

// checkUntouched checks that a fault of the connection left the invitation
// queued as it was: never attempted, its Message-ID unchanged.
func checkUntouched(t *testing.T, f *fixture, mission, msgID string) {
	t.Helper()
	it := f.item(invitationKey(mission))
	if it.State != outreach.Queued || it.Attempts != 0 || it.MessageID != msgID {
		t.Errorf("%s after a connection fault: state %v, %d attempts, Message-ID %s (was %s); want queued, untouched",
			mission, it.State, it.Attempts, it.MessageID, msgID)
	}
}

// sendsOnceWhenFixed switches to a healthy server, flushes, and checks the
// invitation went out once with its original Message-ID.
func sendsOnceWhenFixed(t *testing.T, f *fixture, mission, msgID string, wait time.Duration) {
	t.Helper()
	f.useSender(plainTo(t, f.smtp.Addr))
	before := len(f.smtp.Messages())
	if rep := flush(t, f, wait); rep.Sent != 1 {
		t.Fatalf("flush once the fault is gone: %+v", rep)
	}
	it := f.item(invitationKey(mission))
	if it.State != outreach.Sent || it.MessageID != msgID || it.Error != "" {
		t.Errorf("%s: %v %s error %q, want sent with %s", mission, it.State, it.MessageID, it.Error, msgID)
	}
	got := f.smtp.Messages()[before:]
	if len(got) != 1 || got[0].MessageID != msgID {
		t.Errorf("server received %d messages, want one with %s", len(got), msgID)
	}
}

func queuedID(t *testing.T, f *fixture, mission string) string {
	t.Helper()
	if _, err := f.e.Invite(mission, "test"); err != nil {
		t.Fatal(err)
	}
	return f.item(invitationKey(mission)).MessageID
}

// Faults of the connection itself — refused at greeting, TLS that fails,
// AUTH refused — are not any message's fault: the outbox claims nothing,
// the invitation stays queued untouched, and the flush fails with the
// server's words (what `outreach outbox flush` prints and the daemon logs).
func TestSMTPConnectionFaultsLeaveTheQueueUntouched(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, f *fixture) mailer.Options
		words []string
	}{
		{"421 at greeting", func(t *testing.T, f *fixture) mailer.Options {
			return plainTo(t, rawSMTP(t, func(c net.Conn) {
				_, _ = io.WriteString(c, "421 4.3.2 mx.mission.example Service not available, closing transmission channel\r\n")
			}))
		}, []string{"421", "4.3.2", "Service not available"}},
		{"server certificate not trusted", func(t *testing.T, f *fixture) mailer.Options {
			o := plainTo(t, untrustedTLS(t))
			o.TLS = mailer.ImplicitTLS
			return o
		}, []string{"certificate"}},
		{"STARTTLS required, not offered", func(t *testing.T, f *fixture) mailer.Options {
			o := plainTo(t, f.smtp.Addr)
			o.TLS = mailer.StartTLS
			return o
		}, []string{"STARTTLS"}},
		{"AUTH refused", func(t *testing.T, f *fixture) mailer.Options {
			f.smtp.SetHooks(smtptest.Hooks{Auth: func(user, pass string) error {
				return smtptest.Reply(535, [3]int{5, 7, 8}, "Authentication credentials invalid")
			}})
			t.Cleanup(func() { f.smtp.SetHooks(smtptest.Hooks{}) })
			o := plainTo(t, f.smtp.Addr)
			o.Username, o.Password = "rsvp@presessions.example", "wrong-secret"
			return o
		}, []string{"535", "5.7.8", "Authentication credentials invalid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, smtptest.Hooks{})
			id := queuedID(t, f, "JPN")
			f.useSender(tc.setup(t, f))
			rep, err := f.e.Flush(context.Background(), 0)
			if err == nil || rep.Sent+rep.Failed+rep.Deferred != 0 {
				t.Fatalf("flush: %+v, err %v; want an error and nothing attempted", rep, err)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("flush error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "wrong-secret") {
				t.Errorf("flush error shows the password: %q", err)
			}
			if n := f.smtp.Count(); n != 0 {
				t.Errorf("the server accepted %d messages", n)
			}
			checkUntouched(t, f, "JPN", id)
			if st, _ := f.e.Status(); st.Delivery["failed"] != 0 {
				t.Errorf("status counts %d failed deliveries for a connection fault", st.Delivery["failed"])
			}
			sendsOnceWhenFixed(t, f, "JPN", id, 0)
		})
	}
}

// untrustedTLS runs a TLS listener on 127.0.0.1 with a self-signed
// certificate no client trusts; the handshake is all it ever does.
func untrustedTLS(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.mission.example"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return rawSMTP(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if tc.Handshake() == nil {
			_, _ = io.WriteString(tc, "220 mx.mission.example ESMTP\r\n")
			_, _ = io.Copy(io.Discard, tc)
		}
	})
}

// Faults of one message's transaction: the invitation is deferred (4xx,
// connection lost, no answer in time) or failed (5xx) with the server's
// words, and a deferred one goes out later with its Message-ID.
func TestSMTPTransactionFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hooks   func(release <-chan struct{}) smtptest.Hooks
		timeout time.Duration
		state   outreach.OutboxState
		code    int
		words   []string
	}{
		{name: "452 at RCPT", hooks: func(<-chan struct{}) smtptest.Hooks {
			return smtptest.Hooks{Rcpt: func(string) error {
				return smtptest.Reply(452, [3]int{4, 2, 2}, "Mailbox full, try again later")
			}}
		}, state: outreach.Deferred, code: 452, words: []string{"452", "4.2.2", "Mailbox full"}},
		{name: "421 at RCPT", hooks: func(<-chan struct{}) smtptest.Hooks {
			return smtptest.Hooks{Rcpt: func(string) error {
				return smtptest.Reply(421, [3]int{4, 3, 2}, "mx.mission.example shutting down")
			}}
		}, state: outreach.Deferred, code: 421, words: []string{"421", "shutting down"}},
		{name: "cut mid-DATA", hooks: func(<-chan struct{}) smtptest.Hooks {
			return smtptest.Hooks{DataHead: func(head []byte) error {
				if len(head) < smtptest.HeadSize {
					return errors.New("test: an invitation is shorter than the head it should be cut after")
				}
				return smtptest.ErrCut
			}}
		}, state: outreach.Deferred, words: []string{"data"}},
		{name: "server stalls at RCPT", hooks: func(release <-chan struct{}) smtptest.Hooks {
			return smtptest.Hooks{Rcpt: func(string) error { <-release; return nil }}
		}, timeout: 300 * time.Millisecond, state: outreach.Deferred, words: []string{"no reply within 300ms"}},
		{name: "554 at MAIL", hooks: func(<-chan struct{}) smtptest.Hooks {
			return smtptest.Hooks{Mail: func(string) error {
				return smtptest.Reply(554, [3]int{5, 7, 1}, "Sender address rejected: not owned by user")
			}}
		}, state: outreach.Failed, code: 554, words: []string{"554", "5.7.1", "not owned by user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			f := newFixture(t, tc.hooks(release))
			if tc.timeout != 0 {
				o := plainTo(t, f.smtp.Addr)
				o.Timeout = tc.timeout
				f.useSender(o)
			}
			id := queuedID(t, f, "JPN")
			rep, err := f.e.Flush(context.Background(), 0)
			if err != nil {
				t.Fatalf("flush: %v; a message's fault must not stop the outbox", err)
			}
			it := f.item(invitationKey("JPN"))
			if it.State != tc.state || it.Attempts != 1 || it.MessageID != id || (tc.code != 0 && it.Code != tc.code) {
				t.Fatalf("after the fault: state %v, attempts %d, code %d, Message-ID %s; want %v, 1, %d, %s",
					it.State, it.Attempts, it.Code, it.MessageID, tc.state, tc.code, id)
			}
			for _, w := range tc.words {
				if !strings.Contains(strings.ToLower(it.Error), strings.ToLower(w)) {
					t.Errorf("outbox error %q does not say %q", it.Error, w)
				}
			}
			if n := f.smtp.Count(); n != 0 {
				t.Errorf("the server recorded %d messages", n)
			}
			var shown Delivery
			st, _ := f.e.Status()
			for _, d := range st.Missions {
				if d.Mission == "JPN" {
					shown = d
				}
			}
			if shown.State != tc.state.String() || shown.Error != it.Error {
				t.Errorf("status shows JPN as %q %q, want %q with the outbox's error", shown.State, shown.Error, tc.state)
			}
			if tc.state == outreach.Failed {
				if rep.Failed != 1 {
					t.Errorf("flush report %+v", rep)
				}
				f.smtp.SetHooks(smtptest.Hooks{})
				if rep := flush(t, f, 24*time.Hour); rep.Sent != 0 {
					t.Errorf("a failed invitation was sent again: %+v", rep)
				}
				return
			}
			if rep.Deferred != 1 || !it.Next.After(f.clock.Now()) {
				t.Errorf("flush report %+v, next attempt %v", rep, it.Next)
			}
			free()
			f.smtp.SetHooks(smtptest.Hooks{})
			sendsOnceWhenFixed(t, f, "JPN", id, time.Hour)
		})
	}
}

// A fault that lasts: the server answers 451 to every attempt. The
// invitation is retried with growing delays, then failed with the words of
// the last answer — never dropped silently, never retried for ever.
func TestSMTPLastingFaultEndsFailed(t *testing.T) {
	// Attempts are counted at MAIL: with PIPELINING every RCPT of an
	// attempt reaches the server, refused or not.
	var tries atomic.Int32
	f := newFixture(t, smtptest.Hooks{Mail: func(string) error {
		tries.Add(1)
		return nil
	}, Rcpt: func(string) error {
		return smtptest.Reply(451, [3]int{4, 7, 1}, "Greylisted, please try again in 300 seconds")
	}})
	id := queuedID(t, f, "JPN")
	var gaps []time.Duration
	last := f.clock.Now()
	for i := 0; i < 2*MaxAttempts; i++ {
		// Wait beyond the longest backoff, 6 h + 20%.
		if _, err := f.e.Flush(context.Background(), 8*time.Hour); err != nil {
			t.Fatal(err)
		}
		it := f.item(invitationKey("JPN"))
		if it.State == outreach.Failed {
			break
		}
		gaps = append(gaps, it.Next.Sub(last))
		last = it.Next
	}
	it := f.item(invitationKey("JPN"))
	if it.State != outreach.Failed || it.MessageID != id || !strings.Contains(it.Error, "Greylisted") || !strings.Contains(it.Error, "gave up after") {
		t.Fatalf("after a lasting 451: %v, %q", it.State, it.Error)
	}
	if int(tries.Load()) != it.Attempts || it.Attempts > MaxAttempts {
		t.Errorf("%d attempts recorded, %d made, limit %d", it.Attempts, tries.Load(), MaxAttempts)
	}
	for i := 1; i < len(gaps) && gaps[i-1] < 4*time.Hour; i++ {
		if gaps[i] <= gaps[i-1] {
			t.Errorf("retry gaps do not grow: %v", gaps)
			break
		}
	}
}
