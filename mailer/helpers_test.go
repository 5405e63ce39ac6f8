package mailer

import (
	"outreach/message"

	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server saw it.
type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string // authenticated user, if any
}

// backend is a go-smtp backend that records every message. Its hooks inject
// faults; they live only in tests.
type backend struct {
	mu       sync.Mutex
	msgs     []received
	sessions int
	discard  bool // do not keep the data (benchmarks)

	users        map[string]string // non-nil: offer AUTH PLAIN with these credentials
	authAttempts int
	// oauth, when set, offers AUTH XOAUTH2 and OAUTHBEARER instead,
	// asking it whom an access token logs in (ok false: refused).
	oauth func(token string) (user string, ok bool)

	onMail func(from string) error
	onRcpt func(to string) error
	onData func(c *smtp.Conn, r io.Reader) error // replaces reading and recording
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	s := &session{b: b, c: c}
	if b.oauth != nil {
		return &oauthSession{session: s}, nil
	}
	if b.users != nil {
		return &authSession{session: s}, nil
	}
	return s, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

func (b *backend) authCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.authAttempts
}

func (b *backend) sessionCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions
}

type session struct {
	b    *backend
	c    *smtp.Conn
	from string
	to   []string
	user string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.b.mu.Lock()
	onMail := s.b.onMail
	s.b.mu.Unlock()
	if onMail != nil {
		if err := onMail(from); err != nil {
			return err
		}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	onRcpt := s.b.onRcpt
	s.b.mu.Unlock()
	if onRcpt != nil {
		if err := onRcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.b.mu.Lock()
	onData := s.b.onData
	s.b.mu.Unlock()
	if onData != nil {
		return onData(s.c, r)
	}
	if s.b.discard {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.c.TLSConnectionState()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, received{From: s.from, To: s.to, Data: data, TLS: isTLS, User: s.user})
	s.b.mu.Unlock()
	return nil
}

type authSession struct{ *session }

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(mech string) (sasl.Server, error) {
	s.b.mu.Lock()
	s.b.authAttempts++
	s.b.mu.Unlock()
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if want, ok := s.b.users[username]; ok && password == want {
			s.user = username
			return nil
		}
		return smtp.ErrAuthFailed
	}), nil
}

// oauthSession accepts XOAUTH2 and OAUTHBEARER, as Microsoft 365 and
// Gmail do.
type oauthSession struct{ *session }

func (s *oauthSession) AuthMechanisms() []string { return []string{"XOAUTH2", sasl.OAuthBearer} }

func (s *oauthSession) Auth(mech string) (sasl.Server, error) {
	s.b.mu.Lock()
	s.b.authAttempts++
	s.b.mu.Unlock()
	if mech == sasl.OAuthBearer {
		return refusal535{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if user, ok := s.b.oauth(o.Token); ok && user == o.Username {
				s.user = user
				return nil
			}
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		})}, nil
	}
	return &xoauth2Server{s: s}, nil
}

// refusal535 ends a refused exchange with 535 5.7.8, as Gmail and
// Microsoft 365 do (go-smtp answers other errors with 454).
type refusal535 struct{ sasl.Server }

func (r refusal535) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := r.Server.Next(resp)
	if err != nil {
		err = smtp.ErrAuthFailed
	}
	return ch, done, err
}

// xoauth2Server is the server side of XOAUTH2: a refused token gets a
// JSON challenge, and the client's empty answer the final 535.
type xoauth2Server struct {
	s       *oauthSession
	refused bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.refused {
		return nil, true, smtp.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, kv := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(kv, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(kv, "auth=Bearer "); ok {
			token = v
		}
	}
	if got, ok := x.s.b.oauth(token); ok && got == user {
		x.s.user = user
		return nil, true, nil
	}
	x.refused = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}

// testServer is a go-smtp server on 127.0.0.1:0.
type testServer struct {
	port    int
	backend *backend
}

type serverMode int

const (
	serveClear    serverMode = iota // no TLS offered
	serveStartTLS                   // STARTTLS offered
	serveImplicit                   // TLS from the first byte
)

func startServer(t testing.TB, be *backend, mode serverMode, tlsConf *tls.Config, configure ...func(*smtp.Server)) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(be)
	srv.Domain = "mx.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.MaxMessageBytes = 50 << 20
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	switch mode {
	case serveStartTLS:
		srv.TLSConfig = tlsConf
	case serveImplicit:
		srv.TLSConfig = tlsConf
		l = tls.NewListener(l, tlsConf)
	}
	for _, f := range configure {
		f(srv)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &testServer{port: l.Addr().(*net.TCPAddr).Port, backend: be}
}

// rawServer accepts connections on 127.0.0.1:0 and hands each to handle;
// it stands for servers go-smtp cannot play (421 banner, silence).
func rawServer(t testing.TB, handle func(net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
	})
	return l.Addr().(*net.TCPAddr).Port
}

// pki is a test certificate authority and a server certificate it signed
// for 127.0.0.1 and localhost.
type pki struct {
	pool   *x509.CertPool
	server *tls.Config
}

func newPKI(t testing.TB, name string) *pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "mx.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &pki{
		pool: pool,
		server: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}},
			MinVersion:   tls.VersionTLS12,
		},
	}
}

