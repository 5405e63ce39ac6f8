package directory

import (
	"bytes"
	"strings"
	"testing"

	"outreach"
)

// Every mission of the embedded directory has its name in each language
// in the table, with the two running-text forms, and its title is made
// from the "of" form (Czechia's keeps the former long name: "Permanent
// Mission of the Czech Republic").
func TestStatesCoverDirectory(t *testing.T) {
	states, err := States()
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Missions()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]StateName{}
	for _, n := range states {
		byKey[n.ID+" "+string(n.Lang)] = n
	}
	if len(states) != 3*len(ms) {
		t.Errorf("%d State names for %d missions in 3 languages", len(states), len(ms))
	}
	for _, m := range ms {
		for _, l := range outreach.Languages {
			n, ok := byKey[m.ID+" "+string(l)]
			if !ok || n.Name != m.Names.In(l) {
				t.Errorf("%s %s: table %+v, directory name %q", m.ID, l, n, m.Names.In(l))
				continue
			}
			if m.ID != "CZE" && !strings.HasSuffix(m.Titles.In(l), " "+n.Of) {
				t.Errorf("%s %s: title %q does not end with %q", m.ID, l, m.Titles.In(l), n.Of)
			}
		}
	}
	for id, want := range map[string]string{
		"JPN fr": "Mission permanente du Japon",
		"VAT es": "Misión Permanente de Observación de la Santa Sede",
		"PSE en": "Permanent Observer Mission of the State of Palestine",
		"CZE en": "Permanent Mission of the Czech Republic",
		"KOR en": "Permanent Mission of the Republic of Korea",
	} {
		k := strings.Fields(id)
		for _, m := range ms {
			if m.ID == k[0] && m.Titles.In(outreach.Language(k[1])) != want {
				t.Errorf("%s: title %q, want %q", id, m.Titles.In(outreach.Language(k[1])), want)
			}
		}
	}
}

// The variants letters use are in the table under the State they name,
// and no variant is another State's name.
func TestStateVariants(t *testing.T) {
	states, err := States()
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for _, n := range states {
		owner[strings.ToLower(n.Name)] = n.ID
	}
	has := map[string]bool{}
	for _, n := range states {
		for _, v := range n.Variants {
			has[n.ID+" "+v] = true
			if o, ok := owner[strings.ToLower(v)]; ok && o != n.ID {
				t.Errorf("%s: variant %q is %s's name", n.ID, v, o)
			}
		}
	}
	for _, want := range []string{"KOR Corée du Sud", "PRK DPRK", "CHE Swiss Confederation", "COD RDC", "GBR UK", "CZE Czech Republic"} {
		if !has[want] {
			t.Errorf("no variant %s", want)
		}
	}
}

func TestParseStatesErrors(t *testing.T) {
	const header = "id,lang,name,the,of,variants\n"
	for _, tc := range []struct{ name, data, want string }{
		{"bad header", "id,language,name,the,of,variants\n", "line 1, column 2"},
		{"bad id", header + "JP,fr,Japon,le Japon,du Japon,\n", `line 2, column id: "JP" is not`},
		{"bad language", header + "JPN,de,Japan,Japan,Japans,\n", "line 2, column lang:"},
		{"empty form", header + "JPN,fr,Japon,,du Japon,\n", "line 2, column the: empty"},
		{"duplicate", header + "JPN,fr,Japon,le Japon,du Japon,\nJPN,fr,Japon,le Japon,du Japon,\n", "line 3, column lang: JPN in fr already given on line 2"},
		{"line break", header + "JPN,fr,\"Ja\npon\",le Japon,du Japon,\n", "line 2, column name:"},
		{"short row", header + "JPN,fr,Japon\n", "line 2: 3 columns, want 6"},
	} {
		_, err := ParseStates(strings.NewReader(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	ns, err := ParseStates(strings.NewReader("\xef\xbb\xbfid,lang,name,the,of,variants\r\njpn, fr , Japon ,le Japon,du Japon, Nippon ; \r\n"))
	if err != nil || len(ns) != 1 || ns[0].ID != "JPN" || ns[0].Name != "Japon" || len(ns[0].Variants) != 1 || ns[0].Variants[0] != "Nippon" {
		t.Errorf("a spreadsheet's BOM, CRLF and padding: %+v %v", ns, err)
	}
}

// FuzzParseStates reads arbitrary tables: an error or a table, never a
// panic, and every name it returns is complete and on one line.
func FuzzParseStates(f *testing.F) {
	f.Add(statesCSV)
	f.Add([]byte("id,lang,name,the,of,variants\nJPN,fr,\"a\nb\",x,y,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := ParseStates(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, n := range ns {
			all := n.Name + n.The + n.Of + strings.Join(n.Variants, "")
			if n.Name == "" || n.The == "" || n.Of == "" || strings.ContainsAny(all, "\r\n") {
				t.Fatalf("incomplete or broken entry %+v", n)
			}
		}
	})
}
