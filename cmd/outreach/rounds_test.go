package main

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"outreach/jobs"
)

// roundJSON is one line of `round list --json`.
type roundJSON struct {
	Number      int    `json:"number"`
	Title       string `json:"title"`
	FirstDay    string `json:"first_day"`
	LastDay     string `json:"last_day"`
	Current     bool   `json:"current"`
	Provisional bool   `json:"provisional"`
	Venue       string `json:"venue"`
	Sessions    int    `json:"sessions"`
	Answers     int    `json:"answers"`
	Messages    int    `json:"messages"`
}

func roundList(t *testing.T, args ...string) []roundJSON {
	t.Helper()
	var rs []roundJSON
	if err := json.Unmarshal([]byte(mustRun(t, append(args, "round", "list", "--json")...)), &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

// An operator starts the next round with one command, works on it, and
// can still read the last one: `round new 29 --from FILE`, `round use`,
// --round on any command; bad input is refused with its reason and
// changes nothing.
func TestNextRoundFromTheCommandLine(t *testing.T) {
	dir, cfg := demoDir(t)
	mustRun(t, "--config", cfg, "rsvp", "set", "FRA", "ARG", "accepted")
	roundFile := recordRound29FromFile(t, dir, cfg)
	checkBadRoundInputRefused(t, dir, cfg, roundFile)
	checkRoundSetConfirmsRound29(t, cfg)

	// Round 29's sessions, before and after it becomes current.
	importRound29SessionsAndUseIt(t, dir, cfg)
	checkSessionsListedPerRound(t, cfg)
	checkAnswersAndStatusPerRound(t, cfg)

	checkFiguresAcrossBothRounds(t, cfg)
}

// recordRound29FromFile writes round 29 to a round file in dir, records
// it with `round new 29 --from`, checks round 28 stays current beside it,
// and returns the file's path.
func recordRound29FromFile(t *testing.T, dir, cfg string) string {
	t.Helper()
	roundFile := filepath.Join(dir, "round29.toml")
	os.WriteFile(roundFile, []byte(`title = "UPR Pre-sessions: 29th UPR Working Group session"
upr_session = 29
first_day = 2017-12-05
last_day = 2017-12-08
rsvp_deadline = 2017-11-28T18:00:00
provisional = true
`), 0o600)
	out := mustRun(t, "--config", cfg, "round", "new", "29", "--from", roundFile, "--venue", "Palais Wilson, Geneva")
	if !strings.Contains(out, "Round 29 recorded") || !strings.Contains(out, "still 28") {
		t.Errorf("round new says:\n%s", out)
	}
	rs := roundList(t, "--config", cfg)
	if len(rs) != 2 || !rs[0].Current || rs[0].Sessions != 14 || rs[0].Answers != 1 ||
		rs[1].Number != 29 || rs[1].Current || rs[1].Sessions != 0 || rs[1].FirstDay != "2017-12-05" {
		t.Fatalf("round list: %+v", rs)
	}
	return roundFile
}

// checkBadRoundInputRefused runs round commands with bad input — round 29
// again, a bad day, a round file of another round (roundFile), rounds not
// in the store, a round file with an unknown key — and checks each is
// refused with its reason and nothing changes.
func checkBadRoundInputRefused(t *testing.T, dir, cfg, roundFile string) {
	t.Helper()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"round", "new", "29", "--title", "again", "--first-day", "2018-01-01", "--last-day", "2018-01-02"}, "already"},
		{[]string{"round", "new", "30", "--title", "x", "--first-day", "2018-02-30", "--last-day", "2018-03-01"}, "first_day"},
		{[]string{"round", "new", "30", "--from", roundFile}, "upr_session = 29, but the round is 30"},
		{[]string{"round", "use", "31"}, "round 31"},
		{[]string{"--round", "31", "status"}, "round 31 is not in"},
	} {
		out, errs, code := outreachCmd(t, append([]string{"--config", cfg}, c.args...)...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("outreach %s: exit %d, %q%q; want exit 1 saying %q", strings.Join(c.args, " "), code, out, errs, c.want)
		}
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("title = \"x\"\nfirst_day = \"tomorrow\"\nvenu = \"Geneva\"\n"), 0o600)
	if _, errs, code := outreachCmd(t, "--config", cfg, "round", "new", "30", "--from", bad); code != 1 ||
		!strings.Contains(errs, "venu: unknown key") || !strings.Contains(errs, "first_day") {
		t.Errorf("a round file with an unknown key and a bad date: exit %d, %q", code, errs)
	}
	if rs2 := roundList(t, "--config", cfg); len(rs2) != 2 {
		t.Errorf("refused commands changed the rounds: %+v", rs2)
	}
}

