// Package mailbox is the organiser's mailbox of `outreach demo`: go-imap's
// in-memory IMAP server (imapmemserver) on loopback, IMAP4rev2 (IDLE, MOVE,
// UIDPLUS) in plain text, one user with an INBOX. The demo delivers the
// missions' mail into it directly (Append), as a local delivery agent
// would, and outreach reads it over IMAP. Tests use it through
// internal/imaptest.
package mailbox

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Options says where a Server listens and whom it serves.
type Options struct {
	// Addr is the host:port to listen on, e.g. 127.0.0.1:0.
	Addr     string
	Username string
	Password string
	// Session, when set, wraps each connection's session; nil serves the
	// Session itself.
	Session func(*Session) imapserver.Session
}

// Server is an in-memory IMAP server holding one user's mailboxes.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr     string
	Username string
	Password string
	// User is the account's mailboxes, for a caller that reaches past IMAP.
	User *imapmemserver.User

	srv *imapserver.Server
}

// Listen starts a server for o.Username and o.Password on o.Addr, with an
// empty INBOX.
func Listen(o Options) (*Server, error) {
	user := imapmemserver.NewUser(o.Username, o.Password)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			s := NewSession(user)
			if o.Session != nil {
				return o.Session(s), nil, nil
			}
			return s, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	go srv.Serve(ln)
	return &Server{Addr: ln.Addr().String(), Username: o.Username, Password: o.Password, User: user, srv: srv}, nil
}

// IdlePoll is how often an idling session looks for changes to report.
const IdlePoll = 5 * time.Millisecond

// Session is a session of imapmemserver for one user whose IDLE reports
// every change to the selected mailbox, as Dovecot does. imapmemserver's
// own IDLE writes only changes made after it starts: one made between the
// command before and the IDLE (a delivery while the client was busy) waited
// for the next change or the end of the IDLE, which a client idling for
// minutes saw as a lost message.
type Session struct {
	*imapmemserver.UserSession // nil until login
	user                       *imapmemserver.User
}

// NewSession returns a Session for user alone.
func NewSession(user *imapmemserver.User) *Session {
	return &Session{user: user}
}

// Login logs the session in as its user.
func (s *Session) Login(username, password string) error {
	if err := s.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.user)
	return nil
}

// Idle writes the changes pending when it starts, then each change within
// IdlePoll of it, until stop.
func (s *Session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
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
		return 0, fmt.Errorf("mailbox: append to %s: %w", mailbox, err)
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
