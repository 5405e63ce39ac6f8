package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"outreach"
	"outreach/admin"
	"outreach/config"
	"outreach/internal/imaptest"
	"outreach/internal/smtptest"
)

// Distinctive secrets: the daemon's logs must never contain them.
const (
	daemonSMTPPassword = "smtp-Secret-Pw-0x5f3759df"
	daemonIMAPPassword = "imap-Secret-Pw-0x1badb002"
	wrongIMAPPassword  = "imap-Wrong-Pw-0xdeadbeef"
	organiserMailbox   = "rsvp@presessions.example"
)

// notifyListener is the systemd side of sd_notify: a unixgram socket that
// records every datagram the daemon sends.
type notifyListener struct {
	path string
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) *notifyListener {
	t.Helper()
	dir, err := os.MkdirTemp("", "ntf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n := &notifyListener{path: filepath.Join(dir, "notify")}
	n.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.conn.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			k, err := n.conn.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	return n
}

// all returns every datagram received so far.
func (n *notifyListener) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// waitFor waits until a datagram at index from or later has a line for
// which match is true, and returns that datagram's index.
func (n *notifyListener) waitFor(t *testing.T, from int, what string, match func(line string) bool, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		msgs := n.all()
		for i := from; i < len(msgs); i++ {
			for _, line := range strings.Split(msgs[i], "\n") {
				if match(line) {
					return i
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s from the daemon within %v; it sent:\n%s", what, d, strings.Join(msgs[from:], "\n--\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func line(want string) func(string) bool { return func(l string) bool { return l == want } }

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// buildOutreach builds the command once per test into dir.
func buildOutreach(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "outreach")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startMailbox runs an imapmemserver on loopback holding the organiser's
// INBOX with msgs in it.
func startMailbox(t *testing.T, msgs ...[]byte) string {
	t.Helper()
	return imaptest.Start(t, organiserMailbox, daemonIMAPPassword, msgs...).Addr
}

// replaceOnce replaces old by new in s, and fails when old is not there
// exactly once (the example configuration changed).
func replaceOnce(t testing.TB, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("the example configuration has %q %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// daemonConfig rewrites the demo's configuration to use the test's SMTP
// and IMAP servers, passwords from the environment, and a short socket
// path.
func daemonConfig(t testing.TB, cfgPath, smtpAddr, imapAddr, sock string) {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	sh, sp, _ := net.SplitHostPort(smtpAddr)
	ih, ip, _ := net.SplitHostPort(imapAddr)
	s = replaceOnce(t, s, "host = \"smtp.presessions.example\"\nport = 587\ntls = \"starttls\"", fmt.Sprintf("host = %q\nport = %s\ntls = \"plain\"", sh, sp))
	s = replaceOnce(t, s, `password_file = "secrets/smtp-password"`, `password_env = "OUTREACH_TEST_SMTP_PASSWORD"`)
	s = replaceOnce(t, s, "per_minute = 30 ", "per_minute = 6000 ")
	s = replaceOnce(t, s, "host = \"imap.presessions.example\"\nport = 993\ntls = \"tls\"", fmt.Sprintf("host = %q\nport = %s\ntls = \"plain\"", ih, ip))
	s = replaceOnce(t, s, `password_file = "secrets/imap-password"`, `password_env = "OUTREACH_TEST_IMAP_PASSWORD"`)
	s = replaceOnce(t, s, `socket = "outreach.sock"`, fmt.Sprintf("socket = %q", sock))
	s = replaceOnce(t, s, `level = "info"`, `level = "debug"`)
	if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

type child struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan error
}

// startDaemon runs `outreach run` as systemd would: NOTIFY_SOCKET and
// WATCHDOG_USEC set, passwords in the environment.
func startDaemon(t *testing.T, bin, cfg string, n *notifyListener, imapPassword string, grace time.Duration) *child {
	t.Helper()
	cmd := exec.Command(bin, "--config", cfg, "run", "--stop-grace", grace.String())
	cmd.Env = append(os.Environ(),
		"NOTIFY_SOCKET="+n.path,
		"WATCHDOG_USEC=1000000",
		"OUTREACH_TEST_SMTP_PASSWORD="+daemonSMTPPassword,
		"OUTREACH_TEST_IMAP_PASSWORD="+imapPassword,
	)
	c := &child{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = c.stderr
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// socketPath is a path for the daemon's admin socket, short enough for a
// unix socket (a test's temporary folder may not be), removed after the
// test.
func socketPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "outreach.sock")
}

// freeLoopbackAddr is a loopback address with a port free just now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runInBackground starts `outreach --config cfg run ARGS` with the test
// servers' passwords and env in its environment, its output gathered in
// the buffer returned; the test's cleanup stops it with SIGTERM (and kills
// it after 30 s).
func runInBackground(t *testing.T, bin, cfg string, env []string, args ...string) *lockedBuffer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--config", cfg, "run"}, args...)...)
	cmd.Env = append(append(os.Environ(), "OUTREACH_TEST_SMTP_PASSWORD="+daemonSMTPPassword,
		"OUTREACH_TEST_IMAP_PASSWORD="+daemonIMAPPassword), env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	})
	return out
}

// stop sends SIGTERM and waits for the exit within limit.
func (c *child) stop(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("outreach run after SIGTERM: %v\n%s", err, c.stderr)
		}
	case <-time.After(limit):
		t.Fatalf("outreach run did not stop within %v of SIGTERM\n%s", limit, c.stderr)
	}
	return time.Since(start)
}

// runCLI runs a command of the built binary, as an operator would.
func runCLI(t *testing.T, bin, cfg string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("outreach %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func outboxItems(t *testing.T, bin, cfg string) []outreach.OutboxItem {
	t.Helper()
	var items []outreach.OutboxItem
	if err := json.Unmarshal([]byte(runCLI(t, bin, cfg, "outbox", "--json")), &items); err != nil {
		t.Fatal(err)
	}
	return items
}

func TestRunUnderSystemd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	r := &systemdRun{t: t, bin: buildOutreach(t)}
	r.delay.Store(int64(150 * time.Millisecond))
	r.srv = smtptest.Start(t, smtptest.Hooks{Data: func(*smtptest.Message) error {
		r.inData.Add(1)
		defer r.inData.Add(-1)
		time.Sleep(time.Duration(r.delay.Load()))
		return nil
	}})
	reply, err := os.ReadFile(filepath.Join("..", "..", "replies", "testdata", "corpus", "outlook-accept-en.eml"))
	if err != nil {
		t.Fatal(err)
	}
	imapAddr := startMailbox(t, reply)

	_, r.cfg = demoDir(t)
	r.sock = socketPath(t)
	daemonConfig(t, r.cfg, r.srv.Addr, imapAddr, r.sock)
	if out := runCLI(t, r.bin, r.cfg, "invite"); !strings.Contains(out, "Queued") {
		t.Fatalf("invite: %s", out)
	}
	r.queued = len(outboxItems(t, r.bin, r.cfg))
	if r.queued < 190 {
		t.Fatalf("%d invitations queued, want one per reachable mission", r.queued)
	}

	r.n = listenNotify(t)
	d := startDaemon(t, r.bin, r.cfg, r.n, daemonIMAPPassword, 10*time.Second)
	r.notifiesReadyStatusAndWatchdog()
	r.checkCLIGoesThroughSocket()
	r.reloadsOnSIGHUP(d)
	before := r.stopsCleanlyWhileSending(d)
	logs := r.restartDeliversEverything(before)
	logs += r.stopsAfterGraceWithServerStalled()
	r.checkNothingLost()
	logs += r.refusedIMAPLoginLogged()
	checkNoPasswordInLogs(t, logs)
}

// systemdRun is the daemon of TestRunUnderSystemd and what it talks to: a
// test SMTP server whose every DATA takes delay, with inData transactions
// between DATA and its reply, and the notify socket.
type systemdRun struct {
	t              *testing.T
	bin, cfg, sock string
	srv            *smtptest.Server
	delay          atomic.Int64 // per message, set by the test
	inData         atomic.Int32 // transactions between DATA and the server's reply
	n              *notifyListener
	queued         int // invitations queued before the daemon starts
}

// notifiesReadyStatusAndWatchdog: READY after the store is open and the
// configuration valid, then STATUS lines and watchdog pings.
func (r *systemdRun) notifiesReadyStatusAndWatchdog() {
	t, n := r.t, r.n
	t.Helper()
	ready := n.waitFor(t, 0, "READY=1", line("READY=1"), 30*time.Second)
	n.waitFor(t, ready, "a STATUS line", func(l string) bool { return strings.HasPrefix(l, "STATUS=") && strings.Contains(l, "outbox") }, 5*time.Second)
	first := n.waitFor(t, ready, "WATCHDOG=1", line("WATCHDOG=1"), 5*time.Second)
	n.waitFor(t, first+1, "a second WATCHDOG=1", line("WATCHDOG=1"), 5*time.Second)
	n.waitFor(t, ready, "STATUS with imap idle", func(l string) bool { return strings.HasPrefix(l, "STATUS=") && strings.Contains(l, "imap idle") }, 15*time.Second)
}

// checkCLIGoesThroughSocket: while the daemon runs it holds the store: a
// CLI command that works now went through the admin socket, which is
// mode 0600 and tells the daemon's health.
func (r *systemdRun) checkCLIGoesThroughSocket() {
	t := r.t
	t.Helper()
	if st := runCLI(t, r.bin, r.cfg, "status"); !strings.Contains(st, "Universality: ") || !strings.Contains(st, "KOR") {
		t.Errorf("status through the daemon:\n%s", st)
	}
	a, err := admin.DialSocket(context.Background(), r.sock)
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.Health(context.Background())
	if err != nil || !h.Daemon || !h.OK || h.IMAP != "idle" || h.LastSync.IsZero() {
		t.Errorf("health through the socket: %+v %v", h, err)
	}
	if fi, err := os.Stat(r.sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket: %v %v, want mode 0600", fi.Mode(), err)
	}
}

// reloadsOnSIGHUP: RELOADING, then READY again. A configuration that does
// not load is refused and the running one kept.
func (r *systemdRun) reloadsOnSIGHUP(d *child) {
	t, n, cfg := r.t, r.n, r.cfg
	t.Helper()
	before := len(n.all())
	d.cmd.Process.Signal(syscall.SIGHUP)
	rl := n.waitFor(t, before, "RELOADING=1", line("RELOADING=1"), 5*time.Second)
	if !strings.Contains(n.all()[rl], "MONOTONIC_USEC=") {
		t.Errorf("RELOADING without MONOTONIC_USEC: %q", n.all()[rl])
	}
	n.waitFor(t, rl+1, "READY=1 after the reload", line("READY=1"), 5*time.Second)
	good, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(good), `level = "debug"`, `level = "loud"`, 1)), 0o600)
	before = len(n.all())
	d.cmd.Process.Signal(syscall.SIGHUP)
	rl = n.waitFor(t, before, "RELOADING=1", line("RELOADING=1"), 5*time.Second)
	n.waitFor(t, rl, "STATUS=reload refused", func(l string) bool {
		return strings.HasPrefix(l, "STATUS=reload refused") && strings.Contains(l, "log.level")
	}, 5*time.Second)
	n.waitFor(t, rl+1, "READY=1 after the refused reload", line("READY=1"), 5*time.Second)
	os.WriteFile(cfg, good, 0o600)
}

