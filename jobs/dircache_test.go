package jobs

import (
	"errors"
	"strings"
	"testing"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/store"
)

// What compose and intake derive from the missions and sessions is cached;
// every change to them shows at once, and a change rolled back never does.
func TestDirectoryCacheFollowsChanges(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	_, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: A Delegate <new.delegate@example.org>\r\nTo: " + f.event.Mailbox.Email +
		"\r\nSubject: Pre-sessions\r\nMessage-ID: <cache.1@example.org>\r\n\r\nWe will attend all the pre-sessions.\r\n")
	classify := func() string {
		t.Helper()
		res, err := f.e.Classify(raw)
		if err != nil {
			t.Fatal(err)
		}
		return res.Mission
	}
	var sur outreach.Mission
	for _, m := range ms {
		if m.ID == ss[0].SuR {
			sur = m
		}
	}
	preview := func() string {
		t.Helper()
		msg, err := f.e.Preview(outreach.Invitation, "FRA", "")
		if err != nil {
			t.Fatal(err)
		}
		return msg.Text
	}
	if got := classify(); got != "" {
		t.Fatalf("unknown sender matched %q", got)
	}
	if !strings.Contains(preview(), sur.Names.FR) {
		t.Fatalf("invitation does not name %s", sur.Names.FR)
	}

	// A new contact address, through the import: the next reply from it
	// is matched.
	for i := range ms {
		if ms[i].ID == "FRA" {
			ms[i].Contacts = append(ms[i].Contacts, outreach.Contact{Email: "new.delegate@example.org"})
		}
	}
	if _, err := f.e.ImportMissions(ms, "test"); err != nil {
		t.Fatal(err)
	}
	if got := classify(); got != "FRA" {
		t.Fatalf("after the import, the new contact matched %q, want FRA", got)
	}

	// A State's name changed and then rolled back: the transaction that
	// made the change composes with it, nobody else ever sees it.
	renamed := sur
	renamed.Names.FR = "Renamedland"
	boom := errors.New("boom")
	err = f.st.Update(func(tx *store.Tx) error {
		if err := tx.PutMission(renamed); err != nil {
			return err
		}
		msg, _, err := f.e.compose(tx, outreach.OutboxItem{Key: invitationKey("FRA"), MessageID: "<x@y>"})
		if err != nil {
			return err
		}
		if !strings.Contains(msg.Text, "Renamedland") {
			t.Error("the changing transaction composed without its change")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if txt := preview(); strings.Contains(txt, "Renamedland") || !strings.Contains(txt, sur.Names.FR) {
		t.Fatal("a rolled-back rename shows in the invitation")
	}
	// Committed, it shows.
	if err := f.st.Update(func(tx *store.Tx) error { return tx.PutMission(renamed) }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(preview(), "Renamedland") {
		t.Fatal("a committed rename does not show in the invitation")
	}
}

// The session an answer is recorded against is read from the sessions
// decoded once per generation: it is always the one tx.Session reads, in
// the transaction that changes it (and not after a rollback), and in the
// ones after.
func TestDirectoryCacheSessionsFollowChanges(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	_, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	sur := ss[0].SuR
	check := func(tx *store.Tx, what string) {
		t.Helper()
		want, err := tx.Session(sur)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.e.session(tx, sur)
		if err != nil {
			t.Fatal(err)
		}
		if got.Sequence != want.Sequence || got.Room != want.Room || got.Status != want.Status || !got.Start.Equal(want.Start) {
			t.Errorf("%s: session %+v, tx.Session reads %+v", what, got, want)
		}
		if _, err := f.e.session(tx, "XXX"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: a session that does not exist: %v", what, err)
		}
	}
	view := func(what string) {
		t.Helper()
		if err := f.st.View(func(tx *store.Tx) error { check(tx, what); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	view("before")
	view("cached")
	moved := func(tx *store.Tx, room string) error {
		s, err := tx.Session(sur)
		if err != nil {
			return err
		}
		s.Room, s.Sequence = room, s.Sequence+1
		if err := tx.PutSession(s); err != nil {
			return err
		}
		check(tx, "in the changing transaction")
		return nil
	}
	boom := errors.New("boom")
	if err := f.st.Update(func(tx *store.Tx) error {
		if err := moved(tx, "Room rolled back"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	view("after a rollback")
	if err := f.st.Update(func(tx *store.Tx) error { return moved(tx, "Room XX") }); err != nil {
		t.Fatal(err)
	}
	view("after a commit")
	if err := f.st.View(func(tx *store.Tx) error {
		s, err := f.e.session(tx, sur)
		if err == nil && s.Room != "Room XX" {
			t.Errorf("after a commit, room %q", s.Room)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
