// Package imaptest runs go-imap's in-memory IMAP server (imapmemserver)
// on loopback: IMAP4rev2 (IDLE, MOVE, UIDPLUS) in plain text, one user
// with an INBOX. Tests read a mailbox through it, and the demo uses it as
// the organiser's mailbox.
//
// The package does not import testing, so the demo can link it; Start
// takes anything with the few methods of testing.TB it needs.
package imaptest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Server is an in-memory IMAP server holding one user's mailboxes.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr     string
	Username string
	Password string
	// User is the account's mailboxes, for a test that reaches past IMAP.
	User *imapmemserver.User

	srv    *imapserver.Server
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
	s, err := Listen("127.0.0.1:0", username, password)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { s.Close() })
	for _, raw := range msgs {
		if _, err := s.Append("INBOX", raw); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return s
}

// Listen starts a server on addr for username and password, with an
// empty INBOX.
func Listen(addr, username, password string) (*Server, error) {
	user := imapmemserver.NewUser(username, password)
	logins := new(atomic.Int64)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{user: user, logins: logins}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	go srv.Serve(ln)
	return &Server{Addr: ln.Addr().String(), Username: username, Password: password, User: user, srv: srv, logins: logins}, nil
}

// IdlePoll is how often an idling session looks for changes to report.
const IdlePoll = 5 * time.Millisecond

// NewSession returns a session of imapmemserver for user alone whose IDLE
// reports every change to the selected mailbox, as Dovecot does.
// imapmemserver's own IDLE writes only changes made after it starts: one
// made between the command before and the IDLE (a delivery while the client
// was busy) waited for the next change or the end of the IDLE, which a
// client idling for minutes saw as a lost message.
func NewSession(user *imapmemserver.User) imapserver.Session {
	return &session{user: user}
}

type session struct {
	*imapmemserver.UserSession // nil until login
	user                       *imapmemserver.User
	logins                     *atomic.Int64 // nil: not counted
}

func (s *session) Login(username, password string) error {
	if s.logins != nil {
		s.logins.Add(1)
	}
	if err := s.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.user)
	return nil
}

// Idle writes the changes pending when it starts, then each change within
// IdlePoll of it, until stop.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(IdlePoll)
	defer t.Stop()
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

// Close stops the server and closes its connections.
func (s *Server) Close() error { return s.srv.Close() }

// Append delivers raw to mailbox on the server's side, as a local
// delivery agent would, and returns the UID it got. Clients idling on
// the mailbox are told of it.
func (s *Server) Append(mailbox string, raw []byte) (imap.UID, error) {
	data, err := s.User.Append(mailbox, bytes.NewReader(raw), &imap.AppendOptions{})
	if err != nil {
		return 0, fmt.Errorf("imaptest: append to %s: %w", mailbox, err)
	}
	return data.UID, nil
}

// Count returns the number of messages in mailbox; one that does not
// exist holds none.
func (s *Server) Count(mailbox string) int {
	st, err := s.User.Status(mailbox, &imap.StatusOptions{NumMessages: true})
	if err != nil || st.NumMessages == nil {
		return 0
	}
	return int(*st.NumMessages)
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
