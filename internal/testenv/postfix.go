package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PostfixOption changes how StartPostfix configures an instance.
type PostfixOption func(*postfixConfig)

type postfixConfig struct {
	rejectUnknown bool
	settings      [][2]string
}

// RejectUnknownRecipients makes Postfix refuse, at RCPT time with a 550,
// recipients in .example domains that are not Dovecot users. Without it
// Postfix accepts them, Dovecot's LMTP refuses them, and Postfix sends a
// bounce (an RFC 3464 delivery status notification) to the envelope sender.
func RejectUnknownRecipients() PostfixOption {
	return func(c *postfixConfig) { c.rejectUnknown = true }
}

// PostfixSetting sets a main.cf parameter, e.g. ("message_size_limit",
// "20000") for a test of a refused message. It is applied last, so it
// overrides the package's own settings.
func PostfixSetting(name, value string) PostfixOption {
	return func(c *postfixConfig) { c.settings = append(c.settings, [2]string{name, value}) }
}

// Postfix is a private Postfix instance started by StartPostfix.
type Postfix struct {
	// Addr is the SMTP listener, "127.0.0.1:port". It needs no
	// authentication, accepts mail for any domain ending in ".example" and
	// delivers it to the Dovecot instance; other domains get "554 Relay
	// access denied".
	Addr string
	// SubmissionAddr is a second SMTP listener, "127.0.0.1:port", that
	// offers AUTH PLAIN and LOGIN (checked by Dovecot, same users and
	// passwords as IMAP) without TLS and refuses mail from clients that did
	// not authenticate.
	SubmissionAddr string
	// Dir is the instance's folder: etc (config_directory), spool
	// (queue_directory), data (data_directory).
	Dir string
	// LogPath is Postfix's log file (maillog_file).
	LogPath string

	configDir string
	postfix   string
	mu        sync.Mutex
	masterPID int
	stopped   bool
	startedAt time.Duration
}

// StartPostfix starts a private Postfix that delivers to d, and stops it
// when the test ends. It skips or fails the test (see Unavailable) when
// Postfix is not installed or the test does not run as root.
func StartPostfix(t testing.TB, d *Dovecot, opts ...PostfixOption) *Postfix {
	t.Helper()
	requireRoot(t, "postfix")
	bins := requirePrograms(t, "postfix (Debian package postfix)", "postfix")
	puid, pgid := systemUser(t, "postfix")
	if d == nil {
		t.Fatalf("testenv: StartPostfix needs a Dovecot to deliver to")
	}
	var cfg postfixConfig
	for _, o := range opts {
		o(&cfg)
	}

	p := &Postfix{Dir: instanceDir(t, "postfix-"), postfix: bins["postfix"]}
	p.configDir = filepath.Join(p.Dir, "etc")
	p.LogPath = filepath.Join(p.Dir, "postfix.log")
	mkdirs(t, 0, 0, 0o755, p.configDir, filepath.Join(p.Dir, "spool"))
	mkdirs(t, puid, pgid, 0o700, filepath.Join(p.Dir, "data"))
	writeFile(t, filepath.Join(p.configDir, "domains"), "/\\.example$/ OK\n", 0o644)
	var users strings.Builder
	for name := range d.users {
		fmt.Fprintf(&users, "%s OK\n", name)
	}
	writeFile(t, filepath.Join(p.configDir, "users"), users.String(), 0o644)

	t.Cleanup(p.Stop)
	for attempt := 1; ; attempt++ {
		p.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p.SubmissionAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		writeFile(t, filepath.Join(p.configDir, "main.cf"), p.mainCF(d, cfg), 0o644)
		writeFile(t, filepath.Join(p.configDir, "master.cf"), p.masterCF(d), 0o644)
		err := p.start()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(tail(p.LogPath, 4000), "in use") {
			t.Fatalf("testenv: start postfix: %v\n%s", err, tail(p.LogPath, 4000))
		}
		p.Stop()
	}
	return p
}

