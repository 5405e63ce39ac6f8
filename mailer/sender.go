// Package mailer is outreach's way out: it submits the messages package
// message composes over SMTP, reporting each outcome as a typed *Error that
// says whether a retry can help.
//
// Standards followed: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8314
// (implicit TLS), RFC 4954 (AUTH) and RFC 3463 (enhanced status codes).
//
// Messages are sent with
// go-mail's SMTP client (package github.com/wneessen/go-mail/smtp), driven
// command by command here rather than through go-mail's Client, for three
// reasons: every command gets its own deadline and the caller's context
// (go-mail sets one deadline per batch, which lapses on long batches); a
// refused recipient stops the transaction at once with that recipient in
// the error; and the bytes sent are exactly those Message.WriteTo writes.
package mailer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wneessen/go-mail/smtp"

	"outreach/internal/loopback"
	"outreach/mailer/sasloauth"
	"outreach/message"
)

// TLSMode says how the connection to the submission server is protected.
type TLSMode int

const (
	// StartTLS connects in clear text and upgrades with STARTTLS (RFC 3207)
	// before anything else is said; a server that does not offer STARTTLS
	// is refused. This is the default; port 587.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte (RFC 8314 §3); port 465.
	ImplicitTLS
	// Plain sends everything in clear text. It is refused unless the host
	// is a loopback address (127.0.0.0/8, ::1 or "localhost"), e.g. a local
	// relay or a test server; port 25.
	Plain
)

// String returns the mode's name.
func (m TLSMode) String() string {
	switch m {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit-tls"
	case Plain:
		return "plain"
	default:
		return "TLSMode(" + strconv.Itoa(int(m)) + ")"
	}
}

// DefaultTimeout is the deadline of each dial and each SMTP command when
// Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configures a Sender.
type Options struct {
	Host string
	Port int // 0: 587 for StartTLS, 465 for ImplicitTLS, 25 for Plain
	TLS  TLSMode
	// TLSConfig overrides the TLS settings, e.g. RootCAs to trust a private
	// CA. ServerName defaults to Host; InsecureSkipVerify is refused.
	TLSConfig *tls.Config
	// Username and Password enable AUTH (PLAIN, or LOGIN when the server
	// offers only that). The password is never logged nor put in an error.
	Username, Password string
	// OAuth2, instead of Password, authenticates Username with AUTH
	// XOAUTH2 or OAUTHBEARER (RFC 7628) and an access token from its
	// source, taken anew for each connection. A token refused by the
	// server or by the token endpoint is a permanent OpAuth error.
	OAuth2 *sasloauth.Login
	// HELO is the EHLO name (RFC 5321 §4.1.1.1): a fully qualified domain
	// name, since many servers refuse others. Default: os.Hostname().
	HELO    string
	Timeout time.Duration // per dial and per command; default DefaultTimeout
	Logger  *slog.Logger  // default: discard
}

// String describes the options without the password.
func (o Options) String() string {
	pw := ""
	if o.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{Host:%s Port:%d TLS:%s Username:%s Password:%s HELO:%s Timeout:%s}",
		o.Host, o.Port, o.TLS, o.Username, pw, o.HELO, o.Timeout)
}

// LogValue describes the options for slog without the password.
func (o Options) LogValue() slog.Value {
	return slog.StringValue(o.String())
}

// Sender holds validated options and dials connections. It is safe for
// concurrent use.
type Sender struct {
	opts Options
	addr string
	host string
	tls  *tls.Config
	log  *slog.Logger
}

