package replies

import (
	"regexp"

	"outreach"
)

// The cues of a sentence: its clauses (splitClauses) and, in each, the
// phrases of the lexicon (findCues) that say attending, declining, maybe,
// a condition or an exception, in the order written. The phrases are
// the lexicon's (lexicon.txt, read by lexicon.go).

// sentenceCues are the cues of one folded sentence, clause by clause.
type sentenceCues struct {
	clauses [][2]int
	// cues holds each clause's cues, neutral phrases left out.
	cues [][]cue
	// kinds are the kinds of answer word the sentence holds (an
	// exception, which only turns an answer round, is not one).
	kinds map[cueKind]bool
}

// cuesOf finds the cues of a folded sentence.
func cuesOf(f string) sentenceCues {
	clauses := splitClauses(f)
	sc := sentenceCues{clauses: clauses, cues: make([][]cue, len(clauses)), kinds: map[cueKind]bool{}}
	for ci, c := range clauses {
		for _, cu := range findCues(f[c[0]:c[1]], c[0]) {
			if cu.kind == cueNeutral {
				continue
			}
			sc.cues[ci] = append(sc.cues[ci], cu)
			if cu.kind != cueExcept {
				sc.kinds[cu.kind] = true
			}
		}
	}
	return sc
}

// answerVerbs are the sentence's answer words that have a subject: not a
// condition, not a bare "no".
func (sc sentenceCues) answerVerbs(f string) []cue {
	var verbs []cue
	for _, cs := range sc.cues {
		for _, cu := range answerCues(cs) {
			if cu.kind != cueCondition && !bareAnswerRe.MatchString(f[cu.start:cu.end]) {
				verbs = append(verbs, cu)
			}
		}
	}
	return verbs
}

// answerKinds are the kinds of answer the sentence gives, a condition
// left out: accept, decline, tentative, in this order.
func (sc sentenceCues) answerKinds() []cueKind {
	var out []cueKind
	for _, k := range []cueKind{cueAccept, cueDecline, cueTentative} {
		if sc.kinds[k] {
			out = append(out, k)
		}
	}
	return out
}

// bareAnswerRe is an answer of one word ("Peru, no."): it has no subject.
var bareAnswerRe = regexp.MustCompile(`^\s*(?:no|non|not|nope)\b`)

// answerCues are the cues that answer: accept, decline, tentative and
// condition.
func answerCues(cs []cue) []cue {
	var out []cue
	for _, c := range cs {
		if c.kind == cueAccept || c.kind == cueDecline || c.kind == cueTentative || c.kind == cueCondition {
			out = append(out, c)
		}
	}
	return out
}

// withoutKind returns cs without the cues of kind k.
func withoutKind(cs []cue, k cueKind) []cue {
	var out []cue
	for _, c := range cs {
		if c.kind != k {
			out = append(out, c)
		}
	}
	return out
}

// hasKind reports whether cs holds a cue of kind k.
func hasKind(cs []cue, k cueKind) bool {
	for _, c := range cs {
		if c.kind == k {
			return true
		}
	}
	return false
}

// statusFor is the answer a kind of cue gives; a condition is a
// tentative answer.
func statusFor(k cueKind) outreach.Status {
	switch k {
	case cueAccept:
		return outreach.Accepted
	case cueDecline:
		return outreach.Declined
	case cueTentative, cueCondition:
		return outreach.Tentative
	}
	return outreach.None
}

// commentKinds returns the kinds of answer words in a short text.
func commentKinds(s string) map[cueKind]bool {
	k := map[cueKind]bool{}
	for _, sent := range sentences(s) {
		if sent.question {
			continue
		}
		f := fold(sent.text)
		for _, c := range splitClauses(f) {
			for _, cu := range findCues(f[c[0]:c[1]], c[0]) {
				k[cu.kind] = true
			}
		}
	}
	return k
}

// cue is one phrase found in a clause.
type cue struct {
	kind       cueKind
	start, end int
}

// findCues returns the phrases of the lexicon in s, earlier patterns
// winning overlaps, sorted by position; offset is added to positions.
func findCues(s string, offset int) []cue {
	var out []cue
	for _, p := range lexicon {
		for _, m := range p.re.FindAllStringIndex(s, 20) {
			overlap := false
			for _, c := range out {
				if m[0] < c.end-offset && c.start-offset < m[1] {
					overlap = true
					break
				}
			}
			if !overlap {
				out = append(out, cue{p.kind, m[0] + offset, m[1] + offset})
			}
		}
	}
	// insertion sort: few cues per clause
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].start < out[j-1].start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// splitClauses returns the [start,end) spans of s's clauses.
func splitClauses(s string) [][2]int {
	var out [][2]int
	start := 0
	for _, m := range clauseSplitRe.FindAllStringIndex(s, -1) {
		cut := m[1] // after , or ;
		if s[m[0]] != ',' && s[m[0]] != ';' {
			cut = m[0] // before the conjunction, which starts the next clause
		}
		if cut > start {
			out = append(out, [2]int{start, cut})
			start = cut
		}
	}
	if start < len(s) {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}
