package jobs

import (
	"strings"
	"testing"

	"outreach"
	"outreach/internal/smtptest"
)

// TestConfirmationSupersededByDecline: staff record FRA as attending the
// pre-session on Japan, then, before the outbox runs, as not attending.
// The "thank you for confirming" calendar request must not reach France;
// it is kept in the outbox as superseded, with the reason. When France
// accepts again, the same request (same Message-ID) goes out once.
func TestConfirmationSupersededByDecline(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	remSet(t, f, "FRA", "JPN", outreach.Accepted)
	remSet(t, f, "FRA", "JPN", outreach.Declined)
	remSet(t, f, "BEN", "JPN", outreach.Accepted) // still holds: goes out
	rep := flush(t, f, 0)
	if rep.Failed != 0 || rep.Sent != 1 {
		t.Fatalf("flush: %+v, want one message sent (BEN's)", rep)
	}
	key := outreach.OutboxKey{Kind: outreach.Confirmation, Mission: "FRA", Session: "JPN", Revision: "0"}
	it := f.item(key)
	if it.State != outreach.Superseded || it.Attempts != 0 || !strings.Contains(it.Error, "declined") {
		t.Fatalf("FRA's confirmation: %v %q (attempts %d), want superseded because FRA declined", it.State, it.Error, it.Attempts)
	}
	if got := remReceived(t, f, outreach.Confirmation); len(got) != 1 || got[0].item.Key.Mission != "BEN" {
		t.Fatalf("confirmations received: %d, want BEN's only", len(got))
	}

	// A change of mind back: the request is due again, sent once.
	remSet(t, f, "FRA", "JPN", outreach.Accepted)
	if rep := flush(t, f, 0); rep.Sent != 1 || rep.Failed != 0 {
		t.Fatalf("flush after accepting again: %+v", rep)
	}
	again := f.item(key)
	if again.State != outreach.Sent || again.MessageID != it.MessageID {
		t.Fatalf("FRA's confirmation after accepting again: %v %s, want sent with %s", again.State, again.MessageID, it.MessageID)
	}
	fra := 0
	for _, r := range remReceived(t, f, outreach.Confirmation) {
		if r.item.Key.Mission == "FRA" {
			fra++
		}
	}
	if fra != 1 {
		t.Fatalf("FRA received %d confirmations, want 1", fra)
	}
	if rep := flush(t, f, 0); rep.Sent != 0 {
		t.Fatalf("a second flush sent %d", rep.Sent)
	}
}

// TestConfirmationSupersededByCancellation: a session cancelled after an
// acceptance was recorded but before its confirmation went out sends the
// mission no request for it.
func TestConfirmationSupersededByCancellation(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	remSet(t, f, "PER", "GHA", outreach.Accepted)
	if _, err := f.e.CancelSession("GHA", "postponed", "test"); err != nil {
		t.Fatal(err)
	}
	flush(t, f, 0)
	it := f.item(outreach.OutboxKey{Kind: outreach.Confirmation, Mission: "PER", Session: "GHA", Revision: "0"})
	if it.State != outreach.Superseded {
		t.Fatalf("PER's confirmation for a cancelled session: %v %q", it.State, it.Error)
	}
	if got := remReceived(t, f, outreach.Confirmation); len(got) != 0 {
		t.Fatalf("%d confirmations received for a cancelled session", len(got))
	}
}
