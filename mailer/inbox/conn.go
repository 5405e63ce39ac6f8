package inbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"outreach/mailer/sasloauth"
)

// session is one logged-in connection with the mailbox selected.
type session struct {
	w *Watcher
	c *imapclient.Client

	// wake receives a token when the server announces EXISTS. It is filled
	// from the client's reader goroutine, which must never block and never
	// issue commands.
	wake chan struct{}

	canIdle     bool
	canMove     bool
	canKeyword  bool // PERMANENTFLAGS allows FiledKeyword
	uidValidity uint32

	// The server's folder layout (see folders.go): hierarchy delimiter (0
	// for none), personal namespace prefix, and the configured folders
	// prepared on this connection, by configured name.
	canSpecialUse bool
	delim         rune
	prefix        string
	names         map[string]string
	// unfiled counts messages left in place because their folder does
	// not work.
	unfiled int
	// inspect: a connection of Inspect, which creates and selects nothing.
	inspect bool
	caps    imap.CapSet
	// tlsState is the TLS connection's state, nil in clear text.
	tlsState *tls.ConnectionState
	// mech is the SASL mechanism the session logged in with, "" for
	// LOGIN.
	mech string

	// refiled is set once this connection has looked for recorded messages
	// left unfiled (see session.refile).
	refiled bool
}

// guard runs fn, a blocking exchange with the server. When the server does
// not answer within timeout (counted again from each kick), or ctx ends, it
// closes conn, which unblocks fn: go-imap has no timeouts of its own for a
// silent server.
func guard(ctx context.Context, conn io.Closer, timeout time.Duration, op string, fn func(kick func()) error) error {
	var timedOut atomic.Bool
	t := time.AfterFunc(timeout, func() {
		timedOut.Store(true)
		conn.Close()
	})
	stopCtx := context.AfterFunc(ctx, func() { conn.Close() })
	err := fn(func() { t.Reset(timeout) })
	t.Stop()
	stopCtx()
	switch {
	case timedOut.Load():
		return fmt.Errorf("inbox: %s: %w", op, timeoutError{timeout})
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("inbox: %s: %w", op, ctx.Err())
	default:
		return fmt.Errorf("inbox: %s: %w", op, err)
	}
}

// timeoutError is the watchdog's error; it matches ErrTimeout.
type timeoutError struct{ after time.Duration }

func (e timeoutError) Error() string {
	return fmt.Sprintf("no answer from server within %v, connection closed", e.after)
}

func (e timeoutError) Is(target error) bool { return target == ErrTimeout }

// do runs one command under the watchdog.
func (s *session) do(ctx context.Context, op string, fn func(kick func()) error) error {
	return guard(ctx, s.c, s.w.opts.CommandTimeout, op, fn)
}

// open connects, logs in, creates the folders (once per Watcher) and selects
// the mailbox.
func (w *Watcher) open(ctx context.Context) (*session, error) {
	return w.openSession(ctx, false)
}

// openSession is open; inspect logs in and reads the folder layout only
// (no folder created, no mailbox selected), for Inspect.
func (w *Watcher) openSession(ctx context.Context, inspect bool) (*session, error) {
	s := &session{w: w, wake: make(chan struct{}, 1), names: make(map[string]string), inspect: inspect}
	copts := &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages == nil {
					return
				}
				select {
				case s.wake <- struct{}{}:
				default:
				}
			},
		},
	}

	dialCtx, cancel := context.WithTimeout(ctx, w.opts.CommandTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(dialCtx, "tcp", w.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("inbox: connect: %w", err)
	}
	// Keep the TLS state (certificate, version) for Inspect.
	keepState := func(cfg *tls.Config) *tls.Config {
		verify := cfg.VerifyConnection
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if verify != nil {
				if err := verify(cs); err != nil {
					return err
				}
			}
			s.tlsState = &cs
			return nil
		}
		return cfg
	}
	switch w.opts.TLS {
	case ImplicitTLS:
		cfg := keepState(w.tlsConfig())
		if cfg.NextProtos == nil {
			cfg.NextProtos = []string{"imap"}
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(dialCtx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("inbox: TLS handshake: %w", err)
		}
		s.c = imapclient.New(tc, copts)
	case StartTLS:
		copts.TLSConfig = keepState(w.tlsConfig())
		err := guard(ctx, raw, w.opts.CommandTimeout, "STARTTLS", func(func()) error {
			var err error
			s.c, err = imapclient.NewStartTLS(raw, copts)
			return err
		})
		if err != nil {
			raw.Close()
			return nil, err
		}
	default:
		s.c = imapclient.New(raw, copts)
	}

	if err := s.setup(ctx); err != nil {
		s.c.Close()
		return nil, err
	}
	return s, nil
}

func (w *Watcher) tlsConfig() *tls.Config {
	cfg := new(tls.Config)
	if w.opts.TLSConfig != nil {
		cfg = w.opts.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(w.opts.Addr)
		cfg.ServerName = host
	}
	return cfg
}

