package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"outreach"
	"outreach/directory"
	"outreach/internal/imaptest"
	"outreach/internal/smtptest"
	"outreach/jobs"
	"outreach/mailer"
	"outreach/mailer/inbox"
	"outreach/store"
	"outreach/templates"
)

// roundStart is five weeks before the 28th round: every reminder is ahead.
var roundStart = time.Date(2017, 9, 4, 7, 0, 0, 0, time.UTC)

const (
	imapUser     = "rsvp@presessions.example"
	imapPassword = "Admin-Test-IMAP-pw-4471"
)

type fixture struct {
	t     *testing.T
	dir   string
	st    *store.Store
	e     *jobs.Engine
	clock *jobs.ManualClock
	smtp  *smtptest.Server
}

// newFixture opens a store with the 28th round's sessions and the 195
// missions, and an engine that sends to a recording SMTP server.
func newFixture(t *testing.T, hooks smtptest.Hooks) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), clock: jobs.NewManualClock(roundStart)}
	f.smtp = smtptest.Start(t, hooks)
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(f.dir, "outreach.db"), store.Options{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(f.smtp.Addr)
	p, _ := strconv.Atoi(port)
	sender, err := mailer.New(mailer.Options{Host: host, Port: p, TLS: mailer.Plain, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.e = jobs.New(jobs.Options{Store: st, Event: ev, Clock: f.clock, Templates: set, Sender: sender, Connections: 1,
		Schedule: jobs.Schedule{Lateness: 36 * time.Hour, Rules: []jobs.Rule{
			{Name: "nudge", DaysBefore: 14, Hour: 9, Min: 30, Audience: "no-answer", Template: "reminder-noanswer"},
		}}})
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.ImportMissions(ms, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.ImportSessions(ss, "test"); err != nil {
		t.Fatal(err)
	}
	return f
}

// serveSocket serves h on a fresh admin socket and returns its path.
func serveSocket(t *testing.T, h http.Handler) string {
	t.Helper()
	// Unix socket paths are short (108 bytes); t.TempDir can be long.
	dir, err := os.MkdirTemp("", "adm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "outreach.sock")
	l, err := ListenSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return path
}

func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "adm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestSocketIsOwnerOnly(t *testing.T) {
	// Whatever umask the daemon inherits, the socket is 0600.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(socketDir(t), "outreach.sock")
	l, err := ListenSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("%s is %v, not a socket", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("socket permissions %#o, want 0600 (owner only)", perm)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Geteuid() {
		t.Errorf("socket owned by uid %d, want %d", st.Uid, os.Geteuid())
	}
}

func TestSocketRefusesSecondDaemon(t *testing.T) {
	path := filepath.Join(socketDir(t), "outreach.sock")
	l, err := ListenSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if l2, err := ListenSocket(path); err == nil {
		l2.Close()
		t.Fatal("a second daemon took over the socket of a running one")
	} else if !strings.Contains(err.Error(), "another outreach is running") {
		t.Errorf("error %q does not say another outreach runs", err)
	}
}

func TestSocketReplacesStaleOne(t *testing.T) {
	path := filepath.Join(socketDir(t), "outreach.sock")
	// A daemon that died leaves its socket file behind.
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	l, err := ListenSocket(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l.Close()
}

func TestSocketNeverRemovesAFile(t *testing.T) {
	dir := socketDir(t)
	path := filepath.Join(dir, "outreach.db")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := ListenSocket(path)
	if err == nil {
		l.Close()
		t.Fatal("ListenSocket replaced a regular file")
	}
	if !strings.Contains(err.Error(), "regular file is in the way") {
		t.Errorf("error %q does not say what is in the way", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Fatalf("the file at the socket path was touched: %q %v", b, err)
	}
}

func TestSocketServesTheAPI(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	path := serveSocket(t, Handler(f.e, Hooks{}))
	ctx := context.Background()
	a, err := DialSocket(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Remote {
		t.Error("a socket client does not say it talks to a daemon")
	}
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sessions) != 14 {
		t.Errorf("status over the socket: %d sessions, want 14", len(st.Sessions))
	}
	if _, err := DialSocket(ctx, filepath.Join(filepath.Dir(path), "none.sock")); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("dialing a missing socket: %v, want ErrNoDaemon", err)
	}
}

func TestTCPNeedsTheToken(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	const token = "s3cret-admin-token-0193"
	l, err := ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(f.e, Hooks{Token: token})}
	go srv.Serve(l)
	defer srv.Close()
	addr := l.Addr().String()
	ctx := context.Background()

	for name, tok := range map[string]string{"no token": "", "wrong token": "s3cret-admin-token-0194", "prefix": "s3cret"} {
		_, err := newTCPClient(addr, tok).Status(ctx)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
			t.Errorf("%s: %v, want 401", name, err)
			continue
		}
		if !strings.Contains(ae.Msg, "missing or wrong token") || strings.Contains(ae.Msg, token) {
			t.Errorf("%s: message %q", name, ae.Msg)
		}
	}
	// Every route is behind the token, health and metrics included.
	for _, path := range []string{"/healthz", "/v1/backup", "/v1/missions", "/nowhere"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("GET %s without a token: %s, WWW-Authenticate %q", path, resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
	}
	st, err := newTCPClient(addr, token).Status(ctx)
	if err != nil {
		t.Fatalf("right token refused: %v", err)
	}
	if len(st.Sessions) != 14 {
		t.Errorf("status over TCP: %d sessions", len(st.Sessions))
	}
}

func TestTCPOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0", "192.0.2.1:8025", "example.org:8025", "10.0.0.1:0"} {
		l, err := ListenTCP(addr)
		if err == nil {
			l.Close()
			t.Errorf("ListenTCP(%q) listened on %s", addr, l.Addr())
			continue
		}
		if !strings.Contains(err.Error(), "loopback") && !strings.Contains(err.Error(), "missing port") {
			t.Errorf("ListenTCP(%q): %v does not say why", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		l, err := ListenTCP(addr)
		if err != nil {
			if addr == "[::1]:0" && strings.Contains(err.Error(), "cannot assign") {
				continue // no IPv6 loopback on this machine
			}
			t.Errorf("ListenTCP(%q): %v", addr, err)
			continue
		}
		if ip := l.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Errorf("ListenTCP(%q) bound %s", addr, ip)
		}
		l.Close()
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ctx := context.Background()
	a, err := DialSocket(ctx, serveSocket(t, Handler(f.e, Hooks{})))
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.Health(ctx)
	if err != nil || !h.OK || h.Store != "ok" {
		t.Fatalf("health without a daemon hook: %+v %v", h, err)
	}

	sick := Health{OK: false, Daemon: true, Store: "store: damaged", IMAP: "disconnected", LastError: "dial tcp 127.0.0.1:1: connection refused"}
	path := serveSocket(t, Handler(f.e, Hooks{Health: func() Health { return sick }}))
	a, err = DialSocket(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Health(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Fatalf("unhealthy daemon: %v, want 503", err)
	}
	// The body still says what is wrong, for a monitor to show.
	resp := rawGet(t, path, "/healthz")
	var got Health
	if err := json.Unmarshal(resp.body, &got); err != nil || resp.code != 503 {
		t.Fatalf("%d %s: %v", resp.code, resp.body, err)
	}
	if got.Store != sick.Store || got.LastError != sick.LastError || got.IMAP != "disconnected" {
		t.Errorf("health body %+v", got)
	}
}

type rawResp struct {
	code  int
	ctype string
	body  []byte
}

// rawGet sends a request to the socket with a plain HTTP client, as curl
// --unix-socket would.
func rawGet(t *testing.T, sock, path string) rawResp {
	t.Helper()
	return rawDo(t, sock, "GET", path, "")
}

func rawDo(t *testing.T, sock, method, path, body string) rawResp {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, err := http.NewRequest(method, "http://outreach"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

func TestErrorsAreJSON(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	sock := serveSocket(t, Handler(f.e, Hooks{}))
	cases := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/v1/sessions/XYZ", "", 400, `no session on "XYZ"`},
		{"GET", "/v1/review/abc", "", 400, `"abc" is not a review id`},
		{"GET", "/v1/review/4242", "", 400, "no review item 4242"},
		{"POST", "/v1/rsvp", `{"mission":"JPN","bogus":1}`, 400, `unknown field "bogus"`},
		{"POST", "/v1/rsvp", `{"mission":`, 400, "request body"},
		{"POST", "/v1/outbox/flush", `{}`, 500, "this process cannot send mail"},
		{"POST", "/v1/inbox/sync", ``, 500, "this process cannot read the mailbox"},
		{"GET", "/v1/nowhere", "", 404, "admin: no endpoint /v1/nowhere"},
		{"DELETE", "/v1/missions", "", 405, "does not take DELETE (allowed: GET, HEAD)"},
		{"GET", "/metrics", "", 404, "no endpoint /metrics"},
	}
	for _, c := range cases {
		r := rawDo(t, sock, c.method, c.path, c.body)
		var eb struct {
			Error string `json:"error"`
			Input bool   `json:"input"`
		}
		if err := json.Unmarshal(r.body, &eb); err != nil || r.ctype != "application/json" {
			t.Errorf("%s %s: %s %q is not a JSON error: %v", c.method, c.path, r.ctype, r.body, err)
			continue
		}
		if r.code != c.code || !strings.Contains(eb.Error, c.want) {
			t.Errorf("%s %s: %d %q, want %d containing %q", c.method, c.path, r.code, eb.Error, c.code, c.want)
		}
		if eb.Input != (c.code == 400) {
			t.Errorf("%s %s: input = %v", c.method, c.path, eb.Input)
		}
		if strings.Contains(eb.Error, "invalid input:") {
			t.Errorf("%s %s: internal prefix in %q", c.method, c.path, eb.Error)
		}
	}
	// Through the client the error reads the same and matches jobs.ErrInput.
	a, _ := DialSocket(context.Background(), sock)
	_, err := a.Session(context.Background(), "XYZ")
	if !errors.Is(err, jobs.ErrInput) || !strings.HasPrefix(err.Error(), `no session on "XYZ"`) {
		t.Errorf("client error %v", err)
	}
}

// startIMAP runs an imapmemserver on loopback with an INBOX holding msgs.
func startIMAP(t *testing.T, msgs ...[]byte) string {
	t.Helper()
	return imaptest.Start(t, imapUser, imapPassword, msgs...).Addr
}

func corpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "replies", "testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// calendarAccept is Japan's Outlook accept of its copy of the pre-session
// on the Republic of Korea, carrying the UID that copy was sent with.
func calendarAccept(uid string) []byte {
	return []byte("From: Permanent Mission of Japan <geneva@jpn.mission.example>\r\n" +
		"To: rsvp@presessions.example\r\n" +
		"Subject: Accepted: UPR Pre-session: Republic of Korea\r\n" +
		"Message-ID: <admin-accept@jpn.mission.example>\r\n" +
		"Date: Mon, 18 Sep 2017 09:15:12 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n" +
		"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n" +
		"ATTENDEE;PARTSTAT=ACCEPTED;CN=Permanent Mission of Japan:mailto:geneva@jpn.mission.example\r\n" +
		"UID:" + uid + "\r\nDTSTAMP:20170918T091512Z\r\nSEQUENCE:0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

const outOfOffice = "From: Permanent Mission of Japan <geneva@jpn.mission.example>\r\n" +
	"To: rsvp@presessions.example\r\n" +
	"Subject: Automatic reply: UPR Pre-sessions\r\n" +
	"Auto-Submitted: auto-replied\r\n" +
	"Message-ID: <ooo-1@jpn.mission.example>\r\n" +
	"Date: Mon, 18 Sep 2017 10:00:00 +0200\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"I am out of the office until 25 September.\r\n"

// metrics scrapes /metrics over the socket into name{labels} -> value.
func metrics(t *testing.T, sock string) map[string]float64 {
	t.Helper()
	r := rawGet(t, sock, "/metrics")
	if r.code != 200 {
		t.Fatalf("/metrics: %d %s", r.code, r.body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(r.body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	// The server defers one mission's invitation (451) and refuses
	// another's for good (550).
	f := newFixture(t, smtptest.Hooks{Rcpt: func(to string) error {
		switch {
		case strings.HasSuffix(to, "@jpn.mission.example"):
			return smtptest.Reply(451, [3]int{4, 3, 0}, "greylisted, try later")
		case strings.HasSuffix(to, "@fra.mission.example"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}})
	ctx := context.Background()
	if _, err := f.e.Invite("", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Flush(ctx, 0); err != nil {
		t.Fatal(err)
	}
	out, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, it := range out {
		want[it.State.String()]++
	}
	if want["sent"] == 0 || want["deferred"] == 0 || want["failed"] == 0 {
		t.Fatalf("the fixture did not produce sent, deferred and failed messages: %v", want)
	}

	addr := startIMAP(t, calendarAccept(f.e.UID("JPN", "KOR")), corpus(t, "party-crasher-unknown-uid.eml"), []byte(outOfOffice))
	w, err := inbox.NewWatcher(inbox.Options{Addr: addr, TLS: inbox.Plain, Username: imapUser, Password: imapPassword,
		Folders: []string{"outreach/processed", "outreach/review", "outreach/bounces"}},
		f.e.Intake("INBOX", jobs.Folders{Processed: "outreach/processed", Review: "outreach/review", Bounces: "outreach/bounces"}))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if _, err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(f.e, w.Status))
	sock := serveSocket(t, Handler(f.e, Hooks{Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}))
	m := metrics(t, sock)

	for _, state := range []string{"sent", "deferred", "failed"} {
		key := `outreach_outbox_messages{kind="invitation",state="` + state + `"}`
		if got := m[key]; got != float64(want[state]) {
			t.Errorf("%s = %v, want %d (the outbox holds %v)", key, got, want[state], want)
		}
	}
	if got := m["outreach_outbox_depth"]; got != float64(want["deferred"]+want["queued"]) {
		t.Errorf("outreach_outbox_depth = %v, want %d", got, want["deferred"]+want["queued"])
	}
	ms, _ := f.e.Missions()
	if got, want := m["outreach_missions_unreachable"], len(outreach.Cover(ms).Unreachable); got != float64(want) || want == 0 {
		t.Errorf("outreach_missions_unreachable = %v, want %d (France's addresses were refused)", got, want)
	}
	for kind, n := range map[string]float64{"rsvp": 1, "review": 1, "auto-reply": 1} {
		if got := m[`outreach_replies_total{kind="`+kind+`"}`]; got != n {
			t.Errorf("replies of kind %s = %v, want %v", kind, got, n)
		}
	}
	reviews, _ := f.e.Reviews(outreach.ReviewOpen)
	if len(reviews) == 0 || m["outreach_review_open"] != float64(len(reviews)) {
		t.Errorf("outreach_review_open = %v, %d open", m["outreach_review_open"], len(reviews))
	}
	for key, want := range map[string]float64{"outreach_store_writable": 1, "outreach_imap_folders_not_working": 0} {
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
	last := m["outreach_imap_last_sync_timestamp_seconds"]
	if last < float64(before.Unix()) || last > float64(time.Now().Unix()) {
		t.Errorf("last IMAP sync %v, want between %d and now", last, before.Unix())
	}
	// The first reminder of the round: the nudge, 14 days before
	// 10 October 2017, at 09:30 in Geneva.
	nudge := time.Date(2017, 9, 26, 9, 30, 0, 0, mustZone(t, "Europe/Zurich"))
	if got := m["outreach_next_reminder_timestamp_seconds"]; got != float64(nudge.Unix()) {
		t.Errorf("next reminder at %v, want %v", time.Unix(int64(got), 0).UTC(), nudge.UTC())
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newTCPClient returns a client for a daemon's loopback TCP listener.
func newTCPClient(addr, token string) *Client {
	return &Client{hc: &http.Client{}, base: "http://" + addr, token: token, Remote: true}
}
