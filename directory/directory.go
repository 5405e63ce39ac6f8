// Package directory holds the embedded directory of the 195 Permanent
// Missions invited to every pre-session (the 193 UN Member States, the Holy
// See and the State of Palestine), the demo round (the 28th UPR Working
// Group session), and the CSV formats staff import missions and sessions
// from (RFC 4180).
package directory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"outreach"
)

// Missions returns the embedded directory, ordered by id: the names of
// states.csv and the contacts of contacts.csv, read as a missions file.
// Contact addresses are placeholders under the reserved .example domain:
// real addresses are staff data, imported with `outreach missions import`.
func Missions() ([]outreach.Mission, error) {
	table, err := embeddedMissionsTable()
	if err != nil {
		return nil, err
	}
	return ParseMissions(bytes.NewReader(table))
}

// MissionColumns is the header of a missions file, in order.
var MissionColumns = []string{"id", "name_en", "name_fr", "name_es", "title_en", "title_fr", "title_es", "language", "emails", "domains"}

// SessionColumns is the header of a sessions file, in order.
var SessionColumns = []string{"sur", "start", "end", "room"}

// PanelColumns is the header of a panels file, in order: one speaker a
// line, each session's speakers in the order they speak.
var PanelColumns = []string{"sur", "name", "organisation", "kind", "minutes", "email", "language"}

// LineError is a problem at one line (1-based, header is line 1) and
// column of an imported file.
type LineError struct {
	Line   int
	Column string
	Err    error
}

func (e *LineError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %s: %v", e.Line, e.Column, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// maxErrors bounds how many problems one import reports.
const maxErrors = 50

// problems collects an import's problems, each with its line and column,
// up to maxErrors.
type problems []error

func (p *problems) add(line int, col string, err error) {
	if len(*p) < maxErrors {
		*p = append(*p, &LineError{Line: line, Column: col, Err: err})
	}
}

// columns reports whether rec has one field per column, adding the
// problem when it has not.
func (p *problems) columns(line int, rec, columns []string) bool {
	if len(rec) == len(columns) {
		return true
	}
	p.add(line, "", fmt.Errorf("%d columns, want %d (%s)", len(rec), len(columns), strings.Join(columns, ",")))
	return false
}

// err joins the problems (nil when there are none), saying when the list
// was cut at maxErrors.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	if len(p) == maxErrors {
		p = append(p[:len(p):len(p)], fmt.Errorf("stopped after %d problems", maxErrors))
	}
	return errors.Join(p...)
}

// readTable reads a CSV file with the given header and returns its records
// with their line numbers. The file must be UTF-8 (a byte-order mark is
// allowed and dropped).
func readTable(r io.Reader, columns []string) ([][]string, []int, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return nil, nil, &LineError{Line: line, Err: errors.New("text is not UTF-8; save the file as CSV UTF-8 (in a spreadsheet: \"CSV UTF-8 (comma delimited)\")")}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var recs [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, &LineError{Line: pe.Line, Err: pe.Err}
			}
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		recs = append(recs, rec)
		lines = append(lines, line)
	}
	if len(recs) == 0 {
		return nil, nil, &LineError{Line: 1, Err: fmt.Errorf("empty file; the first line must be the header %s", strings.Join(columns, ","))}
	}
	header := recs[0]
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if strings.Join(header, ",") != strings.Join(columns, ",") {
		for i, c := range columns {
			if i >= len(header) || header[i] != c {
				got := "nothing"
				if i < len(header) {
					got = fmt.Sprintf("%q", header[i])
				}
				return nil, nil, &LineError{Line: lines[0], Column: fmt.Sprint(i + 1),
					Err: fmt.Errorf("header has %s where %q belongs; the header must be %s", got, c, strings.Join(columns, ","))}
			}
		}
		return nil, nil, &LineError{Line: lines[0], Column: fmt.Sprint(len(columns) + 1),
			Err: fmt.Errorf("header has extra columns %q; the header must be %s", header[len(columns):], strings.Join(columns, ","))}
	}
	return recs[1:], lines[1:], nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseMissions reads a missions file (header MissionColumns). It returns
