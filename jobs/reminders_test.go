package jobs

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"outreach"
	"outreach/config"
	"outreach/internal/smtptest"
	"outreach/store"
)

var geneva = mustZone("Europe/Zurich")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// local is a wall-clock time in Geneva.
func local(month time.Month, day, hour, min int) time.Time {
	return time.Date(2017, month, day, hour, min, 0, 0, geneva)
}

// remSchedule converts configured rules with ScheduleFrom, as the daemon
// does, with the configuration's default lateness and digest.
func remSchedule(t *testing.T, rules []config.Rule) Schedule {
	t.Helper()
	for _, r := range rules {
		if _, _, err := config.ParseClock(r.At); err != nil {
			t.Fatal(err)
		}
	}
	return ScheduleFrom(config.Reminders{Lateness: config.Duration{D: 36 * time.Hour},
		Digest: "CRON_TZ=Europe/Zurich 0 8 * * *", Rules: rules})
}

// remConfigSchedule is the schedule of a configuration file, as loaded on
// start and on SIGHUP.
func remConfigSchedule(t *testing.T, text string) Schedule {
	t.Helper()
	cfg, err := config.Parse(text)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return ScheduleFrom(cfg.Reminders)
}

// remInvite invites missions ("" for all) and sends the invitations.
func remInvite(t *testing.T, f *fixture, missions ...string) {
	t.Helper()
	if len(missions) == 0 {
		missions = []string{""}
	}
	for _, m := range missions {
		if _, err := f.e.Invite(m, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if rep := flush(t, f, 0); rep.Failed != 0 || rep.Waiting != 0 {
		t.Fatalf("invitations: %+v", rep)
	}
}

// remNoSync reopens f's store without fsync: for tests that run a whole
// round through the scheduler and do not restart, where waiting for the
// disk thousands of times proves nothing.
func remNoSync(t *testing.T, f *fixture) {
	t.Helper()
	f.st.Close()
	st, err := store.Open(filepath.Join(f.dir, "outreach.db"), store.Options{Now: f.clock.Now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st, f.opts.Store = st, st
	f.e = New(f.opts)
}

func remSweep(t *testing.T, f *fixture) SweepReport {
	t.Helper()
	rep, err := f.e.Sweep()
	if err != nil {
		t.Fatalf("sweep at %s: %v", f.clock.Now().In(geneva), err)
	}
	return rep
}

// remSet records a staff-taken answer.
func remSet(t *testing.T, f *fixture, mission, session string, st outreach.Status) {
	t.Helper()
	if _, err := f.e.SetRSVP(mission, session, st, "", "test"); err != nil {
		t.Fatalf("rsvp %s %s: %v", mission, session, err)
	}
}

// remMail is one message the SMTP server received, with the outbox item it
// came from.
type remMail struct {
	item    outreach.OutboxItem
	msg     smtptest.Message
	subject string
	text    string
}

// remReceived returns what the server received of kind, matched to the
// outbox by Message-ID.
func remReceived(t *testing.T, f *fixture, kind outreach.MessageKind) []remMail {
	t.Helper()
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]outreach.OutboxItem{}
	for _, it := range items {
		byID[it.MessageID] = it
	}
	var out []remMail
	for _, m := range f.smtp.Messages() {
		it, ok := byID[m.MessageID]
		if !ok {
			t.Fatalf("the server received %s, which is not in the outbox", m.MessageID)
		}
		if it.Key.Kind != kind {
			continue
		}
		subject, text := remDecode(t, m.Data)
		out = append(out, remMail{item: it, msg: m, subject: subject, text: text})
	}
	return out
}

// remDecode returns a message's decoded Subject and plain-text body.
func remDecode(t *testing.T, data []byte) (string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	text := remPlain(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return subject, text
}

func remPlain(t *testing.T, ctype, cte string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return ""
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := remPlain(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); s != "" {
				return s
			}
		}
	}
	if mt != "text/plain" {
		return ""
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// remSubjectPrefix is how each reminder's subject begins in each language.
var remSubjectPrefix = map[string]map[outreach.Language]string{
	"reminder-noanswer":  {outreach.English: "Reminder: UPR Pre-sessions, ", outreach.French: "Rappel : Pré-sessions de l'EPU, ", outreach.Spanish: "Recordatorio: Pre-sesiones del EPU, "},
	"reminder-accepted":  {outreach.English: "Reminder: UPR Pre-sessions your delegation", outreach.French: "Rappel : Pré-sessions de l'EPU auxquelles", outreach.Spanish: "Recordatorio: Pre-sesiones del EPU a las que"},
	"reminder-practical": {outreach.English: "Practical information – ", outreach.French: "Informations pratiques – ", outreach.Spanish: "Información práctica – "},
}

// TestReminderWholeRound runs the 28th round from the invitations to the
// day after the last session, sweeping every half hour as the daemon's
// cron does (it sweeps every minute; every rule and the digest fall on the
// half hour), with answers coming in along the way. Each default
// reminder goes out at its time, once, to exactly its audience, in each
// mission's language; the digest goes to staff once a day with what
// changed.
func TestReminderWholeRound(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	remNoSync(t, f)
	f.e.SetSchedule(remSchedule(t, config.DefaultRules()))
	remInvite(t, f)
	r := newWholeRound(t, f)
	r.run(local(10, 14, 2, 0), []roundPhase{
		{local(9, 12, 10, 0), r.firstAnswers},      // the first answers, two weeks in
		{local(9, 29, 15, 0), r.nudgedAccept},      // after the nudge, some of the nudged accept
		{local(10, 5, 11, 0), r.lateChangesOfMind}, // after the week-before reminder
	})
	wantDue := r.checkEveryInstanceSent()
	got := r.checkReminderMail(wantDue)
	r.checkAudiences(got)
	r.checkPracticalNotes()
	r.checkDigests()
}

// wholeRoundStep is how often TestReminderWholeRound sweeps.
const wholeRoundStep = 30 * time.Minute

// wholeRound is the state of TestReminderWholeRound: the answers it
// recorded, and the audiences it expects from them.
type wholeRound struct {
	t           *testing.T
	f           *fixture
	ms          []outreach.Mission
	ss          []outreach.Session
	sessionDays []string
	answers     map[string]map[string]outreach.Status
	recorded    int
	want        struct {
		nudge, week map[string]bool
		day         map[string]map[string][]string // day → mission → sessions
	}
	firstAnswered []string // missions answering in the first phase
	nFirst        int      // answers recorded in the first phase
}

// roundPhase is answers recorded once the clock reaches at.
type roundPhase struct {
	at  time.Time
	run func()
}

func newWholeRound(t *testing.T, f *fixture) *wholeRound {
	t.Helper()
	ms, err := f.e.Missions()
	if err != nil {
		t.Fatal(err)
	}
	ss, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	r := &wholeRound{t: t, f: f, ms: ms, ss: ss, answers: map[string]map[string]outreach.Status{}}
	for _, s := range ss {
		if d := sessionDay(s); len(r.sessionDays) == 0 || r.sessionDays[len(r.sessionDays)-1] != d {
			r.sessionDays = append(r.sessionDays, d)
		}
	}
	return r
}

func sessionDay(s outreach.Session) string { return s.Start.In(geneva).Format(time.DateOnly) }

// set records an answer and remembers it.
func (r *wholeRound) set(m outreach.Mission, s outreach.Session, st outreach.Status) {
	r.recorded++
	remSet(r.t, r.f, m.ID, s.SuR, st)
	if r.answers[m.ID] == nil {
		r.answers[m.ID] = map[string]outreach.Status{}
	}
	r.answers[m.ID][s.SuR] = st
}

// noAnswer is the missions that have recorded no answer.
func (r *wholeRound) noAnswer() map[string]bool {
	out := map[string]bool{}
	for _, m := range r.ms {
		if len(r.answers[m.ID]) == 0 {
			out[m.ID] = true
		}
	}
	return out
}

// accepted is the missions that have accepted a session.
func (r *wholeRound) accepted() map[string]bool {
	out := map[string]bool{}
	for id, as := range r.answers {
		for _, a := range as {
			if a == outreach.Accepted {
				out[id] = true
			}
		}
	}
	return out
}

// attending is, per mission, the sessions of day it attends.
func (r *wholeRound) attending(day string) map[string][]string {
	out := map[string][]string{}
	for _, s := range r.ss {
		if sessionDay(s) != day {
			continue
		}
		for id, as := range r.answers {
			if a := as[s.SuR]; a == outreach.Accepted || a == outreach.Tentative {
				out[id] = append(out[id], s.SuR)
			}
		}
	}
	return out
}

// firstAnswers: five missions in six answer, in four ways; the rest are
// the nudge's audience.
func (r *wholeRound) firstAnswers() {
	ss := r.ss
	for i, m := range r.ms {
		switch i % 6 {
		case 0:
			for k, s := range ss {
				if (i+k)%3 == 0 {
					r.set(m, s, outreach.Accepted)
				}
			}
		case 1:
			for _, s := range ss {
				r.set(m, s, outreach.Declined)
			}
		case 2:
			r.set(m, ss[i%len(ss)], outreach.Tentative)
		case 3:
			r.set(m, ss[i%len(ss)], outreach.Accepted)
			r.set(m, ss[(i+1)%len(ss)], outreach.Declined)
		default:
			continue
		}
		r.firstAnswered = append(r.firstAnswered, m.ID)
	}
	r.nFirst = r.recorded
	r.want.nudge = r.noAnswer()
}

// nudgedAccept: some of the nudged accept; those accepting are the
// week-before reminder's audience.
func (r *wholeRound) nudgedAccept() {
	for i, m := range r.ms {
		if i%12 == 4 {
			r.set(m, r.ss[(i+5)%len(r.ss)], outreach.Accepted)
		}
	}
	r.want.week = r.accepted()
}

// lateChangesOfMind: late tentatives and a change of mind; those
// attending then are each day's practical note's audience.
func (r *wholeRound) lateChangesOfMind() {
	for i, m := range r.ms {
		if i%12 == 5 {
			r.set(m, r.ss[(i+2)%len(r.ss)], outreach.Tentative)
		}
		if i%12 == 0 {
			r.set(m, r.ss[i%len(r.ss)], outreach.Declined)
		}
	}
	r.want.day = map[string]map[string][]string{}
	for _, d := range r.sessionDays {
		r.want.day[d] = r.attending(d)
	}
}

// run sweeps every step until end, running each phase when its time
// comes, and sends what each sweep queued; no sweep may report a missed
// reminder.
func (r *wholeRound) run(end time.Time, phases []roundPhase) {
	t, f := r.t, r.f
	t.Helper()
	for f.clock.Now().Before(end) {
		now := f.clock.Now()
		for len(phases) > 0 && !phases[0].at.After(now) {
			phases[0].run()
			phases = phases[1:]
		}
		if rep := remSweep(t, f); rep.Queued > 0 || rep.Digest || len(rep.Missed) > 0 {
			if len(rep.Missed) > 0 {
				t.Fatalf("%s: reminders missed while running: %+v", now, rep.Missed)
			}
			flush(t, f, 0)
		}
		f.clock.Advance(wholeRoundStep)
	}
	flush(t, f, 0)
}

// checkEveryInstanceSent: every instance is sent, none missed, none still
// scheduled, each due at its time: the practical note is one instance per
// day of sessions. It returns when each is due, by rule/session-or-day.
func (r *wholeRound) checkEveryInstanceSent() map[string]time.Time {
	t := r.t
	t.Helper()
	lines, err := r.f.e.Reminders()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.sessionDays) != 4 || len(lines) != 2+len(r.sessionDays) {
		t.Fatalf("%d reminder instances, want %d (sessionDays %v)", len(lines), 2+len(r.sessionDays), r.sessionDays)
	}
	dueAt := map[string]time.Time{}
	for _, l := range lines {
		if l.State != "sent" {
			t.Errorf("%s %s: %s", l.Rule, l.Day, l.State)
		}
		dueAt[l.Rule+"/"+l.Session+l.Day] = l.At
	}
	wantDue := map[string]time.Time{"nudge/": local(9, 26, 9, 30), "week-before/": local(10, 3, 9, 30)}
	for _, s := range r.ss {
		d := s.Start.In(geneva)
		wantDue["day-before/"+sessionDay(s)] = time.Date(d.Year(), d.Month(), d.Day()-1, 9, 30, 0, 0, geneva)
	}
	for k, at := range wantDue {
		if !dueAt[k].Equal(at) {
			t.Errorf("%s due %s, want %s", k, dueAt[k], at)
		}
	}
	return wantDue
}

func (r *wholeRound) missionsByID() map[string]outreach.Mission {
	byMission := map[string]outreach.Mission{}
	for _, m := range r.ms {
		byMission[m.ID] = m
	}
	return byMission
}

// checkReminderMail checks each reminder received: once per mission and
// instance, its subject in the mission's language, to the mission's usable
// contacts, queued when due and sent within a sweep. It returns who
// received each instance (rule/session-or-day → missions).
func (r *wholeRound) checkReminderMail(wantDue map[string]time.Time) map[string]map[string]bool {
	t := r.t
	t.Helper()
	byMission := r.missionsByID()
	got := map[string]map[string]bool{}
	for _, rm := range remReceived(t, r.f, outreach.Reminder) {
		k := rm.item.Key
		name, tmpl, _ := ruleParts(rm.item.Rule)
		id := name + "/" + k.Session + k.Day
		if got[id] == nil {
			got[id] = map[string]bool{}
		}
		if got[id][k.Mission] {
			t.Errorf("%s received %s twice", k.Mission, id)
		}
		got[id][k.Mission] = true
		m := byMission[k.Mission]
		if p := remSubjectPrefix[tmpl][m.Language]; !strings.HasPrefix(rm.subject, p) {
			t.Errorf("%s %s (%s): subject %q, want it to begin %q", k.Mission, id, m.Language, rm.subject, p)
		}
		checkSentToUsable(t, rm, m, id)
		due := wantDue[id]
		if !rm.item.Created.Equal(due) || rm.item.Sent.Before(due) || rm.item.Sent.Sub(due) >= wholeRoundStep {
			t.Errorf("%s %s: queued %s, sent %s; due %s", k.Mission, id, rm.item.Created.In(geneva), rm.item.Sent.In(geneva), due)
		}
	}
	return got
}

// checkSentToUsable: the envelope recipients are the mission's usable
// contacts, no more, no fewer.
func checkSentToUsable(t *testing.T, rm remMail, m outreach.Mission, id string) {
	t.Helper()
	var to []string
	for _, c := range m.Usable() {
		to = append(to, c.Email)
	}
	sort.Strings(to)
	env := append([]string(nil), rm.msg.To...)
	sort.Strings(env)
	if strings.Join(env, ",") != strings.Join(to, ",") {
		t.Errorf("%s %s: sent to %v, want %v", rm.item.Key.Mission, id, env, to)
	}
}

// checkAudiences: each instance went to exactly the audience the answers
// shaped, and nothing else went out.
func (r *wholeRound) checkAudiences(got map[string]map[string]bool) {
	t := r.t
	t.Helper()
	checkAudience(t, got, "nudge/", r.want.nudge)
	checkAudience(t, got, "week-before/", r.want.week)
	for _, d := range r.sessionDays {
		missions := map[string]bool{}
		for id := range r.want.day[d] {
			missions[id] = true
		}
		checkAudience(t, got, "day-before/"+d, missions)
	}
	if len(got) != 2+len(r.sessionDays) {
		t.Errorf("reminders sent for %d instances, want %d", len(got), 2+len(r.sessionDays))
	}
}

// checkAudience compares who received instance id with want, which must
// not be empty.
func checkAudience(t *testing.T, got map[string]map[string]bool, id string, want map[string]bool) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the test shaped an empty audience", id)
	}
	var missing, extra []string
	for m := range want {
		if !got[id][m] {
			missing = append(missing, m)
		}
	}
	for m := range got[id] {
		if !want[m] {
			extra = append(extra, m)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: %d sent, want %d; missing %v; not in the audience %v", id, len(got[id]), len(want), missing, extra)
	}
}

// checkPracticalNotes: the practical note lists exactly the day's sessions
// the mission attends, each with its time and room (read in the English
// ones), and the access once; some mission attends several in a day.
func (r *wholeRound) checkPracticalNotes() {
	t := r.t
	t.Helper()
	byMission := r.missionsByID()
	bySuR := map[string]outreach.Session{}
	for _, s := range r.ss {
		bySuR[s.SuR] = s
	}
	several := 0
	for _, rm := range remReceived(t, r.f, outreach.Reminder) {
		m := byMission[rm.item.Key.Mission]
		if rm.item.Key.Day == "" || m.Language != outreach.English {
			continue
		}
		listed := r.want.day[rm.item.Key.Day][m.ID]
		checkPracticalNote(t, rm, m, listed, bySuR)
		if len(listed) > 1 {
			several++
		}
	}
	if several == 0 {
		t.Error("the test shaped no mission attending several sessions of one day")
	}
}

// checkPracticalNote checks one English practical note lists exactly the
// sessions listed, with time and room, and says the access once.
func checkPracticalNote(t *testing.T, rm remMail, m outreach.Mission, listed []string, bySuR map[string]outreach.Session) {
	t.Helper()
	day := rm.item.Key.Day
	text := strings.ReplaceAll(rm.text, "\r\n", "\n")
	if n := strings.Count(text, "\nPre-session on "); n != len(listed) {
		t.Errorf("practical note of %s to %s lists %d sessions, want %v:\n%s", day, m.ID, n, listed, rm.text)
	}
	for _, sur := range listed {
		s := bySuR[sur]
		block := fmt.Sprintf("Time: %s (Geneva time)\n  Room: %s, Palais des Nations", e15(s.Start.In(geneva))+"–"+e15(s.End.In(geneva)), s.Room)
		if !strings.Contains(text, block) {
			t.Errorf("practical note of %s to %s lacks %s's time and room %q:\n%s", day, m.ID, sur, block, rm.text)
		}
	}
	if strings.Count(text, "UN grounds pass") != 1 {
		t.Errorf("practical note of %s to %s: the access not said once:\n%s", day, m.ID, rm.text)
	}
}

// checkDigests: the digest goes once a day at 08:00 Geneva time, to
// staff, to the morning of the last day. The first morning's went out
// when the scheduler started at 09:00, within the lateness limit. The
// morning after the first answers lists every one of them; the next
// morning lists none.
func (r *wholeRound) checkDigests() {
	t := r.t
	t.Helper()
	days := map[string]remMail{}
	for _, d := range remReceived(t, r.f, outreach.Digest) {
		day := d.item.Key.Revision
		if _, dup := days[day]; dup {
			t.Errorf("two digests on %s", day)
		}
		days[day] = d
		checkDigestSentAt(t, r.f, d, day)
	}
	if n := int(local(10, 13, 0, 0).Sub(local(9, 4, 0, 0)).Hours()/24) + 1; len(days) != n {
		t.Errorf("%d digests, want %d (one a day)", len(days), n)
	}
	first, ok := days["2017-09-13"]
	if !ok {
		t.Fatal("no digest on 13 September")
	}
	for _, id := range r.firstAnswered {
		if !strings.Contains(first.text, "\n  "+id+" ") && !strings.Contains(first.text, "\n  "+id+"  ") {
			t.Errorf("the digest after the first answers does not list %s", id)
		}
	}
	if !strings.Contains(first.text, fmt.Sprintf("NEW ANSWERS: %d ", r.nFirst)) {
		t.Errorf("digest of 13 September:\n%s", first.text)
	}
	if next := days["2017-09-14"]; !strings.Contains(next.text, "NEW ANSWERS: 0") {
		t.Errorf("digest of 14 September repeats answers:\n%s", next.text)
	}
}

// checkDigestSentAt: the digest of day went to staff alone, queued at
// 08:00 (the first, at the scheduler's start at 09:00).
func checkDigestSentAt(t *testing.T, f *fixture, d remMail, day string) {
	t.Helper()
	if len(d.msg.To) != 1 || d.msg.To[0] != f.event.Staff.Email {
		t.Errorf("digest %s sent to %v", day, d.msg.To)
	}
	want := local(9, 4, 9, 0)
	if day != "2017-09-04" {
		var mo, da int
		fmt.Sscanf(day, "2017-%d-%d", &mo, &da)
		want = local(time.Month(mo), da, 8, 0)
	}
	if !d.item.Created.Equal(want) {
		t.Errorf("digest %s queued at %s, want %s", day, d.item.Created.In(geneva), want)
	}
}

// e15 is a time of day as the notes write it.
func e15(t time.Time) string { return t.Format("15:04") }

// remCount counts what the server received of a reminder rule, by mission
// (and session or day).
func remCount(t *testing.T, f *fixture, rule string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range remReceived(t, f, outreach.Reminder) {
		if name, _, _ := ruleParts(r.item.Rule); name == rule {
			out[r.item.Key.Mission+"/"+r.item.Key.Session+r.item.Key.Day]++
		}
	}
	return out
}

func remLine(t *testing.T, f *fixture, rule, session string) ReminderLine {
	t.Helper()
	lines, err := f.e.Reminders()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.Rule == rule && l.Session == session {
			return l
		}
	}
	t.Fatalf("no reminder instance %s %s", rule, session)
	return ReminderLine{}
}

// remRestart stops the process and starts it again, as the daemon starts:
// the configured schedule, then a sweep at once to catch up.
func remRestart(t *testing.T, f *fixture, s Schedule) {
	t.Helper()
	f.restart()
	f.e.SetSchedule(s)
	if _, err := f.e.RecoverSending(); err != nil {
		t.Fatal(err)
	}
}

// TestReminderAcrossDowntime stops outreach before a reminder's time. Back
// within the lateness limit, it sends the reminder once; back after it, it
// reports the reminder as missed (in the reminders list, the metrics, the
// audit and the staff digest) and sends nothing.
func TestReminderAcrossDowntime(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	sched := remSchedule(t, config.DefaultRules())
	f.e.SetSchedule(sched)
	missions := []string{"JPN", "FRA", "BEN", "MEX", "CHE"}
	remInvite(t, f, missions...)
	remSet(t, f, "CHE", "ARG", outreach.Accepted)

	downtimeCatchesUpNudgeOnce(t, f, sched)
	downtimeMissesWeekBefore(t, f, sched)
	checkMissedWeekBeforeReported(t, f)
}

// downtimeCatchesUpNudgeOnce: running the morning of the nudge, then
// stopped at 09:00, half an hour before it; back the next day at noon,
// 26h30 late, within 36h, the nudge goes out once to those who have not
// answered, through later sweeps and restarts.
func downtimeCatchesUpNudgeOnce(t *testing.T, f *fixture, sched Schedule) {
	t.Helper()
	f.clock.Set(local(9, 26, 9, 0))
	if rep := remSweep(t, f); len(rep.Fired) != 0 || rep.Next == nil || rep.Next.Rule != "nudge" {
		t.Fatalf("before the nudge: %+v", rep)
	}
	flush(t, f, 0) // the morning's digest
	f.st.Close()

	f.clock.Set(local(9, 27, 12, 0))
	remRestart(t, f, sched)
	rep := remSweep(t, f)
	if len(rep.Fired) != 1 || rep.Fired[0].Rule != "nudge" || rep.Queued != 4 || len(rep.Missed) != 0 {
		t.Fatalf("catching up: %+v", rep)
	}
	flush(t, f, 0)
	for i := 0; i < 3; i++ {
		if rep := remSweep(t, f); len(rep.Fired) != 0 || rep.Queued != 0 {
			t.Fatalf("sweep %d after catching up: %+v", i, rep)
		}
		remRestart(t, f, sched)
		flush(t, f, 0)
	}
	got := remCount(t, f, "nudge")
	want := map[string]int{"JPN/": 1, "FRA/": 1, "BEN/": 1, "MEX/": 1} // CHE answered
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("nudges received: %v, want %v", got, want)
	}
	if l := remLine(t, f, "nudge", ""); l.State != "sent" || l.Queued != 4 {
		t.Errorf("nudge: %+v", l)
	}
}

