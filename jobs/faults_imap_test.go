package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
	"outreach/mailer/inbox"
)

// IMAP faults against a private Dovecot, lived by the daemon's Watcher and
// the engine's Intake on a real store: the watcher recovers by itself, and
// every reply ends recorded exactly once and filed. The same faults against
// imapmemserver, at the Watcher's level, are in mailer/inbox
// (TestConnectionCutMidFetchLosesNothing,
// TestUIDValidityChangeHandsEverythingAgain,
// TestMissingTargetFolderIsCreated, TestDovecotRestartDuringIdle).

// imapProxy stands between the watcher and Dovecot on 127.0.0.1 so a test
// can cut a connection in the middle of a response, or keep the server out
// of reach for a while.
type imapProxy struct {
	addr     string
	target   string
	cutAfter atomic.Int64 // cut the next connection after this many bytes from the server
	cuts     atomic.Int32
	conns    atomic.Int32
	down     atomic.Bool // refuse new connections, cut the open ones

	mu   sync.Mutex
	open map[net.Conn]bool
}

func startIMAPProxy(t *testing.T, target string) *imapProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &imapProxy{addr: l.Addr().String(), target: target, open: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); p.setDown(true); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c) }()
		}
	}()
	return p
}

func (p *imapProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.open[c] = true
	} else {
		delete(p.open, c)
	}
}

// setDown makes the server unreachable (true) or reachable again.
func (p *imapProxy) setDown(down bool) {
	p.down.Store(down)
	if !down {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.open {
		c.Close()
	}
}

func (p *imapProxy) serve(client net.Conn) {
	defer client.Close()
	if p.down.Load() {
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	p.conns.Add(1)
	p.track(client, true)
	p.track(server, true)
	defer p.track(client, false)
	defer p.track(server, false)
	limit := p.cutAfter.Swap(0)
	go func() {
		_, _ = io.Copy(server, client)
		server.Close()
	}()
	if limit <= 0 {
		_, _ = io.Copy(client, server)
		return
	}
	if n, _ := io.CopyN(client, server, limit); n == limit {
		p.cuts.Add(1)
	}
}

// replies returns n calendar answers from the scene's missions to the
// round's sessions, each with its own Message-ID, and the pairs they answer.
type sentReply struct {
	raw              []byte
	mission, session string
	messageID        string
}

func (f *fixture) replies(tag string, from, n int) []sentReply {
	f.t.Helper()
	_, ss, err := directory.Round28()
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]sentReply, 0, n)
	for i := from; i < from+n; i++ {
		mid := sceneMissions[i%len(sceneMissions)]
		m, err := f.e.Mission(mid)
		if err != nil {
			f.t.Fatal(err)
		}
		s := ss[(i/len(sceneMissions))%len(ss)].SuR
		id := fmt.Sprintf("<%s.%d.%s.%s@mission.example>", tag, i, mid, s)
		raw := outlookAnswer{from: m.Contacts[0].Email, name: m.Titles.EN, uid: f.e.UID(mid, s), method: "REPLY",
			partStat: "ACCEPTED", dtstamp: f.clock.Now().Add(time.Duration(i+1) * time.Minute), messageID: id,
			comment: strings.Repeat("We look forward to the pre-session. ", 40)}.raw()
		out = append(out, sentReply{raw: raw, mission: mid, session: s, messageID: id})
	}
	return out
}

// recordedOnce checks each reply has exactly one entry in its pair's
// history.
func (f *fixture) recordedOnce(rs []sentReply) {
	f.t.Helper()
	for _, r := range rs {
		n := 0
		for _, h := range f.history(r.mission, r.session) {
			if h.Source.MessageID == r.messageID {
				n++
			}
		}
		if n != 1 {
			f.t.Errorf("%s (%s/%s) recorded %d times, want once", r.messageID, r.mission, r.session, n)
		}
	}
}

func (f *fixture) allRecorded(rs []sentReply) bool {
	f.t.Helper()
	for _, r := range rs {
		found := false
		for _, h := range f.history(r.mission, r.session) {
			found = found || h.Source.MessageID == r.messageID
		}
		if !found {
			return false
		}
	}
	return true
}

// settle polls cond every 200 ms, for conditions that read the whole
// store or the server: polling them faster would slow down the work it
// waits for (the race detector makes each poll costly). The limit catches
// a hang, it is not a speed check.
func settle(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited two minutes for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runWatcher runs w until the test ends; Run must end without error.
func runWatcher(t *testing.T, w *inbox.Watcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	})
}

func onServer(t *testing.T, d *testenv.Dovecot, mailbox string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, id := range dovecotIDs(t, d, mailbox) {
		ids[id]++
	}
	return ids
}

