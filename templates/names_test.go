package templates

import (
	"strings"
	"testing"

	"outreach"
)

func loadGrammar(t *testing.T) grammar {
	t.Helper()
	files, err := embeddedFiles()
	if err != nil {
		t.Fatal(err)
	}
	names, err := stateForms()
	if err != nil {
		t.Fatal(err)
	}
	places, err := parsePlaces(files[placesFile])
	if err != nil {
		t.Fatal(err)
	}
	return grammar{names: names, places: places}
}

// The embedded table gives every mission of the directory its running-text
// forms in all three languages, and "of" + name is how its formal title
// ends ("Mission permanente du Japon"). Czechia's titles keep the former
// long name ("République tchèque") while its short name changed, so only
// the article is compared there.
func TestCountriesCoverDirectory(t *testing.T) {
	g := loadGrammar(t)
	r := loadRound(t)
	for _, m := range r.all {
		for _, l := range outreach.Languages {
			name := m.Names.In(l)
			f, ok := g.names[l][name]
			if !ok {
				t.Errorf("%s: the State names have no %s entry for %q", m.ID, l, name)
				continue
			}
			title := m.Titles.In(l)
			if m.ID == "CZE" {
				continue
			}
			if !strings.HasSuffix(title, " "+f.of) {
				t.Errorf("%s %s: title %q does not end with %q", m.ID, l, title, f.of)
			}
			if bare := stripArticle(f.the); !strings.HasSuffix(f.of, bare) {
				t.Errorf("%s %s: %q and %q do not name the same State", m.ID, l, f.the, f.of)
			}
		}
	}
}

func stripArticle(s string) string {
	for _, a := range []string{"the ", "le ", "la ", "l'", "les ", "el ", "los ", "las "} {
		if strings.HasPrefix(s, a) {
			return s[len(a):]
		}
	}
	return s
}

func TestNameForms(t *testing.T) {
	g := loadGrammar(t)
	for _, tc := range []struct {
		l           outreach.Language
		name        string
		the, on, of string
	}{
		{outreach.French, "Japon", "le Japon", "sur le Japon", "du Japon"},
		{outreach.French, "Suisse", "la Suisse", "sur la Suisse", "de la Suisse"},
		{outreach.French, "Argentine", "l'Argentine", "sur l'Argentine", "de l'Argentine"},
		{outreach.French, "Pays-Bas (Royaume des)", "les Pays-Bas", "sur les Pays-Bas", "des Pays-Bas"},
		{outreach.French, "Sri Lanka", "Sri Lanka", "sur Sri Lanka", "de Sri Lanka"},
		{outreach.French, "Haïti", "Haïti", "sur Haïti", "d'Haïti"},
		{outreach.Spanish, "Perú", "el Perú", "sobre el Perú", "del Perú"},
		{outreach.Spanish, "Argentina", "la Argentina", "sobre la Argentina", "de la Argentina"},
		{outreach.Spanish, "Suiza", "Suiza", "sobre Suiza", "de Suiza"},
		{outreach.English, "Republic of Korea", "the Republic of Korea", "on the Republic of Korea", "of the Republic of Korea"},
		{outreach.English, "Japan", "Japan", "on Japan", "of Japan"},
		// Names the table does not know are used bare, eliding "de" in French.
		{outreach.French, "Atlantide", "Atlantide", "sur Atlantide", "d'Atlantide"},
		{outreach.French, "Ruritanie", "Ruritanie", "sur Ruritanie", "de Ruritanie"},
		{outreach.Spanish, "Ruritania", "Ruritania", "sobre Ruritania", "de Ruritania"},
	} {
		v := g.nameView(tc.l, outreach.Names{EN: tc.name, FR: tc.name, ES: tc.name})
		if v.The != tc.the || v.On != tc.on || v.Of != tc.of {
			t.Errorf("%s %q: got %q / %q / %q, want %q / %q / %q", tc.l, tc.name, v.The, v.On, v.Of, tc.the, tc.on, tc.of)
		}
	}
}

func TestLocalPlace(t *testing.T) {
	g := loadGrammar(t)
	for _, tc := range []struct {
		l        outreach.Language
		in, want string
	}{
		{outreach.French, "Palais des Nations, Geneva", "Palais des Nations, Genève"},
		{outreach.Spanish, "Palais des Nations, Geneva", "Palacio de las Naciones, Ginebra"},
		{outreach.English, "Palais des Nations, Geneva", "Palais des Nations, Geneva"},
		{outreach.French, "Room XXIV", "Salle XXIV"},
		{outreach.Spanish, "Room XXIV", "Sala XXIV"},
		{outreach.French, "Roomba Hall, Genevan Lake", "Roomba Hall, Genevan Lake"},
		{outreach.Spanish, "United Nations Office at Geneva, Switzerland", "Oficina de las Naciones Unidas en Ginebra, Suiza"},
		{outreach.French, "", ""},
	} {
		if got := g.localPlace(tc.l, tc.in); got != tc.want {
			t.Errorf("localPlace(%s, %q) = %q, want %q", tc.l, tc.in, got, tc.want)
		}
	}
}

func TestParseTables(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"bad header", "english,french,spanish\n", "line 1: header"},
		{"short row", "en,fr,es\nRoom,Salle\n", "wrong number of fields"},
		{"quote", "en,fr,es\nRoom,\"Salle,Sala\n", "quote"},
		{"empty place", "en,fr,es\nRoom,,Sala\n", "line 2: en, fr and es must all be given"},
	} {
		_, err := parsePlaces([]byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	places, err := parsePlaces([]byte("\xef\xbb\xbfen,fr,es\r\n Room , Salle ,Sala\r\n"))
	if err != nil || len(places) != 1 || places[0].fr != "Salle" {
		t.Errorf("a spreadsheet's BOM, CRLF and padding: %v %v", places, err)
	}
}