// downtimeMissesWeekBefore: stopped before the week-before reminder (3
// October, 09:30), back on the 5th at 10:00, 48h30 late, past 36h: the
// reminder is reported missed, once, and not sent; the morning's digest is
// queued.
func downtimeMissesWeekBefore(t *testing.T, f *fixture, sched Schedule) {
	t.Helper()
	f.clock.Set(local(10, 2, 18, 0))
	remSweep(t, f)
	flush(t, f, 0)
	f.st.Close()
	f.clock.Set(local(10, 5, 10, 0))
	remRestart(t, f, sched)
	rep := remSweep(t, f)
	if len(rep.Missed) != 1 || rep.Missed[0].Rule != "week-before" || len(rep.Fired) != 0 || rep.Queued != 0 {
		t.Fatalf("past the lateness limit: %+v", rep)
	}
	if !rep.Digest {
		t.Error("the morning's digest was not queued on resuming at 10:00")
	}
	flush(t, f, 0)
	if got := remCount(t, f, "week-before"); len(got) != 0 {
		t.Errorf("a missed reminder was sent: %v", got)
	}
	if again := remSweep(t, f); len(again.Missed) != 0 {
		t.Errorf("the missed reminder was reported twice: %+v", again)
	}
}

// checkMissedWeekBeforeReported: the missed reminder shows in the
// reminders list, the metrics, the audit and that morning's digest (and in
// no earlier digest).
func checkMissedWeekBeforeReported(t *testing.T, f *fixture) {
	t.Helper()
	if l := remLine(t, f, "week-before", ""); l.State != "missed" || l.Queued != 0 {
		t.Errorf("week-before: %+v", l)
	}
	sn, err := f.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if sn.MissedReminders != 1 {
		t.Errorf("snapshot: %d missed reminders", sn.MissedReminders)
	}
	var audit []outreach.AuditEntry
	f.st.View(func(tx *store.Tx) error {
		var err error
		audit, err = tx.AuditLog(time.Time{})
		return err
	})
	found := false
	for _, a := range audit {
		if a.Action == "reminder.missed" && strings.HasPrefix(a.Detail, "week-before: due Tue 3 Oct 09:30 CEST, 48h30m0s late") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit entry for the missed reminder: %+v", audit)
	}
	digests := remReceived(t, f, outreach.Digest)
	last := digests[len(digests)-1]
	if last.item.Key.Revision != "2017-10-05" || !strings.Contains(last.text, "REMINDERS MISSED") ||
		!strings.Contains(last.text, "  - week-before: due Tue 3 Oct 09:30 CEST") {
		t.Errorf("the digest of %s does not tell staff of the missed reminder:\n%s", last.item.Key.Revision, last.text)
	}
	for _, d := range digests[:len(digests)-1] {
		if strings.Contains(d.text, "REMINDERS MISSED") {
			t.Errorf("digest %s lists missed reminders:\n%s", d.item.Key.Revision, d.text)
		}
	}
}