// every problem found, each with its line and column, and no missions at
// all when there is any problem: nothing is half-imported.
func ParseMissions(r io.Reader) ([]outreach.Mission, error) {
	recs, lines, err := readTable(r, MissionColumns)
	if err != nil {
		return nil, err
	}
	var errs problems
	add := errs.add
	seen := map[string]int{}
	out := make([]outreach.Mission, 0, len(recs))
	for i, rec := range recs {
		line := lines[i]
		if !errs.columns(line, rec, MissionColumns) {
			continue
		}
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		m := outreach.Mission{
			ID:     strings.ToUpper(rec[0]),
			Names:  outreach.Names{EN: rec[1], FR: rec[2], ES: rec[3]},
			Titles: outreach.Names{EN: rec[4], FR: rec[5], ES: rec[6]},
		}
		m.Kind = outreach.KindOf(m.ID)
		if !outreach.IsMissionID(m.ID) {
			add(line, "id", fmt.Errorf("%q is not an ISO 3166-1 alpha-3 code such as JPN", rec[0]))
		} else if prev, dup := seen[m.ID]; dup {
			add(line, "id", fmt.Errorf("%s already given on line %d", m.ID, prev))
		} else {
			seen[m.ID] = line
		}
		for j, v := range rec[1:7] {
			// The rules the mailer applies to the display names and
			// subjects these become.
			if err := outreach.CheckDisplayName(v); err != nil {
				add(line, MissionColumns[j+1], err)
			}
		}
		for j, v := range rec[1:4] {
			if v == "" {
				add(line, MissionColumns[j+1], errors.New("empty; every mission needs its name in en, fr and es"))
			}
		}
		lang, err := outreach.ParseLanguage(rec[7])
		if err != nil {
			add(line, "language", err)
		}
		m.Language = lang
		for _, e := range splitList(rec[8]) {
			if err := outreach.CheckAddress(e); err != nil {
				add(line, "emails", err)
				continue
			}
			if _, dup := m.Contact(e); dup {
				add(line, "emails", fmt.Errorf("%s listed twice", e))
				continue
			}
			m.Contacts = append(m.Contacts, outreach.Contact{Email: e})
		}
		for _, d := range splitList(rec[9]) {
			if err := outreach.CheckDomain(d); err != nil {
				add(line, "domains", err)
				continue
			}
			m.Domains = append(m.Domains, strings.ToLower(d))
		}
		m.DefaultTitles()
		// A title made from a name is checked as the title it becomes.
		for j, t := range []string{m.Titles.EN, m.Titles.FR, m.Titles.ES} {
			if rec[4+j] == "" && outreach.CheckDisplayName(rec[1+j]) == nil {
				if err := outreach.CheckDisplayName(t); err != nil {
					add(line, MissionColumns[1+j], fmt.Errorf("the title made from it, %s: %w", MissionColumns[4+j], err))
				}
			}
		}
		out = append(out, m)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseSessions reads a sessions file (header SessionColumns, times in RFC
// 3339 such as 2017-10-10T10:00:00+02:00), checking each SuR against known
// mission ids. Like ParseMissions it imports all or nothing.
func ParseSessions(r io.Reader, known func(id string) bool, loc *time.Location) ([]outreach.Session, error) {
	recs, lines, err := readTable(r, SessionColumns)
	if err != nil {
		return nil, err
	}
	var errs problems
	add := errs.add
	seen := map[string]int{}
	var out []outreach.Session
	for i, rec := range recs {
		line := lines[i]
		if !errs.columns(line, rec, SessionColumns) {
			continue
		}
		s := outreach.Session{SuR: strings.ToUpper(strings.TrimSpace(rec[0])), Room: strings.TrimSpace(rec[3])}
		switch prev, dup := seen[s.SuR]; {
		case !outreach.IsMissionID(s.SuR):
			add(line, "sur", fmt.Errorf("%q is not a mission id such as JPN", rec[0]))
		case known != nil && !known(s.SuR):
			add(line, "sur", fmt.Errorf("%s is not in the mission directory; import it with `outreach missions import` first", s.SuR))
		case dup:
			add(line, "sur", fmt.Errorf("%s already has a session on line %d", s.SuR, prev))
		default:
			seen[s.SuR] = line
		}
		for j, dst := range []*time.Time{&s.Start, &s.End} {
			v := strings.TrimSpace(rec[1+j])
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				add(line, SessionColumns[1+j], fmt.Errorf("%q is not an RFC 3339 time such as 2017-10-10T10:00:00+02:00", v))
				continue
			}
			if loc != nil {
				t = t.In(loc)
			}
			*dst = t
		}
		if err := outreach.CheckHeaderText(s.Room, outreach.MaxDisplayName); err != nil {
			add(line, "room", err)
		}
		if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
			add(line, "end", errors.New("not after start"))
		}
		out = append(out, s)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Panel is the speakers of one session, in the order they speak.
type Panel struct {
	SuR      string             `json:"sur"`
	Speakers []outreach.Speaker `json:"speakers"`
}

// ParsePanels reads a panels file (header PanelColumns): kind is CSO or
// NHRI, minutes 5 to 7, email optional, language en, fr or es (en when
// empty). A session's lines need not be together; its speakers keep the
// file's order. session looks up the stored session of a SuR: a SuR it
// does not know is refused, and each panel is checked against its
// session (the programme, with the State under Review's statement when it
// makes one, must fit the slot), the problem given at the panel's last
// line. The panels come back in the order their sessions first appear.
// Like ParseMissions it imports all or nothing.
func ParsePanels(r io.Reader, session func(sur string) (outreach.Session, bool)) ([]Panel, error) {
	recs, lines, err := readTable(r, PanelColumns)
	if err != nil {
		return nil, err
	}
	var errs problems
	add := errs.add
	var out []Panel
	index := map[string]int{}    // SuR → out index
	lastLine := map[string]int{} // SuR → its last line
	emails := map[string]int{}   // "SUR address" → line
	for i, rec := range recs {
		line := lines[i]
		if !errs.columns(line, rec, PanelColumns) {
			continue
		}
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		sur := strings.ToUpper(rec[0])
		ok := true
		switch {
		case !outreach.IsMissionID(sur):
			add(line, "sur", fmt.Errorf("%q is not a mission id such as JPN", rec[0]))
			ok = false
		case session != nil:
			if _, known := session(sur); !known {
				add(line, "sur", fmt.Errorf("%s has no session; import it with `outreach sessions import` first", sur))
				ok = false
			}
		}
		sp := readSpeaker(add, line, rec, sur, emails)
		if !ok {
			continue
		}
		k, seen := index[sur]
		if !seen {
			k = len(out)
			index[sur] = k
			out = append(out, Panel{SuR: sur})
		}
		out[k].Speakers = append(out[k].Speakers, sp)
		lastLine[sur] = line
	}
	if len(errs) == 0 && session != nil {
		// Every line is sound: check each programme against its slot.
		for _, p := range out {
			s, _ := session(p.SuR)
			s.Panel = p.Speakers
			if err := s.CheckPanel(); err != nil {
				add(lastLine[p.SuR], "minutes", fmt.Errorf("the panel of %s: %w", p.SuR, panelProblem(s, err)))
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// readSpeaker reads one speaker of the session on sur from a panel line,
// reporting each problem through add; emails holds the line of each
// address already on a panel, by "SUR address".
func readSpeaker(add func(int, string, error), line int, rec []string, sur string, emails map[string]int) outreach.Speaker {
	sp := outreach.Speaker{Name: rec[1], Organisation: rec[2], Email: rec[5]}
	for j, v := range rec[1:3] {
		switch {
		case v == "":
			add(line, PanelColumns[j+1], errors.New("empty"))
		case j == 0: // the speaker's name: the display name of their address
			if err := outreach.CheckDisplayName(v); err != nil {
				add(line, PanelColumns[j+1], err)
			}
		default:
			if err := outreach.CheckHeaderText(v, outreach.MaxDisplayName); err != nil {
				add(line, PanelColumns[j+1], err)
			}
		}
	}
	switch k := outreach.SpeakerKind(strings.ToUpper(rec[3])); k {
	case outreach.CSO, outreach.NHRI:
		sp.Kind = k
	default:
		add(line, "kind", fmt.Errorf("%q, want CSO or NHRI", rec[3]))
	}
	if n, err := strconv.Atoi(rec[4]); err != nil || n < outreach.SpeakerMinMinutes || n > outreach.SpeakerMaxMinutes {
		add(line, "minutes", fmt.Errorf("%q, want a whole number of minutes from %d to %d", rec[4], outreach.SpeakerMinMinutes, outreach.SpeakerMaxMinutes))
	} else {
		sp.Minutes = n
	}
	if sp.Email != "" {
		if err := outreach.CheckAddress(sp.Email); err != nil {
			add(line, "email", err)
		} else if prev, dup := emails[sur+" "+strings.ToLower(sp.Email)]; dup {
			add(line, "email", fmt.Errorf("%s already speaks in the session on %s (line %d)", sp.Email, sur, prev))
		} else {
			emails[sur+" "+strings.ToLower(sp.Email)] = line
		}
	}
	sp.Language = outreach.English
	if rec[6] != "" {
		lang, err := outreach.ParseLanguage(rec[6])
		if err != nil {
			add(line, "language", err)
		}
		sp.Language = lang
	}
	return sp
}

// panelProblem says why a panel does not fit, naming the State under
// Review's statement when it counts.
func panelProblem(s outreach.Session, err error) error {
	if s.SuRStatement {
		return fmt.Errorf("%w (%d speakers and the State under Review's %d-minute statement)", err, len(s.Panel), outreach.SuRStatementMins)
	}
	return fmt.Errorf("%w (%d speakers)", err, len(s.Panel))
}
