package mailer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"outreach/message"
)

// chain sends msgs on c one after the other, each end of data carrying the
// next message's commands (FinishThen), and returns each outcome.
func chain(t *testing.T, c *Conn, msgs []*message.Message) []error {
	t.Helper()
	ctx := context.Background()
	errs := make([]error, len(msgs))
	p, err := c.Begin(ctx, msgs[0])
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	for i := range msgs {
		if i == len(msgs)-1 {
			errs[i] = p.Finish()
			break
		}
		var o *Opened
		o, errs[i] = p.FinishThen(ctx, msgs[i+1])
		if o == nil {
			t.Fatalf("message %d: the next did not go out (%v)", i, errs[i])
		}
		if p, err = o.Begin(); err != nil {
			for j := i + 1; j < len(msgs); j++ {
				errs[j] = err
			}
			return errs
		}
	}
	return errs
}

// TestFinishThenDeliversEachOnce: messages sent end of data to envelope
// arrive once each, in order, byte for byte, in one session.
func TestFinishThenDeliversEachOnce(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	var msgs []*message.Message
	for i := range 5 {
		m := invitation(100 + i)
		m.To = m.To[:1+i%2] // one recipient, then two: DATA with the envelope or after it
		msgs = append(msgs, m)
	}
	for i, err := range chain(t, c, msgs) {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	got := be.messages()
	if len(got) != len(msgs) {
		t.Fatalf("server recorded %d messages, want %d", len(got), len(msgs))
	}
	for i, m := range msgs {
		if !bytes.Equal(got[i].Data, render(t, m)) {
			t.Errorf("message %d arrived altered or out of order", i)
		}
		if len(got[i].To) != len(m.To) {
			t.Errorf("message %d: %d recipients, want %d", i, len(got[i].To), len(m.To))
		}
	}
	if n := be.sessionCount(); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
	if err := c.Send(context.Background(), simple("after")); err != nil {
		t.Fatalf("the connection does not carry a message after the chain: %v", err)
	}
}

// TestFinishThenRefusedMessageLeavesTheNextGoing: a message refused at its
// end of data fails alone; the next one, whose commands followed it, is
// delivered on the same connection, and the one after too (no RSET meets
// the next transaction's replies).
func TestFinishThenRefusedMessageLeavesTheNextGoing(t *testing.T) {
	be := &backend{}
	be.onData = func(_ *smtp.Conn, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("inv.r28.CIV.201@")) {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content refused"}
		}
		be.mu.Lock()
		be.msgs = append(be.msgs, received{Data: b})
		be.mu.Unlock()
		return nil
	}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	msgs := []*message.Message{invitation(200), invitation(201), invitation(202), invitation(203)}
	for _, m := range msgs {
		m.To = m.To[:1]
	}
	errs := chain(t, c, msgs)
	var me *Error
	if !errors.As(errs[1], &me) || me.Code != 554 || me.Op != OpDataEnd || me.Temporary {
		t.Fatalf("refused message: %v, want a permanent 554 at the end of data", errs[1])
	}
	for _, i := range []int{0, 2, 3} {
		if errs[i] != nil {
			t.Fatalf("message %d: %v", i, errs[i])
		}
	}
	got := be.messages()
	if len(got) != 3 || !bytes.Equal(got[1].Data, render(t, msgs[2])) || !bytes.Equal(got[2].Data, render(t, msgs[3])) {
		t.Fatalf("server recorded %d messages, want the three not refused, in order", len(got))
	}
	if c.Broken() {
		t.Fatal("connection broken by a refused message")
	}
}

