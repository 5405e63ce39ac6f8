package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outreach"
	"outreach/internal/testenv"
	"outreach/store"
)

// scripts turns script execution in the page on or off.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// browser starts a headless Chromium with scripts disabled in every page:
// the reply page must work without them.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-GB"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, scripts(false)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the whole page as it shows at width pixels.
func screenshot(t *testing.T, ctx context.Context, dir, name string, width int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 1000 {
		t.Fatalf("screenshot %s: %d bytes", name, len(png))
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowser opens mission pages in a real browser with scripts off: each
// language at phone and desktop widths, an answer, a change of mind, and a
// submission by keyboard alone; the store and the outbox follow.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := browser(t)
	f := newFixture(t, Options{})
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	b := browsing{t: t, ctx: ctx, f: f, dir: testenv.Artefacts(t), url: ts.URL}

	// Each language, at 390 px (a phone) and 1280 px.
	for _, c := range []struct{ mission, lang, submit string }{
		{"GBR", "en", "Send the answers"}, {"FRA", "fr", "Envoyer les réponses"}, {"PER", "es", "Enviar las respuestas"},
	} {
		b.checkPageInLanguage(c.mission, c.lang, c.submit)
	}
	b.franceAnswersWithTheMouse()
	b.franceChangesItsMind()
	b.peruAnswersByKeyboardAlone()
	b.checkClosedAfterDeadline()
}

// browsing is a browser on the reply pages of a fixture's server at url,
// saving screenshots in dir.
type browsing struct {
	t        *testing.T
	ctx      context.Context
	f        *fixture
	dir, url string
}

// page is mission's reply page.
func (b browsing) page(mission string) string { return b.url + "/r/" + b.f.tokens[mission] }

// checkPageInLanguage: mission's page is in lang, with its submit button
// labelled so; on a phone nothing is wider than the screen.
func (b browsing) checkPageInLanguage(mission, lang, submit string) {
	t, ctx := b.t, b.ctx
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(b.page(mission)),
		chromedp.WaitVisible(chromedp.CSS("form"))); err != nil {
		t.Fatalf("%s: %v", mission, err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	if err != nil {
		t.Fatal(err)
	}
	button, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("button[type=submit]")))
	if err != nil {
		t.Fatal(err)
	}
	if attr.Value != lang || strings.TrimSpace(button) != submit {
		t.Errorf("%s: lang %q, button %q; want %s, %q", mission, attr.Value, button, lang, submit)
	}
	screenshot(t, ctx, b.dir, "page-"+lang+"-390.png", 390)
	screenshot(t, ctx, b.dir, "page-"+lang+"-1280.png", 1280)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 900)); err != nil {
		t.Fatal(err)
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if wide {
		t.Errorf("%s: the page scrolls sideways at 390 px", mission)
	}
}

