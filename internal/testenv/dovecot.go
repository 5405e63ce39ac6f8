package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// User is a mailbox account on a Dovecot instance. Name is the login and the
// address mail is delivered to, e.g. "rsvp@presessions.example"; it is
// matched without regard to case, and "name+detail@domain" delivers to it.
type User struct {
	Name     string
	Password string
}

// DovecotOptions changes how StartDovecotWith configures an instance.
type DovecotOptions struct {
	// DropCaps lists IMAP capabilities, e.g. "MOVE", that the instance must
	// not advertise after login. Dovecot still executes the commands if a
	// client sends them anyway; what changes is what a client that checks
	// CAPABILITY sees, which is how clients decide to use an extension.
	DropCaps []string
	// Layout is the mail folder layout; the zero value is LayoutSlash.
	Layout Layout
	// SpecialUse gives folders a SPECIAL-USE attribute (RFC 6154), e.g.
	// {"Trash": `\Trash`}; names are written as in the namespace, without
	// its prefix and with its separator.
	SpecialUse map[string]string
	// OAuth2Introspection, when set, is the URL of an OAuth 2.0 token
	// introspection endpoint (RFC 7662): the instance then also accepts
	// AUTHENTICATE XOAUTH2 and OAUTHBEARER (RFC 7628), posting each token
	// there as "token=..." and logging in the user named by the answer's
	// "username" when its "active" is true. Passwords keep working.
	OAuth2Introspection string
}

// Layout is how an instance names folders.
type Layout int

const (
	// LayoutSlash: Maildir with "/" as the hierarchy separator.
	LayoutSlash Layout = iota
	// LayoutDebian: Dovecot as Debian installs it, Maildir++ with "." as
	// the separator (a "/" in a name is refused).
	LayoutDebian
	// LayoutINBOXPrefix: a personal namespace with prefix "INBOX." and
	// "." as the separator, as Courier and Cyrus have it.
	LayoutINBOXPrefix
)

