package replies

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The sentences of a letter's answer zone (see findZones), the unit the
// cues and mentions are read in: wrapped lines of a paragraph are joined,
// short lines (a greeting, a list item, a signature line) stay apart, and
// a paragraph is split at the end of each sentence but not after an
// abbreviation or an initial ("H.E. Mr. K. Sato").

// sentence is one sentence of a letter.
type sentence struct {
	text     string
	question bool
	colon    bool // ends with a colon: a list follows
}

// abbreviations that end with a full stop inside a sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "dra": true, "prof": true, "st": true, "no": true, "nos": true,
	"nr": true, "e.g": true, "i.e": true, "etc": true, "vs": true, "approx": true, "amb": true, "h.e": true, "s.e": true,
	"mme": true, "mlle": true, "sr": true, "sra": true, "srta": true, "sres": true, "sras": true, "lic": true,
	"ing": true, "excmo": true, "excma": true, "dña": true, "dna": true, "tel": true, "fax": true, "art": true,
	"cf": true, "ca": true, "jr": true, "rep": true, "ref": true, "av": true, "ch": true, "bd": true, "p": true,
	"pp": true, "mm": true, "messrs": true, "gen": true, "col": true, "ud": true, "uds": true, "sgto": true,
}

// sentences splits a letter into sentences. Lines of a paragraph are
// joined unless a line is short or ends a sentence, so wrapped prose reads
// as one text while greetings, list items and signature lines stay apart.
func sentences(text string) []sentence {
	var chunks []string
	var cur strings.Builder
	prev := ""
	flush := func() {
		if cur.Len() > 0 {
			chunks = append(chunks, cur.String())
			cur.Reset()
		}
		prev = ""
	}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			flush()
			continue
		}
		if cur.Len() > 0 && !joinLines(prev, l) {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(l)
		prev = l
	}
	flush()
	var out []sentence
	for _, c := range chunks {
		for _, s := range splitSentences(c) {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			end := strings.TrimRight(s, ` "')»”’`)
			out = append(out, sentence{
				text:     s,
				question: strings.HasSuffix(end, "?") || strings.HasPrefix(s, "¿"),
				colon:    strings.HasSuffix(end, ":"),
			})
		}
	}
	return out
}

func joinLines(prev, next string) bool {
	if utf8.RuneCountInString(prev) < 30 {
		return false
	}
	switch prev[len(prev)-1] {
	case '.', '!', '?', ':', ';':
		return false
	}
	r, _ := utf8.DecodeRuneInString(next)
	if r == '-' || r == '*' || r == '•' || r == '·' || r == '–' {
		return false
	}
	return true
}

// splitSentences splits a paragraph at ". ", "! " and "? " unless the full
// stop ends an abbreviation or an initial, or a lower-case word follows.
func splitSentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(p) && strings.IndexByte(`"')»`, p[j]) >= 0 {
			j++
		}
		if j < len(p) && p[j] != ' ' {
			continue
		}
		k := j
		for k < len(p) && p[k] == ' ' {
			k++
		}
		if k >= len(p) {
			continue
		}
		if c == '.' {
			w := lastWord(p[start:i])
			if abbreviations[strings.ToLower(w)] || utf8.RuneCountInString(w) == 1 {
				continue
			}
			r, _ := utf8.DecodeRuneInString(p[k:])
			if unicode.IsLower(r) {
				continue
			}
		}
		out = append(out, p[start:j])
		start = k
		i = k - 1
	}
	return append(out, p[start:])
}

// lastWord returns the word (letters and inner dots) ending s.
func lastWord(s string) string {
	end := len(s)
	i := end
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsLetter(r) && r != '.' {
			break
		}
		i -= n
	}
	return strings.Trim(s[i:end], ".")
}