// New validates opts, reporting every problem at once, and returns a Sender.
func New(opts Options) (*Sender, error) {
	var p problems
	host := strings.TrimSuffix(strings.TrimPrefix(opts.Host, "["), "]")
	p.checkAddress(&opts, host)
	p.checkAuth(opts)
	p.checkHELO(&opts)
	if opts.Timeout < 0 {
		p.bad("Timeout %s is negative", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	tlsConfig := p.tlsConfig(opts, host)
	if len(p) > 0 {
		msgs := make([]string, len(p))
		for i, err := range p {
			msgs[i] = err.Error()
		}
		return nil, fmt.Errorf("mailer: options: %s", strings.Join(msgs, "; "))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{
		opts: opts,
		addr: net.JoinHostPort(host, strconv.Itoa(opts.Port)),
		host: host,
		tls:  tlsConfig,
		log:  logger,
	}, nil
}

// problems are what is wrong with the options, all reported at once.
type problems []error

func (p *problems) bad(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

// checkAddress checks the host, the port (its default set by TLS mode) and
// the TLS mode: plain only to a loopback host.
func (p *problems) checkAddress(opts *Options, host string) {
	switch {
	case host == "":
		p.bad("Host is required")
	case strings.ContainsAny(host, " \t\r\n/:") && net.ParseIP(host) == nil:
		p.bad("Host %q is not a host name or address", opts.Host)
	}
	if opts.Port == 0 {
		switch opts.TLS {
		case ImplicitTLS:
			opts.Port = 465
		case Plain:
			opts.Port = 25
		default:
			opts.Port = 587
		}
	}
	if opts.Port < 1 || opts.Port > 65535 {
		p.bad("Port %d is out of range", opts.Port)
	}
	switch opts.TLS {
	case StartTLS, ImplicitTLS:
	case Plain:
		if host != "" && !loopback.Host(host) {
			if opts.Username != "" {
				p.bad("TLS mode plain with AUTH to %s would send the password in clear text; use StartTLS or ImplicitTLS", opts.Host)
			} else {
				p.bad("TLS mode plain is only allowed to a loopback host, not %s; use StartTLS or ImplicitTLS", opts.Host)
			}
		}
	default:
		p.bad("unknown TLS mode %d", int(opts.TLS))
	}
}

// checkAuth checks that one way to log in is given whole: a username with
// a password or with OAuth2, and no line breaks in either.
func (p *problems) checkAuth(opts Options) {
	if opts.Username == "" && opts.Password != "" {
		p.bad("Password is set without Username")
	}
	switch {
	case opts.OAuth2 != nil && opts.Password != "":
		p.bad("both Password and OAuth2 are set; give one way to authenticate")
	case opts.OAuth2 != nil && opts.Username == "":
		p.bad("OAuth2 is set without Username")
	case opts.OAuth2 != nil:
		if err := opts.OAuth2.Check(); err != nil {
			p.bad("%v", err)
		}
	case opts.Username != "" && opts.Password == "":
		p.bad("Username %q is set without Password", opts.Username)
	}
	if strings.ContainsAny(opts.Username, "\x00\r\n") {
		p.bad("Username contains NUL, CR or LF")
	}
	if strings.ContainsAny(opts.Password, "\x00\r\n") {
		p.bad("Password contains NUL, CR or LF")
	}
}

// checkHELO defaults the EHLO name to the host name and checks it.
func (p *problems) checkHELO(opts *Options) {
	if opts.HELO == "" {
		name, err := os.Hostname()
		if err != nil || name == "" {
			name = "localhost"
		}
		opts.HELO = name
	}
	for i := 0; i < len(opts.HELO); i++ {
		if c := opts.HELO[i]; c <= ' ' || c >= 0x7f {
			p.bad("HELO %q must be a domain or address literal without spaces", opts.HELO)
			break
		}
	}
}

// tlsConfig is the TLS configuration of the connections: the caller's, or
// the defaults, with the server name and TLS 1.2 at least; certificate
// checks cannot be turned off.
func (p *problems) tlsConfig(opts Options, host string) *tls.Config {
	tlsConfig := &tls.Config{}
	if opts.TLSConfig != nil {
		if opts.TLSConfig.InsecureSkipVerify {
			p.bad("TLSConfig.InsecureSkipVerify is not allowed; trust the server's CA with RootCAs instead")
		}
		tlsConfig = opts.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	if tlsConfig.MinVersion == 0 {
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	return tlsConfig
}

// Conn is one SMTP session, reused for many messages. It is safe for
// concurrent use, but sends one message at a time.
type Conn struct {
	sender  *Sender
	raw     net.Conn // the TCP connection; closing it interrupts any command
	client  *smtp.Client
	timeout time.Duration

	mu     sync.Mutex // serialises Send and Close
	closed bool
	broken atomic.Bool

	mech string // the AUTH mechanism used, "" without AUTH
}

// TLS returns the connection's TLS state; false when it is in clear text.
func (c *Conn) TLS() (tls.ConnectionState, bool) { return c.client.TLSConnectionState() }

// AuthMechanism is the SASL mechanism the session authenticated with
// ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"), or "" without AUTH.
func (c *Conn) AuthMechanism() string { return c.mech }

// Dial connects, reads the greeting, says EHLO, negotiates TLS as
// configured and authenticates. ctx bounds the whole dial; each step also
// has Options.Timeout. Errors are *Error and concern the connection, never a
// message: see Error.
func (s *Sender) Dial(ctx context.Context) (*Conn, error) {
	if ctx.Err() != nil {
		return nil, ctxError(OpDial, ctx, nil)
	}
	d := net.Dialer{Timeout: s.opts.Timeout}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(OpDial, ctx, err)
		}
		return nil, &Error{Op: OpDial, Temporary: true, Err: fmt.Errorf("%s: %w", s.addr, err)}
	}
	c := &Conn{sender: s, raw: raw, timeout: s.opts.Timeout}
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	err = c.handshake(ctx)
	if !stop() {
		_ = raw.Close()
		op := OpDial
		var e *Error
		if errors.As(err, &e) {
			op = e.Op
		}
		return nil, ctxError(op, ctx, err)
	}
	if err != nil {
		_ = raw.Close()
		s.log.Debug("mailer: dial failed", "addr", s.addr, "tls", s.opts.TLS.String(), "err", err)
		return nil, err
	}
	state := "none"
	if cs, ok := c.client.TLSConnectionState(); ok {
		state = tls.VersionName(cs.Version)
	}
	s.log.Debug("mailer: connected", "addr", s.addr, "tls", state, "auth", s.opts.Username != "")
	return c, nil
}

// handshake runs everything between the TCP connection and the first
// transaction.
func (c *Conn) handshake(ctx context.Context) error {
	s := c.sender
	var conn net.Conn = c.raw
	c.deadline()
	if s.opts.TLS == ImplicitTLS {
		tc := tls.Client(c.raw, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return c.connError(OpTLS, err)
		}
		conn = tc
	}
	client, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return c.connError(OpGreeting, err)
	}
	c.client = client
	// Addresses are ASCII (see checkEmail) and headers are 7-bit, so never
	// ask for SMTPUTF8 (RFC 6531), which could make a relay refuse the
	// message for a next hop without it.
	client.SkipSMTPUTF8(true)
	c.deadline()
	if err := client.Hello(s.opts.HELO); err != nil {
		return c.connError(OpEHLO, err)
	}
	if s.opts.TLS == StartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return &Error{Op: OpStartTLS, Err: fmt.Errorf(
				"server %s does not offer STARTTLS (RFC 3207) and the TLS mode requires it; nothing was sent in clear text", s.addr)}
		}
		c.deadline()
		if err := client.StartTLS(s.tls); err != nil {
			return c.connError(OpStartTLS, err)
		}
	}
	if s.opts.Username != "" {
		return c.auth()
	}
	return nil
}

// auth authenticates with PLAIN, or LOGIN when only that is offered.
func (c *Conn) auth() error {
	s := c.sender
	ok, offered := c.client.Extension("AUTH")
	if !ok {
		return &Error{Op: OpAuth, Err: fmt.Errorf("server %s does not offer AUTH (RFC 4954) but a username is configured", s.addr)}
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	if s.opts.OAuth2 != nil {
		return c.authOAuth2(offered, mechs)
	}
	// Plain mode is limited to loopback by New, so clear-text AUTH is
	// allowed there; otherwise go-mail refuses PLAIN/LOGIN without TLS.
	clear := s.opts.TLS == Plain
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a, c.mech = smtp.PlainAuth("", s.opts.Username, s.opts.Password, s.host, clear), "PLAIN"
	case slices.Contains(mechs, "LOGIN"):
		a, c.mech = smtp.LoginAuth(s.opts.Username, s.opts.Password, s.host, clear), "LOGIN"
	default:
		return &Error{Op: OpAuth, Err: fmt.Errorf("server %s offers AUTH %s; supported: PLAIN, LOGIN", s.addr, offered)}
	}
	c.deadline()
	if err := c.client.Auth(a); err != nil {
		e := c.connError(OpAuth, err)
		if e.Code == 0 {
			e.Err = fmt.Errorf("user %q at %s: %w", s.opts.Username, s.addr, e.Err)
		}
		return e
	}
	return nil
}

// authOAuth2 authenticates with an OAuth2 access token.
func (c *Conn) authOAuth2(offered string, mechs []string) error {
	s := c.sender
	mech := strings.ToUpper(s.opts.OAuth2.Mechanism)
	if !slices.Contains(mechs, mech) {
		return &Error{Op: OpAuth, Err: fmt.Errorf("server %s offers AUTH %s, not %s", s.addr, offered, mech)}
	}
	sc, err := sasloauth.NewClient(mech, s.opts.Username, s.opts.OAuth2.Tokens)
	if err != nil {
		// A refusal by the token endpoint needs an operator; a token
		// endpoint out of reach may answer later.
		if sasloauth.IsRefused(err) {
			return &Error{Op: OpAuth, Err: fmt.Errorf("%w: %w", ErrTokenRefused, err)}
		}
		return &Error{Op: OpAuth, Temporary: true, Err: err}
	}
	c.deadline()
	c.mech = mech
	err = c.client.Auth(smtpSASL{sc})
	if err == nil {
		return nil
	}
	e := c.connError(OpAuth, err)
	if why := sc.Refusal(); why != "" {
		if e.Code != 0 {
			e.Text = strings.TrimSpace(e.Text + " (the server's reason: " + why + ")")
		} else {
			e.Err = fmt.Errorf("%w; the server's reason: %s", e.Err, why)
		}
	}
	if e.Code == 0 {
		e.Err = fmt.Errorf("user %q at %s: %w", s.opts.Username, s.addr, e.Err)
	}
	return e
}

// smtpSASL adapts an OAuth2 SASL client to go-mail's smtp.Auth.
type smtpSASL struct{ c *sasloauth.Client }

func (a smtpSASL) Start(*smtp.ServerInfo) (string, []byte, error) { return a.c.Start() }

func (a smtpSASL) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	return a.c.Next(fromServer)
}

