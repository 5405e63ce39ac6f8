package crashtest

import (
	"os"
	"strings"
	"testing"
	"time"

	"outreach/internal/smtptest"
)

// TestSecretsStayOutOfCLIErrors makes every command that uses a password
// fail — the SMTP server refuses the login, the IMAP server refuses the
// password, a password is written inline in the configuration — and checks
// that the errors name the problem and never the password. (The daemon's
// logs are checked by every crash test and by cmd/outreach's daemon
// tests.)
func TestSecretsStayOutOfCLIErrors(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Hooks{Auth: func(string, string) error {
		return smtptest.Reply(535, [3]int{5, 7, 8}, "Authentication credentials invalid")
	}})
	im := startIMAP(t)
	wrong := secret() // not im.password: the IMAP login is refused
	e := newEnv(t, srv.Addr, im.addr, 1, wrong)
	e.mustCLI("invite", "--mission", "AFG")
	secrets := []string{e.smtpPassword, wrong, im.password}

	check := func(what string, wantInError string, args ...string) {
		t.Helper()
		out, errs, err := e.cli(args...)
		if err == nil {
			t.Errorf("%s: succeeded, want a failure\n%s%s", what, out, errs)
			return
		}
		if !strings.Contains(strings.ToLower(errs), wantInError) {
			t.Errorf("%s: error does not say %q:\n%s", what, wantInError, errs)
		}
		for _, pw := range secrets {
			if strings.Contains(out+errs, pw) {
				t.Errorf("%s: the output contains a password:\n%s%s", what, out, errs)
			}
		}
	}
	check("outbox flush with the SMTP login refused", "535", "outbox", "flush")
	check("inbox sync with the IMAP password refused", "imap", "inbox", "sync")

	// The daemon with both logins refused: it keeps running and says so,
	// without the passwords.
	d := e.start()
	e.waitReady(d)
	deadline := time.Now().Add(20 * time.Second)
	for {
		raw, _ := os.ReadFile(e.logPath)
		if strings.Contains(string(raw), "535") && strings.Contains(string(raw), "inbox: the server refused the login") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not log both refused logins:\n%s", e.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.stop(d)
	e.assertNoSecrets()
	raw, _ := os.ReadFile(e.logPath)
	if strings.Contains(string(raw), im.password) {
		t.Error("the daemon's log contains the IMAP server's real password")
	}

	// A password written in the configuration is refused by name, and its
	// value is not repeated.
	inline := secret()
	raw, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), `password_file = "secrets/smtp-password"`, `password = "`+inline+`"`, 1)
	if cfg == string(raw) {
		t.Fatal("no smtp.password_file line to replace")
	}
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, inline)
	check("status with smtp.password inline", "smtp.password", "status")
	check("run with smtp.password inline", "smtp.password", "run")
}
