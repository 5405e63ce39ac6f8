// Package smtptest runs a real SMTP server (go-smtp) on 127.0.0.1 for tests:
// it records every message it accepts, and hooks let a test refuse, delay or
// cut any step to inject faults. It is imported only from tests.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From      string
	To        []string
	Data      []byte
	MessageID string
	At        time.Time
}

// Hooks inject faults. Each returns nil to go on, or an error (use
// *smtp.SMTPError for a reply code) that the server answers with.
type Hooks struct {
	// Auth checks AUTH PLAIN credentials.
	Auth func(username, password string) error
	Mail func(from string) error
	Rcpt func(to string) error
	// Data runs after the whole message was read and before it is
	// recorded; an error refuses it.
	Data func(m *Message) error
	// DataHead runs while the message is still arriving, once its first
	// HeadSize bytes (or all of it, if shorter) were read. ErrCut there
	// drops the connection in the middle of DATA; another error refuses
	// the message once the rest has been read.
	DataHead func(head []byte) error
}

// HeadSize is how much of a message DataHead sees.
const HeadSize = 4096

// Server is a recording SMTP server.
type Server struct {
	Addr string

	srv   *smtp.Server
	mu    sync.Mutex
	msgs  []Message
	hooks Hooks
	conns int
	auths []Credentials
	// Discard keeps only counts, not the data (benchmarks).
	discard bool
	count   int
	open    int
}

// Start starts a server on 127.0.0.1:0 and stops it when t ends.
func Start(t testing.TB, hooks Hooks) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", hooks, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Listen starts a server on addr. With discard set it keeps counts only.
func Listen(addr string, hooks Hooks, discard bool) (*Server, error) {
	s := &Server{hooks: hooks, discard: discard}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.MaxRecipients = 100
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.Addr = l.Addr().String()
	go s.srv.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// SetHooks replaces the hooks.
func (s *Server) SetHooks(h Hooks) {
	s.mu.Lock()
	s.hooks = h
	s.mu.Unlock()
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages were accepted.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Connections returns how many SMTP sessions were opened.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Open returns how many SMTP sessions are open now: a session ends when its
// connection closes, after the server has finished with what it received.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.conns++
	s.open++
	s.mu.Unlock()
	return &session{s: s, c: c}, nil
}

func (s *Server) hooksNow() Hooks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hooks
}

type session struct {
	s    *Server
	c    *smtp.Conn
	from string
	to   []string
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }
func (ss *session) Logout() error {
	ss.s.mu.Lock()
	ss.s.open--
	ss.s.mu.Unlock()
	return nil
}

// AuthMechanisms offers AUTH PLAIN, so a client configured with a
// username can log in (the server runs on loopback, where clear-text AUTH
// is allowed).
func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth accepts any PLAIN credentials, unless the Auth hook refuses them,
// and records them for the test to check.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if h := ss.s.hooksNow().Auth; h != nil {
			if err := h(username, password); err != nil {
				return err
			}
		}
		ss.s.mu.Lock()
		ss.s.auths = append(ss.s.auths, Credentials{Username: username, Password: password})
		ss.s.mu.Unlock()
		return nil
	}), nil
}

// Credentials are what a client logged in with.
type Credentials struct{ Username, Password string }

// Auths returns the credentials of every successful AUTH so far.
func (s *Server) Auths() []Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Credentials(nil), s.auths...)
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if h := ss.s.hooksNow().Mail; h != nil {
		if err := h(from); err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if h := ss.s.hooksNow().Rcpt; h != nil {
		if err := h(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var head []byte
	if h := ss.s.hooksNow().DataHead; h != nil {
		buf := make([]byte, HeadSize)
		n, err := io.ReadFull(r, buf)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return err
		}
		head = buf[:n]
		if err := h(head); err != nil {
			if errors.Is(err, ErrCut) {
				ss.c.Conn().Close()
				return err
			}
			_, _ = io.Copy(io.Discard, r)
			return err
		}
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	data := append(head, rest...)
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, At: time.Now()}
	if hdr, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.MessageID = hdr.Header.Get("Message-Id")
	}
	var after error
	if h := ss.s.hooksNow().Data; h != nil {
		if err := h(&m); err != nil {
			if !errors.Is(err, ErrCutAfterAccept) {
				if errors.Is(err, ErrCut) {
					ss.c.Conn().Close()
				}
				return err
			}
			after = err
		}
	}
	ss.s.mu.Lock()
	ss.s.count++
	if ss.s.discard {
		m.Data = nil
	}
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	if after != nil {
		// Accepted, but the client never hears so.
		ss.c.Conn().Close()
		return after
	}
	return nil
}

// Reply builds an SMTP error reply, e.g. Reply(451, "4.3.0", "try later").
func Reply(code int, enhanced [3]int, text string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode(enhanced), Message: text}
}

// Faults a hook can return: ErrCut drops the connection without accepting
// the message; ErrCutAfterAccept records the message, then drops the
// connection before the client hears the verdict (the message was
// delivered, the client cannot know).
var (
	ErrCut            = errors.New("smtptest: connection cut")
	ErrCutAfterAccept = errors.New("smtptest: connection cut after accepting")
)
