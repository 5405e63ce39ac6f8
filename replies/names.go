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

// Aliases returns the names of a State known to this package beyond the UN
// short names: English, French and Spanish variants, short and long forms,
// with and without accents (matching ignores accents and case anyway).
// It covers at least every State under Review of the 28th round, and the
// States whose names contain another's ("Democratic People's Republic of
// Korea", "Guinea-Bissau", "Dominican Republic"), so a letter naming one is
// never read as naming the other. Unknown ids give nil.
func Aliases(id string) []string {
	switch strings.ToUpper(id) {
	case "ARG":
		return []string{"Argentina", "Argentine", "Argentine Republic", "République argentine", "República Argentina"}
	case "BEN":
		return []string{"Benin", "Bénin", "Benín", "Republic of Benin", "République du Bénin", "República de Benín"}
	case "CZE":
		return []string{"Czechia", "Czech Republic", "Tchéquie", "République tchèque", "Chequia", "República Checa"}
	case "GAB":
		return []string{"Gabon", "Gabón", "Gabonese Republic", "République gabonaise", "República Gabonesa"}
	case "GHA":
		return []string{"Ghana", "Republic of Ghana", "République du Ghana", "República de Ghana"}
	case "GTM":
		return []string{"Guatemala", "Republic of Guatemala", "République du Guatemala", "República de Guatemala"}
	case "JPN":
		return []string{"Japan", "Japon", "Japón"}
	case "PAK":
		return []string{"Pakistan", "Pakistán", "Islamic Republic of Pakistan", "République islamique du Pakistan", "República Islámica del Pakistán"}
	case "PER":
		return []string{"Peru", "Perú", "Pérou", "Perou", "Republic of Peru", "République du Pérou", "República del Perú"}
	case "KOR":
		return []string{"Republic of Korea", "Korea", "South Korea", "Korea, Republic of", "ROK",
			"République de Corée", "Corée", "Corée du Sud", "República de Corea", "Corea", "Corea del Sur"}
	case "LKA":
		return []string{"Sri Lanka", "Democratic Socialist Republic of Sri Lanka", "République socialiste démocratique de Sri Lanka", "República Socialista Democrática de Sri Lanka"}
	case "CHE":
		return []string{"Switzerland", "Swiss Confederation", "Suisse", "Confédération suisse", "Suiza", "Confederación Suiza"}
	case "UKR":
		return []string{"Ukraine", "Ucrania"}
	case "ZMB":
		return []string{"Zambia", "Zambie", "Republic of Zambia", "République de Zambie", "República de Zambia"}
	// States whose names contain or resemble a State under Review's.
	case "PRK":
		return []string{"Democratic People's Republic of Korea", "DPRK", "North Korea", "Korea, Democratic People's Republic of",
			"République populaire démocratique de Corée", "Corée du Nord", "República Popular Democrática de Corea", "Corea del Norte"}
	case "GIN":
		return []string{"Guinea", "Guinée", "Republic of Guinea", "République de Guinée", "Guinea Conakry", "Guinée-Conakry"}
	case "GNB":
		return []string{"Guinea-Bissau", "Guinée-Bissau", "Guinea Bissau"}
	case "GNQ":
		return []string{"Equatorial Guinea", "Guinée équatoriale", "Guinea Ecuatorial"}
	case "PNG":
		return []string{"Papua New Guinea", "Papouasie-Nouvelle-Guinée", "Papua Nueva Guinea"}
	case "DMA":
		return []string{"Dominica", "Dominique", "Commonwealth of Dominica"}
	case "DOM":
		return []string{"Dominican Republic", "République dominicaine", "República Dominicana"}
	case "NER":
		return []string{"Niger", "Níger", "Republic of the Niger"}
	case "NGA":
		return []string{"Nigeria", "Nigéria", "Federal Republic of Nigeria"}
	case "COD":
		return []string{"Democratic Republic of the Congo", "DR Congo", "DRC", "Congo-Kinshasa", "RDC", "RD Congo", "République démocratique du Congo", "República Democrática del Congo"}
	case "COG":
		return []string{"Congo", "Republic of the Congo", "Congo-Brazzaville", "République du Congo", "República del Congo"}
	case "SSD":
		return []string{"South Sudan", "Soudan du Sud", "Sudán del Sur"}
	case "SDN":
		return []string{"Sudan", "Soudan", "Sudán"}
	case "MDA":
		return []string{"Republic of Moldova", "Moldova", "Moldavie", "Moldavia"}
	case "GEO":
		return []string{"Georgia", "Géorgie"}
	case "IRL":
		return []string{"Ireland", "Irlande", "Irlanda"}
	case "NZL":
		return []string{"New Zealand", "Nouvelle-Zélande", "Nueva Zelandia", "Nueva Zelanda"}
	case "GBR":
		return []string{"United Kingdom", "UK", "Great Britain", "Royaume-Uni", "Reino Unido"}
	case "USA":
		return []string{"United States", "USA", "États-Unis", "Estados Unidos"}
	case "RUS":
		return []string{"Russia", "Russie", "Rusia"}
	case "IRN":
		return []string{"Iran", "Irán"}
	case "SYR":
		return []string{"Syria", "Syrie", "Siria"}
	case "BOL":
		return []string{"Bolivia", "Bolivie"}
	case "VEN":
		return []string{"Venezuela"}
	case "TZA":
		return []string{"Tanzania", "Tanzanie", "Tanzanía"}
	case "VNM":
		return []string{"Vietnam", "Viêt Nam"}
	case "LAO":
		return []string{"Laos", "Lao PDR"}
	case "TUR":
		return []string{"Turkey", "Turquie", "Turquía", "Türkiye"}
	case "NLD":
		return []string{"Netherlands", "Pays-Bas", "Países Bajos", "Holland"}
	case "CIV":
		return []string{"Côte d'Ivoire", "Ivory Coast", "Costa de Marfil"}
	case "CPV":
		return []string{"Cabo Verde", "Cape Verde", "Cap-Vert"}
	case "SWZ":
		return []string{"Eswatini", "Swaziland"}
	case "MKD":
		return []string{"North Macedonia", "Macedonia"}
	case "MMR":
		return []string{"Myanmar", "Burma", "Birmanie"}
	case "VAT":
		return []string{"Holy See", "Vatican", "Saint-Siège", "Santa Sede"}
	case "PSE":
		return []string{"State of Palestine", "Palestine", "Palestina"}
	case "FSM":
		return []string{"Micronesia", "Micronésie"}
	}
	return nil
}

