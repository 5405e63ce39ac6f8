package jobs

import (
	"bytes"
	"context"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/store"
)

func flush(t *testing.T, f *fixture, wait time.Duration) FlushReport {
	t.Helper()
	rep, err := f.e.Flush(context.Background(), wait)
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return rep
}

func TestInviteEveryMissionOnce(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	rep, err := f.e.Invite("", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Queued) != 195 || len(rep.Unreachable) != 0 {
		t.Fatalf("queued %d, unreachable %v", len(rep.Queued), rep.Unreachable)
	}
	again, err := f.e.Invite("", "test")
	if err != nil || len(again.Queued) != 0 || len(again.Already) != 195 {
		t.Fatalf("second invite queued %d (already %d), err %v", len(again.Queued), len(again.Already), err)
	}
	out := flush(t, f, 0)
	if out.Sent != 195 || out.Failed != 0 || out.Waiting != 0 {
		t.Fatalf("flush: %+v", out)
	}
	msgs := f.smtp.Messages()
	if len(msgs) != 195 {
		t.Fatalf("server received %d messages", len(msgs))
	}
	ms, _ := f.e.Missions()
	byAddr := map[string]outreach.Mission{}
	for _, m := range ms {
		byAddr[m.Contacts[0].Email] = m
	}
	seen := map[string]bool{}
	for _, msg := range msgs {
		m, ok := byAddr[msg.To[0]]
		if !ok {
			t.Fatalf("message to unknown %v", msg.To)
		}
		if seen[m.ID] {
			t.Errorf("%s received two invitations", m.ID)
		}
		seen[m.ID] = true
		var want []string
		for _, c := range m.Contacts {
			want = append(want, c.Email)
		}
		got := append([]string(nil), msg.To...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: envelope to %v, want every contact %v", m.ID, got, want)
		}
		it := f.item(invitationKey(m.ID))
		if it.MessageID != msg.MessageID || it.State != outreach.Sent {
			t.Errorf("%s: stored %s %v, server saw %s", m.ID, it.MessageID, it.State, msg.MessageID)
		}
		hdr, err := mail.ReadMessage(bytes.NewReader(msg.Data))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hdr.Header.Get("Reply-To"), "") || !strings.Contains(hdr.Header.Get("Reply-To"), "rsvp+") {
			t.Errorf("%s: Reply-To %q has no token", m.ID, hdr.Header.Get("Reply-To"))
		}
		if hdr.Header.Get("X-Auto-Response-Suppress") != "OOF, AutoReply" {
			t.Errorf("%s: X-Auto-Response-Suppress %q", m.ID, hdr.Header.Get("X-Auto-Response-Suppress"))
		}
		if n := bytes.Count(msg.Data, []byte("BEGIN:VCALENDAR")); n != 0 {
			// Attachments are base64: count attachment parts instead.
			t.Errorf("%s: calendar sent unencoded", m.ID)
		}
		if n := strings.Count(string(msg.Data), "method=REQUEST"); n < 14 {
			t.Errorf("%s: %d calendar parts, want 14", m.ID, n)
		}
	}
	st, err := f.e.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Delivery["sent"] != 195 || st.Sessions[0].Invited != 195 {
		t.Errorf("status delivery %v, invited %d", st.Delivery, st.Sessions[0].Invited)
	}
}

func TestTemporaryFailureRetriedLater(t *testing.T) {
	var refused atomic.Int32
	f := newFixture(t, smtptest.Hooks{Rcpt: func(to string) error {
		if to == "geneva@jpn.mission.example" && refused.Add(1) == 1 {
			return smtptest.Reply(451, [3]int{4, 3, 0}, "greylisted, try again later")
		}
		return nil
	}})
	if _, err := f.e.Invite("JPN", "test"); err != nil {
		t.Fatal(err)
	}
	rep := flush(t, f, 0)
	if rep.Deferred != 1 || rep.Sent != 0 {
		t.Fatalf("first flush: %+v", rep)
	}
	it := f.item(invitationKey("JPN"))
	if it.State != outreach.Deferred || it.Code != 451 || !strings.Contains(it.Error, "greylisted") || !it.Next.After(f.clock.Now()) {
		t.Fatalf("after 451: %+v", it)
	}
	first := it.MessageID
	// Not due yet: a flush that does not wait sends nothing.
	if rep := flush(t, f, 0); rep.Sent != 0 {
		t.Fatalf("sent before its time: %+v", rep)
	}
	// A flush that waits long enough sends it, with the same Message-ID.
	if rep := flush(t, f, 10*time.Minute); rep.Sent != 1 {
		t.Fatalf("retry: %+v", rep)
	}
	it = f.item(invitationKey("JPN"))
	if it.State != outreach.Sent || it.MessageID != first || it.Attempts != 2 {
		t.Fatalf("after retry: %+v", it)
	}
	msgs := f.smtp.Messages()
	if len(msgs) != 1 || msgs[0].MessageID != first {
		t.Fatalf("server got %d messages", len(msgs))
	}
}

