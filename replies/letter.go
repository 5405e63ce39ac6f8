package replies

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"outreach"
)

// Pseudo-mentions for phrases that name sessions without naming States.
const (
	allSessions   = "*all"
	otherSessions = "*others"
	// mixedAnswer marks, among the unclear, a sentence that answers both
	// ways, one of them for no named session.
	mixedAnswer = "*mixed"
)

// letter is what a letter says.
type letter struct {
	// answers is the reading, by session; valid only without problems.
	answers map[string]outreach.Status
	// problems say why the reading cannot be trusted, for staff.
	problems []string
	// cues is set when the letter has any answer words at all.
	cues bool
	// question is set when the letter asks something.
	question bool
	// truncated is set when the letter has more sentences than are read.
	truncated bool
	// bare are the sessions the letter names in sentences without answer
	// words ("Re Ukraine: yes").
	bare      []string
	delegates int
	names     []string
	// claims are the missions the letter speaks for ("The Permanent
	// Mission of Japan presents its compliments").
	claims []string
	// because holds, for each session answered, the words that decided
	// it (see Result.Because).
	because map[string][]Because
}

// reader reads letters against the sessions of a round.
type reader struct {
	table     *nameTable
	sessions  []Session
	isSession map[string]bool
	// own is the mission the letter is matched to, "" when unknown: its
	// own name before the verb ("Japan will attend ...") is the writer,
	// not a session.
	own string
}

func newReader(base *nameTable, ss []Session, own string) *reader {
	r := &reader{table: base.withSessions(ss), sessions: ss, isSession: map[string]bool{}, own: own}
	for _, s := range ss {
		r.isSession[s.SuR] = true
	}
	return r
}

// located is a mention or pseudo-mention in a sentence.
type located struct {
	id         string
	start, end int
}

// readState carries what one sentence leaves for the next.
type readState struct {
	explicit  map[string]map[outreach.Status]bool
	all       map[outreach.Status]bool
	others    map[outreach.Status]bool
	unclear   []string
	foreign   []string
	noSession []outreach.Status
	pending   []string // sessions named in a sentence without an answer
	subject   []string // sessions named in the subject
	subjUsed  bool
	claims    map[string]bool
	named     map[string]bool // sessions named explicitly anywhere
	bare      []string        // sessions named in sentences without an answer
	countSeen bool
	condition bool // a sentence makes the letter's answer conditional
	// dateNotes say why a date or time names no one session;
	// datesAnswered are the pseudo-mentions of them a sentence answers.
	dateNotes     []string
	datesAnswered []string
	// cur is the sentence being read, as written; pendingWhy the one that
	// named the sessions in pending; subjectText the subject.
	cur, pendingWhy, subjectText string
	// why holds the words behind each answer: by session, and under
	// allSessions and otherSessions for blanket answers; condWhy the
	// sentence that makes the letter's answer conditional.
	why     map[string][]Because
	condWhy string
	// wholeDay marks the mentions ("SESSION@start") a sentence makes of
	// each session of a day it names ("the pre-sessions of 10 October");
	// byDay and byName are the answers given to a session through such a
	// day and through its own name: a session named apart from its day
	// ("We will miss the one on Pakistan") takes the answer given to it
	// by name.
	wholeDay      map[string]bool
	byDay, byName map[string]map[outreach.Status]bool
}

// because records that words decided the answer for id.
func (st *readState) because(id string, bs ...Because) {
	for _, b := range bs {
		if b.Text != "" && !slices.Contains(st.why[id], b) {
			st.why[id] = append(st.why[id], b)
		}
	}
}

// said is the sentence being read, as evidence.
func (st *readState) said() Because { return Because{Zone: ZoneText, Text: st.cur} }

// newReadState is the state of a letter with the given subject before
// its first sentence.
func newReadState(subject string) *readState {
	return &readState{explicit: map[string]map[outreach.Status]bool{}, all: map[outreach.Status]bool{},
		others: map[outreach.Status]bool{}, claims: map[string]bool{}, named: map[string]bool{},
		why: map[string][]Because{}, subjectText: subject, wholeDay: map[string]bool{},
		byDay: map[string]map[outreach.Status]bool{}, byName: map[string]map[outreach.Status]bool{}}
}

