package jobs

import (
	"bytes"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/store"
)

// dataLog keeps every DATA payload the test SMTP server read, refused or
// not, per Message-ID.
type dataLog struct {
	mu   sync.Mutex
	byID map[string][][]byte
}

func (d *dataLog) add(m *smtptest.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byID == nil {
		d.byID = map[string][][]byte{}
	}
	d.byID[m.MessageID] = append(d.byID[m.MessageID], bytes.Clone(m.Data))
}

func (d *dataLog) copies(id string) [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byID[id]
}

// sameCopies checks that the server read want copies of message id, all
// the same, byte for byte.
func sameCopies(t *testing.T, log *dataLog, id string, want int) {
	t.Helper()
	cs := log.copies(id)
	if len(cs) != want {
		t.Fatalf("the server read %d copies of %s, want %d", len(cs), id, want)
	}
	for i := 1; i < len(cs); i++ {
		if !bytes.Equal(cs[0], cs[i]) {
			t.Fatalf("copy %d of %s differs from the first:\n%s", i+1, id, firstDifference(cs[0], cs[i]))
		}
	}
}

func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\r\n"), strings.Split(string(b), "\r\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "first:  " + al[i] + "\nagain:  " + bl[i]
		}
	}
	return "one is longer"
}

// TestResentCopyIsByteIdentical: a message refused for now after its
// DATA (451), or accepted by a server whose verdict the client never heard,
// or caught in sending by a crash, is sent again as the same bytes —
// Date, MIME boundaries and the calendar's DTSTAMP those of the first
// attempt, though the clock moved on — for a message composed ahead of
// its claim (the invitation) and one composed in it (a confirmation),
// and across a restart.
func TestResentCopyIsByteIdentical(t *testing.T) {
	t.Run("invitation deferred after DATA", func(t *testing.T) {
		var log dataLog
		f := fixtureFailingFirst(t, &log, smtptest.Reply(451, [3]int{4, 3, 0}, "try again later"))
		if _, err := f.e.Invite("JPN", "test"); err != nil {
			t.Fatal(err)
		}
		if rep := flush(t, f, 0); rep.Deferred != 1 {
			t.Fatalf("first flush: %+v", rep)
		}
		if rep := flush(t, f, time.Hour); rep.Sent != 1 {
			t.Fatalf("second flush: %+v", rep)
		}
		it := f.item(invitationKey("JPN"))
		if it.Attempts != 2 {
			t.Fatalf("%d attempts, want 2", it.Attempts)
		}
		sameCopies(t, &log, it.MessageID, 2)
		noBodyKept(t, f, it.ID)
	})
	t.Run("invitation deferred, kept as its time only, then a restart", func(t *testing.T) {
		// An invitation is composed from the directory alone: the store
		// keeps when it was composed, not its 52 KB, and the engine that
		// restarts composes it again as of then.
		var log dataLog
		f := fixtureFailingFirst(t, &log, smtptest.ErrCutAfterAccept)
		if _, err := f.e.Invite("JPN", "test"); err != nil {
			t.Fatal(err)
		}
		if rep := flush(t, f, 0); rep.Deferred != 1 {
			t.Fatalf("first flush: %+v", rep)
		}
		it := f.item(invitationKey("JPN"))
		if it.Composed.IsZero() {
			t.Fatal("the deferred invitation does not record when it was composed")
		}
		f.st.View(func(tx *store.Tx) error {
			if b := tx.OutboxBody(it.ID); b != nil {
				t.Errorf("the deferred invitation keeps its %d bytes in the store", len(b))
			}
			return nil
		})
		f.restart()
		f.clock.Advance(26 * time.Hour)
		if rep := flush(t, f, 0); rep.Sent != 1 {
			t.Fatalf("flush after the restart: %+v", rep)
		}
		sameCopies(t, &log, it.MessageID, 2)
		if it := f.item(invitationKey("JPN")); !it.Composed.IsZero() {
			t.Errorf("a sent invitation still records a composing time (%v)", it.Composed)
		}
	})
	t.Run("failed invitation queued again by staff is composed anew", func(t *testing.T) {
		var log dataLog
		f := fixtureFailingFirst(t, &log, smtptest.Reply(554, [3]int{5, 6, 0}, "content refused"))
		if _, err := f.e.Invite("JPN", "test"); err != nil {
			t.Fatal(err)
		}
		if rep := flush(t, f, 0); rep.Failed != 1 {
			t.Fatalf("first flush: %+v", rep)
		}
		it := f.item(invitationKey("JPN"))
		f.clock.Advance(48 * time.Hour)
		if _, err := f.e.RetryOutbox(it.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if rep := flush(t, f, 0); rep.Sent != 1 {
			t.Fatalf("flush after the retry: %+v", rep)
		}
		cs := log.copies(it.MessageID)
		if len(cs) != 2 {
			t.Fatalf("%d copies, want 2", len(cs))
		}
		d0, d1 := headerOf(t, cs[0], "Date"), headerOf(t, cs[1], "Date")
		if d0 == d1 {
			t.Errorf("the message queued again two days later carries its first Date %q", d0)
		}
	})
	t.Run("confirmation accepted unheard, then a restart", func(t *testing.T) {
		var log dataLog
		f := fixtureFailingFirst(t, &log, smtptest.ErrCutAfterAccept)
		if _, err := f.e.SetRSVP("FRA", "JPN", outreach.Accepted, "", "test"); err != nil {
			t.Fatal(err)
		}
		if rep := flush(t, f, 0); rep.Deferred != 1 {
			t.Fatalf("first flush: %+v", rep)
		}
		f.restart()
		f.clock.Advance(3 * time.Hour)
		if rep := flush(t, f, 0); rep.Sent != 1 {
			t.Fatalf("flush after the restart: %+v", rep)
		}
		it := f.item(outreach.OutboxKey{Kind: outreach.Confirmation, Mission: "FRA", Session: "JPN", Revision: "0"})
		sameCopies(t, &log, it.MessageID, 2)
		noBodyKept(t, f, it.ID)
	})
	t.Run("invitation caught in sending by a crash", func(t *testing.T) {
		var log dataLog
		f := newFixture(t, smtptest.Hooks{Data: func(m *smtptest.Message) error {
			log.add(m)
			return smtptest.ErrCutAfterAccept
		}})
		if _, err := f.e.Invite("JPN", "test"); err != nil {
			t.Fatal(err)
		}
		flush(t, f, 0)
		// The process died after its end of data and before recording the
		// outcome: the message is left in sending with its bytes.
		if err := f.st.Update(func(tx *store.Tx) error {
			it, err := tx.OutboxByKey(invitationKey("JPN"))
			if err != nil {
				return err
			}
			it.State = outreach.Sending
			return tx.SaveOutbox(it)
		}); err != nil {
			t.Fatal(err)
		}
		f.smtp.SetHooks(smtptest.Hooks{Data: func(m *smtptest.Message) error { log.add(m); return nil }})
		f.restart()
		f.clock.Advance(24 * time.Hour)
		if rep := flush(t, f, 0); rep.Sent != 1 {
			t.Fatalf("flush after the crash: %+v", rep)
		}
		it := f.item(invitationKey("JPN"))
		sameCopies(t, &log, it.MessageID, 2)
	})
}

// TestResentCopyFollowsARefusedRecipient: the kept bytes go again only to
// the same recipients with the same calendar data; a recipient refused
// at RCPT changes the message (its To), which is composed again.
func TestResentCopyFollowsARefusedRecipient(t *testing.T) {
	var log dataLog
	f := newFixture(t, smtptest.Hooks{
		Rcpt: func(to string) error {
			if to == "humanrights@jpn.mission.example" {
				return smtptest.Reply(550, [3]int{5, 1, 1}, "no such user")
			}
			return nil
		},
		Data: func(m *smtptest.Message) error { log.add(m); return nil },
	})
	if _, err := f.e.Invite("JPN", "test"); err != nil {
		t.Fatal(err)
	}
	if rep := flush(t, f, 0); rep.Sent != 1 {
		t.Fatalf("flush: %+v", rep)
	}
	it := f.item(invitationKey("JPN"))
	cs := log.copies(it.MessageID)
	if len(cs) != 1 || bytes.Contains(cs[0], []byte("humanrights@jpn.mission.example")) {
		t.Fatalf("the copy delivered still names the refused address (%d copies)", len(cs))
	}
}

// noBodyKept checks that a message that went out keeps no bytes.
func noBodyKept(t *testing.T, f *fixture, id uint64) {
	t.Helper()
	f.st.View(func(tx *store.Tx) error {
		if b := tx.OutboxBody(id); b != nil {
			t.Errorf("outbox item %d keeps %d bytes after it was sent", id, len(b))
		}
		return nil
	})
}

// headerOf is the value of the header field name in a raw message.
func headerOf(t *testing.T, raw []byte, name string) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.Header.Get(name)
}

// fixtureFailingFirst is a fixture whose SMTP server logs every message it
// reads and answers the first one's end of data with first.
func fixtureFailingFirst(t *testing.T, log *dataLog, first error) *fixture {
	t.Helper()
	n := 0
	return newFixture(t, smtptest.Hooks{Data: func(m *smtptest.Message) error {
		log.add(m)
		if n++; n == 1 {
			return first
		}
		return nil
	}})
}