// deadline gives the next command Options.Timeout to complete.
func (c *Conn) deadline() {
	_ = c.raw.SetDeadline(time.Now().Add(c.timeout))
}

// connError classifies an error during the handshake, where any failure
// leaves no usable connection.
func (c *Conn) connError(op string, err error) *Error {
	e, _ := classify(op, err)
	if isTimeout(err) {
		e.Err = fmt.Errorf("no reply within %s: %w", c.timeout, err)
	}
	return e
}

// Broken reports whether the connection can no longer be used: after a
// connection-level failure (timeout, cut, 421, cancelled context) or Close.
// The caller then dials again.
func (c *Conn) Broken() bool { return c.broken.Load() }

// Send transmits m in one SMTP transaction: MAIL FROM, RCPT TO for each
// distinct recipient, DATA. nil means the server accepted the message (250
// after the end of data). On failure the error is an *Error:
//
//   - a refused sender, recipient or message (4xx/5xx) concerns m alone,
//     and the connection stays usable (the transaction is reset);
//   - any recipient refused stops the transaction before DATA, so nobody
//     receives a message that must be sent again to the others;
//   - connection-level problems leave Broken() true: the error then
//     concerns the connection, not m. Temporary ones (timeout, cut, 421,
//     cancelled context) call for a new Dial; a permanent one (530
//     authentication required) for an operator.
//
// ctx cancellation interrupts the command in flight and breaks the
// connection. Send and Close are serialised: Close waits for a Send in
// progress, so cancel its context to stop it sooner.
func (c *Conn) Send(ctx context.Context, m *message.Message) error {
	p, err := c.Begin(ctx, m)
	if err != nil {
		return err
	}
	return p.Finish()
}

