package testenv

import (
	"bytes"
	"fmt"
	"net/mail"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPostfixDeliversToDovecot(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp, mission)
	p := StartPostfix(t, d)
	t.Logf("dovecot started in %v, postfix in %v", d.StartupTime(), p.StartupTime())

	raw := testMessage("Invitation Japan")
	if err := smtp.SendMail(p.Addr, nil, rsvp.Name, []string{mission.Name}, raw); err != nil {
		t.Fatalf("send through postfix: %v\n%s", err, tail(p.LogPath, 4000))
	}
	msgs := d.WaitMessages(t, mission.Name, "INBOX", 1, p.LogPath)
	if len(msgs) != 1 {
		t.Fatalf("mission INBOX holds %d messages, want 1", len(msgs))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Subject"); got != "Invitation Japan" {
		t.Errorf("Subject = %q", got)
	}
	if got := m.Header.Get("Return-Path"); got != "<"+rsvp.Name+">" {
		t.Errorf("Return-Path = %q, want the envelope sender", got)
	}
	if got := m.Header.Get("Delivered-To"); got != mission.Name {
		t.Errorf("Delivered-To = %q, want %s", got, mission.Name)
	}
	if q := p.WaitQueueEmpty(t); len(q) != 0 {
		t.Errorf("queue not empty after delivery: %v", q)
	}
	if got := d.Messages(t, rsvp.Name, "INBOX"); len(got) != 0 {
		t.Errorf("sender INBOX holds %d messages, want 0", len(got))
	}
}

func TestPostfixBouncesUnknownRecipientToSender(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	p := StartPostfix(t, d)

	if err := smtp.SendMail(p.Addr, nil, rsvp.Name, []string{"nobody@civ.example"}, testMessage("Invitation Ghana")); err != nil {
		t.Fatalf("postfix refused at SMTP time (%v); by default it should accept and bounce", err)
	}
	msgs := d.WaitMessages(t, rsvp.Name, "INBOX", 1, p.LogPath)
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	ct := m.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/report") || !strings.Contains(ct, "report-type=delivery-status") {
		t.Errorf("bounce Content-Type = %q, want an RFC 3464 multipart/report", ct)
	}
	if got := m.Header.Get("Return-Path"); got != "<>" {
		t.Errorf("bounce Return-Path = %q, want the null sender <>", got)
	}
	body := string(msgs[0].Raw)
	for _, want := range []string{
		"Final-Recipient: rfc822; nobody@civ.example",
		"Action: failed",
		"Status: 5.1.1",
		"Subject: Invitation Ghana", // the returned original
	} {
		if !strings.Contains(body, want) {
			t.Errorf("bounce lacks %q", want)
		}
	}
}

func TestPostfixRejectsUnknownRecipientWhenAsked(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp, mission)
	p := StartPostfix(t, d, RejectUnknownRecipients())

	err := smtp.SendMail(p.Addr, nil, rsvp.Name, []string{"nobody@civ.example"}, testMessage("x"))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("unknown recipient: err = %v, want a 550 at RCPT", err)
	}
	// Known users, with or without a +detail, still get their mail.
	if err := smtp.SendMail(p.Addr, nil, mission.Name, []string{"rsvp+jpn.civ@presessions.example"}, testMessage("reply")); err != nil {
		t.Fatalf("known recipient refused: %v\n%s", err, tail(p.LogPath, 4000))
	}
	d.WaitMessages(t, rsvp.Name, "INBOX", 1, p.LogPath)
}

func TestPostfixRefusesRelayOutsideExample(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	p := StartPostfix(t, d)
	for _, rcpt := range []string{"someone@gmail.com", "x@example.org", "y@civ.example.com"} {
		err := smtp.SendMail(p.Addr, nil, rsvp.Name, []string{rcpt}, testMessage("x"))
		if err == nil || !strings.Contains(err.Error(), "554") {
			t.Errorf("relay to %s: err = %v, want 554 Relay access denied", rcpt, err)
		}
	}
}

