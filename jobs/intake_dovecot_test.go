package jobs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
	"outreach/mailer/inbox"
)

// startOrganiserDovecot starts a private Dovecot holding the organiser
// mailbox; it skips the test, or fails it with OUTREACH_INTEGRATION=require,
// when Dovecot is not installed.
func startOrganiserDovecot(t *testing.T, opts testenv.DovecotOptions) *testenv.Dovecot {
	t.Helper()
	return testenv.StartDovecotWith(t, opts, testenv.User{Name: organiserLogin, Password: organiserPassword})
}

func dovecotIDs(t *testing.T, d *testenv.Dovecot, mailbox string) []string {
	t.Helper()
	var ids []string
	for _, m := range d.Messages(t, organiserLogin, mailbox) {
		ids = append(ids, serverMessage{Raw: m.Raw}.messageID())
	}
	slices.Sort(ids)
	return ids
}

// Against Dovecot, with the daemon's watcher idling: a calendar accept
// appended to the organiser mailbox is recorded, filed to processed (moved,
// or copied and flagged where MOVE is not offered) and checkpointed.
func TestDovecotIntakeRecordsMovesAndCheckpoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop []string
	}{
		{"move", nil},
		{"nomove", []string{"MOVE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startOrganiserDovecot(t, testenv.DovecotOptions{DropCaps: tc.drop})
			f := newFixture(t, smtptest.Hooks{})
			f.inviteAndFlush("AUT")
			in := f.e.Intake("INBOX", intakeFolders)
			w := intakeWatcher(t, d.Addr, in)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			waitFor(t, "the watcher to idle", func() bool { return w.Status().Idling })

			msgID := "<AM6PR0702MB3541.dovecot@AM6PR0702MB3541.eurprd07.prod.outlook.com>"
			uid := d.Append(t, organiserLogin, "INBOX", outlookAnswer{from: "geneva@aut.mission.example", name: "Permanent Mission of Austria",
				uid: f.e.UID("AUT", "JPN"), method: "REPLY", partStat: "ACCEPTED", dtstamp: f.clock.Now().Add(time.Hour),
				messageID: msgID}.raw())
			waitFor(t, "the answer to be recorded", func() bool { return f.rsvp("AUT", "JPN").Status == outreach.Accepted })
			if r := f.rsvp("AUT", "JPN"); r.Source.Kind != outreach.FromCalendar || r.Source.MessageID != msgID {
				t.Errorf("AUT/JPN: %+v", r)
			}
			if tl := tallyOf(f.status(), "JPN"); tl.Accepted != 1 {
				t.Errorf("status JPN: %+v", tl)
			}
			cp, err := in.Checkpoint(context.Background())
			if err != nil || cp.LastUID != uint32(uid) || cp.UIDValidity == 0 {
				t.Errorf("checkpoint %+v (%v), want UID %d", cp, err, uid)
			}
			if got := d.WaitMessages(t, organiserLogin, "processed", 1); len(got) != 1 || (serverMessage{Raw: got[0].Raw}).messageID() != msgID {
				t.Errorf("processed holds %d messages", len(got))
			}
			left := d.Messages(t, organiserLogin, "INBOX")
			if tc.drop == nil && len(left) != 0 {
				t.Errorf("INBOX holds %d messages after MOVE", len(left))
			}
			if tc.drop != nil {
				var flagged []serverMessage
				waitFor(t, "the original to be flagged", func() bool {
					c := d.Dial(t, organiserLogin)
					defer c.Logout()
					flagged = listMailbox(t, c, "INBOX")
					return len(flagged) == 1 && slices.Contains(flagged[0].Flags, imap.FlagSeen)
				})
				if fl := flagged[0].Flags; slices.Contains(fl, imap.FlagDeleted) ||
					!slices.ContainsFunc(fl, func(x imap.Flag) bool { return strings.EqualFold(string(x), inbox.FiledKeyword) }) {
					t.Errorf("original in INBOX flagged %v, want \\Seen and %s, never \\Deleted", fl, inbox.FiledKeyword)
				}
			}
		})
	}
}

