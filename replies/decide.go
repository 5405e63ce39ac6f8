package replies

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"outreach"
)

// The decision, per session: statusOf gives each thing a sentence names
// the answer of its clause (or of a neighbouring one), turned round by an
// "except"; a condition makes an acceptance tentative; an answer that
// names nothing goes to what the sentence before or the subject named.
// Once every sentence is read, conclude turns what they said into one
// answer per pre-session, or into problems for staff.

// statusOf finds the answer for mention m in clause ci: the clause's own
// answer words, or those of a neighbouring clause when it has none. An
// "except" between the answer and the mention turns the answer round.
// It returns the answer, whether there is one, and whether it is unclear.
func (r *reader) statusOf(ci int, m located, cues [][]cue, ms [][]located) (outreach.Status, bool, bool) {
	own := answerCues(cues[ci])
	if plain := withoutKind(own, cueCondition); len(plain) > 0 {
		own = plain // "will attend ... subject to": the clause accepts, then is covered
	}
	if len(own) == 0 {
		kind, found := neighbourAnswer(ci, cues, ms)
		if !found {
			return outreach.None, false, false
		}
		return applyExcept(statusFor(kind), cues[ci], m, -1)
	}
	if r.own != "" && m.id == r.own && m.start < own[0].start {
		return outreach.None, false, false // "Japan will attend ...": the writer
	}
	kind, from, unclear := clauseAnswer(own, m)
	if unclear {
		return outreach.None, false, true
	}
	return applyExcept(statusFor(kind), cues[ci], m, from)
}

// clauseAnswer is the answer a clause's own answer words (own) give to
// mention m, and the position from which an "except" applies: the one
// answer of the clause, or, when the clause answers both ways, the last
// answer before the mention (none before it is unclear).
func clauseAnswer(own []cue, m located) (kind cueKind, from int, unclear bool) {
	var prev *cue
	mixed := false
	for i := range own {
		if own[i].kind != own[0].kind {
			mixed = true
		}
		if own[i].start < m.start {
			prev = &own[i]
		}
	}
	switch {
	case !mixed && prev == nil:
		return own[0].kind, m.start, false // mention before its verb
	case !mixed:
		return own[0].kind, prev.end, false
	case prev == nil:
		return cueNeutral, 0, true
	}
	return prev.kind, prev.end, false
}

// neighbourAnswer is the answer for a clause with none of its own: a
// following clause that is only an answer ("for Peru, unfortunately
// not"), else the last answer before, else the first after.
func neighbourAnswer(ci int, cues [][]cue, ms [][]located) (cueKind, bool) {
	if ci+1 < len(cues) && len(answerCues(cues[ci+1])) > 0 && len(ms[ci+1]) == 0 {
		return answerCues(cues[ci+1])[0].kind, true
	}
	for k := ci - 1; k >= 0; k-- {
		if a := answerCues(cues[k]); len(a) > 0 {
			return a[len(a)-1].kind, true
		}
	}
	for k := ci + 1; k < len(cues); k++ {
		if a := answerCues(cues[k]); len(a) > 0 {
			return a[0].kind, true
		}
	}
	return cueNeutral, false
}

// applyExcept turns status round when an "except" of the clause (cs)
// comes before mention m, from position from on (-1: anywhere before):
// "all except Ukraine" declines Ukraine. A tentative answer cannot be
// turned round: it is unclear.
func applyExcept(status outreach.Status, cs []cue, m located, from int) (outreach.Status, bool, bool) {
	for _, c := range cs {
		if c.kind != cueExcept || c.start >= m.start || (from >= 0 && c.start < from) {
			continue
		}
		switch status {
		case outreach.Accepted:
			return outreach.Declined, true, false
		case outreach.Declined:
			return outreach.Accepted, true, false
		}
		return outreach.None, false, true
	}
	return status, true, false
}

// conditions say what the conditions of a sentence cover: a condition
// covers what its clause names; alone in its clause, the clause after it
// when that one names sessions and has no answer of its own ("we will
// attend Japan and, provisionally, Peru"), else the whole sentence ("we
// will attend Japan, subject to confirmation").
type conditions struct {
	clause   []bool
	sentence bool
}

// covers reports whether a condition covers clause ci.
func (c conditions) covers(ci int) bool { return c.clause[ci] || c.sentence }