// clientTLS trusts p's CA only.
func (p *pki) clientTLS() *tls.Config { return &tls.Config{RootCAs: p.pool} }

func plainOptions(port int) Options {
	return Options{Host: "127.0.0.1", Port: port, TLS: Plain, HELO: "client.test", Timeout: 10 * time.Second}
}

func mustNew(t testing.TB, o Options) *Sender {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func mustDial(t testing.TB, s *Sender) *Conn {
	t.Helper()
	c, err := s.Dial(context.Background())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// logBuffer collects slog output at debug level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func zurich() *time.Location {
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		return time.FixedZone("CEST", 2*3600)
	}
	return loc
}

// sampleICS is a small METHOD:REQUEST calendar for one session, CRLF lines.
func sampleICS(method, sur, uid string, start time.Time) []byte {
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//UPR Pre-sessions//outreach//EN",
		"METHOD:" + method,
		"BEGIN:VEVENT",
		"UID:" + uid,
		"DTSTAMP:20170901T080000Z",
		"SEQUENCE:0",
		"DTSTART:" + start.UTC().Format("20060102T150405Z"),
		"DTEND:" + start.Add(time.Hour).UTC().Format("20060102T150405Z"),
		"SUMMARY:Pre-session on " + sur,
		"LOCATION:Salle XXIII\\, Palais des Nations",
		"ORGANIZER;CN=\"Pre-session Secretariat\":mailto:rsvp@invites.example.org",
		"ATTENDEE;CN=\"Permanent Mission of Côte d'Ivoire\";ROLE=REQ-PARTICIPANT;",
		" PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:mission.ci@mfa.example",
		"STATUS:CONFIRMED",
		"END:VEVENT",
		"END:VCALENDAR",
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// presessions28 are the States under Review of the 28th UPR session.
var presessions28 = []string{
	"Argentina", "Benin", "Czechia", "Gabon", "Ghana", "Guatemala", "Japan",
	"Pakistan", "Peru", "Republic of Korea", "Sri Lanka", "Switzerland",
	"Ukraine", "Zambia",
}

// invitation is an invitation-shaped message: text and HTML in the
// mission's language, one .ics per session.
func invitation(id int) *message.Message {
	loc := zurich()
	m := &message.Message{
		MessageID: fmt.Sprintf("<inv.r28.CIV.%d@invites.example.org>", id),
		From:      message.Address{Name: "Secrétariat des pré-sessions", Email: "rsvp@invites.example.org"},
		To: []message.Address{
			{Name: "Mission permanente de la Côte d'Ivoire", Email: "mission.ci@mfa.example"},
			{Name: "Korea, Republic of \"Geneva\"", Email: "geneva@mofa.example"},
		},
		ReplyTo:      &message.Address{Name: "UPR Pre-sessions", Email: "rsvp+civ@invites.example.org"},
		Subject:      "Invitation : pré-sessions de l'EPU, 28e session (Genève, 10–13 octobre 2017)",
		Date:         time.Date(2017, 9, 1, 10, 0, 0, 0, loc),
		EnvelopeFrom: "bounce+civ@invites.example.org",
		Headers: [][2]string{
			{"X-Auto-Response-Suppress", "OOF, AutoReply"},
			{"X-Outreach-Kind", "invitation"},
		},
		Text: "Excellence,\n\nLa Mission permanente est invitée aux pré-sessions de l'Examen " +
			"périodique universel (EPU), du 10 au 13 octobre 2017 au Palais des Nations.\n" +
			".Une ligne qui commence par un point.\n.\n" +
			strings.Repeat("Ligne longue sans retour à la ligne pour éprouver le quoted-printable. ", 4) + "\n",
		HTML: "<!DOCTYPE html><html><body><p>Excellence,</p><p>La Mission permanente est invitée " +
			"aux <b>pré-sessions</b> de l'EPU.</p><table>" + strings.Repeat("<tr><td>Japon</td><td>10:00–11:00</td></tr>", 3) +
			"</table></body></html>\n",
	}
	start := time.Date(2017, 10, 10, 9, 0, 0, 0, loc)
	for i, sur := range presessions28 {
		m.Attachments = append(m.Attachments, message.Attachment{
			Filename:    sur + ".ics",
			ContentType: "text/calendar; charset=UTF-8; method=REQUEST",
			Data:        sampleICS("REQUEST", sur, fmt.Sprintf("r28-%02d-civ@invites.example.org", i), start.Add(time.Duration(i)*time.Hour)),
		})
	}
	return m
}

func simple(id string) *message.Message {
	return &message.Message{
		MessageID: "<" + id + "@invites.example.org>",
		From:      message.Address{Name: "UPR Pre-sessions", Email: "rsvp@invites.example.org"},
		To:        []message.Address{{Email: "mission@mfa.example"}},
		Subject:   "Reminder: pre-session on Japan",
		Date:      time.Date(2017, 10, 3, 9, 0, 0, 0, time.UTC),
		Text:      "Dear colleagues,\nthe pre-session on Japan is on 10 October.\n",
	}
}

// render is what Send transmits for m.
func render(t testing.TB, m *message.Message) []byte {
	t.Helper()
	b, err := m.Bytes()
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return b
}
