package jobs

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/config"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/store"
)

// speakersRule is the commented example rule of outreach.example.toml.
var speakersRule = config.Rule{Name: "speakers-day-before", RelativeTo: "session", DaysBefore: 1, At: "10:00",
	Audience: "speakers", Template: "reminder-speaker"}

var speakerSubject = map[outreach.Language]string{
	outreach.English: "Speaker information – ",
	outreach.French:  "Informations pour les intervenants – ",
	outreach.Spanish: "Información para ponentes – ",
}

var speakerYou = map[outreach.Language]string{outreach.English: "← you", outreach.French: "← vous", outreach.Spanish: "← usted"}

// benPanel is the panel the test imports for the session on Benin: three
// speakers with addresses, one in each language, and one without.
var benPanel = []outreach.Speaker{
	{Name: "Kofi Mensah", Organisation: "National Human Rights Institution", Kind: outreach.NHRI, Minutes: 7, Email: "Kofi.Mensah@nhri-ben.example", Language: outreach.French},
	{Name: "Ana Moreno", Organisation: "Women's Rights Network", Kind: outreach.CSO, Minutes: 6, Email: "ana.moreno@wrn.ngo.example", Language: outreach.Spanish},
	{Name: "Eva Keller", Organisation: "Migrants' Rights Platform", Kind: outreach.CSO, Minutes: 5},
	{Name: "Hiroshi Tanaka", Organisation: "Freedom of Expression Centre", Kind: outreach.CSO, Minutes: 5, Email: "hiroshi.tanaka@fec.ngo.example", Language: outreach.English},
}

// TestSpeakersReminder fires a per-session speakers rule for the four
// sessions of 10 October: every speaker with an address receives one
// note, at their own address, in their language, with their line of the
// panel marked; the speaker without one is reported in the sweep and the
// audit. A crash between queueing and sending, restarts and repeated
// sweeps send nobody a second note, and a speaker dropped from a panel
// before the note went out is not sent it.
func TestSpeakersReminder(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	sched := remSchedule(t, []config.Rule{speakersRule})
	sched.Digest = "" // only the speakers' notes in this round
	f.e.SetSchedule(sched)
	if _, err := f.e.ImportPanels([]directory.Panel{{SuR: "BEN", Speakers: benPanel}}, "test"); err != nil {
		t.Fatal(err)
	}
	sessions := speakersSessions(t, f)
	// The sessions of 10 October have their note at 10:00 on the 9th.
	day := []string{"ARG", "BEN", "CZE", "GAB"}
	want, wantSession := speakersWithAddress(sessions, day)
	f.clock.Set(local(10, 9, 9, 59))
	if rep := remSweep(t, f); rep.Queued != 0 || len(rep.Fired) != 0 {
		t.Fatalf("a minute early: %+v", rep)
	}
	f.clock.Set(local(10, 9, 10, 0))
	rep := remSweep(t, f)
	if len(rep.Fired) != len(day) || rep.Queued != len(want) {
		t.Fatalf("sweep at 10:00: fired %v, queued %d; want %d instances, %d notes", rep.Fired, rep.Queued, len(day), len(want))
	}
	checkSpeakerWithoutAddressReported(t, f, rep)
	checkOnlySpeakersQueued(t, f)
	speakerDroppedAfterCrash(t, f, sched, sessions["ARG"].Panel, want)
	checkSpeakerNotes(t, f, want, wantSession)
	if l := remLine(t, f, "speakers-day-before", "BEN"); l.State != "sent" || l.Queued != 3 {
		t.Errorf("reminders list, BEN: %+v", l)
	}
}

// speakersSessions is the round's sessions by SuR.
func speakersSessions(t *testing.T, f *fixture) map[string]outreach.Session {
	t.Helper()
	sessions := map[string]outreach.Session{}
	ss, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		sessions[s.SuR] = s
	}
	return sessions
}

// speakersWithAddress is the speakers with an address on the panels of
// day's sessions, by lower-case address, and the session of each.
func speakersWithAddress(sessions map[string]outreach.Session, day []string) (map[string]outreach.Speaker, map[string]string) {
	want := map[string]outreach.Speaker{}
	wantSession := map[string]string{}
	for _, sur := range day {
		for _, sp := range sessions[sur].Panel {
			if sp.Email != "" {
				want[strings.ToLower(sp.Email)] = sp
				wantSession[strings.ToLower(sp.Email)] = sur
			}
		}
	}
	return want, wantSession
}

