package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRound(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte("title = \"29th\"\nupr_session = 29\nfirst_day = 2017-12-05\nlast_day = \"2017-12-08\"\nrsvp_deadline = 2017-11-28T18:00:00\nprovisional = true\n"), 0o600)
	rf, err := LoadRound(good)
	if err != nil {
		t.Fatal(err)
	}
	r := rf.Round(29)
	if r.Title != "29th" || r.FirstDay != "2017-12-05" || r.LastDay != "2017-12-08" || r.RSVPDeadline != "2017-11-28T18:00" ||
		!r.Provisional || r.Venue != "" || !rf.Defined["upr_session"] || rf.Defined["venue"] {
		t.Errorf("round %+v, keys %v", r, rf.Defined)
	}
	if err := r.Validate(); err == nil {
		t.Errorf("a round without a time zone validates")
	}

	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("title = 29\nfirst_day = 2017-12-05T10:00:00\nvenu = \"Geneva\"\n[event]\nx = 1\n"), 0o600)
	_, err = LoadRound(bad)
	if err == nil {
		t.Fatal("a round file with wrong types and unknown keys loads")
	}
	for _, want := range []string{"title", "first_day", "venu: unknown key", "event.x: unknown key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q:\n%v", want, err)
		}
	}
	if _, err := LoadRound(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("a missing round file: %v", err)
	}
}
