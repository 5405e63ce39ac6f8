package templates

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"outreach"
	"outreach/directory"
)

// nameForms is how a State's name reads in running text: with its article
// ("le Japon", "el Perú", "the Republic of Korea") and after "of" ("du
// Japon", "del Perú", "of the Republic of Korea").
type nameForms struct{ the, of string }

// grammar is how names read in running text: the State names of the
// directory (directory.States) and the places of places.csv.
type grammar struct {
	// names maps language → short name → running-text forms.
	names map[outreach.Language]map[string]nameForms
	// places are the words of venues and rooms written differently in
	// French and Spanish, longest English form first.
	places []place
}

type place struct{ en, fr, es string }

// readCSV reads a small RFC 4180 table whose first line must be header and
// returns the records after it with their line numbers.
func readCSV(data []byte, header []string) ([][]string, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	r.TrimLeadingSpace = true
	var recs [][]string
	var lines []int
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := r.FieldPos(0)
		if first {
			for i := range header {
				if strings.TrimSpace(rec[i]) != header[i] {
					return nil, nil, fmt.Errorf("line 1: header %q, want %q", strings.Join(rec, ","), strings.Join(header, ","))
				}
			}
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		recs = append(recs, rec)
		lines = append(lines, line)
	}
	return recs, lines, nil
}

// stateForms returns the running-text forms of every State's name, by
// language and short name, from the directory's table of State names.
func stateForms() (map[outreach.Language]map[string]nameForms, error) {
	states, err := directory.States()
	if err != nil {
		return nil, err
	}
	out := map[outreach.Language]map[string]nameForms{}
	for _, n := range states {
		if out[n.Lang] == nil {
			out[n.Lang] = map[string]nameForms{}
		}
		out[n.Lang][n.Name] = nameForms{the: n.The, of: n.Of}
	}
	return out, nil
}

// parsePlaces reads places.csv: words of venues and rooms with their French
// and Spanish forms ("Geneva,Genève,Ginebra", "Room,Salle,Sala").
func parsePlaces(data []byte) ([]place, error) {
	recs, lines, err := readCSV(data, []string{"en", "fr", "es"})
	if err != nil {
		return nil, err
	}
	var out []place
	var errs []error
	for i, rec := range recs {
		if rec[0] == "" || rec[1] == "" || rec[2] == "" {
			errs = append(errs, fmt.Errorf("line %d: en, fr and es must all be given", lines[i]))
			continue
		}
		if strings.ContainsAny(rec[0]+rec[1]+rec[2], "\r\n\x00") {
			errs = append(errs, fmt.Errorf("line %d: contains a line break or NUL", lines[i]))
			continue
		}
		out = append(out, place{en: rec[0], fr: rec[1], es: rec[2]})
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].en) > len(out[j].en) })
	return out, errors.Join(errs...)
}

// forms returns the running-text forms of a State's name in language l. A
// name the directory does not list is used bare ("sur Xland", "de Xland").
func (g *grammar) forms(l outreach.Language, name string) nameForms {
	if f, ok := g.names[l][name]; ok {
		return f
	}
	switch l {
	case outreach.French:
		if startsWithVowel(name) {
			return nameForms{the: name, of: "d'" + name}
		}
		return nameForms{the: name, of: "de " + name}
	case outreach.Spanish:
		return nameForms{the: name, of: "de " + name}
	}
	return nameForms{the: name, of: "of " + name}
}

// on is the phrase naming a session's subject: "on Japan", "sur le Japon",
// "sobre el Perú".
func on(l outreach.Language, the string) string {
	switch l {
	case outreach.French:
		return "sur " + the
	case outreach.Spanish:
		return "sobre " + the
	}
	return "on " + the
}

func startsWithVowel(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.ContainsRune("AEIOUYÀÂÉÈÊËÎÏÔÖÙÛÜaeiouyàâéèêëîïôöùûü", r)
}

// localPlace writes the words of a venue or room in language l ("Palais
// des Nations, Geneva" → "Palacio de las Naciones, Ginebra"; "Room XXIV" →
// "Salle XXIV"). Words are replaced whole, in one pass, longest first.
func (g *grammar) localPlace(l outreach.Language, s string) string {
	if l != outreach.French && l != outreach.Spanish || s == "" || len(g.places) == 0 {
		return s
	}
	var b strings.Builder
	prev := rune(-1)
	for i := 0; i < len(s); {
		if !isWordRune(prev) {
			if p, ok := g.match(s[i:]); ok {
				to := p.fr
				if l == outreach.Spanish {
					to = p.es
				}
				b.WriteString(to)
				i += len(p.en)
				prev, _ = utf8.DecodeLastRuneInString(p.en)
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+n])
		prev = r
		i += n
	}
	return b.String()
}

// match returns the place word s starts with, if it ends at a word boundary.
func (g *grammar) match(s string) (place, bool) {
	for _, p := range g.places {
		if strings.HasPrefix(s, p.en) {
			next, _ := utf8.DecodeRuneInString(s[len(p.en):])
			if len(s) == len(p.en) || !isWordRune(next) {
				return p, true
			}
		}
	}
	return place{}, false
}

func isWordRune(r rune) bool {
	return r >= 0 && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
