package desk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"outreach"
	"outreach/internal/testenv"
	"outreach/store"
)

// screenshot saves the whole page at width pixels into the folder named by
// OUTREACH_ARTEFACTS, else the test's temporary folder.
func screenshot(t *testing.T, ctx context.Context, name string, width int64) {
	t.Helper()
	dir := testenv.Artefacts(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || len(png) < 1000 {
		t.Fatalf("screenshot %s: %v (%d bytes)", name, err, len(png))
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDeskInABrowser: a staff member logs in, reads the morning of 10
// October, resolves the review item in one click (its script shown as
// text and never run, scripts on in the browser), and prints the door
// list without the navigation.
func TestDeskInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := testenv.Chromium(t)
	f := newFixture(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/desk/"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("name"), "anna"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("section.session"))); err != nil {
		t.Fatalf("log in: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Tuesday 10 October 2017", "10:00–11:00 · Argentina · Room XXIV", "Marie Curie", "1 waiting for review"} {
		if !strings.Contains(text, want) {
			t.Errorf("today in the browser does not show %q:\n%s", want, text)
		}
	}
	screenshot(t, ctx, "desk-today-1280.png", 1280)
	screenshot(t, ctx, "desk-today-390.png", 390)

	// Printed, the page is the door list: no navigation, no forms.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('header')).display === 'none'`))
	if err != nil {
		t.Fatal(err)
	}
	if !hidden {
		t.Errorf("the printed door list shows the navigation")
	}
	chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	}))

	// The review queue: the message's script stays text.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(f.srv.URL+"/desk/review"),
		chromedp.WaitVisible(chromedp.CSS("article.item"))); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	if err != nil {
		t.Fatal(err)
	}
	pre, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("article.item pre")))
	if err != nil {
		t.Fatal(err)
	}
	if title == "pwned" || !strings.Contains(pre, "<script>document.title='pwned'</script>") {
		t.Errorf("the message under review: title %q, text %q", title, pre)
	}
	screenshot(t, ctx, "desk-review-1280.png", 1280)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Click(chromedp.CSS(`button[value="record"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash"))); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	flash, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".flash")))
	if !strings.Contains(flash, "resolved") {
		t.Errorf("after resolving: %q", flash)
	}
	var r outreach.RSVP
	f.st.View(func(tx *store.Tx) error { r, _ = tx.RSVP("PER", "JPN"); return nil })
	if r.Status != outreach.Accepted || r.Source.Actor != "desk:anna" {
		t.Errorf("PER/JPN after the browser: %+v", r)
	}

	// Move Ghana's pre-session: the preview says how many missions get an
	// update, the confirmation queues them once. FRA and BEN hold it.
	err = f.st.Update(func(tx *store.Tx) error {
		for _, m := range []string{"FRA", "BEN"} {
			it, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: m},
				MessageID: "<inv-" + m + "@presessions.example>", Created: f.clock.Now(), Next: f.clock.Now()})
			if err != nil {
				return err
			}
			it.MarkSent(f.clock.Now())
			if err := tx.SaveOutbox(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/desk/sessions"), chromedp.WaitVisible(chromedp.ID("se-GHA")),
		chromedp.Click(chromedp.CSS(`#se-GHA + details summary`)),
		chromedp.SendKeys(chromedp.ID("ro-GHA"), "Room XXIII"),
		chromedp.SendKeys(chromedp.ID("no-GHA"), "Room XXIV is needed for a Council meeting"),
		chromedp.Click(chromedp.CSS(`form[action="/desk/sessions/GHA/move"] button[value="preview"]`)),
		chromedp.WaitVisible(chromedp.ID("pv"))); err != nil {
		t.Fatalf("move preview: %v", err)
	}
	pv, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("section.item")))
	if !strings.Contains(pv, "2 missions will get a calendar update") || !strings.Contains(pv, "Room XXIII") {
		t.Errorf("the preview says:\n%s", pv)
	}
	screenshot(t, ctx, "desk-move-preview-390.png", 390)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Click(chromedp.CSS(`button[value="confirm"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash"))); err != nil {
		t.Fatalf("move confirm: %v", err)
	}
	items, _ := f.e.Outbox()
	n := 0
	for _, it := range items {
		if it.Key.Kind == outreach.Update && it.Key.Session == "GHA" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("updates queued for GHA: %d, want 2", n)
	}
}