// Pending is a message whose transaction has been opened and whose content
// has been transmitted, all but the end of data: until Finish the server
// has not taken responsibility for it, and a connection that closes
// without it (Abandon, or the process dying) discards it (RFC 5321 §4.1.4:
// the transaction is aborted). The outbox uses the gap to make the claim
// of the message durable while its bytes travel.
//
// A Pending holds its connection: exactly one of Finish and Abandon must
// be called, and nothing else may use the connection before.
type Pending struct {
	c     *Conn
	m     *message.Message
	ctx   context.Context
	stop  func() bool    // unregisters the context's interruption
	dot   io.WriteCloser // the dot-writer; Close writes the end of data
	size  int
	rcpts int
	ended bool
}

// Begin opens the transaction of m and transmits its content: MAIL FROM,
// RCPT TO for each distinct recipient, DATA and the message. It returns the
// same errors Send would for these steps, with nothing pending; on success
// the message waits for Finish (deliver) or Abandon (discard). ctx stays in
// force until then.
func (c *Conn) Begin(ctx context.Context, m *message.Message) (*Pending, error) {
	data, err := m.Render() // also refuses a nil m
	if err != nil {
		return nil, &Error{Op: OpCompose, Err: err}
	}
	from, rcpts := m.Envelope()

	c.mu.Lock()
	if c.closed || c.broken.Load() {
		c.mu.Unlock()
		return nil, &Error{Op: OpSend, Temporary: true, Err: errors.New("connection is broken or closed; dial again")}
	}
	if ctx.Err() != nil {
		c.mu.Unlock()
		return nil, ctxError(OpSend, ctx, nil)
	}
	stop := context.AfterFunc(ctx, func() {
		c.broken.Store(true)
		_ = c.raw.Close()
	})
	p := &Pending{c: c, m: m, ctx: ctx, stop: stop, size: len(data), rcpts: len(rcpts)}
	dot, err := c.open(from, rcpts, data)
	if err != nil {
		return nil, p.end(err)
	}
	p.dot = dot
	return p, nil
}

