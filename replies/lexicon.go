package replies

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// The lexicon of letters (lexicon.txt) and the reader's word lists
// (words.txt) are data, embedded: English, French and Spanish phrases in
// folded form (see fold), each saying what it means for attendance, tried
// in the order written so negations are found before the affirmations they
// contain. lexicon.txt says how it is written.

//go:embed lexicon.txt
var lexiconText string

//go:embed words.txt
var wordsText string

// cueKind is what a phrase says about attendance.
type cueKind int

const (
	cueNeutral   cueKind = iota // looks like an answer word but is not
	cueAccept                   // will attend
	cueDecline                  // will not attend
	cueTentative                // may attend
	cueExcept                   // "except": turns the answer round for what follows
	// cueCondition makes an answer conditional ("subject to confirmation
	// from the capital", "TBC", "sous réserve", "por confirmar"): it is a
	// tentative answer for what its clause names, and turns the
	// acceptances it covers into tentative ones (see decide.go).
	cueCondition
)

type cuePattern struct {
	kind cueKind
	re   *regexp.Regexp
}

// lexicon is every phrase, in the order they are tried, and patterns the
// reader looks for by name; read once from lexicon.txt. A broken embedded
// file stops the program at start: TestLexiconFile reads it.
var lexicon, patterns = mustParseLexicon(lexiconText)

var cueKinds = map[string]cueKind{
	"neutral": cueNeutral, "accept": cueAccept, "decline": cueDecline,
	"tentative": cueTentative, "condition": cueCondition, "except": cueExcept,
}

// parseLexicon reads the lexicon's format: "define NAME PATTERN",
// "[KIND]" followed by one phrase a line, "pattern NAME PATTERN", and
// "#" comments. {NAME} in a pattern is replaced by a defined piece.
func parseLexicon(text string) ([]cuePattern, map[string]*regexp.Regexp, error) {
	defs := map[string]string{}
	named := map[string]*regexp.Regexp{}
	var out []cuePattern
	kind, inList := cueNeutral, false
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		expanded, err := expandDefines(line, defs)
		if err != nil {
			return nil, nil, fmt.Errorf("lexicon line %d: %w", i+1, err)
		}
		switch word, rest, _ := strings.Cut(expanded, " "); {
		case strings.HasPrefix(line, "["):
			k, ok := cueKinds[strings.Trim(line, "[]")]
			if !ok || !strings.HasSuffix(line, "]") {
				return nil, nil, fmt.Errorf("lexicon line %d: unknown list %s", i+1, line)
			}
			kind, inList = k, true
		case word == "define" || word == "pattern":
			name, pat, ok := strings.Cut(rest, " ")
			if !ok || name == "" {
				return nil, nil, fmt.Errorf("lexicon line %d: %s needs a name and a pattern", i+1, word)
			}
			if word == "define" {
				defs[name] = pat
				continue
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, nil, fmt.Errorf("lexicon line %d: %w", i+1, err)
			}
			named[name] = re
		case !inList:
			return nil, nil, fmt.Errorf("lexicon line %d: a phrase before any [list]", i+1)
		default:
			re, err := regexp.Compile(expanded)
			if err != nil {
				return nil, nil, fmt.Errorf("lexicon line %d: %w", i+1, err)
			}
			out = append(out, cuePattern{kind, re})
		}
	}
	return out, named, nil
}

var defineRe = regexp.MustCompile(`\{(\w+)\}`)

// expandDefines replaces each {NAME} in line by its definition.
func expandDefines(line string, defs map[string]string) (string, error) {
	var missing string
	out := defineRe.ReplaceAllStringFunc(line, func(m string) string {
		name := m[1 : len(m)-1]
		if d, ok := defs[name]; ok {
			return d
		}
		missing = name
		return m
	})
	if missing != "" {
		return "", fmt.Errorf("{%s} is not defined", missing)
	}
	return out, nil
}

func mustParseLexicon(text string) ([]cuePattern, map[string]*regexp.Regexp) {
	l, named, err := parseLexicon(text)
	if err != nil {
		panic("replies: embedded " + err.Error())
	}
	return l, named
}

// pattern returns the lexicon's named pattern; a name the embedded file
// lacks stops the program at start.
func pattern(name string) *regexp.Regexp {
	re, ok := patterns[name]
	if !ok {
		panic("replies: lexicon.txt has no pattern " + name)
	}
	return re
}

// parseWords reads words.txt: "[NAME]" and the list's words after it.
func parseWords(text string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	var cur map[string]bool
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = map[string]bool{}
			out[line[1:len(line)-1]] = cur
		case cur == nil:
			return nil, fmt.Errorf("words line %d: words before any [list]", i+1)
		default:
			for _, w := range strings.Fields(line) {
				cur[w] = true
			}
		}
	}
	return out, nil
}

// wordList returns one list of words.txt; a list the embedded file lacks
// stops the program at start.
func wordList(name string) map[string]bool {
	l, ok := wordLists[name]
	if !ok {
		panic("replies: words.txt has no list " + name)
	}
	return l
}

var wordLists = func() map[string]map[string]bool {
	w, err := parseWords(wordsText)
	if err != nil {
		panic("replies: embedded " + err.Error())
	}
	return w
}()

// Phrases that name every session, or every session not named otherwise.
var (
	allRe    = pattern("all")
	othersRe = pattern("others")
	// pluralRe is "the pre-sessions" with no State named: read as all of
	// them only in a refusal (see decide.go).
	pluralRe = pattern("plural")
	// invitationRe is the invitation itself ("we decline your kind
	// invitation"): it invites to every pre-session, so declining it
	// declines them all (see decide.go).
	invitationRe = pattern("invitation")
	// exampleRe marks the invitation's own example sentence, if pasted.
	exampleRe = pattern("example")
)

// clauseSplitRe finds where a sentence divides into clauses: commas,
// semicolons, and the conjunctions that turn an answer round.
var clauseSplitRe = pattern("clauseSplit")

// missionWords precede (or follow) a State's name when the name says who
// writes, not which session: "Permanent Mission of Japan", "Mission
// permanente du Japon", "la Delegación del Perú", "the Japan Mission".
var missionWords = wordList("mission")

// togetherWords come before "with" (or its French and Spanish forms) when
// the name after it writes with the sender: "together with Peru",
// "conjointement avec le Pérou", "junto con el Perú".
var togetherWords = wordList("together")

// subjectWords may stand between the States that write and their verb:
// "Chile and Peru will both attend", "Peru, too, will attend", "le Pérou
// participera également", "Chile ne participera pas".
var subjectWords = wordList("subject")

// weWords are the writer itself after "and": "Peru and we will attend".
var weWords = wordList("we")

// sessionLeads before a State's name make it a pre-session whatever
// follows: "the pre-session on Peru", "la pré-session sur le Pérou".
var sessionLeads = wordList("sessionLead")

// functionWords are skipped when looking back from a name.
var functionWords = wordList("function")

// genevaWords before "Switzerland" make it an address, not a session.
var genevaWords = wordList("geneva")

var salutationRe = pattern("salutation")

// salutation reports whether a folded line is a greeting or closing
// rather than content.
func salutation(f string) bool { return salutationRe.MatchString(f) }
