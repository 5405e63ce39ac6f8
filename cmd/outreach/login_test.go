package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"outreach/admin"
	"outreach/internal/imaptest"
	"outreach/internal/smtptest"
)

// A wrong password must cost one login per hold, not a burst at every
// start: providers lock an account after some ten refusals.
func TestLoginRefusedHeldAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildOutreach(t)
	var smtpAuths atomic.Int64
	smtpSrv := smtptest.Start(t, smtptest.Hooks{Auth: func(string, string) error {
		smtpAuths.Add(1)
		return smtptest.Reply(535, [3]int{5, 7, 8}, "Authentication credentials invalid")
	}})
	imapSrv := imaptest.Start(t, organiserMailbox, daemonIMAPPassword)
	_, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, imapSrv.Addr, sock)
	runCLI(t, bin, cfg, "invite", "--mission", "JPN")
	n := listenNotify(t)

	health := func() admin.Health {
		a, err := admin.DialSocket(context.Background(), sock)
		if err != nil {
			return admin.Health{}
		}
		h, _ := a.Health(context.Background())
		return h
	}
	waitHeld := func(d *child, want int) admin.Health {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			h := health()
			if len(h.LoginHeld) == want {
				return h
			}
			if time.Now().After(deadline) {
				t.Fatalf("health never showed %d logins held: %+v\n%s", want, h, d.stderr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// First start: each server refuses once, and the daemon then waits,
	// however often it is woken (reminder sweep, intake, health checks).
	d := startDaemon(t, bin, cfg, n, "not-the-password", 5*time.Second)
	h := waitHeld(d, 2)
	time.Sleep(3 * time.Second)
	if got := smtpAuths.Load(); got != 1 {
		t.Errorf("SMTP AUTH attempts after the first start: %d, want 1", got)
	}
	if got := imapSrv.Logins(); got != 1 {
		t.Errorf("IMAP LOGIN attempts after the first start: %d, want 1", got)
	}
	if h.OK {
		t.Errorf("healthy while both logins are refused: %+v", h)
	}
	for _, l := range h.LoginHeld {
		if l.Failures != 1 || !l.Next.After(time.Now().Add(30*time.Second)) {
			t.Errorf("hold %+v: want 1 failure and the next attempt about a minute away", l)
		}
	}
	if !strings.Contains(h.LoginHeld[0].Err+h.LoginHeld[1].Err, "Authentication credentials invalid") {
		t.Errorf("the holds do not give the SMTP server's words: %+v", h.LoginHeld)
	}
	status := runCLI(t, bin, cfg, "status")
	for _, want := range []string{"SMTP LOGIN REFUSED by the server 1 time since", "IMAP LOGIN REFUSED by the server 1 time since"} {
		if !strings.Contains(status, want) {
			t.Errorf("status does not say %q:\n%s", want, status)
		}
	}
	d.stop(t, 20*time.Second)

	// A restart (systemd's Restart=, an operator) with the same
	// credentials tries neither server again before the hold ends.
	d = startDaemon(t, bin, cfg, n, "not-the-password", 5*time.Second)
	waitHeld(d, 2)
	time.Sleep(3 * time.Second)
	if got, gotIMAP := smtpAuths.Load(), imapSrv.Logins(); got != 1 || gotIMAP != 1 {
		t.Errorf("after a restart: %d SMTP AUTH and %d IMAP LOGIN attempts in all, want 1 and 1\n%s", got, gotIMAP, d.stderr)
	}
	d.stop(t, 20*time.Second)

	// The operator corrects the IMAP password and restarts: new
	// credentials are tried at once; the SMTP hold stays.
	d = startDaemon(t, bin, cfg, n, daemonIMAPPassword, 5*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		h = health()
		if len(h.LoginHeld) == 1 && h.LoginHeld[0].Service == "smtp" && !h.LastSync.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the corrected IMAP password was not used at once: %+v\n%s", h, d.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := imapSrv.Logins(); got != 2 {
		t.Errorf("IMAP LOGIN attempts after the correction: %d, want 2", got)
	}
	if got := smtpAuths.Load(); got != 1 {
		t.Errorf("SMTP AUTH attempts while its hold lasts: %d, want 1", got)
	}
	if strings.Contains(d.stderr.String(), daemonSMTPPassword) || strings.Contains(d.stderr.String(), daemonIMAPPassword) {
		t.Errorf("the daemon's log shows a password")
	}
	d.stop(t, 20*time.Second)
}
