package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outreach/store"
)

// outreachCmd runs the CLI in process and returns stdout, stderr and the
// exit status main would return.
func outreachCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := outreachCmd(t, args...)
	if code != 0 {
		t.Fatalf("outreach %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func demoDir(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "d")
	mustRun(t, "init", "--demo", dir)
	return dir, filepath.Join(dir, "outreach.toml")
}

func TestInitDemoListsEveryMission(t *testing.T) {
	_, cfg := demoDir(t)
	var ms []missionJSON
	if err := json.Unmarshal([]byte(mustRun(t, "--config", cfg, "missions", "list", "--json")), &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 195 {
		t.Fatalf("%d missions, want 195", len(ms))
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.ID] {
			t.Errorf("duplicate id %s", m.ID)
		}
		seen[m.ID] = true
		for _, v := range []string{m.Names.EN, m.Names.FR, m.Names.ES, m.Titles.EN, m.Titles.FR, m.Titles.ES} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s has an empty name or title: %+v", m.ID, m)
			}
		}
	}
	if !seen["VAT"] || !seen["PSE"] {
		t.Error("observer States missing")
	}
	var ss []sessionJSON
	if err := json.Unmarshal([]byte(mustRun(t, "--config", cfg, "sessions", "list", "--json")), &ss); err != nil {
		t.Fatal(err)
	}
	if len(ss) != 14 {
		t.Fatalf("%d sessions, want 14", len(ss))
	}
	for _, s := range ss {
		if s.TimeZone != "Europe/Zurich" || !strings.HasSuffix(s.Start, "+02:00") {
			t.Errorf("session %s not in Europe/Zurich: %s %s", s.SuR, s.Start, s.TimeZone)
		}
	}
	text := mustRun(t, "--config", cfg, "sessions", "list")
	if !strings.Contains(text, "CEST") || !strings.Contains(text, "Republic of Korea") {
		t.Errorf("sessions list text:\n%s", text)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	_, cfg := demoDir(t)
	t.Setenv("OUTREACH_CONFIG", cfg)
	if out := mustRun(t, "missions", "check"); !strings.Contains(out, "195 of 195") {
		t.Errorf("missions check: %s", out)
	}
}

func TestImportBadFilesChangesNothing(t *testing.T) {
	dir, cfg := demoDir(t)
	before := mustRun(t, "--config", cfg, "missions", "list", "--json")
	header := "id,name_en,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\n"
	cases := map[string]struct{ file, want string }{
		"wrong-column.csv":    {"id,name,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\nJPN,Japan,Japon,Japón,,,,en,new@jpn.example,\n", "line 1, column 2"},
		"duplicate-id.csv":    {header + "JPN,Japan,Japon,Japón,,,,en,new@jpn.example,\nJPN,Japan,Japon,Japón,,,,en,other@jpn.example,\n", "line 3, column id"},
		"invalid-address.csv": {header + "JPN,Japan,Japon,Japón,,,,en,new@jpn.example,\nFRA,France,France,Francia,,,,fr,not an address,\n", "line 3, column emails"},
		"bad-encoding.csv":    {header + "JPN,Japan,Japon,Japón,,,,en,new@jpn.example,\nCIV,C\xf4te d'Ivoire,C\xf4te d'Ivoire,C\xf4te d'Ivoire,,,,fr,x@civ.example,\n", "not UTF-8"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(c.file), 0o600)
		out, errs, code := outreachCmd(t, "--config", cfg, "missions", "import", path)
		if code != 1 || !strings.Contains(errs, c.want) || !strings.Contains(errs, "nothing imported") {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 1 mentioning %q", name, code, errs, out, c.want)
		}
	}
	if after := mustRun(t, "--config", cfg, "missions", "list", "--json"); after != before {
		t.Error("a refused import changed the directory")
	}
}

func TestReimportUpdatesContactsKeepsAnswers(t *testing.T) {
	dir, cfg := demoDir(t)
	// Record an answer directly, as intake would.
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Update(func(tx *store.Tx) error {
		_, err := tx.RecordRSVP(rsvpAccepted("JPN", "UKR"))
		return err
	})
	st.Close()
	path := filepath.Join(dir, "jpn.csv")
	os.WriteFile(path, []byte("id,name_en,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\n"+
		"JPN,Japan,Japon,Japón,Permanent Mission of Japan,Mission permanente du Japon,Misión Permanente del Japón,en,delegation@mofa.jp.example;geneva@jpn.mission.example,mofa.jp.example\n"), 0o600)
	out := mustRun(t, "--config", cfg, "missions", "import", path)
	if !strings.Contains(out, "1 updated") || !strings.Contains(out, "194 missions in the store are not in the file and were kept") {
		t.Errorf("import report: %s", out)
	}
	var ms []missionJSON
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "missions", "list", "--json")), &ms)
	if len(ms) != 195 {
		t.Fatalf("%d missions after a partial import", len(ms))
	}
	for _, m := range ms {
		if m.ID == "JPN" && (len(m.Contacts) != 2 || m.Contacts[0].Email != "delegation@mofa.jp.example") {
			t.Errorf("JPN contacts not updated: %+v", m.Contacts)
		}
	}
	var st2 struct {
		Sessions []struct {
			SuR      string `json:"sur"`
			Accepted int    `json:"accepted"`
		} `json:"sessions"`
	}
	json.Unmarshal([]byte(mustRun(t, "--config", cfg, "status", "--json")), &st2)
	for _, s := range st2.Sessions {
		if s.SuR == "UKR" && s.Accepted != 1 {
			t.Errorf("answer lost by re-import: UKR accepted = %d", s.Accepted)
		}
	}
}