// String names the layout for subtest names.
func (l Layout) String() string {
	switch l {
	case LayoutSlash:
		return "slash"
	case LayoutDebian:
		return "debian"
	case LayoutINBOXPrefix:
		return "inbox-prefix"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// Layouts lists every layout, for tests that run against each.
var Layouts = []Layout{LayoutSlash, LayoutDebian, LayoutINBOXPrefix}

// namespace renders the inbox namespace of a layout, with the folders'
// special uses.
func (l Layout) namespace(specialUse map[string]string) string {
	var b strings.Builder
	b.WriteString("namespace inbox {\n  inbox = yes\n")
	switch l {
	case LayoutDebian:
	case LayoutINBOXPrefix:
		b.WriteString("  prefix = INBOX.\n  separator = .\n")
	default:
		b.WriteString("  separator = /\n")
	}
	names := make([]string, 0, len(specialUse))
	for name := range specialUse {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "  mailbox %q {\n    special_use = %s\n  }\n", name, specialUse[name])
	}
	b.WriteString("}")
	return b.String()
}

// Dovecot is a private Dovecot instance started by StartDovecot.
type Dovecot struct {
	// Addr is the IMAP listener, "127.0.0.1:port": plaintext LOGIN and
	// AUTHENTICATE PLAIN, no TLS.
	Addr string
	// LMTPSocket is the unix socket on which Dovecot's LMTP server delivers
	// mail to the users' INBOXes.
	LMTPSocket string
	// AuthSocket is the unix socket of Dovecot's SASL server for Postfix
	// (smtpd_sasl_type = dovecot), checking the same users and passwords.
	AuthSocket string
	// Dir is the instance's folder: configuration, sockets, state, mail.
	Dir string
	// LogPath is Dovecot's log file; failure messages include its tail.
	LogPath string

	conf       string
	layout     Layout
	specialUse map[string]string
	oauth2     string            // introspection URL, "" for none
	name       string            // instance_name, the prefix of every process title
	users      map[string]string // lower-cased name → password
	doveadm    string
	dovecot    string

	mu        sync.Mutex
	proc      *proc // nil while stopped
	startedAt time.Duration
}

// StartDovecot starts a private Dovecot with the given users and stops it
// when the test ends. It skips or fails the test (see Unavailable) when
// Dovecot is not installed or the test does not run as root.
func StartDovecot(t testing.TB, users ...User) *Dovecot {
	t.Helper()
	return StartDovecotWith(t, DovecotOptions{}, users...)
}

// StartDovecotWith is StartDovecot with options, e.g. an instance that
// does not advertise MOVE.
func StartDovecotWith(t testing.TB, opts DovecotOptions, users ...User) *Dovecot {
	t.Helper()
	requireRoot(t, "dovecot")
	bins := requirePrograms(t, "dovecot (Debian packages dovecot-imapd, dovecot-lmtpd)", "dovecot", "doveadm")
	if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
		Unavailable(t, "testenv: dovecot's LMTP server is not installed (Debian package dovecot-lmtpd)")
	}
	systemUser(t, "dovecot")
	systemUser(t, "dovenull")
	vuid, vgid := systemUser(t, "vmail")

	d := &Dovecot{
		Dir:     instanceDir(t, "dovecot-"),
		doveadm: bins["doveadm"],
		dovecot: bins["dovecot"],
		layout:  opts.Layout,

		specialUse: opts.SpecialUse,
		oauth2:     opts.OAuth2Introspection,
	}
	d.LogPath = filepath.Join(d.Dir, "dovecot.log")
	d.LMTPSocket = filepath.Join(d.Dir, "run", "lmtp")
	d.AuthSocket = filepath.Join(d.Dir, "run", "auth-smtp")
	d.conf = filepath.Join(d.Dir, "dovecot.conf")
	d.name = "dovecot-" + filepath.Base(d.Dir)

	passwd, byName, err := passwdFile(users)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	d.users = byName
	writeFile(t, filepath.Join(d.Dir, "passwd"), passwd, 0o644)
	if d.oauth2 != "" {
		if strings.ContainsAny(d.oauth2, " \t\r\n") {
			t.Fatalf("testenv: OAuth2 introspection URL %q holds a blank or line break", d.oauth2)
		}
		writeFile(t, filepath.Join(d.Dir, "oauth2.conf"), "introspection_mode = post\n"+
			"introspection_url = "+d.oauth2+"\n"+
			"username_attribute = username\nactive_attribute = active\nactive_value = true\n", 0o644)
	}
	mkdirs(t, 0, 0, 0o755, filepath.Join(d.Dir, "run"), filepath.Join(d.Dir, "state"))
	mkdirs(t, vuid, vgid, 0o750, filepath.Join(d.Dir, "mail"))

	t.Cleanup(d.Stop)
	for attempt := 1; ; attempt++ {
		d.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		writeFile(t, d.conf, d.config(""), 0o644)
		err := d.start()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(tail(d.LogPath, 4000), "Address already in use") {
			t.Fatalf("testenv: start dovecot: %v\n%s", err, tail(d.LogPath, 4000))
		}
	}

	if len(opts.DropCaps) > 0 {
		d.dropCaps(t, opts.DropCaps)
	}
	return d
}

// passwdFile renders users as a Dovecot passwd-file and indexes their
// passwords by lower-cased name. It refuses names and passwords that would
// corrupt the file.
func passwdFile(users []User) (string, map[string]string, error) {
	var b strings.Builder
	byName := make(map[string]string, len(users))
	for _, u := range users {
		name := strings.ToLower(u.Name)
		if name == "" || u.Password == "" || strings.ContainsAny(name, ": \t\r\n") || strings.ContainsAny(u.Password, ":\r\n") {
			return "", nil, fmt.Errorf("dovecot user %q: name and password must be non-empty and hold no colon, blank or line break", u.Name)
		}
		if _, dup := byName[name]; dup {
			return "", nil, fmt.Errorf("dovecot user %q given twice", u.Name)
		}
		byName[name] = u.Password
		fmt.Fprintf(&b, "%s:{PLAIN}%s::::::\n", name, u.Password)
	}
	return b.String(), byName, nil
}

