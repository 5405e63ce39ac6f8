package inbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"outreach/demo/mailbox"
)

const (
	testUser     = "rsvp@outreach.example"
	testPassword = "Geneva-Pre-Session-28!pw"
)

// withMove and withoutMove are the two server kinds every filing test runs
// against: IMAP4rev2 offers MOVE and UIDPLUS, plain IMAP4rev1 neither.
var serverKinds = []struct {
	name string
	caps imap.CapSet
	move bool
}{
	{"move", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, true},
	{"nomove", imap.CapSet{imap.CapIMAP4rev1: {}}, false},
}

type testServer struct {
	addr string
	user *imapmemserver.User
	// clientTLS is how test clients reach the server: nil for plain text.
	clientTLS   *tls.Config
	implicitTLS bool
}

type serverOpts struct {
	caps imap.CapSet
	// startTLS offers STARTTLS with this certificate; implicitTLS serves
	// TLS from the first byte.
	startTLS, implicitTLS bool
}

// startServer runs an imapmemserver on 127.0.0.1:0 with an INBOX.
func startServer(t testing.TB, o serverOpts) *testServer {
	t.Helper()
	user := imapmemserver.NewUser(testUser, testPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	caps := o.caps
	if caps == nil {
		caps = serverKinds[0].caps
	}
	sopts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			// imapmemserver's own IDLE holds back a delivery made just
			// before it; a real server reports it (mailbox.Session).
			return mailbox.NewSession(user), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	}
	ts := &testServer{user: user}
	var cert tls.Certificate
	if o.startTLS || o.implicitTLS {
		var pool *x509.CertPool
		cert, pool = selfSigned(t)
		ts.clientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	}
	if o.startTLS {
		sopts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		sopts.InsecureAuth = false
	}
	srv := imapserver.New(sopts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		ts.implicitTLS = true
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ts.addr = ln.Addr().String()
	return ts
}

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "imap.test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// client logs a second, independent client in: "another client" in tests.
func (ts *testServer) client(t testing.TB) *imapclient.Client {
	t.Helper()
	var (
		c   *imapclient.Client
		err error
	)
	opts := &imapclient.Options{TLSConfig: ts.clientTLS}
	switch {
	case ts.implicitTLS:
		c, err = imapclient.DialTLS(ts.addr, opts)
	case ts.clientTLS != nil:
		c, err = imapclient.DialStartTLS(ts.addr, opts)
	default:
		c, err = imapclient.DialInsecure(ts.addr, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// appendMsg appends raw to mailbox through c.
func appendMsg(t testing.TB, c *imapclient.Client, mailbox string, raw []byte) {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}

func (ts *testServer) append(t testing.TB, mailbox string, msgs ...[]byte) {
	t.Helper()
	c := ts.client(t)
	for _, raw := range msgs {
		appendMsg(t, c, mailbox, raw)
	}
	c.Logout().Wait()
}

type stored struct {
	UID   imap.UID
	Flags []string // lower-cased: the memserver lower-cases keywords
	Raw   []byte
}

func (m stored) has(flag string) bool {
	return slices.Contains(m.Flags, strings.ToLower(flag))
}

// contents lists mailbox as another client sees it, in UID order.
func (ts *testServer) contents(t testing.TB, mailbox string) []stored {
	t.Helper()
	c := ts.client(t)
	defer func() { c.Logout().Wait() }()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("examine %s: %v", mailbox, err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return nil
	}
	bufs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, b := range bufs {
		m := stored{UID: b.UID, Raw: b.FindBodySection(&imap.FetchItemBodySection{})}
		for _, f := range b.Flags {
			m.Flags = append(m.Flags, strings.ToLower(string(f)))
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b stored) int { return int(a.UID) - int(b.UID) })
	return out
}

func messageIDs(ms []stored) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, messageID(m.Raw))
	}
	return ids
}

// testMessage is a small RSVP reply numbered n, padded to at least size
// octets.
func testMessage(n, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Mission %d <mission%d@mfa.example>\r\n", n, n)
	fmt.Fprintf(&b, "To: rsvp@outreach.example\r\n")
	fmt.Fprintf(&b, "Subject: Re: UPR pre-session %d\r\n", n)
	fmt.Fprintf(&b, "Message-ID: <reply-%d@mfa.example>\r\n", n)
	fmt.Fprintf(&b, "Date: Mon, 02 Oct 2017 10:%02d:00 +0200\r\n", n%60)
	fmt.Fprintf(&b, "\r\nThe Permanent Mission will attend pre-session %d.\r\n", n)
	for b.Len() < size {
		b.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n")
	}
	return b.Bytes()
}

func messageID(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Message-ID: "); ok {
			return v
		}
	}
	return ""
}

