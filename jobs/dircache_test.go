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
