package mailer

import (
	"outreach/message"

	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestSendThreeMessagesOverOneConnection(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))

	m1 := simple("m1")
	m2 := simple("m2")
	m2.HTML = "<p>Dear colleagues</p>"
	m2.EnvelopeFrom = "bounce+m2@invites.example.org"
	m2.To = []message.Address{{Email: "mission@mfa.example"}, {Name: "Same, other case", Email: "Mission@MFA.example"}, {Email: "deputy@mfa.example"}}
	m3 := invitation(3)
	m3.Calendar = &message.Calendar{Method: "REQUEST", Data: sampleICS("REQUEST", "Japan", "r28-jpn-civ@x", m3.Date)}
	msgs := []*message.Message{m1, m2, m3}
	for _, m := range msgs {
		if err := c.Send(context.Background(), m); err != nil {
			t.Fatalf("Send %s: %v", m.MessageID, err)
		}
	}
	if c.Broken() {
		t.Fatal("connection broken after successful sends")
	}
	if n := be.sessionCount(); n != 1 {
		t.Fatalf("server saw %d sessions, want 1", n)
	}
	got := be.messages()
	if len(got) != 3 {
		t.Fatalf("server received %d messages, want 3", len(got))
	}
	wantEnvelope := []struct {
		from string
		to   []string
	}{
		{"rsvp@invites.example.org", []string{"mission@mfa.example"}},
		{"bounce+m2@invites.example.org", []string{"mission@mfa.example", "deputy@mfa.example"}},
		{"bounce+civ@invites.example.org", []string{"mission.ci@mfa.example", "geneva@mofa.example"}},
	}
	for i, r := range got {
		if r.From != wantEnvelope[i].from || strings.Join(r.To, ",") != strings.Join(wantEnvelope[i].to, ",") {
			t.Errorf("message %d envelope: MAIL FROM %s RCPT TO %v, want %s %v", i, r.From, r.To, wantEnvelope[i].from, wantEnvelope[i].to)
		}
		// What WriteTo writes is what the server got, byte for byte
		// (the SMTP layer stuffs and unstuffs the lines starting with
		// a dot that m3's text holds). Its MIME structure is package
		// message's to test.
		if want := render(t, msgs[i]); !bytes.Equal(r.Data, want) {
			t.Errorf("message %d: server received %d bytes that differ from WriteTo's %d", i, len(r.Data), len(want))
		}
		nm, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if id := nm.Header.Get("Message-ID"); id != msgs[i].MessageID {
			t.Errorf("message %d: Message-ID %q, want %q", i, id, msgs[i].MessageID)
		}
	}
	if !bytes.Contains(got[2].Data, []byte("\r\n.Une ligne qui commence par un point.\r\n.\r\n")) {
		t.Error("the test message lost its dot lines; dot-stuffing is not exercised")
	}
}

