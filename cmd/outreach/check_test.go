package main

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"outreach/internal/smtptest"
	"outreach/internal/testenv"
)

const (
	checkUser     = "rsvp@presessions.example"
	checkPassword = "Check-28-password"
)

// checkConfig writes a configuration for the servers at smtpAddr and
// imapAddr (clear text, loopback). With p, both sides log in with OAuth2
// tokens from p; otherwise with passwords from the environment.
func checkConfig(t *testing.T, smtpAddr, imapAddr string, p *testenv.OAuth2Provider) string {
	t.Helper()
	_, cfgPath := demoDir(t)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	sh, sp, _ := net.SplitHostPort(smtpAddr)
	ih, ip, _ := net.SplitHostPort(imapAddr)
	s = replaceOnce(t, s, "host = \"smtp.presessions.example\"\nport = 587\ntls = \"starttls\"", fmt.Sprintf("host = %q\nport = %s\ntls = \"plain\"", sh, sp))
	s = replaceOnce(t, s, "host = \"imap.presessions.example\"\nport = 993\ntls = \"tls\"", fmt.Sprintf("host = %q\nport = %s\ntls = \"plain\"", ih, ip))
	if p == nil {
		s = replaceOnce(t, s, `password_file = "secrets/smtp-password"`, `password_env = "OUTREACH_TEST_CHECK_PASSWORD"`)
		s = replaceOnce(t, s, `password_file = "secrets/imap-password"`, `password_env = "OUTREACH_TEST_CHECK_PASSWORD"`)
	} else {
		s = replaceOnce(t, s, `password_file = "secrets/smtp-password"`, `auth = "oauth2"`)
		s = replaceOnce(t, s, `password_file = "secrets/imap-password"`, `auth = "oauth2"`)
		s += fmt.Sprintf("\n[oauth2]\ntoken_url = %q\nclient_id = %q\nclient_secret_env = \"OUTREACH_TEST_CHECK_SECRET\"\nscopes = [\"https://outlook.office365.com/.default\"]\n",
			p.TokenURL, p.ClientID)
		t.Setenv("OUTREACH_TEST_CHECK_SECRET", p.ClientSecret)
	}
	if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// On each folder layout, check reports the delimiter, the capabilities
// and the folders by their names on the server, creates none of them, and
// creates them with --create.
func TestCheckAgainstDovecotLayouts(t *testing.T) {
	want := map[testenv.Layout]struct{ delim, prefix, processed string }{
		testenv.LayoutSlash:       {`delimiter "/"`, `prefix ""`, "outreach/processed"},
		testenv.LayoutDebian:      {`delimiter "."`, `prefix ""`, "outreach.processed"},
		testenv.LayoutINBOXPrefix: {`delimiter "."`, `prefix "INBOX."`, "INBOX.outreach.processed"},
	}
	t.Setenv("OUTREACH_TEST_CHECK_PASSWORD", checkPassword)
	for _, layout := range testenv.Layouts {
		t.Run(layout.String(), func(t *testing.T) {
			d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: layout}, testenv.User{Name: checkUser, Password: checkPassword})
			var auths []string
			srv := smtptest.Start(t, smtptest.Hooks{Auth: func(u, p string) error {
				auths = append(auths, u)
				if p != checkPassword {
					return smtptest.Reply(535, [3]int{5, 7, 8}, "bad password")
				}
				return nil
			}})
			cfg := checkConfig(t, srv.Addr, d.Addr, nil)
			w := want[layout]

			out, errs, code := outreachCmd(t, "--config", cfg, "check")
			if code != 0 {
				t.Fatalf("check: exit %d\n%s%s", code, out, errs)
			}
			for _, s := range []string{"SMTP " + srv.Addr, "login: PLAIN as " + checkUser + ", accepted", "IMAP " + d.Addr,
				"login: LOGIN as " + checkUser, w.delim, w.prefix, "IDLE yes", "MOVE yes", "UIDPLUS yes", "CONDSTORE yes",
				"folder outreach/processed → " + w.processed + ": missing", "All good"} {
				if !strings.Contains(out, s) {
					t.Errorf("check output lacks %q:\n%s", s, out)
				}
			}
			if srv.Count() != 0 || len(auths) != 1 {
				t.Errorf("check sent %d messages and authenticated %d times, want 0 and 1", srv.Count(), len(auths))
			}
			if got := d.Subscribed(t, checkUser); slices.Contains(got, w.processed) {
				t.Fatalf("check without --create created %s: %q", w.processed, got)
			}

			out, errs, code = outreachCmd(t, "--config", cfg, "check", "--create")
			if code != 0 || !strings.Contains(out, "folder outreach/processed → "+w.processed+": created") {
				t.Fatalf("check --create: exit %d\n%s%s", code, out, errs)
			}
			if got := d.Subscribed(t, checkUser); !slices.Contains(got, w.processed) {
				t.Fatalf("after --create, subscribed folders %q lack %s", got, w.processed)
			}
			out, _, _ = outreachCmd(t, "--config", cfg, "check")
			if !strings.Contains(out, "folder outreach/review → "+strings.Replace(w.processed, "processed", "review", 1)+": exists") {
				t.Errorf("second check:\n%s", out)
			}
		})
	}
}

