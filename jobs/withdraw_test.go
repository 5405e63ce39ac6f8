package jobs

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
)

// withdrawals returns the CANCELs France received for its copy of JPN.
func cancelsTo(t *testing.T, f *fixture, mission string) []remMail {
	t.Helper()
	var out []remMail
	for _, w := range remReceived(t, f, outreach.Withdrawal) {
		if w.item.Key.Mission == mission {
			out = append(out, w)
		}
	}
	return out
}

// TestLetterDeclineAfterRequestCancels: France accepts by letter, gets the
// calendar request, then writes that it will not attend after all. Its
// calendar must lose the pre-session: one CANCEL, in French, saying it
// follows France's reply; a second letter saying the same sends nothing.
func TestLetterDeclineAfterRequestCancels(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	srv := startMemIMAP(t)
	f.inviteAndFlush("FRA")
	reply := f.replyAddress("FRA")
	write := func(id, body string) {
		t.Helper()
		srv.deliver(t, letter{from: "geneva@fra.mission.example", name: "Mission permanente de la France", to: reply,
			subject: "RE: Pré-sessions de l'EPU", messageID: "<" + id + "@fra.mission.example>",
			date: roundStart.Add(24 * time.Hour), body: body}.raw())
		f.syncInbox(srv.addr)
	}
	write("a1", "Bonjour,\n\nLa Mission permanente de la France participera à la pré-session sur le Japon.\n\nCordialement,\nJean Martin\n")
	if r := f.rsvp("FRA", "JPN"); r.Status != outreach.Accepted {
		t.Fatalf("after the acceptance: %v", r.Status)
	}
	flush(t, f, 0)
	if c := remReceived(t, f, outreach.Confirmation); len(c) != 1 {
		t.Fatalf("calendar requests sent: %d, want 1", len(c))
	}

	write("a2", "Bonjour,\n\nFinalement, la Mission permanente de la France ne pourra pas participer à la pré-session sur le Japon.\n\nCordialement,\nJean Martin\n")
	if r := f.rsvp("FRA", "JPN"); r.Status != outreach.Declined || r.Source.Kind != outreach.FromEmail {
		t.Fatalf("after the decline: %v from %s", r.Status, r.Source.Kind)
	}
	flush(t, f, 0)
	w := cancelsTo(t, f, "FRA")
	if len(w) != 1 {
		t.Fatalf("CANCELs sent to France: %d, want 1", len(w))
	}
	data := string(w[0].msg.Data)
	if !strings.Contains(data, "method=CANCEL") || !strings.Contains(w[0].text, "comme elle l'a indiqué dans sa réponse") ||
		strings.Contains(w[0].text, "page de réponse") && !strings.Contains(w[0].text, "sa page de réponse reste ouverte") {
		t.Errorf("the CANCEL France received:\n%s", w[0].text)
	}
	if strings.Contains(w[0].text, "after the reply page was submitted") || strings.Contains(w[0].text, "après l'envoi de la page") {
		t.Errorf("the CANCEL says it follows the reply page:\n%s", w[0].text)
	}

	write("a3", "Bonjour,\n\nNous confirmons que la Mission permanente de la France ne participera pas à la pré-session sur le Japon.\n\nCordialement\n")
	flush(t, f, 0)
	if w := cancelsTo(t, f, "FRA"); len(w) != 1 {
		t.Fatalf("a second decline sent another CANCEL: %d in all", len(w))
	}
}

// TestStaffDeclineAfterRequestCancels: `rsvp set FRA JPN declined` after
// the request went sends one CANCEL, in English for an English-speaking
// mission, saying the mission told the organiser; before the request
// went, it sends neither.
func TestStaffDeclineAfterRequestCancels(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	remSet(t, f, "GBR", "JPN", outreach.Accepted)
	flush(t, f, 0)
	remSet(t, f, "GBR", "JPN", outreach.Declined)
	remSet(t, f, "GBR", "JPN", outreach.Declined) // said twice
	// Before its request went: no request, no CANCEL.
	remSet(t, f, "AUS", "JPN", outreach.Accepted)
	remSet(t, f, "AUS", "JPN", outreach.Declined)
	flush(t, f, 0)
	w := cancelsTo(t, f, "GBR")
	if len(w) != 1 {
		t.Fatalf("CANCELs to GBR: %d, want 1", len(w))
	}
	if !strings.Contains(w[0].text, "as it informed us") || !strings.Contains(w[0].text, "after the delegation's answer was recorded") {
		t.Errorf("the CANCEL GBR received:\n%s", w[0].text)
	}
	if n := len(cancelsTo(t, f, "AUS")); n != 0 {
		t.Errorf("%d CANCELs to AUS, whose request never went", n)
	}
	for _, c := range remReceived(t, f, outreach.Confirmation) {
		if c.item.Key.Mission == "AUS" {
			t.Errorf("AUS received the request after declining")
		}
	}
	// A tentative answer had its request too: declining it cancels.
	remSet(t, f, "CAN", "GHA", outreach.Tentative)
	flush(t, f, 0)
	remSet(t, f, "CAN", "GHA", outreach.Declined)
	flush(t, f, 0)
	if n := len(cancelsTo(t, f, "CAN")); n != 1 {
		t.Errorf("CANCELs to CAN after tentative then declined: %d, want 1", n)
	}
}

// TestReacceptAfterWithdrawal: accepted, request sent, declined, CANCEL
// sent, accepted again: a new request with a higher SEQUENCE than the
// CANCEL's, so the calendar takes it; declined and accepted again before
// the CANCEL went: neither goes.
func TestReacceptAfterWithdrawal(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	remSet(t, f, "GBR", "JPN", outreach.Accepted)
	flush(t, f, 0)
	remSet(t, f, "GBR", "JPN", outreach.Declined)
	flush(t, f, 0)
	remSet(t, f, "GBR", "JPN", outreach.Accepted)
	flush(t, f, 0)
	var reqs []remMail
	for _, c := range remReceived(t, f, outreach.Confirmation) {
		if c.item.Key.Mission == "GBR" {
			reqs = append(reqs, c)
		}
	}
	cancels := cancelsTo(t, f, "GBR")
	if len(reqs) != 2 || len(cancels) != 1 {
		t.Fatalf("GBR received %d requests and %d CANCELs, want 2 and 1", len(reqs), len(cancels))
	}
	seq := func(m remMail) int {
		t.Helper()
		parts := calendarParts(t, m.item.Key.String(), m.msg)
		if len(parts) != 1 {
			t.Fatalf("%s carries %d calendar objects", m.item.Key, len(parts))
		}
		for _, l := range strings.Split(strings.ReplaceAll(string(parts[0]), "\r\n", "\n"), "\n") {
			if n, ok := strings.CutPrefix(l, "SEQUENCE:"); ok {
				v, err := strconv.Atoi(n)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
		t.Fatalf("no SEQUENCE in %s", m.item.Key)
		return 0
	}
	first, cancel, again := seq(reqs[0]), seq(cancels[0]), seq(reqs[1])
	if !(first < cancel && cancel < again) {
		t.Errorf("SEQUENCE of request, CANCEL, request again: %d, %d, %d; want increasing", first, cancel, again)
	}

	// Declined and accepted again before the CANCEL went: the calendar
	// still holds the request; nothing is sent.
	before := f.smtp.Count()
	remSet(t, f, "GBR", "JPN", outreach.Declined)
	remSet(t, f, "GBR", "JPN", outreach.Accepted)
	flush(t, f, 0)
	if n := f.smtp.Count() - before; n != 0 {
		t.Errorf("%d messages sent for a decline taken back before the outbox ran", n)
	}
}