func TestRefusals(t *testing.T) {
	smtpErr := func(code int, enh smtp.EnhancedCode, msg string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
	}
	tests := []struct {
		name      string
		be        func(be *backend)
		temporary bool
		code      int
		enhanced  string
		text      string
		op        string
		recipient string
		broken    bool
	}{
		{"451 at MAIL", func(be *backend) {
			be.onMail = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Sender check deferred") }
		}, true, 451, "4.3.0", "Sender check deferred", OpMail, "", false},
		{"553 at MAIL", func(be *backend) {
			be.onMail = func(string) error {
				return smtpErr(553, smtp.EnhancedCode{5, 7, 1}, "Sender address rejected: not owned by user")
			}
		}, false, 553, "5.7.1", "Sender address rejected: not owned by user", OpMail, "", false},
		{"530 at MAIL breaks the connection", func(be *backend) {
			be.onMail = func(string) error { return smtpErr(530, smtp.EnhancedCode{5, 7, 0}, "Authentication required") }
		}, false, 530, "5.7.0", "Authentication required", OpMail, "", true},
		{"451 at RCPT", func(be *backend) {
			be.onRcpt = func(to string) error {
				if to == "deputy@mfa.example" {
					return smtpErr(451, smtp.EnhancedCode{4, 2, 0}, "Mailbox temporarily unavailable")
				}
				return nil
			}
		}, true, 451, "4.2.0", "Mailbox temporarily unavailable", OpRcpt, "deputy@mfa.example", false},
		{"550 at RCPT", func(be *backend) {
			be.onRcpt = func(to string) error {
				if to == "deputy@mfa.example" {
					return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "User unknown in virtual mailbox table")
				}
				return nil
			}
		}, false, 550, "5.1.1", "User unknown in virtual mailbox table", OpRcpt, "deputy@mfa.example", false},
		{"552 at RCPT is temporary", func(be *backend) {
			be.onRcpt = func(to string) error {
				if to == "deputy@mfa.example" {
					return smtpErr(552, smtp.EnhancedCode{5, 5, 3}, "Too many recipients")
				}
				return nil
			}
		}, true, 552, "5.5.3", "Too many recipients", OpRcpt, "deputy@mfa.example", false},
		{"421 at RCPT", func(be *backend) {
			be.onRcpt = func(string) error { return smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "Service shutting down") }
		}, true, 421, "4.3.2", "Service shutting down", OpRcpt, "mission@mfa.example", true},
		{"451 after DATA", func(be *backend) {
			be.onData = func(_ *smtp.Conn, r io.Reader) error {
				_, _ = io.Copy(io.Discard, r)
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Queue file write error")
			}
		}, true, 451, "4.3.0", "Queue file write error", OpDataEnd, "", false},
		{"554 after DATA", func(be *backend) {
			be.onData = func(_ *smtp.Conn, r io.Reader) error {
				_, _ = io.Copy(io.Discard, r)
				return smtpErr(554, smtp.EnhancedCode{5, 6, 0}, "Message content rejected: attachments look like spam")
			}
		}, false, 554, "5.6.0", "Message content rejected: attachments look like spam", OpDataEnd, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &backend{}
			tt.be(be)
			ts := startServer(t, be, serveClear, nil)
			c := mustDial(t, mustNew(t, plainOptions(ts.port)))
			m := simple("refused")
			m.To = []message.Address{{Email: "mission@mfa.example"}, {Email: "deputy@mfa.example"}}
			err := c.Send(context.Background(), m)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send error %v is not an *Error", err)
			}
			if e.Temporary != tt.temporary || IsTemporary(err) != tt.temporary || IsPermanent(err) == tt.temporary {
				t.Errorf("temporary = %v, want %v (%v)", e.Temporary, tt.temporary, err)
			}
			if e.Code != tt.code || e.Enhanced != tt.enhanced || e.Text != tt.text || e.Op != tt.op || e.Recipient != tt.recipient {
				t.Errorf("got code %d enhanced %q text %q op %q recipient %q\nwant %d %q %q %q %q",
					e.Code, e.Enhanced, e.Text, e.Op, e.Recipient, tt.code, tt.enhanced, tt.text, tt.op, tt.recipient)
			}
			if e.MaybeDelivered() {
				t.Error("a refused message is reported as maybe delivered")
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), fmt.Sprint(tt.code)) {
				t.Errorf("error text %q lacks the server's words", err.Error())
			}
			if c.Broken() != tt.broken {
				t.Fatalf("Broken() = %v, want %v", c.Broken(), tt.broken)
			}
			if n := len(be.messages()); n != 0 {
				t.Fatalf("server stored %d messages, want none (no partial delivery)", n)
			}
			if tt.broken {
				if err := c.Send(context.Background(), simple("after")); !IsTemporary(err) {
					t.Fatalf("Send on a broken connection: %v, want a temporary error", err)
				}
				return
			}
			// The transaction was reset: the same connection carries the
			// next message, with its own envelope only.
			be.mu.Lock()
			be.onMail, be.onRcpt, be.onData = nil, nil, nil
			be.mu.Unlock()
			next := simple("next")
			if err := c.Send(context.Background(), next); err != nil {
				t.Fatalf("Send after a refusal: %v", err)
			}
			got := be.messages()
			if len(got) != 1 || got[0].From != next.From.Email || strings.Join(got[0].To, ",") != "mission@mfa.example" {
				t.Fatalf("after the refusal the server got %+v", got)
			}
		})
	}
}

func TestGreeting421(t *testing.T) {
	port := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "421 4.3.2 mx.test Service not available, closing transmission channel\r\n")
	})
	_, err := mustNew(t, plainOptions(port)).Dial(context.Background())
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Code != 421 || e.Enhanced != "4.3.2" || e.Op != OpGreeting {
		t.Fatalf("Dial error %#v, want temporary 421 4.3.2 at greeting", err)
	}
	if !strings.Contains(e.Text, "Service not available") {
		t.Errorf("text %q", e.Text)
	}
}

func TestGreeting554Permanent(t *testing.T) {
	port := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "554 5.3.2 No SMTP service here\r\n")
	})
	_, err := mustNew(t, plainOptions(port)).Dial(context.Background())
	if !IsPermanent(err) {
		t.Fatalf("Dial error %v, want permanent", err)
	}
}

func TestDialRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	_, err = mustNew(t, plainOptions(port)).Dial(context.Background())
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Op != OpDial {
		t.Fatalf("Dial error %v, want temporary dial error", err)
	}
}

