package crashtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/store"
)

// Figures of the crash tests; RELIABILITY.md quotes the last run's.
const (
	crashMessages = 2000
	crashKills    = 24
	// minKills is how many kills must fall while there is work left; the
	// planned kills leave a margin for a rate misjudged.
	minKills  = 20
	sendConns = 2
)

// TestSendsSurviveKill9 kills `outreach run` with SIGKILL at random moments
// while it sends 2,000 invitations to a recording SMTP server, restarts it
// each time, and lets the last run drain the outbox. Every message must
// arrive; a copy sent twice must carry the same Message-ID; and there are
// at most as many duplicates as kills times SMTP connections (one message
// per connection is ever delivered and not yet recorded). After every kill
// the store (its send journal replayed, as the next start does) must not
// call anything sent that the server did not accept, and at most one
// message per connection that the server accepted since the last kill may
// be left to go again.
func TestSendsSurviveKill9(t *testing.T) {
	rng := seed(t)
	srv, err := smtptest.Listen("127.0.0.1:0", smtptest.Hooks{}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	im := startIMAP(t)
	e := newEnv(t, srv.Addr, im.addr, sendConns, im.password)
	e.growDirectory(crashMessages)

	var rep struct {
		Queued      []string `json:"queued"`
		Unreachable []string `json:"unreachable"`
	}
	if err := json.Unmarshal([]byte(e.mustCLI("invite", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Queued) != crashMessages || len(rep.Unreachable) != 0 {
		t.Fatalf("invite queued %d, %d unreachable; want %d, 0", len(rep.Queued), len(rep.Unreachable), crashMessages)
	}

	k := &sendKills{t: t, e: e, srv: srv, again: map[string]bool{}}
	start := time.Now()
	kills, early := k.killWhileSending(rng)
	killPhase := time.Since(start)
	sentBeforeLast := len(k.received())

	k.drainReadingBackups()
	elapsed := time.Since(start)

	got := k.received()
	k.checkEveryMessageArrivedOnce(got)
	identical := checkResentByteForByte(t, srv.Messages())
	dups := len(srv.Messages()) - len(got)
	maxDups := kills * sendConns
	if dups > maxDups {
		t.Errorf("%d duplicates after %d kills with %d connections; at most %d allowed", dups, kills, sendConns, maxDups)
	}
	for _, a := range srv.Auths() {
		if a.Username != mailbox || a.Password != e.smtpPassword {
			t.Errorf("SMTP login as %q with a password other than smtp.password_file's", a.Username)
		}
	}
	if len(srv.Auths()) == 0 {
		t.Error("the daemon never logged in to SMTP")
	}
	e.assertNoSecrets()
	t.Logf("figures: %d messages, %d kills (%d during start-up) over %s, %d accepted before the last run, %d duplicates (bound %d, %d byte-identical to the first copy), %d caught in sending at kills, %d SMTP connections, %s in all",
		crashMessages, kills, early, killPhase.Round(100*time.Millisecond), sentBeforeLast, dups, maxDups, identical, k.inFlightSeen, srv.Connections(), elapsed.Round(100*time.Millisecond))
}

// sendKills is TestSendsSurviveKill9's daemon, the SMTP server it sends
// to, and what the test learnt at each kill.
type sendKills struct {
	t            *testing.T
	e            *env
	srv          *smtptest.Server
	again        map[string]bool // accepted, not recorded: will go again
	inFlightSeen int             // messages caught in sending at kills
}

// received counts what the server accepted, by Message-ID.
func (k *sendKills) received() map[string]int {
	n := map[string]int{}
	for _, m := range k.srv.Messages() {
		n[m.MessageID]++
	}
	return n
}

// killWhileSending starts the daemon and kills it -9, during start-up or
// while it sends, until crashKills kills or the outbox drains, checking
// the store after each kill. It returns the kills, and how many fell
// during start-up.
func (k *sendKills) killWhileSending(rng *rand.Rand) (kills, early int) {
	t, e, srv := k.t, k.e, k.srv
	t.Helper()
	clock := &killClock{rng: rng, total: crashMessages, kills: crashKills, rate: 100}
	for kills < crashKills {
		d := e.start()
		if ok, after := clock.startUp(); ok {
			// During start-up: opening the store, re-queueing, first claims.
			time.Sleep(after)
			early++
		} else {
			e.waitReady(d)
			before, t0 := srv.Count(), time.Now()
			time.Sleep(clock.delay(len(k.received()), kills))
			clock.observe(srv.Count()-before, time.Since(t0))
		}
		e.kill(d)
		kills++
		if k.checkAfterKill() == 0 {
			if kills <= minKills {
				t.Fatalf("the outbox drained after %d kills, at least %d must fall while sending: send more messages", kills, minKills)
			}
			break
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	return kills, early
}

// checkAfterKill: after each kill, nothing is recorded as sent that the
// server did not accept, and at most one message per connection was
// accepted and is not recorded (it will go again: a duplicate). It
// returns how many messages are still pending.
func (k *sendKills) checkAfterKill() (pending int) {
	t, srv := k.t, k.srv
	t.Helper()
	// The server may still be taking a message whose end of data the
	// killed process wrote: wait until it has closed every session.
	for deadline := time.Now().Add(10 * time.Second); srv.Open() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d SMTP sessions still open 10 s after the kill", srv.Open())
		}
	}
	got := k.received()
	k.e.view(k.e.storePath(), func(tx *store.Tx) error {
		items, err := tx.Outbox(nil)
		if err != nil {
			return err
		}
		sending := 0
		var newly []string
		now := map[string]bool{}
		for _, it := range items {
			if it.State != outreach.Sent && got[it.MessageID] > 0 {
				now[it.MessageID] = true
				if !k.again[it.MessageID] {
					newly = append(newly, fmt.Sprintf("%s (%s, attempt %d, claim %d, received %d)", it.Key, it.State, it.Attempts, it.Claim, got[it.MessageID]))
				}
			}
			switch it.State {
			case outreach.Sent:
				if got[it.MessageID] == 0 {
					t.Errorf("%s %s is recorded as sent but the server never accepted it", it.Key, it.MessageID)
				}
			case outreach.Sending:
				sending++
				pending++
			case outreach.Queued, outreach.Deferred:
				pending++
			default:
				t.Errorf("%s is %s after a kill: %s", it.Key, it.State, it.Error)
			}
		}
		if len(newly) > sendConns {
			t.Errorf("%d messages accepted by the server and not recorded as sent at a kill, with %d connections: %s", len(newly), sendConns, strings.Join(newly, "; "))
		}
		k.again = now
		k.inFlightSeen += sending
		return nil
	})
	return pending
}

// drainReadingBackups: the last run drains the outbox; `outreach backup`
// reads the store while the daemon runs.
func (k *sendKills) drainReadingBackups() {
	t, e := k.t, k.e
	t.Helper()
	d := e.start()
	e.waitReady(d)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pending := 0
		e.view(e.backup(), func(tx *store.Tx) error {
			items, err := tx.Outbox(func(it *outreach.OutboxItem) bool { return it.State.Pending() })
			pending = len(items)
			return err
		})
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still pending 2 minutes after the last restart; log:\n%s", pending, e.tail())
		}
		time.Sleep(300 * time.Millisecond)
	}
	e.stop(d)
}

// checkEveryMessageArrivedOnce: every message arrived, and only ours did;
// a message sent again is the same message: one Message-ID per recipient
// list.
func (k *sendKills) checkEveryMessageArrivedOnce(got map[string]int) {
	t := k.t
	t.Helper()
	byRecipients := map[string][]string{}
	for _, m := range k.srv.Messages() {
		rcpt := slices.Clone(m.To)
		slices.Sort(rcpt)
		key := strings.Join(rcpt, ",")
		if !slices.Contains(byRecipients[key], m.MessageID) {
			byRecipients[key] = append(byRecipients[key], m.MessageID)
		}
	}
	var invitations int
	k.e.view(k.e.storePath(), func(tx *store.Tx) error {
		items, err := tx.Outbox(nil)
		if err != nil {
			return err
		}
		ours := map[string]bool{}
		for _, it := range items {
			ours[it.MessageID] = true
			if it.Key.Kind == outreach.Invitation {
				invitations++
			}
			if it.State != outreach.Sent {
				t.Errorf("%s ended %s: %s", it.Key, it.State, it.Error)
			}
			if got[it.MessageID] == 0 {
				t.Errorf("%s %s never arrived", it.Key, it.MessageID)
			}
		}
		for id := range got {
			if !ours[id] {
				t.Errorf("the server received %s, which is not in the outbox", id)
			}
		}
		return nil
	})
	if invitations != crashMessages {
		t.Errorf("%d invitations in the outbox, want %d", invitations, crashMessages)
	}
	for rcpt, ids := range byRecipients {
		if len(ids) != 1 {
			t.Errorf("%s received %d different Message-IDs: %v", rcpt, len(ids), ids)
		}
	}
}

// checkResentByteForByte: a message sent again is the same, byte for
// byte: its bytes were kept in the store when it was claimed. It returns
// how many copies were identical to the first.
func checkResentByteForByte(t *testing.T, msgs []smtptest.Message) int {
	t.Helper()
	firstCopy := map[string][]byte{}
	identical := 0
	for _, m := range msgs {
		b, seen := firstCopy[m.MessageID]
		if !seen {
			firstCopy[m.MessageID] = m.Data
			continue
		}
		if !bytes.Equal(b, m.Data) {
			t.Errorf("%s was received twice with different bytes", m.MessageID)
		} else {
			identical++
		}
	}
	return identical
}
