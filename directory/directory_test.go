package directory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"outreach"
)

func TestEmbeddedDirectory(t *testing.T) {
	ms, err := Missions()
	if err != nil {
		t.Fatalf("embedded directory: %v", err)
	}
	if len(ms) != 195 {
		t.Fatalf("%d missions, want 195 (193 Member States, Holy See, State of Palestine)", len(ms))
	}
	ids := map[string]bool{}
	observers := 0
	for _, m := range ms {
		if ids[m.ID] {
			t.Errorf("duplicate id %s", m.ID)
		}
		ids[m.ID] = true
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", m.ID, err)
		}
		for _, v := range []string{m.Titles.EN, m.Titles.FR, m.Titles.ES, m.Names.EN, m.Names.FR, m.Names.ES} {
			if v == "" || strings.Contains(v, "  ") {
				t.Errorf("%s: bad name or title %q", m.ID, v)
			}
		}
		if !strings.HasPrefix(m.Titles.EN, "Permanent ") || !strings.HasPrefix(m.Titles.FR, "Mission permanente ") ||
			!strings.HasPrefix(m.Titles.ES, "Misión Permanente ") {
			t.Errorf("%s: titles %q / %q / %q", m.ID, m.Titles.EN, m.Titles.FR, m.Titles.ES)
		}
		if len(m.Contacts) == 0 {
			t.Errorf("%s: no contact address", m.ID)
		}
		for _, c := range m.Contacts {
			if !strings.HasSuffix(c.Email, ".example") {
				t.Errorf("%s: contact %s is not a placeholder under .example", m.ID, c.Email)
			}
		}
		if m.Kind == outreach.Observer {
			observers++
		}
	}
	if observers != 2 || !ids["VAT"] || !ids["PSE"] {
		t.Errorf("observers: %d, VAT %v, PSE %v", observers, ids["VAT"], ids["PSE"])
	}
	for _, sur := range Round28SuR {
		if !ids[sur] {
			t.Errorf("State under Review %s missing from the directory", sur)
		}
	}
}

func TestTitlesWithArticles(t *testing.T) {
	ms, _ := Missions()
	byID := map[string]outreach.Mission{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	want := map[string][3]string{
		"JPN": {"Permanent Mission of Japan", "Mission permanente du Japon", "Misión Permanente del Japón"},
		"KOR": {"Permanent Mission of the Republic of Korea", "Mission permanente de la République de Corée", "Misión Permanente de la República de Corea"},
		"UKR": {"Permanent Mission of Ukraine", "Mission permanente de l'Ukraine", "Misión Permanente de Ucrania"},
		"CIV": {"Permanent Mission of Côte d'Ivoire", "Mission permanente de la Côte d'Ivoire", "Misión Permanente de Côte d'Ivoire"},
		"VAT": {"Permanent Observer Mission of the Holy See", "Mission permanente d'observation du Saint-Siège", "Misión Permanente de Observación de la Santa Sede"},
	}
	for id, w := range want {
		m := byID[id]
		if got := [3]string{m.Titles.EN, m.Titles.FR, m.Titles.ES}; got != w {
			t.Errorf("%s titles = %q, want %q", id, got, w)
		}
	}
	if n := byID["BOL"].Names.EN; n != "Bolivia (Plurinational State of)" {
		t.Errorf("BOL name = %q", n)
	}
	if n := byID["LAO"].Names.EN; n != "Lao People's Democratic Republic" {
		t.Errorf("LAO name = %q", n)
	}
}

func TestRound28(t *testing.T) {
	ev, ss, err := Round28()
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("event: %v", err)
	}
	if len(ss) != 14 {
		t.Fatalf("%d sessions, want 14", len(ss))
	}
	for _, s := range ss {
		if s.Start.Location().String() != "Europe/Zurich" || s.End.Sub(s.Start) != time.Hour {
			t.Errorf("%s: %v–%v", s.SuR, s.Start, s.End)
		}
		if s.Start.Before(ev.First) || s.Start.After(ev.Last.Add(24*time.Hour)) {
			t.Errorf("%s outside the round: %v", s.SuR, s.Start)
		}
	}
	// Every speaker can be sent a reminder: a placeholder address under
	// .example, unique within the panel, and a language.
	for _, s := range ss {
		seen := map[string]bool{}
		for _, sp := range s.Panel {
			if !strings.HasSuffix(sp.Email, ".example") || outreach.CheckAddress(sp.Email) != nil || seen[sp.Email] {
				t.Errorf("%s %s: address %q", s.SuR, sp.Name, sp.Email)
			}
			seen[sp.Email] = true
			if _, err := outreach.ParseLanguage(string(sp.Language)); err != nil {
				t.Errorf("%s %s: %v", s.SuR, sp.Name, err)
			}
		}
	}
	if sp := ss[1].Panel[len(ss[1].Panel)-1]; sp.Email != "tomas.quispe@disability-rights-coalition.ngo.example" {
		t.Errorf("BEN last speaker: %+v", sp)
	}
	// 10 October 2017 10:00 in Geneva is 08:00 UTC (CEST).
	if got := ss[0].Start.UTC(); got != time.Date(2017, 10, 10, 8, 0, 0, 0, time.UTC) {
		t.Errorf("first slot in UTC = %v", got)
	}
}