// checkSpeakerWithoutAddressReported: the speaker without an address is
// reported in the sweep and, once, in the audit.
func checkSpeakerWithoutAddressReported(t *testing.T, f *fixture, rep SweepReport) {
	t.Helper()
	if len(rep.NoAddress) != 1 || rep.NoAddress[0] != "BEN: Eva Keller (Migrants' Rights Platform)" {
		t.Errorf("speakers without an address: %q", rep.NoAddress)
	}
	var audit []outreach.AuditEntry
	f.st.View(func(tx *store.Tx) error {
		var err error
		audit, err = tx.AuditLog(time.Time{})
		return err
	})
	reported := 0
	for _, a := range audit {
		if a.Action == "reminder.no-address" {
			reported++
			if !strings.HasPrefix(a.Detail, "speakers-day-before BEN: not sent to 1 speakers without an address: Eva Keller") {
				t.Errorf("audit: %s", a.Detail)
			}
		}
	}
	if reported != 1 {
		t.Errorf("%d no-address audit entries, want 1", reported)
	}
}

// checkOnlySpeakersQueued: nothing went to a mission.
func checkOnlySpeakersQueued(t *testing.T, f *fixture) {
	t.Helper()
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Key.Kind == outreach.Reminder && (it.Key.Mission != "" || it.Key.Speaker == "") {
			t.Errorf("reminder %s is not a speaker's", it.Key)
		}
	}
}

// speakerDroppedAfterCrash: a crash before anything is sent; on restart
// the sweep queues nothing more. Meanwhile the panel on Argentina loses
// its last speaker, whose note is superseded (and taken out of want).
// More restarts and sweeps through the day queue nothing more.
func speakerDroppedAfterCrash(t *testing.T, f *fixture, sched Schedule, arg []outreach.Speaker, want map[string]outreach.Speaker) {
	t.Helper()
	f.st.Close()
	f.clock.Advance(10 * time.Minute)
	remRestart(t, f, sched)
	if rep := remSweep(t, f); rep.Queued != 0 || len(rep.Fired) != 0 || len(rep.NoAddress) != 0 {
		t.Fatalf("sweep after the restart: %+v", rep)
	}
	dropped := arg[len(arg)-1]
	if _, err := f.e.ImportPanels([]directory.Panel{{SuR: "ARG", Speakers: arg[:len(arg)-1]}}, "test"); err != nil {
		t.Fatal(err)
	}
	delete(want, strings.ToLower(dropped.Email))
	if fl := flush(t, f, 0); fl.Sent != len(want) || fl.Failed != 0 {
		t.Fatalf("flush: %+v, want %d sent", fl, len(want))
	}
	it := f.item(outreach.OutboxKey{Kind: outreach.Reminder, Session: "ARG", Revision: "speakers-day-before", Speaker: strings.ToLower(dropped.Email)})
	if it.State != outreach.Superseded || !strings.Contains(it.Error, "no longer on the panel of ARG") {
		t.Errorf("note to the dropped speaker: %s %q", it.State, it.Error)
	}
	for i := 0; i < 3; i++ {
		remRestart(t, f, sched)
		f.clock.Advance(time.Hour)
		if rep := remSweep(t, f); rep.Queued != 0 {
			t.Fatalf("sweep %d after sending: %+v", i, rep)
		}
		flush(t, f, 0)
	}
}