// read reads the letter's own text and subject.
func (r *reader) read(text, subject string) letter {
	st := newReadState(subject)
	var lt letter
	st.subject = r.subjectSessions(subject, st)
	sents := sentences(text)
	if len(sents) > maxSentences {
		sents = sents[:maxSentences]
		lt.truncated = true
	}
	listAfter := false
	for i, s := range sents {
		if s.question {
			lt.question = true
			continue
		}
		f := fold(s.text)
		if exampleRe.MatchString(f) && strings.Contains(f, `"`) {
			continue // the invitation's own example, pasted
		}
		st.cur = s.text
		kinds := r.sentence(f, st)
		if len(kinds) > 0 {
			lt.cues = true
		}
		listAfter = lt.delegatesIn(s, f, kinds, listAfter, i > 0 && sents[i-1].colon, st)
	}
	if lt.delegates == 0 {
		lt.delegates = len(lt.names)
	}
	lt.answers, lt.problems, lt.because = r.conclude(st)
	lt.bare = st.bare
	for id := range st.claims {
		lt.claims = append(lt.claims, id)
	}
	sort.Strings(lt.claims)
	return lt
}

var subjectPrefixRe = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|tr|rv|fw|fwd|wg|enc|ref|réf|sv|vs|r)\s*(?:\[\d+\])?\s*:\s*)+`)

// forwardPrefixRe finds a forward's prefix among a subject's prefixes.
var forwardPrefixRe = regexp.MustCompile(`(?i)(?:^|[\s:\]])(?:tr|fw|fwd|wg|rv|enc)\s*(?:\[\d+\])?\s*:`)

// subjectSessions returns the sessions a subject names, when it names at
// most three (more is the invitation's own list).
//
// A forward's subject (TR:, Fwd:, WG:, RV:, Enc: anywhere in its
// prefixes) is the forwarded message's, not the writer's: it names no
// session, so a bare "we will attend" above it goes to review.
func (r *reader) subjectSessions(subject string, st *readState) []string {
	if forwardPrefixRe.MatchString(subjectPrefixRe.FindString(subject)) {
		return nil
	}
	f := fold(subjectPrefixRe.ReplaceAllString(subject, ""))
	toks := tokenize(f)
	var out []string
	found := r.table.find(toks)
	roles := r.roles(f, toks, found)
	for _, m := range subjects(found, roles, st) {
		if r.isSession[m.id] && !slices.Contains(out, m.id) {
			out = append(out, m.id)
		}
	}
	if len(out) > 3 {
		return nil
	}
	return out
}

// subjects returns the mentions that name a State the text speaks of,
// leaving out those of the writer (each recorded as the writer's claim)
// and those in an address.
func subjects(found []mention, roles []role, st *readState) []mention {
	var out []mention
	for i, m := range found {
		switch roles[i] {
		case roleWriter:
			st.claims[m.id] = true
		case roleAddress:
		default:
			out = append(out, m)
		}
	}
	return out
}

// role is what a State's name stands for where it is written.
type role int

const (
	// roleNamed: a State named as such — a session, or a State with none.
	roleNamed role = iota
	// roleWriter: the writer, or a mission writing with it ("the Mission
	// of Peru", "on behalf of Chile and Peru", "Peru will attend").
	roleWriter
	// roleAddress: part of an address ("Geneva, Switzerland").
	roleAddress
)

// roles says what each State named in a folded sentence stands for: a
// name in a list after a writer's name ("the Missions of Chile and Peru",
// "au nom du Chili et du Pérou") is a writer too.
func (r *reader) roles(f string, toks []token, ms []mention) []role {
	out := make([]role, len(ms))
	for i, m := range ms {
		masked, claim := r.masked(toks, m)
		switch {
		case claim:
			out[i] = roleWriter
		case masked:
			out[i] = roleAddress
		case i > 0 && out[i-1] == roleWriter && listed(f, toks, ms[i-1], m):
			out[i] = roleWriter
		}
	}
	// And before: "Chile and Peru's delegations", "Chile and Peru
	// delegations", unless the list follows "the pre-sessions on".
	for i := len(ms) - 2; i >= 0; i-- {
		if out[i] == roleNamed && out[i+1] == roleWriter && listed(f, toks, ms[i], ms[i+1]) && !ledBySession(toks, ms[i]) {
			out[i] = roleWriter
		}
	}
	return out
}

// ledBySession reports whether "the pre-session on" or the like comes
// right before mention m.
func ledBySession(toks []token, m mention) bool {
	k := m.first - 1
	for k >= 0 && functionWords[toks[k].s] {
		k--
	}
	return k >= 0 && sessionLeads[toks[k].s]
}

// listWords join the names of a list: "Chile, Peru and Japan", "du Chili
// et du Pérou", "de Chile y del Perú", "Chile as well as Peru".
var listWords = map[string]bool{
	"and": true, "et": true, "y": true, "e": true, "as": true, "well": true, "ainsi": true, "que": true,
	"asi": true, "como": true, "the": true, "of": true, "de": true, "du": true, "des": true, "del": true,
	"la": true, "le": true, "l": true, "el": true, "los": true, "las": true, "d": true, "s": true,
}

// listed reports whether mention b follows mention a in one list: only
// commas, spaces and listWords between them.
func listed(f string, toks []token, a, b mention) bool {
	if a.end > b.start {
		return false
	}
	for _, c := range f[a.end:b.start] {
		if !isWordRune(c) && c != ' ' && c != ',' && c != '\'' && c != '&' {
			return false
		}
	}
	for k := a.first + a.n; k < b.first; k++ {
		if !listWords[toks[k].s] {
			return false
		}
	}
	return true
}

// masked reports whether a State's name names the writer ("Mission of
// Japan", "on behalf of Peru", "together with Peru", "Peru's delegation":
// claim) or an address ("Geneva, Switzerland") rather than a session.
func (r *reader) masked(toks []token, m mention) (masked, claim bool) {
	k := m.first - 1
	for steps := 0; k >= 0 && steps < 4 && functionWords[toks[k].s]; steps++ {
		k--
	}
	if k >= 0 {
		w, before, before2 := toks[k].s, "", ""
		if k > 0 {
			before = toks[k-1].s
		}
		if k > 1 {
			before2 = toks[k-2].s
		}
		switch {
		case missionWords[w],
			w == "behalf",                                                  // on behalf of
			w == "nom" && before == "au",                                   // au nom du
			w == "nombre" && before == "en",                                // en nombre del
			w == "part" && before == "la" && before2 == "de",               // de la part du
			w == "with" && togetherWords[before],                           // together with
			w == "avec" && togetherWords[before],                           // conjointement avec
			(w == "con" || w == "a" || w == "al") && togetherWords[before], // junto con, junto al
			w == "alongside":
			return true, true
		}
	}
	if after := m.first + m.n; after < len(toks) {
		if toks[after].s == "s" && after+1 < len(toks) { // Peru's delegation
			after++
		}
		switch toks[after].s {
		case "mission", "missions", "delegation", "delegations", "embassy", "government":
			return true, true
		}
	}
	if m.id == "CHE" {
		for k := m.first - 1; k >= 0 && k >= m.first-3; k-- {
			w := toks[k].s
			if genevaWords[w] || (len(w) == 4 && strings.Trim(w, "0123456789") == "") {
				return true, false
			}
		}
	}
	return false, false
}

// sentence reads one folded sentence into st and returns the kinds of
// answer words it holds. Its steps: the States it names and what each
// stands for (roles), its cues, who answers (the States named before an
// answer verb), the mentions of sessions, by name, date or "all", and
// the answer each is given (see decide.go).
func (r *reader) sentence(f string, st *readState) map[cueKind]bool {
	toks := tokenize(f)
	found := r.table.find(toks)
	roles := r.roles(f, toks, found)
	sc := cuesOf(f)
	r.markAnswerers(f, toks, found, roles, sc.answerVerbs(f))
	ms, sessionNamed := r.mentions(f, sc.clauses, found, roles, st)
	clauseMs := mentionsByClause(sc.clauses, ms)
	given, answered, unanswered := r.answerMentions(sc, clauseMs, conditionsOf(sc, clauseMs), sessionNamed, st)
	markMixed(sc, clauseMs, given, st)
	st.answerUnnamed(f, sc, answered, unanswered)
	return sc.kinds
}

// markAnswerers marks as writers the States named right before an answer
// verb, who answer: "Peru will attend", "Chile and Peru will both
// attend". A name after an earlier verb is its object.
func (r *reader) markAnswerers(f string, toks []token, found []mention, roles []role, verbs []cue) {
	for i, cu := range verbs {
		after := 0
		if i > 0 {
			after = verbs[i-1].end
		}
		r.markSubjects(f, toks, found, roles, after, cu.start)
	}
}

// mentions returns what a sentence names, in the order written: the
// States it speaks of (not the writer, not an address), the sessions it
// names by date or time, "all the pre-sessions" and "the other
// pre-sessions"; and whether any of them is a session.
func (r *reader) mentions(f string, clauses [][2]int, found []mention, roles []role, st *readState) ([]located, bool) {
	var ms, named []located
	for _, m := range subjects(found, roles, st) {
		ms = append(ms, located{m.id, m.start, m.end})
		if r.isSession[m.id] {
			named = append(named, ms[len(ms)-1])
		}
	}
	sessionNamed := len(named) > 0
	for _, m := range r.dateMentions(f, clauses, named, st) {
		ms = append(ms, m)
		if r.isSession[m.id] {
			sessionNamed = true
		}
	}
	for _, loc := range allRe.FindAllStringIndex(f, 5) {
		if allOfDay(f, loc[1]) {
			continue // "all the sessions on 12 October": the day's, read above
		}
		ms = append(ms, located{allSessions, loc[0], loc[1]})
	}
	for _, loc := range othersRe.FindAllStringIndex(f, 5) {
		ms = append(ms, located{otherSessions, loc[0], loc[1]})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].start < ms[j].start })
	return ms, sessionNamed
}

// mentionsByClause sorts mentions into the clauses they start in.
func mentionsByClause(clauses [][2]int, ms []located) [][]located {
	out := make([][]located, len(clauses))
	for ci, c := range clauses {
		for _, m := range ms {
			if m.start >= c[0] && m.start < c[1] {
				out[ci] = append(out[ci], m)
			}
		}
	}
	return out
}

// markSubjects marks as writers the States named right before the answer
// verb at position at, with nothing but subjectWords between: "Peru will
// attend", "The Missions of Chile and Peru will attend", "Le Pérou
// participera". A name after a colon or a dash is a label ("Peru: we will
// attend"), and one after "the pre-session on" a session.
func (r *reader) markSubjects(f string, toks []token, ms []mention, roles []role, after, at int) {
	j := -1
	for i, m := range ms {
		if m.end <= at {
			j = i
		}
	}
	objects := objectsOf(f, toks, ms, after)
	if j < 0 || roles[j] != roleNamed || objects[j] || !subjectOf(f, toks, ms[j], at) {
		return
	}
	i := j
	for i > 0 && roles[i-1] != roleAddress && !objects[i-1] && listed(f, toks, ms[i-1], ms[i]) {
		i--
	}
	if ledBySession(toks, ms[i]) {
		return
	}
	for ; i <= j; i++ {
		if roles[i] == roleNamed {
			roles[i] = roleWriter
		}
	}
}

// objectsOf marks the mentions that are objects of the verb that ends at
// after: "we will attend Japan and Peru, Ukraine will not".
func objectsOf(f string, toks []token, ms []mention, after int) []bool {
	objects := make([]bool, len(ms))
	for i, m := range ms {
		objects[i] = m.start < after
		if !objects[i] && after > 0 {
			objects[i] = true
			for k := m.first - 1; k >= 0 && toks[k].start >= after; k-- {
				if w := toks[k].s; !functionWords[w] && !sessionLeads[w] && w != "pre" {
					objects[i] = false
					break
				}
			}
		}
		if !objects[i] && i > 0 && objects[i-1] && ms[i-1].end <= m.start &&
			!strings.Contains(f[ms[i-1].end:m.start], ",") && listed(f, toks, ms[i-1], m) {
			objects[i] = true
		}
	}
	return objects
}

// subjectOf reports whether mention m is the subject of the answer verb
// at position at: only words and commas, and then only subjectWords,
// between them ("Peru will attend", "Peru and we will attend").
func subjectOf(f string, toks []token, m mention, at int) bool {
	for _, c := range f[m.end:at] {
		if !isWordRune(c) && c != ' ' && c != ',' && c != '\'' {
			return false
		}
	}
	k := m.first + m.n
	if k+1 < len(toks) && toks[k+1].start < at && (toks[k].s == "and" || toks[k].s == "et" || toks[k].s == "y") && weWords[toks[k+1].s] {
		k += 2 // "Peru and we will attend"
	}
	for ; k < len(toks) && toks[k].start < at; k++ {
		if !subjectWords[toks[k].s] {
			return false
		}
	}
	return true
}

// Delegates.
var (
	delegationTriggerRe = regexp.MustCompile(`(?i)(?:represented by|représentée?s? par|representad[ao]s? por|delegation (?:will )?(?:consist|be composed|comprise)s? of|délégation (?:sera )?(?:composée|constituée) de|delegación (?:estará )?(?:integrada|compuesta|conformada) por|following (?:delegates|representatives|persons|participants|officials|colleagues)|(?:delegates|participants|representatives|délégués|delegados|participantes|representantes)\s*:|en la persona de|en la personne de|in the person of)`)
	titledNameRe        = regexp.MustCompile(`(?:(?:H\.\s?E\.|S\.\s?E\.|His Excellency|Her Excellency|Son Excellence|Su Excelencia)\s+)?(?:Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|Dra\.?|Prof\.?|Amb\.|Ambassador|Mme\.?|Mlle\.?|M\.|Sr\.?|Sra\.?|Srta\.?|Dña\.?|Don|Doña)\s+(` + personName + `)`)
	untitledNameRe      = regexp.MustCompile(`^(?:\p{Lu}[\p{L}'’\-]+)(?:\s+(?:(?:de|da|del|van|von|der|le|la|du|bin|al|el|dos|das)\s+)?\p{Lu}[\p{L}'’\-]+){1,3}$`)
	countRe             = regexp.MustCompile(`\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)\s+(?:[a-z]+\s+)?(?:delegates?|representatives?|persons?|people|participants?|members?|diplomats?|officials?|colleagues?|officers?|delegues?|representants?|personnes?|membres?|diplomates?|fonctionnaires?|delegados?|delegadas?|representantes?|personas?|participantes?|miembros?|diplomaticos?|funcionari[oa]s?)\b`)
	listSplitRe         = regexp.MustCompile(`,|;| and | et | y | & `)
	delegationOfRe      = regexp.MustCompile(`\b(?:delegation|delegacion) (?:of|de) (\d{1,2}|two|three|four|five|six|deux|trois|quatre|cinq|dos|tres|cuatro|cinco)\b`)
)

const personName = `\p{Lu}[\p{L}'’\-]*\.?(?:\s+(?:(?:de|da|del|della|di|van|von|der|den|le|la|du|bin|binti|al|el|dos|das)\s+)?\p{Lu}[\p{L}'’\-]*\.?){0,4}`

// roleWords end a name: "Mr. Kwame Mensah First Secretary".
var roleWords = map[string]bool{
	"first": true, "second": true, "third": true, "secretary": true, "counsellor": true, "counselor": true,
	"minister": true, "attaché": true, "attache": true, "ambassador": true, "deputy": true, "permanent": true,
	"representative": true, "adviser": true, "advisor": true, "expert": true, "officer": true, "intern": true,
	"head": true, "chargé": true, "premier": true, "première": true, "deuxième": true, "troisième": true,
	"secrétaire": true, "conseiller": true, "conseillère": true, "ministre": true, "chef": true, "stagiaire": true,
	"primer": true, "primera": true, "segundo": true, "segunda": true, "tercer": true, "tercera": true,
	"secretario": true, "secretaria": true, "consejero": true, "consejera": true, "agregado": true, "agregada": true,
	"ministro": true, "ministra": true, "representante": true, "embajador": true, "embajadora": true, "jefe": true,
	"jefa": true, "pasante": true, "legal": true, "human": true, "political": true, "mission": true, "the": true,
	"upr": true, "geneva": true, "genève": true, "ginebra": true, "and": true, "et": true, "y": true, "of": true,
	"pre-session": true, "pre-sessions": true, "attachée": true, "experte": true, "asesor": true, "asesora": true,
}

// delegatesIn notes the delegates a sentence announces: the names in a
// sentence that accepts or introduces the delegation, and in the list
// lines after such a sentence (listAfter; afterColon when the sentence
// before ends with a colon), and the first count stated outside a
// refusal. It returns whether list lines may still follow.
func (lt *letter) delegatesIn(s sentence, f string, kinds map[cueKind]bool, listAfter, afterColon bool, st *readState) bool {
	trigger := delegationTriggerRe.MatchString(s.text)
	if kinds[cueAccept] || trigger || listAfter {
		for _, n := range delegateNames(s.text, trigger) {
			if !slices.Contains(lt.names, n) {
				lt.names = append(lt.names, n)
			}
		}
	}
	if s.colon && (kinds[cueAccept] || trigger) {
		listAfter = true
	} else if listAfter && !afterColon && !titledNameRe.MatchString(s.text) {
		listAfter = false
	}
	if !st.countSeen && !(kinds[cueDecline] && !kinds[cueAccept]) {
		if n := delegateCount(f); n > 0 {
			lt.delegates = n
			st.countSeen = true
		}
	}
	return listAfter
}

// delegateNames returns the people a sentence names: titled names
// anywhere, untitled ones in the list after a trigger phrase.
func delegateNames(s string, trigger bool) []string {
	var out []string
	add := func(n string) {
		n = trimName(n)
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, m := range titledNameRe.FindAllStringSubmatch(s, 20) {
		add(m[1])
	}
	if !trigger {
		return out
	}
	loc := delegationTriggerRe.FindStringIndex(s)
	if loc == nil {
		return out
	}
	tail := strings.TrimLeft(s[loc[1]:], " :")
	tail = strings.TrimRight(tail, ". ")
	for _, item := range listSplitRe.Split(tail, 20) {
		item = strings.TrimSpace(item)
		if titledNameRe.MatchString(item) {
			continue
		}
		if untitledNameRe.MatchString(item) {
			first := strings.ToLower(strings.Fields(item)[0])
			if !roleWords[first] {
				add(item)
			}
		}
	}
	return out
}

// trimName cuts a name at the first role word and trailing punctuation.
func trimName(n string) string {
	words := strings.Fields(n)
	for i, w := range words {
		if roleWords[strings.ToLower(strings.Trim(w, ".,"))] {
			words = words[:i]
			break
		}
	}
	return strings.TrimRight(strings.Join(words, " "), ".,;: ")
}

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
	"uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
}

// delegateCount returns the number of delegates a folded sentence states.
func delegateCount(f string) int {
	m := countRe.FindStringSubmatch(f)
	if m == nil {
		m = delegationOfRe.FindStringSubmatch(f)
	}
	if m == nil {
		return 0
	}
	if n, err := strconv.Atoi(m[1]); err == nil {
		if n > 0 && n <= 30 {
			return n
		}
		return 0
	}
	return numberWords[m[1]]
}

// dayKey is the key of st.wholeDay for a mention of session at start.
func dayKey(session string, start int) string { return session + "@" + strconv.Itoa(start) }

// ofDay appends to out a mention at start..end of each of ss, the sessions
// one reference to a day (or part of one, or a weekday) names, marking
// them as named together.
func (st *readState) ofDay(out []located, ss []Session, start, end int) []located {
	for _, s := range ss {
		out = append(out, located{s.SuR, start, end})
		st.wholeDay[dayKey(s.SuR, start)] = true
	}
	return out
}
