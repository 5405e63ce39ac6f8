package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"outreach/internal/smtptest"
)

// TestRunServesReplyPages: `outreach run` with [web] serves each mission's
// page on its loopback address, a submission through it is recorded in the
// store the daemon holds, and the per-token limit configured in [web] is
// the one the pages apply.
func TestRunServesReplyPages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildOutreach(t)
	smtpSrv := smtptest.Start(t, smtptest.Hooks{})
	imapAddr := startMailbox(t)
	_, cfg := pageDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, imapAddr, sock)
	addr := freeLoopbackAddr(t)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := replaceOnce(t, string(b), "[web]\n", "[web]\nlisten = \""+addr+"\"\nper_token_burst = 3\nper_token_interval = \"1h\"\n")
	if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}

	// The round's clock: a month before the deadline.
	out := runInBackground(t, bin, cfg, nil, "--clock", "2017-09-04T07:00:00Z", "--speed", "1")

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var link string
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := client.Get("http://" + addr + "/robots.txt"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reply pages were never served on %s\n%s", addr, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	link = strings.TrimSpace(runCLI(t, bin, cfg, "page", "link", "BEN"))
	token := strings.TrimPrefix(link, "https://rsvp.example.org/r/")
	page := "http://" + addr + "/r/" + token
	resp, err := client.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<html lang="fr">`) || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("GET the page of Benin: %d\n%s", resp.StatusCode, body)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`).FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], m[2])
	}
	form.Set("a-GHA", "yes")
	resp, err = client.PostForm(page, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Merci. Vos réponses ont été enregistrées.") {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, body)
	}
	show := runCLI(t, bin, cfg, "page", "show", "BEN")
	if !regexp.MustCompile(`GHA\s+Ghana\s+accepted\s+web`).MatchString(show) {
		t.Errorf("page show after the submission:\n%s", show)
	}
	if r, err := client.Get("http://" + addr + "/r/" + strings.Repeat("A", len(token))); err != nil || r.StatusCode != 404 {
		t.Errorf("a guessed token: %v %v", r, err)
	}
	// The page was opened and submitted: the third request of the
	// configured burst of 3 is served, the fourth waits an hour.
	for i, want := range []int{200, 429} {
		r, err := client.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want || (want == 429 && r.Header.Get("Retry-After") != "3600") {
			t.Errorf("request %d to Benin's page with per_token_burst = 3: %d, Retry-After %q; want %d", 3+i, r.StatusCode, r.Header.Get("Retry-After"), want)
		}
	}
}