func TestBackupReadableWithStoreFlag(t *testing.T) {
	dir, cfg := demoDir(t)
	backup := filepath.Join(dir, "copy.db")
	mustRun(t, "--config", cfg, "backup", backup)
	// Read the copy without any configuration file.
	empty := t.TempDir()
	out := mustRun(t, "--config", filepath.Join(empty, "none.toml"), "--store", backup, "missions", "list")
	if !strings.Contains(out, "195 missions") {
		t.Errorf("backup: %s", out)
	}
	out = mustRun(t, "--config", cfg, "--store", backup, "sessions", "list")
	if !strings.Contains(out, "14 sessions") {
		t.Errorf("backup sessions: %s", out)
	}
}

func TestStoreHeldByAnotherProcess(t *testing.T) {
	dir, cfg := demoDir(t)
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, errs, code := outreachCmd(t, "--config", cfg, "missions", "list")
	if code != 1 || !strings.Contains(errs, "in use by another process") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"missions"},
		{"missions", "import"},
		{"missions", "list", "--bogus"},
		{"init"},
	} {
		_, errs, code := outreachCmd(t, args...)
		if code != 2 || !strings.Contains(errs, "outreach help") {
			t.Errorf("outreach %v: exit %d, stderr %q; want 2 and a pointer to help", args, code, errs)
		}
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range commands() {
		args := append(strings.Fields(cmd.name), "--help")
		out, errs, code := outreachCmd(t, args...)
		if code != 0 || strings.Count(out, "Usage: outreach "+cmd.name) != 1 {
			t.Errorf("%s --help: exit %d, out %q, err %q", cmd.name, code, out, errs)
		}
	}
	out, _, code := outreachCmd(t, "--help")
	if code != 0 || !strings.Contains(out, "missions import") {
		t.Errorf("--help: %d %q", code, out)
	}
}

func TestMissingConfigSaysWhatToDo(t *testing.T) {
	_, errs, code := outreachCmd(t, "--config", filepath.Join(t.TempDir(), "outreach.toml"), "status")
	if code != 1 || !strings.Contains(errs, "outreach init") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestCalendarExportNeedsTheConfig: on a store copy without a
// configuration, the staff feed says what it lacks instead of writing an
// invalid calendar; with the configuration it is a PUBLISH of every session.
func TestCalendarExportNeedsTheConfig(t *testing.T) {
	dir, cfg := demoDir(t)
	out, errs, code := outreachCmd(t, "--store", filepath.Join(dir, "outreach.db"), "calendar", "export")
	if code != 1 || out != "" || !strings.Contains(errs, "--config") {
		t.Errorf("calendar export without a configuration: exit %d, out %q, err %q", code, out, errs)
	}
	feed := mustRun(t, "--config", cfg, "calendar", "export")
	if !strings.Contains(feed, "METHOD:PUBLISH") || strings.Count(feed, "BEGIN:VEVENT") != 14 {
		t.Errorf("calendar export: %d events, PUBLISH %v", strings.Count(feed, "BEGIN:VEVENT"), strings.Contains(feed, "METHOD:PUBLISH"))
	}
}

// TestRemindersList: staff see every reminder of the round with its rule,
// session or day, due time and state, in text and JSON, from a store the
// command only reads.
func TestRemindersList(t *testing.T) {
	_, cfg := demoDir(t)
	var ls []struct {
		Rule, Session, Day, State string
		At                        time.Time
		Queued                    int
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--config", cfg, "reminders", "--json")), &ls); err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, l := range ls {
		rules[l.Rule]++
		if l.State != "scheduled" && l.State != "missed" {
			t.Errorf("%s %s%s: state %q before anything was sent", l.Rule, l.Session, l.Day, l.State)
		}
		if l.At.IsZero() {
			t.Errorf("a reminder without its time: %+v", l)
		}
	}
	// The default rules: a nudge and the week-before reminder for the
	// round, a practical note for each of the round's four days.
	if len(rules) < 2 || len(ls) < 4 {
		t.Errorf("reminders %v (%d lines), want every default rule", rules, len(ls))
	}
	text := mustRun(t, "--config", cfg, "reminders")
	if !strings.HasPrefix(text, "RULE") || strings.Count(text, "\n") != len(ls)+1 || !strings.Contains(text, "nudge") || !strings.Contains(text, "the round") {
		t.Errorf("text form:\n%s", text)
	}
}
