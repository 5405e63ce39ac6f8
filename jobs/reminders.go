package jobs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"outreach"
	"outreach/store"
)

// Rule is one reminder rule: when (relative to the event's first day or to
// each session's day, at a local time of day), to whom, with which template.
type Rule struct {
	Name       string
	PerSession bool // relative to each session rather than the event
	DaysBefore int
	Hour, Min  int
	Audience   string // no-answer, accepted, tentative, attending, not-declined, speakers
	Template   string // a reminder template kind, e.g. reminder-noanswer
}

// Speakers is the audience of a per-session rule written to the session's
// panellists, each at their own address, rather than to missions.
const Speakers = "speakers"

// Schedule is the reminder configuration: the rules, how late a reminder
// may still go out, and the staff digest's cron schedule.
type Schedule struct {
	Rules    []Rule
	Lateness time.Duration
	// Digest is the cron spec of the daily staff digest ("" for none).
	Digest string
}

// Due is one reminder instance: a rule, for the event, one session (a
// speakers rule) or one day (any other rule relative to each session: a
// mission receives one note listing its sessions of that day).
type Due struct {
	Rule    string    `json:"rule"`
	Session string    `json:"session,omitempty"`
	Day     string    `json:"day,omitempty"`
	At      time.Time `json:"at"`

	rule Rule // the rule as it was when the instance was listed
	// sessions are the sessions on Day taking place, in time order.
	sessions []string
}

func (d Due) key() string {
	if d.Day != "" {
		return "reminder:" + d.Rule + ":day:" + d.Day
	}
	return "reminder:" + d.Rule + ":" + d.Session
}

// sessionKey is the key under which a rule relative to each session kept
// its instance for one session before such rules went by day: a store
// upgraded with some of them done must not send those again.
func sessionKey(rule, session string) string { return "reminder:" + rule + ":" + session }

// reminderState is kept in the store per instance, so a reminder is sent
// once across restarts and a missed one is reported once.
type reminderState struct {
	Done    bool      `json:"done"`
	At      time.Time `json:"at"`
	Queued  int       `json:"queued"`
	Missed  bool      `json:"missed,omitempty"`
	Instant time.Time `json:"instant"`
}

// instances lists every reminder instance of the schedule for the round.
func (e *Engine) instances(sessions []outreach.Session) []Due {
	return e.schedule().instances(e.event, e.loc(), sessions)
}

func (s Schedule) instances(ev outreach.Event, loc *time.Location, sessions []outreach.Session) []Due {
	var out []Due
	for _, r := range s.Rules {
		if !r.PerSession {
			if r.Audience == Speakers {
				continue // speakers belong to a session; the configuration refuses this
			}
			out = append(out, Due{Rule: r.Name, At: ruleTime(ev.First, r, loc), rule: r})
			continue
		}
		if r.Audience == Speakers {
			for _, ss := range sessions {
				if ss.Status == outreach.Cancelled {
					continue
				}
				out = append(out, Due{Rule: r.Name, Session: ss.SuR, At: ruleTime(ss.Start, r, loc), rule: r})
			}
			continue
		}
		byDay := map[string]int{}
		for _, ss := range sortedSessions(sessions) {
			if ss.Status == outreach.Cancelled {
				continue
			}
			day := ss.Start.In(loc).Format(time.DateOnly)
			i, ok := byDay[day]
			if !ok {
				i = len(out)
				byDay[day] = i
				out = append(out, Due{Rule: r.Name, Day: day, At: ruleTime(ss.Start, r, loc), rule: r})
			}
			out[i].sessions = append(out[i].sessions, ss.SuR)
		}
	}
	return out
}

