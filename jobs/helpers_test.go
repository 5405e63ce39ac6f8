package jobs

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/mailer"
	"outreach/store"
	"outreach/templates"
)

// roundStart is when tests begin: five weeks before the 28th round.
var roundStart = time.Date(2017, 9, 4, 7, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	dir   string
	st    *store.Store
	e     *Engine
	clock *ManualClock
	smtp  *smtptest.Server
	event outreach.Event
	opts  Options
	// storeOpts are used by open (its clock aside).
	storeOpts store.Options
}

// newFixture opens a store seeded with the 195 missions and the 14
// sessions of the 28th round, and an engine sending to a recording SMTP
// server on loopback.
func newFixture(t *testing.T, hooks smtptest.Hooks) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), clock: NewManualClock(roundStart)}
	f.smtp = smtptest.Start(t, hooks)
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	f.event = ev
	f.open()
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

// open (re)opens the store and the engine, as a restarted process would.
func (f *fixture) open() {
	f.t.Helper()
	so := f.storeOpts
	so.Now = f.clock.Now
	st, err := store.Open(filepath.Join(f.dir, "outreach.db"), so)
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
	f.t.Cleanup(func() { st.Close() })
	set, err := templates.Load("")
	if err != nil {
		f.t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(f.smtp.Addr)
	p, _ := strconv.Atoi(port)
	sender, err := mailer.New(mailer.Options{Host: host, Port: p, TLS: mailer.Plain, Timeout: 5 * time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	f.opts = Options{Store: st, Event: f.event, Clock: f.clock, Templates: set, Sender: sender, Connections: 1}
	f.e = New(f.opts)
}

// restart closes the store and opens a new engine on it.
func (f *fixture) restart() {
	f.t.Helper()
	f.st.Close()
	f.open()
}

func (f *fixture) item(key outreach.OutboxKey) outreach.OutboxItem {
	f.t.Helper()
	var it outreach.OutboxItem
	err := f.st.View(func(tx *store.Tx) error {
		var err error
		it, err = tx.OutboxByKey(key)
		return err
	})
	if err != nil {
		f.t.Fatalf("outbox %s: %v", key, err)
	}
	return it
}

func invitationKey(mission string) outreach.OutboxKey {
	return outreach.OutboxKey{Kind: outreach.Invitation, Mission: mission}
}