// checkSpeakerNotes: every speaker in want received one note, alone, at
// their own address, and nobody else did; Kofi Mensah's is in French, Ana
// Moreno's in Spanish.
func checkSpeakerNotes(t *testing.T, f *fixture, want map[string]outreach.Speaker, wantSession map[string]string) {
	t.Helper()
	got := map[string]int{}
	for _, m := range remReceived(t, f, outreach.Reminder) {
		if len(m.msg.To) != 1 {
			t.Fatalf("a note to %v: one speaker per message", m.msg.To)
		}
		addr := strings.ToLower(m.msg.To[0])
		got[addr]++
		sp, ok := want[addr]
		if !ok {
			t.Errorf("%s received a note it should not have", addr)
			continue
		}
		if m.item.Key.Speaker != addr || m.item.Key.Session != wantSession[addr] {
			t.Errorf("%s: outbox key %s", addr, m.item.Key)
		}
		checkSpeakerNote(t, f, m, addr, sp)
	}
	for addr := range want {
		if got[addr] != 1 {
			t.Errorf("%s received %d notes, want 1", addr, got[addr])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d speakers received a note, want %d", len(got), len(want))
	}
	for addr, lang := range map[string]outreach.Language{"kofi.mensah@nhri-ben.example": outreach.French, "ana.moreno@wrn.ngo.example": outreach.Spanish} {
		if want[addr].Lang() != lang || got[addr] != 1 {
			t.Errorf("%s: %s, %d notes", addr, want[addr].Lang(), got[addr])
		}
	}
}

// checkSpeakerNote: the note is in the speaker's language, marks their
// line of the panel, gives the staff address and answers to it.
func checkSpeakerNote(t *testing.T, f *fixture, m remMail, addr string, sp outreach.Speaker) {
	t.Helper()
	lang := sp.Lang()
	if !strings.HasPrefix(m.subject, speakerSubject[lang]) {
		t.Errorf("%s (%s): subject %q", addr, lang, m.subject)
	}
	if !strings.Contains(m.text, sp.Name+", "+sp.Organisation) || strings.Count(m.text, speakerYou[lang]) != 1 ||
		!strings.Contains(m.text, sp.Name+", "+sp.Organisation+" ("+kindIn(lang, sp.Kind)) {
		t.Errorf("%s: the panel does not mark the speaker's line:\n%s", addr, m.text)
	}
	if !strings.Contains(m.text, f.event.Staff.Email) {
		t.Errorf("%s: no contact address in the note", addr)
	}
	if rt := replyTo(t, m.msg.Data); rt != f.event.Staff.Email {
		t.Errorf("%s: Reply-To %q, want the staff address", addr, rt)
	}
}

func kindIn(l outreach.Language, k outreach.SpeakerKind) string {
	if l != outreach.English {
		return map[outreach.SpeakerKind]string{outreach.CSO: "OSC", outreach.NHRI: "INDH"}[k]
	}
	return string(k)
}

func replyTo(t *testing.T, data []byte) string {
	t.Helper()
	for _, line := range strings.Split(string(data), "\r\n") {
		if line == "" {
			break
		}
		if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Reply-To") {
			v = strings.TrimSpace(v)
			if i := strings.LastIndexByte(v, '<'); i >= 0 {
				v = strings.TrimSuffix(v[i+1:], ">")
			}
			return v
		}
	}
	return ""
}

// TestImportPanelsAllOrNothing: one session whose programme no longer
// fits refuses the whole file, and no panel changes.
func TestImportPanelsAllOrNothing(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	before, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	long := make([]outreach.Speaker, 9)
	for i := range long {
		long[i] = outreach.Speaker{Name: "S", Organisation: "O", Kind: outreach.CSO, Minutes: 7}
	}
	_, err = f.e.ImportPanels([]directory.Panel{{SuR: "BEN", Speakers: benPanel}, {SuR: "JPN", Speakers: long}, {SuR: "FRA", Speakers: benPanel}}, "test")
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "session JPN") || !strings.Contains(err.Error(), "needs 65 minutes, the slot has 60") ||
		!strings.Contains(err.Error(), "session FRA: no such session") {
		t.Fatalf("err = %v", err)
	}
	after, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if !slices.Equal(before[i].Panel, after[i].Panel) {
			t.Errorf("%s: panel changed by a refused import", before[i].SuR)
		}
	}
	rep, err := f.e.ImportPanels([]directory.Panel{{SuR: "BEN", Speakers: benPanel}, {SuR: "JPN", Speakers: after[6].Panel}}, "test")
	if err != nil || len(rep.Replaced) != 1 || rep.Replaced[0] != "BEN" || rep.Unchanged != 1 || len(rep.NoAddress) != 1 {
		t.Fatalf("import: %+v %v", rep, err)
	}
}