func conditionsOf(sc sentenceCues, clauseMs [][]located) conditions {
	c := conditions{clause: make([]bool, len(sc.clauses))}
	for ci := range sc.clauses {
		if !hasKind(sc.cues[ci], cueCondition) {
			continue
		}
		switch {
		case len(clauseMs[ci]) > 0:
			c.clause[ci] = true
		case ci+1 < len(sc.clauses) && len(clauseMs[ci+1]) > 0 && len(answerCues(sc.cues[ci+1])) == 0:
			c.clause[ci+1] = true
		default:
			c.sentence = true
		}
	}
	return c
}

// answerMentions records the answer a sentence gives to each thing it
// names. It returns the answers given to sessions (and to "all" or "the
// others"), whether anything was answered, and the sessions named
// without an answer.
func (r *reader) answerMentions(sc sentenceCues, clauseMs [][]located, cond conditions, sessionNamed bool, st *readState) (map[outreach.Status]bool, bool, []string) {
	given := map[outreach.Status]bool{}
	answered := false
	var unanswered []string
	for ci := range sc.clauses {
		for _, m := range clauseMs[ci] {
			status, ok, unclear := r.statusOf(ci, m, sc.cues, clauseMs)
			if ok && status == outreach.Accepted && cond.covers(ci) {
				status = outreach.Tentative
			}
			switch {
			case strings.HasPrefix(m.id, dateMention):
				// a date or time that names no one session: for staff
				if ok || unclear {
					st.datesAnswered = append(st.datesAnswered, m.id)
					answered = true
				}
			case unclear:
				st.unclear = append(st.unclear, m.id)
				answered = true
			case !ok:
				if r.isSession[m.id] {
					unanswered = append(unanswered, m.id)
				}
			default:
				if r.isSession[m.id] || m.id == allSessions || m.id == otherSessions {
					given[status] = true
				}
				if r.recordAnswer(m, status, sessionNamed, st) {
					answered = true
				}
			}
		}
	}
	return given, answered, unanswered
}

// recordAnswer records the answer status for what m names. It reports
// false for a State with no pre-session in the round, noted as foreign
// when the sentence names no session.
func (r *reader) recordAnswer(m located, status outreach.Status, sessionNamed bool, st *readState) bool {
	switch {
	case m.id == allSessions:
		st.all[status] = true
		st.because(allSessions, st.said())
	case m.id == otherSessions:
		st.others[status] = true
		st.because(otherSessions, st.said())
	case r.isSession[m.id]:
		addStatus(st.explicit, m.id, status)
		if st.wholeDay[dayKey(m.id, m.start)] {
			addStatus(st.byDay, m.id, status)
		} else {
			addStatus(st.byName, m.id, status)
		}
		st.named[m.id] = true
		st.because(m.id, st.said())
	default:
		if !sessionNamed {
			st.foreign = append(st.foreign, m.id)
		}
		return false
	}
	return true
}

// markMixed marks the sentence unclear when a clause answers without
// naming a session, the other way than the sentence answers for the
// sessions it names (given): "we would like to attend the pre-session on
// Japan, but we cannot".
func markMixed(sc sentenceCues, clauseMs [][]located, given map[outreach.Status]bool, st *readState) {
	for ci := range sc.clauses {
		if len(clauseMs[ci]) > 0 || ci > 0 && len(clauseMs[ci-1]) > 0 && len(answerCues(sc.cues[ci-1])) == 0 {
			continue // names sessions, or answers for those just before ("for Peru, no")
		}
		for _, cu := range answerCues(sc.cues[ci]) {
			if cu.kind == cueCondition {
				continue
			}
			lone := statusFor(cu.kind)
			for g := range given {
				if (g == outreach.Declined) != (lone == outreach.Declined) {
					st.unclear = append(st.unclear, mixedAnswer)
				}
			}
		}
	}
}

