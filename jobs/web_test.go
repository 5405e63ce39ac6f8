package jobs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/store"
)

// pageFixture is the round's fixture with reply pages served.
func pageFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, smtptest.Hooks{})
	f.opts.PageURL = "https://rsvp.example.org/"
	f.e = New(f.opts)
	if n, err := f.e.EnsurePageTokens("test"); err != nil || n != 195 {
		t.Fatalf("EnsurePageTokens = %d, %v; want 195", n, err)
	}
	return f
}

func submit(t *testing.T, f *fixture, mission string, a PageAnswers) PageReport {
	t.Helper()
	rep, err := f.e.SubmitPage(mission, a)
	if err != nil {
		t.Fatalf("submit %s: %v", mission, err)
	}
	return rep
}

func answers(kv ...any) PageAnswers {
	a := PageAnswers{Answers: map[string]outreach.Status{}, From: "192.0.2.1"}
	for i := 0; i+1 < len(kv); i += 2 {
		a.Answers[kv[i].(string)] = kv[i+1].(outreach.Status)
	}
	return a
}

func TestPageLinkAndToken(t *testing.T) {
	f := pageFixture(t)
	link, err := f.e.PageLink("fra", false, "test")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "https://rsvp.example.org/r/"
	if !strings.HasPrefix(link, prefix) || len(link) != len(prefix)+store.PageTokenLen {
		t.Fatalf("link %q", link)
	}
	token := strings.TrimPrefix(link, prefix)
	if m, err := f.e.PageMission(token); err != nil || m != "FRA" {
		t.Fatalf("PageMission = %q, %v", m, err)
	}
	if again, _ := f.e.PageLink("FRA", false, "test"); again != link {
		t.Fatalf("PageLink changed the link without renew: %q", again)
	}
	renewed, err := f.e.PageLink("FRA", true, "test")
	if err != nil || renewed == link {
		t.Fatalf("renew: %q, %v", renewed, err)
	}
	for _, guess := range []string{token, "", "x", strings.Repeat("A", store.PageTokenLen), token + "A"} {
		if _, err := f.e.PageMission(guess); !errors.Is(err, ErrNoPage) {
			t.Errorf("PageMission(%q) = %v, want ErrNoPage", guess, err)
		}
	}
	if n, _ := f.e.EnsurePageTokens("test"); n != 0 {
		t.Errorf("EnsurePageTokens a second time created %d", n)
	}
}

// TestPageSubmitRecordsLikeALetter: answers from the page go into the
// history with source "web"; each acceptance queues its calendar request,
// a decline queues nothing, and a summary goes to the mission. A staff
// correction afterwards wins, as it does over a letter.
func TestPageSubmitRecordsLikeALetter(t *testing.T) {
	f := pageFixture(t)
	a := answers("JPN", outreach.Accepted, "GHA", outreach.Accepted, "PER", outreach.Declined, "ARG", outreach.None)
	a.Delegates = []store.PageDelegate{{Name: "Marie Curie", Email: "marie@fra.mission.example"}}
	a.Comment = "Two delegates for Japan."
	rep := submit(t, f, "FRA", a)
	if len(rep.Changed) != 3 || strings.Join(rep.Requests, ",") != "GHA,JPN" || len(rep.Cancels) != 0 || !rep.Summary {
		t.Fatalf("report %+v", rep)
	}
	checkPageSubmissionStored(t, f, a.Comment)
	// The same page submitted again changes nothing and sends nothing.
	if again := submit(t, f, "FRA", a); len(again.Changed) != 0 || again.Summary || len(again.Requests) != 0 {
		t.Fatalf("resubmission: %+v", again)
	}
	checkPageConfirmationsAndSummary(t, f)

	remSet(t, f, "FRA", "JPN", outreach.Declined)
	f.st.View(func(tx *store.Tx) error {
		r, _ := tx.RSVP("FRA", "JPN")
		if r.Status != outreach.Declined || r.Source.Kind != outreach.FromStaff {
			t.Errorf("staff correction after the page: %+v", r)
		}
		return nil
	})
}

