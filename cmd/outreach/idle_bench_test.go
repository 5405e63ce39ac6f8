package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	return 6 * time.Minute
}()

// BenchmarkDaemonIdle runs the real daemon (`outreach run`, the demo's
// store and configuration at the production log level, systemd's watchdog
// at the unit's 60 s) against a private Dovecot and a local SMTP server,
// with nothing due: the outbox empty, the round's reminders in the past,
// the watcher on IDLE. Once the daemon reports IMAP idle, the CPU time the
// process has used (user and system, its own getrusage, which the health
// report carries to the microsecond) is read at the start and at the end
// of a window of benchIdle (6 minutes: the IDLE command is renewed every
// 5, the runtime collects garbage at least every 2, the status line is
// written every 30 s), and extrapolated to an hour. Reported: CPU seconds
// per hour idle, CPU ms in the window, and the window in seconds.
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
		health := func() (admin.Health, bool) {
			a, err := admin.DialSocket(context.Background(), sock)
			if err != nil {
				return admin.Health{}, false
			}
			h, err := a.Health(context.Background())
			return h, err == nil && h.IMAP == "idle" && h.OutboxDepth == 0
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if _, ok := health(); ok {
				break
			}
			if time.Now().After(deadline) {
				stop()
				b.Fatalf("the daemon did not go idle within a minute:\n%s", out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Let start-up's last work (the first sync, the reminder sweep)
		// settle before the window opens.
		time.Sleep(5 * time.Second)
		before, _ := health()
		b.StartTimer()
		start := time.Now()
		time.Sleep(benchIdle)
		window += time.Since(start)
		b.StopTimer()
		after, ok := health()
		if !ok {
			b.Errorf("the daemon was not idle at the end of the window:\n%s", out.String())
		}
		if before.CPUSeconds <= 0 || after.CPUSeconds < before.CPUSeconds {
			b.Fatalf("the health report's CPU time: %v s before the window, %v s after", before.CPUSeconds, after.CPUSeconds)
		}
		cpu += time.Duration((after.CPUSeconds - before.CPUSeconds) * float64(time.Second))
		stop()
	}
	b.ReportMetric(cpu.Seconds()*float64(time.Hour)/float64(window), "cpu-s/hour")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/window")
	b.ReportMetric(window.Seconds()/float64(b.N), "window-s")
}
