package reply

import (
	"testing"

	"outreach"
)

// TestMissAfterHowever: "we will however miss the one on Pakistan"
// declines Pakistan ("however" opens a clause of its own), and a day
// accepted in the sentence before never leaves Pakistan accepted.
func TestMissAfterHowever(t *testing.T) {
	dir := testDirectory(t)
	for _, tc := range []struct {
		body string
		want outreach.Status // None: not answered, the letter goes to review
	}{
		{"We will however miss the one on Pakistan.", outreach.Declined},
		{"We will attend the pre-session on Ghana. We will unfortunately miss the one on Pakistan.", outreach.Declined},
		{"Andorra will attend the pre-sessions on 11 October. We will however miss the one on Pakistan.", outreach.None},
	} {
		raw := "From: geneva@and.mission.example\r\nTo: rsvp+" + testToken("AND") + "@presessions.example\r\n" +
			"Subject: RE: Invitation\r\nMessage-ID: <miss-however@and.mission.example>\r\nIn-Reply-To: " +
			testMessageID("invitation", "AND", "") + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + tc.body + "\r\n"
		got := Classify([]byte(raw), dir)
		if got.Sessions["PAK"] != tc.want {
			t.Errorf("%q: Pakistan %q (%s %v, %s), want %q", tc.body, got.Sessions["PAK"], got.Kind, got.Sessions, got.Reason, tc.want)
		}
		if tc.want == outreach.None && got.Kind != Review {
			t.Errorf("%q: %s, want review", tc.body, got.Kind)
		}
	}
}
