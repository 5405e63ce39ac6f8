package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"outreach/admin"
	"outreach/internal/smtptest"
	"outreach/jobs"
)

// TestRunActsOnItsRound: the daemon acts on the round current when it
// started; commands through its socket act on that round too; --round for
// another round, and changing the rounds, are refused with what to do,
// while it runs.
func TestRunActsOnItsRound(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildOutreach(t)
	smtpSrv := smtptest.Start(t, smtptest.Hooks{})
	imapAddr := startMailbox(t)
	_, cfg := demoDir(t)
	sock := socketPath(t)
	daemonConfig(t, cfg, smtpSrv.Addr, imapAddr, sock)
	runCLI(t, bin, cfg, "round", "new", "29", "--title", "Round 29", "--first-day", "2017-12-05", "--last-day", "2017-12-08", "--use")
	out := runInBackground(t, bin, cfg, nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := admin.DialSocket(context.Background(), sock)
		if err == nil {
			if _, err = a.Health(context.Background()); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not answer on its socket: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	var st jobs.Status
	if err := json.Unmarshal([]byte(runCLI(t, bin, cfg, "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Event.UPRSession != 29 || st.Event.Title != "Round 29" || len(st.Sessions) != 0 {
		t.Errorf("status through the daemon: %+v, %d sessions; want round 29, no sessions", st.Event, len(st.Sessions))
	}
	if list := runCLI(t, bin, cfg, "round", "list"); !strings.Contains(list, "*  29") {
		t.Errorf("round list through the daemon:\n%s", list)
	}
	runCLI(t, bin, cfg, "--round", "29", "figures", "--json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--round", "28", "status"}, "acts on round 29"},
		{[]string{"round", "use", "28"}, "`outreach run` is running"},
		{[]string{"round", "set", "--provisional=false"}, "`outreach run` is running"},
		{[]string{"round", "new", "30", "--title", "x", "--first-day", "2018-05-01", "--last-day", "2018-05-04"}, "`outreach run` is running"},
	} {
		cmd := exec.Command(bin, append([]string{"--config", cfg}, c.args...)...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("outreach %s while the daemon runs: %v, %q; want exit 1 saying %q", strings.Join(c.args, " "), err, errb.String(), c.want)
		}
	}
	if list := runCLI(t, bin, cfg, "round", "list"); strings.Contains(list, " 30 ") || !strings.Contains(list, "*  29") {
		t.Errorf("refused commands changed the rounds:\n%s", list)
	}
}