func TestConnectionCutMidData(t *testing.T) {
	be := &backend{}
	be.onData = func(c *smtp.Conn, r io.Reader) error {
		_, _ = io.CopyN(io.Discard, r, 2000)
		_ = c.Conn().Close()
		return errors.New("cut")
	}
	ts := startServer(t, be, serveClear, nil)
	s := mustNew(t, plainOptions(ts.port))
	c := mustDial(t, s)
	err := c.Send(context.Background(), invitation(1))
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || (e.Op != OpData && e.Op != OpDataEnd) {
		t.Fatalf("Send error %v, want temporary at data", err)
	}
	if !c.Broken() {
		t.Fatal("connection not marked broken after being cut")
	}
	if err := c.Send(context.Background(), simple("again")); !IsTemporary(err) {
		t.Fatalf("Send on the broken connection: %v", err)
	}
	// Dialling again works.
	be.mu.Lock()
	be.onData = nil
	be.mu.Unlock()
	c2 := mustDial(t, s)
	if err := c2.Send(context.Background(), invitation(1)); err != nil {
		t.Fatalf("Send after redial: %v", err)
	}
}

// hangGuard fails the test if ch does not deliver within a generous bound;
// it catches hangs and is not a timing assertion.
func hangGuard[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s did not return", what)
		panic("unreachable")
	}
}

func TestStalledServerTimesOut(t *testing.T) {
	port := rawServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }) // accepts, never speaks
	o := plainOptions(port)
	o.Timeout = 200 * time.Millisecond
	s := mustNew(t, o)
	done := make(chan error, 1)
	go func() {
		_, err := s.Dial(context.Background())
		done <- err
	}()
	err := hangGuard(t, done, "Dial to a silent server")
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Op != OpGreeting || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Dial error %v, want a temporary timeout at greeting", err)
	}
	if !strings.Contains(err.Error(), "no reply within 200ms") {
		t.Errorf("error %q does not say how long it waited", err)
	}
}

func TestStallAfterDataIsMaybeDelivered(t *testing.T) {
	release := make(chan struct{})
	be := &backend{}
	be.onData = func(_ *smtp.Conn, r io.Reader) error {
		_, _ = io.Copy(io.Discard, r)
		<-release
		return nil
	}
	ts := startServer(t, be, serveClear, nil)
	t.Cleanup(func() { close(release) })
	o := plainOptions(ts.port)
	o.Timeout = 200 * time.Millisecond
	c := mustDial(t, mustNew(t, o))
	done := make(chan error, 1)
	go func() { done <- c.Send(context.Background(), simple("stall")) }()
	err := hangGuard(t, done, "Send to a server that never answers DATA")
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Op != OpDataEnd || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Send error %v, want a temporary timeout at the end of data", err)
	}
	if !e.MaybeDelivered() {
		t.Error("a message whose verdict was lost is not reported as maybe delivered")
	}
	if !c.Broken() {
		t.Error("connection not broken after a timeout")
	}
}

func TestContextCancelInterruptsSend(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	be := &backend{}
	be.onData = func(_ *smtp.Conn, r io.Reader) error {
		_, _ = io.Copy(io.Discard, r)
		started <- struct{}{}
		<-release
		return nil
	}
	ts := startServer(t, be, serveClear, nil)
	t.Cleanup(func() { close(release) })
	o := plainOptions(ts.port)
	o.Timeout = 10 * time.Minute // only the context can end the wait
	c := mustDial(t, mustNew(t, o))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Send(ctx, simple("cancel")) }()
	hangGuard(t, started, "server DATA")
	cancel()
	err := hangGuard(t, done, "Send after cancel")
	if !errors.Is(err, context.Canceled) || !IsTemporary(err) {
		t.Fatalf("Send error %v, want a temporary error wrapping context.Canceled", err)
	}
	if !c.Broken() {
		t.Error("connection not broken after cancellation")
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Send(ctx, simple("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send error %v, want context.Canceled", err)
	}
	if c.Broken() {
		t.Error("an already cancelled context broke an idle connection")
	}
	if err := c.Send(context.Background(), simple("y")); err != nil {
		t.Fatal(err)
	}
	if got := be.messages(); len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
}

func TestInvalidMessageKeepsConnection(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	bad := simple("bad")
	bad.Subject = "a\r\nBcc: x@y.example"
	err := c.Send(context.Background(), bad)
	var e *Error
	if !errors.As(err, &e) || e.Temporary || e.Op != OpCompose {
		t.Fatalf("Send error %v, want a permanent compose error", err)
	}
	if c.Broken() {
		t.Fatal("an invalid message broke the connection")
	}
	if err := c.Send(context.Background(), nil); !IsPermanent(err) {
		t.Fatalf("Send(nil) = %v, want a permanent compose error", err)
	}
	if err := c.Send(context.Background(), simple("good")); err != nil {
		t.Fatal(err)
	}
}