// checkFiled checks every reply is in processed exactly once and INBOX is
// empty.
func checkFiled(t *testing.T, d *testenv.Dovecot, rs []sentReply) {
	t.Helper()
	processed := onServer(t, d, "processed")
	for _, r := range rs {
		if processed[r.messageID] != 1 {
			t.Errorf("%s is %d times in processed, want once", r.messageID, processed[r.messageID])
		}
	}
	if left := d.Messages(t, organiserLogin, "INBOX"); len(left) != 0 {
		t.Errorf("INBOX still holds %d messages", len(left))
	}
}

// The connection is cut in the middle of the FETCH of a backlog: the
// watcher reconnects from the checkpoint and every reply is recorded once.
func TestDovecotFaultCutMidFetch(t *testing.T) {
	t.Parallel()
	d := startOrganiserDovecot(t, testenv.DovecotOptions{})
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	rs := f.replies("cut", 0, 40)
	size := 0
	c := d.Dial(t, organiserLogin)
	for _, r := range rs {
		if err := appendRaw(c, r.raw); err != nil {
			t.Fatal(err)
		}
		size += len(r.raw)
	}
	_ = c.Logout().Wait()
	p := startIMAPProxy(t, d.Addr)
	// Greeting, login and SELECT take well under 4 KB; the backlog is
	// about 40 × 5 KB, so the cut lands inside the FETCH responses.
	p.cutAfter.Store(int64(size / 3))
	w := intakeWatcher(t, p.addr, f.e.Intake("INBOX", intakeFolders))
	runWatcher(t, w)
	settle(t, "every reply to be recorded", func() bool { return f.allRecorded(rs) })
	settle(t, "INBOX to be emptied", func() bool { return len(d.Messages(t, organiserLogin, "INBOX")) == 0 })
	if p.cuts.Load() != 1 || p.conns.Load() < 2 {
		t.Fatalf("proxy cut %d connections of %d; the fault was not produced", p.cuts.Load(), p.conns.Load())
	}
	f.recordedOnce(rs)
	checkFiled(t, d, rs)
	if st := w.Status(); st.Reconnects < 1 {
		t.Errorf("watcher status %+v, want the reconnect counted", st)
	}
}

// The mailbox is rebuilt while the daemon cannot reach the server: it comes
// back with a new UIDVALIDITY, holding copies of replies already recorded
// (restored from a backup) and new ones. The watcher resyncs by itself;
// the copies count once, the new ones are recorded, all are filed.
func TestDovecotFaultUIDValidityChange(t *testing.T) {
	t.Parallel()
	d := startOrganiserDovecot(t, testenv.DovecotOptions{})
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	p := startIMAPProxy(t, d.Addr)
	in := f.e.Intake("INBOX", intakeFolders)
	w := intakeWatcher(t, p.addr, in)
	runWatcher(t, w)
	waitFor(t, "the watcher to idle", func() bool { return w.Status().Idling })

	first := f.replies("before", 0, 5)
	for _, r := range first {
		d.Append(t, organiserLogin, "INBOX", r.raw)
	}
	settle(t, "the first replies to be recorded and filed", func() bool {
		return f.allRecorded(first) && len(d.Messages(t, organiserLogin, "INBOX")) == 0
	})
	before, err := in.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	p.setDown(true)
	waitFor(t, "the watcher to lose the server", func() bool { return !w.Status().Connected })
	later := f.replies("after", 5, 3)
	for _, r := range first[:3] {
		d.Append(t, organiserLogin, "INBOX", r.raw)
	}
	for _, r := range later {
		d.Append(t, organiserLogin, "INBOX", r.raw)
	}
	newValidity := before.UIDValidity + 7919
	d.Doveadm(t, "mailbox", "update", "-u", organiserLogin, "--uid-validity", fmt.Sprint(newValidity), "INBOX")
	p.setDown(false)

	settle(t, "the replies after the rebuild to be recorded", func() bool { return f.allRecorded(later) })
	settle(t, "INBOX to be emptied", func() bool { return len(d.Messages(t, organiserLogin, "INBOX")) == 0 })
	cp, err := in.Checkpoint(context.Background())
	if err != nil || cp.UIDValidity != newValidity {
		t.Errorf("checkpoint %+v (%v), want UIDVALIDITY %d", cp, err, newValidity)
	}
	f.recordedOnce(append(first, later...))
	processed := onServer(t, d, "processed")
	for _, r := range later {
		if processed[r.messageID] != 1 {
			t.Errorf("%s is %d times in processed", r.messageID, processed[r.messageID])
		}
	}
	for _, r := range first[:3] {
		// The original and the restored copy: both kept, never deleted.
		if processed[r.messageID] != 2 {
			t.Errorf("%s is %d times in processed, want the original and the restored copy", r.messageID, processed[r.messageID])
		}
	}
}

