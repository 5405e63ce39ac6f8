package reply

import (
	"testing"

	"outreach"
)

// TestMissAfterHowever: "we will however miss the one on Pakistan"
// declines Pakistan ("however" opens a clause of its own), and a session
// named apart from the day accepted or declined before is the exception
// to the day.
func TestMissAfterHowever(t *testing.T) {
	dir := testDirectory(t)
	for _, tc := range []struct {
		body string
		want map[string]outreach.Status
	}{
		{"We will however miss the one on Pakistan.", map[string]outreach.Status{"PAK": outreach.Declined}},
		{"We will attend the pre-session on Ghana. We will unfortunately miss the one on Pakistan.",
			map[string]outreach.Status{"GHA": outreach.Accepted, "PAK": outreach.Declined}},
		{"Andorra will attend the pre-sessions on 11 October. We will however miss the one on Pakistan.",
			map[string]outreach.Status{"GHA": outreach.Accepted, "GTM": outreach.Accepted, "JPN": outreach.Accepted, "PAK": outreach.Declined}},
		{"We cannot attend the pre-sessions of 10 October. We will attend the pre-session on Benin.",
			map[string]outreach.Status{"ARG": outreach.Declined, "BEN": outreach.Accepted, "CZE": outreach.Declined, "GAB": outreach.Declined}},
	} {
		raw := "From: geneva@and.mission.example\r\nTo: rsvp+" + testToken("AND") + "@presessions.example\r\n" +
			"Subject: RE: Invitation\r\nMessage-ID: <miss-however@and.mission.example>\r\nIn-Reply-To: " +
			testMessageID("invitation", "AND", "") + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + tc.body + "\r\n"
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

// TestDayWithException: a day answered as a whole with one of its
// sessions excepted in the same sentence; a session merely placed in its
// day is not the day answered.
func TestDayWithException(t *testing.T) {
	dir := testDirectory(t)
	acc, dec := outreach.Accepted, outreach.Declined
	for _, tc := range []struct {
		body string
		want map[string]outreach.Status
	}{
		{"We will attend the pre-sessions of 10 October, except the one on Benin.",
			map[string]outreach.Status{"ARG": acc, "BEN": dec, "CZE": acc, "GAB": acc}},
		{"We will attend the pre-sessions of 10 October, but not Benin.",
			map[string]outreach.Status{"ARG": acc, "BEN": dec, "CZE": acc, "GAB": acc}},
		{"We will attend the pre-session on Benin, the second of the pre-sessions of 10 October.",
			map[string]outreach.Status{"BEN": acc}},
		{"We will attend the pre-session on Benin, which is one of the pre-sessions of 10 October.",
			map[string]outreach.Status{"BEN": acc}},
	} {
		raw := "From: geneva@pol.mission.example\r\nTo: rsvp+" + testToken("POL") + "@presessions.example\r\n" +
			"Subject: RE: Invitation\r\nMessage-ID: <day-except@pol.mission.example>\r\nIn-Reply-To: " +
			testMessageID("invitation", "POL", "") + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + tc.body + "\r\n"
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
