package outreach

import (
	"strings"
	"testing"
)

// TestPrintableEscapesTerminalControls: what a name or a message carries
// reaches a terminal as visible escapes, never as control sequences.
func TestPrintableEscapesTerminalControls(t *testing.T) {
	cases := map[string]string{
		"Japan":                           "Japan",
		"Côte d'Ivoire":                   "Côte d'Ivoire",
		"\x1b[2J\x1b[HJapan":              `\x1b[2J\x1b[HJapan`,
		"\x1b]0;owned\x07Peru":            `\x1b]0;owned\x07Peru`,
		"a\tb\r\nc\x7f":                   `a\x09b\x0d\x0ac\x7f`,
		"Next\u0085Line\u2028x\u2029":     `Next\u0085Line\u2028x\u2029`,
		"\u202egnp.exe":                   `\u202egnp.exe`,
		"x\u2066y\u2069":                  `x\u2066y\u2069`,
		"bad \xff byte":                   `bad \xff byte`,
		"keeps \uFFFD as it was given":    "keeps \uFFFD as it was given",
		"مصر \u200f (right-to-left mark)": "مصر \u200f (right-to-left mark)",
	}
	for in, want := range cases {
		got := Printable(in)
		if got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
				t.Errorf("Printable(%q) still holds %U", in, r)
			}
		}
	}
}

// TestHeaderTextDropsDirectionControls: U+202E and its kin never reach a
// header or a page; the text around them stays.
func TestHeaderTextDropsDirectionControls(t *testing.T) {
	for in, want := range map[string]string{
		"Permanent Mission of Japan":        "Permanent Mission of Japan",
		"Re: \u202eenalp\u202c invitation":  "Re: enalp invitation",
		"\u2067Mission\u2069 \u202aX\u202b": "Mission X",
		"مصر":                               "مصر",
	} {
		if got := HeaderText(in); got != want {
			t.Errorf("HeaderText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckDisplayNameIsTheMailersRule: the names an import accepts are
// the names the mailer writes.
func TestCheckDisplayNameIsTheMailersRule(t *testing.T) {
	for _, ok := range []string{"Bolivia (Plurinational State of)", "Côte d'Ivoire", "Mission\tpermanente"} {
		if err := CheckDisplayName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"Jap\x00an", "a\nb", "a\u2028b", "a\u0085b", "\x1b[31mred", "back\\slash",
		strings.Repeat("x", MaxDisplayName+1), strings.Repeat("é", 10<<10), "\xff"} {
		if err := CheckDisplayName(bad); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}
