package replies

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
		checkReply(t, dir, "AND", tc.body, tc.want)
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
		checkReply(t, dir, "POL", tc.body, tc.want)
	}
}