// TestReminderNeverTwice sweeps many times over, from several goroutines at
// once, and crashes between queueing the reminders and sending them: each
// mission receives each reminder once.
func TestReminderNeverTwice(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	sched := remSchedule(t, config.DefaultRules())
	f.e.SetSchedule(sched)
	missions := []string{"JPN", "FRA", "BEN", "MEX", "CHE", "ARG", "PER", "KOR"}
	remInvite(t, f, missions...)
	f.clock.Set(local(9, 26, 9, 30))

	var (
		mu      sync.Mutex
		fired   int
		queued  int
		digests int
		wg      sync.WaitGroup
	)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				rep, err := f.e.Sweep()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fired += len(rep.Fired)
				queued += rep.Queued
				if rep.Digest {
					digests++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if fired != 1 || queued != len(missions) || digests != 1 {
		t.Fatalf("30 concurrent sweeps fired %d instances, queued %d messages and %d digests; want 1, %d, 1", fired, queued, digests, len(missions))
	}
	// Crash before anything was sent; the restarted process sweeps again
	// and sends.
	f.st.Close()
	f.clock.Advance(5 * time.Minute)
	remRestart(t, f, sched)
	if rep := remSweep(t, f); rep.Queued != 0 || len(rep.Fired) != 0 || rep.Digest {
		t.Fatalf("after the crash: %+v", rep)
	}
	if rep := flush(t, f, 0); rep.Sent != len(missions)+1 {
		t.Fatalf("flush after restart: %+v", rep)
	}
	remRestart(t, f, sched)
	remSweep(t, f)
	flush(t, f, 0)
	got := remCount(t, f, "nudge")
	if len(got) != len(missions) {
		t.Errorf("nudges: %v", got)
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s received the nudge %d times", k, n)
		}
	}
	if n := len(remReceived(t, f, outreach.Digest)); n != 1 {
		t.Errorf("%d digests", n)
	}
}