// With auth = "oauth2", check logs in to Postfix (SASL by Dovecot) and to
// Dovecot with XOAUTH2 and a token from the provider.
func TestCheckOAuth2(t *testing.T) {
	p := testenv.StartOAuth2Provider(t, checkUser, time.Hour)
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: testenv.LayoutDebian, OAuth2Introspection: p.IntrospectionURL},
		testenv.User{Name: checkUser, Password: checkPassword})
	pf := testenv.StartPostfix(t, d)
	cfg := checkConfig(t, pf.SubmissionAddr, d.Addr, p)

	out, errs, code := outreachCmd(t, "--config", cfg, "check")
	if code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
	if n := strings.Count(out, "login: XOAUTH2 as "+checkUser+", accepted"); n != 2 {
		t.Fatalf("want an XOAUTH2 login on both sides:\n%s", out)
	}
	if got := len(p.Checked()); got != 2 {
		t.Errorf("Dovecot checked %d tokens, want 2 (SMTP through Postfix, IMAP)", got)
	}

	p.Revoke()
	out, errs, code = outreachCmd(t, "--config", cfg, "check")
	if code != 1 || !strings.Contains(errs, "Token has been expired or revoked.") {
		t.Fatalf("check with revoked access: exit %d, want 1 with the provider's words\n%s%s", code, out, errs)
	}
}

// A wrong password: exit status 1 and each server's own words.
func TestCheckWrongPassword(t *testing.T) {
	d := testenv.StartDovecot(t, testenv.User{Name: checkUser, Password: checkPassword})
	srv := smtptest.Start(t, smtptest.Hooks{Auth: func(string, string) error {
		return smtptest.Reply(535, [3]int{5, 7, 8}, "Authentication credentials invalid")
	}})
	cfg := checkConfig(t, srv.Addr, d.Addr, nil)
	t.Setenv("OUTREACH_TEST_CHECK_PASSWORD", "not-the-password")
	out, errs, code := outreachCmd(t, "--config", cfg, "check")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	for _, s := range []string{"535 5.7.8 Authentication credentials invalid", "AUTHENTICATIONFAILED", "Authentication failed"} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks the server's words %q:\n%s", s, errs)
		}
	}
}

// The certificate line says whom it names, who issued it, and how long it
// has left, or that it has expired.
func TestCheckPrintsCertificate(t *testing.T) {
	cert := &x509.Certificate{
		Subject:  pkix.Name{CommonName: "outlook.office365.com", Organization: []string{"Microsoft Corporation"}},
		Issuer:   pkix.Name{CommonName: "DigiCert Cloud Services CA-1"},
		NotAfter: time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC),
		DNSNames: []string{"outlook.office365.com", "*.outlook.com"},
	}
	var b strings.Builder
	printCert(&b, cert, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	for _, want := range []string{"certificate: CN=outlook.office365.com,O=Microsoft Corporation, issued by CN=DigiCert Cloud Services CA-1",
		"valid until 2027-01-04 12:00 UTC (in 30 days)", "certificate names: outlook.office365.com, *.outlook.com"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printCert(&b, cert, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	if !strings.Contains(b.String(), "(EXPIRED)") {
		t.Errorf("expired certificate not said so:\n%s", b.String())
	}
}