const header = "id,name_en,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\n"

func TestParseMissionsErrors(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string // every one must appear in the error
	}{
		{"wrong column", "id,name,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\nJPN,Japan,Japon,Japón,,,,en,a@b.example,\n",
			[]string{"line 1, column 2", `"name_en"`}},
		{"duplicate id", header + "JPN,Japan,Japon,Japón,,,,en,a@jp.example,\njpn,Japan,Japon,Japón,,,,en,b@jp.example,\n",
			[]string{"line 3, column id", "already given on line 2"}},
		{"invalid address", header + "JPN,Japan,Japon,Japón,,,,en,geneva@jpn;ok@jp.example,\n",
			[]string{"line 2, column emails", "geneva@jpn"}},
		{"several problems", header + "JPN,Japan,Japon,Japón,,,,xx,a@jp.example,\nFR,France,,Francia,,,,fr,b@fr.example,\n",
			[]string{"line 2, column language", "line 3, column id", "line 3, column name_fr"}},
		{"bad encoding", header + "CIV,C\xf4te d'Ivoire,C\xf4te d'Ivoire,C\xf4te d'Ivoire,,,,fr,a@ci.example,\n",
			[]string{"line 2", "not UTF-8"}},
		{"short line", header + "JPN,Japan,Japon\n", []string{"line 2", "3 columns, want 10"}},
		{"unterminated quote", header + "JPN,\"Japan,Japon,Japón,,,,en,a@jp.example,\n", []string{"line 2"}},
		{"empty", "", []string{"line 1", "header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := ParseMissions(strings.NewReader(c.file))
			if err == nil {
				t.Fatal("no error")
			}
			if ms != nil {
				t.Errorf("returned %d missions along with an error", len(ms))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Errorf("error carries no line: %v", err)
			}
		})
	}
}