// config renders the instance's dovecot.conf. It includes nothing from
// /etc/dovecot, so the system's configuration cannot leak in.
func (d *Dovecot) config(imapCapability string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# Private test instance written by outreach/internal/testenv.")
	line("protocols = imap lmtp")
	line("listen = 127.0.0.1")
	line("instance_name = %s", d.name)
	line("base_dir = %s/run", d.Dir)
	line("state_dir = %s/state", d.Dir)
	line("log_path = %s", d.LogPath)
	line("default_login_user = dovenull")
	line("default_internal_user = dovecot")
	line("first_valid_uid = 1")
	line("ssl = no")
	line("disable_plaintext_auth = no")
	if d.oauth2 != "" {
		line("auth_mechanisms = plain login xoauth2 oauthbearer")
	} else {
		line("auth_mechanisms = plain login")
	}
	line("auth_username_format = %%Lu")
	line("recipient_delimiter = +")
	line("mail_location = maildir:~/Maildir")
	line("mail_fsync = never")
	line("postmaster_address = postmaster@presessions.example")
	line("hostname = imap.presessions.example")
	if imapCapability != "" {
		line("imap_capability = %s", imapCapability)
	}
	line("%s", d.layout.namespace(d.specialUse))
	line("passdb {\n  driver = passwd-file\n  mechanisms = plain login\n  args = scheme=PLAIN username_format=%%Lu %s/passwd\n}", d.Dir)
	if d.oauth2 != "" {
		line("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s/oauth2.conf\n}", d.Dir)
	}
	line("userdb {\n  driver = passwd-file\n  args = username_format=%%Lu %s/passwd\n  default_fields = uid=vmail gid=vmail home=%s/mail/%%Lu\n}", d.Dir, d.Dir)
	_, port, _ := net.SplitHostPort(d.Addr)
	line("service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %s\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}", port)
	line("service lmtp {\n  unix_listener lmtp {\n    mode = 0666\n  }\n}")
	line("service auth {\n  unix_listener auth-smtp {\n    mode = 0666\n  }\n}")
	return b.String()
}