func TestPermanentFailureShownWithServerWords(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{Data: func(m *smtptest.Message) error {
		if strings.Contains(strings.Join(m.To, ","), "jpn.mission.example") {
			return smtptest.Reply(554, [3]int{5, 7, 1}, "message rejected by policy")
		}
		return nil
	}})
	f.e.Invite("JPN", "test")
	f.e.Invite("FRA", "test")
	rep := flush(t, f, 0)
	if rep.Failed != 1 || rep.Sent != 1 {
		t.Fatalf("flush: %+v", rep)
	}
	it := f.item(invitationKey("JPN"))
	if it.State != outreach.Failed || it.Code != 554 || it.Enhanced != "5.7.1" || !strings.Contains(it.Error, "rejected by policy") {
		t.Fatalf("failed item: %+v", it)
	}
	st, _ := f.e.Status()
	var jpn Delivery
	for _, d := range st.Missions {
		if d.Mission == "JPN" {
			jpn = d
		}
	}
	if jpn.State != "failed" || !strings.Contains(jpn.Error, "rejected by policy") {
		t.Errorf("status for JPN: %+v", jpn)
	}
	// A failed message is not retried.
	if rep := flush(t, f, time.Hour); rep.Sent != 0 {
		t.Errorf("failed message re-sent: %+v", rep)
	}
}

func TestCutAfterDataResentWithSameMessageID(t *testing.T) {
	var cut atomic.Int32
	f := newFixture(t, smtptest.Hooks{Data: func(m *smtptest.Message) error {
		if cut.Add(1) == 1 {
			return smtptest.ErrCutAfterAccept
		}
		return nil
	}})
	f.e.Invite("JPN", "test")
	rep := flush(t, f, time.Hour)
	if rep.Sent != 1 {
		t.Fatalf("flush: %+v", rep)
	}
	msgs := f.smtp.Messages()
	if len(msgs) != 2 || msgs[0].MessageID != msgs[1].MessageID || msgs[0].MessageID == "" {
		t.Fatalf("want the accepted copy and the retry with one Message-ID, got %d messages", len(msgs))
	}
}

func TestRecipientRefusedGoesToOtherContacts(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{Rcpt: func(to string) error {
		if to == "humanrights@jpn.mission.example" {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "no such user")
		}
		return nil
	}})
	f.e.Invite("JPN", "test")
	rep := flush(t, f, 0)
	if rep.Sent != 1 {
		t.Fatalf("flush: %+v", rep)
	}
	msgs := f.smtp.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "geneva@jpn.mission.example" {
		t.Fatalf("delivered %+v", msgs)
	}
	m, _ := f.e.Mission("JPN")
	c, _ := m.Contact("humanrights@jpn.mission.example")
	if !c.Undeliverable || !strings.Contains(c.Bounce, "no such user") {
		t.Errorf("refused contact not marked: %+v", c)
	}
}

func TestThrottleHoldsAcrossRestart(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.opts.Limits = Limits{PerMinute: 5, PerDay: 12}
	f.e = New(f.opts)
	f.e.Invite("", "test")
	if rep := flush(t, f, 0); rep.Sent != 5 {
		t.Fatalf("first minute sent %d, want 5", rep.Sent)
	}
	f.restart()
	f.opts.Limits = Limits{PerMinute: 5, PerDay: 12}
	f.e = New(f.opts)
	if rep := flush(t, f, 0); rep.Sent != 0 {
		t.Fatalf("restarted process sent %d in the same minute", rep.Sent)
	}
	f.clock.Advance(time.Minute)
	if rep := flush(t, f, 0); rep.Sent != 5 {
		t.Fatalf("second minute sent %d", rep.Sent)
	}
	// The day's budget: 12, so two more, then nothing until tomorrow.
	if rep := flush(t, f, 10*time.Minute); rep.Sent != 2 {
		t.Fatalf("rest of the day sent %d, want 2", rep.Sent)
	}
	if rep := flush(t, f, 26*time.Hour); rep.Sent < 5 {
		t.Fatalf("next day sent %d", rep.Sent)
	}
	if got := f.smtp.Count(); got < 17 {
		t.Fatalf("server count %d", got)
	}
	// Each flush used one connection: no transmission was begun and
	// then abandoned because the budget ran out under it.
	if got := f.smtp.Connections(); got != 5 {
		t.Errorf("%d SMTP sessions for 5 flushes", got)
	}
}

