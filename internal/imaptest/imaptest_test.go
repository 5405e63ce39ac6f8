package imaptest

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"outreach/demo/mailbox"
)

const (
	user     = "rsvp@presessions.example"
	password = "Palais-des-Nations-28!"
)

func message(id string) []byte {
	return []byte("From: Permanent Mission of Japan <geneva@jpn.mission.example>\r\n" +
		"To: rsvp@presessions.example\r\n" +
		"Subject: RE: UPR Pre-sessions\r\n" +
		"Message-ID: <" + id + ">\r\n" +
		"Date: Mon, 18 Sep 2017 10:00:00 +0200\r\n" +
		"\r\n" +
		"We will attend.\r\n")
}

// fetchAll returns every message of mailbox, read through a client.
func fetchAll(t *testing.T, c *imapclient.Client, mailbox string) []*imapclient.FetchMessageBuffer {
	t.Helper()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	body := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestStartDeliversMessagesAClientReads(t *testing.T) {
	a, b := message("a@jpn.mission.example"), message("b@jpn.mission.example")
	s := Start(t, user, password, a, b)
	if host, _, _ := net.SplitHostPort(s.Addr); host != "127.0.0.1" {
		t.Fatalf("listening on %s, want loopback", s.Addr)
	}
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs := fetchAll(t, c, "INBOX")
	if len(msgs) != 2 {
		t.Fatalf("INBOX holds %d messages, want 2", len(msgs))
	}
	for i, want := range [][]byte{a, b} {
		got := msgs[i].BodySection[0].Bytes
		if !bytes.Equal(got, want) {
			t.Errorf("message %d reads %q, want %q", i+1, got, want)
		}
		if msgs[i].UID != imap.UID(i+1) {
			t.Errorf("message %d has UID %d", i+1, msgs[i].UID)
		}
	}
	if n := s.Count("INBOX"); n != 2 {
		t.Errorf("Count(INBOX) = %d, want 2", n)
	}
	if n := s.Count("processed"); n != 0 {
		t.Errorf("Count of a mailbox that does not exist = %d", n)
	}
}

func TestCapabilities(t *testing.T) {
	s := Start(t, user, password)
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	caps := c.Caps()
	for _, want := range []imap.Cap{imap.CapIMAP4rev2, imap.CapIdle, imap.CapMove, imap.CapUIDPlus} {
		if !caps.Has(want) {
			t.Errorf("the server does not offer %s (it offers %v)", want, caps)
		}
	}
}

func TestAppendReturnsUIDAndRefusesAMissingMailbox(t *testing.T) {
	s := Start(t, user, password)
	for want := imap.UID(1); want <= 3; want++ {
		uid, err := s.Append("INBOX", message("m@jpn.mission.example"))
		if err != nil || uid != want {
			t.Fatalf("Append = %d, %v; want UID %d", uid, err, want)
		}
	}
	_, err := s.Append("review", message("r@jpn.mission.example"))
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeTryCreate {
		t.Fatalf("Append to a missing mailbox: %v, want NO [TRYCREATE]", err)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	s := Start(t, user, password)
	wrong := *s
	wrong.Password = "not-" + password
	if c, err := wrong.Dial(); err == nil {
		c.Close()
		t.Fatal("login with a wrong password was accepted")
	}
}

// An idling client hears of a message delivered on the server's side.
// idlingClient logs in and selects INBOX, counting the EXISTS it hears.
func idlingClient(t *testing.T, s *Server) (*imapclient.Client, <-chan uint32) {
	t.Helper()
	exists := make(chan uint32, 16)
	c, err := imapclient.DialInsecure(s.Addr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return c, exists
}

// hear waits for an EXISTS of want messages.
func hear(t *testing.T, exists <-chan uint32, want uint32) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n := <-exists:
			if n == want {
				return
			}
			if n > want {
				t.Fatalf("EXISTS %d, want %d", n, want)
			}
		case <-deadline:
			t.Fatalf("no EXISTS %d while idling", want)
		}
	}
}

func endIdle(t *testing.T, idle *imapclient.IdleCommand) {
	t.Helper()
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestAppendWakesAnIdlingClient(t *testing.T) {
	s := Start(t, user, password)
	c, exists := idlingClient(t, s)
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	for n := uint32(1); n <= 3; n++ {
		if _, err := s.Append("INBOX", message("late@jpn.mission.example")); err != nil {
			t.Fatal(err)
		}
		hear(t, exists, n)
	}
	endIdle(t, idle)
}

// A delivery made after the client's last command and before its IDLE is
// reported when the IDLE starts, not at the next delivery.
func TestIdleReportsADeliveryMadeBeforeIt(t *testing.T) {
	s := Start(t, user, password)
	c, exists := idlingClient(t, s)
	if _, err := s.Append("INBOX", message("early@jpn.mission.example")); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	hear(t, exists, 1)
	endIdle(t, idle)
}

// recorder is a TB that records failures instead of stopping a goroutine.
type recorder struct {
	failed   string
	cleanups []func()
}

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.failed = format }
func (r *recorder) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }

func TestStartStopsTheServerAtCleanup(t *testing.T) {
	r := &recorder{}
	s := Start(r, user, password)
	if r.failed != "" || len(r.cleanups) != 1 {
		t.Fatalf("Start: failed %q, %d cleanups", r.failed, len(r.cleanups))
	}
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	r.cleanups[0]()
	if c, err := s.Dial(); err == nil {
		c.Close()
		t.Fatal("the server still answers after its cleanup ran")
	}
}

func TestListenOnABusyAddressFails(t *testing.T) {
	s := Start(t, user, password)
	if _, err := mailbox.Listen(mailbox.Options{Addr: s.Addr, Username: user, Password: password}); err == nil {
		t.Fatalf("a second server on %s started", s.Addr)
	}
}
