package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outreach/store"
)

// hostile is a name as it may sit in a store written before imports
// checked names: a screen clear, a window title (OSC), a bell and a
// right-to-left override.
const hostile = "\x1b[2J\x1b[HJa\x1b]0;owned\x07pan\u202eesrever"

// TestTerminalOutputEscapesControls: missions list, sessions show and
// status print such a name as visible escapes, never as control codes.
func TestTerminalOutputEscapesControls(t *testing.T) {
	dir, cfg := demoDir(t)
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx *store.Tx) error {
		m, err := tx.Mission("JPN")
		if err != nil {
			return err
		}
		m.Names.EN, m.Titles.EN = hostile, hostile
		return tx.PutMission(m)
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"missions", "list", "--json"}, {"sessions", "show", "JPN", "--json"}, {"status", "--json"}} {
		out := mustRun(t, append([]string{"--config", cfg}, args...)...)
		if strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.Contains(out, `Ja\u001b]0;owned\u0007pan\u202eesrever`) {
			t.Errorf("%s printed control codes or lost the name:\n%.300q", strings.Join(args, " "), out)
		}
	}
	for _, args := range [][]string{{"missions", "list"}, {"sessions", "show", "JPN"}, {"status"}, {"sessions", "list"}} {
		out := mustRun(t, append([]string{"--config", cfg}, args...)...)
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("%s printed control codes:\n%q", strings.Join(args, " "), out)
		}
		if !strings.Contains(out, `\x1b[2J\x1b[HJa\x1b]0;owned\x07pan\u202eesrever`) {
			t.Errorf("%s does not show the name escaped:\n%s", strings.Join(args, " "), out)
		}
	}
}