func TestParseMissionsKeepsPunctuation(t *testing.T) {
	file := "\xef\xbb\xbf" + header +
		`BOL,Bolivia (Plurinational State of),Bolivie (État plurinational de),Bolivia (Estado Plurinacional de),,,,es,mision@bol.example,bol.example` + "\n" +
		`LAO,"Lao People's Democratic Republic","République démocratique populaire lao",República Democrática Popular Lao,"Permanent Mission of the Lao People's Democratic Republic, Geneva",,,en,a@lao.example;b@lao.example,lao.example;mofa.lao.example` + "\n"
	ms, err := ParseMissions(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].Names.EN != "Bolivia (Plurinational State of)" || ms[0].Titles.EN != "Permanent Mission of Bolivia (Plurinational State of)" {
		t.Errorf("BOL: %+v", ms[0])
	}
	if ms[1].Titles.EN != "Permanent Mission of the Lao People's Democratic Republic, Geneva" {
		t.Errorf("LAO title = %q", ms[1].Titles.EN)
	}
	if len(ms[1].Contacts) != 2 || len(ms[1].Domains) != 2 {
		t.Errorf("LAO contacts %v domains %v", ms[1].Contacts, ms[1].Domains)
	}
	var b strings.Builder
	if err := writeMissions(&b, ms); err != nil {
		t.Fatal(err)
	}
	again, err := ParseMissions(strings.NewReader(b.String()))
	if err != nil || again[1].Titles.EN != ms[1].Titles.EN || again[0].Names.FR != ms[0].Names.FR {
		t.Errorf("export/import round trip: %v %+v", err, again)
	}
}

func TestParseSessions(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Zurich")
	known := func(id string) bool { return id == "JPN" || id == "UKR" }
	good := "sur,start,end,room\nJPN,2017-10-10T10:00:00+02:00,2017-10-10T11:00:00+02:00,Room XXIV\n"
	ss, err := ParseSessions(strings.NewReader(good), known, loc)
	if err != nil || len(ss) != 1 || ss[0].Start.UTC().Hour() != 8 || ss[0].Start.Location() != loc {
		t.Fatalf("good file: %v %+v", err, ss)
	}
	bad := "sur,start,end,room\nXXX,2017-10-10T10:00:00+02:00,2017-10-10T11:00:00+02:00,A\nUKR,10/10/2017 10:00,2017-10-10T11:00:00+02:00,B\nJPN,2017-10-10T11:00:00+02:00,2017-10-10T10:00:00+02:00,C\n"
	_, err = ParseSessions(strings.NewReader(bad), known, loc)
	for _, w := range []string{"line 2, column sur", "line 3, column start", "line 4, column end"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not mention %q", err, w)
		}
	}
}

const panelHeader = "sur,name,organisation,kind,minutes,email,language\n"

// panelSessions knows JPN (with the State's statement) and UKR (without),
// each one hour.
func panelSessions() func(string) (outreach.Session, bool) {
	start := time.Date(2017, 10, 10, 10, 0, 0, 0, time.UTC)
	ss := map[string]outreach.Session{
		"JPN": {SuR: "JPN", Start: start, End: start.Add(time.Hour), SuRStatement: true},
		"UKR": {SuR: "UKR", Start: start.Add(2 * time.Hour), End: start.Add(3 * time.Hour)},
	}
	return func(sur string) (outreach.Session, bool) { s, ok := ss[sur]; return s, ok }
}

func TestParsePanels(t *testing.T) {
	file := "\xef\xbb\xbf" + panelHeader +
		"jpn,Ana Moreno,National Human Rights Institution,NHRI,7,ana.moreno@nhri-jpn.example,\n" +
		"UKR,Olena Kovalenko,\"Women's Rights Network, Kyiv\",cso,6,,fr\n" +
		"JPN,Kofi Mensah,Women's Rights Network,CSO,5,Kofi.Mensah@wrn.ngo.example,ES\n"
	ps, err := ParsePanels(strings.NewReader(file), panelSessions())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].SuR != "JPN" || ps[1].SuR != "UKR" {
		t.Fatalf("panels: %+v", ps)
	}
	jpn := ps[0].Speakers
	if len(jpn) != 2 || jpn[0].Name != "Ana Moreno" || jpn[1].Name != "Kofi Mensah" {
		t.Fatalf("JPN speakers out of file order: %+v", jpn)
	}
	if jpn[0].Kind != outreach.NHRI || jpn[0].Minutes != 7 || jpn[0].Language != outreach.English {
		t.Errorf("JPN first speaker: %+v (language defaults to en)", jpn[0])
	}
	if jpn[1].Email != "Kofi.Mensah@wrn.ngo.example" || jpn[1].Language != outreach.Spanish {
		t.Errorf("JPN second speaker: %+v", jpn[1])
	}
	ukr := ps[1].Speakers[0]
	if ukr.Email != "" || ukr.Organisation != "Women's Rights Network, Kyiv" || ukr.Kind != outreach.CSO || ukr.Language != outreach.French {
		t.Errorf("UKR speaker: %+v", ukr)
	}
}

