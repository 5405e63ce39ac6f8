package jobs

import (
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
)

// TestLetterAnsweringSeveralSessionsSummarised: France answers three
// Pre-sessions in one letter. It receives one calendar request for each
// session it attends, each saying only that it carries the invitation,
// and one summary, in French, of what was recorded; a later letter about
// one session gets the usual confirmation and no summary.
func TestLetterAnsweringSeveralSessionsSummarised(t *testing.T) {
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
	write("s1", "Bonjour,\n\nLa Mission permanente de la France participera à la pré-session sur le Japon.\n"+
		"Elle participera également à la pré-session sur le Bénin.\n"+
		"Elle ne participera pas à la pré-session sur le Ghana.\n\nCordialement,\nJean Martin\n")
	for sur, want := range map[string]outreach.Status{"JPN": outreach.Accepted, "BEN": outreach.Accepted, "GHA": outreach.Declined} {
		if r := f.rsvp("FRA", sur); r.Status != want {
			t.Fatalf("FRA %s: %v, want %v", sur, r.Status, want)
		}
	}
	if rep := flush(t, f, 0); rep.Failed != 0 {
		t.Fatalf("flush: %+v", rep)
	}

	requests := remReceived(t, f, outreach.Confirmation)
	if len(requests) != 2 {
		t.Fatalf("calendar requests: %d, want one for Japan and one for Benin", len(requests))
	}
	for _, c := range requests {
		data := string(c.msg.Data)
		if !strings.Contains(data, "method=REQUEST") || !strings.Contains(data, "Auto-Submitted: auto-generated") {
			t.Errorf("the request for %s is not a calendar request marked automatic", c.item.Key.Session)
		}
		if !strings.Contains(c.text, "récapitulées dans une note distincte") || strings.Contains(c.text, "d'avoir confirmé") ||
			strings.Contains(c.text, "Programme") || !strings.Contains(c.text, "les assurances de sa haute considération") {
			t.Errorf("the request for %s repeats the confirmation instead of referring to the summary:\n%s", c.item.Key.Session, c.text)
		}
	}
	summaries := remReceived(t, f, outreach.PageSummary)
	if len(summaries) != 1 {
		t.Fatalf("summaries: %d, want 1", len(summaries))
	}
	s := summaries[0]
	text := strings.ReplaceAll(s.text, "\r\n", "\n")
	for _, line := range []string{"Japon : participera", "Bénin : participera", "Ghana : ne participera pas", "Argentine : pas encore décidé"} {
		if !strings.Contains(text, line) {
			t.Errorf("the summary lacks %q:\n%s", line, text)
		}
	}
	if !strings.Contains(text, "après l'enregistrement des réponses de la délégation") || strings.Contains(text, "page de réponse") ||
		!strings.Contains(string(s.msg.Data), "Auto-Submitted: auto-generated") || englishProse.MatchString(text) {
		t.Errorf("the summary France received:\n%s", text)
	}

	// One session in a later letter: the usual confirmation, no summary.
	write("s2", "Bonjour,\n\nLa Mission permanente de la France participera à la pré-session sur le Pérou.\n\nCordialement,\nJean Martin\n")
	flush(t, f, 0)
	if n := len(remReceived(t, f, outreach.PageSummary)); n != 1 {
		t.Errorf("%d summaries after a letter about one session, want still 1", n)
	}
	for _, c := range remReceived(t, f, outreach.Confirmation) {
		if c.item.Key.Session == "PER" && !strings.Contains(c.text, "d'avoir confirmé sa participation") {
			t.Errorf("the confirmation for Peru:\n%s", c.text)
		}
	}
}