func (s *session) setup(ctx context.Context) error {
	w := s.w
	if err := s.do(ctx, "read greeting", func(func()) error { return s.c.WaitGreeting() }); err != nil {
		return err
	}
	if s.c.State() == imap.ConnStateNotAuthenticated {
		if err := s.login(ctx); err != nil {
			return err
		}
	}
	if g := w.opts.Gate; g != nil {
		g.Accepted()
	}
	var caps imap.CapSet
	err := s.do(ctx, "read capabilities", func(func()) error {
		if caps = s.c.Caps(); caps == nil {
			return errors.New("no CAPABILITY answer")
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.caps = caps
	s.canIdle = caps.Has(imap.CapIdle)
	s.canMove = caps.Has(imap.CapMove)

	s.canSpecialUse = caps.Has(imap.CapSpecialUse)
	if err := s.readLayout(ctx, caps); err != nil {
		return err
	}
	mailbox, err := s.serverName(w.opts.Mailbox)
	if err != nil {
		return fmt.Errorf("inbox: mailbox: %w", err)
	}
	if s.inspect {
		return nil
	}
	if err := s.prepareFolders(ctx); err != nil {
		return err
	}

	var sel *imap.SelectData
	err = s.do(ctx, "select "+mailbox, func(func()) error {
		var err error
		sel, err = s.c.Select(mailbox, nil).Wait()
		return err
	})
	if err != nil {
		return err
	}
	s.uidValidity = sel.UIDValidity
	for _, f := range sel.PermanentFlags {
		if f == imap.FlagWildcard || strings.EqualFold(string(f), FiledKeyword) {
			s.canKeyword = true
		}
	}
	w.log.Info("imap connected",
		slog.Uint64("uidvalidity", uint64(sel.UIDValidity)),
		slog.Uint64("messages", uint64(sel.NumMessages)),
		slog.Bool("idle", s.canIdle), slog.Bool("move", s.canMove))
	return nil
}

// login logs in with LOGIN and the password, or with AUTHENTICATE and an
// OAuth2 access token.
func (s *session) login(ctx context.Context) error {
	w := s.w
	if w.opts.OAuth2 == nil {
		err := s.do(ctx, "log in", func(func()) error {
			return s.c.Login(w.opts.Username, w.opts.Password).Wait()
		})
		var refused *imap.Error
		if errors.As(err, &refused) {
			return fmt.Errorf("%w: %w (user %q)", ErrLoginRefused, err, w.opts.Username)
		}
		if err != nil {
			return fmt.Errorf("%w (user %q)", err, w.opts.Username)
		}
		return nil
	}
	sc, err := sasloauth.NewClient(w.opts.OAuth2.Mechanism, w.opts.Username, w.opts.OAuth2.Tokens)
	if err != nil {
		if sasloauth.IsRefused(err) {
			return fmt.Errorf("%w: %w", ErrLoginRefused, err)
		}
		return fmt.Errorf("inbox: log in: %w", err)
	}
	s.mech = sc.Mechanism()
	var pre imap.CapSet
	if err := s.do(ctx, "read capabilities", func(func()) error { pre = s.c.Caps(); return nil }); err != nil {
		return err
	}
	if !pre.Has(imap.Cap("AUTH=" + sc.Mechanism())) {
		return fmt.Errorf("inbox: log in: the server does not offer AUTH=%s (it offers %s)", sc.Mechanism(), authCaps(pre))
	}
	err = s.do(ctx, "log in with "+sc.Mechanism(), func(func()) error {
		return s.c.Authenticate(imapSASL{sc})
	})
	if err == nil {
		return nil
	}
	why := sc.Refusal()
	if why != "" {
		err = fmt.Errorf("%w; the server's reason: %s", err, why)
	}
	var refused *imap.Error
	if errors.As(err, &refused) || why != "" {
		return fmt.Errorf("%w: %w (user %q)", ErrLoginRefused, err, w.opts.Username)
	}
	return fmt.Errorf("%w (user %q)", err, w.opts.Username)
}

// imapSASL adapts an OAuth2 SASL client to go-imap, which writes an
// empty response as "=": XOAUTH2's answer to a refusal is an empty line,
// so the exchange ends at the refusal instead, and the connection, left
// in the middle of AUTHENTICATE, is closed.
type imapSASL struct{ *sasloauth.Client }

func (c imapSASL) Next(challenge []byte) ([]byte, error) {
	resp, err := c.Client.Next(challenge)
	if err == nil && len(resp) == 0 {
		return nil, errors.New("the server refused the token")
	}
	return resp, err
}

// authCaps lists the AUTH= capabilities in caps.
func authCaps(caps imap.CapSet) string {
	var l []string
	for c := range caps {
		if strings.HasPrefix(string(c), "AUTH=") {
			l = append(l, string(c))
		}
	}
	if len(l) == 0 {
		return "no AUTH= mechanism"
	}
	slices.Sort(l)
	return strings.Join(l, " ")
}

// ensureFolder creates folder unless it exists.
func (s *session) ensureFolder(ctx context.Context, folder string) error {
	err := s.do(ctx, "create folder "+folder, func(func()) error {
		return s.c.Create(folder, nil).Wait()
	})
	if err == nil {
		s.w.log.Info("imap folder created", slog.String("folder", folder))
		return nil
	}
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return err
	}
	if ie.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	// Not every server says ALREADYEXISTS; look.
	var found bool
	lerr := s.do(ctx, "list folder "+folder, func(func()) error {
		l, err := s.c.List("", folder, nil).Collect()
		for _, m := range l {
			if m.Mailbox == folder {
				found = true
			}
		}
		return err
	})
	switch {
	case lerr != nil && !isNo(lerr):
		return lerr
	case found:
		return nil
	default:
		return err
	}
}

// close says goodbye within a short time and closes the connection.
func (s *session) close() {
	timeout := min(s.w.opts.CommandTimeout, maxLogoutTimeout)
	select {
	case <-s.c.Closed():
	default:
		_ = guard(context.Background(), s.c, timeout, "log out", func(func()) error {
			return s.c.Logout().Wait()
		})
	}
	s.c.Close()
}

// isNo reports whether err is the server refusing a command (NO or BAD) on a
// connection that still works.
func isNo(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie)
}