// checkRoundSetConfirmsRound29: the UN confirms round 29's venue and
// days; a change of days that would leave round 28's sessions outside it
// is refused.
func checkRoundSetConfirmsRound29(t *testing.T, cfg string) {
	t.Helper()
	out := mustRun(t, "--config", cfg, "--round", "29", "round", "set", "--provisional=false", "--venue", "Palais des Nations, Geneva")
	if !strings.Contains(out, "Round 29: ") || strings.Contains(out, "provisional") {
		t.Errorf("round set says:\n%s", out)
	}
	if _, errs, code := outreachCmd(t, "--config", cfg, "round", "set", "--first-day", "2017-10-11"); code != 1 ||
		!strings.Contains(errs, "would leave sessions outside the round: ARG (2017-10-10)") {
		t.Errorf("round set leaving sessions outside: exit %d, %q", code, errs)
	}
	if rs2 := roundList(t, "--config", cfg); rs2[1].Provisional || rs2[1].Venue != "Palais des Nations, Geneva" || rs2[0].FirstDay != "2017-10-10" || !rs2[0].Provisional {
		t.Errorf("after round set: %+v", rs2)
	}
}

// importRound29SessionsAndUseIt imports two sessions into round 29 with
// --round 29 while round 28 is current, then makes round 29 current.
func importRound29SessionsAndUseIt(t *testing.T, dir, cfg string) {
	t.Helper()
	csvFile := filepath.Join(dir, "s29.csv")
	os.WriteFile(csvFile, []byte("sur,start,end,room\nFRA,2017-12-05T10:00:00+01:00,2017-12-05T11:00:00+01:00,Room XXIII\nTON,2017-12-05T11:30:00+01:00,2017-12-05T12:30:00+01:00,Room XXIII\n"), 0o600)
	mustRun(t, "--config", cfg, "--round", "29", "sessions", "import", csvFile)
	out := mustRun(t, "--config", cfg, "round", "use", "29")
	if !strings.Contains(out, "Round 29 is the current round (it was 28)") {
		t.Errorf("round use says:\n%s", out)
	}
}

// checkSessionsListedPerRound checks that `sessions list` lists round
// 29's sessions, and round 28's with --round 28 before or after the
// command; and that a --round that is no number is bad usage.
func checkSessionsListedPerRound(t *testing.T, cfg string) {
	t.Helper()
	var ss []map[string]any
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "sessions", "list", "--json")), &ss)
	if len(ss) != 2 {
		t.Errorf("round 29 lists %d sessions, want its 2", len(ss))
	}
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "--round", "28", "sessions", "list", "--json")), &ss)
	if len(ss) != 14 {
		t.Errorf("--round 28 lists %d sessions, want 14", len(ss))
	}
	ss = nil
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "sessions", "list", "--round=28", "--json")), &ss)
	if len(ss) != 14 {
		t.Errorf("sessions list --round=28 lists %d sessions, want 14", len(ss))
	}
	if _, errs, code := outreachCmd(t, "--config", cfg, "status", "--round", "x"); code != 2 || !strings.Contains(errs, "want the number of a round") {
		t.Errorf("status --round x: exit %d, %q; want bad usage", code, errs)
	}
}

// checkAnswersAndStatusPerRound records an answer in round 29, checks an
// answer for a session of round 28 only is refused, and that `status`
// gives round 29 and, with --round 28, round 28.
func checkAnswersAndStatusPerRound(t *testing.T, cfg string) {
	t.Helper()
	mustRun(t, "--config", cfg, "rsvp", "set", "FRA", "FRA", "accepted")
	if _, errs, code := outreachCmd(t, "--config", cfg, "rsvp", "set", "FRA", "ARG", "accepted"); code == 0 {
		t.Errorf("an answer for round 28's Argentina was taken in round 29: %s", errs)
	}
	var st jobs.Status
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "status", "--json")), &st)
	if st.Event.UPRSession != 29 || st.Event.FirstDay != "2017-12-05" || st.Event.Title != "UPR Pre-sessions: 29th UPR Working Group session" {
		t.Errorf("status of the current round: %+v", st.Event)
	}
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "--round", "28", "status", "--json")), &st)
	if st.Event.UPRSession != 28 || len(st.Sessions) != 14 || st.Sessions[0].Accepted != 1 {
		t.Errorf("--round 28 status: %+v, %d sessions", st.Event, len(st.Sessions))
	}
}