func TestCloseThenSend(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !c.Broken() {
		t.Error("closed connection does not report Broken")
	}
	if err := c.Send(context.Background(), simple("late")); !IsTemporary(err) {
		t.Fatalf("Send after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

const (
	testUser     = "outreach@invites.example.org"
	testPassword = "s3cret-Pa55phrase!"
)

func TestStartTLSWithTestCAAndAuth(t *testing.T) {
	p := newPKI(t, "good")
	be := &backend{users: map[string]string{testUser: testPassword}}
	ts := startServer(t, be, serveStartTLS, p.server)
	logs := &logBuffer{}
	o := Options{
		Host: "127.0.0.1", Port: ts.port, TLSConfig: p.clientTLS(), HELO: "client.test",
		Username: testUser, Password: testPassword, Timeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	c := mustDial(t, mustNew(t, o))
	if err := c.Send(context.Background(), invitation(1)); err != nil {
		t.Fatal(err)
	}
	got := be.messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != testUser {
		t.Fatalf("server got %d messages (TLS %v, user %q), want one over TLS from %s", len(got), len(got) > 0 && got[0].TLS, func() string {
			if len(got) > 0 {
				return got[0].User
			}
			return ""
		}(), testUser)
	}
	if !strings.Contains(logs.String(), "message accepted") {
		t.Errorf("debug log lacks the accepted message:\n%s", logs)
	}
	assertNoSecret(t, logs.String())
}

func TestImplicitTLS(t *testing.T) {
	p := newPKI(t, "good")
	be := &backend{}
	ts := startServer(t, be, serveImplicit, p.server)
	o := Options{Host: "127.0.0.1", Port: ts.port, TLS: ImplicitTLS, TLSConfig: p.clientTLS(), HELO: "client.test", Timeout: 10 * time.Second}
	c := mustDial(t, mustNew(t, o))
	if cs, ok := c.TLS(); !ok || len(cs.PeerCertificates) == 0 || cs.PeerCertificates[0].Subject.CommonName != "mx.test" {
		t.Fatalf("TLS state %v: want the server's certificate for mx.test", ok)
	}
	if err := c.Send(context.Background(), simple("implicit")); err != nil {
		t.Fatal(err)
	}
	if got := be.messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("server got %+v, want one message over TLS", got)
	}
}

func TestStartTLSRequiredButNotOffered(t *testing.T) {
	be := &backend{users: map[string]string{testUser: testPassword}}
	// The server offers AUTH in clear text, tempting the client.
	ts := startServer(t, be, serveClear, nil, func(s *smtp.Server) { s.AllowInsecureAuth = true })
	o := Options{Host: "127.0.0.1", Port: ts.port, TLS: StartTLS, HELO: "client.test",
		Username: testUser, Password: testPassword, Timeout: 10 * time.Second}
	_, err := mustNew(t, o).Dial(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Temporary || e.Op != OpStartTLS || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("Dial error %v, want a permanent STARTTLS error", err)
	}
	if n := be.authCount(); n != 0 {
		t.Fatalf("client attempted AUTH %d times without TLS", n)
	}
	assertNoSecret(t, err.Error())
}

// TestTLSCertificateNotTrusted: a server certificate the client does not
// trust is a permanent Dial error (an operator must fix the trust store or
// the server; retrying cannot help). It is a connection error, so no
// message is marked failed because of it.
func TestTLSCertificateNotTrusted(t *testing.T) {
	good, other := newPKI(t, "server"), newPKI(t, "other")
	for _, mode := range []TLSMode{StartTLS, ImplicitTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			be := &backend{users: map[string]string{testUser: testPassword}}
			sm, op := serveStartTLS, OpStartTLS
			if mode == ImplicitTLS {
				sm, op = serveImplicit, OpTLS
			}
			ts := startServer(t, be, sm, good.server)
			o := Options{Host: "127.0.0.1", Port: ts.port, TLS: mode, TLSConfig: other.clientTLS(), HELO: "client.test",
				Username: testUser, Password: testPassword, Timeout: 10 * time.Second}
			_, err := mustNew(t, o).Dial(context.Background())
			var e *Error
			var cve *tls.CertificateVerificationError
			if !errors.As(err, &e) || e.Temporary || e.Op != op || !errors.As(err, &cve) {
				t.Fatalf("Dial error %v, want a permanent certificate error at %s", err, op)
			}
			if n := be.authCount(); n != 0 {
				t.Fatalf("client attempted AUTH %d times to an untrusted server", n)
			}
		})
	}
}

// TestTLSToClearServer: a handshake that fails for another reason than
// trust (here: implicit TLS against a clear-text server) is temporary, like
// any other transport failure.
func TestTLSToClearServer(t *testing.T) {
	ts := startServer(t, &backend{}, serveClear, nil)
	o := Options{Host: "127.0.0.1", Port: ts.port, TLS: ImplicitTLS, HELO: "client.test", Timeout: 2 * time.Second}
	_, err := mustNew(t, o).Dial(context.Background())
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Op != OpTLS {
		t.Fatalf("Dial error %v, want a temporary TLS error", err)
	}
}

func TestAuthRefused(t *testing.T) {
	p := newPKI(t, "good")
	be := &backend{users: map[string]string{testUser: "the-right-one"}}
	ts := startServer(t, be, serveStartTLS, p.server)
	logs := &logBuffer{}
	o := Options{
		Host: "127.0.0.1", Port: ts.port, TLSConfig: p.clientTLS(), HELO: "client.test",
		Username: testUser, Password: testPassword, Timeout: 10 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	_, err := mustNew(t, o).Dial(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Temporary || e.Code != 535 || e.Enhanced != "5.7.8" || e.Op != OpAuth {
		t.Fatalf("Dial error %v, want permanent 535 5.7.8 at auth", err)
	}
	if !strings.Contains(err.Error(), "server refused the credentials") {
		t.Errorf("error %q does not say the credentials were refused", err)
	}
	if be.authCount() != 1 {
		t.Errorf("server saw %d AUTH attempts, want 1", be.authCount())
	}
	assertNoSecret(t, err.Error())
	assertNoSecret(t, fmt.Sprintf("%+v %#v", err, e))
	assertNoSecret(t, logs.String())
	assertNoSecret(t, fmt.Sprint(o))
	assertNoSecret(t, fmt.Sprintf("%+v", o))
	slog.New(slog.NewTextHandler(logs, nil)).Info("options", "opts", o)
	assertNoSecret(t, logs.String())
}

// assertNoSecret fails if s holds the test password in any usual form.
func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{
		testPassword,
		base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword)),
		base64.StdEncoding.EncodeToString([]byte(testPassword)),
	} {
		if strings.Contains(s, secret) {
			t.Fatalf("secret %q leaked in: %s", secret, s)
		}
	}
}