// answerUnnamed records what a sentence that answered nothing it names
// leaves: a condition that covers the letter, an answer for what the
// sentence before named or for the subject, or sessions named and left
// for the next sentence to answer ("Regarding Peru and Ukraine. We will
// attend.").
func (st *readState) answerUnnamed(f string, sc sentenceCues, answered bool, unanswered []string) {
	answerKinds := sc.answerKinds()
	switch {
	case answered:
		st.pending = nil
	case len(answerKinds) == 0 && sc.kinds[cueCondition] && len(st.pending) == 0 && (len(st.subject) == 0 || st.subjUsed):
		// A condition alone ("Our participation remains subject to
		// confirmation from the capital."): it covers the letter.
		st.condition = true
		st.condWhy = st.cur
	case len(answerKinds) == 0 && sc.kinds[cueCondition]:
		st.answerElsewhere(f, []cueKind{cueTentative}, sc.kinds)
	case len(answerKinds) > 0:
		st.answerElsewhere(f, answerKinds, sc.kinds)
	case len(unanswered) > 0:
		st.pending = unanswered
		st.pendingWhy = st.cur
	}
	if len(answerKinds) == 0 && !sc.kinds[cueCondition] {
		for _, id := range unanswered {
			if !slices.Contains(st.bare, id) {
				st.bare = append(st.bare, id)
			}
		}
	}
}

// answerElsewhere records an answer that names no session in its
// sentence: it answers what the sentence before named, or, declining
// "the pre-sessions" or the invitation, all of them, or the subject, or
// nothing clear.
func (st *readState) answerElsewhere(f string, answerKinds []cueKind, kinds map[cueKind]bool) {
	if len(answerKinds) > 1 {
		st.unclear = append(st.unclear, "")
		return
	}
	status := statusFor(answerKinds[0])
	if status == outreach.Accepted && kinds[cueCondition] {
		status = outreach.Tentative
	}
	switch {
	case len(st.pending) > 0:
		for _, id := range st.pending {
			addStatus(st.explicit, id, status)
			st.named[id] = true
			st.because(id, Because{Zone: ZoneText, Text: st.pendingWhy}, st.said())
		}
		st.pending = nil
	case status == outreach.Declined && (pluralRe.MatchString(f) || invitationRe.MatchString(f)):
		st.all[status] = true
		st.because(allSessions, st.said())
	case len(st.subject) > 0 && !st.subjUsed:
		for _, id := range st.subject {
			addStatus(st.explicit, id, status)
			st.named[id] = true
			st.because(id, Because{Zone: ZoneSubject, Text: st.subjectText}, st.said())
		}
		st.subjUsed = true
	default:
		st.noSession = append(st.noSession, status)
	}
}

func addStatus(m map[string]map[outreach.Status]bool, id string, s outreach.Status) {
	if m[id] == nil {
		m[id] = map[outreach.Status]bool{}
	}
	m[id][s] = true
}

// conclude turns what the sentences said into one answer per session, or
// into problems for staff: the answers given to sessions by name, then
// those given to "all" or "the other" pre-sessions, a condition over the
// letter, and the problems of unclear sentences, dates, States with no
// pre-session and answers for no named session.
func (r *reader) conclude(st *readState) (map[string]outreach.Status, []string, map[string][]Because) {
	answers := map[string]outreach.Status{}
	because := map[string][]Because{}
	problems := r.namedAnswers(st, answers, because)
	problems = append(problems, r.blanketAnswers(st, answers, because)...)
	applyCondition(st, answers, because)
	problems = append(problems, r.unclearProblems(st)...)
	for _, id := range uniq(st.datesAnswered) {
		if i, err := strconv.Atoi(strings.TrimPrefix(id, dateMention)); err == nil && i < len(st.dateNotes) {
			problems = append(problems, st.dateNotes[i])
		}
	}
	for _, id := range uniq(st.foreign) {
		problems = append(problems, "the letter answers for "+r.table.name(id)+", which has no pre-session in this round")
	}
	return answers, append(problems, noSessionProblems(st.noSession, answers)...), because
}

// namedAnswers sets the answer of each session answered by name (or by
// its day), in answers and because; a session answered two ways is a
// problem, unless one answer is given by its name and the others only
// through its day.
func (r *reader) namedAnswers(st *readState, answers map[string]outreach.Status, because map[string][]Because) []string {
	var problems []string
	var ids []string
	for id := range st.explicit {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		set := st.explicit[id]
		if len(set) > 1 && namedApartFromDay(set, st.byName[id], st.byDay[id]) {
			for s := range st.byName[id] {
				set = map[outreach.Status]bool{s: true}
			}
		}
		if len(set) > 1 {
			problems = append(problems, fmt.Sprintf("the letter both %s the pre-session on %s", statusWords(set), r.table.name(id)))
			continue
		}
		for s := range set {
			answers[id] = s
			because[id] = st.why[id]
		}
	}
	return problems
}

