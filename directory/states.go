package directory

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"outreach"
)

// states.csv is the one table of State names: for each State and language
// its short name (the UN's), the name as running text reads it with its
// article ("le Japon", "the Republic of Korea") and after "of" ("du Japon",
// "of the Republic of Korea"), and the other names a letter may use for it
// ("Corée du Sud", "Swiss Confederation", "RDC"). The embedded directory,
// the templates' grammar and the reply reader all take names from here.
//
//go:embed states.csv
var statesCSV []byte

// contacts.csv holds the rest of the embedded directory: language,
// placeholder addresses and domains, and a mission's titles only where they
// are not "Permanent Mission" followed by the State's "of" form.
//
//go:embed contacts.csv
var contactsCSV []byte

// StateColumns is the header of states.csv, in order.
var StateColumns = []string{"id", "lang", "name", "the", "of", "variants"}

// StateName is one State's name in one language.
type StateName struct {
	ID       string
	Lang     outreach.Language
	Name     string   // the short name: "Japon"
	The      string   // with its article: "le Japon"
	Of       string   // after "of": "du Japon"
	Variants []string // other names letters use, in this language
}

// ParseStates reads a table of State names (header StateColumns). Like the
// other tables it reports every problem with its line and column and
// returns nothing when there is one.
func ParseStates(r io.Reader) ([]StateName, error) {
	recs, lines, err := readTable(r, StateColumns)
	if err != nil {
		return nil, err
	}
	var errs problems
	seen := map[string]int{}
	out := make([]StateName, 0, len(recs))
	for i, rec := range recs {
		line := lines[i]
		if !errs.columns(line, rec, StateColumns) {
			continue
		}
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		n, ok := parseStateName(rec, line, &errs)
		if !ok {
			continue
		}
		key := n.ID + " " + string(n.Lang)
		if prev, dup := seen[key]; dup {
			errs.add(line, "lang", fmt.Errorf("%s in %s already given on line %d", n.ID, n.Lang, prev))
			continue
		}
		seen[key] = line
		out = append(out, n)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseStateName checks one line of states.csv.
func parseStateName(rec []string, line int, errs *problems) (StateName, bool) {
	n := StateName{ID: strings.ToUpper(rec[0]), Name: rec[2], The: rec[3], Of: rec[4], Variants: splitList(rec[5])}
	ok := true
	if !outreach.IsMissionID(n.ID) {
		errs.add(line, "id", fmt.Errorf("%q is not an ISO 3166-1 alpha-3 code such as JPN", rec[0]))
		ok = false
	}
	lang, err := outreach.ParseLanguage(rec[1])
	if err != nil {
		errs.add(line, "lang", err)
		ok = false
	}
	n.Lang = lang
	for j, v := range append([]string{n.Name, n.The, n.Of}, n.Variants...) {
		col := StateColumns[min(j+2, len(StateColumns)-1)]
		if j < 3 && v == "" {
			errs.add(line, col, errors.New("empty; name, the and of must all be given"))
			ok = false
		} else if err := outreach.CheckDisplayName(v); err != nil {
			errs.add(line, col, err)
			ok = false
		}
	}
	return n, ok
}

// States returns the embedded table of State names, read once.
var States = sync.OnceValues(func() ([]StateName, error) {
	return ParseStates(bytes.NewReader(statesCSV))
})

// missionTitle is a mission's formal title in language l made from the
// State's "of" form: "Permanent Mission of the Republic of Korea",
// "Mission permanente d'observation du Saint-Siège".
func missionTitle(kind outreach.MissionKind, l outreach.Language, of string) string {
	observer := kind == outreach.Observer
	switch l {
	case outreach.French:
		if observer {
			return "Mission permanente d'observation " + of
		}
		return "Mission permanente " + of
	case outreach.Spanish:
		if observer {
			return "Misión Permanente de Observación " + of
		}
		return "Misión Permanente " + of
	}
	if observer {
		return "Permanent Observer Mission " + of
	}
	return "Permanent Mission " + of
}

// embeddedMissionsTable writes the embedded directory as a missions file
// (MissionColumns): names from states.csv, the rest from contacts.csv, so
// it is read by the same ParseMissions staff imports go through.
func embeddedMissionsTable() ([]byte, error) {
	states, err := States()
	if err != nil {
		return nil, fmt.Errorf("directory: states.csv: %w", err)
	}
	byID := map[string]map[outreach.Language]StateName{}
	for _, n := range states {
		if byID[n.ID] == nil {
			byID[n.ID] = map[outreach.Language]StateName{}
		}
		byID[n.ID][n.Lang] = n
	}
	contactColumns := []string{"id", "language", "emails", "domains", "title_en", "title_fr", "title_es"}
	recs, _, err := readTable(bytes.NewReader(contactsCSV), contactColumns)
	if err != nil {
		return nil, fmt.Errorf("directory: contacts.csv: %w", err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(MissionColumns)
	for _, rec := range recs {
		names := byID[rec[0]]
		row := []string{rec[0]}
		for _, l := range outreach.Languages {
			row = append(row, names[l].Name)
		}
		for i, l := range outreach.Languages {
			title := rec[4+i]
			if title == "" && names[l].Of != "" {
				title = missionTitle(outreach.KindOf(rec[0]), l, names[l].Of)
			}
			row = append(row, title)
		}
		w.Write(append(row, rec[1], rec[2], rec[3]))
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
