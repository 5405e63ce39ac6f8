package jobs

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/replies"
)

// TestCalendarUIDsCannotBeGuessed: a copy's UID is keyed by the store's
// own random key, so a reply carrying the UID a stranger can write
// (pre28-<session>-<mission>@domain, what outreach used to send) is not
// matched to any copy and records nothing, even from the mission's own
// address; the reply carrying the UID the mission received is recorded.
// The UID stays the same across a restart and a move of the session.
func TestCalendarUIDsCannotBeGuessed(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	uid := f.e.UID("AUT", "JPN")
	readable := outreach.ReadableCalendarUID(f.event.UPRSession, "presessions.example", "AUT", "JPN")
	if uid == readable || strings.Contains(strings.ToLower(uid), "aut") || !strings.HasPrefix(uid, "pre28-jpn-") || len(uid) < len("pre28-jpn-")+26 {
		t.Fatalf("UID of AUT's copy of JPN is %q: want pre28-jpn-<26 keyed characters>@domain, not %q", uid, readable)
	}
	if other := f.e.UID("AUT", "KOR"); other == uid || f.e.UID("BEL", "JPN") == uid {
		t.Fatalf("two copies share the UID %q", uid)
	}

	// Guessed UIDs from the missions' own addresses, in the three
	// languages' missions, for several sessions.
	guessed := 0
	for _, mid := range []string{"AUT", "FRA", "MEX", "BEN", "JPN"} {
		m, err := f.e.Mission(mid)
		if err != nil {
			t.Fatal(err)
		}
		for _, sur := range []string{"JPN", "KOR", "UKR", "ARG"} {
			guess := outreach.ReadableCalendarUID(f.event.UPRSession, "presessions.example", mid, sur)
			raw := outlookAnswer{from: m.Contacts[0].Email, name: m.Titles.EN, uid: guess, method: "REPLY", partStat: "ACCEPTED",
				dtstamp: f.clock.Now().Add(time.Hour), messageID: "<guess-" + mid + "-" + sur + "@" + strings.ToLower(mid) + ".mission.example>"}.raw()
			res, err := f.e.Classify(raw)
			if err != nil {
				t.Fatal(err)
			}
			guessed++
			if res.Kind != replies.Review || len(res.Sessions) != 0 || res.Reason == "" {
				t.Errorf("%s %s with the guessed UID %s: %s %v (%q), want review recording nothing, with a reason", mid, sur, guess, res.Kind, res.Sessions, res.Reason)
			}
			real := outlookAnswer{from: m.Contacts[0].Email, name: m.Titles.EN, uid: f.e.UID(mid, sur), method: "REPLY", partStat: "ACCEPTED",
				dtstamp: f.clock.Now().Add(time.Hour), messageID: "<real-" + mid + "-" + sur + "@" + strings.ToLower(mid) + ".mission.example>"}.raw()
			if res, err := f.e.Classify(real); err != nil || res.Kind != replies.RSVP || res.Mission != mid || res.Sessions[sur] != outreach.Accepted {
				t.Errorf("%s %s with its own UID: %s %s %v (%q) %v, want accepted", mid, sur, res.Kind, res.Mission, res.Sessions, res.Reason, err)
			}
		}
	}
	t.Logf("%d replies with guessed UIDs went to review", guessed)

	f.restart()
	if got := f.e.UID("AUT", "JPN"); got != uid {
		t.Fatalf("after a restart the UID is %q, was %q", got, uid)
	}
	start := f.clock.Now().Add(40 * 24 * time.Hour)
	if _, err := f.e.MoveSession("JPN", Move{Start: &start, Note: "moved"}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := f.e.UID("AUT", "JPN"); got != uid {
		t.Fatalf("after a move the UID is %q, was %q", got, uid)
	}
}

// TestReadableUIDsKeptForCopiesAlreadySent: a store whose invitations went
// out before UIDs were keyed (schema 2) is migrated without changing the
// UID a mission holds: the copies already sent keep their readable UID,
// replies carrying it are still recorded, and the update after a move
// carries it too. Missions not yet invited get keyed UIDs, and a reply
// guessing their readable UID is not matched.
func TestReadableUIDsKeptForCopiesAlreadySent(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush("AUT")
	// Make the store what schema 2 left: no UID key, nothing recorded as
	// sent with a readable UID.
	f.st.Close()
	asSchema2(t, filepath.Join(f.dir, "outreach.db"))
	f.open()

	sessions, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	aut, err := f.e.Mission("AUT")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		want := outreach.ReadableCalendarUID(f.event.UPRSession, "presessions.example", "AUT", s.SuR)
		if got := f.e.UID("AUT", s.SuR); got != want {
			t.Fatalf("AUT's copy of %s after the migration: UID %q, want the one it was sent with, %q", s.SuR, got, want)
		}
	}
	raw := outlookAnswer{from: aut.Contacts[0].Email, name: aut.Titles.EN, uid: f.e.UID("AUT", "JPN"), method: "REPLY", partStat: "ACCEPTED",
		dtstamp: f.clock.Now().Add(time.Hour), messageID: "<held-uid@aut.mission.example>"}.raw()
	if res, err := f.e.Classify(raw); err != nil || res.Kind != replies.RSVP || res.Sessions["JPN"] != outreach.Accepted {
		t.Fatalf("reply with the UID AUT holds: %s %v (%q) %v, want accepted", res.Kind, res.Sessions, res.Reason, err)
	}
	bel, err := f.e.Mission("BEL")
	if err != nil {
		t.Fatal(err)
	}
	guess := outreach.ReadableCalendarUID(f.event.UPRSession, "presessions.example", "BEL", "JPN")
	if got := f.e.UID("BEL", "JPN"); got == guess {
		t.Fatalf("BEL, never invited, has the readable UID %q", got)
	}
	raw = outlookAnswer{from: bel.Contacts[0].Email, name: bel.Titles.EN, uid: guess, method: "REPLY", partStat: "ACCEPTED",
		dtstamp: f.clock.Now().Add(time.Hour), messageID: "<guess@bel.mission.example>"}.raw()
	if res, err := f.e.Classify(raw); err != nil || res.Kind != replies.Review || len(res.Sessions) != 0 {
		t.Fatalf("reply guessing BEL's readable UID: %s %v (%q) %v, want review", res.Kind, res.Sessions, res.Reason, err)
	}

	// The update after a move reaches AUT under the UID it holds.
	if _, err := f.e.SetRSVP("AUT", "JPN", outreach.Accepted, "", "test"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	start := f.clock.Now().Add(40 * 24 * time.Hour)
	if _, err := f.e.MoveSession("JPN", Move{Start: &start, Note: "moved"}, "test"); err != nil {
		t.Fatal(err)
	}
	msgs := f.flushAll()
	found := false
	for _, m := range msgs {
		_, parts := leafParts(t, m.Data)
		for _, p := range parts {
			if p.contentType == "text/calendar" && strings.Contains(string(p.data), "UID:"+outreach.ReadableCalendarUID(f.event.UPRSession, "presessions.example", "AUT", "JPN")) {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("no update to AUT carried the UID it holds (%d messages sent)", len(msgs))
	}
}
