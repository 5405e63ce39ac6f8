package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func panelList(t *testing.T, cfg string, args ...string) []panelJSON {
	t.Helper()
	var ps []panelJSON
	out := mustRun(t, append([]string{"--config", cfg, "sessions", "panel", "list", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return ps
}

func TestSessionsPanelImport(t *testing.T) {
	dir, cfg := demoDir(t)
	demo := panelList(t, cfg)
	checkDemoPanels(t, demo)
	before := mustRun(t, "--config", cfg, "sessions", "panel", "list", "--json")

	badPanelFilesRefused(t, dir, cfg)
	if after := mustRun(t, "--config", cfg, "sessions", "panel", "list", "--json"); after != before {
		t.Error("a refused import changed a panel")
	}

	good := writePanelFile(t, dir, "panels.csv", panelHeader+
		"ben,Kofi Mensah,National Human Rights Institution,NHRI,7,Kofi.Mensah@nhri-ben.example,fr\n"+
		"JPN,Hiroshi Tanaka,Freedom of Expression Centre,CSO,6,hiroshi.tanaka@fec.ngo.example,\n"+
		"BEN,Eva Keller,Migrants' Rights Platform,cso,5,,\n"+
		"BEN,Ana Moreno,\"Women's Rights Network, Cotonou\",CSO,6,ana.moreno@wrn.ngo.example,es\n")
	out := mustRun(t, "--config", cfg, "sessions", "panel", "import", good)
	if !strings.Contains(out, "2 panels replaced (BEN JPN), 0 unchanged") || !strings.Contains(out, "1 speakers have no address") ||
		!strings.Contains(out, "BEN: Eva Keller") {
		t.Errorf("import output:\n%s", out)
	}
	checkImportedBENPanel(t, cfg)
	// Other sessions keep their panel.
	for i, q := range panelList(t, cfg) {
		if q.SuR != "BEN" && q.SuR != "JPN" && len(q.Panel) != len(demo[i].Panel) {
			t.Errorf("%s: panel changed", q.SuR)
		}
	}
	// The same file again changes nothing.
	if out := mustRun(t, "--config", cfg, "sessions", "panel", "import", good); !strings.Contains(out, "0 panels replaced, 2 unchanged") {
		t.Errorf("second import: %s", out)
	}
	text := mustRun(t, "--config", cfg, "sessions", "panel", "list", "ben")
	if !strings.Contains(text, "(no address)") || !strings.Contains(text, "Statement by the State under Review") ||
		!strings.Contains(text, "3 speakers in 1 sessions, 1 without an address") {
		t.Errorf("panel list text:\n%s", text)
	}
	if _, errs, code := outreachCmd(t, "--config", cfg, "sessions", "panel", "list", "FRA"); code != 1 || !strings.Contains(errs, "no session on FRA") {
		t.Errorf("list FRA: %d %q", code, errs)
	}
}

// panelHeader is the header line of a panel import file.
const panelHeader = "sur,name,organisation,kind,minutes,email,language\n"

// writePanelFile writes text to name in dir and returns its path.
func writePanelFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkDemoPanels: the demo round has 14 panels of four speakers or more
// within their slots, all with addresses and languages.
func checkDemoPanels(t *testing.T, demo []panelJSON) {
	t.Helper()
	if len(demo) != 14 {
		t.Fatalf("%d panels, want 14", len(demo))
	}
	for _, p := range demo {
		if len(p.Panel) < 4 || p.Minutes > p.SlotMinutes {
			t.Errorf("%s: %d speakers, %d of %d minutes", p.SuR, len(p.Panel), p.Minutes, p.SlotMinutes)
		}
		for _, sp := range p.Panel {
			if !strings.HasSuffix(sp.Email, ".example") || sp.Language == "" {
				t.Errorf("%s %s: address %q, language %q", p.SuR, sp.Name, sp.Email, sp.Language)
			}
		}
	}
}

// badPanelFilesRefused: each bad file is refused with exit 1, every
// problem with its line and column, and "nothing imported".
func badPanelFilesRefused(t *testing.T, dir, cfg string) {
	t.Helper()
	for name, c := range map[string]struct{ file, want string }{
		"kind.csv": {panelHeader + "BEN,Kofi Mensah,NHRI Benin,NHRI,7,kofi@nhri.example,fr\nBEN,Eva Keller,Some NGO,NGO,5,,\n", "line 3, column kind"},
		"session.csv": {panelHeader + "BEN,Kofi Mensah,NHRI Benin,NHRI,7,kofi@nhri.example,fr\nFRA,Eva Keller,Some NGO,CSO,5,,\n",
			"line 3, column sur: FRA has no session"},
		"too-long.csv": {panelHeader + strings.Repeat("JPN,Speaker,Some NGO,CSO,7,,\n", 8) + "JPN,Ninth,Some NGO,CSO,5,,\n",
			"line 10, column minutes: the panel of JPN: panel: needs 63 minutes, the slot has 60"},
		"header.csv": {"sur,name,organisation,kind,minutes,email\nBEN,Kofi Mensah,NHRI Benin,NHRI,7,kofi@nhri.example\n", "line 1, column 7"},
	} {
		out, errs, code := outreachCmd(t, "--config", cfg, "sessions", "panel", "import", writePanelFile(t, dir, name, c.file))
		if code != 1 || !strings.Contains(errs, c.want) || !strings.Contains(errs, "nothing imported") {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 1 mentioning %q", name, code, errs, out, c.want)
		}
	}
}

// checkImportedBENPanel: BEN's panel is the imported one, in file order,
// with the address and language given (English by default) and the
// minutes added up with the State's statement.
func checkImportedBENPanel(t *testing.T, cfg string) {
	t.Helper()
	ben := panelList(t, cfg, "BEN")
	if len(ben) != 1 || len(ben[0].Panel) != 3 {
		t.Fatalf("BEN: %+v", ben)
	}
	p := ben[0].Panel
	if p[0].Name != "Kofi Mensah" || p[0].Email != "Kofi.Mensah@nhri-ben.example" || p[0].Language != "fr" ||
		p[1].Name != "Eva Keller" || p[1].Email != "" || p[1].Language != "en" ||
		p[2].Organisation != "Women's Rights Network, Cotonou" || p[2].Language != "es" || ben[0].Minutes != 18+2 {
		t.Errorf("BEN panel: %+v (%d minutes)", p, ben[0].Minutes)
	}
}
