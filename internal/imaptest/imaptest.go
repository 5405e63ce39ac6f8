// Package imaptest starts the demo's in-memory IMAP server (demo/mailbox)
// for a test: on 127.0.0.1:0, stopped when the test ends, counting logins,
// with a client that logs in as its user.
package imaptest

import (
	"fmt"
	"sync/atomic"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"

	"outreach/demo/mailbox"
)

// Server is an in-memory IMAP server holding one user's mailboxes.
type Server struct {
	*mailbox.Server
	logins *atomic.Int64
}

// Logins returns how many LOGIN commands the server has answered, refused
// ones included.
func (s *Server) Logins() int { return int(s.logins.Load()) }

// TB is the part of testing.TB that Start uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start starts a server on 127.0.0.1:0 for username and password with
// msgs in its INBOX, and stops it when t ends.
func Start(t TB, username, password string, msgs ...[]byte) *Server {
	t.Helper()
	logins := new(atomic.Int64)
	m, err := mailbox.Listen(mailbox.Options{Addr: "127.0.0.1:0", Username: username, Password: password,
		Session: func(s *mailbox.Session) imapserver.Session { return countingSession{s, logins} }})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { m.Close() })
	for _, raw := range msgs {
		if _, err := m.Append("INBOX", raw); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return &Server{Server: m, logins: logins}
}

// countingSession counts the LOGIN commands of a session.
type countingSession struct {
	*mailbox.Session
	logins *atomic.Int64
}

func (s countingSession) Login(username, password string) error {
	s.logins.Add(1)
	return s.Session.Login(username, password)
}

// Dial connects a plain-text client and logs it in as the server's user.
func (s *Server) Dial() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imaptest: login as %s: %w", s.Username, err)
	}
	return c, nil
}
