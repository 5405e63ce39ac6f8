package jobs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

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
	Audience   string // no-answer, accepted, tentative, attending, not-declined
	Template   string // a reminder template kind, e.g. reminder-noanswer
}

// Schedule is the reminder configuration: the rules, how late a reminder
// may still go out, and the staff digest's cron schedule.
type Schedule struct {
	Rules    []Rule
	Lateness time.Duration
	// Digest is the cron spec of the daily staff digest ("" for none).
	Digest string
}

// Due is one reminder instance: a rule, for the event or one session.
type Due struct {
	Rule    string    `json:"rule"`
	Session string    `json:"session,omitempty"`
	At      time.Time `json:"at"`
}

func (d Due) key() string { return "reminder:" + d.Rule + ":" + d.Session }

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
	loc := e.event.Location
	if loc == nil {
		loc = time.UTC
	}
	at := func(day time.Time, r Rule) time.Time {
		d := day.In(loc)
		return time.Date(d.Year(), d.Month(), d.Day()-r.DaysBefore, r.Hour, r.Min, 0, 0, loc)
	}
	var out []Due
	for _, r := range e.schedule().Rules {
		if !r.PerSession {
			out = append(out, Due{Rule: r.Name, At: at(e.event.First, r)})
			continue
		}
		for _, s := range sessions {
			if s.Status == outreach.Cancelled {
				continue
			}
			out = append(out, Due{Rule: r.Name, Session: s.SuR, At: at(s.Start, r)})
		}
	}
	return out
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
}

// Sweep queues every reminder that has fallen due and not been sent, and
// the staff digest when due. A reminder later than the lateness limit is
// reported as missed instead of sent. Each instance is recorded in the same
// transaction as its messages, so a crash or a restart neither loses nor
// repeats one.
func (e *Engine) Sweep() (SweepReport, error) {
	defer e.Wake() // it may have queued messages
	var rep SweepReport
	now := e.now()
	var sessions []outreach.Session
	if err := e.st.View(func(tx *store.Tx) error {
		var err error
		sessions, err = tx.Sessions()
		return err
	}); err != nil {
		return rep, err
	}
	sched := e.schedule()
	for _, d := range e.instances(sessions) {
		if d.At.After(now) {
			if rep.Next == nil || d.At.Before(rep.Next.At) {
				d := d
				rep.Next = &d
			}
			continue
		}
		err := e.st.Update(func(tx *store.Tx) error {
			var st reminderState
			if _, err := tx.GetState(d.key(), &st); err != nil {
				return err
			}
			if st.Done {
				return nil
			}
			st.Done, st.At, st.Instant = true, now, d.At
			if sched.Lateness > 0 && now.Sub(d.At) > sched.Lateness {
				st.Missed = true
				rep.Missed = append(rep.Missed, d)
				e.log.Warn("reminder missed: past the lateness limit, not sent", "rule", d.Rule, "session", d.Session,
					"due", d.At, "late", now.Sub(d.At).Round(time.Minute))
				if err := tx.Audit("reminders", "reminder.missed", fmt.Sprintf("%s %s due %s, %s late: not sent",
					d.Rule, d.Session, d.At.Format(time.RFC3339), now.Sub(d.At).Round(time.Minute))); err != nil {
					return err
				}
				return tx.PutState(d.key(), st)
			}
			n, err := e.queueReminder(tx, d, now)
			if err != nil {
				return err
			}
			st.Queued = n
			rep.Queued += n
			rep.Fired = append(rep.Fired, d)
			if err := tx.Audit("reminders", "reminder.queued", fmt.Sprintf("%s %s: %d messages", d.Rule, d.Session, n)); err != nil {
				return err
			}
			return tx.PutState(d.key(), st)
		})
		if err != nil {
			return rep, fmt.Errorf("reminder %s %s: %w", d.Rule, d.Session, err)
		}
	}
	queued, err := e.sweepDigest(now)
	if err != nil {
		return rep, err
	}
	rep.Digest = queued
	return rep, nil
}

// queueReminder queues instance d's reminder for every mission of its
// audience.
func (e *Engine) queueReminder(tx *store.Tx, d Due, now time.Time) (int, error) {
	var rule Rule
	for _, r := range e.schedule().Rules {
		if r.Name == d.Rule {
			rule = r
		}
	}
	ms, err := tx.Missions()
	if err != nil {
		return 0, err
	}
	ss, err := tx.Sessions()
	if err != nil {
		return 0, err
	}
	invited, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
		return it.Key.Kind == outreach.Invitation && it.State == outreach.Sent
	})
	if err != nil {
		return 0, err
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
		var answers []outreach.Status
		for _, s := range ss {
			if s.Status == outreach.Cancelled || (d.Session != "" && s.SuR != d.Session) {
				continue
			}
			r, err := tx.RSVP(m.ID, s.SuR)
			if err != nil {
				return n, err
			}
			answers = append(answers, r.Status)
		}
		if !inAudience(rule.Audience, answers) {
			continue
		}
		key := outreach.OutboxKey{Kind: outreach.Reminder, Mission: m.ID, Session: d.Session, Revision: rule.Name}
		_, added, err := e.enqueue(tx, key, rule.Name+":"+rule.Template, now)
		if err != nil {
			return n, err
		}
		if added {
			n++
		}
	}
	return n, nil
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

// sweepDigest queues the staff digest for the latest scheduled time at or
// before now, once per day, unless it is later than the lateness limit.
func (e *Engine) sweepDigest(now time.Time) (bool, error) {
	sched := e.schedule()
	if sched.Digest == "" || e.event.Staff.Email == "" {
		return false, nil
	}
	spec, err := cron.ParseStandard(sched.Digest)
	if err != nil {
		return false, fmt.Errorf("digest schedule %q: %w", sched.Digest, err)
	}
	// The latest occurrence at or before now, looking back a day.
	var last time.Time
	for t := spec.Next(now.Add(-25 * time.Hour)); !t.After(now); t = spec.Next(t) {
		last = t
	}
	if last.IsZero() || (sched.Lateness > 0 && now.Sub(last) > sched.Lateness) {
		return false, nil
	}
	day := last.In(e.loc()).Format(time.DateOnly)
	queued := false
	err = e.st.Update(func(tx *store.Tx) error {
		_, added, err := e.enqueue(tx, outreach.OutboxKey{Kind: outreach.Digest, Revision: day}, "", now)
		queued = added
		return err
	})
	return queued, err
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
		ss, err := tx.Sessions()
		if err != nil {
			return err
		}
		for _, d := range e.instances(ss) {
			var st reminderState
			if _, err := tx.GetState(d.key(), &st); err != nil {
				return err
			}
			l := ReminderLine{Due: d, State: "scheduled"}
			switch {
			case st.Missed:
				l.State = "missed"
			case st.Done:
				l.State, l.Queued = "sent", st.Queued
			}
			l.At = e.local(l.At)
			out = append(out, l)
		}
		return nil
	})
	return out, err
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

// ruleTemplate returns the template of a reminder item ("rule:template").
func ruleTemplate(rule string) string {
	if _, t, ok := strings.Cut(rule, ":"); ok {
		return t
	}
	return rule
}