// TestOpenedAbandonDeliversNothing: a transaction opened behind an end of
// data and given up is not delivered; the message before it is.
func TestOpenedAbandonDeliversNothing(t *testing.T) {
	be := &backend{}
	ts := startServer(t, be, serveClear, nil)
	c := mustDial(t, mustNew(t, plainOptions(ts.port)))
	first, second := simple("first"), simple("second")
	p, err := c.Begin(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	o, err := p.FinishThen(context.Background(), second)
	if err != nil || o == nil {
		t.Fatalf("FinishThen: %v, %v", o, err)
	}
	o.Abandon()
	o.Abandon() // a second call does nothing
	if !c.Broken() {
		t.Fatal("connection usable after Abandon")
	}
	if _, err := o.Begin(); err == nil {
		t.Fatal("Begin after Abandon succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for be.sessionCount() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if got := be.messages(); len(got) != 1 || !bytes.Equal(got[0].Data, render(t, first)) {
		t.Fatalf("server recorded %d messages, want only the first", len(got))
	}
}

// lineServer speaks just enough SMTP, one line at a time, to check
// what a client sends before it has a reply. serve gets the reader and the
// writer once the client has said EHLO; the server offers PIPELINING.
func lineServer(t *testing.T, serve func(r *bufio.Reader, w io.Writer) error) (port int, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			ch <- err
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(nc)
		fmt.Fprintf(nc, "220 scripted.test ESMTP\r\n")
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "EHLO") {
			ch <- fmt.Errorf("want EHLO, got %q (%v)", line, err)
			return
		}
		fmt.Fprintf(nc, "250-scripted.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
		ch <- serve(r, nc)
	}()
	return ln.Addr().(*net.TCPAddr).Port, ch
}

// expect reads the next line and checks its beginning.
func expect(r *bufio.Reader, prefix string) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("want %q: %w", prefix, err)
	}
	if !strings.HasPrefix(line, prefix) {
		return fmt.Errorf("got %q, want %q", strings.TrimSpace(line), prefix)
	}
	return nil
}

// content reads message content up to its end of data.
func content(r *bufio.Reader) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == ".\r\n" {
			return nil
		}
	}
}

// TestFinishThenSendsTheNextCommandsBeforeTheReply: the server reads the
// next message's MAIL, RCPT and DATA before it answers the end of data, as
// a server does with a pipelined group; a client that waited for the
// reply first would never see it.
func TestFinishThenSendsTheNextCommandsBeforeTheReply(t *testing.T) {
	port, done := lineServer(t, func(r *bufio.Reader, w io.Writer) error {
		for _, p := range []string{"MAIL FROM:", "RCPT TO:", "DATA"} {
			if err := expect(r, p); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "250 sender ok\r\n250 recipient ok\r\n354 go ahead\r\n")
		if err := content(r); err != nil {
			return err
		}
		// The end of data, and before its reply, the next transaction.
		for _, p := range []string{"MAIL FROM:", "RCPT TO:", "DATA"} {
			if err := expect(r, p); err != nil {
				return fmt.Errorf("before the reply to the end of data: %w", err)
			}
		}
		fmt.Fprintf(w, "250 first queued\r\n250 sender ok\r\n250 recipient ok\r\n354 go ahead\r\n")
		if err := content(r); err != nil {
			return err
		}
		fmt.Fprintf(w, "250 second queued\r\n")
		if err := expect(r, "QUIT"); err != nil {
			return err
		}
		fmt.Fprintf(w, "221 bye\r\n")
		return nil
	})
	o := plainOptions(port)
	o.Timeout = 3 * time.Second
	c := mustDial(t, mustNew(t, o))
	errs := chain(t, c, []*message.Message{simple("one"), simple("two")})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
}

// TestFinishThenConnectionLostAtTheEndOfData: when the connection dies
// after the end of data, before its reply, the message may have been
// delivered (a temporary error at the end of data), the next one did not
// go, and the connection is broken.
func TestFinishThenConnectionLostAtTheEndOfData(t *testing.T) {
	port, done := lineServer(t, func(r *bufio.Reader, w io.Writer) error {
		for _, p := range []string{"MAIL FROM:", "RCPT TO:", "DATA"} {
			if err := expect(r, p); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "250 sender ok\r\n250 recipient ok\r\n354 go ahead\r\n")
		return content(r) // and hang up without a reply
	})
	c := mustDial(t, mustNew(t, plainOptions(port)))
	p, err := c.Begin(context.Background(), simple("one"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := p.FinishThen(context.Background(), simple("two"))
	var me *Error
	if o != nil || !errors.As(err, &me) || !me.Temporary || me.Op != OpDataEnd {
		t.Fatalf("FinishThen: %v, %v; want no next transaction and a temporary error at the end of data", o, err)
	}
	if !c.Broken() {
		t.Fatal("connection usable after it was lost")
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
}
