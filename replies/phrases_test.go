package replies

import (
	"strings"
	"testing"

	"outreach"
)

// TestLetterPhrases: phrasings of an answer read as a person reads them.
func TestLetterPhrases(t *testing.T) {
	dir := testDirectory(t)
	for _, tc := range []struct {
		body string
		want map[string]outreach.Status
	}{
		// At a session, not at a place.
		{"Senegal will be at the Zambia pre-session.", map[string]outreach.Status{"ZMB": outreach.Accepted}},
		{"We will be at the pre-session on Zambia.", map[string]outreach.Status{"ZMB": outreach.Accepted}},
		{"We will not be at the Zambia pre-session.", map[string]outreach.Status{"ZMB": outreach.Declined}},
		// "still" keeps an answer.
		{"We can no longer attend the pre-session on Japan. We will still attend the one on the Republic of Korea.",
			map[string]outreach.Status{"JPN": outreach.Declined, "KOR": outreach.Accepted}},
		// "l'ensemble des pré-sessions" is every one.
		{"La Mission participera à l'ensemble des pré-sessions.", func() map[string]outreach.Status {
			m := map[string]outreach.Status{}
			for _, s := range dir.Sessions() {
				m[s.SuR] = outreach.Accepted
			}
			return m
		}()},
	} {
		checkReply(t, dir, "SEN", tc.body, tc.want)
	}
}

// checkReply reads body as a reply of mission to its invitation (its reply
// token, threaded) and checks that it records exactly want.
func checkReply(t *testing.T, dir Directory, mission, body string, want map[string]outreach.Status) {
	t.Helper()
	lower := strings.ToLower(mission)
	raw := "From: geneva@" + lower + ".mission.example\r\nTo: rsvp+" + testToken(mission) + "@presessions.example\r\n" +
		"Subject: RE: Invitation\r\nMessage-ID: <reply@" + lower + ".mission.example>\r\nIn-Reply-To: " +
		testMessageID("invitation", mission, "") + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	got := Classify([]byte(raw), dir)
	if got.Kind != RSVP || len(got.Sessions) != len(want) {
		t.Errorf("%q: %s %v (%s), want %v", body, got.Kind, got.Sessions, got.Reason, want)
		return
	}
	for s, st := range want {
		if got.Sessions[s] != st {
			t.Errorf("%q: %s %q, want %q", body, s, got.Sessions[s], st)
		}
	}
}
