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

// Every message the engine sends on its own carries Auto-Submitted:
// auto-generated (RFC 3834), so vacation responders leave it unanswered;
// the invitation, the letter staff send, does not.
func TestAutoSubmittedOnEveryAutomaticMessage(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(lifecycleMissions...)
	if _, err := f.e.SetRSVP("ARG", "BEN", outreach.Accepted, "by phone", "staff"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	start := zurich(t, 12, 16, 0)
	if _, err := f.e.MoveSession("JPN", Move{Start: &start, Note: "room change"}, "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	if _, err := f.e.CancelSession("JPN", "the State under Review withdrew", "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]outreach.MessageKind{}
	for _, it := range items {
		kinds[it.MessageID] = it.Key.Kind
	}
	seen := map[outreach.MessageKind]int{}
	for _, msg := range f.smtp.Messages() {
		h, err := mail.ReadMessage(bytes.NewReader(msg.Data))
		if err != nil {
			t.Fatal(err)
		}
		kind := kinds[h.Header.Get("Message-ID")]
		seen[kind]++
		got := h.Header.Get("Auto-Submitted")
		want := "auto-generated"
		if kind == outreach.Invitation {
			want = ""
		}
		if got != want {
			t.Errorf("%s %s: Auto-Submitted %q, want %q", kind, h.Header.Get("Message-ID"), got, want)
		}
	}
	for _, k := range []outreach.MessageKind{outreach.Invitation, outreach.Confirmation, outreach.Update, outreach.Cancellation} {
		if seen[k] == 0 {
			t.Errorf("no %s was sent; the test proves nothing for it", k)
		}
	}
}

// localRoom is room as mission id's calendar shows it, in its language,
// followed by the escaped comma before the venue: LOCATION is what
// calendars display.
func localRoom(t *testing.T, f *fixture, id, room string) string {
	t.Helper()
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID != id {
			continue
		}
		room = roomIn(m.Language, room)
	}
	return room + `\,`
}

// roomIn is a room of the seed ("Room XX") in lang.
func roomIn(lang outreach.Language, room string) string {
	switch lang {
	case outreach.French:
		return strings.Replace(room, "Room ", "Salle ", 1)
	case outreach.Spanish:
		return strings.Replace(room, "Room ", "Sala ", 1)
	}
	return room
}
