package main

import (
	"path/filepath"
	"strings"
	"testing"

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