// TestReminderSupersededByAnswer: a mission answers after its nudge was
// queued and before it went out. The nudge is not sent, and ends
// superseded, not failed. A day's practical note lists the day's sessions
// as they stand when it goes: not one declined or cancelled meanwhile, nor
// one moved to another day, which the other day's note lists; a note left
// with nothing to list is superseded.
func TestReminderSupersededByAnswer(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	sched := remSchedule(t, config.DefaultRules())
	sched.Digest = ""
	f.e.SetSchedule(sched)
	remInvite(t, f, "JPN", "FRA", "BEN")
	nudgeSupersededByAnswer(t, f)
	dayBeforeNotesFollowLateChanges(t, f)
	dayBeforeNoteListsMovedSession(t, f)
}

// nudgeSupersededByAnswer: JPN answers after its nudge is queued and
// before the outbox runs; its nudge is superseded, FRA's and BEN's go.
func nudgeSupersededByAnswer(t *testing.T, f *fixture) {
	t.Helper()
	f.clock.Set(local(9, 26, 9, 30))
	if rep := remSweep(t, f); rep.Queued != 3 {
		t.Fatalf("nudge: %+v", rep)
	}
	remSet(t, f, "JPN", "ARG", outreach.Accepted) // answers before the outbox runs
	rep := flush(t, f, 0)
	if rep.Failed != 0 || rep.Sent != 3 { // FRA's and BEN's nudges, JPN's confirmation
		t.Fatalf("flush: %+v", rep)
	}
	nudgeJPN := f.item(outreach.OutboxKey{Kind: outreach.Reminder, Mission: "JPN", Revision: "nudge"})
	if nudgeJPN.State != outreach.Superseded || nudgeJPN.Attempts != 0 || !strings.Contains(nudgeJPN.Error, "no longer in the no-answer audience") {
		t.Errorf("JPN's nudge: %v %q (attempts %d)", nudgeJPN.State, nudgeJPN.Error, nudgeJPN.Attempts)
	}
	if got := remCount(t, f, "nudge"); fmt.Sprint(got) != "map[BEN/:1 FRA/:1]" {
		t.Errorf("nudges received: %v", got)
	}
}