func TestParsePanelsErrors(t *testing.T) {
	line := func(sur, name, kind, minutes, email, lang string) string {
		return strings.Join([]string{sur, name, "Some Organisation", kind, minutes, email, lang}, ",") + "\n"
	}
	ok := line("JPN", "Ana Moreno", "NHRI", "7", "ana@nhri.example", "en")
	// Eight CSO speakers of 7 minutes: 56 minutes; with JPN's 2-minute
	// statement 58 fit, a ninth of 5 does not.
	var full string
	for i := 0; i < 8; i++ {
		full += line("JPN", fmt.Sprintf("Speaker %d", i), "CSO", "7", "", "")
	}
	cases := []struct {
		name, file string
		want       []string
	}{
		{"wrong header", "sur,name,organization,kind,minutes,email,language\n" + ok, []string{"line 1, column 3", `"organisation"`}},
		{"missing column", "sur,name,organisation,kind,minutes,email\n" + ok, []string{"line 1, column 7", `"language"`}},
		{"unknown session", panelHeader + ok + line("FRA", "Eva Keller", "CSO", "5", "", ""), []string{"line 3, column sur", "FRA has no session"}},
		{"not a mission id", panelHeader + line("Japan", "Eva Keller", "CSO", "5", "", ""), []string{"line 2, column sur"}},
		{"bad kind", panelHeader + ok + line("JPN", "Eva Keller", "NGO", "5", "", ""), []string{"line 3, column kind", `"NGO"`}},
		{"minutes out of range", panelHeader + line("JPN", "Eva Keller", "CSO", "8", "", "") + line("UKR", "Kofi", "CSO", "4", "", "") + line("UKR", "Amina", "CSO", "five", "", ""),
			[]string{"line 2, column minutes", "line 3, column minutes", "line 4, column minutes", "5 to 7"}},
		{"bad address", panelHeader + ok + line("JPN", "Eva Keller", "CSO", "5", "eva keller@x.example", ""), []string{"line 3, column email"}},
		{"address twice in a panel", panelHeader + ok + line("JPN", "Eva Keller", "CSO", "5", "ANA@nhri.example", ""), []string{"line 3, column email", "line 2"}},
		{"bad language", panelHeader + ok + line("JPN", "Eva Keller", "CSO", "5", "", "de"), []string{"line 3, column language", `"de"`}},
		{"empty name", panelHeader + line("JPN", "", "CSO", "5", "", ""), []string{"line 2, column name", "empty"}},
		{"short line", panelHeader + ok + "JPN,Eva Keller,Org\n", []string{"line 3", "3 columns, want 7"}},
		{"panel too long with the statement", panelHeader + full + line("UKR", "Eva Keller", "CSO", "5", "", "") + line("JPN", "Last", "CSO", "5", "", ""),
			[]string{"line 11, column minutes", "the panel of JPN", "needs 63 minutes, the slot has 60", "2-minute statement"}},
		{"bad encoding", panelHeader + "JPN,C\xf4me,Org,CSO,5,,\n", []string{"line 2", "not UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, err := ParsePanels(strings.NewReader(c.file), panelSessions())
			if err == nil {
				t.Fatal("no error")
			}
			if ps != nil {
				t.Errorf("returned %d panels along with an error: nothing may be half-imported", len(ps))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Errorf("error carries no line: %v", err)
			}
		})
	}
	// The same eight speakers fit a session without the statement.
	if _, err := ParsePanels(strings.NewReader(panelHeader+strings.ReplaceAll(full, "JPN", "UKR")+line("UKR", "Ninth", "CSO", "5", "", "")), panelSessions()); err == nil ||
		!strings.Contains(err.Error(), "needs 61 minutes") || strings.Contains(err.Error(), "statement") {
		t.Errorf("UKR, no statement: %v", err)
	}
	if _, err := ParsePanels(strings.NewReader(panelHeader+full), panelSessions()); err != nil {
		t.Errorf("58 minutes with the statement refused: %v", err)
	}
}