func TestNew(t *testing.T) {
	refused := []struct {
		name string
		o    Options
		want string
	}{
		{"plain to a remote host", Options{Host: "mail.example.org", TLS: Plain}, "only allowed to a loopback host"},
		{"plain to a remote address", Options{Host: "192.0.2.10", TLS: Plain}, "only allowed to a loopback host"},
		{"plain AUTH to a remote host", Options{Host: "mail.example.org", TLS: Plain, Username: "u", Password: "p"}, "password in clear text"},
		{"no host", Options{}, "Host is required"},
		{"bad port", Options{Host: "mail.example.org", Port: 70000}, "Port 70000"},
		{"negative timeout", Options{Host: "mail.example.org", Timeout: -time.Second}, "negative"},
		{"password without user", Options{Host: "mail.example.org", Password: "p"}, "without Username"},
		{"user without password", Options{Host: "mail.example.org", Username: "u"}, "without Password"},
		{"skip verify", Options{Host: "mail.example.org", TLSConfig: &tls.Config{InsecureSkipVerify: true}}, "InsecureSkipVerify"},
		{"bad mode", Options{Host: "mail.example.org", TLS: TLSMode(9)}, "unknown TLS mode"},
		{"bad helo", Options{Host: "mail.example.org", HELO: "my host"}, "HELO"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "mailer: options: ") {
				t.Fatalf("New error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	_, err := New(Options{Port: -1, Timeout: -1})
	if err == nil || !strings.Contains(err.Error(), "Host is required") || !strings.Contains(err.Error(), "Port -1") || !strings.Contains(err.Error(), "negative") {
		t.Errorf("New does not report every problem at once: %v", err)
	}

	for _, host := range []string{"127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost"} {
		if _, err := New(Options{Host: host, TLS: Plain, Username: "u", Password: "p"}); err != nil {
			t.Errorf("plain to loopback %s refused: %v", host, err)
		}
	}
	for mode, port := range map[TLSMode]string{StartTLS: "587", ImplicitTLS: "465", Plain: "25"} {
		s, err := New(Options{Host: "localhost", TLS: mode})
		if err != nil || !strings.HasSuffix(s.addr, ":"+port) {
			t.Errorf("mode %s: addr %v (%v), want port %s", mode, s, err, port)
		}
	}
}

// TestBeginThenAbandonDeliversNothing: a message whose content went out but
// whose end of data did not is discarded by the server, and the connection
// is given up; sent again on a new connection it arrives once.
func TestBeginThenAbandonDeliversNothing(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	s := mustNew(t, plainOptions(ts.port))
	c := mustDial(t, s)
	m := invitation(4)
	p, err := c.Begin(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	p.Abandon()
	p.Abandon() // a second call does nothing
	if !c.Broken() {
		t.Fatal("connection usable after Abandon")
	}
	if err := p.Finish(); err == nil {
		t.Fatal("Finish after Abandon succeeded")
	}
	if err := c.Send(context.Background(), simple("after")); err == nil || !IsTemporary(err) {
		t.Fatalf("Send on an abandoned connection: %v, want a temporary error", err)
	}
	c2 := mustDial(t, s)
	if err := c2.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The server may notice the abandoned session only after the next one.
	deadline := time.Now().Add(5 * time.Second)
	for be.sessionCount() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := be.messages()
	if len(got) != 1 || !bytes.Equal(got[0].Data, render(t, m)) {
		t.Fatalf("server recorded %d messages, want the one sent after the abandoned attempt", len(got))
	}
}

// TestBeginFinishIsSend: Begin transmits everything but the end of data
// (the server has not recorded the message yet); Finish delivers it.
func TestBeginFinishIsSend(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	m := invitation(5)
	p, err := c.Begin(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(be.messages()); n != 0 {
		t.Fatalf("server recorded %d messages before the end of data", n)
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	if got := be.messages(); len(got) != 1 || !bytes.Equal(got[0].Data, render(t, m)) {
		t.Fatalf("server recorded %d messages, want the message", len(got))
	}
	// The connection carries the next message.
	if err := c.Send(context.Background(), simple("next")); err != nil {
		t.Fatal(err)
	}
}

// TestBeginRefusedRecipientLeavesNothingPending: a refusal before DATA is
// Begin's error, the transaction is reset, and the connection goes on.
func TestBeginRefusedRecipientLeavesNothingPending(t *testing.T) {
	be := &backend{onRcpt: func(to string) error {
		if strings.HasPrefix(to, "gone") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	m := simple("refused")
	m.To = []message.Address{{Email: "gone@mfa.example"}}
	p, err := c.Begin(context.Background(), m)
	var e *Error
	if p != nil || !errors.As(err, &e) || e.Op != OpRcpt || e.Code != 550 || e.Recipient != "gone@mfa.example" {
		t.Fatalf("Begin: %v, %v; want the 550 of RCPT and nothing pending", p, err)
	}
	if c.Broken() {
		t.Fatal("connection broken by a refused recipient")
	}
	if err := c.Send(context.Background(), simple("next")); err != nil {
		t.Fatal(err)
	}
}

// dotStuffed returns what net/textproto's dot-writer writes for data,
// end of data included, and what writeData and Close write.
func dotStuffed(t testing.TB, data []byte) (want, got []byte) {
	t.Helper()
	var a, b bytes.Buffer
	wa := textproto.NewWriter(bufio.NewWriter(&a))
	d := wa.DotWriter()
	if _, err := d.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	bwb := bufio.NewWriter(&b)
	wb := textproto.NewWriter(bwb)
	d = wb.DotWriter()
	deadlines := 0
	if err := writeData(bwb, d, data, func() { deadlines++ }); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && deadlines == 0 {
		t.Error("no deadline set while writing")
	}
	if max := len(data)/dataChunk + 3; deadlines > max {
		t.Errorf("%d deadlines for %d bytes", deadlines, len(data))
	}
	return a.Bytes(), b.Bytes()
}

// TestWriteDataStuffsAsTheDotWriter: the block writer's output equals the
// dot-writer's for content with dot lines, at the start, at the end, on
// block edges, and with bare CR or LF.
func TestWriteDataStuffsAsTheDotWriter(t *testing.T) {
	edge := bytes.Repeat([]byte("x"), dataChunk-2)
	cases := map[string]string{
		"empty":             "",
		"crlf only":         "\r\n",
		"dot first":         ".hidden\r\nnext\r\n",
		"dot line":          "a\r\n.\r\nb\r\n",
		"dots":              "a\r\n..\r\n...x\r\n.",
		"no final newline":  "a\r\n.b",
		"final dot line":    "a\r\n.\r\n",
		"bare LF":           "a\n.b\r\n",
		"bare CR":           "a\r.b\r\n",
		"dot on block edge": string(edge) + "\r\n.after\r\n" + string(edge) + string(edge) + "\r\n.\r\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if want, got := dotStuffed(t, []byte(data)); !bytes.Equal(want, got) {
				t.Fatalf("writeData wrote %q, the dot-writer %q", got, want)
			}
		})
	}
	m := invitation(9)
	raw := render(t, m)
	if want, got := dotStuffed(t, raw); !bytes.Equal(want, got) {
		t.Fatal("writeData and the dot-writer differ on an invitation")
	}
}

func FuzzWriteData(f *testing.F) {
	f.Add([]byte("a\r\n.b\r\n"))
	f.Add([]byte(".\r\n"))
	f.Add([]byte("\r\n\r\n..\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if want, got := dotStuffed(t, data); !bytes.Equal(want, got) {
			t.Fatalf("writeData wrote %q, the dot-writer %q", got, want)
		}
	})
}

// scriptedServer is a minimal SMTP server that offers PIPELINING or not
// and notes, for each command, whether the client had already sent the
// next one before hearing the reply (it waits a moment to see).
type scriptedServer struct {
	port       int
	pipelining bool
	mu         sync.Mutex
	commands   []string
	ahead      []bool // per command: more input was waiting before the reply
	rcptReply  string
	data       []byte
	// dataAnyway makes DATA answer 354 even when every recipient of the
	// transaction was refused (RFC 2920 §3.1 says 554).
	dataAnyway bool
	datas      int // messages whose end of data was received
}

func startScripted(t *testing.T, pipelining bool, rcptReply string) *scriptedServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &scriptedServer{port: l.Addr().(*net.TCPAddr).Port, pipelining: pipelining, rcptReply: rcptReply}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *scriptedServer) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	reply := func(lines ...string) { io.WriteString(conn, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 scripted.test ESMTP")
	accepted := 0 // recipients accepted in the transaction
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		// Was the next command sent before this one's reply? Give it a
		// moment to arrive.
		ahead := r.Buffered() > 0
		if !ahead && (strings.HasPrefix(cmd, "MAIL") || strings.HasPrefix(cmd, "RCPT")) {
			conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, err := r.Peek(1)
			ahead = err == nil
			conn.SetReadDeadline(time.Time{})
		}
		s.mu.Lock()
		s.commands = append(s.commands, cmd)
		s.ahead = append(s.ahead, ahead)
		s.mu.Unlock()
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if s.pipelining {
				reply("250-scripted.test", "250-PIPELINING", "250 8BITMIME")
			} else {
				reply("250-scripted.test", "250 8BITMIME")
			}
		case strings.HasPrefix(cmd, "MAIL"):
			accepted = 0
			reply("250 2.1.0 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			if strings.Contains(cmd, "GONE") {
				reply(s.rcptReply)
			} else {
				accepted++
				reply("250 2.1.5 ok")
			}
		case cmd == "DATA" && accepted == 0 && !s.dataAnyway:
			reply("554 5.5.1 no valid recipients")
		case cmd == "DATA":
			reply("354 go ahead")
			var data []byte
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data = append(data, strings.TrimPrefix(l, ".")...)
			}
			s.mu.Lock()
			s.data = data
			s.datas++
			s.mu.Unlock()
			reply("250 2.0.0 queued")
		case cmd == "RSET":
			reply("250 2.0.0 reset")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 not implemented")
		}
	}
}

func (s *scriptedServer) log() ([]string, []bool, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...), append([]bool(nil), s.ahead...), s.data
}

