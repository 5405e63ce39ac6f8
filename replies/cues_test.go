package replies

import (
	"strings"
	"testing"
)

// describeCues writes a sentence's cues as staff would read them:
// "accepts[we will attend] except[except]", clause by clause.
func describeCues(f string, sc sentenceCues) string {
	var parts []string
	for _, cs := range sc.cues {
		var ws []string
		for _, c := range cs {
			ws = append(ws, c.kind.String()+"["+f[c.start:c.end]+"]")
		}
		parts = append(parts, strings.Join(ws, " "))
	}
	return strings.Join(parts, " | ")
}

// The cues of one sentence, in the order written, clause by clause: an
// exception comes after the answer it turns round, and a negation is
// found whole, not as the affirmation it contains.
func TestCuesOfSentences(t *testing.T) {
	for _, c := range []struct {
		sentence, want string
	}{
		{"We will attend all the pre-sessions except Ukraine.", "accepts[will attend] except[except]"},
		{"Nous participerons à toutes les pré-sessions sauf celle sur le Bénin.", "accepts[participerons] except[sauf]"},
		{"We will attend the pre-session on Peru, but we will not be able to attend the one on Chile.",
			"accepts[will attend] | declines[not be able to attend]"},
		{"La Misión no podrá asistir a la pre-sesión sobre el Perú.", "declines[no podra asistir]"},
		{"We may attend the pre-session on Japan, subject to confirmation from the capital.",
			"may attend[may attend] | condition[subject to]"},
		{"Thank you for your invitation.", ""},
	} {
		f := fold(c.sentence)
		sc := cuesOf(f)
		if got := strings.Trim(describeCues(f, sc), " |"); got != c.want {
			t.Errorf("%s\n cues %q\n want %q", c.sentence, got, c.want)
		}
		if len(sc.cues) != len(sc.clauses) {
			t.Errorf("%s: %d clauses but cues for %d", c.sentence, len(sc.clauses), len(sc.cues))
		}
	}
}

// The kinds of answer a sentence gives leave out the exception, which
// answers nothing alone, and list accept before decline.
func TestCueKinds(t *testing.T) {
	sc := cuesOf(fold("We will attend the pre-session on Peru but not the one on Chile, except if the time changes."))
	if sc.kinds[cueExcept] {
		t.Error("an exception counted as an answer")
	}
	f := fold("We will attend the pre-session on Peru but we will not attend the one on Chile.")
	sc = cuesOf(f)
	if got := sc.answerKinds(); len(got) != 2 || got[0] != cueAccept || got[1] != cueDecline {
		t.Errorf("answer kinds = %v, want accepts, declines", got)
	}
	// Both verbs have a subject ("nous"); a bare "no" has none.
	f = fold("Nous participerons à la pré-session sur le Pérou mais nous ne participerons pas à celle sur le Chili.")
	if got := cuesOf(f).answerVerbs(f); len(got) != 2 {
		t.Errorf("answer verbs = %v, want two", got)
	}
	f = fold("Peru, no.")
	if got := cuesOf(f).answerVerbs(f); len(got) != 0 {
		t.Errorf("answer verbs of %q = %v, want none", f, got)
	}
}

// String names a cue's kind as the tests describe it.
func (k cueKind) String() string {
	switch k {
	case cueAccept:
		return "accepts"
	case cueDecline:
		return "declines"
	case cueTentative:
		return "may attend"
	case cueExcept:
		return "except"
	case cueCondition:
		return "condition"
	}
	return "neutral"
}
