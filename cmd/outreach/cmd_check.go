package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"outreach/config"
	"outreach/mailer/inbox"
)

// cmdCheck connects to the configured SMTP and IMAP servers with the
// configured credentials and reports what outreach will use there. It
// sends nothing, records nothing and, without --create, creates nothing.
func cmdCheck(c *cli, args []string) error {
	fs := c.flags("check", "", "Connect to the SMTP and IMAP servers with the configured credentials and report\n"+
		"the TLS certificate, how outreach logged in, the IMAP folder layout and\n"+
		"capabilities, and the folders replies are filed into. Nothing is sent or\n"+
		"recorded. Exit status 1 with the server's words when anything fails.")
	create := fs.Bool("create", false, "create the folders that are missing (and subscribe them)")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	cfg, err := config.Load(c.configPath)
	if err != nil {
		return err
	}
	smtpErr := c.checkSMTP(cfg)
	imapErr := c.checkIMAP(cfg, *create)
	switch {
	case smtpErr != nil && imapErr != nil:
		return fmt.Errorf("check: SMTP: %w; IMAP: %w", smtpErr, imapErr)
	case smtpErr != nil:
		return fmt.Errorf("check: SMTP: %w", smtpErr)
	case imapErr != nil:
		return fmt.Errorf("check: IMAP: %w", imapErr)
	}
	printf(c.stdout, "\nAll good: outreach can send and read mail with this configuration.\n")
	return nil
}

func (c *cli) checkSMTP(cfg *config.Config) error {
	printf(c.stdout, "SMTP %s (%s)\n", net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port)), cfg.SMTP.TLS)
	s, err := c.newSender(cfg)
	if err != nil {
		printf(c.stdout, "  failed: %v\n", err)
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, 2*cfg.SMTP.Timeout.D)
	defer cancel()
	conn, err := s.Dial(ctx)
	if err != nil {
		printf(c.stdout, "  failed: %v\n", err)
		return err
	}
	defer conn.Close()
	state, ok := conn.TLS()
	c.printTLS(state, ok)
	if m := conn.AuthMechanism(); m != "" {
		printf(c.stdout, "  login: %s as %s, accepted\n", m, cfg.SMTP.Username)
	} else {
		printf(c.stdout, "  login: none (no username configured)\n")
	}
	printf(c.stdout, "  sending limits: %d a minute, %d a day\n", cfg.SMTP.PerMinute, cfg.SMTP.PerDay)
	return nil
}

// discard is the handler of the watcher that check builds: Inspect reads
// no message, so it is never asked to record one.
type discard struct{}

func (discard) Checkpoint(context.Context) (inbox.Checkpoint, error) { return inbox.Checkpoint{}, nil }

func (discard) Handle(context.Context, inbox.Message) (string, error) {
	return "", errors.New("outreach check records no message")
}

func (c *cli) checkIMAP(cfg *config.Config, create bool) error {
	printf(c.stdout, "IMAP %s (%s)\n", net.JoinHostPort(cfg.IMAP.Host, strconv.Itoa(cfg.IMAP.Port)), cfg.IMAP.TLS)
	opts, err := c.watcherOptions(cfg)
	if err != nil {
		printf(c.stdout, "  failed: %v\n", err)
		return err
	}
	w, err := inbox.NewWatcher(opts, discard{})
	if err != nil {
		printf(c.stdout, "  failed: %v\n", err)
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, 4*cfg.IMAP.Timeout.D)
	defer cancel()
	in, err := w.Inspect(ctx, create)
	if err != nil && in.Auth == "" {
		printf(c.stdout, "  failed: %v\n", err)
		return err
	}
	c.printTLS(derefTLS(in.TLS))
	printf(c.stdout, "  login: %s as %s, accepted\n", in.Auth, cfg.IMAP.Username)
	delim := strconv.Quote(in.Delimiter)
	if in.Delimiter == "" {
		delim = "none (flat folders)"
	}
	printf(c.stdout, "  folder layout: delimiter %s, personal namespace prefix %q\n", delim, in.Prefix)
	caps := imap.CapSet{}
	for _, name := range in.Capabilities {
		caps[imap.Cap(name)] = struct{}{}
	}
	var have []string
	for _, name := range []imap.Cap{imap.CapIdle, imap.CapMove, imap.CapUIDPlus, imap.CapCondStore, imap.CapSpecialUse} {
		yes := "no"
		if caps.Has(name) {
			yes = "yes"
		}
		have = append(have, string(name)+" "+yes)
	}
	printf(c.stdout, "  capabilities: %s\n", strings.Join(have, ", "))
	if err != nil {
		printf(c.stdout, "  failed: %v\n", err)
		return err
	}
	printf(c.stdout, "  watched mailbox: %s\n", in.Mailbox)
	var problems []string
	missing := 0
	for _, f := range in.Folders {
		var what string
		switch {
		case f.Problem != "":
			what = "cannot be used: " + f.Problem
			problems = append(problems, f.Folder+": "+f.Problem)
		case f.Created:
			what = "created"
		case f.Exists:
			what = "exists"
		default:
			what = "missing (outreach creates it when it starts, or run `outreach check --create`)"
			missing++
		}
		name := f.Server
		if name == "" {
			name = "(no name on this server)"
		}
		printf(c.stdout, "  folder %s → %s: %s\n", f.Folder, name, what)
	}
	if len(problems) > 0 {
		return fmt.Errorf("folders outreach cannot file into: %s", strings.Join(problems, "; "))
	}
	return nil
}

func derefTLS(cs *tls.ConnectionState) (tls.ConnectionState, bool) {
	if cs == nil {
		return tls.ConnectionState{}, false
	}
	return *cs, true
}

// printTLS reports the TLS version and the server's certificate.
func (c *cli) printTLS(cs tls.ConnectionState, ok bool) {
	if !ok {
		printf(c.stdout, "  TLS: none (clear text, loopback only)\n")
		return
	}
	printf(c.stdout, "  TLS: %s\n", tls.VersionName(cs.Version))
	if len(cs.PeerCertificates) == 0 {
		return
	}
	printCert(c.stdout, cs.PeerCertificates[0], c.clock.Now())
}

func printCert(w io.Writer, cert *x509.Certificate, now time.Time) {
	left := cert.NotAfter.Sub(now)
	when := fmt.Sprintf("in %d days", int(left.Hours()/24))
	if left < 0 {
		when = "EXPIRED"
	}
	printf(w, "  certificate: %s, issued by %s, valid until %s (%s)\n",
		cert.Subject, cert.Issuer, cert.NotAfter.UTC().Format("2006-01-02 15:04 UTC"), when)
	if len(cert.DNSNames) > 0 {
		printf(w, "  certificate names: %s\n", strings.Join(cert.DNSNames, ", "))
	}
}
