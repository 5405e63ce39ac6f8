package inbox

import (
	"slices"
	"strings"
	"testing"
)

// Folder names are built from configured segments, the server's delimiter
// and its personal namespace.
func TestServerNameFromSegments(t *testing.T) {
	for _, tc := range []struct {
		delim       rune
		prefix      string
		folder      string
		want        string
		levels      []string
		errContains string
	}{
		{'/', "", "outreach/processed", "outreach/processed", []string{"outreach", "outreach/processed"}, ""},
		{'.', "", "outreach/processed", "outreach.processed", []string{"outreach", "outreach.processed"}, ""},
		{'.', "INBOX.", "outreach/processed", "INBOX.outreach.processed", []string{"INBOX.outreach", "INBOX.outreach.processed"}, ""},
		{'.', "INBOX.", "INBOX/outreach", "INBOX.outreach", []string{"INBOX.outreach"}, ""},
		{'.', "INBOX.", "inbox", "INBOX", nil, ""},
		{'.', "", "Inbox/replies", "INBOX.replies", []string{"INBOX.replies"}, ""},
		{'/', "", "processed", "processed", []string{"processed"}, ""},
		{'.', "", "outreach/pro.cessed", "", nil, "hierarchy delimiter"},
		{'/', "", "outreach//processed", "", nil, "empty level"},
		{'/', "", "outreach/", "", nil, "empty level"},
		{0, "", "outreach/processed", "", nil, "no hierarchy"},
		{0, "", "processed", "processed", []string{"processed"}, ""},
	} {
		s := &session{delim: tc.delim, prefix: tc.prefix}
		got, err := s.serverName(tc.folder)
		if tc.errContains != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errContains) {
				t.Errorf("%q (delim %q, prefix %q): %q, %v; want an error with %q", tc.folder, tc.delim, tc.prefix, got, err, tc.errContains)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q (delim %q, prefix %q): %q, %v; want %q", tc.folder, tc.delim, tc.prefix, got, err, tc.want)
			continue
		}
		if lv := s.levels(got); tc.levels != nil && !slices.Equal(lv, tc.levels) {
			t.Errorf("levels of %q: %q, want %q", got, lv, tc.levels)
		}
	}
}