// TestParseMissionsRefusesNamesTheMailerRefuses: a name or title the
// mailer could not write (control characters, U+2028, U+0085, a name of
// 10 KB, a title made too long from its name) is refused at import, each
// problem named by its line and column.
func TestParseMissionsRefusesNamesTheMailerRefuses(t *testing.T) {
	long := strings.Repeat("Lorem ipsum ", 900)
	csv := "id,name_en,name_fr,name_es,title_en,title_fr,title_es,language,emails,domains\n" +
		"JPN,Japan,Japon,Japón,,,,en,geneva@jpn.example,\n" +
		"PER,Per\x07u,Pérou,Perú,,,,es,geneva@per.example,\n" +
		"FRA,France,France,Francia,Mission\u2028permanente,,,fr,geneva@fra.example,\n" +
		"ESP,España,Espagne,España,,Mission\u0085permanente,,es,geneva@esp.example,\n" +
		"ITA," + long + ",Italie,Italia,,,,en,geneva@ita.example,\n" +
		"DEU,Germany,Allemagne," + strings.Repeat("Alemania ", 32) + ",,,,en,geneva@deu.example,\n" +
		"AUT,\x1b]0;x\x1b\\Austria,Autriche,Austria,,,,en,geneva@aut.example,\n"
	_, err := ParseMissions(strings.NewReader(csv))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"line 3, column name_en: contains control character U+0007",
		"line 4, column title_en: contains control character U+2028",
		"line 5, column title_fr: contains control character U+0085",
		"line 6, column name_en: longer than 300 octets",
		"line 7, column name_es: the title made from it, title_es: longer than 300 octets",
		"line 8, column name_en: contains control character U+001B",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "line 2") {
		t.Errorf("Japan refused:\n%v", err)
	}
	for _, m := range mustParse(t, strings.Replace(csv, csv[strings.Index(csv, "PER"):], "", 1)) {
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", m.ID, err)
		}
	}
}

func mustParse(t *testing.T, csv string) []outreach.Mission {
	t.Helper()
	ms, err := ParseMissions(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestParseSessionsRefusesRoomsTheMailerRefuses: a room goes into the
// calendar and the messages; control characters are refused with their
// line and column.
func TestParseSessionsRefusesRoomsTheMailerRefuses(t *testing.T) {
	csv := "sur,start,end,room\nJPN,2017-10-11T14:00:00+02:00,2017-10-11T15:00:00+02:00,Room\x07 XXV\n"
	_, err := ParseSessions(strings.NewReader(csv), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "line 2, column room: contains control character U+0007") {
		t.Fatalf("err = %v", err)
	}
}

// writeMissions writes missions in the import format, so an export can be
// edited and imported again.
func writeMissions(w io.Writer, missions []outreach.Mission) error {
	cw := csv.NewWriter(w)
	cw.Write(MissionColumns)
	for _, m := range missions {
		var emails []string
		for _, c := range m.Contacts {
			emails = append(emails, c.Email)
		}
		cw.Write([]string{m.ID, m.Names.EN, m.Names.FR, m.Names.ES, m.Titles.EN, m.Titles.FR, m.Titles.ES,
			string(m.Language), strings.Join(emails, ";"), strings.Join(m.Domains, ";")})
	}
	cw.Flush()
	return cw.Error()
}