// mainCF renders main.cf. Nothing is read from /etc/postfix except the
// package's file list (meta_directory), so the system's configuration
// cannot leak in and instances do not share state.
func (p *Postfix) mainCF(d *Dovecot, cfg postfixConfig) string {
	set := [][2]string{
		{"compatibility_level", "3.6"},
		{"config_directory", p.configDir},
		{"queue_directory", filepath.Join(p.Dir, "spool")},
		{"data_directory", filepath.Join(p.Dir, "data")},
		{"meta_directory", "/etc/postfix"},
		{"mail_owner", "postfix"},
		{"setgid_group", "postdrop"},
		{"maillog_file", p.LogPath},
		{"maillog_file_prefixes", p.Dir},
		{"myhostname", "mx.presessions.example"},
		{"mydomain", "presessions.example"},
		{"myorigin", "$mydomain"},
		{"mydestination", ""},
		{"inet_interfaces", "127.0.0.1"},
		{"inet_protocols", "ipv4"},
		{"mynetworks", "127.0.0.0/8"},
		{"relayhost", ""},
		{"alias_maps", ""},
		{"alias_database", ""},
		{"biff", "no"},
		{"recipient_delimiter", "+"},
		// Relaying is never granted by address: only .example domains,
		// which Dovecot serves, are accepted.
		{"smtpd_relay_restrictions", "reject_unauth_destination"},
		{"virtual_mailbox_domains", "regexp:" + filepath.Join(p.configDir, "domains")},
		{"virtual_transport", "lmtp:unix:" + d.LMTPSocket},
		{"local_transport", "error:5.1.1 local delivery is disabled in this test instance"},
		{"default_transport", "error:5.4.4 only .example domains are delivered in this test instance"},
		{"smtpd_sasl_type", "dovecot"},
		{"smtpd_sasl_path", d.AuthSocket},
		{"smtpd_sasl_security_options", "noanonymous"},
		{"smtpd_tls_security_level", "none"},
		// Retry deferred mail quickly (e.g. while Dovecot restarts).
		{"queue_run_delay", "1s"},
		{"minimal_backoff_time", "1s"},
		{"maximal_backoff_time", "5s"},
	}
	if cfg.rejectUnknown {
		set = append(set, [2]string{"virtual_mailbox_maps", "texthash:" + filepath.Join(p.configDir, "users")})
	}
	set = append(set, cfg.settings...)
	var b strings.Builder
	b.WriteString("# Private test instance written by outreach/internal/testenv.\n")
	for _, kv := range set {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	return b.String()
}

// masterCF renders master.cf: the services Postfix needs to accept mail,
// deliver it over LMTP and send bounces, none chrooted.
func (p *Postfix) masterCF(d *Dovecot) string {
	return "# service type private unpriv chroot wakeup maxproc command\n" +
		p.Addr + " inet n - n - - smtpd\n" +
		p.SubmissionAddr + " inet n - n - - smtpd\n" +
		"  -o syslog_name=postfix/submission\n" +
		"  -o smtpd_sasl_auth_enable=yes\n" +
		"  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n" +
		"  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n" +
		"  -o smtpd_recipient_restrictions=reject_unauth_destination\n" +
		`pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`
}

// start runs "postfix start", which returns once the master daemon has
// initialised, then waits until both listeners greet.
func (p *Postfix) start() error {
	begin := time.Now()
	cmd := exec.Command(p.postfix, "-c", p.configDir, "start")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	out, err := cmd.CombinedOutput()
	// Read the pid even on failure: a master that started must be stopped.
	pid := p.readPID()
	p.mu.Lock()
	p.masterPID, p.stopped = pid, false
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("postfix start: %v %s", err, out)
	}
	deadline := time.Now().Add(startTimeout)
	for !smtpReady(p.Addr) || !smtpReady(p.SubmissionAddr) {
		if !alive(pid) {
			return fmt.Errorf("postfix master exited during start-up")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postfix did not answer on %s and %s within %v", p.Addr, p.SubmissionAddr, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	p.startedAt = time.Since(begin)
	p.mu.Unlock()
	return nil
}

func (p *Postfix) readPID() int {
	b, err := os.ReadFile(filepath.Join(p.Dir, "spool", "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// smtpReady reports whether an SMTP server greets with 220 on addr.
func smtpReady(addr string) bool { return greets(addr, "220", "QUIT\r\n") }

// StartupTime is how long the last start took, from "postfix start" to
// both listeners greeting.
func (p *Postfix) StartupTime() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startedAt
}

// Flush asks Postfix to retry deferred mail now ("postfix flush"), e.g.
// after the Dovecot it delivers to was restarted.
func (p *Postfix) Flush(t testing.TB) {
	t.Helper()
	cmd := exec.Command(p.postfix, "-c", p.configDir, "flush")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: postfix flush: %v %s\n%s", err, out, tail(p.LogPath, 4000))
	}
}

// Stop ends the instance and all its processes. It is safe to call more
// than once; the test's cleanup calls it too.
func (p *Postfix) Stop() {
	if err := p.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop postfix in %s: %v\n", p.Dir, err)
	}
}

func (p *Postfix) stop() error {
	p.mu.Lock()
	pid, stopped := p.masterPID, p.stopped
	p.stopped = true
	p.mu.Unlock()
	if stopped || pid == 0 {
		return nil
	}
	var errs []error
	cmd := exec.Command(p.postfix, "-c", p.configDir, "stop")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	if out, err := cmd.CombinedOutput(); err != nil {
		errs = append(errs, fmt.Errorf("postfix stop: %v %s", err, bytes.TrimSpace(out)))
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	// "postfix stop" only signals the master; wait for it to go.
	deadline := time.Now().Add(startTimeout)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			errs = append(errs, fmt.Errorf("master %d did not stop within %v; killed", pid, startTimeout))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Children exit when they notice the master is gone.
	if pids := reap(p.processes, 10*time.Second); len(pids) > 0 {
		errs = append(errs, fmt.Errorf("killed leftover processes %v", pids))
	}
	return errors.Join(errs...)
}

// processes matches the instance's processes: Postfix hands MAIL_CONFIG to
// every process it starts.
func (p *Postfix) processes(cmdline, environ []byte) bool {
	return hasEnv("MAIL_CONFIG="+p.configDir)(cmdline, environ)
}

// WaitQueueEmpty waits until Postfix's queue is empty and returns what it
// still holds after startTimeout: a message can reach the mailbox a moment
// before Postfix, once the LMTP transaction ends, removes it from its queue.
func (p *Postfix) WaitQueueEmpty(t testing.TB) []string {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		q := p.Queue(t)
		if len(q) == 0 || time.Now().After(deadline) {
			return q
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Queue lists the queue IDs of messages still in the queue (deferred,
// active or incoming), so a test can tell "delivered" from "waiting".
func (p *Postfix) Queue(t testing.TB) []string {
	t.Helper()
	var ids []string
	for _, q := range []string{"incoming", "active", "deferred", "hold"} {
		err := filepath.WalkDir(filepath.Join(p.Dir, "spool", q), func(path string, e os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() {
				ids = append(ids, e.Name())
			}
			return nil
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("testenv: read postfix queue: %v", err)
		}
	}
	slices.Sort(ids)
	return ids
}