// Someone deletes the folder replies are filed to while the daemon runs:
// the next reply is recorded, the folder made again, the reply filed.
func TestDovecotFaultTargetFolderDeleted(t *testing.T) {
	t.Parallel()
	d := startOrganiserDovecot(t, testenv.DovecotOptions{})
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	w := intakeWatcher(t, d.Addr, f.e.Intake("INBOX", intakeFolders))
	runWatcher(t, w)
	rs := f.replies("folder", 0, 2)
	d.Append(t, organiserLogin, "INBOX", rs[0].raw)
	settle(t, "the first reply to be filed", func() bool { return len(d.Messages(t, organiserLogin, "processed")) == 1 })

	c := d.Dial(t, organiserLogin)
	if err := c.Delete("processed").Wait(); err != nil {
		t.Fatal(err)
	}
	_ = c.Logout().Wait()
	waitFor(t, "the watcher to idle", func() bool { return w.Status().Idling })
	d.Append(t, organiserLogin, "INBOX", rs[1].raw)
	settle(t, "the second reply to be recorded and filed", func() bool {
		return f.allRecorded(rs[1:]) && len(d.Messages(t, organiserLogin, "processed")) == 1
	})
	f.recordedOnce(rs)
	checkFiled(t, d, rs[1:])
}

// The mailbox the daemon watches is deleted while it idles, and made again
// later (a mail rule recreates it): the watcher keeps trying, says why in
// its status, and reads what arrives once the mailbox is back.
func TestDovecotFaultWatchedMailboxDeleted(t *testing.T) {
	t.Parallel()
	const watched = "Replies"
	d := startOrganiserDovecot(t, testenv.DovecotOptions{})
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	rs := f.replies("deleted", 0, 2)
	d.Append(t, organiserLogin, watched, rs[0].raw)
	w, err := inbox.NewWatcher(inbox.Options{
		Addr: d.Addr, TLS: inbox.Plain, Username: organiserLogin, Password: organiserPassword, Mailbox: watched,
		Folders:        []string{intakeFolders.Processed, intakeFolders.Review, intakeFolders.Bounces},
		CommandTimeout: 20 * time.Second,
		Backoff:        func(int) time.Duration { return 50 * time.Millisecond },
	}, f.e.Intake(watched, intakeFolders))
	if err != nil {
		t.Fatal(err)
	}
	runWatcher(t, w)
	settle(t, "the first reply to be recorded", func() bool { return f.allRecorded(rs[:1]) })
	waitFor(t, "the watcher to idle", func() bool { return w.Status().Idling })

	c := d.Dial(t, organiserLogin)
	if err := c.Delete(watched).Wait(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher to report the mailbox missing", func() bool {
		st := w.Status()
		return !st.Idling && st.LastError != ""
	})
	t.Logf("while the mailbox is gone the watcher says: %s", w.Status().LastError)
	if err := c.Create(watched, nil).Wait(); err != nil {
		var ie *imap.Error
		if !(errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists) {
			t.Fatal(err)
		}
	}
	_ = c.Logout().Wait()
	d.Append(t, organiserLogin, watched, rs[1].raw)
	settle(t, "the reply in the recreated mailbox to be recorded", func() bool { return f.allRecorded(rs[1:]) })
	settle(t, "the mailbox to be emptied", func() bool { return len(d.Messages(t, organiserLogin, watched)) == 0 })
	f.recordedOnce(rs)
	if st := w.Status(); st.LastError != "" {
		t.Errorf("watcher still reports %q after recovering", st.LastError)
	}
	if got := f.rsvp(rs[1].mission, rs[1].session); got.Status != outreach.Accepted {
		t.Errorf("%s/%s: %+v", rs[1].mission, rs[1].session, got)
	}
}

// Dovecot restarts while the daemon idles: the watcher reconnects by itself
// and a reply delivered after the restart is recorded once.
func TestDovecotFaultRestartDuringIdle(t *testing.T) {
	t.Parallel()
	d := startOrganiserDovecot(t, testenv.DovecotOptions{})
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	w := intakeWatcher(t, d.Addr, f.e.Intake("INBOX", intakeFolders))
	runWatcher(t, w)
	rs := f.replies("restart", 0, 2)
	d.Append(t, organiserLogin, "INBOX", rs[0].raw)
	settle(t, "the first reply to be recorded", func() bool { return f.allRecorded(rs[:1]) })
	waitFor(t, "the watcher to idle", func() bool { return w.Status().Idling })

	d.Restart(t)
	d.Append(t, organiserLogin, "INBOX", rs[1].raw)
	settle(t, "the reply after the restart to be recorded", func() bool { return f.allRecorded(rs[1:]) })
	settle(t, "INBOX to be emptied", func() bool { return len(d.Messages(t, organiserLogin, "INBOX")) == 0 })
	f.recordedOnce(rs)
	checkFiled(t, d, rs)
	if st := w.Status(); st.Reconnects < 1 {
		t.Errorf("watcher status %+v, want the reconnect counted", st)
	}
}
