package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/internal/clientcheck"
	"outreach/templates"
)

// TestDryRunInvitationsReadByClients is the acceptance check of the
// invitations: `outreach init --demo` then `invite --dry-run` writes one
// message per mission, States under Review included, addressed to all of
// its contacts, which Python's email package reads without defects; each
// carries one calendar attachment per session that ical.js and Python's
// icalendar both read, with the mission's formal title in its language as
// ATTENDEE CN of each of its contacts, character for character, and
// DTSTART/DTEND at the slot's Geneva time.
func TestDryRunInvitationsReadByClients(t *testing.T) {
	clientcheck.Require(t, clientcheck.PyEmailParser, clientcheck.ICALJSParser, clientcheck.PyICalendarParser)
	begin := time.Now()
	_, cfg := demoDir(t)
	out := filepath.Join(t.TempDir(), "out")
	if msg := mustRun(t, "--config", cfg, "invite", "--dry-run", out); !strings.Contains(msg, "Wrote 195 messages") {
		t.Errorf("invite --dry-run said %q", msg)
	}
	rendered := time.Since(begin)

	// What the store holds: the missions with their titles, languages and
	// contacts, as `missions list` shows them.
	var ms []missionJSON
	if err := json.Unmarshal([]byte(mustRun(t, "--config", cfg, "missions", "list", "--json")), &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 195 {
		t.Fatalf("%d missions in the store, want 195", len(ms))
	}
	// The slots, from the demo round the store was seeded with.
	ev, sessions, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 14 {
		t.Fatalf("%d demo sessions, want 14", len(sessions))
	}
	names := map[string]outreach.Names{}
	for _, m := range ms {
		names[m.ID] = m.Names
	}

	emls := readDryRunMessages(t, out, ms, names)
	parseStart := time.Now()
	parsed, err := clientcheck.PyEmailAll(emls)
	if err != nil {
		t.Fatal(err)
	}
	emailTime := time.Since(parseStart)

	// Every calendar attachment, with the mission and session it is for.
	var atts []dryRunAttachment
	var ics [][]byte
	for i, m := range ms {
		e, perr := parsed[i].Email, parsed[i].Err
		if perr != nil {
			t.Errorf("%s: Python email: %v", m.ID, perr)
			continue
		}
		if len(e.Defects) > 0 {
			t.Errorf("%s: Python email found defects: %v", m.ID, e.Defects)
		}
		checkDryRunAddresses(t, m, e, ev)
		a, b := dryRunAttachments(t, m, e, sessions, names)
		atts, ics = append(atts, a...), append(ics, b...)
	}
	if len(ics) != 195*14 {
		t.Errorf("%d calendar attachments in all, want %d", len(ics), 195*14)
	}

	uids := map[string]string{}
	for _, p := range readCalendarsInParallel(ics) {
		if p.err != nil {
			t.Fatal(p.err)
		}
		checkDryRunEvents(t, p, atts, ev, names, uids)
		t.Logf("%s read %d attachments in %v", p.parser, len(p.rs), p.took.Round(time.Millisecond))
	}
	if len(uids) != 195*14 {
		t.Errorf("%d distinct UIDs, want one per mission and session (%d)", len(uids), 195*14)
	}
	t.Logf("init + dry run %v; Python email read %d messages in %v; whole check %v",
		rendered.Round(time.Millisecond), len(emls), emailTime.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}

// readDryRunMessages reads the dry run's messages in out, one .eml per
// mission, in the order of ms; every State under Review is in the
// directory and invited.
func readDryRunMessages(t *testing.T, out string, ms []missionJSON, names map[string]outreach.Names) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 195 {
		t.Fatalf("%d .eml files, want 195", len(files))
	}
	emls := make([][]byte, len(ms))
	for i, m := range ms {
		b, err := os.ReadFile(filepath.Join(out, m.ID+".eml"))
		if err != nil {
			t.Fatalf("no message for %s: %v", m.ID, err)
		}
		emls[i] = b
	}
	for _, sur := range directory.Round28SuR {
		if _, ok := names[sur]; !ok {
			t.Errorf("State under Review %s is not in the directory", sur)
		}
		if _, err := os.Stat(filepath.Join(out, sur+".eml")); err != nil {
			t.Errorf("State under Review %s not invited: %v", sur, err)
		}
	}
	return emls
}

// checkDryRunAddresses: the invitation goes to every contact of the
// mission, each under the mission's title in its language, from the
// event's mailbox.
func checkDryRunAddresses(t *testing.T, m missionJSON, e clientcheck.Email, ev outreach.Event) {
	t.Helper()
	title := m.Titles.In(outreach.Language(m.Language))
	var want, got []string
	for _, c := range m.Contacts {
		want = append(want, strings.ToLower(c.Email))
	}
	for _, a := range e.Addresses["to"] {
		got = append(got, strings.ToLower(a.Email))
		if a.Name != title {
			t.Errorf("%s: To display name %q, want the title %q", m.ID, a.Name, title)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("%s: addressed to %v, want every contact %v", m.ID, got, want)
	}
	if from := e.Addresses["from"]; len(from) != 1 || from[0].Email != ev.Mailbox.Email {
		t.Errorf("%s: From %+v, want %s", m.ID, from, ev.Mailbox.Email)
	}
}

// dryRunAttachment is a calendar attachment with the mission and session
// it is for.
type dryRunAttachment struct {
	mission missionJSON
	session outreach.Session
	file    string
}

// dryRunAttachments: the invitation carries 14 calendar attachments, one
// per session, each named after its State under Review in the mission's
// language, with method=REQUEST and charset=UTF-8. It returns them and
// their bodies.
func dryRunAttachments(t *testing.T, m missionJSON, e clientcheck.Email, sessions []outreach.Session, names map[string]outreach.Names) ([]dryRunAttachment, [][]byte) {
	t.Helper()
	lang := outreach.Language(m.Language)
	byFile := map[string]outreach.Session{}
	for _, s := range sessions {
		byFile[templates.AttachmentName(names[s.SuR], lang)] = s
	}
	var cals []clientcheck.Part
	for _, p := range e.Root.Leaves() {
		if p.ContentType == "text/calendar" {
			cals = append(cals, p)
		}
	}
	if len(cals) != 14 {
		t.Errorf("%s: %d calendar attachments, want 14", m.ID, len(cals))
	}
	var atts []dryRunAttachment
	var ics [][]byte
	seen := map[string]bool{}
	for _, p := range cals {
		s, ok := byFile[p.Filename]
		switch {
		case !ok:
			t.Errorf("%s: attachment %q is not named after a State under Review", m.ID, p.Filename)
			continue
		case seen[s.SuR]:
			t.Errorf("%s: two attachments for %s", m.ID, s.SuR)
		case p.Disposition != "attachment" || !strings.EqualFold(p.Params["method"], "REQUEST") || !strings.EqualFold(p.Params["charset"], "UTF-8"):
			t.Errorf("%s: %s is %s %v disposition %q, want an attachment with method=REQUEST and charset=UTF-8",
				m.ID, p.Filename, p.ContentType, p.Params, p.Disposition)
		}
		seen[s.SuR] = true
		atts = append(atts, dryRunAttachment{mission: m, session: s, file: p.Filename})
		ics = append(ics, p.Body)
	}
	return atts, ics
}

// calendarsRead is what one calendar parser made of every attachment.
type calendarsRead struct {
	parser clientcheck.Parser
	all    func([][]byte) ([]clientcheck.CalendarResult, error)
	rs     []clientcheck.CalendarResult
	err    error
	took   time.Duration
}

// readCalendarsInParallel reads ics with both calendar parsers at once:
// they are separate processes.
func readCalendarsInParallel(ics [][]byte) []calendarsRead {
	parsers := []calendarsRead{
		{parser: clientcheck.ICALJSParser, all: clientcheck.ICALJSAll},
		{parser: clientcheck.PyICalendarParser, all: clientcheck.PyICalendarAll},
	}
	var wg sync.WaitGroup
	for i := range parsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parsers[i]
			start := time.Now()
			p.rs, p.err = p.all(ics)
			p.took = time.Since(start)
		}()
	}
	wg.Wait()
	return parsers
}

