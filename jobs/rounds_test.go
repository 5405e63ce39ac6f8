package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/config"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/store"
)

// roundRecords is everything a round holds that another round must never
// change: its answers with their history, and its outbox, as stored.
func roundRecords(t *testing.T, f *fixture, n int) []byte {
	t.Helper()
	var out []byte
	err := f.st.View(func(tx *store.Tx) error {
		rt, err := tx.InRound(n)
		if err != nil {
			return err
		}
		rs, err := rt.RSVPs()
		if err != nil {
			return err
		}
		ms, err := tx.Missions()
		if err != nil {
			return err
		}
		var hist []outreach.RSVP
		for _, m := range ms {
			h, err := rt.History(m.ID, "")
			if err != nil {
				return err
			}
			hist = append(hist, h...)
		}
		ob, err := rt.Outbox(nil)
		if err != nil {
			return err
		}
		out, err = json.Marshal([]any{rs, hist, ob})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTwoRoundsInOneStore plays the start of round 28 — invitations, one
// address refused by the server, answers, the nudge — then records round
// 29 in the same store, makes it current and plays its start. Round 29's
// invitations leave out the address that bounced in round 28; its nudge
// goes to the missions that have not answered round 29, whatever they
// answered in 28; nothing of round 28 changes; each round's calendar UIDs
// and Message-IDs are its own; and the figures are the counts made here
// from each round's records.
func TestTwoRoundsInOneStore(t *testing.T) {
	const dead = "humanrights@jpn.mission.example"
	f := newFixture(t, smtptest.Hooks{Rcpt: func(to string) error {
		if to == dead {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "no such user")
		}
		return nil
	}})
	remNoSync(t, f)
	sched := remSchedule(t, config.DefaultRules())
	f.e.SetSchedule(sched)
	uid28 := playRound28sStart(t, f)
	before28 := roundRecords(t, f, 28)

	ss29 := useRound29(t, f, sched)
	checkRound29InvitationsLeaveOutTheBounced(t, f, ss29, dead)
	checkRound29NudgeFollowsItsOwnAnswers(t, f)
	if uid := f.e.UID("BRA", "FRA"); uid == uid28 || !bytes.Contains([]byte(uid), []byte("pre29-")) {
		t.Errorf("round 29's UID %q, round 28's %q: want one of round 29's own", uid, uid28)
	}
	if after := roundRecords(t, f, 28); !bytes.Equal(before28, after) {
		t.Errorf("round 29's invitations, answers and reminders changed round 28's records")
	}
	checkMessageIDsNotSharedByRounds(t, f)

	// The figures, against counts made here.
	fig, err := f.e.Figures()
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Rounds) != 2 || fig.Rounds[0].Round != 28 || fig.Rounds[1].Round != 29 {
		t.Fatalf("figures of rounds %+v, want 28 and 29", fig.Rounds)
	}
	checkRoundFiguresAgainstCounts(t, f, fig.Rounds)
	checkFiguresAcrossTwoRounds(t, fig)
}

// playRound28sStart plays the start of round 28 — invitations, answers
// from FRA, BRA and JPN, the nudge — checks the nudge went to the
// missions without an answer, and returns BRA's calendar UID for JPN's
// session.
func playRound28sStart(t *testing.T, f *fixture) string {
	t.Helper()
	remInvite(t, f)
	remSet(t, f, "FRA", "ARG", outreach.Accepted)
	remSet(t, f, "FRA", "JPN", outreach.Declined)
	remSet(t, f, "BRA", "JPN", outreach.Accepted)
	remSet(t, f, "JPN", "JPN", outreach.Accepted)
	// The nudge, 14 days before the round: to missions with no answer.
	f.clock.Set(local(time.September, 26, 10, 0))
	remSweep(t, f)
	flush(t, f, 0)
	uid28 := f.e.UID("BRA", "JPN")
	nudged28 := nudged(t, f)
	if slices.Contains(nudged28, "FRA") || slices.Contains(nudged28, "BRA") || !slices.Contains(nudged28, "DEU") {
		t.Fatalf("round 28's nudge went to %v; want every mission without an answer, not FRA or BRA", nudged28)
	}
	return uid28
}

// useRound29 records round 29 as `outreach round new 29 --use` does,
// reopens the fixture's store and engine on it with the schedule sched,
// checks they are bound to it, and returns round 29's sessions.
func useRound29(t *testing.T, f *fixture, sched Schedule) []outreach.Session {
	t.Helper()
	r29, ss29, err := directory.Round29()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.Update(func(tx *store.Tx) error {
		if err := tx.AddRound(r29); err != nil {
			return err
		}
		return tx.SetCurrentRound(29)
	}); err != nil {
		t.Fatal(err)
	}
	f.st.Close()
	f.event = r29.Apply(f.event)
	f.storeOpts.NoSync = true
	f.open()
	f.e.SetSchedule(sched)
	if f.st.Round() != 29 || f.e.Event().UPRSession != 29 {
		t.Fatalf("after round use 29: store bound to %d, engine's event %d", f.st.Round(), f.e.Event().UPRSession)
	}
	return ss29
}

// checkRound29InvitationsLeaveOutTheBounced imports round 29's sessions
// ss29 into the empty round, sends its invitations and checks none went
// to dead, the address that bounced in round 28, JPN being invited at its
// address that works; and that round 29 holds none of round 28's answers.
func checkRound29InvitationsLeaveOutTheBounced(t *testing.T, f *fixture, ss29 []outreach.Session, dead string) {
	t.Helper()
	f.clock.Set(time.Date(2017, 10, 30, 8, 0, 0, 0, time.UTC))
	if ss, err := f.e.Sessions(); err != nil || len(ss) != 0 {
		t.Fatalf("round 29 starts with %d sessions (%v), want none", len(ss), err)
	}
	if _, err := f.e.ImportSessions(ss29, "test"); err != nil {
		t.Fatal(err)
	}
	sentBefore := f.smtp.Count()
	remInvite(t, f)
	var jpn []smtptest.Message
	for _, m := range f.smtp.Messages()[sentBefore:] {
		if slices.Contains(m.To, dead) {
			t.Errorf("round 29 wrote to %s, which bounced in round 28: %v", dead, m.To)
		}
		if slices.Contains(m.To, "geneva@jpn.mission.example") {
			jpn = append(jpn, m)
		}
	}
	if len(jpn) != 1 || len(jpn[0].To) != 1 {
		t.Errorf("round 29 invited JPN with %d messages %v; want one, to its address that works", len(jpn), jpn)
	}
	inv := f.item(invitationKey("JPN"))
	if !slices.Equal(inv.To, []string{"geneva@jpn.mission.example"}) {
		t.Errorf("round 29's invitation of JPN is to %v", inv.To)
	}
	if f.rsvp("FRA", "ARG").Status != outreach.None {
		t.Errorf("round 29 holds round 28's answer of FRA")
	}
}

// checkRound29NudgeFollowsItsOwnAnswers records round 29's answers of FRA
// and DEU, plays its nudge and checks it went to the missions without an
// answer in round 29, whatever they answered in 28.
func checkRound29NudgeFollowsItsOwnAnswers(t *testing.T, f *fixture) {
	t.Helper()
	remSet(t, f, "FRA", "FRA", outreach.Accepted)
	remSet(t, f, "DEU", "FRA", outreach.Declined)
	remSet(t, f, "FRA", "TON", outreach.Accepted)
	f.clock.Set(local(time.November, 21, 10, 0))
	remSweep(t, f)
	flush(t, f, 0)
	nudged29 := nudged(t, f)
	if slices.Contains(nudged29, "FRA") || slices.Contains(nudged29, "DEU") || !slices.Contains(nudged29, "BRA") {
		t.Errorf("round 29's nudge went to %d missions; want those without an answer in round 29: BRA yes, FRA and DEU no", len(nudged29))
	}
}

// checkMessageIDsNotSharedByRounds checks that no Message-ID of round
// 29's outbox is in round 28's.
func checkMessageIDsNotSharedByRounds(t *testing.T, f *fixture) {
	t.Helper()
	var ids28, ids29 []string
	if err := f.st.View(func(tx *store.Tx) error {
		for n, ids := range map[int]*[]string{28: &ids28, 29: &ids29} {
			rt, err := tx.InRound(n)
			if err != nil {
				return err
			}
			ob, err := rt.Outbox(nil)
			for _, it := range ob {
				*ids = append(*ids, it.MessageID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids29 {
		if slices.Contains(ids28, id) {
			t.Errorf("Message-ID %s used in both rounds", id)
		}
	}
}

// checkRoundFiguresAgainstCounts checks the figures of rounds 28 and 29,
// rounds, against the invitations and answers counted here from each
// round's records, and against what the test recorded.
func checkRoundFiguresAgainstCounts(t *testing.T, f *fixture, rounds []RoundFigures) {
	t.Helper()
	// Round 28: FRA, BRA and JPN attend, JPN its own; round 29: FRA
	// twice, its own too.
	want := []struct{ attending, attendances, surOwn int }{{3, 3, 1}, {1, 2, 1}}
	for i, rf := range rounds {
		invited, attendances, attending := countInvitedAndAttending(t, f, rf.Round)
		if rf.MissionsInvited != invited || invited != 195 || rf.MissionsAttending != len(attending) || rf.Attendances != attendances ||
			rf.PreSessions != 14 || rf.Speakers == 0 {
			t.Errorf("round %d figures: invited %d, attending %d, attendances %d, pre-sessions %d, speakers %d; counted %d (want 195), %d, %d, 14, >0",
				rf.Round, rf.MissionsInvited, rf.MissionsAttending, rf.Attendances, rf.PreSessions, rf.Speakers, invited, len(attending), attendances)
		}
		if rf.MissionsAttending != want[i].attending || rf.Attendances != want[i].attendances || rf.SuRAtOwn != want[i].surOwn {
			t.Errorf("round %d: attending %d, attendances %d, SuR at own %d; the test recorded %+v",
				rf.Round, rf.MissionsAttending, rf.Attendances, rf.SuRAtOwn, want[i])
		}
	}
}

// countInvitedAndAttending counts from round n's records the missions
// sent an invitation, the acceptances, and the missions that accepted.
func countInvitedAndAttending(t *testing.T, f *fixture, n int) (invited, attendances int, attending map[string]bool) {
	t.Helper()
	attending = map[string]bool{}
	if err := f.st.View(func(tx *store.Tx) error {
		rt, err := tx.InRound(n)
		if err != nil {
			return err
		}
		ob, err := rt.Outbox(func(it *outreach.OutboxItem) bool {
			return it.Key.Kind == outreach.Invitation && it.State == outreach.Sent
		})
		invited = len(ob)
		rs, err2 := rt.RSVPs()
		for _, r := range rs {
			if r.Status == outreach.Accepted {
				attendances++
				attending[r.Mission] = true
			}
		}
		return errors.Join(err, err2)
	}); err != nil {
		t.Fatal(err)
	}
	return invited, attendances, attending
}

// checkFiguresAcrossTwoRounds checks the figures across rounds 28 and 29
// and the records of FRA and BRA against what the test recorded.
func checkFiguresAcrossTwoRounds(t *testing.T, fig Figures) {
	t.Helper()
	if fig.All.MissionsAttending != 3 || fig.All.Attendances != 5 || fig.All.PreSessions != 28 {
		t.Errorf("across rounds: %+v; want 3 distinct missions attending (FRA, BRA, JPN), 5 attendances, 28 pre-sessions", fig.All)
	}
	if len(fig.NeverAttended) != 195-3 || slices.Contains(fig.NeverAttended, "FRA") {
		t.Errorf("%d missions never attended, want 192 (all but FRA, BRA, JPN)", len(fig.NeverAttended))
	}
	for _, m := range fig.Missions {
		if m.Mission == "FRA" && (m.RoundsAttended != 2 || m.Attended != 3) {
			t.Errorf("FRA's record: %+v; want 2 rounds, 3 pre-sessions", m)
		}
		if m.Mission == "BRA" && (m.RoundsAttended != 1 || m.Rounds[1].Attended != 0 || !m.Rounds[1].Invited) {
			t.Errorf("BRA's record: %+v; want round 28 only, invited to 29", m)
		}
	}
}

// nudged lists the missions the nudge of the store's round went to.
func nudged(t *testing.T, f *fixture) []string {
	t.Helper()
	var out []string
	err := f.st.View(func(tx *store.Tx) error {
		ob, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
			return it.Key.Kind == outreach.Reminder && it.Key.Revision == "nudge" && it.State == outreach.Sent
		})
		for _, it := range ob {
			out = append(out, it.Key.Mission)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestConfirmedAddressCarriesToNextRound: a letter from an address the
// directory does not know waits for review; staff confirm it writes for
// its mission (--add-contact), and the next round's invitation goes to it
// as well as to the mission's own address. Without the confirmation the
// address is not added; a dismissal cannot add it.
func TestConfirmedAddressCarriesToNextRound(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	remNoSync(t, f)
	var confirmed, unconfirmed uint64
	if err := f.st.Update(func(tx *store.Tx) error {
		var err error
		if confirmed, err = tx.AddReview(outreach.ReviewItem{MessageID: "<a@gmail.example>", From: "Attache.Kenya@gmail.example", Reason: "unknown sender"}); err != nil {
			return err
		}
		unconfirmed, err = tx.AddReview(outreach.ReviewItem{MessageID: "<b@gmail.example>", From: "someone@gmail.example", Reason: "unknown sender"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.ResolveReview(unconfirmed, Decision{Dismiss: true, AddContact: true, Actor: "test"}); err == nil {
		t.Errorf("a dismissed message added its sender as a contact")
	}
	if _, err := f.e.ResolveReview(unconfirmed, Decision{Mission: "GHA", Answers: map[string]outreach.Status{"ARG": outreach.Accepted}, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	it, err := f.e.ResolveReview(confirmed, Decision{Mission: "KEN", Answers: map[string]outreach.Status{"ARG": outreach.Accepted}, AddContact: true, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(it.Resolution, "attache.kenya@gmail.example added to KEN's contacts") {
		t.Errorf("resolution: %q", it.Resolution)
	}
	if m, _ := f.e.Mission("GHA"); slices.ContainsFunc(m.Contacts, func(c outreach.Contact) bool { return c.Email == "someone@gmail.example" }) {
		t.Errorf("GHA's contacts %v: an address staff did not confirm was added", m.Contacts)
	}

	r29, ss29, err := directory.Round29()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.Update(func(tx *store.Tx) error {
		if err := tx.AddRound(r29); err != nil {
			return err
		}
		return tx.SetCurrentRound(29)
	}); err != nil {
		t.Fatal(err)
	}
	f.st.Close()
	f.event = r29.Apply(f.event)
	f.storeOpts.NoSync = true
	f.open()
	f.clock.Set(time.Date(2017, 10, 30, 8, 0, 0, 0, time.UTC))
	if _, err := f.e.ImportSessions(ss29, "test"); err != nil {
		t.Fatal(err)
	}
	f.inviteAndFlush("KEN", "GHA")
	if inv := f.item(invitationKey("KEN")); !slices.Contains(inv.To, "attache.kenya@gmail.example") || len(inv.To) < 2 {
		t.Errorf("round 29's invitation of KEN is to %v; want its own address and the confirmed one", inv.To)
	}
	if inv := f.item(invitationKey("GHA")); slices.Contains(inv.To, "someone@gmail.example") {
		t.Errorf("round 29's invitation of GHA went to an address nobody confirmed: %v", inv.To)
	}
}