// putName writes a mission's English name straight into the store, as a
// store written before imports checked names may hold it.
func putName(t *testing.T, dir, id, name string) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(func(tx *store.Tx) error {
		m, err := tx.Mission(id)
		if err != nil {
			return err
		}
		m.Names.EN, m.Titles.EN, m.Language = name, name, "en"
		return tx.PutMission(m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMissionsCheckComposesEveryInvitation: a mission whose invitation
// the mailer would refuse is named by missions check, which exits 1,
// instead of "all 195 are fine".
func TestMissionsCheckComposesEveryInvitation(t *testing.T) {
	dir, cfg := demoDir(t)
	if out := mustRun(t, "--config", cfg, "missions", "check"); !strings.Contains(out, "195 of 195 invitations compose.") {
		t.Fatalf("missions check:\n%s", out)
	}
	putName(t, dir, "PER", "Per\x07u")
	putName(t, dir, "ITA", strings.Repeat("Italia ", 100))
	out, errs, code := outreachCmd(t, "--config", cfg, "missions", "check")
	if code != 1 || !strings.Contains(out, "193 of 195 invitations compose.") ||
		!strings.Contains(out, "  PER  Per\\x07u: ") || !strings.Contains(out, "  ITA  ") ||
		!strings.Contains(errs, "the invitation of 2 missions cannot be composed") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	var rep checkJSON
	out, _, _ = outreachCmd(t, "--config", cfg, "missions", "check", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Composed != 193 || len(rep.NotComposed) != 2 || rep.Reachable != 195 {
		t.Errorf("%+v", rep)
	}
}

// TestInviteDryRunWritesEveryMissionItCan: one mission whose invitation
// cannot be composed is reported with the others, and the missions after
// it are still written.
func TestInviteDryRunWritesEveryMissionItCan(t *testing.T) {
	dir, cfg := demoDir(t)
	putName(t, dir, "AFG", "Afghan\u0085istan")
	out := filepath.Join(t.TempDir(), "eml")
	stdout, errs, code := outreachCmd(t, "--config", cfg, "invite", "--dry-run", out)
	if code != 1 || !strings.Contains(stdout, "Wrote 194 messages") || !strings.Contains(errs, "1 invitations cannot be composed:\n  AFG: ") {
		t.Fatalf("exit %d\n%s%s", code, stdout, errs)
	}
	if _, err := os.Stat(filepath.Join(out, "ZWE.eml")); err != nil {
		t.Error(err)
	}
}

// TestStoreFlagNeverCreates: a mistyped --store is an error, and no file
// appears.
func TestStoreFlagNeverCreates(t *testing.T) {
	_, cfg := demoDir(t)
	missing := filepath.Join(t.TempDir(), "outreach.bd")
	for _, args := range [][]string{{"status"}, {"missions", "list"}, {"rsvp", "set", "FRA", "JPN", "accepted"}} {
		out, errs, code := outreachCmd(t, append([]string{"--config", cfg, "--store", missing}, args...)...)
		if code != 1 || !strings.Contains(errs, "--store opens an existing store only") {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%s created %s", strings.Join(args, " "), missing)
		}
	}
}

// TestReadOnlyCommandsLeaveTheStoreAlone: commands that only read do not
// write the store file: the same bytes, the same modification time.
func TestReadOnlyCommandsLeaveTheStoreAlone(t *testing.T) {
	dir, cfg := demoDir(t)
	db := filepath.Join(dir, "outreach.db")
	mustRun(t, "--config", cfg, "rsvp", "set", "FRA", "JPN", "accepted")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(db, old, old); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"missions", "list"}, {"missions", "check"}, {"sessions", "list"},
		{"sessions", "show", "JPN"}, {"sessions", "panel", "list"}, {"outbox"}, {"reminders"}, {"review", "list"},
		{"calendar", "export"}, {"invite", "--dry-run", t.TempDir()}, {"backup", filepath.Join(t.TempDir(), "copy.db")},
		{"--store", db, "status", "--json"}} {
		if args[0] != "--store" {
			args = append([]string{"--config", cfg}, args...)
		}
		mustRun(t, args...)
		after, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) || !fi.ModTime().Equal(old) {
			t.Errorf("%s changed the store (same bytes %v, modified %s)", strings.Join(args, " "), bytes.Equal(before, after), fi.ModTime())
		}
	}
}

// TestSessionsMoveAsksForForce: moving a session onto another's room and
// time, or outside the event's days, is refused without --force and
// changes nothing; with --force it is done.
func TestSessionsMoveAsksForForce(t *testing.T) {
	_, cfg := demoDir(t)
	for _, tc := range []struct {
		args []string
		says string
	}{
		// UKR is in Room XXIV on Fri 13 Oct 11:30–12:30.
		{[]string{"JPN", "--start", "2017-10-13T12:00", "--room", "Room XXIV"}, "at the same time as UKR"},
		{[]string{"ZMB", "--start", "2017-10-13T11:00"}, ""}, // UKR's time, but ZMB stays in Room XXV: no clash
		{[]string{"JPN", "--start", "2017-10-16T10:00"}, "outside the event's days (2017-10-10 to 2017-10-13)"},
		{[]string{"JPN", "--start", "2017-10-09T23:30"}, "outside the event's days"},
	} {
		args := append([]string{"--config", cfg, "sessions", "move"}, tc.args...)
		out, errs, code := outreachCmd(t, args...)
		if tc.says == "" {
			if code != 0 {
				t.Errorf("%v refused: %s%s", tc.args, out, errs)
			}
			continue
		}
		if code != 1 || !strings.Contains(errs, tc.says) || !strings.Contains(errs, "give --force") {
			t.Errorf("%v: exit %d\n%s%s", tc.args, code, out, errs)
		}
	}
	if s := mustRun(t, "--config", cfg, "sessions", "show", "JPN"); !strings.Contains(s, "Wed 11 Oct 2017 14:00") || !strings.Contains(s, "sequence 0") {
		t.Errorf("a refused move changed the session:\n%s", s)
	}
	mustRun(t, "--config", cfg, "sessions", "move", "JPN", "--start", "2017-10-13T12:00", "--room", "Room XXIV", "--force")
	mustRun(t, "--config", cfg, "sessions", "move", "LKA", "--start", "2017-10-16T10:00", "--force")
}
