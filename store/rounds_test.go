package store

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// schema3Store writes to a temporary file the store the demo left after
// a whole round of the 28th session, written by outreach at schema 3
// (one round, before rounds were recorded), and returns its path.
func schema3Store(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/schema3-demo-round28.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "outreach.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dump reads every key and value of the top-level buckets of the file at
// path with bbolt alone, as bucket → key → value.
func dump(t *testing.T, path string, under ...string) map[string]map[string][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]map[string][]byte{}
	err = db.View(func(tx *bolt.Tx) error {
		read := func(name []byte, b *bolt.Bucket) error {
			m := map[string][]byte{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error {
				if v != nil {
					m[string(k)] = bytes.Clone(v)
				}
				return nil
			})
		}
		if len(under) == 0 {
			return tx.ForEach(read)
		}
		b := tx.Bucket([]byte(under[0]))
		for _, u := range under[1:] {
			if b == nil {
				break
			}
			b = b.Bucket([]byte(u))
		}
		if b == nil {
			return errors.New("no bucket " + filepath.Join(under...))
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return read(k, b.Bucket(k))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpgradeSchema3StoreToRound28 opens a store written by the release
// before rounds (schema 3, the demo's whole 28th round) and checks that it
// becomes round 28 with nothing lost: every record of every per-round
// bucket is in round 28's, byte for byte; the shared ones are untouched;
// the engine's state is split between the two and nothing is dropped; the
// calendar UIDs the missions hold are the same; and the typed accessors
// read what the file held.
func TestUpgradeSchema3StoreToRound28(t *testing.T) {
	path := schema3Store(t)
	before := dump(t, path)
	checkSchema3FixtureExercisesTheMigration(t, before)

	first := outreach.Round{Number: 28, Title: "UPR Pre-sessions, 28th session", TimeZone: "Europe/Zurich",
		FirstDay: "2017-10-10", LastDay: "2017-10-13", Venue: "Palais des Nations"}
	s, err := Open(path, Options{FirstRound: first})
	if err != nil {
		t.Fatal(err)
	}
	checkUpgradedStoreIsRound28(t, s, first, before)
	s.Close()

	after := dump(t, path)
	round := dump(t, path, "rounds", "0028")
	checkPerRoundBucketsMovedToRound28(t, before, after, round)
	checkStateSplitBetweenSharedAndRound28(t, before["state"], after["state"], round["state"])
	for _, k := range []string{"secret", "calendar-uid-key", "directory-generation"} {
		if !bytes.Equal(before["meta"][k], after["meta"][k]) {
			t.Errorf("meta %s changed: calendar UIDs and reply tokens would change under the missions", k)
		}
	}

	// A second opening changes nothing more.
	s, err = Open(path, Options{FirstRound: outreach.Round{Number: 99}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Round() != 28 {
		t.Errorf("reopened bound to round %d, want 28", s.Round())
	}
	s.Close()
}

// checkSchema3FixtureExercisesTheMigration checks that the fixture, as
// dumped in before, is at schema 3 and holds records in every bucket the
// migration moves or keeps.
func checkSchema3FixtureExercisesTheMigration(t *testing.T, before map[string]map[string][]byte) {
	t.Helper()
	if v := string(before["meta"]["schema"]); v != "3" {
		t.Fatalf("fixture schema %q, want 3", v)
	}
	for _, b := range []string{"sessions", "rsvp", "rsvp_history", "outbox", "review", "state", "missions"} {
		if len(before[b]) == 0 {
			t.Fatalf("fixture has no %s records: it does not exercise the migration", b)
		}
	}
}

// upgradedCounts are the records the typed accessors read from the
// upgraded store.
type upgradedCounts struct{ sessions, rsvps, outbox, reviews, history int }

// checkUpgradedStoreIsRound28 checks the store s opened on the schema 3
// file: at the current schema (5: rounds, then the index of messages in
// sending), bound to round 28 (first) and the only round, and its
// typed accessors read as many records as the file held (before).
func checkUpgradedStoreIsRound28(t *testing.T, s *Store, first outreach.Round, before map[string]map[string][]byte) {
	t.Helper()
	if v, _ := s.Version(); v != SchemaVersion() || SchemaVersion() != 5 {
		t.Errorf("schema %d after opening (this build writes %d), want 5", v, SchemaVersion())
	}
	if s.Round() != 28 {
		t.Errorf("store bound to round %d, want 28", s.Round())
	}
	var typed upgradedCounts
	err := s.View(func(tx *Tx) error {
		var err error
		typed, err = readUpgradedRound28(t, tx, first)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if typed.sessions != len(before["sessions"]) || typed.rsvps != len(before["rsvp"]) ||
		typed.outbox != len(before["outbox"]) || typed.history != len(before["rsvp_history"]) {
		t.Errorf("read %d sessions, %d answers, %d messages, %d history entries; the file held %d, %d, %d, %d",
			typed.sessions, typed.rsvps, typed.outbox, typed.history,
			len(before["sessions"]), len(before["rsvp"]), len(before["outbox"]), len(before["rsvp_history"]))
	}
	if typed.reviews != len(before["review"]) {
		t.Errorf("read %d review items, the file held %d", typed.reviews, len(before["review"]))
	}
}

// readUpgradedRound28 checks that tx sees round 28 (first) alone and
// current, that replies still find their messages and page tokens stay
// the missions', and counts the records the typed accessors read.
func readUpgradedRound28(t *testing.T, tx *Tx, first outreach.Round) (upgradedCounts, error) {
	t.Helper()
	var typed upgradedCounts
	rounds, err := tx.Rounds()
	if err != nil {
		return typed, err
	}
	if len(rounds) != 1 || rounds[0].Number != 28 || rounds[0].Title != first.Title || tx.CurrentRound() != 28 {
		t.Errorf("rounds %+v, current %d; want round 28 alone, current", rounds, tx.CurrentRound())
	}
	ss, err := tx.Sessions()
	if err != nil {
		return typed, err
	}
	rs, err := tx.RSVPs()
	if err != nil {
		return typed, err
	}
	ob, err := tx.Outbox(nil)
	if err != nil {
		return typed, err
	}
	rv, err := tx.Reviews("")
	if err != nil {
		return typed, err
	}
	ms, err := tx.Missions()
	if err != nil {
		return typed, err
	}
	for _, m := range ms {
		h, err := tx.History(m.ID, "")
		if err != nil {
			return typed, err
		}
		typed.history += len(h)
	}
	typed.sessions, typed.rsvps, typed.outbox, typed.reviews = len(ss), len(rs), len(ob), len(rv)
	// Threading: a reply's In-Reply-To still finds the message.
	for _, it := range ob[:3] {
		got, err := tx.OutboxByMessageID(it.MessageID)
		if err != nil || got.ID != it.ID {
			t.Errorf("message %s: found %d, %v; want item %d", it.MessageID, got.ID, err, it.ID)
		}
	}
	// The reply page tokens stay the missions'.
	if _, err := tx.PageToken(ms[0].ID); err != nil && !errors.Is(err, ErrNoPageToken) {
		t.Errorf("page token of %s: %v", ms[0].ID, err)
	}
	return typed, nil
}

// checkPerRoundBucketsMovedToRound28 checks that every per-round bucket
// of the file before the upgrade is now round 28's, record for record, and
// no longer at the top of the file (after); and that the shared buckets
// are unchanged.
func checkPerRoundBucketsMovedToRound28(t *testing.T, before, after, round map[string]map[string][]byte) {
	t.Helper()
	for name := range perRound {
		if name == "state" {
			continue
		}
		if _, ok := after[name]; ok {
			t.Errorf("bucket %s is still at the top of the file", name)
		}
		if !sameRecords(before[name], round[name]) {
			t.Errorf("round 28's %s differs from the file's %s before: %d records, %d before", name, name, len(round[name]), len(before[name]))
		}
	}
	for _, name := range []string{"missions", "processed", "checkpoints", "audit"} {
		if !sameRecords(before[name], after[name]) {
			t.Errorf("shared bucket %s changed: %d records, %d before", name, len(after[name]), len(before[name]))
		}
	}
}

// checkStateSplitBetweenSharedAndRound28 checks that every entry of the
// engine's state before the upgrade is in exactly one place after it,
// shared (top) or round 28's (round), unchanged.
func checkStateSplitBetweenSharedAndRound28(t *testing.T, before, top, round map[string][]byte) {
	t.Helper()
	for k, v := range before {
		tv, inTop := top[k]
		rv, inRound := round[k]
		switch {
		case inTop && inRound:
			t.Errorf("state %q is both shared and round 28's", k)
		case inTop && !bytes.Equal(tv, v), inRound && !bytes.Equal(rv, v):
			t.Errorf("state %q changed", k)
		case !inTop && !inRound:
			t.Errorf("state %q lost", k)
		case inTop != globalState(k):
			t.Errorf("state %q: shared %v, want %v", k, inTop, globalState(k))
		}
	}
	if len(top)+len(round) != len(before) {
		t.Errorf("state: %d shared + %d of round 28, want %d in all", len(top), len(round), len(before))
	}
}

func sameRecords(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

func round29() outreach.Round {
	return outreach.Round{Number: 29, Title: "UPR Pre-sessions, 29th session", TimeZone: "Europe/Zurich",
		FirstDay: "2018-01-09", LastDay: "2018-01-12", Venue: "Palais des Nations", RSVPDeadline: "2018-01-05T18:00"}
}

// TestRoundsKeepTheirRecordsApart writes the same keys in rounds 28 and
// 29 — a session, an answer, a message, a review item, engine state — and
// checks that each round reads its own, that shared records (missions,
// the sending budget) are one, and that outbox ids never repeat.
func TestRoundsKeepTheirRecordsApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outreach.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var id28, id29 uint64
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(outreach.Mission{ID: "FRA", Language: outreach.French, Contacts: []outreach.Contact{{Email: "a@fra.example"}}}); err != nil {
			return err
		}
		if id28, err = writeSameKeys(tx, "XXV", "r28"); err != nil {
			return err
		}
		return tx.AddRound(round29())
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *Tx) error {
		checkBadRoundsRefused(t, tx)
		return tx.SetCurrentRound(29)
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Bound to the current round, 29 now: nothing of 28's is seen.
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Round() != 29 {
		t.Fatalf("bound to %d, want the current round 29", s.Round())
	}
	if err := s.Update(func(tx *Tx) error {
		checkRound29StartsWithNothingOf28s(t, tx)
		var err error
		id29, err = writeSameKeys(tx, "XX", "r29")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if id29 <= id28 {
		t.Errorf("round 29's first message has id %d, round 28's %d: ids repeat across rounds", id29, id28)
	}
	s.Close()

	for _, n := range []int{28, 29} {
		checkRoundReadsItsOwnRecords(t, path, n)
	}
	if _, err := Open(path, Options{Round: 31}); !errors.Is(err, ErrNoRound) {
		t.Errorf("opening a round not in the store: %v, want ErrNoRound", err)
	}
}

// writeSameKeys writes in tx's round what every round writes under the
// same keys — JPN's session in room, FRA's answer, a message, a review
// item and state, all noted note — and the shared sending budget, and
// returns the message's outbox id.
func writeSameKeys(tx *Tx, room, note string) (uint64, error) {
	if err := tx.PutSession(outreach.Session{SuR: "JPN", Room: room}); err != nil {
		return 0, err
	}
	if _, err := tx.RecordRSVP(outreach.RSVP{Mission: "FRA", Session: "JPN", Status: outreach.Accepted, Note: note}); err != nil {
		return 0, err
	}
	it, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "FRA"}, MessageID: "<" + note + "@x>"})
	if err != nil {
		return 0, err
	}
	if _, err := tx.AddReview(outreach.ReviewItem{Subject: note}); err != nil {
		return 0, err
	}
	if err := tx.PutState("reminder/"+note, note); err != nil {
		return 0, err
	}
	return it.ID, tx.PutState("smtp-throttle", note)
}

// checkBadRoundsRefused checks that tx refuses round 29 a second time and
// a round with a bad time zone and days.
func checkBadRoundsRefused(t *testing.T, tx *Tx) {
	t.Helper()
	if err := tx.AddRound(round29()); err == nil {
		t.Error("round 29 added twice")
	}
	if err := tx.AddRound(outreach.Round{Number: 30, Title: "x", TimeZone: "Mars/Olympus", FirstDay: "2018-05-01", LastDay: "2018-04-01"}); err == nil {
		t.Error("a round with a bad time zone and days was added")
	}
}

// checkRound29StartsWithNothingOf28s checks that tx, bound to round 29,
// sees no session, answer or message of round 28's, but the shared
// mission directory and sending budget.
func checkRound29StartsWithNothingOf28s(t *testing.T, tx *Tx) {
	t.Helper()
	if ss, _ := tx.Sessions(); len(ss) != 0 {
		t.Errorf("round 29 starts with %d sessions, want none", len(ss))
	}
	if rs, _ := tx.RSVPs(); len(rs) != 0 {
		t.Errorf("round 29 starts with %d answers, want none", len(rs))
	}
	if ob, _ := tx.Outbox(nil); len(ob) != 0 {
		t.Errorf("round 29 starts with %d messages, want none", len(ob))
	}
	if _, err := tx.OutboxByMessageID("<r28@x>"); !errors.Is(err, ErrNotFound) {
		t.Errorf("round 28's message found from round 29: %v", err)
	}
	if m, err := tx.Mission("FRA"); err != nil || len(m.Contacts) != 1 {
		t.Errorf("the mission directory is not shared: %+v, %v", m, err)
	}
	var budget string
	if _, err := tx.GetState("smtp-throttle", &budget); err != nil || budget != "r28" {
		t.Errorf("sending budget %q, %v; want the shared one, r28", budget, err)
	}
}

// checkRoundReadsItsOwnRecords opens the store at path on round n and
// checks that it reads the round's record and what writeSameKeys wrote in
// it, and not the other round's state.
func checkRoundReadsItsOwnRecords(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(path, Options{Round: n})
	if err != nil {
		t.Fatal(err)
	}
	note := map[int]string{28: "r28", 29: "r29"}[n]
	room := map[int]string{28: "XXV", 29: "XX"}[n]
	if err := s.View(func(tx *Tx) error {
		r, err := tx.Round()
		if err != nil || r.Number != n {
			t.Errorf("round record %+v, %v; want %d", r, err, n)
		}
		if se, err := tx.Session("JPN"); err != nil || se.Room != room {
			t.Errorf("round %d: session room %q, %v; want %q", n, se.Room, err, room)
		}
		h, _ := tx.History("FRA", "JPN")
		if len(h) != 1 || h[0].Note != note {
			t.Errorf("round %d: history %+v, want one answer noted %s", n, h, note)
		}
		ob, _ := tx.Outbox(nil)
		if len(ob) != 1 || ob[0].MessageID != "<"+note+"@x>" {
			t.Errorf("round %d: outbox %+v", n, ob)
		}
		rv, _ := tx.Reviews("")
		if len(rv) != 1 || rv[0].Subject != note {
			t.Errorf("round %d: review %+v", n, rv)
		}
		var st string
		if found, _ := tx.GetState("reminder/"+note, &st); !found {
			t.Errorf("round %d: its state is missing", n)
		}
		other := map[int]string{28: "r29", 29: "r28"}[n]
		if found, _ := tx.GetState("reminder/"+other, &st); found {
			t.Errorf("round %d sees the other round's state", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A delivery in the send journal is recorded in the round whose message
// it was, whichever round the next process is bound to: a process sending
// round 28's last messages (`--round 28 outbox flush`) is killed, and the
// store is next opened on round 29.
func TestJournalReplayFindsTheRoundOfItsMessage(t *testing.T) {
	s, path := openTemp(t)
	items := claimed(t, s, "JPN", "FRA")
	if err := s.Update(func(tx *Tx) error {
		if err := tx.AddRound(round29()); err != nil {
			return err
		}
		return tx.SetCurrentRound(29)
	}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path, Options{})
	other := claimed(t, s, "BRA")
	if other[0].ID == items[0].ID || other[0].ID == items[1].ID {
		t.Fatalf("round 29's message has id %d, as one of round 28's", other[0].ID)
	}
	s = reopen(t, s, path, Options{Round: 28})
	at := time.Date(2017, 10, 14, 9, 0, 0, 0, time.UTC)
	if err := s.JournalSent(delivered(items[0], at)); err != nil {
		t.Fatal(err)
	}
	// Killed: reopened on the current round, 29.
	s = reopen(t, s, path, Options{})
	if s.Round() != 29 {
		t.Fatalf("reopened on round %d, want 29", s.Round())
	}
	if st := states(t, s); st["BRA"].State != outreach.Sending || len(st) != 1 {
		t.Errorf("round 29's outbox after the replay: %+v", st)
	}
	s = reopen(t, s, path, Options{Round: 28})
	st := states(t, s)
	if st["JPN"].State != outreach.Sent || !st["JPN"].Sent.Equal(at) || st["FRA"].State != outreach.Sending {
		t.Errorf("round 28 after the replay: JPN %v at %v, FRA %v; want JPN sent at %v, FRA still sending", st["JPN"].State, st["JPN"].Sent, st["FRA"].State, at)
	}
}
