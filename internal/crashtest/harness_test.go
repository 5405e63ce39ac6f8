package crashtest

import (
	"bytes"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"outreach/internal/imaptest"
	"outreach/store"
)

// mailbox is the organiser address of the demo configuration: the From of
// every message sent, and the IMAP login.
const mailbox = "rsvp@presessions.example"

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "outreach-crashtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds cmd/outreach once per test run, without the race detector
// (the child is a real deployment's binary; the test process keeps -race).
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		gotool, err := exec.LookPath("go")
		if err != nil {
			// The test binary runs where it was built, so the GOROOT it
			// was built with holds the go command.
			//lint:ignore SA1019 a test binary is never copied to another machine
			gotool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binPath = filepath.Join(binDir, "outreach")
		cmd := exec.Command(gotool, "build", "-o", binPath, "outreach/cmd/outreach")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build outreach/cmd/outreach: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// seed returns the random seed of a test: OUTREACH_CRASH_SEED replays a
// run, otherwise a fresh one is drawn and logged.
func seed(t *testing.T) *rand.Rand {
	t.Helper()
	var s uint64
	if v := os.Getenv("OUTREACH_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("OUTREACH_CRASH_SEED=%q: %v", v, err)
		}
		s = n
	} else {
		s = rand.Uint64()
	}
	t.Logf("seed %d (OUTREACH_CRASH_SEED=%d replays the same kill times)", s, s)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

func secret() string {
	var b [12]byte
	crand.Read(b[:])
	return "pw-" + hex.EncodeToString(b[:])
}

// env is one deployment: a directory with outreach.toml, the store, the
// password files, and the daemon's log (every run appended).
type env struct {
	t            *testing.T
	bin          string
	dir, cfg     string
	smtpPassword string
	imapPassword string
	logPath      string
	log          *os.File
}

// newEnv writes a demo deployment (`outreach init --demo`) whose SMTP and
// IMAP servers are the given loopback addresses, with no throttle worth
// the name and conns SMTP connections.
func newEnv(t *testing.T, smtpAddr, imapAddr string, conns int, imapPassword string) *env {
	t.Helper()
	e := &env{t: t, bin: binary(t), dir: filepath.Join(t.TempDir(), "d"), smtpPassword: secret(), imapPassword: imapPassword}
	e.cfg = filepath.Join(e.dir, "outreach.toml")
	e.mustCLI("init", "--demo", e.dir)
	raw, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, smtpPort, _ := net.SplitHostPort(smtpAddr)
	_, imapPort, _ := net.SplitHostPort(imapAddr)
	text := string(raw)
	for _, r := range []struct{ line, with string }{
		{`host = "smtp.presessions.example"`, `host = "127.0.0.1"`},
		{`port = 587`, "port = " + smtpPort},
		{`tls = "starttls"`, `tls = "plain"`},
		{`per_minute = 30 .*`, `per_minute = 100000`},
		{`per_day = 10000 .*`, `per_day = 1000000`},
		{`connections = 1 .*`, "connections = " + strconv.Itoa(conns)},
		{`host = "imap.presessions.example"`, `host = "127.0.0.1"`},
		{`port = 993`, "port = " + imapPort},
		{`tls = "tls"`, `tls = "plain"`},
	} {
		re := regexp.MustCompile(`(?m)^` + r.line + `$`)
		if n := len(re.FindAllStringIndex(text, -1)); n != 1 {
			t.Fatalf("example configuration: %d lines match %q, want 1", n, r.line)
		}
		text = re.ReplaceAllLiteralString(text, r.with)
	}
	if err := os.WriteFile(e.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, pw := range map[string]string{"smtp-password": e.smtpPassword, "imap-password": e.imapPassword} {
		if err := os.WriteFile(filepath.Join(e.dir, "secrets", name), []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.logPath = filepath.Join(e.dir, "daemon.log")
	if e.log, err = os.Create(e.logPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.log.Close() })
	return e
}

// cli runs one CLI command against the deployment.
func (e *env) cli(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(e.bin, append([]string{"--config", e.cfg}, args...)...)
	cmd.Dir = filepath.Dir(e.dir)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func (e *env) mustCLI(args ...string) string {
	e.t.Helper()
	out, errs, err := e.cli(args...)
	if err != nil {
		e.t.Fatalf("outreach %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

func (e *env) storePath() string { return filepath.Join(e.dir, "outreach.db") }

// view opens the store (the daemon must be dead) and runs fn on it.
func (e *env) view(path string, fn func(tx *store.Tx) error) {
	e.t.Helper()
	st, err := store.Open(path, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatalf("open store after the daemon: %v", err)
	}
	defer st.Close()
	if err := st.View(fn); err != nil {
		e.t.Fatal(err)
	}
}

// backup asks the running daemon for a consistent copy of its store
// (`outreach backup`, safe while it runs) and returns the copy's path.
func (e *env) backup() string {
	e.t.Helper()
	path := filepath.Join(e.dir, "snapshot.db")
	os.Remove(path)
	e.mustCLI("backup", path)
	return path
}

type missionJSON struct {
	ID       string `json:"id"`
	Contacts []struct {
		Email string `json:"email"`
	} `json:"contacts"`
}

type sessionJSON struct {
	SuR string `json:"sur"`
}

func (e *env) missions() []missionJSON {
	e.t.Helper()
	var ms []missionJSON
	if err := json.Unmarshal([]byte(e.mustCLI("missions", "list", "--json")), &ms); err != nil {
		e.t.Fatal(err)
	}
	return ms
}

func (e *env) sessions() []sessionJSON {
	e.t.Helper()
	var ss []sessionJSON
	if err := json.Unmarshal([]byte(e.mustCLI("sessions", "list", "--json")), &ss); err != nil {
		e.t.Fatal(err)
	}
	return ss
}

// growDirectory imports missions (`outreach missions import`) until the
// directory holds n, each with one address of its own.
func (e *env) growDirectory(n int) {
	e.t.Helper()
	have := map[string]bool{}
	for _, m := range e.missions() {
		have[m.ID] = true
	}
	var csv strings.Builder
	csv.WriteString("id,name_en,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\n")
	langs := []string{"en", "fr", "es"}
	added := 0
	for i := 0; len(have)+added < n; i++ {
		id := string([]byte{byte('A' + i/676%26), byte('A' + i/26%26), byte('A' + i%26)})
		if i >= 26*26*26 {
			e.t.Fatal("ran out of three-letter ids")
		}
		if have[id] {
			continue
		}
		lid := strings.ToLower(id)
		fmt.Fprintf(&csv, "%s,Land %s,Pays %s,País %s,,,,%s,geneva@%s.crash.example,%s.crash.example\n",
			id, id, id, id, langs[added%3], lid, lid)
		added++
	}
	path := filepath.Join(e.dir, "more-missions.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.mustCLI("missions", "import", path)
}

// daemon is one run of `outreach run`.
type daemon struct {
	cmd    *exec.Cmd
	ready  chan struct{}
	exited chan struct{}
	err    error
}

// lineWriter appends the daemon's output to the log and closes ready at
// the line that says it runs.
type lineWriter struct {
	mu    sync.Mutex
	to    io.Writer
	buf   []byte
	ready chan struct{}
	once  sync.Once
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if bytes.Contains(w.buf[:i], []byte(`msg="outreach running"`)) {
			w.once.Do(func() { close(w.ready) })
		}
		w.buf = w.buf[i+1:]
	}
	return w.to.Write(p)
}

// start starts the daemon in the background.
func (e *env) start() *daemon {
	e.t.Helper()
	d := &daemon{ready: make(chan struct{}), exited: make(chan struct{})}
	fmt.Fprintf(e.log, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	w := &lineWriter{to: e.log, ready: d.ready}
	d.cmd = exec.Command(e.bin, "--config", e.cfg, "run")
	d.cmd.Dir = e.dir
	d.cmd.Stdout, d.cmd.Stderr = w, w
	if err := d.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	e.t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.exited
	})
	return d
}

// waitReady waits until the daemon says it runs.
func (e *env) waitReady(d *daemon) {
	e.t.Helper()
	select {
	case <-d.ready:
	case <-d.exited:
		e.t.Fatalf("the daemon stopped before it was ready: %v; log %s:\n%s", d.err, e.logPath, e.tail())
	case <-time.After(30 * time.Second):
		e.t.Fatalf("the daemon was not ready after 30s; log:\n%s", e.tail())
	}
}

// kill kills the daemon with SIGKILL and reports whether it was still
// running (false: it had stopped by itself, which is a failure).
func (e *env) kill(d *daemon) {
	e.t.Helper()
	select {
	case <-d.exited:
		e.t.Fatalf("the daemon stopped by itself: %v; log:\n%s", d.err, e.tail())
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	<-d.exited
	fmt.Fprintf(e.log, "--- killed %s\n", time.Now().Format(time.RFC3339Nano))
}

// stop stops the daemon with SIGTERM and waits for a clean exit.
func (e *env) stop(d *daemon) {
	e.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		e.t.Fatal(err)
	}
	select {
	case <-d.exited:
		if d.err != nil {
			e.t.Fatalf("daemon exit after SIGTERM: %v; log:\n%s", d.err, e.tail())
		}
	case <-time.After(30 * time.Second):
		e.t.Fatalf("daemon still running 30s after SIGTERM; log:\n%s", e.tail())
	}
}

// tail returns the end of the daemon's log.
func (e *env) tail() string {
	raw, _ := os.ReadFile(e.logPath)
	if len(raw) > 6000 {
		raw = raw[len(raw)-6000:]
	}
	return string(raw)
}

// assertNoSecrets checks that neither password appears in the daemon's log.
func (e *env) assertNoSecrets() {
	e.t.Helper()
	raw, err := os.ReadFile(e.logPath)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(raw) == 0 {
		e.t.Fatal("the daemon wrote no log: nothing to check for passwords")
	}
	for name, pw := range map[string]string{"SMTP": e.smtpPassword, "IMAP": e.imapPassword} {
		if bytes.Contains(raw, []byte(pw)) {
			e.t.Errorf("the %s password appears in the daemon's log %s", name, e.logPath)
		}
	}
}

// imapServer is an in-memory IMAP server (IMAP4rev2: IDLE, MOVE, UIDPLUS)
// on 127.0.0.1, outliving every daemon run of a test.
type imapServer struct {
	addr     string
	password string
	srv      *imaptest.Server
}

func startIMAP(t *testing.T) *imapServer {
	t.Helper()
	srv := imaptest.Start(t, mailbox, secret())
	return &imapServer{addr: srv.Addr, password: srv.Password, srv: srv}
}

func (s *imapServer) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := s.srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appendAll delivers msgs to INBOX and returns the UID each one got.
func (s *imapServer) appendAll(t *testing.T, msgs [][]byte) []imap.UID {
	t.Helper()
	uids := make([]imap.UID, len(msgs))
	for i, raw := range msgs {
		uid, err := s.srv.Append("INBOX", raw)
		if err != nil {
			t.Fatal(err)
		}
		uids[i] = uid
	}
	return uids
}

// messageIDs returns the Message-ID of every message in folder (missing
// folders are empty).
func (s *imapServer) messageIDs(t *testing.T, folder string) []string {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return nil
	}
	bufs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range bufs {
		ids = append(ids, b.Envelope.MessageID)
	}
	return ids
}

// bare strips the angle brackets of a Message-ID.
func bare(id string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
}

// killClock draws kill times so that the kills spread over about three
// quarters of the work: the rate of the runs so far sets how long the
// next run may last.
type killClock struct {
	rng   *rand.Rand
	total int     // messages to get through
	kills int     // kills planned
	rate  float64 // messages a second, re-estimated from every run
}

// startUp reports whether the next kill should fall during start-up (one
// run in five), and how long after the start it falls.
func (k *killClock) startUp() (bool, time.Duration) {
	if k.rng.IntN(5) != 0 {
		return false, 0
	}
	return true, time.Duration(k.rng.IntN(150)) * time.Millisecond
}

// delay returns how long after the daemon is ready to kill it, given how
// many messages are done and how many kills are done.
func (k *killClock) delay(done, killed int) time.Duration {
	left := float64(k.total-done) / k.rate // seconds of work left
	mean := time.Duration(left * 0.5 / float64(k.kills-killed) * float64(time.Second))
	d := time.Duration(k.rng.Int64N(int64(2*mean) + 1))
	return min(max(d, 10*time.Millisecond), time.Duration(left*0.5*float64(time.Second)), 5*time.Second)
}

// observe records that a run got through n messages in d. A run faster
// than the estimate sets it at once (an estimate too low lets the work end
// before the kills planned); a slower one brings it down by half the
// difference. A run that got through none was killed before the work
// started: the estimate was too high, and is lowered a little.
func (k *killClock) observe(n int, d time.Duration) {
	switch {
	case n > 0 && d > 0:
		r := float64(n) / d.Seconds()
		k.rate = max(r, 0.5*k.rate+0.5*r)
	case n == 0:
		k.rate = max(k.rate*0.8, 10)
	}
}
