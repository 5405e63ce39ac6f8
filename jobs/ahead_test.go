package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/mailer/inbox"
	"outreach/store"
)

// aheadLetters are two letters from an address no mission lists yet, the
// second a reply to a Message-ID the outbox does not hold yet.
func aheadLetters(from, inReplyTo string) [][]byte {
	first := letter{from: from, name: "Delegate", subject: "UPR Pre-sessions", messageID: "<ahead.1@newmission.example>",
		date: roundStart.Add(time.Hour), body: "Dear colleagues,\n\nOur delegation will attend all the pre-sessions.\n\nKind regards"}
	second := first
	second.from, second.messageID, second.inReplyTo = "someone@elsewhere.example", "<ahead.2@elsewhere.example>", inReplyTo
	return [][]byte{first.raw(), second.raw()}
}

func aheadGroup(raws [][]byte) []inbox.Message {
	msgs := make([]inbox.Message, len(raws))
	for i, raw := range raws {
		msgs[i] = inbox.Message{UID: uint32(i + 1), UIDValidity: 1, Size: int64(len(raw)), Raw: raw}
	}
	return msgs
}

// checkRecordedAsNow checks that each of raws was recorded as Classify
// reads it against the store as it is now, and that this is not what was
// read ahead: mission names the mission each should now be matched to.
func checkRecordedAsNow(t *testing.T, f *fixture, raws [][]byte, ahead []classified, mission string) {
	t.Helper()
	for i, raw := range raws {
		want, err := f.e.Classify(raw)
		if err != nil {
			t.Fatal(err)
		}
		if want.Mission != mission || ahead[i].res.Mission == mission {
			t.Fatalf("message %d: read ahead as mission %q, now as %q; the test wants %q only now", i, ahead[i].res.Mission, want.Mission, mission)
		}
		var p store.Processed
		if err := f.st.View(func(tx *store.Tx) error {
			var seen bool
			var err error
			p, seen, err = tx.Processed(messageKey(want.MessageID, raw))
			if err == nil && !seen {
				t.Fatalf("message %d not recorded", i)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if p.Kind != want.Kind.String() || p.Mission != want.Mission {
			t.Errorf("message %d recorded as %s of %q, want %s of %q (as read in the transaction)", i, p.Kind, p.Mission, want.Kind, want.Mission)
		}
	}
}

// A group classified ahead, then the directory changes (a contact added to
// a mission) before the transaction that records it: the transaction reads
// the messages again, and records what it would have read itself.
func TestIntakeClassifiedAheadOfADirectoryChangeIsReadAgain(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	const from = "delegate@newmission.example"
	raws := aheadLetters(from, "")[:1]
	ahead := f.e.classifyAhead(raws)
	m.Contacts = append(m.Contacts, outreach.Contact{Email: from})
	if _, err := f.e.ImportMissions([]outreach.Mission{m}, "test"); err != nil {
		t.Fatal(err)
	}
	in := f.e.Intake("INBOX", intakeFolders)
	if _, err := in.record(aheadGroup(raws), ahead); err != nil {
		t.Fatal(err)
	}
	checkRecordedAsNow(t, f, raws, ahead, m.ID)
}

// A group classified ahead, then a message of ours enters the outbox (which
// leaves the directory as it was) before the transaction: a letter that
// replies to it, read ahead as unrelated, is read again.
func TestIntakeClassifiedAheadOfAnOutboxChangeIsReadAgain(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	m := ms[1]
	const ours = "<later.1@presessions.example>"
	raws := aheadLetters("delegate@newmission.example", ours)[1:]
	ahead := f.e.classifyAhead(raws)
	if err := f.st.Update(func(tx *store.Tx) error {
		_, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Confirmation, Mission: m.ID, Revision: "0"},
			MessageID: ours, To: []string{m.Contacts[0].Email}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	in := f.e.Intake("INBOX", intakeFolders)
	if _, err := in.record(aheadGroup(raws), ahead); err != nil {
		t.Fatal(err)
	}
	checkRecordedAsNow(t, f, raws, ahead, m.ID)
}

// Groups prepared (PrepareGroup) while the directory then changes: the
// messages HandleGroup takes, whether alone or several, are read again,
// and what was prepared is let go.
func TestIntakePreparedAheadOfADirectoryChangeIsReadAgain(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	m := ms[2]
	const from = "delegate@newmission.example"
	var raws [][]byte
	for i := range 3 {
		raws = append(raws, letter{from: from, name: "Delegate", subject: "UPR Pre-sessions",
			messageID: fmt.Sprintf("<prepared.%d@newmission.example>", i), date: roundStart.Add(time.Hour),
			body: "Dear colleagues,\n\nOur delegation will attend all the pre-sessions.\n\nKind regards"}.raw())
	}
	msgs := aheadGroup(raws)
	in := f.e.Intake("INBOX", intakeFolders)
	in.PrepareGroup(context.Background(), msgs)
	if n := preparedLeft(in); n != len(msgs) { // waits for PrepareGroup's reading
		t.Fatalf("%d messages prepared, want %d", n, len(msgs))
	}
	ahead := in.e.classifyAhead(raws) // as PrepareGroup read them
	m.Contacts = append(m.Contacts, outreach.Contact{Email: from})
	if _, err := f.e.ImportMissions([]outreach.Mission{m}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Handle(context.Background(), msgs[0]); err != nil {
		t.Fatal(err)
	}
	if folders, err := in.HandleGroup(context.Background(), msgs[1:]); err != nil || len(folders) != 2 {
		t.Fatalf("group: %v, %v", folders, err)
	}
	checkRecordedAsNow(t, f, raws, ahead, m.ID)
	if n := preparedLeft(in); n != 0 {
		t.Errorf("%d prepared messages kept after they were recorded", n)
	}
}

// What was prepared and never handed over (the Watcher went past it) is let
// go once a later message is; so is what was prepared under another
// UIDVALIDITY.
func TestIntakePreparedMessagesPassedByAreLetGo(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	raws := aheadLetters("delegate@newmission.example", "")
	raws = append(raws, aheadLetters("other@newmission.example", "")[1])
	msgs := aheadGroup(raws)
	in := f.e.Intake("INBOX", intakeFolders)
	in.PrepareGroup(context.Background(), msgs[:2])
	other := msgs[2]
	other.UID, other.UIDValidity = 9, 2
	in.PrepareGroup(context.Background(), []inbox.Message{other})
	if _, err := in.Handle(context.Background(), msgs[1]); err != nil {
		t.Fatal(err)
	}
	if n := preparedLeft(in); n != 0 {
		t.Errorf("%d prepared messages kept after they were passed by", n)
	}
}

// preparedLeft counts the messages in's prepared groups hold.
func preparedLeft(in *Intake) int {
	in.mu.Lock()
	groups := in.prepared
	in.mu.Unlock()
	n := 0
	for _, g := range groups {
		if g != nil {
			<-g.done
			in.mu.Lock()
			n += len(g.msgs)
			in.mu.Unlock()
		}
	}
	return n
}