// stopsCleanlyWhileSending: SIGTERM while the invitations go out slowly:
// STOPPING, the message in flight finishes, exit 0 well within the stop
// grace; the store agrees with the server and the socket is gone. It
// returns how many notify lines there were before the stop.
func (r *systemdRun) stopsCleanlyWhileSending(d *child) int {
	t, n, smtpSrv := r.t, r.n, r.srv
	t.Helper()
	sendDeadline := time.Now().Add(time.Minute)
	for smtpSrv.Count() < 5 || r.inData.Load() != 1 {
		if time.Now().After(sendDeadline) {
			t.Fatalf("the daemon is not sending\n%s", d.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := len(n.all())
	atSignal := smtpSrv.Count() // and one message in its DATA phase
	took := d.stop(t, 10*time.Second)
	n.waitFor(t, before, "STOPPING=1", line("STOPPING=1"), time.Second)
	atStop := smtpSrv.Count()
	t.Logf("SIGTERM with message %d of %d in flight: stopped in %v, %d delivered", atSignal+1, r.queued, took.Round(time.Millisecond), atStop)
	if atStop < atSignal+1 || atStop > atSignal+2 {
		t.Errorf("%d delivered at SIGTERM with one in flight, %d after the stop: want the one in flight finished and no more started", atSignal, atStop)
	}
	if atStop >= r.queued {
		t.Fatalf("all %d messages went out before SIGTERM; the stop was not tested during sending", atStop)
	}
	stopped := outboxItems(t, r.bin, r.cfg) // the daemon is gone: the CLI opens the store itself
	states := map[string]int{}
	for _, it := range stopped {
		states[it.State.String()]++
	}
	if states["sending"] != 0 {
		t.Errorf("a clean stop left %d messages in sending", states["sending"])
	}
	if states["sent"] != atStop {
		t.Errorf("the store says %d sent, the server received %d", states["sent"], atStop)
	}
	if _, err := os.Stat(r.sock); err == nil {
		t.Error("the admin socket is still there after the daemon stopped")
	}
	return before
}

// restartDeliversEverything: restarted with a fast server, everything goes
// out, once, and the metrics say so, and that intake ran. It returns the
// daemon's log.
func (r *systemdRun) restartDeliversEverything(before int) string {
	t := r.t
	t.Helper()
	r.delay.Store(0)
	d := startDaemon(t, r.bin, r.cfg, r.n, daemonIMAPPassword, 10*time.Second)
	r.n.waitFor(t, before+1, "READY=1 after the restart", line("READY=1"), 30*time.Second)
	waitDelivered(t, r.bin, r.cfg, d, r.srv)
	m := scrape(t, r.sock)
	if m["outreach_outbox_depth"] != 0 || m[`outreach_outbox_messages{kind="invitation",state="sent"}`] != float64(r.queued) {
		t.Errorf("metrics after the round: depth %v, sent %v, want 0 and %d", m["outreach_outbox_depth"], m[`outreach_outbox_messages{kind="invitation",state="sent"}`], r.queued)
	}
	replies := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, "outreach_replies_total{") {
			replies += v
		}
	}
	if replies != 1 || m["outreach_imap_last_sync_timestamp_seconds"] == 0 || m["outreach_imap_connected"] != 1 {
		t.Errorf("metrics of intake: replies %v, last sync %v, connected %v", replies, m["outreach_imap_last_sync_timestamp_seconds"], m["outreach_imap_connected"])
	}
	d.stop(t, 10*time.Second)
	return d.stderr.String()
}

// stopsAfterGraceWithServerStalled: with a server that stalls past the
// stop grace, the daemon still exits 0 soon after the grace, and the
// message it gave up on goes again after the restart under the same
// Message-ID. Moving a session queues a calendar update for every
// mission. It returns the daemons' logs.
func (r *systemdRun) stopsAfterGraceWithServerStalled() string {
	t, n := r.t, r.n
	t.Helper()
	if out := runCLI(t, r.bin, r.cfg, "sessions", "move", "KOR", "--room", "Room XXI"); !strings.Contains(out, "KOR") {
		t.Fatalf("sessions move: %s", out)
	}
	r.delay.Store(int64(3 * time.Second))
	before := len(n.all())
	d := startDaemon(t, r.bin, r.cfg, n, daemonIMAPPassword, time.Second)
	n.waitFor(t, before, "READY=1", line("READY=1"), 30*time.Second)
	stallDeadline := time.Now().Add(30 * time.Second)
	for r.inData.Load() != 1 {
		if time.Now().After(stallDeadline) {
			t.Fatalf("the daemon is not sending the updates\n%s", d.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := d.stop(t, 8*time.Second)
	t.Logf("SIGTERM with the server stalled for 3s and --stop-grace 1s: stopped in %v", took.Round(time.Millisecond))
	if took < time.Second {
		t.Errorf("stopped in %v, before the stop grace ended, with a transaction in flight", took)
	}
	if !strings.Contains(d.stderr.String(), "did not answer in time") {
		t.Errorf("the log does not say the message in flight was given up:\n%s", d.stderr)
	}
	logs := d.stderr.String()
	r.delay.Store(0)
	for r.inData.Load() != 0 { // the stalled transaction ends on the server
		time.Sleep(20 * time.Millisecond)
	}
	before = len(n.all())
	d = startDaemon(t, r.bin, r.cfg, n, daemonIMAPPassword, 10*time.Second)
	n.waitFor(t, before, "READY=1", line("READY=1"), 30*time.Second)
	waitDelivered(t, r.bin, r.cfg, d, r.srv)
	d.stop(t, 10*time.Second)
	return logs + d.stderr.String()
}

// checkNothingLost: every message of the outbox arrived, under its own
// Message-ID; a copy sent twice carries the same Message-ID; the daemon
// logged in to SMTP with the configured password.
func (r *systemdRun) checkNothingLost() {
	t, smtpSrv := r.t, r.srv
	t.Helper()
	ids := map[string]outreach.OutboxItem{}
	retry := 0
	for _, it := range outboxItems(t, r.bin, r.cfg) {
		switch it.State {
		case outreach.Sent:
		case outreach.Deferred:
			// The message given up at the stall: the server has it (checked
			// below); the outbox will offer it again under the same ID.
			retry++
		default:
			t.Errorf("%s is %s after the restart: %s", it.Key, it.State, it.Error)
		}
		ids[it.MessageID] = it
	}
	if retry > 1 {
		t.Errorf("%d messages deferred after the stall; only the one in flight may be", retry)
	}
	got := map[string]int{}
	for _, msg := range smtpSrv.Messages() {
		if _, ok := ids[msg.MessageID]; !ok {
			t.Errorf("the server received a message the outbox does not hold: %q", msg.MessageID)
		}
		got[msg.MessageID]++
	}
	dups := 0
	for id, it := range ids {
		switch {
		case got[id] == 0:
			t.Errorf("LOST: %s (%s) never arrived", it.Key, id)
		case got[id] > 1:
			dups += got[id] - 1
		}
	}
	if dups > 2 {
		t.Errorf("%d duplicate deliveries across two stops; at most one per stop (the message in flight) is allowed", dups)
	}
	t.Logf("%d messages in the outbox, %d deliveries, %d duplicates (same Message-ID)", len(ids), len(smtpSrv.Messages()), dups)
	auths := smtpSrv.Auths()
	if len(auths) == 0 || auths[0].Username != organiserMailbox || auths[0].Password != daemonSMTPPassword {
		t.Errorf("the daemon did not log in to SMTP with the password from smtp.password_env: %d logins", len(auths))
	}
}

// refusedIMAPLoginLogged: a daemon whose IMAP login is refused logs the
// failure. It returns the daemon's log.
func (r *systemdRun) refusedIMAPLoginLogged() string {
	t := r.t
	t.Helper()
	bad := startDaemon(t, r.bin, r.cfg, r.n, wrongIMAPPassword, 10*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(bad.stderr.String(), "inbox: the server refused the login") {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the refused IMAP login:\n%s", bad.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bad.stop(t, 10*time.Second)
	return bad.stderr.String()
}

// checkNoPasswordInLogs: the daemons' logs, at debug level, hold none of
// the passwords.
func checkNoPasswordInLogs(t *testing.T, all string) {
	t.Helper()
	for _, secret := range []string{daemonSMTPPassword, daemonIMAPPassword, wrongIMAPPassword} {
		if strings.Contains(all, secret) {
			t.Errorf("the logs contain a password (%s...)", secret[:8])
		}
	}
	if !strings.Contains(all, "level=DEBUG") {
		t.Error("the logs were not at debug level; the password check saw less than it could")
	}
}

// waitDelivered waits, asking the running daemon through its socket,
// until every message of the outbox has reached the server: sent, or
// deferred after the server received it (a transaction the daemon gave up
// on at a stop, to be offered again under the same Message-ID).
func waitDelivered(t *testing.T, bin, cfg string, d *child, srv *smtptest.Server) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := map[string]bool{}
		for _, m := range srv.Messages() {
			got[m.MessageID] = true
		}
		pending := 0
		for _, it := range outboxItems(t, bin, cfg) {
			if it.State.Pending() && !(it.State == outreach.Deferred && got[it.MessageID]) {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still pending after 2 minutes\n%s", pending, d.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scrape reads /metrics over the admin socket, as a monitor would.
func scrape(t *testing.T, sock string) map[string]float64 {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := hc.Get("http://outreach/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := map[string]float64{}
	for _, l := range strings.Split(string(body), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q", l)
		}
		out[l[:i]] = v
	}
	return out
}

// unitDirectives reads a systemd unit file into key -> values.
func unitDirectives(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: %q is not a directive", path, l)
		}
		d[k] = append(d[k], v)
	}
	return d
}

// The unit and the service configuration in deploy/ fit together: the
// store in StateDirectory, the socket in RuntimeDirectory, the passwords
// from LoadCredential, a stop timeout longer than the daemon's stop grace.
func TestDeployUnitAndConfigAgree(t *testing.T) {
	u := unitDirectives(t, filepath.Join("..", "..", "deploy", "outreach.service"))
	one := func(k string) string {
		t.Helper()
		if len(u[k]) != 1 {
			t.Fatalf("outreach.service: %s given %d times, want once", k, len(u[k]))
		}
		return u[k][0]
	}
	for k, want := range map[string]string{"Type": "notify", "NotifyAccess": "main", "Restart": "on-failure",
		"User": "outreach", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes", "UMask": "0077",
		"CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6"} {
		if got := one(k); got != want {
			t.Errorf("outreach.service: %s=%s, want %s", k, got, want)
		}
	}
	if !strings.Contains(one("ExecReload"), "-HUP $MAINPID") {
		t.Errorf("ExecReload=%s does not send SIGHUP", one("ExecReload"))
	}
	start := strings.Fields(one("ExecStart"))
	if len(start) != 4 || start[1] != "--config" || start[3] != "run" {
		t.Fatalf("ExecStart=%s, want BINARY --config FILE run", one("ExecStart"))
	}
	if !strings.HasPrefix(start[2], "/etc/"+one("ConfigurationDirectory")+"/") {
		t.Errorf("the configuration %s is not in ConfigurationDirectory=%s", start[2], one("ConfigurationDirectory"))
	}
	watchdog, err := time.ParseDuration(one("WatchdogSec"))
	if err != nil || watchdog < 10*time.Second {
		t.Errorf("WatchdogSec=%s: %v", one("WatchdogSec"), err)
	}
	// SIGTERM: the stop grace for the message in flight, plus 5s to close
	// the endpoint, must fit in TimeoutStopSec or systemd kills mid-send.
	stopTimeout, err := time.ParseDuration(one("TimeoutStopSec"))
	if err != nil || stopTimeout < 20*time.Second+5*time.Second {
		t.Errorf("TimeoutStopSec=%s is shorter than the default stop grace (20s) and the endpoint's 5s: %v", one("TimeoutStopSec"), err)
	}

	cfg, err := config.Load(filepath.Join("..", "..", "deploy", "outreach.toml"))
	if err != nil {
		t.Fatalf("deploy/outreach.toml: %v", err)
	}
	if want := "/var/lib/" + one("StateDirectory") + "/outreach.db"; cfg.StorePath() != want {
		t.Errorf("store at %s, want %s (StateDirectory)", cfg.StorePath(), want)
	}
	if want := "/run/" + one("RuntimeDirectory") + "/"; !strings.HasPrefix(cfg.SocketPath(), want) {
		t.Errorf("admin socket at %s, want it in %s (RuntimeDirectory)", cfg.SocketPath(), want)
	}
	// systemd copies each LoadCredential= file into $CREDENTIALS_DIRECTORY
	// under its name; the configuration reads the passwords from there.
	creds := t.TempDir()
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	names := map[string]bool{}
	for _, lc := range u["LoadCredential"] {
		name, src, _ := strings.Cut(lc, ":")
		if !strings.HasPrefix(src, "/etc/"+one("ConfigurationDirectory")+"/") {
			t.Errorf("credential %s read from %s, outside the configuration directory", name, src)
		}
		names[name] = true
		os.WriteFile(filepath.Join(creds, name), []byte("pw-of-"+name+"\n"), 0o400)
	}
	if pw, err := cfg.SMTPPassword(); err != nil || pw != "pw-of-smtp-password" {
		t.Errorf("SMTP password through LoadCredential: %q %v", pw, err)
	}
	if pw, err := cfg.IMAPPassword(); err != nil || pw != "pw-of-imap-password" {
		t.Errorf("IMAP password through LoadCredential: %q %v", pw, err)
	}
	if len(names) != 2 {
		t.Errorf("LoadCredential for %v, want smtp-password and imap-password", names)
	}
}

// TestRunUnhealthyWhileSMTPFails: when every outbox run fails at the
// connection (here the server refuses the login), /healthz says so with the
// server's words and turns unhealthy, and recovers once mail goes out.
func TestRunUnhealthyWhileSMTPFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildOutreach(t)
	var refuse atomic.Bool
	refuse.Store(true)
	smtpSrv := smtptest.Start(t, smtptest.Hooks{Auth: func(string, string) error {
		if refuse.Load() {
			return smtptest.Reply(535, [3]int{5, 7, 8}, "Authentication credentials invalid")
		}
		return nil
	}})
	imapAddr := startMailbox(t)
	_, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, imapAddr, sock)
	runCLI(t, bin, cfg, "invite", "--mission", "JPN")

	// An accelerated clock makes the outbox's back-off (30 s, 60 s, ...)
	// pass in a moment.
	out := runInBackground(t, bin, cfg, nil, "--clock", "2017-09-04T07:00:00Z", "--speed", "600")

	health := func() (admin.Health, error) {
		a, err := admin.DialSocket(context.Background(), sock)
		if err != nil {
			return admin.Health{}, err
		}
		return a.Health(context.Background())
	}
	deadline := time.Now().Add(60 * time.Second)
	var h admin.Health
	var err error
	for {
		h, err = health()
		if err != nil && !h.OK && strings.Contains(h.SMTP, "535") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never turned unhealthy with the server's words: %+v %v\n%s", h, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(h.SMTP, "failing since") || h.Store != "ok" {
		t.Errorf("health while SMTP fails: %+v", h)
	}
	if strings.Contains(out.String(), daemonSMTPPassword) {
		t.Errorf("the daemon's log shows the SMTP password")
	}

	// The server takes the login again: the invitation goes out and the
	// daemon is healthy again.
	refuse.Store(false)
	deadline = time.Now().Add(60 * time.Second)
	for {
		h, err = health()
		if err == nil && h.OK && h.SMTP == "ok" && smtpSrv.Count() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health did not recover after SMTP came back: %+v %v (delivered %d)\n%s", h, err, smtpSrv.Count(), out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