// TestEnvelopePipelinedOnlyWhenOffered: with PIPELINING the MAIL and RCPT
// commands go out together; without it each waits for its reply. The
// message arrives the same either way.
func TestEnvelopePipelinedOnlyWhenOffered(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			srv := startScripted(t, pipelining, "")
			c := mustDial(t, mustNew(t, plainOptions(srv.port)))
			m := simple("pipe")
			m.To = []message.Address{{Email: "a@mfa.example"}, {Email: "b@mfa.example"}, {Email: "c@mfa.example"}}
			if err := c.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			cmds, ahead, data := srv.log()
			var envelope []string
			for i, cmd := range cmds {
				if strings.HasPrefix(cmd, "MAIL") || strings.HasPrefix(cmd, "RCPT") {
					envelope = append(envelope, cmd)
					last := i+1 < len(cmds) && cmds[i+1] == "DATA"
					if want := pipelining && !last; ahead[i] != want {
						t.Errorf("%s: next command sent before the reply = %v, want %v", cmd, ahead[i], want)
					}
				}
			}
			want := []string{"MAIL FROM:<RSVP@INVITES.EXAMPLE.ORG> BODY=8BITMIME", "RCPT TO:<A@MFA.EXAMPLE>", "RCPT TO:<B@MFA.EXAMPLE>", "RCPT TO:<C@MFA.EXAMPLE>"}
			if strings.Join(envelope, "|") != strings.Join(want, "|") {
				t.Errorf("envelope %q, want %q", envelope, want)
			}
			if !bytes.Equal(data, render(t, m)) {
				t.Error("the server received other bytes than WriteTo writes")
			}
		})
	}
}