// checkDryRunEvents: as parser p reads them, every attachment is the
// invitation to its session for its mission, under a UID of its own
// (recorded in uids, mission/session by UID).
func checkDryRunEvents(t *testing.T, p calendarsRead, atts []dryRunAttachment, ev outreach.Event, names map[string]outreach.Names, uids map[string]string) {
	t.Helper()
	bad := 0
	for i, r := range p.rs {
		a := atts[i]
		problems := checkInvitationEvent(a.mission, a.session, ev, names, r)
		if len(problems) == 0 {
			uid := r.Calendar.Events[0].UID
			if other, dup := uids[uid]; dup && other != a.mission.ID+"/"+a.session.SuR {
				problems = append(problems, fmt.Sprintf("UID %s also used for %s", uid, other))
			}
			uids[uid] = a.mission.ID + "/" + a.session.SuR
		}
		if len(problems) > 0 {
			bad++
			if bad <= 10 {
				t.Errorf("%s, %s (%s) as %s reads it:\n  %s", a.mission.ID, a.file, a.session.SuR, p.parser, strings.Join(problems, "\n  "))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d attachments wrong", p.parser, bad, len(p.rs))
	}
}

// checkInvitationEvent lists what is wrong with a parser's reading of the
// invitation of mission m to session s.
func checkInvitationEvent(m missionJSON, s outreach.Session, ev outreach.Event, names map[string]outreach.Names, r clientcheck.CalendarResult) []string {
	if r.Err != nil {
		return []string{r.Err.Error()}
	}
	c := r.Calendar
	if c.Method != "REQUEST" || len(c.Events) != 1 {
		return []string{fmt.Sprintf("METHOD %q with %d events, want one REQUEST event", c.Method, len(c.Events))}
	}
	var out []string
	e := c.Events[0]
	lang := outreach.Language(m.Language)
	title := m.Titles.In(lang)
	if len(e.Attendees) != len(m.Contacts) {
		out = append(out, fmt.Sprintf("%d attendees, want every contact of the mission (%d)", len(e.Attendees), len(m.Contacts)))
	}
	for _, a := range e.Attendees {
		if a.CN != title {
			out = append(out, fmt.Sprintf("ATTENDEE CN %q, want %q", a.CN, title))
		}
		if !slices.ContainsFunc(m.Contacts, func(c outreach.Contact) bool { return strings.EqualFold(c.Email, a.Email) }) {
			out = append(out, fmt.Sprintf("ATTENDEE %s is not a contact of the mission", a.Email))
		}
		if a.PartStat != "NEEDS-ACTION" || a.RSVP != "TRUE" || a.Role != "REQ-PARTICIPANT" {
			out = append(out, fmt.Sprintf("ATTENDEE PARTSTAT=%s RSVP=%s ROLE=%s", a.PartStat, a.RSVP, a.Role))
		}
	}
	if !e.Start.Equal(s.Start) || !e.End.Equal(s.End) {
		out = append(out, fmt.Sprintf("DTSTART–DTEND %s–%s UTC, want %s–%s (%s in Geneva)",
			e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), s.Start.UTC().Format(time.RFC3339),
			s.End.UTC().Format(time.RFC3339), s.Start.Format("2006-01-02 15:04 MST")))
	}
	if e.StartTZID != "Europe/Zurich" {
		out = append(out, fmt.Sprintf("DTSTART TZID %q, want Europe/Zurich", e.StartTZID))
	}
	if !e.StartViaVTimezone.IsZero() && !e.StartViaVTimezone.Equal(s.Start) {
		out = append(out, fmt.Sprintf("DTSTART through the object's VTIMEZONE is %s", e.StartViaVTimezone.Format(time.RFC3339)))
	}
	if e.Organizer.Email != ev.Mailbox.Email {
		out = append(out, fmt.Sprintf("ORGANIZER %s, want %s", e.Organizer.Email, ev.Mailbox.Email))
	}
	wantStatus := "CONFIRMED"
	if ev.Provisional {
		wantStatus = "TENTATIVE" // until the UN confirms the dates
	}
	if e.Sequence != 0 || e.Status != wantStatus {
		out = append(out, fmt.Sprintf("SEQUENCE %d STATUS %s, want 0 %s", e.Sequence, e.Status, wantStatus))
	}
	if sur := names[s.SuR].In(lang); !strings.Contains(e.Summary, sur) {
		out = append(out, fmt.Sprintf("SUMMARY %q does not name %q", e.Summary, sur))
	}
	// LOCATION is what calendars show: in the mission's language.
	room := s.Room
	switch lang {
	case outreach.French:
		room = strings.Replace(room, "Room ", "Salle ", 1)
	case outreach.Spanish:
		room = strings.Replace(room, "Room ", "Sala ", 1)
	}
	if !strings.HasPrefix(e.Location, room) {
		out = append(out, fmt.Sprintf("LOCATION %q, want the room %q first", e.Location, room))
	}
	// The UID names the session and is keyed for the mission: the readable
	// pre28-<session>-<mission>@ form is what a forger would guess.
	prefix := fmt.Sprintf("pre%d-%s-", ev.UPRSession, strings.ToLower(s.SuR))
	if !strings.HasPrefix(e.UID, prefix) {
		out = append(out, fmt.Sprintf("UID %q does not begin with %q", e.UID, prefix))
	}
	if strings.HasPrefix(e.UID, prefix+strings.ToLower(m.ID)+"@") {
		out = append(out, fmt.Sprintf("UID %q is the guessable readable form", e.UID))
	}
	return out
}
