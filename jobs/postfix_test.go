package jobs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
	"outreach/mailer"
	"outreach/store"
)

// The whole way out and back with real servers: the outbox submits
// invitations to a private Postfix (submission port, AUTH checked by
// Dovecot), Postfix delivers over LMTP into a private Dovecot, and each
// contact reads the invitation over IMAP exactly as it was stored. A
// mission whose addresses do not exist gets Postfix's own bounce (RFC 3464)
// in the organiser mailbox; intake reads it and the mission shows as not
// reached.
func TestPostfixDeliversInvitationsAndBounces(t *testing.T) {
	t.Parallel()
	jpn := directoryContacts(t, "JPN")
	if len(jpn) < 2 {
		t.Fatalf("JPN has contacts %v; the test wants a mission with several", jpn)
	}
	d, p := mailServersFor(t, jpn)

	f := newFixture(t, smtptest.Hooks{})
	f.useSender(organiserSubmission(t, p.SubmissionAddr))
	// FRA's addresses are no Dovecot users: Postfix accepts, LMTP refuses,
	// Postfix bounces.
	for _, id := range []string{"JPN", "FRA"} {
		if _, err := f.e.Invite(id, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if rep := flush(t, f, 0); rep.Sent != 2 {
		t.Fatalf("flush through postfix: %+v\n%s", rep, p.LogPath)
	}

	it := f.item(invitationKey("JPN"))
	for _, addr := range jpn {
		msgs := d.WaitMessages(t, addr, "INBOX", 1, p.LogPath)
		if len(msgs) != 1 {
			t.Fatalf("%s holds %d messages, want the invitation once", addr, len(msgs))
		}
		checkDeliveredInvitation(t, f, it, addr, msgs[0].Raw)
	}
	checkPostfixBounceRecorded(t, f, d, p)
}

// mailServersFor starts a private Dovecot, with the organiser's mailbox
// and one for each of contacts, and a Postfix delivering into it.
func mailServersFor(t *testing.T, contacts []string) (*testenv.Dovecot, *testenv.Postfix) {
	t.Helper()
	users := []testenv.User{{Name: organiserLogin, Password: organiserPassword}}
	for _, a := range contacts {
		users = append(users, testenv.User{Name: a, Password: "mission-password"})
	}
	d := testenv.StartDovecot(t, users...)
	return d, testenv.StartPostfix(t, d)
}

// organiserSubmission is how the outbox submits to addr: in clear on
// loopback, logged in as the organiser.
func organiserSubmission(t *testing.T, addr string) mailer.Options {
	t.Helper()
	o := plainTo(t, addr)
	o.Username, o.Password = organiserLogin, organiserPassword
	return o
}

// directoryContacts is the addresses of mission id's contacts in the
// directory.
func directoryContacts(t *testing.T, id string) []string {
	t.Helper()
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.ID == id {
			for _, c := range m.Contacts {
				out = append(out, c.Email)
			}
		}
	}
	return out
}

// checkDeliveredInvitation: the invitation addr read over IMAP has the
// outbox's Message-ID and Subject, the organiser as Return-Path, a mission
// token in Reply-To, a calendar part per session, and, after Postfix's and
// Dovecot's trace headers, the very bytes the outbox rendered.
func checkDeliveredInvitation(t *testing.T, f *fixture, it outreach.OutboxItem, addr string, raw []byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Message-Id"); got != it.MessageID {
		t.Errorf("%s: Message-ID %s, the outbox stored %s", addr, got, it.MessageID)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != it.Subject {
		t.Errorf("%s: Subject %q (%v), the outbox stored %q", addr, subject, err, it.Subject)
	}
	if got := m.Header.Get("Return-Path"); got != "<"+organiserLogin+">" {
		t.Errorf("%s: Return-Path %q, want the organiser mailbox for bounces", addr, got)
	}
	if !strings.Contains(m.Header.Get("Reply-To"), "rsvp+") {
		t.Errorf("%s: Reply-To %q has no mission token", addr, m.Header.Get("Reply-To"))
	}
	if n := bytes.Count(raw, []byte("method=REQUEST")); n < 14 {
		t.Errorf("%s: %d calendar parts, want one per session (14)", addr, n)
	}
	var eml bytes.Buffer
	if err := f.st.View(func(tx *store.Tx) error {
		msg, _, err := f.e.compose(tx, it)
		if err != nil {
			return err
		}
		_, err = msg.WriteTo(&eml)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, wantBody, _ := bytes.Cut(eml.Bytes(), []byte("\r\n\r\n"))
	_, gotBody, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !bytes.Equal(gotBody, wantBody) {
		t.Errorf("%s: the body read over IMAP differs from the rendered invitation (%d vs %d bytes)", addr, len(gotBody), len(wantBody))
	}
}

// checkPostfixBounceRecorded: Postfix's bounce reaches the organiser
// mailbox; intake marks FRA's contacts undeliverable, files the bounce and
// status shows them bounced.
func checkPostfixBounceRecorded(t *testing.T, f *fixture, d *testenv.Dovecot, p *testenv.Postfix) {
	t.Helper()
	bounces := d.WaitMessages(t, organiserLogin, "INBOX", 1, p.LogPath)
	if !bytes.Contains(bounces[0].Raw, []byte("report-type=delivery-status")) {
		t.Fatalf("organiser INBOX holds %q, want Postfix's bounce", bounces[0].Raw[:min(400, len(bounces[0].Raw))])
	}
	st := f.syncInbox(d.Addr)
	if st.Fetched < 1 {
		t.Fatalf("intake read %+v", st)
	}
	fra, err := f.e.Mission("FRA")
	if err != nil {
		t.Fatal(err)
	}
	var bounced []string
	for _, c := range fra.Contacts {
		if c.Undeliverable {
			bounced = append(bounced, c.Email)
		}
	}
	if len(bounced) == 0 {
		t.Errorf("no FRA contact marked undeliverable after Postfix's bounce: %+v", fra.Contacts)
	}
	if got := dovecotIDs(t, d, "bounces"); len(got) != len(bounces) {
		t.Errorf("bounces folder holds %d messages, want the %d bounce(s)", len(got), len(bounces))
	}
	sum := f.status()
	var fraShown Delivery
	for _, dl := range sum.Missions {
		if dl.Mission == "FRA" {
			fraShown = dl
		}
	}
	if !slices.Equal(fraShown.Bounced, bounced) {
		t.Errorf("status shows FRA bounced %v, want %v", fraShown.Bounced, bounced)
	}
}

// TestPostfixResentCopyIsTheSameMessage: an invitation Postfix accepted
// while the connection broke before its reply reached the outbox goes
// again — the outbox cannot know it went — after a restart a day later;
// the mission's mailbox in Dovecot then holds two copies, and they are the
// same message byte for byte below the trace fields Postfix and Dovecot
// add (Date, boundaries, calendars and all), so that a client shows it
// once.
func TestPostfixResentCopyIsTheSameMessage(t *testing.T) {
	t.Parallel()
	jpn := directoryContacts(t, "JPN")
	d, p := mailServersFor(t, jpn)
	proxy := startCutProxy(t, p.SubmissionAddr)

	f := newFixture(t, smtptest.Hooks{})
	o := organiserSubmission(t, proxy.addr)
	f.useSender(o)
	if _, err := f.e.Invite("JPN", "test"); err != nil {
		t.Fatal(err)
	}
	if rep := flush(t, f, 0); rep.Deferred != 1 {
		t.Fatalf("first flush, cut before the reply: %+v", rep)
	}
	if reply := proxy.withheld(t); !strings.HasPrefix(reply, "250") {
		t.Fatalf("Postfix answered the end of data %q, want it accepted", reply)
	}
	f.restart()
	f.useSender(o)
	f.clock.Advance(26 * time.Hour)
	if rep := flush(t, f, 0); rep.Sent != 1 {
		t.Fatalf("flush after the restart: %+v\n%s", rep, p.LogPath)
	}
	it := f.item(invitationKey("JPN"))
	for _, addr := range jpn {
		msgs := d.WaitMessages(t, addr, "INBOX", 2, p.LogPath)
		if len(msgs) != 2 {
			t.Fatalf("%s holds %d messages, want the invitation twice", addr, len(msgs))
		}
		first, second := belowTrace(msgs[0].Raw), belowTrace(msgs[1].Raw)
		if !bytes.Equal(first, second) {
			t.Fatalf("%s: the two copies differ below the trace fields:\n%s", addr, firstLineDiff(first, second))
		}
		m, err := mail.ReadMessage(bytes.NewReader(msgs[1].Raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get("Message-Id"); got != it.MessageID {
			t.Errorf("%s: Message-ID %s, the outbox stored %s", addr, got, it.MessageID)
		}
		if n := bytes.Count(second, []byte("method=REQUEST")); n < 14 {
			t.Errorf("%s: %d calendar parts, want one per session", addr, n)
		}
	}
}

// belowTrace is raw without the trace fields at its top that Postfix and
// Dovecot add on delivery (Return-Path, Delivered-To, X-Original-To,
// Received, each with its continuation lines).
func belowTrace(raw []byte) []byte {
	for {
		line, rest, ok := bytes.Cut(raw, []byte("\r\n"))
		if !ok {
			return raw
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		switch strings.ToLower(string(name)) {
		case "return-path", "delivered-to", "x-original-to", "received":
		default:
			return raw
		}
		raw = rest
		for len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
			_, raw, _ = bytes.Cut(raw, []byte("\r\n"))
		}
	}
}

// firstLineDiff shows the first line where a and b differ.
func firstLineDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\r\n"), strings.Split(string(b), "\r\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n first: %q\nsecond: %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(al), len(bl))
}

// cutProxy relays SMTP on loopback to a server. On its first connection it
// passes the first end of data on and reads the server's reply to it,
// then closes both sides without passing that reply on: the server took
// the message, the client cannot know. Later connections are relayed
// whole.
type cutProxy struct {
	addr  string
	cut   atomic.Bool
	reply chan string // the reply withheld
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &cutProxy{addr: l.Addr().String(), reply: make(chan string, 1)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p
}

// withheld returns the server's reply to the end of data the proxy did
// not pass on.
func (p *cutProxy) withheld(t *testing.T) string {
	t.Helper()
	select {
	case r := <-p.reply:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy cut no end of data")
		return ""
	}
}

func (p *cutProxy) serve(client net.Conn, target string) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	cutting := p.cut.CompareAndSwap(false, true)
	if !cutting {
		go io.Copy(server, client)
		io.Copy(client, server)
		return
	}
	var eodSent atomic.Bool
	go func() {
		// Client to server, line by line: stop after the first end of
		// data.
		r := bufio.NewReader(client)
		inData := false
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				if inData && string(line) == ".\r\n" {
					eodSent.Store(true)
					server.Write(line)
					return
				}
				if !inData && strings.EqualFold(strings.TrimSpace(string(line)), "DATA") {
					inData = true
				}
				if _, werr := server.Write(line); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	// Server to client, reply line by line: the first reply read once the
	// end of data went is withheld, and both sides are closed.
	r := bufio.NewReader(server)
	for {
		line, err := r.ReadString('\n')
		if line != "" && eodSent.Load() {
			p.reply <- strings.TrimSpace(line)
			return
		}
		if line != "" {
			if _, werr := io.WriteString(client, line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
