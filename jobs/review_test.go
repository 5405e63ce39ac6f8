package jobs

import (
	"errors"
	"strings"
	"testing"

	"outreach"
	"outreach/internal/smtptest"
)

// reviewByMessage finds the review item made from the message msgID.
func (f *fixture) reviewByMessage(msgID string) outreach.ReviewItem {
	f.t.Helper()
	items, err := f.e.Reviews("")
	if err != nil {
		f.t.Fatal(err)
	}
	for _, it := range items {
		if it.MessageID == msgID {
			return it
		}
	}
	f.t.Fatalf("no review item for %s", msgID)
	return outreach.ReviewItem{}
}

// Nothing a review item suggests is recorded until a person decides; the
// decision is then recorded as staff's, pointing at the reviewed message,
// and confirmed to the mission like any acceptance.
func TestResolveReviewAppliesTheStaffDecision(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	srv := startMemIMAP(t)
	sc := f.scene()
	srv.deliver(t, sc.counter, sc.stranger)
	f.syncInbox(srv.addr)
	counterID := "<SL2P216MB0123@SL2P216MB0123.KORP216.PROD.OUTLOOK.COM>"
	counter := f.reviewByMessage(counterID)
	stranger := f.reviewByMessage("<stranger.1@ngo-watch.example>")

	// Before anyone decides: nothing recorded, nothing queued.
	unchanged := func(when string) {
		t.Helper()
		if h := f.allHistory(); len(h) != 0 {
			t.Errorf("%s: answers recorded %+v", when, h)
		}
		if p := f.pendingOutbox(); len(p) != 0 {
			t.Errorf("%s: %d messages queued", when, len(p))
		}
	}
	unchanged("before review")
	if st := f.status(); st.Review != 2 || tallyOf(st, "JPN").Accepted != 0 {
		t.Errorf("status before review: %d open, JPN accepted %d", st.Review, tallyOf(st, "JPN").Accepted)
	}

	// Decisions that cannot be applied change nothing.
	if _, err := f.e.ResolveReview(stranger.ID, Decision{Answers: map[string]outreach.Status{"JPN": outreach.Accepted}, Actor: "anna"}); !errors.Is(err, ErrInput) {
		t.Errorf("resolving an unknown sender's letter without a mission: %v", err)
	}
	if _, err := f.e.ResolveReview(counter.ID, Decision{Dismiss: true, Answers: map[string]outreach.Status{"JPN": outreach.Accepted}, Actor: "anna"}); !errors.Is(err, ErrInput) {
		t.Errorf("dismissing and answering at once: %v", err)
	}
	if _, err := f.e.ResolveReview(counter.ID, Decision{Answers: map[string]outreach.Status{"XYZ": outreach.Accepted}, Actor: "anna"}); !errors.Is(err, ErrInput) {
		t.Errorf("answering a session that does not exist: %v", err)
	}
	unchanged("after refused decisions")
	if n := len(f.openReviews()); n != 2 {
		t.Errorf("%d open review items after refused decisions, want 2", n)
	}

	// Korea keeps the time after a call: staff record its acceptance.
	item, err := f.e.ResolveReview(counter.ID, Decision{Answers: map[string]outreach.Status{"jpn": outreach.Accepted},
		Note: "keeps the original time after a call", Actor: "anna", Delegate: 2})
	if err != nil {
		t.Fatal(err)
	}
	if item.State != outreach.ReviewResolved || item.ResolvedBy != "anna" || !strings.Contains(item.Resolution, "KOR: JPN accepted") {
		t.Errorf("resolved item: %+v", item)
	}
	r := f.rsvp("KOR", "JPN")
	if r.Status != outreach.Accepted || r.Source.Kind != outreach.FromStaff || r.Source.MessageID != counterID ||
		r.Source.Actor != "anna" || r.Delegates != 2 {
		t.Errorf("KOR/JPN after review: %+v", r)
	}
	if _, err := f.e.ResolveReview(counter.ID, Decision{Dismiss: true, Actor: "ben"}); !errors.Is(err, ErrInput) {
		t.Errorf("resolving twice: %v", err)
	}

	// The stranger's letter is dismissed: nothing recorded for anyone.
	if _, err := f.e.ResolveReview(stranger.ID, Decision{Dismiss: true, Actor: "anna", Note: "an NGO, not a mission"}); err != nil {
		t.Fatal(err)
	}
	if h := f.allHistory(); len(h) != 1 {
		t.Errorf("history after review: %+v, want Korea's answer only", h)
	}
	st := f.status()
	if st.Review != 0 || tallyOf(st, "JPN").Accepted != 1 {
		t.Errorf("status after review: %d open, JPN accepted %d", st.Review, tallyOf(st, "JPN").Accepted)
	}

	// The same COUNTER delivered again is not a new item.
	srv.deliver(t, sc.counter)
	f.syncInbox(srv.addr)
	if n := len(f.openReviews()); n != 0 {
		t.Errorf("a copy of a reviewed message opened %d new items", n)
	}

	// Korea is sent the calendar request for the session it accepted.
	sent := f.flushAll()
	kor, _ := f.e.Mission("KOR")
	if len(sent) != 1 || len(sentTo(sent, kor)) != 1 {
		t.Fatalf("%d messages sent after review, want 1 confirmation to Korea", len(sent))
	}
	_, part, ev := calendarPart(t, sent[0].Data)
	if part.params["method"] != "REQUEST" || ev.UID != f.e.UID("KOR", "JPN") || ev.PartStat != "ACCEPTED" {
		t.Errorf("confirmation to Korea: method %s UID %s PARTSTAT %s", part.params["method"], ev.UID, ev.PartStat)
	}
}