// franceAnswersWithTheMouse: Japan yes, Peru no, a delegate. The
// confirmation page is in French, the answers are stored from the web and
// one calendar request is queued, which the outbox then sends (as its
// worker would).
func (b browsing) franceAnswersWithTheMouse() {
	t, ctx, f := b.t, b.ctx, b.f
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(b.page("FRA")),
		chromedp.WaitVisible(chromedp.CSS("form")),
		chromedp.Click(chromedp.CSS(`input[name="a-JPN"][value="yes"]`)),
		chromedp.Click(chromedp.CSS(`input[name="a-PER"][value="no"]`)),
		chromedp.SendKeys(chromedp.ID("d-name-1"), "Marie Curie"),
		chromedp.SendKeys(chromedp.ID("d-email-1"), "marie@fra.mission.example"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".done"))); err != nil {
		t.Fatalf("France answers: %v", err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".done")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(done, "Merci. Vos réponses ont été enregistrées.") || !strings.Contains(done, "Japon") {
		t.Errorf("confirmation page: %q", done)
	}
	screenshot(t, ctx, b.dir, "done-fr-390.png", 390)
	screenshot(t, ctx, b.dir, "done-fr-1280.png", 1280)
	if r := f.rsvp("FRA", "JPN"); r.Status != outreach.Accepted || r.Source.Kind != outreach.FromWeb ||
		strings.Join(r.DelegateNames, ",") != "Marie Curie" {
		t.Errorf("FRA/JPN in the store: %+v", r)
	}
	if r := f.rsvp("FRA", "PER"); r.Status != outreach.Declined {
		t.Errorf("FRA/PER in the store: %+v", r)
	}
	reqs := f.outbox(outreach.Confirmation, "FRA")
	if len(reqs) != 1 || reqs[0].Key.Session != "JPN" {
		t.Fatalf("calendar requests queued for France: %+v", reqs)
	}
	err = f.st.Update(func(tx *store.Tx) error {
		it := reqs[0]
		it.MarkSent(f.clock.Now())
		return tx.SaveOutbox(it)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// franceChangesItsMind: Japan given up, the same page sent twice: one
// withdrawal, no second request.
func (b browsing) franceChangesItsMind() {
	t, ctx, f := b.t, b.ctx, b.f
	t.Helper()
	for i := 0; i < 2; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate(b.page("FRA")), chromedp.WaitVisible(chromedp.CSS("form")),
			chromedp.Click(chromedp.CSS(`input[name="a-JPN"][value="no"]`)),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS(".done"))); err != nil {
			t.Fatalf("change of mind: %v", err)
		}
	}
	if r := f.rsvp("FRA", "JPN"); r.Status != outreach.Declined {
		t.Errorf("FRA/JPN after the change: %+v", r)
	}
	if c := f.outbox(outreach.Withdrawal, "FRA"); len(c) != 1 || c[0].Key.Session != "JPN" {
		t.Errorf("calendar cancellations queued: %+v, want one for JPN", c)
	}
	if n := len(f.outbox(outreach.Confirmation, "FRA")); n != 1 {
		t.Errorf("calendar requests: %d, want still 1", n)
	}
}

// peruAnswersByKeyboardAlone: Tab past the skip link and the two other
// languages to the first pre-session's answers, arrows to choose, Tab on
// to the button, Enter; both answers are recorded.
func (b browsing) peruAnswersByKeyboardAlone() {
	t, ctx, f := b.t, b.ctx, b.f
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(b.page("PER")), chromedp.WaitVisible(chromedp.CSS("form"))}
	for i := 0; i < 4; i++ {
		steps = append(steps, chromedp.KeyEvent(kb.Tab))
	}
	// On "not yet decided" of the first session (Argentina): up twice is
	// "will attend".
	steps = append(steps, chromedp.KeyEvent(kb.ArrowUp), chromedp.KeyEvent(kb.ArrowUp))
	// The next session (Benin): up once is "will not attend".
	steps = append(steps, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.ArrowUp))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("keyboard: %v", err)
	}
	// Tab through the other twelve sessions, six delegate fields (three
	// rows) and the comment to the button.
	var more []chromedp.Action[chromedp.Void]
	for i := 0; i < 12+6+1+1; i++ {
		more = append(more, chromedp.KeyEvent(kb.Tab))
	}
	more = append(more, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".done")))
	if err := chromedp.Do(ctx, more...); err != nil {
		t.Fatalf("keyboard submission: %v", err)
	}
	screenshot(t, ctx, b.dir, "done-es-390.png", 390)
	if r := f.rsvp("PER", "ARG"); r.Status != outreach.Accepted {
		t.Errorf("PER/ARG after the keyboard: %+v", r)
	}
	if r := f.rsvp("PER", "BEN"); r.Status != outreach.Declined {
		t.Errorf("PER/BEN after the keyboard: %+v", r)
	}
	if n := len(f.history("PER")); n != 2 {
		t.Errorf("PER history: %d answers, want 2", n)
	}
}

// checkClosedAfterDeadline: after the deadline the page shows the answers
// as recorded and whom to contact.
func (b browsing) checkClosedAfterDeadline() {
	t, ctx, f := b.t, b.ctx, b.f
	t.Helper()
	f.clock.Set(f.event.RSVPDeadline.Add(time.Minute))
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(b.page("FRA")), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	closed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(closed, "Le délai de réponse est passé") || !strings.Contains(closed, "staff@presessions.example") {
		t.Errorf("closed page: %q", closed)
	}
	screenshot(t, ctx, b.dir, "closed-fr-1280.png", 1280)
}
