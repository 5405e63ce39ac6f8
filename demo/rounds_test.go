package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"outreach"
	"outreach/jobs"
	"outreach/store"
)

// TestTwoRounds plays the 28th round and then the 29th in the same
// store, and checks what an organiser would: every answer of both rounds
// recorded as given; round 29 never writes to an address that bounced in
// round 28; the figures printed across rounds are the counts made here
// from each round's records; and round 28's figures are those the
// one-round demo prints.
func TestTwoRounds(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Once: true, Out: &out, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("two rounds played in %s:\n%s", res.Elapsed, out.String())
	checkBothRoundsPlayed(t, res, out.String())

	f := res.AllRounds
	if f == nil || len(f.Rounds) != 2 {
		t.Fatalf("figures across rounds: %+v", f)
	}
	checkRound28FiguresAreTheOneRoundDemos(t, f.Rounds[0], res.Previous[0].Figures)
	checkFiguresAgainstTheStore(t, dir, f)
}

// checkBothRoundsPlayed checks what the two rounds' results say of
// themselves: every answer recorded as given, rounds 28 then 29 with
// hundreds of answers each, a bounced address carried over and never
// written to, and the figures across rounds printed.
func checkBothRoundsPlayed(t *testing.T, res Result, out string) {
	t.Helper()
	if len(res.Mismatches) > 0 {
		t.Errorf("%d answers not recorded as given (or bounced addresses written to):\n%s", len(res.Mismatches), strings.Join(res.Mismatches, "\n"))
	}
	if res.Round != 29 || len(res.Previous) != 1 || res.Previous[0].Round != 28 {
		t.Fatalf("played rounds %d then %d; want 28 then 29", res.Previous[0].Round, res.Round)
	}
	if res.Answers < 500 || res.Previous[0].Answers < 500 {
		t.Errorf("answers given: %d in round 28, %d in round 29; want hundreds in each", res.Previous[0].Answers, res.Answers)
	}
	if res.Bounced == 0 {
		t.Errorf("no address had bounced when round 29 began: the carry-over is not exercised")
	}
	if len(res.WroteToBounced) != 0 {
		t.Errorf("round 29 wrote to addresses that bounced in round 28: %v", res.WroteToBounced)
	}
	if !strings.Contains(out, "Figures across rounds") {
		t.Errorf("the figures across rounds are not printed")
	}
}

// checkRound28FiguresAreTheOneRoundDemos: round 28 is the one-round
// demo's round, so its figures across rounds, r28, are the round's own, p.
func checkRound28FiguresAreTheOneRoundDemos(t *testing.T, r28 jobs.RoundFigures, p Figures) {
	t.Helper()
	if r28.MissionsAttending != p.Attending || r28.SuRAtOwn != p.SuROwn || r28.PreSessions != p.Sessions ||
		int(r28.PerSession*10+0.5) != int(p.PerSession*10+0.5) {
		t.Errorf("round 28 in the figures: attending %d, SuR at own %d, per session %.1f; the round's own: %d, %d, %.1f",
			r28.MissionsAttending, r28.SuRAtOwn, r28.PerSession, p.Attending, p.SuROwn, p.PerSession)
	}
}

// checkFiguresAgainstTheStore opens the store the demo left in dir and
// checks the figures f against counts made here from it, round by round
// and across rounds.
func checkFiguresAgainstTheStore(t *testing.T, dir string, f *jobs.Figures) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Round() != 29 {
		t.Errorf("the store's current round is %d, want 29", st.Round())
	}
	everAttending := map[string]bool{}
	err = st.View(func(tx *store.Tx) error {
		for i, rf := range f.Rounds {
			if err := checkRoundFiguresAgainstItsRecords(t, tx, i, rf, everAttending); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.All.MissionsAttending != len(everAttending) || len(f.NeverAttended) != 195-len(everAttending) {
		t.Errorf("across rounds: %d missions attending, %d never; counted %d and %d", f.All.MissionsAttending, len(f.NeverAttended),
			len(everAttending), 195-len(everAttending))
	}
}

// checkRoundFiguresAgainstItsRecords counts the pre-sessions, speakers,
// minutes, attendances and invitations of round rf.Round (the i-th of the
// figures) from its records and checks rf against them; the missions
// attending it are added to everAttending.
func checkRoundFiguresAgainstItsRecords(t *testing.T, tx *store.Tx, i int, rf jobs.RoundFigures, everAttending map[string]bool) error {
	t.Helper()
	rt, err := tx.InRound(rf.Round)
	if err != nil {
		return err
	}
	ss, err := rt.Sessions()
	if err != nil {
		return err
	}
	speakers, minutes := 0, 0
	for _, s := range ss {
		for _, sp := range s.Panel {
			speakers++
			minutes += sp.Minutes
		}
	}
	rs, err := rt.RSVPs()
	if err != nil {
		return err
	}
	attending, attendances := map[string]bool{}, 0
	for _, r := range rs {
		if r.Status == outreach.Accepted {
			attending[r.Mission] = true
			everAttending[r.Mission] = true
			attendances++
		}
	}
	invs, err := rt.Outbox(func(it *outreach.OutboxItem) bool {
		return it.Key.Kind == outreach.Invitation && it.State == outreach.Sent
	})
	if err != nil {
		return err
	}
	if rf.PreSessions != len(ss) || rf.Speakers != speakers || rf.SpeakerMinutes != minutes ||
		rf.MissionsAttending != len(attending) || rf.Attendances != attendances || rf.MissionsInvited != len(invs) {
		t.Errorf("round %d figures %+v; counted %d pre-sessions, %d speakers, %d minutes, %d missions attending, %d attendances, %d invited",
			rf.Round, rf, len(ss), speakers, minutes, len(attending), attendances, len(invs))
	}
	if i == 1 && len(invs) >= 195 {
		t.Errorf("round 29 invited %d missions; the mission whose only address bounced in round 28 cannot be", len(invs))
	}
	return nil
}
