package ical

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFoldingEveryOffset folds lines of multi-byte text starting at every
// offset and checks each physical line: at most 75 octets, valid UTF-8 on
// its own, and unfolding gives back the original.
func TestFoldingEveryOffset(t *testing.T) {
	texts := []string{
		"Côte d'Ivoire",
		"日本国政府代表部",
		"𝒰𝒫ℛ 🇨🇭 pre-session",
		"Mission permanente de la République démocratique du Congo",
		"  spaces   everywhere    ",
	}
	for _, text := range texts {
		for pad := 0; pad < 80; pad++ {
			line := "X-T:" + strings.Repeat("a", pad) + strings.Repeat(text, 12)
			var b bytes.Buffer
			writeFolded(&b, line)
			out := b.Bytes()
			for i, l := range physicalLines(out) {
				if len(l) > maxLineOctets {
					t.Fatalf("pad %d line %d: %d octets", pad, i+1, len(l))
				}
				if !utf8.ValidString(l) {
					t.Fatalf("pad %d line %d splits a UTF-8 sequence: %q", pad, i+1, l)
				}
				if i > 0 && !strings.HasPrefix(l, " ") {
					t.Fatalf("pad %d line %d: continuation without leading space", pad, i+1)
				}
				// No text here has a run of 8 spaces, so no continuation
				// needs to start with white space (some unfolders trim it).
				if i > 0 && len(l) > 1 && (l[1] == ' ' || l[1] == '\t') {
					t.Fatalf("pad %d line %d starts with white space: %q", pad, i+1, l)
				}
			}
			got, _, err := unfold(out)
			if err != nil || len(got) != 1 || got[0] != line {
				t.Fatalf("pad %d: unfold gives %q, %v", pad, got, err)
			}
		}
	}
}

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		`a\b;c,d`:         `a\\b\;c\,d`,
		"one\ntwo":        `one\ntwo`,
		"one\r\ntwo\rtri": `one\ntwo\ntri`,
		"tab\tkept":       "tab\tkept",
		"bell\a dropped":  "bell dropped",
		"bad \xff utf8":   "bad \uFFFD utf8",
		"colon: ok":       "colon: ok",
	} {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
		if got := UnescapeText(escapeText(in)); got != clean(in) {
			t.Errorf("unescapeText(escapeText(%q)) = %q", in, got)
		}
	}
}

func TestEncodeParamValue(t *testing.T) {
	for _, c := range []struct {
		in    string
		quote bool
		want  string
	}{
		{"REQ-PARTICIPANT", false, "REQ-PARTICIPANT"},
		{"Europe/Zurich", false, "Europe/Zurich"},
		{"a:b", false, `"a:b"`},
		{"a;b", false, `"a;b"`},
		{"a,b", false, `"a,b"`},
		{"O'Brien", true, `"O'Brien"`},
		{`say "hi"`, true, `"say ^'hi^'"`},
		{"two\r\nlines", true, `"two^nlines"`},
		{"^n literally", true, `"^^n literally"`},
		{`back\slash`, true, `"back\slash"`},
	} {
		got := encodeParamValue(c.in, c.quote)
		if got != c.want {
			t.Errorf("encodeParamValue(%q) = %s, want %s", c.in, got, c.want)
		}
		p, err := parseProp("X;P="+got+":v", 1)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := p.Param("P"); v != clean(c.in) {
			t.Errorf("%s reads back as %q, want %q", got, v, c.in)
		}
	}
}

func TestParsePropParams(t *testing.T) {
	p, err := parseProp(`attendee;cn="Doe, Jane";Delegated-To="mailto:a@x","mailto:b@x";RSVP=TRUE:MAILTO:j@x:y`, 7)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "ATTENDEE" || p.Value != "MAILTO:j@x:y" || p.Line != 7 {
		t.Fatalf("parsed %+v", p)
	}
	if cn, _ := p.Param("CN"); cn != "Doe, Jane" {
		t.Errorf("CN = %q", cn)
	}
	if d := p.paramValues("DELEGATED-TO"); len(d) != 2 || d[1] != "mailto:b@x" {
		t.Errorf("DELEGATED-TO = %q", d)
	}
	if r, ok := p.Param("RSVP"); !ok || r != "TRUE" {
		t.Errorf("RSVP = %q", r)
	}
}