// dayBeforeNotesFollowLateChanges: the practical notes of the day before
// the 10 October sessions, one per mission, are queued; before they go FRA
// declines BEN, CZE is cancelled and ARG moves to the 11th. FRA's note is
// superseded; each note sent names the sessions of the 10th the mission
// still attends.
func dayBeforeNotesFollowLateChanges(t *testing.T, f *fixture) {
	t.Helper()
	for _, m := range []string{"JPN", "FRA", "BEN"} {
		remSet(t, f, m, "BEN", outreach.Accepted)
		remSet(t, f, m, "CZE", outreach.Accepted)
	}
	remSet(t, f, "JPN", "GHA", outreach.Accepted) // 11 October
	flush(t, f, 0)
	f.clock.Set(local(10, 9, 9, 30))
	// JPN's (ARG, BEN, CZE), FRA's and BEN's (BEN, CZE).
	if rep := remSweep(t, f); rep.Queued != 3 || len(rep.Fired) != 1 || rep.Fired[0].Day != "2017-10-10" {
		t.Fatalf("day-before: %+v", rep)
	}
	remSet(t, f, "FRA", "BEN", outreach.Declined)
	if _, err := f.e.CancelSession("CZE", "postponed", "test"); err != nil {
		t.Fatal(err)
	}
	moved := local(10, 11, 16, 30)
	if _, err := f.e.MoveSession("ARG", Move{Start: &moved, Note: "the Working Group changed its schedule"}, "test"); err != nil {
		t.Fatal(err)
	}
	if rep := flush(t, f, 0); rep.Failed != 0 {
		t.Fatalf("flush: %+v", rep)
	}
	day10 := func(m string) outreach.OutboxItem {
		return f.item(outreach.OutboxKey{Kind: outreach.Reminder, Mission: m, Revision: "day-before", Day: "2017-10-10"})
	}
	for m, st := range map[string]outreach.OutboxState{"JPN": outreach.Sent, "BEN": outreach.Sent, "FRA": outreach.Superseded} {
		if it := day10(m); it.State != st {
			t.Errorf("day-before 10 October to %s: %v (%s), want %v", m, it.State, it.Error, st)
		}
	}
	if it := day10("FRA"); !strings.Contains(it.Error, "for any session on 2017-10-10") {
		t.Errorf("FRA's note superseded for %q", it.Error)
	}
	got10 := remNotesOfDay(t, f, "2017-10-10")
	if len(got10) != 2 {
		t.Fatalf("notes of 10 October received: %d, want JPN's and BEN's", len(got10))
	}
	for m, want := range map[string]string{"JPN": "[Pre-session on Benin]", "BEN": "[Pré-session sur le Bénin]"} {
		if got := fmt.Sprint(remSessionsIn(got10[m])); got != want {
			t.Errorf("note of 10 October to %s lists %s, want %s:\n%s", m, got, want, got10[m])
		}
	}
}

