// Package testenv starts private instances of the mail servers that
// outreach's integration tests run against: Dovecot (IMAP, RFC 3501, with
// IDLE, MOVE and UIDPLUS; LMTP, RFC 2033) and Postfix (SMTP, RFC 5321,
// delivering to Dovecot over LMTP).
//
// Each instance lives in its own temporary folder with its own
// configuration, sockets, queue and mail, listens on 127.0.0.1 on a free
// port, and is stopped by t.Cleanup, so tests may run several at once.
// The servers are Debian's packages; .ci/install-deps installs them. When
// they are missing a test is skipped, unless the environment variable
// OUTREACH_INTEGRATION is "require" (CI sets it), in which case it fails.
//
// The package is for tests only: import it from _test.go files. It starts
// Dovecot as root, as Dovecot's own privilege separation requires.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnvIntegration is the environment variable that decides what happens when
// an outside program is missing: "require" fails the test, anything else
// skips it.
const EnvIntegration = "OUTREACH_INTEGRATION"

// startTimeout bounds how long an instance may take to start or stop. It is
// generous because the machine may be busy; a healthy start takes a second.
const startTimeout = 60 * time.Second

// Unavailable reports that something a test needs from outside the module
// is not there: it skips the test, or fails it when OUTREACH_INTEGRATION is
// "require". The message should say what is missing; Unavailable adds how
// to install it.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (run .ci/install-deps as root to install the test dependencies)"
	if os.Getenv(EnvIntegration) == "require" {
		t.Fatalf("%s; %s=require, so this is an error", msg, EnvIntegration)
	}
	t.Skip(msg)
}

// program finds an installed program by name in PATH or the system
// directories a non-login root shell may lack. It returns "" when absent.
func program(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/usr/lib/postfix/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// requirePrograms returns the paths of the named programs, or calls
// Unavailable naming the missing ones.
func requirePrograms(t testing.TB, what string, names ...string) map[string]string {
	t.Helper()
	paths := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		p := program(n)
		if p == "" {
			missing = append(missing, n)
			continue
		}
		paths[n] = p
	}
	if len(missing) > 0 {
		Unavailable(t, "testenv: %s is not installed: %s not found", what, strings.Join(missing, ", "))
	}
	return paths
}

// requireRoot calls Unavailable unless the test runs as root, which the
// mail servers need to drop to their own users.
func requireRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "testenv: %s must be started as root (uid is %d)", what, os.Geteuid())
	}
}

// systemUser looks up a user and its primary group, or calls Unavailable.
func systemUser(t testing.TB, name string) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		Unavailable(t, "testenv: system user %q: %v", name, err)
		return 0, 0
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("testenv: system user %q has ids %q/%q", name, u.Uid, u.Gid)
	}
	return uid, gid
}

// instanceDir makes a world-traversable temporary folder with a short path
// (unix socket paths are limited to 107 bytes) and removes it at cleanup.
// t.TempDir is not used: its parents are 0700, which the servers' own
// unprivileged users cannot traverse.
func instanceDir(t testing.TB, prefix string) string {
	t.Helper()
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, prefix)
	if err != nil {
		t.Fatalf("testenv: make instance folder: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testenv: make instance folder: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testenv: remove instance folder: %v", err)
		}
	})
	return dir
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Callers retry with another port if the server then fails to bind it.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeFile writes a configuration file, failing the test on error.
func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatalf("testenv: write %s: %v", path, err)
	}
}

// mkdirs creates folders owned by uid:gid, failing the test on error.
func mkdirs(t testing.TB, uid, gid int, mode os.FileMode, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, mode); err != nil {
			t.Fatalf("testenv: make %s: %v", p, err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatalf("testenv: chown %s: %v", p, err)
		}
	}
}

// tail returns the last n bytes of a log file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// processMatcher tells an instance's processes from all others by their
// command line and environment (/proc/PID/cmdline and environ).
type processMatcher func(cmdline, environ []byte) bool

// instanceProcesses lists the live processes that match.
func instanceProcesses(match processMatcher) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err1 := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		environ, err2 := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err1 != nil && err2 != nil {
			continue
		}
		if match(cmdline, environ) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasEnv matches processes whose environment holds the exact entry kv.
// Postfix passes MAIL_CONFIG on to every child, so this finds one
// instance's processes and no other's.
func hasEnv(kv string) processMatcher {
	want := []byte(kv)
	return func(_, environ []byte) bool {
		for _, v := range bytes.Split(environ, []byte{0}) {
			if bytes.Equal(v, want) {
				return true
			}
		}
		return false
	}
}

// reap ends what is left of an instance after its master process exited:
// it waits up to grace for the processes to go, then sends SIGTERM, and
// SIGKILL to any still there a few seconds later. It returns the pids it
// had to kill.
func reap(match processMatcher, grace time.Duration) []int {
	var killed []int
	deadline := time.Now().Add(grace)
	sig := syscall.Signal(0)
	for {
		pids := instanceProcesses(match)
		if len(pids) == 0 {
			return killed
		}
		if time.Now().After(deadline) {
			switch sig {
			case 0:
				sig = syscall.SIGTERM
				killed = pids
			case syscall.SIGTERM:
				sig = syscall.SIGKILL
			default:
				return killed // unkillable (e.g. in the kernel): give up
			}
			for _, pid := range pids {
				_ = syscall.Kill(pid, sig)
			}
			deadline = time.Now().Add(5 * time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// proc is a server process started by this package as its child.
type proc struct {
	cmd     *exec.Cmd
	outPath string
	done    chan struct{} // closed when the process has exited
	err     error         // the exit status; read only after done
}

// startProc starts cmd with its output appended to outPath. The child gets
// SIGTERM if the test binary dies, so a crashed test leaves no server.
func startProc(cmd *exec.Cmd, outPath string) (*proc, error) {
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open output file: %w", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd, outPath: outPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// wait reports whether the process exited within d.
func (p *proc) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}
