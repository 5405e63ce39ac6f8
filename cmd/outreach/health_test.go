package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"outreach/admin"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
)

// smallTmpfs mounts a tmpfs of the given size on a temporary folder (as the
// store's full-disk tests do) and unmounts it at the end.
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, bytes.TrimSpace(out))
		low := bytes.ToLower(out)
		denied := bytes.Contains(low, []byte("permission denied")) || bytes.Contains(low, []byte("must be superuser")) ||
			bytes.Contains(low, []byte("not permitted"))
		if os.Getenv("OUTREACH_INTEGRATION") == "require" && os.Geteuid() == 0 && !denied {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestRunHealthTellsTheTruth: /healthz and `outreach status` report the
// store's writability, the last send and the last sync. While the SMTP
// server cannot be reached the daemon is unhealthy; when the disk holding the store
// fills up it says so within seconds, without a write; when space comes
// back the outbox goes at once instead of waiting out its backoff (30 s
// after a failed run), and the daemon is healthy again.
func TestRunHealthTellsTheTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	disk := smallTmpfs(t, "16m")
	bin := buildOutreach(t)
	var refuse atomic.Bool
	refuse.Store(true)
	// The server is unreachable: every connection is closed before its
	// greeting (a refused login would hold logins back for a minute:
	// TestLoginRefusedHeldAcrossRestarts).
	smtpSrv := smtptest.Start(t, smtptest.Hooks{})
	smtpAddr := closingProxy(t, smtpSrv.Addr, &refuse)
	imapAddr := startMailbox(t)
	dir, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpAddr, imapAddr, sock)
	moveStoreTo(t, dir, cfg, disk)
	runCLI(t, bin, cfg, "invite", "--mission", "JPN")

	hw := healthWatch{t: t, sock: sock, out: runInBackground(t, bin, cfg, nil)}

	// SMTP refuses: health says so (three failed runs in a row make the
	// daemon unhealthy), and nothing was sent.
	h := hw.wait("the outbox to fail", 30*time.Second, func(h admin.Health) bool {
		return h.Daemon && strings.Contains(h.SMTP, "failing since") && !h.LastSync.IsZero()
	})
	if !h.LastSend.IsZero() || h.StoreWrite == nil || !h.StoreWrite.Writable {
		t.Errorf("while SMTP refuses: last send %v, store %+v", h.LastSend, h.StoreWrite)
	}
	refuse.Store(false)

	filler := fillDisk(t, disk)
	checkHealthWithDiskFull(t, hw, bin, cfg)

	// Space comes back: noticed at once, and the invitation goes without
	// waiting for the outbox's backoff.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	h = hw.wait("the invitation to go and the daemon to be healthy", 30*time.Second, func(h admin.Health) bool {
		return h.OK && smtpSrv.Count() > 0 && !h.LastSend.IsZero() && h.OutboxDepth == 0
	})
	took := time.Since(freed)
	t.Logf("space came back: sent and healthy after %v", took)
	if took > 10*time.Second {
		t.Errorf("the outbox waited %v after space came back, want it to go at once", took)
	}
	if !h.StoreWrite.Writable || h.SMTP != "ok" || h.LastSync.IsZero() {
		t.Errorf("health after recovery: %+v", h)
	}
	checkStoreProblemLoggedOnce(t, hw.out.String())
	text := runCLI(t, bin, cfg, "status")
	if !strings.Contains(text, "Health: ok") || !strings.Contains(text, "Last send: ") || strings.Contains(text, "Last send: never") {
		t.Errorf("status after recovery says:\n%s", text)
	}
}

// moveStoreTo puts the store of the demo directory dir on the file system
// at disk and points the configuration cfg at it.
func moveStoreTo(t *testing.T, dir, cfg, disk string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "outreach.db"))
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(disk, "outreach.db")
	if err := os.WriteFile(dbPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(replaceOnce(t, string(b), `path = "outreach.db"`, fmt.Sprintf("path = %q", dbPath))), 0o600); err != nil {
		t.Fatal(err)
	}
}

