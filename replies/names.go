package replies

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"outreach/directory"
)

// Aliases returns the other names of a State that letters use, beyond
// its UN short names in the three languages: short and long forms,
// former names, abbreviations ("Corée du Sud", "Swiss Confederation",
// "RDC"). They are the variants column of the directory's table of State
// names (directory/states.csv), which also lists the States whose names
// contain another's, so a letter naming "Guinea-Bissau" is never read as
// naming Guinea. Unknown ids give nil.
func Aliases(id string) []string { return variants()[strings.ToUpper(id)] }

// variants maps a State's id to its variants in every language.
var variants = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	states, err := directory.States()
	if err != nil {
		return out
	}
	for _, n := range states {
		out[n.ID] = append(out[n.ID], n.Variants...)
	}
	return out
})

// fold returns s in the form names and words are compared in: lower case,
// accents and other combining marks removed, ligatures spelt out, curly
// quotes and dashes made plain, runs of white space made one space.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u200b' {
			space = true
			continue
		}
		if space {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
		}
		foldRune(&b, r)
	}
	return b.String()
}

// foldRune writes r folded: ASCII in lower case, the marks and ligatures
// of foldRunes spelt plain, anything else without its combining marks.
func foldRune(b *strings.Builder, r rune) {
	switch {
	case r >= 'A' && r <= 'Z':
		b.WriteByte(byte(r + 'a' - 'A'))
	case r < utf8.RuneSelf:
		b.WriteByte(byte(r))
	case foldRunes[r] != "":
		b.WriteString(foldRunes[r])
	default:
		for _, d := range norm.NFD.String(string(r)) {
			if !unicode.Is(unicode.Mn, d) {
				b.WriteRune(unicode.ToLower(d))
			}
		}
	}
}

// foldRunes are the characters fold writes otherwise than without their
// accents: typographic quotes, dashes and ellipsis, ligatures, letters
// with a stroke, and Spanish opening marks (a space, so "¿Asistirán"
// begins a word).
var foldRunes = map[rune]string{
	'\u2018': "'", '\u2019': "'", '\u02bc': "'", '\u00b4': "'", '\u2032': "'",
	'\u201c': `"`, '\u201d': `"`, '\u00ab': `"`, '\u00bb': `"`, '\u201e': `"`, '\u2033': `"`,
	'\u2010': "-", '\u2011': "-", '\u2012': "-", '\u2013': "-", '\u2014': "-", '\u2015': "-", '\u2212': "-",
	'\u2026': "...",
	'œ':      "oe", 'Œ': "oe", 'æ': "ae", 'Æ': "ae", 'ß': "ss",
	'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l", 'ı': "i",
	'¿': " ", '¡': " ",
}

// token is one word of folded text: letters and digits.
type token struct {
	s          string
	start, end int // byte offsets in the folded text
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// tokenize splits folded text into words.
func tokenize(s string) []token {
	var out []token
	start := -1
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, token{s[start:i], start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, token{s[start:], start, len(s)})
	}
	return out
}

// stateName is one name of a State, as words.
type stateName struct {
	words []string
	id    string
}

// nameTable finds State names in folded text: the longest name at each
// position wins, so "Guinea-Bissau" is not read as "Guinea" and
// "Democratic People's Republic of Korea" not as "Republic of Korea".
type nameTable struct {
	byFirst map[string][]stateName // sorted longest first
	display map[string]string      // id → English short name
}

// allStates is the table of every State of the embedded directory with
// the aliases above; built once, never changed.
var allStates = sync.OnceValue(func() *nameTable {
	t := &nameTable{byFirst: map[string][]stateName{}, display: map[string]string{}}
	ms, err := directory.Missions()
	if err != nil {
		return t
	}
	for _, m := range ms {
		t.display[m.ID] = m.Names.EN
		for _, n := range []string{m.Names.EN, m.Names.FR, m.Names.ES} {
			t.add(n, m.ID)
		}
		for _, n := range Aliases(m.ID) {
			t.add(n, m.ID)
		}
	}
	t.sort()
	return t
})

// add registers name for id; a name with a parenthesis ("Bolivia
// (Plurinational State of)") is registered with and without it.
func (t *nameTable) add(name, id string) {
	if p := strings.IndexByte(name, '('); p > 0 {
		t.add(strings.TrimSpace(name[:p]), id)
	}
	var words []string
	for _, tk := range tokenize(fold(name)) {
		words = append(words, tk.s)
	}
	if len(words) == 0 {
		return
	}
	for _, e := range t.byFirst[words[0]] {
		if e.id == id && strings.Join(e.words, " ") == strings.Join(words, " ") {
			return
		}
	}
	t.byFirst[words[0]] = append(t.byFirst[words[0]], stateName{words: words, id: id})
}

func (t *nameTable) sort() {
	for _, l := range t.byFirst {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].words) > len(l[j].words) })
	}
}

// withSessions returns a table that also knows the sessions' own names;
// a name given for a session wins over the same name in the base table.
func (t *nameTable) withSessions(ss []Session) *nameTable {
	out := &nameTable{byFirst: make(map[string][]stateName, len(t.byFirst)), display: t.display}
	extra := &nameTable{byFirst: map[string][]stateName{}}
	for _, s := range ss {
		for _, n := range s.Names {
			extra.add(n, s.SuR)
		}
		for _, n := range Aliases(s.SuR) {
			extra.add(n, s.SuR)
		}
	}
	for k, l := range extra.byFirst {
		out.byFirst[k] = append(out.byFirst[k], l...)
	}
	for k, l := range t.byFirst {
		for _, e := range l {
			if !containsName(out.byFirst[k], e.words) {
				out.byFirst[k] = append(out.byFirst[k], e)
			}
		}
	}
	out.sort()
	return out
}

func containsName(l []stateName, words []string) bool {
	for _, e := range l {
		if len(e.words) == len(words) {
			same := true
			for i := range words {
				if e.words[i] != words[i] {
					same = false
					break
				}
			}
			if same {
				return true
			}
		}
	}
	return false
}

// mention is one State named in folded text.
type mention struct {
	id         string
	start, end int // byte offsets in the folded text
	first, n   int // token index and count
}

// find returns the States named in toks, longest name first at each
// position, left to right.
func (t *nameTable) find(toks []token) []mention {
	var out []mention
	for i := 0; i < len(toks); {
		matched := false
		for _, e := range t.byFirst[toks[i].s] {
			if i+len(e.words) > len(toks) {
				continue
			}
			ok := true
			for k := 1; k < len(e.words); k++ {
				if toks[i+k].s != e.words[k] {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, mention{id: e.id, start: toks[i].start, end: toks[i+len(e.words)-1].end, first: i, n: len(e.words)})
				i += len(e.words)
				matched = true
				break
			}
		}
		if !matched {
			i++
		}
	}
	return out
}

// name returns a State's English short name, or its id.
func (t *nameTable) name(id string) string {
	if n := t.display[id]; n != "" {
		return n
	}
	if a := Aliases(id); len(a) > 0 {
		return a[0]
	}
	return id
}