// Finish writes the end of data and reads the server's reply: nil means the
// server accepted the message. Errors are those of Send.
func (p *Pending) Finish() error {
	if p.ended {
		return &Error{Op: OpDataEnd, Err: errors.New("message already finished or abandoned")}
	}
	c := p.c
	c.deadline()
	if err := p.dot.Close(); err != nil {
		return p.end(c.fail(OpData, "", err))
	}
	c.deadline()
	_, reply, err := c.client.Text.ReadResponse(250)
	if err != nil {
		return p.end(c.fail(OpDataEnd, "", err))
	}
	p.end(nil)
	c.sender.log.Debug("mailer: message accepted", "message_id", p.m.MessageID, "recipients", p.rcpts, "bytes", p.size, "reply", reply)
	return nil
}

// Abandon closes the connection without ending the data, so the server
// discards the message; the connection is broken afterwards.
func (p *Pending) Abandon() {
	if p.ended {
		return
	}
	p.c.broken.Store(true)
	_ = p.c.raw.Close()
	p.end(nil)
	p.c.sender.log.Debug("mailer: message abandoned before the end of data", "message_id", p.m.MessageID)
}

// FinishThen ends p's data and opens next's transaction in the same round
// trip: the end of data and next's MAIL FROM, RCPT TO (and DATA, for a
// single recipient) go out together, as RFC 2920 §3.1 allows (a group may
// begin with message content, and MAIL and RCPT may stand anywhere in
// it), and p's reply is read first. It returns p's outcome, as Finish does,
// and next's opened transaction, whose replies are read by Opened.Begin;
// exactly one of its Begin and Abandon must be called.
//
// The Opened is nil when next did not go out: the server does not offer
// PIPELINING, next does not render, ctx has ended, or the connection
// failed. next is then as if never tried, and p's outcome is Finish's.
func (p *Pending) FinishThen(ctx context.Context, next *message.Message) (*Opened, error) {
	if p.ended {
		return nil, &Error{Op: OpDataEnd, Err: errors.New("message already finished or abandoned")}
	}
	c := p.c
	data, rerr := next.Render()
	if ok, _ := c.client.Extension("PIPELINING"); !ok || rerr != nil || ctx.Err() != nil {
		return nil, p.Finish()
	}
	from, rcpts := next.Envelope()
	withData := c.dataWithEnvelope(rcpts)
	c.deadline()
	if err := p.dot.Close(); err != nil {
		return nil, p.end(c.fail(OpData, "", err))
	}
	c.deadline()
	werr := c.writeEnvelope(from, rcpts, withData)
	c.deadline()
	_, reply, err := c.client.Text.ReadResponse(250)
	if err != nil {
		err = c.failReset(OpDataEnd, "", err, false)
	}
	if err = p.settle(err); err == nil {
		c.sender.log.Debug("mailer: message accepted", "message_id", p.m.MessageID, "recipients", p.rcpts, "bytes", p.size, "reply", reply)
	}
	if werr != nil || c.broken.Load() || ctx.Err() != nil {
		// next's commands went out, whole or in part, and will not be
		// followed up: the session's state is the server's guess, and
		// the connection is given up (once in DATA, whatever came next
		// would be taken for content).
		c.broken.Store(true)
		_ = c.raw.Close()
		c.mu.Unlock()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() {
		c.broken.Store(true)
		_ = c.raw.Close()
	})
	return &Opened{p: &Pending{c: c, m: next, ctx: ctx, stop: stop, size: len(data), rcpts: len(rcpts)},
		data: data, rcpts: rcpts, withData: withData}, err
}

