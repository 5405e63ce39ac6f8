package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"outreach/config"
	"outreach/jobs"
	"outreach/mailer"
	"outreach/mailer/inbox"
	"outreach/mailer/sasloauth"
	"outreach/templates"
)

// tlsConfig returns a TLS configuration trusting the system roots plus
// caFile, or nil for the defaults.
func tlsConfig(cfg *config.Config, key, caFile, host string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(cfg.Resolve(caFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", key, caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}

// oauthLogin builds the OAuth2 login of [oauth2]: a refresh token when
// one is configured, the client credentials grant otherwise. Tokens are
// cached in memory and renewed before they expire.
func oauthLogin(cfg *config.Config) (*sasloauth.Login, error) {
	o := cfg.OAuth2
	secret, err := cfg.OAuth2ClientSecret()
	if err != nil {
		return nil, err
	}
	refresh, err := cfg.OAuth2RefreshToken()
	if err != nil {
		return nil, err
	}
	// The token endpoint gets the same patience as a mail server.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient,
		&http.Client{Timeout: max(cfg.SMTP.Timeout.D, cfg.IMAP.Timeout.D)})
	var ts oauth2.TokenSource
	if refresh != "" {
		ts = sasloauth.RefreshToken(ctx, o.TokenURL, o.ClientID, secret, refresh, o.Scopes...)
	} else {
		ts = sasloauth.ClientCredentials(ctx, o.TokenURL, o.ClientID, secret, o.Scopes...)
	}
	return &sasloauth.Login{Mechanism: o.Mechanism, Tokens: ts}, nil
}

// loginSecret is what a side logs in with, for the login gate to notice
// a change of credentials: the password, or for OAuth2 the client, its
// secret and the refresh token. Unreadable secrets count as none.
func loginSecret(cfg *config.Config, auth string, password func() (string, error)) string {
	if auth != "oauth2" {
		pw, _ := password()
		return pw
	}
	secret, _ := cfg.OAuth2ClientSecret()
	refresh, _ := cfg.OAuth2RefreshToken()
	return strings.Join([]string{cfg.OAuth2.TokenURL, cfg.OAuth2.ClientID, secret, refresh}, "\x00")
}

// newSender builds the SMTP client from [smtp].
func (c *cli) newSender(cfg *config.Config) (*mailer.Sender, error) {
	var pw string
	var login *sasloauth.Login
	var err error
	if cfg.SMTP.Auth == "oauth2" {
		login, err = oauthLogin(cfg)
	} else {
		pw, err = cfg.SMTPPassword()
	}
	if err != nil {
		return nil, err
	}
	mode := map[string]mailer.TLSMode{"starttls": mailer.StartTLS, "tls": mailer.ImplicitTLS, "plain": mailer.Plain}[cfg.SMTP.TLS]
	tc, err := tlsConfig(cfg, "smtp.ca_file", cfg.SMTP.CAFile, cfg.SMTP.Host)
	if err != nil {
		return nil, err
	}
	return mailer.New(mailer.Options{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, TLS: mode, TLSConfig: tc,
		Username: cfg.SMTP.Username, Password: pw, OAuth2: login, HELO: cfg.SMTP.HELO, Timeout: cfg.SMTP.Timeout.D, Logger: c.log})
}

// engineOptions builds the engine's options from the configuration (nil
// when reading a store without one). Templates that fail to load are
// reported by the operations that need them, not by every command.
func (c *cli) engineOptions(cfg *config.Config) jobs.Options {
	opts := jobs.Options{Logger: c.log, Clock: c.clock}
	// Without a configuration (--store on a copy), times read in the
	// default zone of the event, not in UTC.
	opts.Event.Location = config.DefaultLocation()
	dir := ""
	if cfg != nil {
		opts.Event = cfg.OutreachEvent()
		opts.Connections = cfg.SMTP.Connections
		opts.Limits = jobs.Limits{PerMinute: cfg.SMTP.PerMinute, PerDay: cfg.SMTP.PerDay}
		opts.Schedule = jobs.ScheduleFrom(cfg.Reminders)
		opts.PageURL = cfg.Web.PublicURL
		dir = cfg.TemplatesDir()
	}
	opts.Templates, opts.TemplatesErr = templates.Load(dir)
	return opts
}

// newWatcher builds the IMAP watcher from [imap], handing messages to e.
// gate, when not nil, holds logins back after the server refused them.
func (c *cli) newWatcher(cfg *config.Config, e *jobs.Engine, gate inbox.LoginGate) (*inbox.Watcher, error) {
	opts, err := c.watcherOptions(cfg)
	if err != nil {
		return nil, err
	}
	opts.Gate = gate
	im := cfg.IMAP
	folders := jobs.Folders{Processed: im.Processed, Review: im.Review, Bounces: im.Bounces}
	return inbox.NewWatcher(opts, e.Intake(im.Mailbox, folders))
}

// watcherOptions are the IMAP watcher's options from [imap].
func (c *cli) watcherOptions(cfg *config.Config) (inbox.Options, error) {
	var pw string
	var login *sasloauth.Login
	var err error
	if cfg.IMAP.Auth == "oauth2" {
		login, err = oauthLogin(cfg)
	} else {
		pw, err = cfg.IMAPPassword()
	}
	if err != nil {
		return inbox.Options{}, err
	}
	mode := map[string]inbox.TLSMode{"tls": inbox.ImplicitTLS, "starttls": inbox.StartTLS, "plain": inbox.Plain}[cfg.IMAP.TLS]
	tc, err := tlsConfig(cfg, "imap.ca_file", cfg.IMAP.CAFile, cfg.IMAP.Host)
	if err != nil {
		return inbox.Options{}, err
	}
	im := cfg.IMAP
	return inbox.Options{
		Addr: net.JoinHostPort(im.Host, strconv.Itoa(im.Port)), TLS: mode, TLSConfig: tc,
		Username: im.Username, Password: pw, OAuth2: login, Mailbox: im.Mailbox,
		Folders:      []string{im.Processed, im.Review, im.Bounces},
		PollInterval: im.PollInterval.D, IdleRestart: im.IdleRestart.D, CommandTimeout: im.Timeout.D,
		Logger: c.log,
	}, nil
}
