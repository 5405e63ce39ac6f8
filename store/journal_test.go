package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"outreach"
)

// claimed queues one invitation per mission and claims each, as the
// outbox does: in sending, under a claim number of its own.
func claimed(t testing.TB, s *Store, missions ...string) []outreach.OutboxItem {
	t.Helper()
	var out []outreach.OutboxItem
	err := s.Update(func(tx *Tx) error {
		out = out[:0]
		for _, m := range missions {
			it, _, err := tx.Enqueue(outreach.OutboxItem{
				Key:       outreach.OutboxKey{Kind: outreach.Invitation, Mission: m},
				MessageID: "<" + m + "@presessions.example>",
			})
			if err != nil {
				return err
			}
			if it.Claim, err = tx.NextClaim(); err != nil {
				return err
			}
			it.State, it.Attempts = outreach.Sending, it.Attempts+1
			if err := tx.SaveOutbox(it); err != nil {
				return err
			}
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// missionIDs returns n distinct three-letter mission IDs.
func missionIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = string(rune('A'+i/26/26%26)) + string(rune('A'+i/26%26)) + string(rune('A'+i%26))
	}
	return ids
}

func delivered(it outreach.OutboxItem, at time.Time) JournalEntry {
	return JournalEntry{Item: it.ID, Claim: it.Claim, Delivered: at}
}

func reopen(t *testing.T, s *Store, path string, opts Options) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func states(t *testing.T, s *Store) map[string]outreach.OutboxItem {
	t.Helper()
	out := map[string]outreach.OutboxItem{}
	err := s.View(func(tx *Tx) error {
		items, err := tx.Outbox(nil)
		for _, it := range items {
			out[it.Key.Mission] = it
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A process that dies after journaling deliveries, before recording them
// in the store, loses none of them: the next open records them.
func TestJournalDeliveriesSurviveAnUncleanStop(t *testing.T) {
	s, path := openTemp(t)
	items := claimed(t, s, "JPN", "FRA", "BRA")
	at := time.Date(2026, 11, 2, 9, 30, 0, 123456789, time.UTC)
	for _, it := range items[:2] {
		if err := s.JournalSent(delivered(it, at)); err != nil {
			t.Fatal(err)
		}
	}
	// Closing without JournalRecorded is what a kill leaves behind.
	s = reopen(t, s, path, Options{})
	got := states(t, s)
	for _, m := range []string{"JPN", "FRA"} {
		it := got[m]
		if it.State != outreach.Sent || !it.Sent.Equal(at) || !it.Next.IsZero() {
			t.Errorf("%s after reopen: %v sent %v next %v, want sent at %v", m, it.State, it.Sent, it.Next, at)
		}
	}
	if it := got["BRA"]; it.State != outreach.Sending {
		t.Errorf("BRA, never journaled, is %v; want sending (to be sent again)", it.State)
	}
	var audit []outreach.AuditEntry
	s.View(func(tx *Tx) (err error) { audit, err = tx.AuditLog(time.Time{}); return })
	found := false
	for _, a := range audit {
		found = found || (a.Action == "journal" && strings.Contains(a.Detail, "2 deliveries"))
	}
	if !found {
		t.Errorf("no audit entry for the replayed deliveries: %+v", audit)
	}

	// The replay emptied the journal: staff put FRA back in sending under
	// the same claim (as a test can); a second open leaves it there.
	s.Update(func(tx *Tx) error {
		it := got["FRA"]
		it.State = outreach.Sending
		return tx.SaveOutbox(it)
	})
	s = reopen(t, s, path, Options{})
	if st := states(t, s)["FRA"].State; st != outreach.Sending {
		t.Errorf("FRA replayed twice: %v", st)
	}
}

// An entry applies only to the claim it names: an item claimed again since
// (a retry) is not marked sent by an old delivery.
func TestJournalEntryOfAnEarlierClaimChangesNothing(t *testing.T) {
	s, path := openTemp(t)
	it := claimed(t, s, "JPN")[0]
	if err := s.JournalSent(delivered(it, time.Now())); err != nil {
		t.Fatal(err)
	}
	err := s.Update(func(tx *Tx) error {
		// Recorded sent, then queued again and claimed again, all before
		// the journal was emptied.
		again, err := tx.OutboxItem(it.ID)
		if err != nil {
			return err
		}
		if again.Claim, err = tx.NextClaim(); err != nil {
			return err
		}
		return tx.SaveOutbox(again)
	})
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path, Options{})
	if st := states(t, s)["JPN"].State; st != outreach.Sending {
		t.Errorf("JPN is %v: an entry of its earlier claim marked the new one sent", st)
	}
}

// Reading stops at an entry that does not check (a write cut short), and
// later entries are not read.
func TestJournalStopsAtADamagedEntry(t *testing.T) {
	s, path := openTemp(t)
	items := claimed(t, s, "JPN", "FRA", "BRA")
	for _, it := range items {
		if err := s.JournalSent(delivered(it, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	f, err := os.OpenFile(journalPath(path), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// One byte of the second entry's item number.
	if _, err := f.WriteAt([]byte{0xff}, journalHeader+journalEntry+14); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := states(t, s)
	if got["JPN"].State != outreach.Sent || got["FRA"].State != outreach.Sending || got["BRA"].State != outreach.Sending {
		t.Errorf("after a damaged second entry: JPN %v FRA %v BRA %v, want sent, sending, sending",
			got["JPN"].State, got["FRA"].State, got["BRA"].State)
	}
}

// Once every entry is recorded in the store the journal is emptied, so
// that it never fills while the outbox keeps up; a full one refuses.
func TestJournalEmptiedWhenRecordedAndRefusesWhenFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outreach.db")
	s, err := Open(path, Options{JournalSize: journalHeader + 2*journalEntry})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	items := claimed(t, s, "JPN", "FRA", "BRA")
	for _, it := range items[:2] {
		if err := s.JournalSent(delivered(it, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.JournalSent(delivered(items[2], time.Now())); !errors.Is(err, ErrJournalFull) {
		t.Fatalf("third entry in a journal of two: %v, want ErrJournalFull", err)
	}
	if err := s.JournalRecorded(1); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalSent(delivered(items[2], time.Now())); !errors.Is(err, ErrJournalFull) {
		t.Fatalf("with one entry outstanding: %v, want ErrJournalFull", err)
	}
	if err := s.JournalRecorded(1); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalSent(delivered(items[2], time.Now())); err != nil {
		t.Fatalf("after every entry was recorded: %v", err)
	}
}

// A flush that fails is reported, and the entry is not counted as
// outstanding: the caller records the delivery in the store instead.
func TestJournalFlushFailureIsReported(t *testing.T) {
	s, _ := openTemp(t)
	it := claimed(t, s, "JPN")[0]
	s.journal.failSync = func() error { return syscall.EIO }
	err := s.JournalSent(delivered(it, time.Now()))
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), ".journal") {
		t.Fatalf("JournalSent with a failing flush = %v, want EIO naming the journal", err)
	}
	if s.journal.outstanding != 0 {
		t.Errorf("after the failure: %d outstanding", s.journal.outstanding)
	}
	// Emptying the journal flushed its new header and failed too: the
	// header on disk may name an epoch the next entries would not match,
	// so the journal takes no entry until the store is opened again.
	s.journal.failSync = nil
	if err := s.JournalSent(delivered(it, time.Now())); !errors.Is(err, syscall.EIO) {
		t.Errorf("entry after a failed new epoch = %v, want the EIO again", err)
	}
}

// Entries written by several goroutines at once are all read back.
func TestJournalConcurrentEntriesAllReplayed(t *testing.T) {
	s, path := openTemp(t)
	items := claimed(t, s, missionIDs(64)...)
	errs := make(chan error, len(items))
	for _, it := range items {
		go func() { errs <- s.JournalSent(delivered(it, time.Now())) }()
	}
	for range items {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s = reopen(t, s, path, Options{})
	for m, it := range states(t, s) {
		if it.State != outreach.Sent {
			t.Errorf("%s is %v after replay", m, it.State)
		}
	}
}

// Whatever the journal file holds, the store opens, marks sent only items
// in sending, and takes new entries after.
func FuzzJournalOpen(f *testing.F) {
	seedDir := f.TempDir()
	seedPath := filepath.Join(seedDir, "outreach.db")
	s, err := Open(seedPath, Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, it := range claimed(f, s, "JPN", "FRA") {
		if err := s.JournalSent(delivered(it, time.Unix(1700000000, 0))); err != nil {
			f.Fatal(err)
		}
	}
	s.Close()
	valid, err := os.ReadFile(journalPath(seedPath))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid[:journalHeader+2*journalEntry])
	f.Add([]byte{})
	f.Add([]byte(journalMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "outreach.db")
		opts := Options{NoSync: true, JournalSize: 4 << 10}
		s, err := Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		claimed(t, s, "JPN", "FRA")
		s.Close()
		if err := os.WriteFile(journalPath(path), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err = Open(path, opts)
		if err != nil {
			t.Fatalf("open with a journal of %d bytes: %v", len(data), err)
		}
		defer s.Close()
		for m, it := range states(t, s) {
			if it.State != outreach.Sending && it.State != outreach.Sent {
				t.Errorf("%s is %v", m, it.State)
			}
		}
		if err := s.JournalSent(JournalEntry{Item: 1, Claim: 1, Delivered: time.Now()}); err != nil {
			t.Fatalf("entry after opening: %v", err)
		}
	})
}

// A file far larger than any journal is refused with advice, not read into
// memory.
func TestJournalTooLargeIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outreach.db")
	if err := os.WriteFile(journalPath(path), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(journalPath(path), journalMax+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "move it aside") || !strings.Contains(err.Error(), ".journal") {
		t.Fatalf("Open with a %d-byte journal = %v, want a refusal naming the file", journalMax+1, err)
	}
}

// Deliveries written by several connections before one of them asks for
// durability share one flush, and each is replayed after a stop; a flush
// that fails reports the entry not durable, and it is not outstanding.
func TestJournalWrittenEntriesShareAFlush(t *testing.T) {
	s, path := openTemp(t)
	items := claimed(t, s, "JPN", "FRA", "PER")
	flushes := 0
	s.journal.failSync = func() error { flushes++; return nil }
	var written []JournalWritten
	for _, it := range items {
		w, err := s.JournalWrite(delivered(it, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, w)
	}
	if flushes != 0 {
		t.Fatalf("writing flushed %d times", flushes)
	}
	for i := len(written) - 1; i >= 0; i-- {
		if err := s.JournalDurable(written[i]); err != nil {
			t.Fatal(err)
		}
	}
	if flushes != 1 {
		t.Errorf("three entries written before the first asked took %d flushes, want 1", flushes)
	}
	s.journal.failSync = nil
	s = reopen(t, s, path, Options{})
	for m, it := range states(t, s) {
		if it.State != outreach.Sent {
			t.Errorf("%s is %v after replay", m, it.State)
		}
	}

	it := claimed(t, s, "GHA")[0]
	w, err := s.JournalWrite(delivered(it, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	s.journal.failSync = func() error { return syscall.EIO }
	if err := s.JournalDurable(w); !errors.Is(err, syscall.EIO) {
		t.Fatalf("JournalDurable with a failing flush = %v, want EIO", err)
	}
	if s.journal.outstanding != 0 {
		t.Errorf("after the failure: %d outstanding", s.journal.outstanding)
	}
}
