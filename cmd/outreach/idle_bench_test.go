package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"outreach/admin"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
)

// benchIdle is how long BenchmarkDaemonIdle watches the idle daemon;
// OUTREACH_BENCH_IDLE (a Go duration) changes it.
var benchIdle = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("OUTREACH_BENCH_IDLE")); err == nil && d > 0 {
		return d
	}
	return 2 * time.Minute
}()

// BenchmarkDaemonIdle runs the real daemon (`outreach run`, the demo's
// store and configuration at the production log level, systemd's watchdog
// at the unit's 60 s) against a private Dovecot and a local SMTP server,
// with nothing due: the outbox empty, the round's reminders in the past,
// the watcher on IDLE. Once the daemon reports IMAP idle, the CPU time the
// process has used (user and system, as its own rusage counts it, read
// from /proc/PID/stat) is read at the start and at the end of a window of
// benchIdle (2 minutes), and extrapolated to an hour. Reported: CPU
// seconds per hour idle, CPU ms in the window, and the window in seconds.
//
//	go test -run '^$' -bench DaemonIdle -benchtime 1x -timeout 30m ./cmd/outreach/
func BenchmarkDaemonIdle(b *testing.B) {
	var cpu, window time.Duration
	for range b.N {
		b.StopTimer()
		d := testenv.StartDovecot(b, testenv.User{Name: organiserMailbox, Password: daemonIMAPPassword})
		smtpSrv := smtptest.Start(b, smtptest.Hooks{})
		bin := buildOutreach(b)
		dir := filepath.Join(b.TempDir(), "d")
		if out, err := exec.Command(bin, "init", "--demo", dir).CombinedOutput(); err != nil {
			b.Fatalf("init: %v\n%s", err, out)
		}
		cfg := filepath.Join(dir, "outreach.toml")
		sock := socketPath(b)
		daemonConfig(b, cfg, smtpSrv.Addr, d.Addr, sock)
		raw, err := os.ReadFile(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(cfg, []byte(replaceOnce(b, string(raw), `level = "debug"`, `level = "info"`)), 0o600); err != nil {
			b.Fatal(err)
		}

		cmd := exec.Command(bin, "--config", cfg, "run")
		cmd.Env = append(os.Environ(), "WATCHDOG_USEC=60000000",
			"OUTREACH_TEST_SMTP_PASSWORD="+daemonSMTPPassword, "OUTREACH_TEST_IMAP_PASSWORD="+daemonIMAPPassword)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		stop := func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		idle := func() bool {
			a, err := admin.DialSocket(context.Background(), sock)
			if err != nil {
				return false
			}
			h, err := a.Health(context.Background())
			return err == nil && h.IMAP == "idle" && h.OutboxDepth == 0
		}
		deadline := time.Now().Add(time.Minute)
		for !idle() {
			if time.Now().After(deadline) {
				stop()
				b.Fatalf("the daemon did not go idle within a minute:\n%s", out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Let start-up's last work (the first sync, the reminder sweep)
		// settle before the window opens.
		time.Sleep(5 * time.Second)
		before := processCPU(b, cmd.Process.Pid)
		b.StartTimer()
		start := time.Now()
		time.Sleep(benchIdle)
		window += time.Since(start)
		b.StopTimer()
		cpu += processCPU(b, cmd.Process.Pid) - before
		if !idle() {
			b.Errorf("the daemon was not idle at the end of the window:\n%s", out.String())
		}
		stop()
	}
	b.ReportMetric(cpu.Seconds()*float64(time.Hour)/float64(window), "cpu-s/hour")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/window")
	b.ReportMetric(window.Seconds()/float64(b.N), "window-s")
}

// processCPU is the user and system CPU time process pid has used, as
// /proc/PID/stat gives it (fields 14 and 15, in clock ticks of 1/100 s on
// Linux).
func processCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		tb.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