// recorder is an in-memory Handler: it records results and the checkpoint
// together, as the store does in one transaction. Like the store, it knows a
// message it has recorded by its Message-ID, answers with the folder it
// chose the first time, and never moves the checkpoint backwards.
type recorder struct {
	mu      sync.Mutex
	cp      Checkpoint
	handled []Message
	calls   map[[2]uint32]int // (uidvalidity, uid) → Handle calls that succeeded
	// recorded maps each Message-ID recorded to its folder; repeats counts
	// the calls for a message already recorded.
	recorded map[string]string
	repeats  map[string]int

	folder func(Message) string // nil: ""
	fail   func(Message) error  // nil: never
	after  func(Message)        // called after recording, before returning
	got    chan Message         // receives every recorded message, if not nil
}

func newRecorder() *recorder {
	return &recorder{calls: make(map[[2]uint32]int), recorded: make(map[string]string),
		repeats: make(map[string]int), got: make(chan Message, 1000)}
}

// key identifies m as the store does: its Message-ID.
func (m Message) key() string {
	if m.Raw == nil {
		return m.MessageID
	}
	return messageID(m.Raw)
}

func (r *recorder) Checkpoint(context.Context) (Checkpoint, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cp, nil
}

func (r *recorder) Handle(_ context.Context, m Message) (string, error) {
	r.mu.Lock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			r.mu.Unlock()
			return "", err
		}
	}
	r.handled = append(r.handled, m)
	r.calls[[2]uint32{m.UIDValidity, m.UID}]++
	if r.cp.UIDValidity != m.UIDValidity || m.UID > r.cp.LastUID {
		r.cp = Checkpoint{UIDValidity: m.UIDValidity, LastUID: m.UID}
	}
	folder, seen := r.recorded[m.key()]
	switch {
	case seen:
		r.repeats[m.key()]++
	case r.folder != nil:
		folder = r.folder(m)
		r.recorded[m.key()] = folder
	default:
		r.recorded[m.key()] = ""
	}
	after := r.after
	r.mu.Unlock()
	if after != nil {
		after(m)
	}
	if r.got != nil {
		r.got <- m
	}
	return folder, nil
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.handled)
}

// waitFor waits until n messages have been recorded in total.
func (r *recorder) waitFor(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second) // a hang, not a speed check
	for {
		if len(r.messages()) >= n {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("waited for %d handled messages, have %d", n, len(r.messages()))
		}
	}
}

func (r *recorder) assertOnce(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, n := range r.calls {
		if n != 1 {
			t.Errorf("message uidvalidity %d uid %d handled %d times", k[0], k[1], n)
		}
	}
}

func toFolder(name string) func(Message) string {
	return func(Message) string { return name }
}

// logBuffer collects slog output from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestWatcher returns a Watcher on addr in plain text with quick timings
// and its log.
func newTestWatcher(t testing.TB, addr string, h Handler, edit func(*Options)) (*Watcher, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts := Options{
		Addr:           addr,
		TLS:            Plain,
		Username:       testUser,
		Password:       testPassword,
		Folders:        []string{"processed", "review"},
		PollInterval:   50 * time.Millisecond,
		CommandTimeout: 5 * time.Second,
		Backoff:        func(int) time.Duration { return 10 * time.Millisecond },
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opts)
	}
	w, err := NewWatcher(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	return w, logs
}

// runWatcher starts w.Run and returns a stop function that cancels it and
// returns Run's result.
func runWatcher(t testing.TB, w *Watcher) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(30 * time.Second): // a hang, not a speed check
				result = errors.New("Run did not return after cancel")
			}
		})
		return result
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitUntil polls cond until it holds.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a hang, not a speed check
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited too long for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// faultProxy relays TCP between the watcher and the server and injects
// faults: cut connections, stalls, and cuts after a number of bytes.
type faultProxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	conns    []*proxyConn
	accepted int
	// cutAfter cuts the next connection once this many bytes went from
	// server to client (0: never).
	cutAfter int64
	// hideIdle removes IDLE from the capabilities the server announces.
	hideIdle bool
	// stallNew makes new connections relay nothing.
	stallNew bool
	// cutOn cuts every connection, once, when the client sends a chunk
	// holding it; the chunk is not relayed ("" never).
	cutOn string
	// hideKeywords removes \* from PERMANENTFLAGS: a server that takes no
	// keywords.
	hideKeywords bool
	fromClient   []byte // everything the clients sent
}

// commands counts the command lines the clients sent that hold s (e.g.
// " UID MOVE ").
func (p *faultProxy) commands(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for line := range bytes.Lines(p.fromClient) {
		if bytes.Contains(line, []byte(s)) {
			n++
		}
	}
	return n
}

// commandArgs lists what follows s in the command lines the clients sent
// that hold it, e.g. "1:5 processed" for s " UID MOVE ".
func (p *faultProxy) commandArgs(s string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for line := range bytes.Lines(p.fromClient) {
		if _, args, ok := bytes.Cut(line, []byte(s)); ok {
			out = append(out, string(bytes.TrimSpace(args)))
		}
	}
	return out
}