// dayBeforeNoteListsMovedSession: the next morning JPN's note of the 11th
// lists GHA and ARG, moved there, in time order; nobody else attends a
// session that day.
func dayBeforeNoteListsMovedSession(t *testing.T, f *fixture) {
	t.Helper()
	f.clock.Set(local(10, 10, 9, 30))
	if rep := remSweep(t, f); rep.Queued != 1 {
		t.Fatalf("day-before 11 October: %+v", rep)
	}
	flush(t, f, 0)
	got11 := remNotesOfDay(t, f, "2017-10-11")
	if len(got11) != 1 || fmt.Sprint(remSessionsIn(got11["JPN"])) != "[Pre-session on Ghana Pre-session on Argentina]" ||
		!strings.Contains(got11["JPN"], "Time: 16:30–17:30 (Geneva time)") {
		t.Errorf("notes of 11 October: %v\n%s", len(got11), got11["JPN"])
	}
	if got := remCount(t, f, "day-before"); fmt.Sprint(got) != "map[BEN/2017-10-10:1 JPN/2017-10-10:1 JPN/2017-10-11:1]" {
		t.Errorf("practical notes received: %v", got)
	}
}

// remNotesOfDay is the text of the practical notes received for day, by
// mission.
func remNotesOfDay(t *testing.T, f *fixture, day string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range remReceived(t, f, outreach.Reminder) {
		if r.item.Key.Day == day {
			out[r.item.Key.Mission] = strings.ReplaceAll(r.text, "\r\n", "\n")
		}
	}
	return out
}

// remSessionsIn is the session lines of a practical note, in any language.
func remSessionsIn(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "Pre-session on ") || strings.HasPrefix(line, "Pré-session sur ") || strings.HasPrefix(line, "Pre-sesión sobre ") {
			out = append(out, line)
		}
	}
	return out
}

// TestReminderDaylightSavingChange moves the round to the week after the
// last Sunday of October, when Geneva leaves summer time (02:00-03:00 is
// lived twice that night). A reminder at 09:30 stays at 09:30 Geneva time
// on both sides of the change; a rule set inside the repeated hour, which
// the configuration refuses, fires once, after it; the digest keeps to
// 08:00 and goes once a day.
func TestReminderDaylightSavingChange(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	ss := dstSessionsAroundTheChange(t, f)
	remNoSync(t, f)
	f.e.SetSchedule(Schedule{
		Lateness: 36 * time.Hour,
		Digest:   "CRON_TZ=Europe/Zurich 0 8 * * *",
		Rules: []Rule{
			{Name: "three-before", PerSession: true, DaysBefore: 3, Hour: 9, Min: 30, Audience: "not-declined", Template: "reminder-practical"},
			{Name: "night", DaysBefore: 1, Hour: 2, Min: 30, Audience: "not-declined", Template: "reminder-noanswer"},
		},
	})
	missions := []string{"JPN", "FRA", "BEN"}
	f.clock.Set(local(10, 25, 12, 0))
	remInvite(t, f, missions...)

	for end := local(11, 2, 12, 0); f.clock.Now().Before(end); f.clock.Advance(15 * time.Minute) {
		if rep := remSweep(t, f); rep.Queued > 0 || rep.Digest {
			flush(t, f, 0)
		}
	}

	checkNothingInRepeatedHour(t, f, len(missions))
	checkPracticalNotesAcrossTheChange(t, f, ss, len(missions))
	checkDigestsAcrossTheChange(t, f)
}

// dstSessionsAroundTheChange moves the round 20 days later, to 30 October
// to 2 November, across the end of summer time, and returns its sessions.
func dstSessionsAroundTheChange(t *testing.T, f *fixture) []outreach.Session {
	t.Helper()
	f.event.First, f.event.Last = local(10, 30, 0, 0), local(11, 2, 0, 0)
	f.restart()
	ss, err := f.e.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		st, en := s.Start.In(geneva), s.End.In(geneva)
		ss[i].Start = time.Date(2017, st.Month(), st.Day()+20, st.Hour(), st.Minute(), 0, 0, geneva)
		ss[i].End = time.Date(2017, en.Month(), en.Day()+20, en.Hour(), en.Minute(), 0, 0, geneva)
	}
	if _, err := f.e.ImportSessions(ss, "test"); err != nil {
		t.Fatal(err)
	}
	return ss
}

// checkNothingInRepeatedHour: nothing is queued in the repeated hour,
// 02:00 CEST (00:00 UTC) to 03:00 CET (02:00 UTC); the night reminder due
// at 02:30 goes at 03:00 CET, after it, once per mission.
func checkNothingInRepeatedHour(t *testing.T, f *fixture, missions int) {
	t.Helper()
	from, to := time.Date(2017, 10, 29, 0, 0, 0, 0, time.UTC), time.Date(2017, 10, 29, 2, 0, 0, 0, time.UTC)
	items, err := f.e.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !it.Created.Before(from) && it.Created.Before(to) {
			t.Errorf("%s queued at %s, inside the repeated hour", it.Key, it.Created.In(geneva))
		}
	}
	nights := 0
	for _, r := range remReceived(t, f, outreach.Reminder) {
		if name, _, _ := ruleParts(r.item.Rule); name == "night" {
			nights++
			if !r.item.Created.Equal(to) {
				t.Errorf("night reminder to %s at %s, want 03:00 CET, after the repeated hour", r.item.Key.Mission, r.item.Created.In(geneva))
			}
		}
	}
	if nights != missions {
		t.Errorf("%d night reminders, want %d", nights, missions)
	}
}