// A change made between composing a batch and claiming it is seen by the
// claim: the messages it touches are composed again, none goes out stale.
func TestChangeBeforeClaimComposesAgain(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	if _, err := f.e.Invite("", "test"); err != nil {
		t.Fatal(err)
	}
	var changed, added, touched string
	claims, batched := 0, 0
	f.e.outbox.BeforeClaim = func(items []outreach.OutboxItem) {
		claims++
		batched = max(batched, len(items))
		switch claims {
		case 2:
			// The directory changes: every message of the batch was
			// composed before it.
			changed = items[len(items)/2].Key.Mission
			err := f.st.Update(func(tx *store.Tx) error {
				m, err := tx.Mission(changed)
				if err != nil {
					return err
				}
				added = "new.desk@" + m.Domains[0]
				m.Contacts = append(m.Contacts, outreach.Contact{Email: added})
				return tx.PutMission(m)
			})
			if err != nil {
				t.Error(err)
			}
		case 4:
			// One item itself changes (as `outreach outbox retry` would
			// change it).
			it := items[1]
			touched = it.Key.Mission
			err := f.st.Update(func(tx *store.Tx) error {
				it.Error = "touched before its claim"
				return tx.SaveOutbox(it)
			})
			if err != nil {
				t.Error(err)
			}
		}
	}
	rep := flush(t, f, 0)
	if touched == "" {
		t.Fatalf("%d claims of messages composed ahead, want at least four", claims)
	}
	if batched < 2 {
		t.Errorf("largest batch claimed %d, want several with an unlimited budget", batched)
	}
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != len(items) || rep.Failed+rep.Deferred+rep.Waiting != 0 {
		t.Fatalf("flush: %+v for %d invitations", rep, len(items))
	}
	ids := map[string]outreach.OutboxItem{}
	for _, it := range items {
		ids[it.MessageID] = it
		if it.State != outreach.Sent || it.Attempts != 1 {
			t.Errorf("%s: %v after %d attempts", it.Key, it.State, it.Attempts)
		}
	}
	got := f.smtp.Messages()
	if len(got) != len(items) {
		t.Fatalf("server recorded %d messages for %d invitations", len(got), len(items))
	}
	for _, m := range got {
		it, ok := ids[m.MessageID]
		if !ok {
			t.Fatalf("server recorded %s twice or unknown", m.MessageID)
		}
		delete(ids, m.MessageID)
		if it.Key.Mission == changed && !slices.Contains(m.To, added) {
			t.Errorf("%s went to %v, not to the address added before its claim", changed, m.To)
		}
	}
	if n := f.smtp.Connections(); n != 1 {
		t.Errorf("%d SMTP sessions, want 1", n)
	}
}

func TestCrashInSendingResentWithSameMessageID(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.e.Invite("JPN", "test")
	// A process died after claiming the message: it is left in sending.
	var id string
	f.st.Update(func(tx *store.Tx) error {
		it, _ := tx.OutboxByKey(invitationKey("JPN"))
		it.State = outreach.Sending
		it.Attempts = 1
		id = it.MessageID
		return tx.SaveOutbox(it)
	})
	f.restart()
	if rep := flush(t, f, 0); rep.Sent != 1 {
		t.Fatalf("flush after crash: %+v", rep)
	}
	msgs := f.smtp.Messages()
	if len(msgs) != 1 || msgs[0].MessageID != id {
		t.Fatalf("re-sent %d messages, Message-ID %v, want %s", len(msgs), msgs, id)
	}
}