// TestPipelinedRefusalReportsTheRecipient: a refused recipient among
// pipelined ones is reported with its code, every reply is read, the
// transaction is reset, and the connection carries the next message.
func TestPipelinedRefusalReportsTheRecipient(t *testing.T) {
	srv := startScripted(t, true, "550 5.1.1 no such mailbox")
	c := mustDial(t, mustNew(t, plainOptions(srv.port)))
	m := simple("refused")
	m.To = []message.Address{{Email: "a@mfa.example"}, {Email: "gone@mfa.example"}, {Email: "c@mfa.example"}}
	err := c.Send(context.Background(), m)
	var e *Error
	if !errors.As(err, &e) || e.Op != OpRcpt || e.Code != 550 || e.Recipient != "gone@mfa.example" || e.Temporary {
		t.Fatalf("Send: %v, want the permanent 550 of RCPT gone@mfa.example", err)
	}
	if c.Broken() {
		t.Fatal("connection broken by a refused recipient")
	}
	if err := c.Send(context.Background(), simple("next")); err != nil {
		t.Fatalf("next message on the same connection: %v", err)
	}
	cmds, _, _ := srv.log()
	if got := strings.Join(cmds, "|"); !strings.Contains(got, "RCPT TO:<C@MFA.EXAMPLE>|RSET|MAIL") {
		t.Errorf("commands %s: want every RCPT sent, then RSET, then the next MAIL", got)
	}
}