// Opened is a transaction whose commands went out behind the end of data
// of the message before it (FinishThen), their replies not yet read. It
// holds its connection until Begin or Abandon.
type Opened struct {
	p        *Pending
	data     []byte
	rcpts    []string
	withData bool
	used     bool
}

// Begin reads the replies to the transaction's commands and transmits the
// content, all but its end of data, as Conn.Begin does after writing them,
// with the same errors.
func (o *Opened) Begin() (*Pending, error) {
	if o.used {
		return nil, &Error{Op: OpSend, Err: errors.New("transaction already taken up or abandoned")}
	}
	o.used = true
	c := o.p.c
	if err := c.readEnvelope(o.rcpts, o.withData); err != nil {
		return nil, o.p.end(err)
	}
	dot, err := c.content(o.data, o.withData)
	if err != nil {
		return nil, o.p.end(err)
	}
	o.p.dot = dot
	return o.p, nil
}

// Abandon gives the transaction up: the connection is closed, so nothing
// of it is delivered, and is broken afterwards.
func (o *Opened) Abandon() {
	if o.used {
		return
	}
	o.used = true
	o.p.Abandon()
}

// end releases the connection and classifies err as Send does.
func (p *Pending) end(err error) error {
	defer p.c.mu.Unlock()
	return p.settle(err)
}

// settle ends p and classifies err as Send does, keeping the connection
// held: the caller releases it, or hands it on (FinishThen).
func (p *Pending) settle(err error) error {
	p.ended = true
	c := p.c
	if !p.stop() && err != nil {
		c.broken.Store(true)
		op := OpSend
		var e *Error
		if errors.As(err, &e) {
			op = e.Op
		}
		return ctxError(op, p.ctx, err)
	}
	if err != nil {
		c.sender.log.Debug("mailer: message not accepted", "message_id", p.m.MessageID, "err", err, "broken", c.broken.Load())
		return err
	}
	return nil
}

// dataChunk is how much message content is written under one deadline.
const dataChunk = 32 << 10

// open starts one mail transaction (RFC 5321 §3.3) and writes the content,
// leaving the end of data to be written with the returned dot-writer.
func (c *Conn) open(from string, rcpts []string, data []byte) (io.WriteCloser, error) {
	withData := c.dataWithEnvelope(rcpts)
	if err := c.envelope(from, rcpts, withData); err != nil {
		return nil, err
	}
	return c.content(data, withData)
}

// dataWithEnvelope reports whether DATA goes out with MAIL and RCPT: with
// PIPELINING and a single recipient (RFC 2920 §3.1), one round trip less
// per message. If the recipient is refused there is no valid recipient, so
// the server refuses DATA too, and nothing is sent. With several
// recipients, DATA waits for every RCPT reply: one refused among others
// accepted would get 354, and a transaction in DATA can only be given up
// by closing the connection.
func (c *Conn) dataWithEnvelope(rcpts []string) bool {
	ok, _ := c.client.Extension("PIPELINING")
	return ok && len(rcpts) == 1
}

