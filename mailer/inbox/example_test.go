package inbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"outreach/mailer/inbox"
)

// store is a Handler keeping its checkpoint in memory; the real one records
// the result and the checkpoint in one bbolt transaction.
type store struct {
	cp inbox.Checkpoint
}

func (s *store) Checkpoint(context.Context) (inbox.Checkpoint, error) { return s.cp, nil }

func (s *store) Handle(_ context.Context, m inbox.Message) (string, error) {
	// A message recorded but left unfiled by a crash comes again: the
	// checkpoint never moves backwards.
	if m.UIDValidity != s.cp.UIDValidity || m.UID > s.cp.LastUID {
		s.cp = inbox.Checkpoint{UIDValidity: m.UIDValidity, LastUID: m.UID}
	}
	fmt.Printf("message %d, %d octets\n", m.UID, m.Size)
	return "processed", nil
}

func ExampleWatcher_SyncOnce() {
	addr, stop := exampleServer("From: mission@mfa.example\r\nSubject: Re: UPR pre-session\r\n\r\nWe will attend.\r\n")
	defer stop()

	w, err := inbox.NewWatcher(inbox.Options{
		Addr:     addr,
		TLS:      inbox.Plain, // loopback only; use ImplicitTLS or StartTLS otherwise
		Username: "rsvp@outreach.example",
		Password: "example-password",
		Folders:  []string{"processed", "review"},
	}, &store{})
	if err != nil {
		log.Fatal(err)
	}
	st, err := w.SyncOnce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("fetched %d, filed %d, checkpoint %d\n", st.Fetched, st.Filed, st.LastUID)
	// Output:
	// message 1, 76 octets
	// fetched 1, filed 1, checkpoint 1
}

// exampleServer runs an in-memory IMAP server holding one message.
func exampleServer(raw string) (addr string, stop func()) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("rsvp@outreach.example", "example-password")
	if err := user.Create("INBOX", nil); err != nil {
		log.Fatal(err)
	}
	if _, err := user.Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{}); err != nil {
		log.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }
}