// checkPageSubmissionStored: FRA's page answer is in the history, from
// the web, with the delegate and the comment; "not yet decided" records
// nothing; the page state counts one submission.
func checkPageSubmissionStored(t *testing.T, f *fixture, comment string) {
	t.Helper()
	err := f.st.View(func(tx *store.Tx) error {
		h, err := tx.History("FRA", "JPN")
		if err != nil {
			return err
		}
		if len(h) != 1 || h[0].Source.Kind != outreach.FromWeb || h[0].Status != outreach.Accepted ||
			strings.Join(h[0].DelegateNames, ",") != "Marie Curie" || h[0].Note != comment {
			t.Errorf("history of FRA/JPN: %+v", h)
		}
		r, _ := tx.RSVP("FRA", "ARG")
		if r.Status != outreach.None || !r.At.IsZero() {
			t.Errorf("'not yet decided' recorded an answer for ARG: %+v", r)
		}
		ps, _ := tx.PageState("FRA")
		if ps.Submissions != 1 || len(ps.Delegates) != 1 || ps.Comment != comment {
			t.Errorf("page state %+v", ps)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkPageConfirmationsAndSummary: the outbox sends two confirmations,
// each with an inline REQUEST, and one summary in French with the
// delegate and the page's address.
func checkPageConfirmationsAndSummary(t *testing.T, f *fixture) {
	t.Helper()
	out := flush(t, f, 0)
	if out.Sent != 3 || out.Failed != 0 {
		t.Fatalf("flush: %+v, want two requests and a summary", out)
	}
	conf := remReceived(t, f, outreach.Confirmation)
	if len(conf) != 2 {
		t.Fatalf("%d confirmations, want 2", len(conf))
	}
	for _, c := range conf {
		if !strings.Contains(string(c.msg.Data), "method=REQUEST") {
			t.Errorf("confirmation %s has no inline REQUEST", c.item.Key)
		}
	}
	sum := remReceived(t, f, outreach.PageSummary)
	if len(sum) != 1 || !strings.Contains(sum[0].text, "Marie Curie") || !strings.Contains(sum[0].text, "https://rsvp.example.org/r/") ||
		!strings.Contains(sum[0].subject, "EPU") {
		t.Fatalf("summary: %+v", sum)
	}
	// FRA writes in French: the summary is in French.
	if !strings.Contains(sum[0].text, "participera") {
		t.Errorf("summary not in French:\n%s", sum[0].text)
	}
}

// TestPageChangeOfMind: accepted, the request sent; given up: one CANCEL;
// accepted again: one new REQUEST. Submitting the same answers twice
// queues nothing more.
func TestPageChangeOfMind(t *testing.T) {
	f := pageFixture(t)
	submit(t, f, "BEN", answers("JPN", outreach.Accepted))
	flush(t, f, 0)
	rep := submit(t, f, "BEN", answers("JPN", outreach.Declined))
	if strings.Join(rep.Cancels, ",") != "JPN" || len(rep.Requests) != 0 {
		t.Fatalf("give up: %+v", rep)
	}
	if again := submit(t, f, "BEN", answers("JPN", outreach.Declined)); len(again.Cancels) != 0 {
		t.Fatalf("second give up queued another CANCEL: %+v", again)
	}
	flush(t, f, 0)
	w := remReceived(t, f, outreach.Withdrawal)
	if len(w) != 1 || !strings.Contains(string(w[0].msg.Data), "method=CANCEL") {
		t.Fatalf("withdrawals received: %d", len(w))
	}
	rep = submit(t, f, "BEN", answers("JPN", outreach.Accepted))
	if strings.Join(rep.Requests, ",") != "JPN" {
		t.Fatalf("accept again: %+v", rep)
	}
	flush(t, f, 0)
	if c := remReceived(t, f, outreach.Confirmation); len(c) != 2 {
		t.Fatalf("confirmations received: %d, want 2 (first acceptance, then again after the CANCEL)", len(c))
	}
	if w := remReceived(t, f, outreach.Withdrawal); len(w) != 1 {
		t.Fatalf("withdrawals received: %d, want 1", len(w))
	}
}

// TestPageGiveUpBeforeTheRequestWent: a change of mind before the outbox
// ran sends neither the request nor a CANCEL.
func TestPageGiveUpBeforeTheRequestWent(t *testing.T) {
	f := pageFixture(t)
	submit(t, f, "PER", answers("GHA", outreach.Accepted))
	rep := submit(t, f, "PER", answers("GHA", outreach.None))
	if len(rep.Cancels) != 0 {
		t.Fatalf("CANCEL queued for a request never sent: %+v", rep)
	}
	flush(t, f, 0)
	if c := remReceived(t, f, outreach.Confirmation); len(c) != 0 {
		t.Fatalf("%d requests sent after the mission gave up", len(c))
	}
	if w := remReceived(t, f, outreach.Withdrawal); len(w) != 0 {
		t.Fatalf("%d CANCELs sent", len(w))
	}
}

func TestPageClosedAfterDeadline(t *testing.T) {
	f := pageFixture(t)
	f.clock.Set(f.event.RSVPDeadline.Add(time.Minute))
	if _, err := f.e.SubmitPage("FRA", answers("JPN", outreach.Accepted)); !errors.Is(err, ErrPageClosed) {
		t.Fatalf("submit after the deadline: %v", err)
	}
	p, err := f.e.Page("FRA")
	if err != nil || p.Open {
		t.Fatalf("page after the deadline: open %v, %v", p.Open, err)
	}
	f.st.View(func(tx *store.Tx) error {
		if h, _ := tx.History("FRA", "JPN"); len(h) != 0 {
			t.Errorf("recorded after the deadline: %+v", h)
		}
		return nil
	})
}

func TestPageRefusesBadInput(t *testing.T) {
	f := pageFixture(t)
	for name, a := range map[string]PageAnswers{
		"tentative":    answers("JPN", outreach.Tentative),
		"line break":   {Delegates: []store.PageDelegate{{Name: "A\r\nBcc: x@example.org"}}},
		"bad address":  {Delegates: []store.PageDelegate{{Name: "A", Email: "not an address"}}},
		"long comment": {Comment: strings.Repeat("x", MaxPageComment+1)},
		"too many":     {Delegates: make([]store.PageDelegate, MaxPageDelegates+1)},
		"control":      {Comment: "a\x1b]0;title\x07"},
		"session":      answers("XXX", outreach.Accepted),
	} {
		if _, err := f.e.SubmitPage("FRA", a); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
}

// TestInvitationCarriesThePageLink: the invitation links to the mission's
// own page, and the link opens it; Invite gives a token to a mission that
// had none.
func TestInvitationCarriesThePageLink(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.opts.PageURL = "https://rsvp.example.org"
	f.e = New(f.opts)
	if _, err := f.e.Invite("FRA", "test"); err != nil {
		t.Fatal(err)
	}
	flush(t, f, 0)
	inv := remReceived(t, f, outreach.Invitation)
	if len(inv) != 1 {
		t.Fatalf("%d invitations", len(inv))
	}
	i := strings.Index(inv[0].text, "https://rsvp.example.org/r/")
	if i < 0 || !strings.Contains(inv[0].text, "trois façons de répondre") {
		t.Fatalf("the invitation has no link to the reply page:\n%s", inv[0].text)
	}
	link := strings.Fields(inv[0].text[i:])[0]
	if m, err := f.e.PageMission(strings.TrimPrefix(link, "https://rsvp.example.org/r/")); err != nil || m != "FRA" {
		t.Fatalf("the link %s opens %q, %v", link, m, err)
	}
}

// TestPageSummaryIsPlainText: what a mission typed reaches its summary as
// text in a text/plain message, never as markup.
func TestPageSummaryIsPlainText(t *testing.T) {
	f := pageFixture(t)
	a := answers("JPN", outreach.Accepted)
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	a.Delegates = []store.PageDelegate{{Name: evil}}
	a.Comment = "</pre><b>bold</b>"
	submit(t, f, "GBR", a)
	flush(t, f, 0)
	sum := remReceived(t, f, outreach.PageSummary)
	if len(sum) != 1 {
		t.Fatalf("%d summaries", len(sum))
	}
	if strings.Contains(strings.ToLower(string(sum[0].msg.Data)), "text/html") {
		t.Error("the summary has an HTML part")
	}
	text := strings.ReplaceAll(sum[0].text, "\r\n", "\n")
	if !strings.Contains(text, "  "+evil+"\n") || !strings.Contains(text, "  </pre><b>bold</b>\n") {
		t.Errorf("the summary does not quote the delegate and comment as typed:\n%s", sum[0].text)
	}
}