// start runs the master process in the foreground (as our child) and waits
// until IMAP answers and the LMTP socket exists.
func (d *Dovecot) start() error {
	begin := time.Now()
	cmd := exec.Command(d.dovecot, "-F", "-c", d.conf)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	p, err := startProc(cmd, filepath.Join(d.Dir, "dovecot.out"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("dovecot exited during start-up: %v; output: %s", p.err, tail(p.outPath, 2000))
		default:
		}
		if _, err := os.Stat(d.LMTPSocket); err == nil && imapReady(d.Addr) {
			break
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("dovecot did not answer on %s within %v", d.Addr, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.mu.Lock()
	d.proc, d.startedAt = p, time.Since(begin)
	d.mu.Unlock()
	return nil
}

// imapReady reports whether an IMAP server greets on addr.
func imapReady(addr string) bool { return greets(addr, "* OK", "") }

// greets reports whether a server on addr sends a first line starting with
// prefix; quit, if set, is written before closing.
func greets(addr, prefix, quit string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if quit != "" {
		_, _ = c.Write([]byte(quit))
	}
	return err == nil && strings.HasPrefix(line, prefix)
}

// StartupTime is how long the last start took, from exec to the first
// IMAP greeting. Benchmarks and the CI log report it.
func (d *Dovecot) StartupTime() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.startedAt
}

// dropCaps rewrites imap_capability to Dovecot's own post-login list minus
// drop, then restarts the instance so every new session sees it.
func (d *Dovecot) dropCaps(t testing.TB, drop []string) {
	t.Helper()
	if len(d.users) == 0 {
		t.Fatalf("testenv: DropCaps needs at least one user to read the capability list")
	}
	var name string
	for n := range d.users {
		name = n
		break
	}
	c := d.Dial(t, name)
	caps := c.Caps()
	_ = c.Logout().Wait()
	_ = c.Close()
	var keep []string
	for cp := range caps {
		if !slices.ContainsFunc(drop, func(s string) bool { return strings.EqualFold(s, string(cp)) }) {
			keep = append(keep, string(cp))
		}
	}
	slices.Sort(keep)
	// IMAP4rev1 must come first in a CAPABILITY response.
	keep = slices.DeleteFunc(keep, func(s string) bool { return strings.EqualFold(s, "IMAP4rev1") })
	keep = append([]string{"IMAP4rev1"}, keep...)
	writeFile(t, d.conf, d.config(strings.Join(keep, " ")), 0o644)
	d.Restart(t)
}

// Restart stops the instance and starts it again on the same address with
// the same mail, for tests of a server that goes away.
func (d *Dovecot) Restart(t testing.TB) {
	t.Helper()
	if err := d.stop(); err != nil {
		t.Fatalf("testenv: restart dovecot: %v", err)
	}
	if err := d.start(); err != nil {
		t.Fatalf("testenv: restart dovecot: %v\n%s", err, tail(d.LogPath, 4000))
	}
}

// Stop ends the instance and all its processes. It is safe to call more
// than once; the test's cleanup calls it too.
func (d *Dovecot) Stop() {
	if err := d.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop dovecot in %s: %v\n", d.Dir, err)
	}
}

func (d *Dovecot) stop() error {
	d.mu.Lock()
	p := d.proc
	d.proc = nil
	d.mu.Unlock()
	if p == nil {
		return nil
	}
	// doveadm stop signals the master through its pid file; SIGTERM to our
	// child does the same when doveadm cannot.
	if err := exec.Command(d.doveadm, "-c", d.conf, "stop").Run(); err != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	var errs []error
	if !p.wait(startTimeout) {
		p.kill()
		errs = append(errs, fmt.Errorf("master did not stop within %v; killed", startTimeout))
	}
	// Dovecot's master leaves IMAP sessions (and its log and stats
	// services) running when it stops; a real restart would cut them, so
	// end them here.
	reap(d.processes, 0)
	return errors.Join(errs...)
}

// processes matches the instance's processes: Dovecot rewrites every
// process title to start with instance_name, and the master's command line
// names our configuration file.
func (d *Dovecot) processes(cmdline, _ []byte) bool {
	return bytes.HasPrefix(cmdline, []byte(d.name+"/")) || bytes.Contains(cmdline, []byte(d.conf))
}

// password returns a user's password or fails the test.
func (d *Dovecot) password(t testing.TB, user string) string {
	t.Helper()
	pw, ok := d.users[strings.ToLower(user)]
	if !ok {
		t.Fatalf("testenv: dovecot has no user %q", user)
	}
	return pw
}

// Dial logs in as user over IMAP and returns the client; the test's cleanup
// closes it. Options may be nil (e.g. pass a UnilateralDataHandler for IDLE).
func (d *Dovecot) Dial(t testing.TB, user string, options ...*imapclient.Options) *imapclient.Client {
	t.Helper()
	var opt *imapclient.Options
	if len(options) > 0 {
		opt = options[0]
	}
	c, err := imapclient.DialInsecure(d.Addr, opt)
	if err != nil {
		t.Fatalf("testenv: dial dovecot %s: %v", d.Addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(user, d.password(t, user)).Wait(); err != nil {
		t.Fatalf("testenv: login %s: %v\n%s", user, err, tail(d.LogPath, 2000))
	}
	return c
}

// Append stores raw in user's mailbox (created if needed) and returns the
// UID that Dovecot gave it (UIDPLUS APPENDUID).
func (d *Dovecot) Append(t testing.TB, user, mailbox string, raw []byte) imap.UID {
	t.Helper()
	c := d.Dial(t, user)
	defer func() { _ = c.Logout().Wait(); _ = c.Close() }()
	ensureMailbox(t, c, mailbox)
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("testenv: append to %s/%s: %v", user, mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("testenv: append to %s/%s: %v", user, mailbox, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("testenv: append to %s/%s: %v", user, mailbox, err)
	}
	if data.UID == 0 {
		t.Fatalf("testenv: append to %s/%s: server returned no APPENDUID", user, mailbox)
	}
	return data.UID
}

// ensureMailbox creates mailbox unless it is INBOX or exists already.
func ensureMailbox(t testing.TB, c *imapclient.Client, mailbox string) {
	t.Helper()
	if strings.EqualFold(mailbox, "INBOX") {
		return
	}
	err := c.Create(mailbox, nil).Wait()
	var imapErr *imap.Error
	if err != nil && !(errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists) {
		t.Fatalf("testenv: create mailbox %s: %v", mailbox, err)
	}
}

// Message is a message as stored on the server.
type Message struct {
	UID imap.UID
	Raw []byte
}

// Messages returns every message in user's mailbox, in UID order, without
// setting \Seen. A mailbox that does not exist yet is empty.
func (d *Dovecot) Messages(t testing.TB, user, mailbox string) []Message {
	t.Helper()
	c := d.Dial(t, user)
	defer func() { _ = c.Logout().Wait(); _ = c.Close() }()
	msgs, err := fetchAll(c, mailbox)
	if err != nil {
		t.Fatalf("testenv: read %s/%s: %v", user, mailbox, err)
	}
	return msgs
}

func fetchAll(c *imapclient.Client, mailbox string) ([]Message, error) {
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && (imapErr.Code == imap.ResponseCodeNonExistent || strings.Contains(imapErr.Text, "doesn't exist")) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	msgs := make([]Message, 0, len(bufs))
	for _, b := range bufs {
		msgs = append(msgs, Message{UID: b.UID, Raw: b.FindBodySection(section)})
	}
	slices.SortFunc(msgs, func(a, b Message) int { return int(a.UID) - int(b.UID) })
	return msgs, nil
}

// WaitMessages polls user's mailbox until it holds at least n messages and
// returns them all. It fails the test, with the server logs, if that takes
// longer than a minute: long enough for a busy machine, short enough that
// lost mail does not hang the run.
func (d *Dovecot) WaitMessages(t testing.TB, user, mailbox string, n int, logs ...string) []Message {
	t.Helper()
	c := d.Dial(t, user)
	defer func() { _ = c.Logout().Wait(); _ = c.Close() }()
	deadline := time.Now().Add(startTimeout)
	for {
		msgs, err := fetchAll(c, mailbox)
		if err != nil {
			t.Fatalf("testenv: read %s/%s: %v", user, mailbox, err)
		}
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			var extra strings.Builder
			for _, l := range logs {
				fmt.Fprintf(&extra, "\n--- %s\n%s", l, tail(l, 4000))
			}
			t.Fatalf("testenv: %s/%s holds %d messages after %v, want %d\n--- %s\n%s%s",
				user, mailbox, len(msgs), startTimeout, n, d.LogPath, tail(d.LogPath, 4000), extra.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Doveadm runs doveadm against the instance, e.g. ("mailbox", "update",
// "-u", user, "--uid-validity", "42", "INBOX") to give a mailbox a new
// UIDVALIDITY as a rebuilt server would, and returns its output.
func (d *Dovecot) Doveadm(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(d.doveadm, append([]string{"-c", d.conf}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: doveadm %s: %v\n%s\n%s", strings.Join(args, " "), err, out, tail(d.LogPath, 2000))
	}
	return string(out)
}

// FolderName is the name on this instance of a folder written with "/"
// between levels: "outreach/processed" is "outreach.processed" with
// LayoutDebian and "INBOX.outreach.processed" with LayoutINBOXPrefix.
func (d *Dovecot) FolderName(path string) string {
	if strings.EqualFold(path, "INBOX") {
		return "INBOX"
	}
	switch d.layout {
	case LayoutDebian:
		return strings.ReplaceAll(path, "/", ".")
	case LayoutINBOXPrefix:
		return "INBOX." + strings.ReplaceAll(path, "/", ".")
	}
	return path
}

// Subscribed lists user's subscribed folders (LSUB), as the server names
// them.
func (d *Dovecot) Subscribed(t testing.TB, user string) []string {
	t.Helper()
	c := d.Dial(t, user)
	defer func() { _ = c.Logout().Wait(); _ = c.Close() }()
	l, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	if err != nil {
		t.Fatalf("testenv: list subscribed folders of %s: %v", user, err)
	}
	var out []string
	for _, m := range l {
		out = append(out, m.Mailbox)
	}
	slices.Sort(out)
	return out
}