// blanketAnswers gives the answer for "the other pre-sessions" (when the
// letter names some) or for "all the pre-sessions" to every session of
// the round not cancelled and not named.
func (r *reader) blanketAnswers(st *readState, answers map[string]outreach.Status, because map[string][]Because) []string {
	var problems []string
	if len(st.others) > 1 || len(st.all) > 1 {
		problems = append(problems, "the letter gives different answers for \"all\" or \"the other\" pre-sessions")
	}
	if len(st.others) > 0 && len(st.named) == 0 {
		problems = append(problems, "the letter speaks of \"the other pre-sessions\" without naming any")
	}
	if len(st.others) != 1 && len(st.all) != 1 {
		return problems
	}
	for _, s := range r.sessions {
		if s.Cancelled || st.named[s.SuR] {
			continue
		}
		if len(st.others) == 1 && len(st.named) > 0 {
			for v := range st.others {
				answers[s.SuR] = v
				because[s.SuR] = st.why[otherSessions]
			}
		} else if len(st.all) == 1 {
			for v := range st.all {
				answers[s.SuR] = v
				because[s.SuR] = st.why[allSessions]
			}
		}
	}
	return problems
}

// applyCondition makes every acceptance tentative when a sentence makes
// the letter's answer conditional.
func applyCondition(st *readState, answers map[string]outreach.Status, because map[string][]Because) {
	if !st.condition {
		return
	}
	for id, s := range answers {
		if s == outreach.Accepted {
			answers[id] = outreach.Tentative
			because[id] = append(slices.Clip(because[id]), Because{Zone: ZoneText, Text: st.condWhy})
		}
	}
}

// unclearProblems says, once each, which answers are unclear.
func (r *reader) unclearProblems(st *readState) []string {
	var problems []string
	seen := map[string]bool{}
	for _, id := range st.unclear {
		if seen[id] {
			continue
		}
		seen[id] = true
		switch id {
		case "":
			problems = append(problems, "a sentence both accepts and declines without naming a pre-session")
		case allSessions, otherSessions:
			problems = append(problems, "the answer for \"all\" the pre-sessions is unclear")
		case mixedAnswer:
			problems = append(problems, "a sentence answers for a pre-session it names and also the other way without naming one")
		default:
			if r.isSession[id] {
				problems = append(problems, "the answer for the pre-session on "+r.table.name(id)+" is unclear")
			}
		}
	}
	return problems
}

// noSessionProblems says which answers given for no named session
// (noSession) are not already among the answers read.
func noSessionProblems(noSession []outreach.Status, answers map[string]outreach.Status) []string {
	if len(noSession) == 0 {
		return nil
	}
	var problems []string
	have := map[outreach.Status]bool{}
	for _, s := range answers {
		have[s] = true
	}
	for _, s := range uniqStatus(noSession) {
		if len(answers) == 0 {
			problems = append(problems, "the letter "+verb(s)+" but names no pre-session")
		} else if !have[s] {
			problems = append(problems, "the letter also "+verb(s)+" without naming which pre-session")
		}
	}
	return problems
}

// namedApartFromDay says whether the answers of set are one given by the
// session's name and others given only through its day: the named one is
// the exception to the day's.
func namedApartFromDay(set, byName, byDay map[outreach.Status]bool) bool {
	if len(byName) != 1 || len(byDay) == 0 {
		return false
	}
	for s := range set {
		if !byName[s] && !byDay[s] {
			return false
		}
	}
	return true
}

func verb(s outreach.Status) string {
	switch s {
	case outreach.Accepted:
		return "accepts"
	case outreach.Declined:
		return "declines"
	case outreach.Tentative:
		return "may attend"
	}
	return "answers"
}

func statusWords(set map[outreach.Status]bool) string {
	var w []string
	for _, s := range []outreach.Status{outreach.Accepted, outreach.Declined, outreach.Tentative} {
		if set[s] {
			w = append(w, verb(s))
		}
	}
	return strings.Join(w, " and ")
}

func uniq(l []string) []string {
	var out []string
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func uniqStatus(l []outreach.Status) []outreach.Status {
	var out []outreach.Status
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