// healthWatch asks a running daemon for its health over the admin socket.
type healthWatch struct {
	t    *testing.T
	sock string
	out  *lockedBuffer // the daemon's log
}

// health is the daemon's health, or the zero value while it does not
// answer.
func (hw healthWatch) health() admin.Health {
	a, err := admin.DialSocket(context.Background(), hw.sock)
	if err != nil {
		return admin.Health{}
	}
	h, _ := a.Health(context.Background())
	return h
}

// wait returns the daemon's health once cond holds, failing the test
// after limit.
func (hw healthWatch) wait(what string, limit time.Duration, cond func(admin.Health) bool) admin.Health {
	hw.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		h := hw.health()
		if cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			hw.t.Fatalf("waited %v for %s: %+v\n%s", limit, what, h, hw.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fillDisk takes all but 256 KiB of the file system at disk, as something
// else would, and returns the file that holds it.
func fillDisk(t *testing.T, disk string) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(disk, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize-256<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	return filler
}

// checkHealthWithDiskFull: the full disk is reported within seconds,
// without a write, in health, in status and in status --json.
func checkHealthWithDiskFull(t *testing.T, hw healthWatch, bin, cfg string) {
	t.Helper()
	h := hw.wait("the store to be reported not writable", 10*time.Second, func(h admin.Health) bool {
		return h.StoreWrite != nil && !h.StoreWrite.Writable
	})
	if h.OK || !strings.Contains(h.StoreWrite.Problem, "KiB free") {
		t.Errorf("health with the disk full: ok %v, store %+v", h.OK, h.StoreWrite)
	}
	text := runCLI(t, bin, cfg, "status")
	if !strings.Contains(text, "Store: CANNOT BE WRITTEN") || !strings.Contains(text, "Health: NOT OK") {
		t.Errorf("status with the disk full says:\n%s", text)
	}
	var sj struct {
		Health *admin.Health `json:"health"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, bin, cfg, "status", "--json")), &sj); err != nil {
		t.Fatal(err)
	}
	if sj.Health == nil || sj.Health.StoreWrite == nil || sj.Health.StoreWrite.Writable || sj.Health.LastSync.IsZero() {
		t.Errorf("status --json health with the disk full: %+v", sj.Health)
	}
}

// checkStoreProblemLoggedOnce: the store's problem and its recovery are
// each logged once.
func checkStoreProblemLoggedOnce(t *testing.T, logs string) {
	t.Helper()
	if n := strings.Count(logs, "store cannot be written"); n != 1 {
		t.Errorf("store problem logged %d times, want once\n%s", n, logs)
	}
	if n := strings.Count(logs, "store can be written again"); n != 1 {
		t.Errorf("store recovery logged %d times, want once\n%s", n, logs)
	}
}

// TestRunUnhealthyWhileEveryMessageIsDeferred: the SMTP server takes the
// connection and the login but defers every recipient (451). Each outbox
// run "succeeds" at the connection and sends nothing; after three such runs
// /healthz is 503 and says every attempt was refused, with no last send;
// once the server takes the mail, health is ok again with the last send.
func TestRunUnhealthyWhileEveryMessageIsDeferred(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildOutreach(t)
	var refuse atomic.Bool
	refuse.Store(true)
	smtpSrv := smtptest.Start(t, smtptest.Hooks{Rcpt: func(string) error {
		if refuse.Load() {
			return smtptest.Reply(451, [3]int{4, 3, 0}, "Try again later")
		}
		return nil
	}})
	imapAddr := startMailbox(t)
	_, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, imapAddr, sock)
	runCLI(t, bin, cfg, "invite", "--mission", "JPN")

	// An accelerated clock makes the deferrals' backoff pass in a moment.
	out := runInBackground(t, bin, cfg, nil, "--clock", "2017-09-04T07:00:00Z", "--speed", "600")
	health := func() admin.Health {
		a, err := admin.DialSocket(context.Background(), sock)
		if err != nil {
			return admin.Health{}
		}
		h, _ := a.Health(context.Background())
		return h
	}
	wait := func(what string, cond func(admin.Health) bool) admin.Health {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			h := health()
			if cond(h) {
				return h
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited for %s: %+v\n%s", what, h, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	h := wait("health to turn unhealthy", func(h admin.Health) bool {
		return h.Daemon && !h.OK && strings.Contains(h.SMTP, "deferred")
	})
	if !h.LastSend.IsZero() || smtpSrv.Count() != 0 || h.StoreWrite == nil || !h.StoreWrite.Writable {
		t.Errorf("while every message is deferred: %+v (delivered %d)", h, smtpSrv.Count())
	}
	t.Logf("while every message is deferred: %s", h.SMTP)

	refuse.Store(false)
	h = wait("health to recover once mail goes out", func(h admin.Health) bool {
		return h.OK && h.SMTP == "ok" && smtpSrv.Count() > 0 && !h.LastSend.IsZero()
	})
}

// TestRunFolderErrorShownOnce: the review folder is one the server marks
// \Trash (Dovecot in Debian's layout). The daemon records the messages,
// leaves them in INBOX, and shows one error for the
// folder in /healthz (503, with the replies waiting), in `outreach status`
// and once in the log, however many replies arrive.
func TestRunFolderErrorShownOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: testenv.LayoutDebian, SpecialUse: map[string]string{"Trash": `\Trash`}},
		testenv.User{Name: organiserMailbox, Password: daemonIMAPPassword})
	c := d.Dial(t, organiserMailbox)
	if err := c.Create("Trash", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	bin := buildOutreach(t)
	smtpSrv := smtptest.Start(t, smtptest.Hooks{})
	_, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, d.Addr, sock)
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(replaceOnce(t, string(b), `review_folder = "outreach/review"`, `review_folder = "Trash"`)), 0o600); err != nil {
		t.Fatal(err)
	}

	out := runInBackground(t, bin, cfg, nil)
	health := func() admin.Health {
		a, err := admin.DialSocket(context.Background(), sock)
		if err != nil {
			return admin.Health{}
		}
		h, _ := a.Health(context.Background())
		return h
	}
	for n := 1; n <= 3; n++ {
		d.Append(t, organiserMailbox, "INBOX", []byte(fmt.Sprintf("From: Someone <someone%d@elsewhere.example>\r\nTo: %s\r\n"+
			"Subject: A question %d\r\nMessage-ID: <q%d@elsewhere.example>\r\nDate: Mon, 04 Sep 2017 09:00:00 +0200\r\n\r\n"+
			"Who should we write to about the side event?\r\n", n, organiserMailbox, n, n)))
	}
	deadline := time.Now().Add(60 * time.Second)
	var h admin.Health
	for {
		h = health()
		if len(h.FolderErrors) == 1 && h.FolderErrors[0].Waiting == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never showed the folder error with 3 replies waiting: %+v\n%s", h, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fe := h.FolderErrors[0]
	if h.OK || fe.Folder != "Trash" || !strings.Contains(fe.Err, `\Trash`) || h.IMAPDelimiter != "." {
		t.Errorf("health: ok %v, folder error %+v, delimiter %q", h.OK, fe, h.IMAPDelimiter)
	}
	text := runCLI(t, bin, cfg, "status")
	if !strings.Contains(text, "IMAP folder Trash (Trash on the server) DOES NOT WORK") || !strings.Contains(text, "3 replies recorded and waiting") {
		t.Errorf("status says:\n%s", text)
	}
	if got := len(d.Messages(t, organiserMailbox, "INBOX")); got != 3 {
		t.Errorf("INBOX holds %d, want 3", got)
	}
	if got := len(d.Messages(t, organiserMailbox, "Trash")); got != 0 {
		t.Errorf("Trash holds %d", got)
	}
	if n := strings.Count(out.String(), "imap folder does not work"); n != 1 {
		t.Errorf("folder error logged %d times, want once\n%s", n, out)
	}
}

// closingProxy listens on loopback and forwards each connection to target,
// except while closing is set: then it closes the connection at once, as
// an unreachable server would look to a client.
func closingProxy(t *testing.T, target string, closing *atomic.Bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if closing.Load() {
				c.Close()
				continue
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, up)
			}()
		}
	}()
	return ln.Addr().String()
}
