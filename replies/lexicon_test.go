package replies

import (
	"strings"
	"testing"
)

// The embedded lexicon and word lists read whole, and a mistake in an
// edited copy is reported with its line, never half-read.
func TestLexiconFile(t *testing.T) {
	l, named, err := parseLexicon(lexiconText)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[cueKind]int{}
	for _, p := range l {
		kinds[p.kind]++
	}
	for _, k := range []cueKind{cueNeutral, cueAccept, cueDecline, cueTentative, cueCondition, cueExcept} {
		if kinds[k] == 0 {
			t.Errorf("no %s phrases", k)
		}
	}
	for _, n := range []string{"all", "others", "plural", "invitation", "example", "clauseSplit", "salutation"} {
		if named[n] == nil {
			t.Errorf("no pattern %s", n)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"[maybe]\n\\bperhaps\\b\n", "lexicon line 1: unknown list [maybe]"},
		{"\\bwill attend\\b\n", "lexicon line 1: a phrase before any [list]"},
		{"# x\n[accept]\n{verb} attend\n", "lexicon line 3: {verb} is not defined"},
		{"[accept]\nwill (attend\n", "lexicon line 2: error parsing regexp"},
		{"define\n", "lexicon line 1: define needs a name and a pattern"},
	} {
		if _, _, err := parseLexicon(tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.text, err, tc.want)
		}
	}
	words, err := parseWords(wordsText)
	if err != nil || !words["mission"]["delegacion"] || !words["geneva"]["saconnex"] {
		t.Errorf("words.txt: %v", err)
	}
	if _, err := parseWords("mission\n"); err == nil {
		t.Error("words before any list read")
	}
}

// What the lexicon's phrases say, in the three languages.
func TestLexiconPhrases(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []cueKind
	}{
		{"we will attend the pre-session on peru", []cueKind{cueAccept}},
		{"la mission ne participera pas", []cueKind{cueDecline}},
		{"la mision no podra asistir", []cueKind{cueDecline}},
		{"we may attend", []cueKind{cueTentative}},
		{"do not hesitate to contact us", []cueKind{cueNeutral}},
		{"subject to confirmation from the capital", []cueKind{cueCondition}},
		{"todas excepto ucrania", []cueKind{cueExcept}},
		{"la mission ne manquera pas de participer", []cueKind{cueAccept}},
	} {
		var got []cueKind
		for _, c := range findCues(tc.text, 0) {
			got = append(got, c.kind)
		}
		if len(got) == 0 || got[0] != tc.want[0] {
			t.Errorf("%q: cues %v, want first %v", tc.text, got, tc.want)
		}
	}
	if !salutation("hi all") || salutation("his excellency") || !salutation("cordialement") {
		t.Error("salutation")
	}
}
