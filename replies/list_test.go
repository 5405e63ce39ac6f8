package replies

import "testing"

// TestListText: a list answered item by item reads as one sentence an
// item; lines that are not a list's, or not answered yes or no, are kept.
func TestListText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"- Argentina: yes", "We will attend the pre-session on Argentina."},
		{"- Switzerland \u2013 no", "We will not attend the pre-session on Switzerland."},
		{"\u2022 Bénin : oui", "We will attend the pre-session on Bénin."},
		{"2. Perú: sí.", "We will attend the pre-session on Perú."},
		{"3) Gabon - non", "We will not attend the pre-session on Gabon."},
		{"Re Ukraine: yes.", "Re Ukraine: yes."},
		{"- Japan: 11 October", "- Japan: 11 October"},
		{"- Ukraine: TBC", "- Ukraine: TBC"},
		{"Dear colleagues: yes, we will attend.", "Dear colleagues: yes, we will attend."},
	} {
		if got := listText(tc.in); got != tc.want {
			t.Errorf("listText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
