package jobs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/ical"
	"outreach/ical/icaltest"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
)

// lifecycleMissions are invited in the lifecycle tests: English, French
// and Spanish correspondents. FRA is never invited.
var lifecycleMissions = []string{"AUT", "BEL", "ARG", "PER", "KOR"}

// zurich returns a wall-clock time in Geneva during the round.
func zurich(t *testing.T, day, hour, minute int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		testenv.Unavailable(t, "time zone data: %v", err)
	}
	return time.Date(2017, time.October, day, hour, minute, 0, 0, loc)
}

// sentCalendar is one calendar message as a mission received it.
type sentCalendar struct {
	mission string
	subject string
	method  string // the part's method parameter
	ev      ical.Reply
	data    []byte
	text    string // the text/plain body
}

// calendarsByMission reads the calendar part of each message and maps it
// to the mission it was sent to; it fails on a mission receiving two.
func (f *fixture) calendarsByMission(msgs []smtptest.Message) map[string]sentCalendar {
	f.t.Helper()
	ms, err := f.e.Missions()
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]sentCalendar{}
	for _, m := range ms {
		got := sentTo(msgs, m)
		if len(got) == 0 {
			continue
		}
		if len(got) > 1 {
			f.t.Errorf("%s received %d messages, want one", m.ID, len(got))
		}
		msg, part, ev := calendarPart(f.t, got[0].Data)
		c := sentCalendar{mission: m.ID, subject: decodedSubject(f.t, msg), method: part.params["method"], ev: ev, data: part.data}
		_, parts := leafParts(f.t, got[0].Data)
		for _, p := range parts {
			if p.contentType == "text/plain" && c.text == "" {
				c.text = string(p.data)
			}
		}
		out[m.ID] = c
	}
	return out
}

func (f *fixture) summary(mission, session string) string {
	f.t.Helper()
	m, err := f.e.Mission(mission)
	if err != nil {
		f.t.Fatal(err)
	}
	sur, err := f.e.Mission(session)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.opts.Templates.Summary(m.Language, f.event, sur.Names)
}

func (f *fixture) detailLine(session, mission string) MissionLine {
	f.t.Helper()
	d, err := f.e.SessionDetail(session)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, l := range d.Missions {
		if l.Mission == mission {
			return l
		}
	}
	f.t.Fatalf("sessions show %s has no line for %s", session, mission)
	return MissionLine{}
}

