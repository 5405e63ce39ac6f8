package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/config"
	"outreach/jobs"
	"outreach/store"
)

// pageDir is the demo directory with reply pages served.
func pageDir(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir, cfg = demoDir(t)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "[web]\n", "[web]\npublic_url = \"https://rsvp.example.org\"\n", 1)
	if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

func TestPageLinkCommand(t *testing.T) {
	_, cfg := pageDir(t)
	link := strings.TrimSpace(mustRun(t, "--config", cfg, "page", "link", "fra"))
	if !strings.HasPrefix(link, "https://rsvp.example.org/r/") || len(link) != len("https://rsvp.example.org/r/")+store.PageTokenLen {
		t.Fatalf("page link: %q", link)
	}
	if again := strings.TrimSpace(mustRun(t, "--config", cfg, "page", "link", "FRA")); again != link {
		t.Errorf("the link changed without --new: %q", again)
	}
	if renewed := strings.TrimSpace(mustRun(t, "--config", cfg, "page", "link", "FRA", "--new")); renewed == link {
		t.Errorf("--new kept the link")
	}
	_, errs, code := outreachCmd(t, "--config", cfg, "page", "link", "XXX")
	if code == 0 || !strings.Contains(errs, "no mission") {
		t.Errorf("unknown mission: exit %d, %q", code, errs)
	}
	_, plain := demoDir(t)
	_, errs, code = outreachCmd(t, "--config", plain, "page", "link", "FRA")
	if code == 0 || !strings.Contains(errs, "[web] public_url") {
		t.Errorf("without [web]: exit %d, %q", code, errs)
	}
}

// TestPageShowIsSafeOnATerminal: what a mission typed is shown as text,
// and anything that would drive a terminal is written as a visible escape.
func TestPageShowIsSafeOnATerminal(t *testing.T) {
	dir, cfgPath := pageDir(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := cfg.OutreachEvent()
	clock := jobs.NewManualClock(ev.RSVPDeadline.Add(-48 * time.Hour))
	e := jobs.New(jobs.Options{Store: st, Event: ev, Clock: clock, PageURL: cfg.Web.PublicURL})
	_, err = e.SubmitPage("GBR", jobs.PageAnswers{Answers: map[string]outreach.Status{"JPN": outreach.Accepted},
		Delegates: []store.PageDelegate{{Name: `<script>alert("x")</script>`, Email: "a@gbr.mission.example"}},
		Comment:   "line one\nline two"})
	if err != nil {
		t.Fatal(err)
	}
	// A store altered behind the page's back: control characters in a name.
	err = st.Update(func(tx *store.Tx) error {
		ps, err := tx.PageState("GBR")
		if err != nil {
			return err
		}
		ps.Delegates = append(ps.Delegates, store.PageDelegate{Name: "Eve\x1b]0;pwned\x07\u202egnp.exe"})
		return tx.PutPageState("GBR", ps)
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "--config", cfgPath, "page", "show", "GBR")
	if !strings.Contains(out, `<script>alert("x")</script> <a@gbr.mission.example>`) {
		t.Errorf("the delegate is not shown as typed:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("control characters reached the terminal:\n%q", out)
	}
	if !strings.Contains(out, "JPN") || !strings.Contains(out, "accepted") || !strings.Contains(out, "web") ||
		!strings.Contains(out, "  line one\n  line two") {
		t.Errorf("page show:\n%s", out)
	}
}