// Against Dovecot: the process dies in the middle of a sync — before a
// message is recorded, or after recording it but before filing it — and
// starts again on the same store. Nothing is lost; nothing counts twice;
// every message ends in its folder, the one recorded before the crash too.
func TestDovecotIntakeRestartMidRun(t *testing.T) {
	for _, tc := range []struct {
		name        string
		afterRecord bool
		drop        []string
	}{
		{"before-record", false, nil},
		{"after-record-before-filing", true, nil},
		{"after-record-before-filing-nomove", true, []string{"MOVE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startOrganiserDovecot(t, testenv.DovecotOptions{DropCaps: tc.drop})
			f := newFixture(t, smtptest.Hooks{})
			f.inviteAndFlush(sceneMissions...)
			sc := f.scene()
			all := [][]byte{sc.outlookAccept, sc.frenchLetter, sc.decline, sc.ooo, sc.bounce, sc.counter, sc.stranger}
			for _, raw := range all {
				d.Append(t, organiserLogin, "INBOX", raw)
			}

			h := &crashingIntake{Intake: f.e.Intake("INBOX", intakeFolders), at: 3, afterRecord: tc.afterRecord}
			if _, err := intakeWatcher(t, d.Addr, h).SyncOnce(context.Background()); !errors.Is(err, errCrash) {
				t.Fatalf("sync: %v, want the crash", err)
			}
			f.restart()
			// The mail server restarts too: UIDVALIDITY must hold.
			d.Restart(t)
			st := f.syncInbox(d.Addr)
			if st.UIDValidityChanged {
				t.Error("UIDVALIDITY changed across the restart")
			}
			want, wantRefiled := 4, 0
			if tc.afterRecord {
				want, wantRefiled = 3, 1 // the fourth was recorded; it is filed now
			}
			if st.Fetched != want || st.Refiled != wantRefiled {
				t.Errorf("sync after restart fetched %d and refiled %d, want %d and %d", st.Fetched, st.Refiled, want, wantRefiled)
			}
			f.checkSceneRecordedOnce()

			// Every message is in its folder once; the originals stay in
			// INBOX, flagged, only where MOVE is missing.
			var got []string
			for _, folder := range []string{"processed", "review", "bounces"} {
				got = append(got, dovecotIDs(t, d, folder)...)
			}
			c := d.Dial(t, organiserLogin)
			inboxLeft := listMailbox(t, c, "INBOX")
			c.Logout()
			if tc.drop == nil && len(inboxLeft) != 0 {
				t.Errorf("INBOX holds %v after the restart", messageIDsOf(inboxLeft))
			}
			if tc.drop != nil && len(inboxLeft) != len(all) {
				t.Errorf("INBOX holds %d originals, want %d", len(inboxLeft), len(all))
			}
			for _, m := range inboxLeft {
				if tc.drop == nil || !slices.Contains(m.Flags, imap.FlagSeen) || slices.Contains(m.Flags, imap.FlagDeleted) ||
					!slices.ContainsFunc(m.Flags, func(x imap.Flag) bool { return strings.EqualFold(string(x), inbox.FiledKeyword) }) {
					t.Errorf("INBOX %s flagged %v", m.messageID(), m.Flags)
				}
			}
			var sent []string
			for _, raw := range all {
				sent = append(sent, serverMessage{Raw: raw}.messageID())
			}
			slices.Sort(got)
			slices.Sort(sent)
			if !slices.Equal(got, sent) {
				t.Errorf("on the server after the restart: %v\nwant each of %v once", got, sent)
			}
			if !slices.Equal(dovecotIDs(t, d, "bounces"), []string{serverMessage{Raw: sc.bounce}.messageID()}) {
				t.Errorf("bounces holds %v", dovecotIDs(t, d, "bounces"))
			}
			if st := f.syncInbox(d.Addr); st.Fetched != 0 || st.Refiled != 0 {
				t.Errorf("a third sync found messages again: %+v", st)
			}
		})
	}
}

// waitFor polls cond until it holds; the limit catches a hang, it is not a
// speed check.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited too long for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