type proxyConn struct {
	client, server net.Conn
	stalled        atomic.Bool
	done           chan struct{}
	once           sync.Once
	cutAfter       int64
	hideIdle       bool
	hideKeywords   bool
	sent           atomic.Int64
	p              *faultProxy
}

func (pc *proxyConn) close() {
	pc.once.Do(func() {
		close(pc.done)
		pc.client.Close()
		pc.server.Close()
	})
}

func startProxy(t testing.TB, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pc := &proxyConn{client: c, server: s, done: make(chan struct{}), p: p}
		p.mu.Lock()
		p.accepted++
		pc.cutAfter, p.cutAfter = p.cutAfter, 0
		pc.hideIdle = p.hideIdle
		pc.hideKeywords = p.hideKeywords
		pc.stalled.Store(p.stallNew)
		p.conns = append(p.conns, pc)
		p.mu.Unlock()
		go pc.pipe(c, s, false)
		go pc.pipe(s, c, true)
	}
}

func (pc *proxyConn) pipe(src, dst net.Conn, toClient bool) {
	defer pc.close()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if pc.stalled.Load() {
				<-pc.done
				return
			}
			chunk := buf[:n]
			if !toClient && pc.p.cutOnSend(chunk) {
				return
			}
			if toClient && pc.hideIdle {
				chunk = bytes.ReplaceAll(chunk, []byte(" IDLE"), nil)
			}
			if toClient && pc.hideKeywords {
				chunk = bytes.ReplaceAll(chunk, []byte(` \*)`), []byte(")"))
				chunk = bytes.ReplaceAll(chunk, []byte(`(\*)`), []byte("()"))
			}
			if toClient && pc.cutAfter > 0 {
				left := pc.cutAfter - pc.sent.Load()
				if int64(len(chunk)) >= left {
					dst.Write(chunk[:max(left, 0)])
					return
				}
				pc.sent.Add(int64(len(chunk)))
			}
			if _, err := dst.Write(chunk); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cutOnSend reports whether chunk, sent by the client, holds the string
// set by cutWhenClientSends; the first such chunk consumes it.
func (p *faultProxy) cutOnSend(chunk []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fromClient = append(p.fromClient, chunk...)
	if p.cutOn == "" || !bytes.Contains(chunk, []byte(p.cutOn)) {
		return false
	}
	p.cutOn = ""
	return true
}

// cutWhenClientSends cuts the connection, without relaying it, the first
// time the client sends s: the process dies just before that command.
func (p *faultProxy) cutWhenClientSends(s string) {
	p.mu.Lock()
	p.cutOn = s
	p.mu.Unlock()
}

// hideKeywordsFromNext makes the server look as if it took no keywords on
// the connections accepted from now on.
func (p *faultProxy) hideKeywordsFromNext() {
	p.mu.Lock()
	p.hideKeywords = true
	p.mu.Unlock()
}

// cutAll closes every open connection.
func (p *faultProxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		pc.close()
	}
}

// stallAll makes every open connection stop relaying in both directions,
// as a hung server would; new connections work.
func (p *faultProxy) stallAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		pc.stalled.Store(true)
	}
}

// stallNext makes the connections accepted from now on relay nothing: a
// server that accepts and never answers.
func (p *faultProxy) stallNext() {
	p.mu.Lock()
	p.stallNew = true
	p.mu.Unlock()
}

// hideIdleFromNext hides IDLE on the connections accepted from now on.
func (p *faultProxy) hideIdleFromNext() {
	p.mu.Lock()
	p.hideIdle = true
	p.mu.Unlock()
}

// cutNextAfter cuts the next connection after n bytes from the server.
func (p *faultProxy) cutNextAfter(n int64) {
	p.mu.Lock()
	p.cutAfter = n
	p.mu.Unlock()
}

func (p *faultProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *faultProxy) close() {
	p.ln.Close()
	p.cutAll()
}

// unfiledAtCut lists the messages left unfiled when the connection is cut
// after message 2 (filed to a folder of its own) of 3 was recorded, and
// says how many the next sync then reads anew. With MOVE, recorded
// messages wait to be moved in groups: message 3, fetched with the others,
// is recorded too, and all three wait. Without, message 2 is filed at once,
// the filing fails and the sync stops before message 3.
func unfiledAtCut(move bool) (unfiled []string, readAfter int) {
	if move {
		return []string{"<reply-1@mfa.example>", "<reply-2@mfa.example>", "<reply-3@mfa.example>"}, 0
	}
	return []string{"<reply-2@mfa.example>"}, 1
}

// askedAgain reports whether exactly the messages ids were handed to the
// Handler a second time, once each.
func askedAgain(repeats map[string]int, ids []string) bool {
	if len(repeats) != len(ids) {
		return false
	}
	for _, id := range ids {
		if repeats[id] != 1 {
			return false
		}
	}
	return true
}
