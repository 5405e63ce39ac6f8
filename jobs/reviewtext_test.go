package jobs

import (
	"strings"
	"testing"
	"time"

	"outreach/replies"
)

// TestReviewSubjectDropsDirectionControls: a review item keeps the
// subject and sender of the message without U+202E and its kin, so the
// desk, the digest and the terminal show what was written, in its order.
func TestReviewSubjectDropsDirectionControls(t *testing.T) {
	it := reviewItem(replies.Result{From: "\u202eattacker@x.example", Subject: "Re: \u202ednetta lliw\u202c Japan"}, "<k@x>", time.Now())
	if strings.ContainsRune(it.Subject+it.From, '\u202e') || it.Subject != "Re: dnetta lliw Japan" {
		t.Errorf("review item %q from %q", it.Subject, it.From)
	}
}