// A moved session reaches every mission holding it, except those that
// declined: a REQUEST with the same UID, SEQUENCE+1, a new DTSTAMP, RSVP
// asked again, the new time and room, in the mission's language.
func TestMoveSessionSendsRequestWithNextSequence(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(lifecycleMissions...)
	if _, err := f.e.SetRSVP("PER", "JPN", outreach.Declined, "by phone", "staff"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	start, room := zurich(t, 12, 16, 0), "Room XX"
	rep, err := f.e.MoveSession("JPN", Move{Start: &start, Room: &room, Note: "room change"}, "staff")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queued != 4 || rep.Skipped != 191 || rep.Session.Sequence != 1 {
		t.Fatalf("move: %+v, want 4 queued (5 invited, 1 declined), sequence 1", rep)
	}
	cals := f.calendarsByMission(f.flushAll())
	if len(cals) != 4 {
		t.Fatalf("updates went to %d missions, want 4", len(cals))
	}
	if _, ok := cals["PER"]; ok {
		t.Error("Peru declined and still received the update")
	}
	for _, id := range []string{"AUT", "BEL", "ARG", "KOR"} {
		c := cals[id]
		if c.method != "REQUEST" || c.ev.Method != "REQUEST" || c.ev.UID != f.e.UID(id, "JPN") || c.ev.Sequence != 1 {
			t.Errorf("%s: %s/%s UID %s SEQUENCE %d, want REQUEST %s at 1", id, c.method, c.ev.Method, c.ev.UID, c.ev.Sequence, f.e.UID(id, "JPN"))
		}
		if !c.ev.DTStamp.Equal(f.clock.Now().UTC().Truncate(time.Second)) {
			t.Errorf("%s: DTSTAMP %v, want the time of the move %v", id, c.ev.DTStamp, f.clock.Now())
		}
		if c.ev.ProposedStart != "TZID=Europe/Zurich:20171012T160000" || !strings.HasPrefix(icsValue(c.data, "LOCATION"), localRoom(t, f, id, "Room XX")) {
			t.Errorf("%s: DTSTART %s LOCATION %q", id, c.ev.ProposedStart, icsValue(c.data, "LOCATION"))
		}
		if !strings.Contains(strings.ReplaceAll(string(c.data), "\r\n ", ""), "RSVP=TRUE") {
			t.Errorf("%s: the update does not ask for an answer again (RSVP=TRUE)", id)
		}
		if want := f.summary(id, "JPN"); c.subject != want || c.ev.Summary != want {
			t.Errorf("%s: Subject %q SUMMARY %q, want %q in its language", id, c.subject, c.ev.Summary, want)
		}
		if err := icaltest.Validate(c.data); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if !strings.Contains(cals["BEL"].subject, "Japon") || !strings.Contains(cals["ARG"].subject, "Japón") {
		t.Errorf("subjects not in French and Spanish: %q, %q", cals["BEL"].subject, cals["ARG"].subject)
	}
	// The letter says what changed, in the mission's words.
	if txt := cals["BEL"].text; !strings.Contains(txt, "Salle XXV") || !strings.Contains(txt, "Salle XX,") || !strings.Contains(txt, "qu'en anglais ; en voici le texte : « Room change »") {
		t.Errorf("the French update does not say what changed:\n%s", txt)
	}

	// outreach sessions show JPN: what each mission was last sent.
	for id, want := range map[string]int{"AUT": 1, "BEL": 1, "KOR": 1, "PER": 0, "FRA": -1} {
		if l := f.detailLine("JPN", id); l.Sent != want {
			t.Errorf("sessions show JPN, %s: sent sequence %d, want %d", id, l.Sent, want)
		}
	}
	if l := f.detailLine("JPN", "PER"); l.Status != "declined" || l.Source != "staff" {
		t.Errorf("sessions show JPN, PER: %+v", l)
	}
	if l := f.detailLine("GHA", "AUT"); l.Sent != 0 {
		t.Errorf("sessions show GHA, AUT: sent %d, want 0 (only JPN moved)", l.Sent)
	}
}

// Two moves before the outbox runs send only the latest: the first
// revision's updates are superseded, each mission gets one REQUEST.
func TestSecondMoveBeforeFlushSendsOnlyTheLatest(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(lifecycleMissions...)
	first := zurich(t, 12, 16, 0)
	r1, err := f.e.MoveSession("JPN", Move{Start: &first}, "staff")
	if err != nil || r1.Queued != 5 {
		t.Fatalf("first move: %+v, %v", r1, err)
	}
	if l := f.detailLine("JPN", "AUT"); l.Pending != "update queued" || l.Sent != 0 {
		t.Errorf("sessions show JPN, AUT before the flush: %+v", l)
	}
	f.clock.Advance(10 * time.Minute)
	second, room := zurich(t, 13, 10, 0), "Room XXIII"
	r2, err := f.e.MoveSession("JPN", Move{Start: &second, Room: &room}, "staff")
	if err != nil || r2.Queued != 5 || r2.Replaced != 5 || r2.Session.Sequence != 2 {
		t.Fatalf("second move: %+v, %v; want 5 queued, 5 replaced, sequence 2", r2, err)
	}
	cals := f.calendarsByMission(f.flushAll())
	if len(cals) != 5 {
		t.Fatalf("updates went to %d missions, want 5", len(cals))
	}
	for id, c := range cals {
		if c.ev.Sequence != 2 || c.ev.ProposedStart != "TZID=Europe/Zurich:20171013T100000" || !strings.HasPrefix(icsValue(c.data, "LOCATION"), localRoom(t, f, id, "Room XXIII")) {
			t.Errorf("%s received SEQUENCE %d at %s in %q, want the second move", id, c.ev.Sequence, c.ev.ProposedStart, icsValue(c.data, "LOCATION"))
		}
	}
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]outreach.OutboxState{}
	for _, it := range items {
		if it.Key.Kind == outreach.Update {
			states[it.Key.Mission+"/"+it.Key.Revision] = it.State
		}
	}
	for _, id := range lifecycleMissions {
		if states[id+"/1"] != outreach.Superseded || states[id+"/2"] != outreach.Sent {
			t.Errorf("%s: revision 1 %v, revision 2 %v; want superseded and sent", id, states[id+"/1"], states[id+"/2"])
		}
	}
	if l := f.detailLine("JPN", "AUT"); l.Sent != 2 || l.Pending != "" {
		t.Errorf("sessions show JPN, AUT: %+v", l)
	}
}

// A cancellation reaches every mission holding the session, decliners
// included: METHOD:CANCEL, STATUS:CANCELLED, SEQUENCE+1, same UID.
func TestCancelSessionSendsCancel(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(lifecycleMissions...)
	if _, err := f.e.SetRSVP("PER", "JPN", outreach.Declined, "", "staff"); err != nil {
		t.Fatal(err)
	}
	start := zurich(t, 12, 16, 0)
	if _, err := f.e.MoveSession("JPN", Move{Start: &start}, "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	rep, err := f.e.CancelSession("JPN", "the State under Review withdrew", "staff")
	if err != nil || rep.Queued != 5 || rep.Session.Sequence != 2 || rep.Session.Status != outreach.Cancelled {
		t.Fatalf("cancel: %+v, %v", rep, err)
	}
	cals := f.calendarsByMission(f.flushAll())
	if len(cals) != 5 {
		t.Fatalf("cancellations went to %d missions, want 5", len(cals))
	}
	for id, c := range cals {
		if c.method != "CANCEL" || c.ev.Method != "CANCEL" || icsValue(c.data, "STATUS") != "CANCELLED" ||
			c.ev.Sequence != 2 || c.ev.UID != f.e.UID(id, "JPN") {
			t.Errorf("%s: %s/%s STATUS %s SEQUENCE %d UID %s", id, c.method, c.ev.Method, icsValue(c.data, "STATUS"), c.ev.Sequence, c.ev.UID)
		}
		if err := icaltest.Validate(c.data); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if !strings.Contains(cals["BEL"].subject, "Japon") || !strings.Contains(cals["ARG"].subject, "Japón") {
		t.Errorf("cancellation subjects not in French and Spanish: %q, %q", cals["BEL"].subject, cals["ARG"].subject)
	}
	for _, id := range lifecycleMissions {
		if l := f.detailLine("JPN", id); l.Sent != 2 {
			t.Errorf("sessions show JPN, %s: sent %d, want 2", id, l.Sent)
		}
	}
	if _, err := f.e.MoveSession("JPN", Move{Start: &start}, "staff"); err == nil {
		t.Error("a cancelled session was moved")
	}
	if tl := tallyOf(f.status(), "JPN"); tl.Status != "cancelled" {
		t.Errorf("status JPN: %q, want cancelled", tl.Status)
	}
}

// Calendar replies against revisions, read by intake: a REPLY to an older
// SEQUENCE does not overwrite a newer answer; a REPLY after the
// cancellation is kept in history only.
func TestIntakeRepliesAgainstRevisions(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(lifecycleMissions...)
	srv := startMemIMAP(t)
	start := zurich(t, 12, 16, 0)
	if _, err := f.e.MoveSession("JPN", Move{Start: &start}, "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	now := f.clock.Now()
	aut := func(seq int, partStat string, stamp time.Time, id string) []byte {
		return outlookAnswer{from: "geneva@aut.mission.example", name: "Permanent Mission of Austria", uid: f.e.UID("AUT", "JPN"),
			method: "REPLY", partStat: partStat, sequence: seq, dtstamp: stamp, messageID: id}.raw()
	}
	// Austria accepts the moved session; then its answer to the original
	// invitation, held in an outbox of its own, arrives.
	srv.deliver(t, aut(1, "ACCEPTED", now.Add(time.Hour), "<aut.seq1@aut.mission.example>"),
		aut(0, "DECLINED", now.Add(-time.Hour), "<aut.seq0@aut.mission.example>"))
	f.syncInbox(srv.addr)
	r := f.rsvp("AUT", "JPN")
	if r.Status != outreach.Accepted || r.Source.Sequence != 1 || r.Source.MessageID != "<aut.seq1@aut.mission.example>" {
		t.Errorf("AUT/JPN after a stale decline: %+v", r)
	}
	h := f.history("AUT", "JPN")
	if len(h) != 2 || h[1].Status != outreach.Declined || h[1].Stale == "" {
		t.Errorf("AUT/JPN history %+v, want the stale decline kept and marked", h)
	}
	if tl := tallyOf(f.status(), "JPN"); tl.Accepted != 1 || tl.Declined != 0 {
		t.Errorf("status JPN: %+v", tl)
	}

	if _, err := f.e.CancelSession("JPN", "withdrawn", "staff"); err != nil {
		t.Fatal(err)
	}
	f.flushAll()
	srv.deliver(t, outlookAnswer{from: "geneva@kor.mission.example", name: "Permanent Mission of the Republic of Korea",
		uid: f.e.UID("KOR", "JPN"), method: "REPLY", partStat: "ACCEPTED", sequence: 1, dtstamp: f.clock.Now().Add(2 * time.Hour),
		messageID: "<kor.late@kor.mission.example>"}.raw())
	f.syncInbox(srv.addr)
	if r := f.rsvp("KOR", "JPN"); r.Status != outreach.None {
		t.Errorf("a reply after the cancellation became KOR's answer: %+v", r)
	}
	h = f.history("KOR", "JPN")
	if len(h) != 1 || h[0].Status != outreach.Accepted || !strings.Contains(h[0].Stale, "cancelled") ||
		h[0].Source.MessageID != "<kor.late@kor.mission.example>" {
		t.Errorf("KOR/JPN history %+v, want the reply kept as stale", h)
	}
	if tl := tallyOf(f.status(), "JPN"); tl.Accepted != 1 {
		t.Errorf("status JPN after the late reply: %+v", tl)
	}
	if p := f.pendingOutbox(); len(p) != 0 {
		t.Errorf("replies queued %d messages", len(p))
	}

	// A letter accepting the cancelled session and another: the first is
	// history only, the second is recorded and confirmed.
	srv.deliver(t, letter{from: "geneva@kor.mission.example", subject: "RE: UPR pre-sessions", messageID: "<kor.letter@kor.mission.example>",
		date: f.clock.Now(), body: "Dear colleagues,\n\nThe Permanent Mission of the Republic of Korea will attend the pre-sessions on Japan and Ghana.\n"}.raw())
	f.syncInbox(srv.addr)
	if r := f.rsvp("KOR", "JPN"); r.Status != outreach.None {
		t.Errorf("a letter after the cancellation became KOR's answer for JPN: %+v", r)
	}
	if h := f.history("KOR", "JPN"); len(h) != 2 || h[1].Stale == "" {
		t.Errorf("KOR/JPN history %+v", h)
	}
	if r := f.rsvp("KOR", "GHA"); r.Status != outreach.Accepted {
		t.Errorf("KOR/GHA: %+v", r)
	}
	var keys []string
	for _, it := range f.pendingOutbox() {
		keys = append(keys, it.Key.String())
	}
	if !slices.Equal(keys, []string{"confirmation/KOR/GHA/0"}) {
		t.Errorf("queued %v, want only the confirmation for Ghana", keys)
	}
}

// The staff feed is METHOD:PUBLISH with every session as it is now.
func TestCalendarFeedPublishesEverySession(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	start, room := zurich(t, 12, 16, 0), "Room XX"
	f.inviteAndFlush("AUT")
	if _, err := f.e.MoveSession("JPN", Move{Start: &start, Room: &room}, "staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.CancelSession("GHA", "withdrawn", "staff"); err != nil {
		t.Fatal(err)
	}
	feed, err := f.e.CalendarFeed("")
	if err != nil {
		t.Fatal(err)
	}
	if err := icaltest.Validate(feed); err != nil {
		t.Fatalf("feed: %v", err)
	}
	if icsValue(feed, "METHOD") != "PUBLISH" {
		t.Errorf("feed METHOD %q", icsValue(feed, "METHOD"))
	}
	evs, err := ical.ParseReplies(feed)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(ss) || len(ss) != 14 {
		t.Fatalf("feed holds %d events, want the %d sessions", len(evs), len(ss))
	}
	var uids []string
	for _, ev := range evs {
		uids = append(uids, ev.UID)
		if ev.Attendees != 0 {
			t.Errorf("%s: feed event lists %d attendees", ev.UID, ev.Attendees)
		}
	}
	for _, s := range ss {
		uid := "pre28-" + strings.ToLower(s.SuR) + "@presessions.example"
		if !slices.Contains(uids, uid) {
			t.Errorf("feed lacks %s", uid)
		}
	}
	jpn := eventByUID(evs, "pre28-jpn@presessions.example")
	if jpn.ProposedStart != "TZID=Europe/Zurich:20171012T160000" || jpn.Sequence != 1 {
		t.Errorf("feed JPN: %s sequence %d, want the moved time", jpn.ProposedStart, jpn.Sequence)
	}
	only, err := f.e.CalendarFeed("GHA")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(only), "BEGIN:VEVENT"); n != 1 || icsValue(only, "STATUS") != "CANCELLED" {
		t.Errorf("feed for GHA: %d events, STATUS %q; want one, cancelled", n, icsValue(only, "STATUS"))
	}
}

func eventByUID(evs []ical.Reply, uid string) ical.Reply {
	for _, ev := range evs {
		if ev.UID == uid {
			return ev
		}
	}
	return ical.Reply{}
}