func TestUnreachableMissionReported(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.st.Update(func(tx *store.Tx) error {
		m, _ := tx.Mission("TUV")
		m.Contacts = nil
		return tx.PutMission(m)
	})
	rep, err := f.e.Invite("", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Queued) != 194 || len(rep.Unreachable) != 1 || rep.Unreachable[0] != "TUV" {
		t.Fatalf("invite: queued %d, unreachable %v", len(rep.Queued), rep.Unreachable)
	}
	st, _ := f.e.Status()
	if len(st.Coverage.Unreachable) != 1 || st.Coverage.Unreachable[0] != "TUV" || st.Delivery["not-invited"] != 1 {
		t.Errorf("status: coverage %+v delivery %v", st.Coverage, st.Delivery)
	}
}

// When the send journal cannot take a delivery (full, or its flush fails),
// the delivery is recorded in the store before the next message's end of
// data instead: everything goes out once and is recorded sent. Over one
// connection the journal is written and flushed while the next message
// travels; over several it is flushed after (JournalWrite, JournalDurable).
func TestJournalFaultRecordsDeliveriesInTheStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  store.Options
		conns int
	}{
		{"full", store.Options{JournalSize: 32 + 36}, 1}, // room for one entry
		{"flush fails", store.Options{JournalFault: func() error { return syscall.EIO }}, 1},
		{"full, 3 connections", store.Options{JournalSize: 32 + 3*36}, 3},
		{"flush fails, 3 connections", store.Options{JournalFault: func() error { return syscall.EIO }}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, smtptest.Hooks{})
			f.storeOpts = tc.opts
			f.restart()
			f.opts.Connections = tc.conns
			f.e = New(f.opts)
			if _, err := f.e.Invite("", "test"); err != nil {
				t.Fatal(err)
			}
			rep := flush(t, f, 0)
			items, err := f.e.Outbox()
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 195 || rep.Sent != len(items) || rep.Failed+rep.Deferred+rep.Waiting != 0 {
				t.Fatalf("flush: %+v for %d invitations", rep, len(items))
			}
			for _, it := range items {
				if it.State != outreach.Sent || it.Attempts != 1 {
					t.Errorf("%s: %v after %d attempts", it.Key, it.State, it.Attempts)
				}
			}
			seen := map[string]bool{}
			for _, m := range f.smtp.Messages() {
				if seen[m.MessageID] {
					t.Errorf("%s received twice", m.MessageID)
				}
				seen[m.MessageID] = true
			}
			if len(seen) != len(items) {
				t.Errorf("server received %d messages for %d invitations", len(seen), len(items))
			}
		})
	}
}

// TestNextBatchClaimedWhileTheLastGoes: while the server has yet to answer
// the end of data of a batch's last message, the next batch is already
// claimed (in sending, not yet transmitted): claiming it does not leave the
// connection idle between batches. Every message checks, before the
// server answers it, that unless nothing is left to claim, some other
// message is claimed and waiting to go.
func TestNextBatchClaimedWhileTheLastGoes(t *testing.T) {
	var f *fixture
	bare := func(id string) string { return strings.Trim(strings.TrimSpace(id), "<>") }
	transmitted := map[string]bool{}
	var idle []string
	f = newFixture(t, smtptest.Hooks{Data: func(m *smtptest.Message) error {
		transmitted[bare(m.MessageID)] = true
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
			var waiting, ready int
			err := f.st.View(func(tx *store.Tx) error {
				items, err := tx.SendingItems()
				for _, it := range items {
					if !transmitted[bare(it.MessageID)] {
						ready++
					}
				}
				waiting = tx.Waiting()
				return err
			})
			if err != nil {
				return err
			}
			if waiting == 0 || ready > 0 {
				return nil
			}
			if time.Now().After(deadline) {
				idle = append(idle, m.MessageID)
				return nil
			}
		}
	}})
	if _, err := f.e.Invite("", "test"); err != nil {
		t.Fatal(err)
	}
	if out := flush(t, f, 0); out.Sent != 195 || out.Failed+out.Deferred+out.Waiting != 0 {
		t.Fatalf("flush: %+v", out)
	}
	if len(f.smtp.Messages()) != 195 {
		t.Fatalf("server received %d messages", len(f.smtp.Messages()))
	}
	if len(idle) > 0 {
		t.Fatalf("%d messages went with nothing else claimed while more waited: %v", len(idle), idle)
	}
}