// checkPracticalNotesAcrossTheChange: one note per mission and day of
// sessions (30 and 31 October, 1 and 2 November), each queued at 09:30
// Geneva time three days before: 07:30 UTC in summer time, 08:30 UTC
// after.
func checkPracticalNotesAcrossTheChange(t *testing.T, f *fixture, ss []outreach.Session, missions int) {
	t.Helper()
	wantUTC := map[int]time.Time{
		30: time.Date(2017, 10, 27, 7, 30, 0, 0, time.UTC),
		31: time.Date(2017, 10, 28, 7, 30, 0, 0, time.UTC),
		1:  time.Date(2017, 10, 29, 8, 30, 0, 0, time.UTC),
		2:  time.Date(2017, 10, 30, 8, 30, 0, 0, time.UTC),
	}
	days := map[int]bool{}
	for _, s := range ss {
		days[s.Start.In(geneva).Day()] = true
	}
	got := remCount(t, f, "three-before")
	if len(days) != 4 || len(got) != missions*len(days) {
		t.Errorf("%d practical notes, want %d (%d days)", len(got), missions*len(days), len(days))
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s: %d practical notes", k, n)
		}
	}
	for _, r := range remReceived(t, f, outreach.Reminder) {
		if name, _, _ := ruleParts(r.item.Rule); name != "three-before" {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, r.item.Key.Day, geneva)
		if err != nil {
			t.Fatalf("%s: %v", r.item.Key, err)
		}
		want := wantUTC[d.Day()]
		if !r.item.Created.Equal(want) || r.item.Created.In(geneva).Format("15:04") != "09:30" {
			t.Errorf("%s %s: queued %s (%s), want %s", r.item.Key.Mission, r.item.Key.Day,
				r.item.Created.UTC().Format(time.RFC3339), r.item.Created.In(geneva).Format("15:04 MST"), want.Format(time.RFC3339))
		}
	}
}

// checkDigestsAcrossTheChange: the digest goes at 08:00 Geneva time every
// day, 06:00 UTC before the change and 07:00 UTC after it.
func checkDigestsAcrossTheChange(t *testing.T, f *fixture) {
	t.Helper()
	digests := map[string]time.Time{}
	for _, d := range remReceived(t, f, outreach.Digest) {
		if _, dup := digests[d.item.Key.Revision]; dup {
			t.Errorf("two digests on %s", d.item.Key.Revision)
		}
		digests[d.item.Key.Revision] = d.item.Created
	}
	for rev, want := range map[string]time.Time{
		"2017-10-28": time.Date(2017, 10, 28, 6, 0, 0, 0, time.UTC),
		"2017-10-29": time.Date(2017, 10, 29, 7, 0, 0, 0, time.UTC),
		"2017-10-30": time.Date(2017, 10, 30, 7, 0, 0, 0, time.UTC),
	} {
		if !digests[rev].Equal(want) {
			t.Errorf("digest %s queued %s, want %s", rev, digests[rev].UTC(), want)
		}
	}
	if len(digests) != 9 { // 25 October (caught up at noon, when the scheduler started) to 2 November
		t.Errorf("%d digests: %v", len(digests), digests)
	}
}

// TestRuleTimeClearOfDaylightSaving: a rule's local time that the clocks
// skip (last Sunday of March) or repeat (last Sunday of October) fires at
// the end of that hour; other times are the wall-clock time asked for.
func TestRuleTimeClearOfDaylightSaving(t *testing.T) {
	for _, c := range []struct {
		day        time.Time
		hour, min  int
		daysBefore int
		want       time.Time
	}{
		// 26 March 2017: 02:00 CET jumps to 03:00 CEST.
		{local(3, 27, 10, 0), 2, 30, 1, time.Date(2017, 3, 26, 1, 0, 0, 0, time.UTC)},
		{local(3, 27, 10, 0), 2, 0, 1, time.Date(2017, 3, 26, 1, 0, 0, 0, time.UTC)},
		{local(3, 27, 10, 0), 3, 0, 1, time.Date(2017, 3, 26, 1, 0, 0, 0, time.UTC)},
		{local(3, 27, 10, 0), 1, 59, 1, time.Date(2017, 3, 26, 0, 59, 0, 0, time.UTC)},
		{local(3, 27, 10, 0), 9, 30, 1, time.Date(2017, 3, 26, 7, 30, 0, 0, time.UTC)},
		{local(3, 27, 10, 0), 9, 30, 2, time.Date(2017, 3, 25, 8, 30, 0, 0, time.UTC)},
		// 29 October 2017: 03:00 CEST falls back to 02:00 CET.
		{local(10, 30, 10, 0), 2, 30, 1, time.Date(2017, 10, 29, 2, 0, 0, 0, time.UTC)},
		{local(10, 30, 10, 0), 2, 0, 1, time.Date(2017, 10, 29, 2, 0, 0, 0, time.UTC)},
		{local(10, 30, 10, 0), 2, 59, 1, time.Date(2017, 10, 29, 2, 0, 0, 0, time.UTC)},
		{local(10, 30, 10, 0), 1, 59, 1, time.Date(2017, 10, 28, 23, 59, 0, 0, time.UTC)},
		{local(10, 30, 10, 0), 3, 0, 1, time.Date(2017, 10, 29, 2, 0, 0, 0, time.UTC)},
		{local(10, 30, 10, 0), 9, 30, 1, time.Date(2017, 10, 29, 8, 30, 0, 0, time.UTC)},
	} {
		r := Rule{Name: "r", DaysBefore: c.daysBefore, Hour: c.hour, Min: c.min}
		if got := ruleTime(c.day, r, geneva); !got.Equal(c.want) {
			t.Errorf("%02d:%02d %d day(s) before %s: %s (%s), want %s", c.hour, c.min, c.daysBefore, c.day.Format(time.DateOnly),
				got.UTC().Format(time.RFC3339), got.In(geneva).Format("15:04 MST"), c.want.Format(time.RFC3339))
		}
	}
	// A zone without daylight saving keeps 02:30.
	tokyo := mustZone("Asia/Tokyo")
	if got := ruleTime(time.Date(2017, 10, 30, 10, 0, 0, 0, tokyo), Rule{DaysBefore: 1, Hour: 2, Min: 30}, tokyo); got.Hour() != 2 || got.Minute() != 30 {
		t.Errorf("Tokyo 02:30: %s", got)
	}
}