func TestPostfixSubmissionAuthenticatesThroughDovecot(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp, mission)
	p := StartPostfix(t, d, PostfixSetting("smtpd_banner", "$myhostname ESMTP submission test"))

	if err := smtp.SendMail(p.SubmissionAddr, nil, rsvp.Name, []string{mission.Name}, testMessage("anonymous")); err == nil {
		t.Error("submission accepted mail without AUTH")
	}
	bad := smtp.PlainAuth("", rsvp.Name, "wrong", "127.0.0.1")
	if err := smtp.SendMail(p.SubmissionAddr, bad, rsvp.Name, []string{mission.Name}, testMessage("bad")); err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: err = %v, want 535", err)
	}
	good := smtp.PlainAuth("", rsvp.Name, rsvp.Password, "127.0.0.1")
	if err := smtp.SendMail(p.SubmissionAddr, good, rsvp.Name, []string{mission.Name}, testMessage("authenticated")); err != nil {
		t.Fatalf("authenticated submission: %v\n%s", err, tail(p.LogPath, 4000))
	}
	msgs := d.WaitMessages(t, mission.Name, "INBOX", 1, p.LogPath)
	if len(msgs) != 1 || !bytes.Contains(msgs[0].Raw, []byte("Subject: authenticated")) {
		t.Errorf("mission INBOX holds %d messages; want only the authenticated one", len(msgs))
	}

	c, err := smtp.Dial(p.SubmissionAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, mechs := c.Extension("AUTH"); !ok || !strings.Contains(mechs, "PLAIN") {
		t.Errorf("submission offers AUTH %q, want PLAIN", mechs)
	}
}

// Mail sent while Dovecot is down waits in Postfix's queue and is delivered
// once Dovecot is back: the queue is real, not a pass-through.
func TestPostfixQueuesWhileDovecotIsDown(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp, mission)
	p := StartPostfix(t, d)

	d.Stop()
	if err := smtp.SendMail(p.Addr, nil, rsvp.Name, []string{mission.Name}, testMessage("while down")); err != nil {
		t.Fatalf("postfix refused mail while dovecot is down: %v", err)
	}
	deadline := time.Now().Add(startTimeout)
	for !strings.Contains(tail(p.LogPath, 8000), "status=deferred") {
		if time.Now().After(deadline) {
			t.Fatalf("no deferral logged\n%s", tail(p.LogPath, 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if q := p.Queue(t); len(q) != 1 {
		t.Errorf("queue holds %v, want one message", q)
	}

	d.Restart(t)
	p.Flush(t)
	msgs := d.WaitMessages(t, mission.Name, "INBOX", 1, p.LogPath)
	if len(msgs) != 1 {
		t.Errorf("mission INBOX holds %d messages, want 1", len(msgs))
	}
}

func TestPostfixStopLeavesNoProcess(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	p := StartPostfix(t, d)
	if pids := instanceProcesses(p.processes); len(pids) < 2 {
		t.Fatalf("found %d processes of the running instance; the leftover check would see nothing", len(pids))
	}
	p.Stop()
	if pids := instanceProcesses(p.processes); len(pids) != 0 {
		t.Errorf("processes %v still run after Stop", pids)
	}
	if smtpReady(p.Addr) {
		t.Errorf("%s still answers after Stop", p.Addr)
	}
	p.Stop()
}

// Two complete setups side by side: each delivers only to its own Dovecot.
func TestInstancesDoNotClash(t *testing.T) {
	t.Parallel()
	type setup struct {
		d *Dovecot
		p *Postfix
	}
	var (
		mu     sync.Mutex
		setups = map[string]setup{}
		sent   sync.WaitGroup // both instances have delivered their own message
	)
	sent.Add(2)
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var once sync.Once
			done := func() { once.Do(sent.Done) }
			defer done() // a failed subtest must not leave the other waiting
			d := StartDovecot(t, rsvp, mission)
			p := StartPostfix(t, d)
			mu.Lock()
			setups[name] = setup{d, p}
			mu.Unlock()
			subject := fmt.Sprintf("to the %s instance", name)
			if err := smtp.SendMail(p.Addr, nil, rsvp.Name, []string{mission.Name}, testMessage(subject)); err != nil {
				t.Fatal(err)
			}
			d.WaitMessages(t, mission.Name, "INBOX", 1, p.LogPath)
			// The other instance's message must never show up here; give it
			// time to go astray before counting.
			done()
			sent.Wait()
			p.Flush(t)
			msgs := d.Messages(t, mission.Name, "INBOX")
			if len(msgs) != 1 || !bytes.Contains(msgs[0].Raw, []byte(subject)) {
				t.Errorf("%s instance holds %d messages, want only its own", name, len(msgs))
			}
		})
	}
	t.Cleanup(func() {
		a, b := setups["first"], setups["second"]
		if a.d == nil || b.d == nil {
			return
		}
		if a.d.Addr == b.d.Addr || a.p.Addr == b.p.Addr || a.d.LMTPSocket == b.d.LMTPSocket || a.p.Dir == b.p.Dir {
			t.Errorf("instances share addresses or folders: %+v %+v", a, b)
		}
	})
}
