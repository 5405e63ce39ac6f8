package jobs

import (
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
)

// TestStatusForTheMorning: what staff need on a day of the round: today's
// sessions and the next one, "no answer" only among the missions invited,
// review items named with their sender, reason and age, and each failed
// message with its mission.
func TestStatusForTheMorning(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{Rcpt: func(to string) error {
		if strings.HasSuffix(to, "@blr.mission.example") {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "User unknown")
		}
		return nil
	}})
	for _, m := range []string{"JPN", "FRA", "BLR"} {
		if _, err := f.e.Invite(m, "test"); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, f, 0)
	remSet(t, f, "FRA", "ARG", outreach.Accepted)
	srv := startMemIMAP(t)
	srv.deliver(t, letter{from: "someone@webmail.example", name: "Someone", subject: "Pre-sessions",
		messageID: "<q1@webmail.example>", date: roundStart, body: "Hello,\n\nThe Mission of Peru will attend the pre-session on Japan.\n\nRegards\n"}.raw())
	f.syncInbox(srv.addr)

	// Tuesday 10 October, 08:00 in Geneva: four sessions today.
	f.clock.Set(time.Date(2017, 10, 10, 6, 0, 0, 0, time.UTC))
	st := f.status()
	if st.Today != "2017-10-10" || len(st.TodaySessions) != 4 {
		t.Fatalf("today %s with %d sessions, want 2017-10-10 with 4", st.Today, len(st.TodaySessions))
	}
	first := st.Sessions[st.TodaySessions[0]]
	if first.SuR != "ARG" || first.Room == "" || first.Accepted != 1 {
		t.Errorf("today's first session: %+v", first)
	}
	if next := st.Sessions[st.Next]; next.Start.Format(time.DateOnly) != "2017-10-11" {
		t.Errorf("next session after today: %s on %s", next.SuR, next.Start)
	}
	arg := st.Sessions[st.TodaySessions[0]]
	// JPN and FRA invited (FRA answered), BLR refused, 192 never invited.
	if arg.Invited != 2 || arg.NoAnswer != 1 || arg.NotInvited != 193 || arg.Accepted+arg.NoAnswer+arg.NotInvited != 195 {
		t.Errorf("ARG: invited %d, no answer %d, not invited %d", arg.Invited, arg.NoAnswer, arg.NotInvited)
	}
	if len(st.Reviews) != 1 || st.Reviews[0].From != "someone@webmail.example" || st.Reviews[0].Reason == "" || st.Reviews[0].WaitingDays != 35 {
		t.Errorf("reviews: %+v, want one from someone@webmail.example waiting 35 days (4 Sep 07:00 to 10 Oct 06:00)", st.Reviews)
	}
	if len(st.Failed) != 1 || st.Failed[0].Mission != "BLR" || st.Failed[0].Name != "Belarus" || !strings.Contains(st.Failed[0].Error, "550") {
		t.Errorf("failed: %+v", st.Failed)
	}

	// Saturday 14 October: the round is over, nothing today or next.
	f.clock.Set(time.Date(2017, 10, 14, 6, 0, 0, 0, time.UTC))
	if st := f.status(); len(st.TodaySessions) != 0 || st.Next != -1 {
		t.Errorf("after the round: today %v, next %d", st.TodaySessions, st.Next)
	}
}

// TestDigestForTheMorning: the staff digest of a day of the round opens
// with that day's sessions and rooms, names each message waiting for
// review with its sender and age, and each failed message with its
// mission.
func TestDigestForTheMorning(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{Rcpt: func(to string) error {
		if strings.HasSuffix(to, "@blr.mission.example") {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "User unknown")
		}
		return nil
	}})
	f.e.SetSchedule(remSchedule(t, nil))
	for _, m := range []string{"JPN", "FRA", "BLR"} {
		if _, err := f.e.Invite(m, "test"); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, f, 0)
	remSet(t, f, "FRA", "ARG", outreach.Accepted)
	srv := startMemIMAP(t)
	srv.deliver(t, letter{from: "someone@webmail.example", name: "Someone", subject: "Pre-sessions",
		messageID: "<q1@webmail.example>", date: roundStart, body: "Hello,\n\nThe Mission of Peru will attend the pre-session on Japan.\n\nRegards\n"}.raw())
	f.syncInbox(srv.addr)

	f.clock.Set(local(10, 10, 8, 0))
	remSweep(t, f)
	flush(t, f, 0)
	digests := remReceived(t, f, outreach.Digest)
	if len(digests) == 0 {
		t.Fatal("no digest on the morning of 10 October")
	}
	text := digests[len(digests)-1].text
	for _, want := range []string{
		"TODAY: 4 pre-sessions",
		"  10:00-11:00  Argentina, Room XXIV: 1 attending, 0 tentative; the State under Review: none",
		"  - from someone@webmail.example, waiting 35 days: claims to be the mission of Peru",
		"  - BLR (Belarus) invitation: mailer: rcpt <geneva@blr.mission.example>: recipient refused: 550 5.1.1",
		"Tue 10 Oct 10:00    1 /   0 /   0 /   1  Room XXIV  SuR: none",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest of 10 October does not say %q:\n%s", want, text)
		}
	}
}
