package jobs

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
)

// A preview is the letter as it will be on the day it is sent: its Date is
// the as-of time, and a deadline still ahead then is in it, even when the
// preview is made after the round.
func TestPreviewAsOf(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	if got := f.e.PlannedSend(); !got.Equal(f.clock.Now()) {
		t.Errorf("PlannedSend before the round = %v, want now %v", got, f.clock.Now())
	}
	at := time.Date(2017, 9, 12, 9, 0, 0, 0, f.event.Location)
	raw, err := f.e.PreviewEMLAt(outreach.Invitation, "JPN", "", at)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := h.Header.Date(); err != nil || !d.Equal(at) {
		t.Errorf("Date %v (%v), want %v", d, err, at)
	}
	// After the round, the default is four weeks before its first day.
	f.clock.Advance(400 * 24 * time.Hour)
	planned := f.e.PlannedSend()
	if !planned.Before(f.event.First) || f.event.First.Sub(planned) > 29*24*time.Hour {
		t.Errorf("PlannedSend after the round = %v, want four weeks before %v", planned, f.event.First)
	}
	late, err := f.e.PreviewEMLAt(outreach.Invitation, "JPN", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	now, err := f.e.PreviewEML(outreach.Invitation, "JPN", "")
	if err != nil {
		t.Fatal(err)
	}
	if !f.event.RSVPDeadline.IsZero() {
		body := func(b []byte) string { return strings.ReplaceAll(string(b), "=\r\n", "") }
		const deadline = "could indicate, by "
		if !strings.Contains(body(late), deadline) || strings.Contains(body(now), deadline) {
			t.Errorf("the deadline should be in the planned-date preview (%v) and not in one a year later (%v)",
				strings.Contains(body(late), deadline), strings.Contains(body(now), deadline))
		}
	}
	if bytes.Equal(late, now) {
		t.Error("the planned-date preview is the same as one dated a year after the round")
	}
}