// TestDataPipelinedWithASingleRecipient: with PIPELINING, a message to one
// recipient sends DATA with MAIL and RCPT (RFC 2920 §3.1), one round trip
// less; its recipient refused, the server refuses DATA for want of a valid
// recipient, nothing is sent, the refusal is reported with the recipient
// and the connection carries the next message. A server that answers DATA
// with 354 all the same gets no content: the connection is closed.
func TestDataPipelinedWithASingleRecipient(t *testing.T) {
	srv := startScripted(t, true, "550 5.1.1 no such mailbox")
	c := mustDial(t, mustNew(t, plainOptions(srv.port)))
	m := simple("one")
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	cmds, ahead, data := srv.log()
	if got := strings.Join(cmds[1:], "|"); got != "MAIL FROM:<RSVP@INVITES.EXAMPLE.ORG> BODY=8BITMIME|RCPT TO:<MISSION@MFA.EXAMPLE>|DATA" {
		t.Fatalf("commands %s", got)
	}
	if !ahead[1] || !ahead[2] {
		t.Errorf("MAIL and RCPT waited for their replies (%v): want DATA sent with them", ahead[1:])
	}
	if !bytes.Equal(data, render(t, m)) {
		t.Error("the server received other bytes than WriteTo writes")
	}

	gone := simple("gone")
	gone.To = []message.Address{{Email: "gone@mfa.example"}}
	err := c.Send(context.Background(), gone)
	var e *Error
	if !errors.As(err, &e) || e.Op != OpRcpt || e.Code != 550 || e.Recipient != "gone@mfa.example" {
		t.Fatalf("Send: %v, want the 550 of RCPT gone@mfa.example", err)
	}
	if c.Broken() {
		t.Fatal("connection broken by a refused recipient")
	}
	if err := c.Send(context.Background(), simple("next")); err != nil {
		t.Fatalf("next message on the same connection: %v", err)
	}
	srv.mu.Lock()
	if srv.datas != 2 {
		t.Errorf("%d messages received, want 2", srv.datas)
	}
	srv.mu.Unlock()

	anyway := startScripted(t, true, "550 5.1.1 no such mailbox")
	anyway.dataAnyway = true
	c = mustDial(t, mustNew(t, plainOptions(anyway.port)))
	err = c.Send(context.Background(), gone)
	if !errors.As(err, &e) || e.Op != OpRcpt || e.Code != 550 || e.Recipient != "gone@mfa.example" {
		t.Fatalf("Send: %v, want the 550 of RCPT gone@mfa.example", err)
	}
	if !c.Broken() {
		t.Error("connection kept in DATA after every recipient was refused")
	}
	time.Sleep(50 * time.Millisecond)
	anyway.mu.Lock()
	defer anyway.mu.Unlock()
	if anyway.datas != 0 {
		t.Error("a message with no valid recipient was ended")
	}
}