// fold returns s in the form names and words are compared in: lower case,
// accents and other combining marks removed, ligatures spelt out, curly
// quotes and dashes made plain, runs of white space made one space.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' {
				space = true
				continue
			}
			if space {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				space = false
			}
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		var rep string
		switch r {
		case '\u00a0', '\u2002', '\u2003', '\u2009', '\u202f', '\u200b', '\u3000', '\u2028', '\u2029':
			space = true
			continue
		case '\u2018', '\u2019', '\u02bc', '\u00b4', '\u2032', '\u0060':
			rep = "'"
		case '\u201c', '\u201d', '\u00ab', '\u00bb', '\u201e', '\u2033':
			rep = `"`
		case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
			rep = "-"
		case '\u2026':
			rep = "..."
		case 'œ', 'Œ':
			rep = "oe"
		case 'æ', 'Æ':
			rep = "ae"
		case 'ß':
			rep = "ss"
		case 'ø', 'Ø':
			rep = "o"
		case 'đ', 'Đ':
			rep = "d"
		case 'ł', 'Ł':
			rep = "l"
		case 'ı':
			rep = "i"
		case '¿', '¡':
			rep = " "
		}
		if space {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
		}
		if rep != "" {
			b.WriteString(rep)
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		for _, d := range norm.NFD.String(string(r)) {
			if unicode.Is(unicode.Mn, d) {
				continue
			}
			b.WriteRune(unicode.ToLower(d))
		}
	}
	return b.String()
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
