package reply

import (
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
		raw := "From: geneva@sen.mission.example\r\nTo: rsvp+" + testToken("SEN") + "@presessions.example\r\n" +
			"Subject: RE: Invitation\r\nMessage-ID: <phrase@sen.mission.example>\r\nIn-Reply-To: " +
			testMessageID("invitation", "SEN", "") + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + tc.body + "\r\n"
		got := Classify([]byte(raw), dir)
		if got.Kind != RSVP || len(got.Sessions) != len(tc.want) {
			t.Errorf("%q: %s %v (%s), want %v", tc.body, got.Kind, got.Sessions, got.Reason, tc.want)
			continue
		}
		for s, st := range tc.want {
			if got.Sessions[s] != st {
				t.Errorf("%q: %s %q, want %q", tc.body, s, got.Sessions[s], st)
			}
		}
	}
}