// content sends DATA unless it went with the envelope, and writes the
// content, leaving the end of data to the returned dot-writer.
func (c *Conn) content(data []byte, withData bool) (io.WriteCloser, error) {
	cl := c.client
	var dot io.WriteCloser
	if withData {
		dot = cl.Text.DotWriter()
	} else {
		c.deadline()
		w, err := cl.Data()
		if err != nil {
			return nil, c.fail(OpData, "", err)
		}
		// go-mail's DataCloser.Close drops the error of writing the final
		// ".\r\n", which would make a message that never reached the server
		// look possibly delivered. Write and close the dot-writer here and read
		// the reply directly.
		dc, ok := w.(*smtp.DataCloser)
		if !ok {
			return nil, c.fail(OpData, "", fmt.Errorf("unexpected data writer %T", w))
		}
		dot = dc.WriteCloser
	}
	if err := writeData(cl.Text.Writer.W, dot, data, c.deadline); err != nil {
		return nil, c.fail(OpData, "", err)
	}
	return dot, nil
}

// envelope sends MAIL FROM and the RCPT TOs, and DATA when withData is set
// (only with PIPELINING). When the server offers PIPELINING (RFC 2920)
// they go out together and the replies are read after, which saves a round
// trip per recipient; otherwise each waits for its reply. Either way any
// refusal fails the transaction, which is reset.
func (c *Conn) envelope(from string, rcpts []string, withData bool) error {
	cl := c.client
	if ok, _ := cl.Extension("PIPELINING"); !ok {
		c.deadline()
		if err := cl.Mail("<" + from + ">"); err != nil {
			return c.fail(OpMail, "", err)
		}
		for _, r := range rcpts {
			c.deadline()
			if err := cl.Rcpt("<" + r + ">"); err != nil {
				return c.fail(OpRcpt, r, err)
			}
		}
		return nil
	}
	c.deadline()
	if err := c.writeEnvelope(from, rcpts, withData); err != nil {
		return c.fail(OpMail, "", err)
	}
	return c.readEnvelope(rcpts, withData)
}

// writeEnvelope writes MAIL FROM, the RCPT TOs and, when withData is set,
// DATA, together (PIPELINING only), without reading any reply.
func (c *Conn) writeEnvelope(from string, rcpts []string, withData bool) error {
	cl := c.client
	// The MAIL command as go-mail's Client.Mail writes it.
	mail := "MAIL FROM:<" + from + ">"
	if ok, _ := cl.Extension("8BITMIME"); ok {
		mail += " BODY=8BITMIME"
	}
	if ok, _ := cl.Extension("SMTPUTF8"); ok {
		mail += " SMTPUTF8"
	}
	bw := cl.Text.Writer.W
	bw.WriteString(mail + "\r\n")
	for _, r := range rcpts {
		bw.WriteString("RCPT TO:<" + r + ">\r\n")
	}
	if withData {
		bw.WriteString("DATA\r\n")
	}
	return bw.Flush()
}

// readEnvelope reads the replies to the commands writeEnvelope wrote.
func (c *Conn) readEnvelope(rcpts []string, withData bool) error {
	cl := c.client
	// Every reply is read, so the next command meets its own; the first
	// refusal is the one reported (after a refused MAIL, the RCPTs are
	// refused as out of sequence, and DATA after a refusal for want of a
	// valid recipient).
	var (
		first           error
		firstOp, firstR string
	)
	last := len(rcpts)
	if withData {
		last++
	}
	for i := -1; i < last; i++ {
		op, r, code := OpMail, "", 250
		switch {
		case i == len(rcpts):
			op, code = OpData, 354
		case i >= 0:
			op, r, code = OpRcpt, rcpts[i], 25
		}
		c.deadline()
		_, _, err := cl.Text.ReadResponse(code)
		if err == nil {
			if op == OpData && first != nil {
				// A server that took DATA after refusing every
				// recipient waits for content: only closing the
				// connection gives the transaction up.
				c.broken.Store(true)
				_ = c.raw.Close()
				return c.fail(firstOp, firstR, first)
			}
			continue
		}
		var proto *textproto.Error
		if !errors.As(err, &proto) {
			// The connection failed: no more replies will come.
			if first == nil {
				first, firstOp, firstR = err, op, r
			}
			break
		}
		if first == nil {
			first, firstOp, firstR = err, op, r
		}
	}
	if first != nil {
		return c.fail(firstOp, firstR, first)
	}
	return nil
}