// TestReminderRuleReloaded edits the rules in the configuration and
// reloads them as SIGHUP does: the new times apply, what was sent is not
// sent again, and a configuration with a rule in the daylight-saving hour
// is refused.
func TestReminderRuleReloaded(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.e.SetSchedule(remConfigSchedule(t, config.Example))
	missions := []string{"JPN", "FRA", "BEN", "MEX"}
	remInvite(t, f, missions...)
	f.clock.Set(local(9, 26, 9, 45))
	if rep := remSweep(t, f); rep.Queued != 4 {
		t.Fatalf("nudge: %+v", rep)
	}
	flush(t, f, 0)

	edited := strings.NewReplacer(
		"name = \"nudge\"\nrelative_to = \"event\"\ndays_before = 14\nat = \"09:30\"",
		"name = \"nudge\"\nrelative_to = \"event\"\ndays_before = 13\nat = \"11:00\"",
		"name = \"week-before\"\nrelative_to = \"event\"\ndays_before = 7\nat = \"09:30\"",
		"name = \"week-before\"\nrelative_to = \"event\"\ndays_before = 8\nat = \"10:15\"",
	).Replace(config.Example)
	if edited == config.Example {
		t.Fatal("the example's rules are not as this test expects")
	}
	if _, err := config.Parse(strings.Replace(edited, `at = "10:15"`, `at = "02:15"`, 1)); err == nil ||
		!strings.Contains(err.Error(), "reminders.rule[1].at") {
		t.Fatalf("a rule in the daylight-saving hour was accepted: %v", err)
	}
	f.e.SetSchedule(remConfigSchedule(t, edited)) // SIGHUP

	if l := remLine(t, f, "nudge", ""); l.State != "sent" || !l.At.Equal(local(9, 27, 11, 0)) {
		t.Errorf("nudge after reload: %+v", l)
	}
	if l := remLine(t, f, "week-before", ""); l.State != "scheduled" || !l.At.Equal(local(10, 2, 10, 15)) {
		t.Errorf("week-before after reload: %+v", l)
	}
	remSet(t, f, "JPN", "ARG", outreach.Accepted)
	remSet(t, f, "MEX", "KOR", outreach.Accepted)
	for _, c := range []struct {
		at    time.Time
		fired string
	}{
		{local(9, 27, 11, 30), ""},            // the nudge's new time: already sent
		{local(10, 2, 10, 0), ""},             // before the week-before's new time
		{local(10, 2, 10, 15), "week-before"}, // its new time
		{local(10, 3, 9, 30), ""},             // its old time
	} {
		f.clock.Set(c.at)
		rep := remSweep(t, f)
		var fired []string
		for _, d := range rep.Fired {
			fired = append(fired, d.Rule)
		}
		if strings.Join(fired, ",") != c.fired {
			t.Errorf("%s: fired %v, want %q", c.at, fired, c.fired)
		}
		flush(t, f, 0)
	}
	if got := remCount(t, f, "nudge"); len(got) != 4 {
		t.Errorf("nudges: %v", got)
	}
	if got := remCount(t, f, "week-before"); fmt.Sprint(got) != "map[JPN/:1 MEX/:1]" {
		t.Errorf("week-before: %v", got)
	}
	it := f.item(outreach.OutboxKey{Kind: outreach.Reminder, Mission: "JPN", Revision: "week-before"})
	if !it.Created.Equal(local(10, 2, 10, 15)) {
		t.Errorf("week-before queued at %s", it.Created.In(geneva))
	}
}

// TestReminderUpgradedFromSessionNotes opens a store written when the
// practical note went once per session: the 10 October notes all went
// out, and on the 11th only the one for Ghana had, its message to JPN still
// in the outbox. After the upgrade nothing already sent goes again: no
// note for the 10th, the queued note on Ghana goes as it was, and the note
// of the 11th lists only what the old notes did not cover.
func TestReminderUpgradedFromSessionNotes(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	sched := remSchedule(t, config.DefaultRules())
	sched.Digest = ""
	f.e.SetSchedule(sched)
	remInvite(t, f, "JPN", "BEN")
	for _, m := range []string{"JPN", "BEN"} {
		for _, s := range []string{"ARG", "CZE", "GHA", "GTM", "JPN"} {
			remSet(t, f, m, s, outreach.Accepted)
		}
	}
	flush(t, f, 0)

	// What the per-session rule left in the store.
	f.clock.Set(local(10, 9, 9, 31))
	rule := sched.Rules[2]
	if rule.Name != "day-before" || !rule.PerSession {
		t.Fatalf("default rules: %+v", sched.Rules)
	}
	if err := f.st.Update(func(tx *store.Tx) error {
		for _, s := range []string{"ARG", "BEN", "CZE", "GAB", "GHA"} {
			if err := tx.PutState(sessionKey("day-before", s), reminderState{Done: true, At: f.clock.Now(), Queued: 2}); err != nil {
				return err
			}
		}
		_, _, err := f.e.enqueue(tx, outreach.OutboxKey{Kind: outreach.Reminder, Mission: "JPN", Session: "GHA", Revision: "day-before"},
			ruleRef(rule), f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	remRestart(t, f, sched)

	lines, err := f.e.Reminders()
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, l := range lines {
		state[l.Rule+" "+l.Day] = l.State
	}
	if state["day-before 2017-10-10"] != "sent" || state["day-before 2017-10-11"] != "scheduled" {
		t.Errorf("instances after the upgrade: %v", state)
	}
	if rep := remSweep(t, f); rep.Queued != 0 || len(rep.Fired) != 0 {
		t.Errorf("the 10 October notes went again: %+v", rep)
	}
	flush(t, f, 0)
	f.clock.Set(local(10, 10, 9, 30))
	if rep := remSweep(t, f); rep.Queued != 2 || len(rep.Fired) != 1 || rep.Fired[0].Day != "2017-10-11" {
		t.Fatalf("day-before 11 October: %+v", rep)
	}
	flush(t, f, 0)
	got := map[string]string{}
	for _, r := range remReceived(t, f, outreach.Reminder) {
		if name, _, _ := ruleParts(r.item.Rule); name != "day-before" {
			continue
		}
		k := r.item.Key.Mission + "/" + r.item.Key.Session + r.item.Key.Day
		if _, dup := got[k]; dup {
			t.Errorf("%s received twice", k)
		}
		var listed []string
		for _, line := range strings.Split(strings.ReplaceAll(r.text, "\r\n", "\n"), "\n") {
			if strings.HasPrefix(line, "Pre-session on ") || strings.HasPrefix(line, "Pré-session sur ") {
				listed = append(listed, line)
			}
		}
		got[k] = strings.Join(listed, "; ")
	}
	want := map[string]string{
		"JPN/GHA":        "Pre-session on Ghana", // queued before the upgrade
		"JPN/2017-10-11": "Pre-session on Guatemala; Pre-session on Japan",
		"BEN/2017-10-11": "Pré-session sur le Guatemala; Pré-session sur le Japon",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("practical notes after the upgrade:\n got %v\nwant %v", got, want)
	}
}
