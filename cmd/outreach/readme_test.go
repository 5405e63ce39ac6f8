package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeCommands returns the synopses in the first column of the README's
// command table ("missions list [--json]").
func readmeCommands(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	span := regexp.MustCompile("`([^`]+)`")
	_, table, ok := strings.Cut(string(data), "\n| command | what it does |\n|---|---|\n")
	if !ok {
		t.Fatal("README has no command table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var out []string
	for line := range strings.SplitSeq(table, "\n") {
		if !strings.HasPrefix(line, "| `") {
			t.Errorf("README command table: %q", line)
			continue
		}
		cell := line[1:]
		for i := 0; i < len(cell); i++ {
			if cell[i] == '|' && cell[i-1] != '\\' {
				cell = cell[:i]
				break
			}
		}
		for _, m := range span.FindAllStringSubmatch(cell, -1) {
			out = append(out, strings.ReplaceAll(m[1], `\|`, "|"))
		}
	}
	return out
}

// synopsisFlags returns the --flags a synopsis names.
func synopsisFlags(s string) []string {
	fl := regexp.MustCompile(`--[a-z][a-z-]*`).FindAllString(s, -1)
	slices.Sort(fl)
	return slices.Compact(fl)
}

// TestReadmeAgreesWithHelp: the README's command table lists every
// command with the synopsis its --help prints, and each synopsis names
// exactly the flags the command takes.
func TestReadmeAgreesWithHelp(t *testing.T) {
	readme := readmeCommands(t)
	var help []string
	for _, cmd := range commands() {
		syn := strings.TrimSpace(cmd.name + " " + cmd.args)
		help = append(help, syn)
		if !slices.Contains(readme, syn) {
			t.Errorf("README's command table has no `%s`", syn)
		}
		out := mustRun(t, append(strings.Fields(cmd.name), "--help")...)
		if !strings.HasPrefix(out, "Usage: outreach "+syn+"\n") {
			t.Errorf("%s --help begins %q, want the synopsis %q", cmd.name, strings.SplitN(out, "\n", 2)[0], syn)
		}
		var taken []string
		if _, flags, ok := strings.Cut(out, "\nFlags:\n"); ok {
			flags, _, _ = strings.Cut(flags, "\n\n")
			for line := range strings.SplitSeq(flags, "\n") {
				if f, _, _ := strings.Cut(strings.TrimSpace(line), "\t"); strings.HasPrefix(f, "--") {
					taken = append(taken, f)
				}
			}
		}
		slices.Sort(taken)
		if named := synopsisFlags(cmd.args); !slices.Equal(named, taken) {
			t.Errorf("%s: the synopsis names %v, the command takes %v", cmd.name, named, taken)
		}
	}
	for _, syn := range readme {
		if !slices.Contains(help, syn) {
			t.Errorf("README lists `%s`, which is no command's synopsis", syn)
		}
	}
	if out := mustRun(t, "--help"); !strings.Contains(out, "Every command takes --help.") {
		t.Errorf("outreach --help:\n%s", out)
	}
}

// TestGroupHelpListsSubcommands: --help on a command group prints its
// subcommands and succeeds; the group alone is bad usage that names them.
func TestGroupHelpListsSubcommands(t *testing.T) {
	for group, subs := range map[string][]string{
		"missions":       {"missions import FILE.csv [--json]", "missions list [--json]", "missions check [--json]"},
		"sessions panel": {"sessions panel import FILE.csv [--json]", "sessions panel list [SUR] [--json]"},
		"review":         {"review list", "review show", "review resolve"},
	} {
		for _, help := range []string{"--help", "-h"} {
			out, errs, code := outreachCmd(t, append(strings.Fields(group), help)...)
			if code != 0 || !strings.Contains(out, "Usage: outreach "+group+" SUBCOMMAND") {
				t.Errorf("%s %s: exit %d\n%s%s", group, help, code, out, errs)
			}
			for _, s := range subs {
				if !strings.Contains(out, "  "+s) {
					t.Errorf("%s %s does not list %q:\n%s", group, help, s, out)
				}
			}
		}
		out, errs, code := outreachCmd(t, strings.Fields(group)...)
		if code != 2 || !strings.Contains(errs, "needs a subcommand") {
			t.Errorf("%s: exit %d\n%s%s", group, code, out, errs)
		}
	}
	if out := mustRun(t, "help", "missions"); !strings.Contains(out, "missions check") {
		t.Errorf("help missions:\n%s", out)
	}
}