// checkFiguresAcrossBothRounds checks `figures` across rounds 28 and 29
// as JSON, as CSV and as CSV per mission.
func checkFiguresAcrossBothRounds(t *testing.T, cfg string) {
	t.Helper()
	var f jobs.Figures
	if err := json.Unmarshal([]byte(mustRun(t, "--config", cfg, "figures", "--json")), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Rounds) != 2 || f.Rounds[0].Attendances != 1 || f.Rounds[1].Attendances != 1 || f.Rounds[1].SuRAtOwn != 1 ||
		f.All.MissionsAttending != 1 || len(f.NeverAttended) != 194 {
		t.Errorf("figures: %+v", f)
	}
	lines, err := csv.NewReader(strings.NewReader(mustRun(t, "--config", cfg, "figures", "--csv"))).ReadAll()
	if err != nil || len(lines) != 4 || lines[1][0] != "28" || lines[2][0] != "29" || lines[3][0] != "all" || lines[3][4] != "16" {
		t.Errorf("figures --csv: %v, %v", lines, err)
	}
	lines, err = csv.NewReader(strings.NewReader(mustRun(t, "--config", cfg, "figures", "--csv", "--missions"))).ReadAll()
	if err != nil || len(lines) != 196 || lines[0][2] != "round_28_invited" {
		t.Errorf("figures --csv --missions: %d lines, %v", len(lines), err)
	}
	for _, l := range lines {
		if l[0] == "FRA" && (l[len(l)-2] != "2" || l[len(l)-1] != "2") {
			t.Errorf("FRA's record: %v; want 2 rounds attended, 2 pre-sessions", l)
		}
	}
}

// A store written by the release before rounds (schema 3: the demo's
// whole 28th round) opened by the commands: it is round 28, current, its
// figures are those its status gives, and the next round starts beside it.
func TestStoreBeforeRoundsIsRound28(t *testing.T) {
	dir, cfg := demoDir(t)
	f, err := os.Open("../../store/testdata/schema3-demo-round28.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	rs := roundList(t, "--config", cfg, "--store", old)
	if len(rs) != 1 || rs[0].Number != 28 || !rs[0].Current || rs[0].Sessions != 14 || rs[0].Messages == 0 ||
		rs[0].Title != "UPR Pre-sessions: 28th UPR Working Group session" {
		t.Fatalf("round list of the upgraded store: %+v", rs)
	}
	var st jobs.Status
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "--store", old, "status", "--json")), &st)
	var fig jobs.Figures
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "--store", old, "figures", "--json")), &fig)
	accepted, surOwn := 0, 0
	for _, s := range st.Sessions {
		accepted += s.Accepted
		if s.SuRAnswer == "accepted" {
			surOwn++
		}
	}
	if len(fig.Rounds) != 1 || fig.Rounds[0].Attendances != accepted || fig.Rounds[0].SuRAtOwn != surOwn ||
		fig.Rounds[0].MissionsAttending != 164 || fig.Rounds[0].MissionsInvited != st.Delivery["sent"] {
		t.Errorf("figures %+v; status: %d accepted, %d States at their own, %d invitations sent; the demo printed 164 missions attending",
			fig.Rounds, accepted, surOwn, st.Delivery["sent"])
	}
	mustRun(t, "--config", cfg, "--store", old, "round", "new", "29", "--title", "Round 29", "--first-day", "2017-12-05", "--last-day", "2017-12-08", "--use")
	rs = roundList(t, "--config", cfg, "--store", old)
	if len(rs) != 2 || rs[0].Current || !rs[1].Current || rs[0].Answers != roundAnswers(t, cfg, old, 28) {
		t.Errorf("after round new 29 --use: %+v", rs)
	}
}

func roundAnswers(t *testing.T, cfg, store string, n int) int {
	t.Helper()
	var st jobs.Status
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "--store", store, "--round", strconv.Itoa(n), "status", "--json")), &st)
	total := 0
	for _, s := range st.Sessions {
		total += s.Accepted + s.Declined + s.Tentative
	}
	return total
}

// The README's Rounds section shows `outreach figures` for the demo's two
// rounds: it is what the demo leaves in its store.
func TestReadmeShowsTheDemoFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("plays two demo rounds")
	}
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Rounds\n")
	if !ok {
		t.Fatal("README has no Rounds section")
	}
	_, block, ok := strings.Cut(section, "\n```\nFigures per round\n")
	if !ok {
		t.Fatal("README's Rounds section shows no `outreach figures` output")
	}
	block, _, _ = strings.Cut(block, "\n```\n")
	dir := filepath.Join(t.TempDir(), "demo")
	mustRun(t, "demo", "--once", "--rounds", "2", "--dir", dir)
	out := mustRun(t, "--store", filepath.Join(dir, "outreach.db"), "figures")
	if !strings.HasPrefix(out, "Figures per round\n"+block+"\n") {
		t.Errorf("README's figures of the demo's two rounds are not what `outreach figures` prints:\n%s", out)
	}
}
