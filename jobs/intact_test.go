package jobs

import (
	"net/mail"
	"strings"
	"testing"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/store"
)

// TestEveryInvitationArrivesWhole: the whole round's invitations, sent over
// four connections with the next ones rendered into the buffers of those
// gone before, each arrive as the mission's own message: its Message-ID
// the one stored for that mission, addressed to the recipients it was sent
// to, every part read whole (leafParts), and fourteen calendars each with
// that mission's UID for its session.
func TestEveryInvitationArrivesWhole(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	opts := f.opts
	opts.Connections = 4
	f.e = New(opts)
	rep, err := f.e.Invite("", "test")
	if err != nil {
		t.Fatal(err)
	}
	if got := flush(t, f, 0); got.Sent != len(rep.Queued) || got.Failed+got.Deferred != 0 {
		t.Fatalf("flush: %+v, %d queued", got, len(rep.Queued))
	}
	byID := map[string]outreach.OutboxItem{}
	f.st.View(func(tx *store.Tx) error {
		items, err := tx.Outbox(nil)
		for _, it := range items {
			byID[it.MessageID] = it
		}
		return err
	})
	var sessions []outreach.Session
	f.st.View(func(tx *store.Tx) error {
		var err error
		sessions, err = tx.Sessions()
		return err
	})
	msgs := f.smtp.Messages()
	if len(msgs) != len(rep.Queued) {
		t.Fatalf("%d messages received, %d invitations queued", len(msgs), len(rep.Queued))
	}
	for _, m := range msgs {
		it, ok := byID[m.MessageID]
		if !ok {
			t.Fatalf("received %s, which the outbox never queued", m.MessageID)
		}
		who := it.Key.Mission
		msg, parts := leafParts(t, m.Data)
		if got := msg.Header.Get("Message-Id"); got != it.MessageID {
			t.Errorf("%s: Message-ID header %s, envelope %s", who, got, it.MessageID)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil {
			t.Fatalf("%s: To: %v", who, err)
		}
		for _, rcpt := range m.To {
			if !strings.Contains(strings.ToLower(addrList(to)), strings.ToLower(rcpt)) {
				t.Errorf("%s: sent to %s, which its To (%s) does not name", who, rcpt, addrList(to))
			}
		}
		uids := map[string]bool{}
		for _, p := range parts {
			if p.contentType != "text/calendar" {
				continue
			}
			for _, line := range strings.Split(string(p.data), "\r\n") {
				if uid, ok := strings.CutPrefix(line, "UID:"); ok {
					uids[uid] = true
				}
			}
		}
		if len(uids) != len(sessions) {
			t.Fatalf("%s: %d calendars, want %d", who, len(uids), len(sessions))
		}
		for _, s := range sessions {
			if want := f.e.UID(who, s.SuR); !uids[want] {
				t.Errorf("%s: no calendar with its UID %s for %s", who, want, s.SuR)
			}
		}
	}
}

func addrList(as []*mail.Address) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Address + " ")
	}
	return b.String()
}