// sortedSessions returns ss in time order.
func sortedSessions(ss []outreach.Session) []outreach.Session {
	out := append([]outreach.Session(nil), ss...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// doneBefore reports whether day instance d was sent in full before rules
// relative to each session went by day: every session of its day has its
// instance done under the per-session key.
func doneBefore(tx *store.Tx, d Due) (bool, error) {
	if d.Day == "" || len(d.sessions) == 0 {
		return false, nil
	}
	for _, sur := range d.sessions {
		var st reminderState
		if _, err := tx.GetState(sessionKey(d.Rule, sur), &st); err != nil || !st.Done {
			return false, err
		}
	}
	return true, nil
}

// ruleTime is when rule r fires for day: r.DaysBefore calendar days
// earlier, at r's local time of day in loc. A local time that a
// daylight-saving change skips or repeats (02:30 in Geneva on the last
// Sundays of March and October) is moved to the end of that hour, so no
// reminder ever fires inside it; the configuration refuses such times in
// the first place.
func ruleTime(day time.Time, r Rule, loc *time.Location) time.Time {
	d := day.In(loc)
	t := time.Date(d.Year(), d.Month(), d.Day()-r.DaysBefore, r.Hour, r.Min, 0, 0, loc)
	start, end := t.ZoneBounds()
	if wall, want := t.Hour()*60+t.Minute(), r.Hour*60+r.Min; wall != want {
		// Skipped: the clocks jumped over this time; fire when they land.
		if wall > want && !start.IsZero() {
			return start
		}
		if wall < want && !end.IsZero() {
			return end
		}
		return t
	}
	// Repeated: the clocks go back at end, and the last hour of this
	// period comes again; or they went back at start, and the first hour
	// of this period came before. Fire once the repeated hour is over.
	if !end.IsZero() {
		if g := offset(end) - offset(t); g < 0 && end.Sub(t) <= -g {
			return end.Add(-g)
		}
	}
	if !start.IsZero() {
		if g := offset(t) - offset(start.Add(-time.Nanosecond)); g < 0 && t.Sub(start) < -g {
			return start.Add(-g)
		}
	}
	return t
}

// offset is t's offset from UTC.
func offset(t time.Time) time.Duration {
	_, s := t.Zone()
	return time.Duration(s) * time.Second
}

// SweepReport says what a reminder sweep did.
type SweepReport struct {
	Queued int   `json:"queued"`
	Fired  []Due `json:"fired"`
	Missed []Due `json:"missed"`
	// Next is the earliest instance still to come.
	Next *Due `json:"next,omitempty"`
	// Digest is set when the day's staff digest was queued.
	Digest bool `json:"digest"`
	// NoAddress lists the speakers a speakers reminder fired for but could
	// not be sent to, for want of an address: "JPN: Ana Moreno
	// (National Human Rights Institution)". Each is also in the audit.
	NoAddress []string `json:"no_address,omitempty"`
}

// Sweep queues every reminder that has fallen due and not been sent, and
// the staff digest when due. A reminder later than the lateness limit is
// reported as missed instead of sent. Each instance is recorded in the same
// transaction as its messages, so a crash or a restart neither loses nor
// repeats one, and sweeps may run at the same time: the second finds the
// instance done. A sweep with nothing due only reads the store.
func (e *Engine) Sweep() (SweepReport, error) {
	var rep SweepReport
	now := e.now()
	sched := e.schedule()
	due, err := e.dueReminders(sched, now, &rep)
	if err != nil {
		return rep, err
	}
	if len(due) > 0 {
		defer e.Wake() // it may have queued messages
	}
	for _, d := range due {
		// outcome is set only by the transaction that did the work, so a
		// sweep that lost the race does not count the other's.
		outcome, queued := "", 0
		var unaddressed []string
		err := e.st.Update(func(tx *store.Tx) error {
			var err error
			outcome, queued, unaddressed, err = e.fireReminder(tx, d, sched, now)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("reminder %s: %w", d.label(), err)
		}
		switch outcome {
		case "missed":
			rep.Missed = append(rep.Missed, d)
		case "queued":
			rep.Fired = append(rep.Fired, d)
			rep.Queued += queued
			for _, sp := range unaddressed {
				rep.NoAddress = append(rep.NoAddress, d.Session+": "+sp)
			}
		}
	}
	queued, err := e.sweepDigest(now)
	if err != nil {
		return rep, err
	}
	if queued {
		e.Wake()
	}
	rep.Digest = queued
	return rep, nil
}

// dueReminders lists the reminders due at now that no sweep has handled,
// and puts the next one to come in rep.
func (e *Engine) dueReminders(sched Schedule, now time.Time, rep *SweepReport) ([]Due, error) {
	var due []Due
	if err := e.st.View(func(tx *store.Tx) error {
		sessions, err := tx.Sessions()
		if err != nil {
			return err
		}
		for _, d := range sched.instances(e.event, e.loc(), sessions) {
			var st reminderState
			if _, err := tx.GetState(d.key(), &st); err != nil {
				return err
			}
			before, err := doneBefore(tx, d)
			if err != nil {
				return err
			}
			switch {
			case st.Done || before:
			case d.At.After(now):
				if rep.Next == nil || d.At.Before(rep.Next.At) {
					d := d
					rep.Next = &d
				}
			default:
				due = append(due, d)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return due, nil
}

// fireReminder queues reminder d in tx, or records it missed when it is
// past the lateness limit, and says which ("" when another sweep was
// first), how many messages it queued and the speakers it could not
// address.
func (e *Engine) fireReminder(tx *store.Tx, d Due, sched Schedule, now time.Time) (outcome string, queued int, unaddressed []string, err error) {
	var st reminderState
	if _, err := tx.GetState(d.key(), &st); err != nil {
		return "", 0, nil, err
	}
	if st.Done {
		return "", 0, nil, nil // another sweep was first
	}
	if before, err := doneBefore(tx, d); err != nil || before {
		return "", 0, nil, err // sent session by session before the upgrade
	}
	st.Done, st.At, st.Instant = true, now, d.At
	if sched.Lateness > 0 && now.Sub(d.At) > sched.Lateness {
		st.Missed = true
		late := now.Sub(d.At).Round(time.Minute)
		e.log.Warn("reminder missed: past the lateness limit, not sent", "rule", d.Rule, "session", d.Session,
			"due", d.At, "late", late)
		if err := tx.Audit("reminders", "reminder.missed", fmt.Sprintf("%s: due %s, %s late (limit %s): not sent",
			d.label(), e.local(d.At).Format("Mon 2 Jan 15:04 MST"), late, sched.Lateness)); err != nil {
			return "", 0, nil, err
		}
		return "missed", 0, nil, tx.PutState(d.key(), st)
	}
	n, none, err := e.queueReminder(tx, d, now)
	if err != nil {
		return "", 0, nil, err
	}
	st.Queued = n
	if err := tx.Audit("reminders", "reminder.queued", fmt.Sprintf("%s: %d messages", d.label(), n)); err != nil {
		return "", 0, nil, err
	}
	if len(none) > 0 {
		e.log.Warn("reminder not sent to speakers without an address", "rule", d.Rule, "session", d.Session, "speakers", none)
		if err := tx.Audit("reminders", "reminder.no-address", fmt.Sprintf("%s: not sent to %d speakers without an address: %s",
			d.label(), len(none), strings.Join(none, "; "))); err != nil {
			return "", 0, nil, err
		}
	}
	if err := tx.PutState(d.key(), st); err != nil {
		return "", 0, nil, err
	}
	return "queued", n, none, nil
}

// label names an instance in logs and the audit: "nudge",
// "speakers-day-before JPN", "day-before 2017-10-10".
func (d Due) label() string {
	switch {
	case d.Day != "":
		return d.Rule + " " + d.Day
	case d.Session != "":
		return d.Rule + " " + d.Session
	}
	return d.Rule
}

// queueReminder queues instance d's reminder for everyone in its audience.
// For the speakers audience it also returns the speakers left out for want
// of an address.
func (e *Engine) queueReminder(tx *store.Tx, d Due, now time.Time) (int, []string, error) {
	rule := d.rule
	if rule.Audience == Speakers {
		return e.queueSpeakers(tx, d, now)
	}
	ms, err := tx.Missions()
	if err != nil {
		return 0, nil, err
	}
	ss, err := tx.Sessions()
	if err != nil {
		return 0, nil, err
	}
	invited, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
		return it.Key.Kind == outreach.Invitation && it.State == outreach.Sent
	})
	if err != nil {
		return 0, nil, err
	}
	wasInvited := map[string]bool{}
	for _, it := range invited {
		wasInvited[it.Key.Mission] = true
	}
	n := 0
	for _, m := range ms {
		if !wasInvited[m.ID] || len(m.Usable()) == 0 {
			continue
		}
		key := outreach.OutboxKey{Kind: outreach.Reminder, Mission: m.ID, Session: d.Session, Revision: rule.Name, Day: d.Day}
		if d.Day != "" {
			listed, err := e.dayNote(tx, ss, rule.Name, rule.Audience, d.Day, m.ID)
			if err != nil {
				return n, nil, err
			}
			if len(listed) == 0 {
				continue
			}
		} else {
			answers, err := coveredAnswers(tx, ss, m.ID, d.Session)
			if err != nil {
				return n, nil, err
			}
			if !inAudience(rule.Audience, answers) {
				continue
			}
		}
		_, added, err := e.enqueue(tx, key, ruleRef(rule), now)
		if err != nil {
			return n, nil, err
		}
		if added {
			n++
		}
	}
	return n, nil, nil
}

// queueSpeakers queues instance d's reminder to each speaker of its
// session who has an address, one message each, keyed by the address: a
// speaker is written to once per rule and session, whatever happens to
// the process. It returns the speakers without an address.
func (e *Engine) queueSpeakers(tx *store.Tx, d Due, now time.Time) (int, []string, error) {
	if d.Session == "" {
		return 0, nil, fmt.Errorf("rule %s: the speakers audience needs a rule relative to each session", d.Rule)
	}
	s, err := tx.Session(d.Session)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	var none []string
	for _, sp := range s.Panel {
		if sp.Email == "" {
			none = append(none, fmt.Sprintf("%s (%s)", sp.Name, sp.Organisation))
			continue
		}
		key := outreach.OutboxKey{Kind: outreach.Reminder, Session: d.Session, Revision: d.rule.Name, Speaker: strings.ToLower(sp.Email)}
		_, added, err := e.enqueue(tx, key, ruleRef(d.rule), now)
		if err != nil {
			return n, none, err
		}
		if added {
			n++
		}
	}
	return n, none, nil
}

// panelSpeaker finds the speaker with address addr on session s's panel.
func panelSpeaker(s outreach.Session, addr string) (outreach.Speaker, bool) {
	for _, sp := range s.Panel {
		if sp.Email != "" && strings.EqualFold(sp.Email, addr) {
			return sp, true
		}
	}
	return outreach.Speaker{}, false
}

// dayNote returns the sessions a day's note of rule (name, audience) lists
// for mission, in time order, as the store holds them now: those taking
// place on day (a local date) for which the mission is in the audience —
// a session moved to another day is listed on that day's note, one
// cancelled or declined meanwhile on none — less any whose note went out
// on its own before such rules went by day.
func (e *Engine) dayNote(tx *store.Tx, ss []outreach.Session, name, audience, day, mission string) ([]outreach.Session, error) {
	var out []outreach.Session
	for _, s := range sortedSessions(ss) {
		if s.Status == outreach.Cancelled || s.Start.In(e.loc()).Format(time.DateOnly) != day {
			continue
		}
		r, err := tx.RSVP(mission, s.SuR)
		if err != nil {
			return nil, err
		}
		if !inAudience(audience, []outreach.Status{r.Status}) {
			continue
		}
		var st reminderState
		if _, err := tx.GetState(sessionKey(name, s.SuR), &st); err != nil {
			return nil, err
		}
		if st.Done {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// coveredAnswers returns mission's answers for the sessions a reminder
// covers: session alone, or every scheduled session when session is "".
func coveredAnswers(tx *store.Tx, ss []outreach.Session, mission, session string) ([]outreach.Status, error) {
	var answers []outreach.Status
	for _, s := range ss {
		if s.Status == outreach.Cancelled || (session != "" && s.SuR != session) {
			continue
		}
		r, err := tx.RSVP(mission, s.SuR)
		if err != nil {
			return nil, err
		}
		answers = append(answers, r.Status)
	}
	return answers, nil
}

// ruleRef is what an outbox item keeps of its rule: "name:template:audience".
func ruleRef(r Rule) string { return r.Name + ":" + r.Template + ":" + r.Audience }

// ruleParts splits an outbox item's rule reference; items queued before
// the audience was kept have none.
func ruleParts(ref string) (name, template, audience string) {
	name, rest, ok := strings.Cut(ref, ":")
	if !ok {
		return ref, ref, ""
	}
	template, audience, _ = strings.Cut(rest, ":")
	return name, template, audience
}

// supersededReminder reports why a queued reminder no longer concerns its
// recipient, or "" when it still does: the mission answered after it was
// queued and is out of the rule's audience (a nudge to a mission that has
// since accepted), its session was cancelled, or the speaker it is written
// to is no longer on the session's panel. Such a reminder is marked
// superseded instead of being sent.
func (e *Engine) supersededReminder(tx *store.Tx, it outreach.OutboxItem) (string, error) {
	name, _, audience := ruleParts(it.Rule)
	if audience == "" {
		for _, r := range e.schedule().Rules {
			if r.Name == name {
				audience = r.Audience
			}
		}
	}
	if it.Key.Session != "" {
		s, err := tx.Session(it.Key.Session)
		if errors.Is(err, store.ErrNotFound) {
			return "session " + it.Key.Session + " no longer exists", nil
		}
		if err != nil {
			return "", err
		}
		if s.Status == outreach.Cancelled {
			return "session " + it.Key.Session + " was cancelled", nil
		}
		if it.Key.Speaker != "" {
			if _, on := panelSpeaker(s, it.Key.Speaker); !on {
				return it.Key.Speaker + " is no longer on the panel of " + it.Key.Session, nil
			}
			return "", nil
		}
	}
	if audience == "" || it.Key.Mission == "" {
		return "", nil
	}
	ss, err := tx.Sessions()
	if err != nil {
		return "", err
	}
	if it.Key.Day != "" {
		listed, err := e.dayNote(tx, ss, name, audience, it.Key.Day, it.Key.Mission)
		if err != nil || len(listed) > 0 {
			return "", err
		}
		return fmt.Sprintf("%s is no longer in the %s audience of %s for any session on %s", it.Key.Mission, audience, name, it.Key.Day), nil
	}
	answers, err := coveredAnswers(tx, ss, it.Key.Mission, it.Key.Session)
	if err != nil {
		return "", err
	}
	if !inAudience(audience, answers) {
		return fmt.Sprintf("%s answered since: no longer in the %s audience of %s", it.Key.Mission, audience, name), nil
	}
	return "", nil
}

// supersede marks a queued reminder that no longer concerns its recipient
// as superseded, reporting whether it did.
func (e *Engine) supersede(tx *store.Tx, it outreach.OutboxItem) (bool, error) {
	var why string
	var err error
	switch it.Key.Kind {
	case outreach.Reminder:
		why, err = e.supersededReminder(tx, it)
	case outreach.Confirmation:
		why, err = supersededConfirmation(tx, it)
	case outreach.Withdrawal:
		why, err = supersededWithdrawal(tx, it)
	default:
		return false, nil
	}
	if err != nil || why == "" {
		return false, err
	}
	it.State, it.Next, it.Error = outreach.Superseded, time.Time{}, why
	kind := string(it.Key.Kind)
	e.log.Info(kind+" superseded: not sent", "key", it.Key.String(), "why", why)
	if err := tx.SaveOutbox(it); err != nil {
		return false, err
	}
	return true, tx.Audit("outbox", kind+".superseded", it.Key.String()+": "+why)
}

// sessionGone reports why a message about the session on sur no longer
// holds because of the session itself: it no longer exists, or it was
// cancelled; "" when it is still scheduled.
func sessionGone(tx *store.Tx, sur string) (string, error) {
	s, err := tx.Session(sur)
	if errors.Is(err, store.ErrNotFound) {
		return "session " + sur + " no longer exists", nil
	}
	if err != nil {
		return "", err
	}
	if s.Status == outreach.Cancelled {
		return "session " + sur + " was cancelled", nil
	}
	return "", nil
}

// supersededConfirmation reports why a queued confirmation no longer holds,
// or "" when it does: it confirms an acceptance (or a tentative answer),
// so once the mission's current answer for the session is neither, or the
// session was cancelled, the calendar request must not go out.
func supersededConfirmation(tx *store.Tx, it outreach.OutboxItem) (string, error) {
	if why, err := sessionGone(tx, it.Key.Session); why != "" || err != nil {
		return why, err
	}
	r, err := tx.RSVP(it.Key.Mission, it.Key.Session)
	if err != nil {
		return "", err
	}
	if r.Status != outreach.Accepted && r.Status != outreach.Tentative {
		return fmt.Sprintf("%s answered %s for %s since: nothing to confirm", it.Key.Mission, r.Status, it.Key.Session), nil
	}
	return "", nil
}

// inAudience reports whether a mission with these answers (one per
// session the rule covers) is in audience.
func inAudience(audience string, answers []outreach.Status) bool {
	if len(answers) == 0 {
		return false
	}
	any := func(ok func(outreach.Status) bool) bool {
		for _, a := range answers {
			if ok(a) {
				return true
			}
		}
		return false
	}
	switch audience {
	case "no-answer":
		return !any(func(s outreach.Status) bool { return s != outreach.None })
	case "accepted":
		return any(func(s outreach.Status) bool { return s == outreach.Accepted })
	case "tentative":
		return any(func(s outreach.Status) bool { return s == outreach.Tentative })
	case "attending":
		return any(func(s outreach.Status) bool { return s == outreach.Accepted || s == outreach.Tentative })
	case "not-declined":
		return any(func(s outreach.Status) bool { return s != outreach.Declined })
	}
	return false
}

func (e *Engine) loc() *time.Location {
	if e.event.Location != nil {
		return e.event.Location
	}
	return time.UTC
}

// Reminders lists every reminder instance with its state.
func (e *Engine) Reminders() ([]ReminderLine, error) {
	var out []ReminderLine
	err := e.st.View(func(tx *store.Tx) error {
		return e.eachReminder(tx, func(d Due, st reminderState) error {
			l := ReminderLine{Due: d, State: "scheduled"}
			if !st.Done {
				// Sent session by session before the upgrade?
				before, err := doneBefore(tx, d)
				if err != nil {
					return err
				}
				for _, sur := range d.sessions {
					var old reminderState
					if _, err := tx.GetState(sessionKey(d.Rule, sur), &old); err != nil {
						return err
					}
					if before {
						st.Done, st.Queued = true, st.Queued+old.Queued
					}
				}
			}
			switch {
			case st.Missed:
				l.State = "missed"
			case st.Done:
				l.State, l.Queued = "sent", st.Queued
			}
			l.At = e.local(l.At)
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// eachReminder calls fn with every reminder instance of the round and its
// state as kept.
func (e *Engine) eachReminder(tx *store.Tx, fn func(d Due, st reminderState) error) error {
	ss, err := tx.Sessions()
	if err != nil {
		return err
	}
	for _, d := range e.instances(ss) {
		var st reminderState
		if _, err := tx.GetState(d.key(), &st); err != nil {
			return err
		}
		if err := fn(d, st); err != nil {
			return err
		}
	}
	return nil
}

// ReminderLine is one reminder instance and its state.
type ReminderLine struct {
	Due
	State  string `json:"state"` // scheduled, sent, missed
	Queued int    `json:"queued"`
}

// ErrNoSchedule means the engine was built without reminder rules.
var ErrNoSchedule = errors.New("jobs: no reminder schedule")

func (e *Engine) schedule() Schedule {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.sched
}

// SetSchedule replaces the reminder rules (configuration reload).
func (e *Engine) SetSchedule(s Schedule) {
	e.mu.Lock()
	e.sched = s
	e.mu.Unlock()
}

// ruleTemplate returns the template of a reminder item.
func ruleTemplate(ref string) string {
	_, t, _ := ruleParts(ref)
	return t
}
