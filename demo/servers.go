package demo

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"sort"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"
)

// relay is the demo's outgoing mail server: a go-smtp server on loopback
// that hands every accepted message to the simulated missions. It refuses
// the recipients in refuse at RCPT, as a relay does for an address it
// knows to be dead.
type relay struct {
	addr    string
	srv     *smtp.Server
	deliver func(from string, to []string, raw []byte)

	mu     sync.Mutex
	refuse map[string]bool
	ids    map[string]int // Message-ID → copies accepted
}

func startRelay(deliver func(from string, to []string, raw []byte), refuse map[string]bool) (*relay, error) {
	r := &relay{deliver: deliver, refuse: refuse, ids: map[string]int{}}
	r.srv = smtp.NewServer(r)
	r.srv.Domain = "relay.presessions.example"
	r.srv.AllowInsecureAuth = true
	r.srv.MaxMessageBytes = 32 << 20
	r.srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: SMTP server: %w", err)
	}
	r.addr = ln.Addr().String()
	go r.srv.Serve(ln)
	return r, nil
}

func (r *relay) close() { r.srv.Close() }

// duplicates returns the Message-IDs the relay accepted more than once.
func (r *relay) duplicates() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, n := range r.ids {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", id, n))
		}
	}
	sort.Strings(out)
	return out
}

// NewSession implements smtp.Backend.
func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

type relaySession struct {
	r    *relay
	from string
	to   []string
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.refuse[strings.ToLower(to)] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: fmt.Sprintf("<%s>: Recipient address rejected: User unknown in virtual mailbox table", to)}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *relaySession) Data(rd io.Reader) error {
	raw, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	id := ""
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		id = m.Header.Get("Message-Id")
	}
	s.r.mu.Lock()
	s.r.ids[id]++
	s.r.mu.Unlock()
	s.r.deliver(s.from, append([]string(nil), s.to...), raw)
	return nil
}
