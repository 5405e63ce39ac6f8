package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outreach/internal/smtptest"
)

// The daemon serves the staff desk under /desk/ on the admin listener;
// staff are added with `outreach staff add`, and the rest of the listener
// still needs the admin token.
func TestDeskServedByTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildOutreach(t)
	smtpSrv := smtptest.Start(t, smtptest.Hooks{})
	imapAddr := startMailbox(t)
	dir, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, imapAddr, sock)
	addr := freeLoopbackAddr(t)
	b, _ := os.ReadFile(cfg)
	s := replaceOnce(t, string(b), "# listen = \"127.0.0.1:8025\"", "listen = \""+addr+"\"")
	s = replaceOnce(t, s, "# token_file = \"secrets/admin-token\"", "token_env = \"OUTREACH_TEST_ADMIN_TOKEN\"")
	s = replaceOnce(t, s, "# staff_file = \"staff\"", "staff_file = \"staff\"")
	if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}

	add := exec.Command(bin, "--config", cfg, "staff", "add", "anna")
	add.Stdin = strings.NewReader("a long enough password\n")
	if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "anna can log in to the desk") {
		t.Fatalf("staff add: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "staff"))
	if strings.Contains(string(raw), "a long enough password") || !strings.Contains(string(raw), "anna:pbkdf2-sha256$") {
		t.Fatalf("the staff file keeps the password, or no hash:\n%s", raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "staff")); fi.Mode().Perm() != 0o600 {
		t.Errorf("staff file mode %v, want 0600", fi.Mode().Perm())
	}
	if list := runCLI(t, bin, cfg, "staff", "list"); list != "anna\n" {
		t.Errorf("staff list: %q", list)
	}

	out := runInBackground(t, bin, cfg, []string{"OUTREACH_TEST_ADMIN_TOKEN=admin-token-for-the-test-0123456789"})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(base + "/desk/login")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the desk was never served on %s\n%s", addr, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := client.PostForm(base+"/desk/login", url.Values{"name": {"anna"}, "password": {"a long enough password"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<h1>Today</h1>") || !strings.Contains(string(body), ">anna<") {
		t.Fatalf("after logging in: %d\n%s", resp.StatusCode, body)
	}
	// The admin API beside it still wants its token.
	resp, err = client.Get(base + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the admin API without its token: %d, want 401", resp.StatusCode)
	}
}