// writeData writes the message content for DATA, dot-stuffed (RFC 5321
// §4.5.2), leaving the end of data to the dot-writer's Close.
//
// The dot-writer of net/textproto stuffs byte by byte, which for a 50 KB
// invitation costs more than rendering it. A rendered message has CRLF
// line ends only, and for such content the dot-writer's output is the
// content with a dot added before each line that starts with one: that is
// written here in blocks, straight to the connection's buffer, and only
// the last CRLF goes through the dot-writer, which leaves it at the start
// of a line, where Close writes ".\r\n" and nothing else. Content with a
// bare CR or LF goes through the dot-writer whole.
//
// bw is the connection's buffer, dot the dot-writer writing to it, and
// deadline is called before each block of at most dataChunk bytes.
func writeData(bw *bufio.Writer, dot io.Writer, data []byte, deadline func()) error {
	if !crlfOnly(data) {
		for off := 0; off < len(data); off += dataChunk {
			deadline()
			if _, err := dot.Write(data[off:min(off+dataChunk, len(data))]); err != nil {
				return err
			}
		}
		return nil
	}
	last := data[len(data)-min(2, len(data)):]
	if string(last) == "\r\n" {
		data = data[:len(data)-2]
	} else {
		last = nil
	}
	written := 0
	write := func(b []byte) error {
		for len(b) > 0 {
			if written == 0 {
				deadline()
			}
			n := min(len(b), dataChunk-written)
			if _, err := bw.Write(b[:n]); err != nil {
				return err
			}
			b = b[n:]
			written = (written + n) % dataChunk
		}
		return nil
	}
	for line := 0; line < len(data); {
		// line is at the start of a line.
		if data[line] == '.' {
			if err := write([]byte{'.'}); err != nil {
				return err
			}
		}
		next := bytes.Index(data[line:], []byte("\n."))
		if next < 0 {
			if err := write(data[line:]); err != nil {
				return err
			}
			break
		}
		if err := write(data[line : line+next+1]); err != nil {
			return err
		}
		line += next + 1
	}
	if last != nil {
		deadline()
		if _, err := dot.Write(last); err != nil {
			return err
		}
	}
	return nil
}

// crlfOnly reports whether every CR in b is followed by LF and every LF
// preceded by CR.
func crlfOnly(b []byte) bool {
	crlf := bytes.Count(b, []byte("\r\n"))
	return bytes.Count(b, []byte{'\r'}) == crlf && bytes.Count(b, []byte{'\n'}) == crlf
}

// fail classifies err from op. A refused command resets the transaction so
// the connection can carry the next message; anything else breaks it.
func (c *Conn) fail(op, rcpt string, err error) *Error { return c.failReset(op, rcpt, err, true) }

// failReset is fail, resetting the transaction after a refusal only when
// reset is set: a refused end of data ends the transaction by itself (RFC
// 5321 §4.1.1.4), and when the next transaction's commands are already on
// their way (FinishThen) an RSET would meet their replies instead of its
// own.
func (c *Conn) failReset(op, rcpt string, err error, reset bool) *Error {
	e, usable := classify(op, err)
	e.Recipient = rcpt
	if e.Code == 552 && op == OpRcpt {
		// RFC 5321 §4.5.3.1.10: 552 to RCPT is the old "too many
		// recipients" and is to be treated as temporary.
		e.Temporary = true
	}
	if isTimeout(err) {
		e.Err = fmt.Errorf("no reply within %s: %w", c.timeout, err)
	}
	if e.Code == 530 {
		// 530 Authentication required (RFC 4954 §6): the session, not
		// this message, is at fault, and every message would get the
		// same answer. Break the connection so the caller sees a
		// permanent connection error rather than failing each message.
		usable = false
	}
	if usable && reset {
		c.deadline()
		if rerr := c.client.Reset(); rerr != nil {
			usable = false
		}
	}
	if !usable {
		c.broken.Store(true)
		_ = c.raw.Close()
	}
	return e
}

// Close ends the session with QUIT and closes the connection. The error of
// a failed QUIT does not concern any message already sent.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	wasBroken := c.broken.Swap(true)
	if wasBroken {
		_ = c.raw.Close()
		return nil
	}
	c.deadline()
	err := c.client.Quit()
	_ = c.raw.Close()
	if err != nil {
		e, _ := classify(OpQuit, err)
		return e
	}
	return nil
}
