// Package jobs is outreach's engine: the operations staff run (import the
// directory, invite, record answers, move sessions), the intake of replies,
// the reminder sweeps and the digest, each in a file of its own. The
// durable outbox worker that sends what they queue is package jobs/outbox;
// the Engine runs it and composes its messages. The ports jobs needs of
// the adapters (Store, Sender, Composer, Clock) are declared in ports.go;
// cmd/outreach wires the concrete types.
package jobs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"outreach"
	"outreach/jobs/outbox"
	"outreach/mailer"
	"outreach/store"
	"outreach/templates"
)

// Options configure an Engine.
type Options struct {
	Store  *store.Store
	Event  outreach.Event
	Logger *slog.Logger
	// Clock is the engine's time; default the wall clock.
	Clock Clock
	// Templates render every message; required to send or preview mail.
	// When they could not be loaded, TemplatesErr says why and every
	// operation that renders mail returns it.
	Templates    *templates.Set
	TemplatesErr error
	// Sender is the SMTP client; nil when sending is not configured. The
	// outbox worker reaches it through the Sender port (outbox.SMTP).
	Sender *mailer.Sender
	// Connections is how many SMTP connections the outbox uses at once.
	Connections int
	// Limits throttle sending.
	Limits Limits
	// Schedule holds the reminder rules and the digest's schedule.
	Schedule Schedule
	// PageURL is the public address of the reply pages
	// ("https://rsvp.example.org"); empty when they are not served, and
	// letters then carry no link.
	PageURL string
}

// Engine runs every operation on one store.
type Engine struct {
	// st is the store as the operations use it (the Store port); db is the
	// same store, concrete, for Store() (the admin API's backup and
	// metrics) and the outbox worker.
	st      Store
	db      *store.Store
	event   outreach.Event
	log     *slog.Logger
	now     func() time.Time
	clock   Clock
	tmpl    *templates.Set
	tmplErr error
	pageURL string // see Options.PageURL

	mu    sync.RWMutex // guards sched, replaced on reload
	sched Schedule

	dc dirCache // missions and sessions as derived for compose and intake

	outbox *outbox.Worker // sends what the operations queue
	wake   chan struct{}  // signalled after new messages are queued
}

// New returns an engine over an open store.
func New(opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{st: opts.Store, db: opts.Store, event: opts.Event, log: opts.Logger, now: opts.Clock.Now, clock: opts.Clock,
		tmpl: opts.Templates, tmplErr: opts.TemplatesErr, sched: opts.Schedule,
		pageURL: strings.TrimRight(opts.PageURL, "/"), wake: make(chan struct{}, 1)}
	e.outbox = outbox.New(outbox.Config{Store: opts.Store, Composer: outboxComposer{e}, Clock: opts.Clock, Logger: opts.Logger,
		Sender: outbox.SMTP(opts.Sender), Connections: opts.Connections, Limits: opts.Limits})
	return e
}

// Wake tells the outbox worker that messages may be waiting.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Woken is signalled after messages were queued.
func (e *Engine) Woken() <-chan struct{} { return e.wake }

// SetTemplates replaces the templates (configuration reload).
func (e *Engine) SetTemplates(t *templates.Set) {
	e.mu.Lock()
	e.tmpl, e.tmplErr = t, nil
	e.mu.Unlock()
}

// SetSender sets the SMTP client (built only when something is to be sent).
func (e *Engine) SetSender(s *mailer.Sender) { e.outbox.SetSender(outbox.SMTP(s)) }

// templates returns the loaded templates or why there are none.
func (e *Engine) templates() (*templates.Set, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.tmpl == nil {
		if e.tmplErr != nil {
			return nil, e.tmplErr
		}
		return nil, errors.New("jobs: no templates loaded")
	}
	return e.tmpl, nil
}

// Event returns the round the engine serves.
func (e *Engine) Event() outreach.Event { return e.event }

// Store returns the engine's store.
func (e *Engine) Store() *store.Store { return e.db }

// ErrInput marks an error in what the caller asked for (a bad id, a bad
// file), as opposed to a failure of the system.
var ErrInput = errors.New("invalid input")

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// replyToken derives a mission's reply-address token from the store's
// secret: stable, unguessable without the secret, and short enough for an
// address (rsvp+TOKEN@domain).
func replyToken(secret []byte, mission string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("reply-token:" + mission))
	sum := m.Sum(nil)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum)[:12])
}

// ImportReport says what an import changed.
type ImportReport struct {
	Added     []string `json:"added"`
	Updated   []string `json:"updated"`
	Unchanged int      `json:"unchanged"`
	// Kept lists records already in the store but absent from the file:
	// they are kept, with their history.
	Kept []string `json:"kept"`
}

// ImportMissions adds or updates missions. Names, titles, language, contacts
// and domains are replaced by the file's; a contact that stays keeps its
// bounce record; RSVPs and their history are never touched; missions absent
// from the file are kept. The whole import is one transaction.
func (e *Engine) ImportMissions(ms []outreach.Mission, actor string) (ImportReport, error) {
	rep := ImportReport{Added: []string{}, Updated: []string{}, Kept: []string{}}
	for i := range ms {
		if err := ms[i].Validate(); err != nil {
			return rep, inputErr("mission %s: %v", ms[i].ID, err)
		}
	}
	err := e.st.Update(func(tx *store.Tx) error {
		rep = ImportReport{Added: []string{}, Updated: []string{}, Kept: []string{}}
		inFile := map[string]bool{}
		for _, m := range ms {
			inFile[m.ID] = true
			old, err := tx.Mission(m.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				rep.Added = append(rep.Added, m.ID)
			case err != nil:
				return err
			default:
				for i, c := range m.Contacts {
					if oc, ok := old.Contact(c.Email); ok {
						m.Contacts[i].Undeliverable, m.Contacts[i].Bounce, m.Contacts[i].BouncedAt = oc.Undeliverable, oc.Bounce, oc.BouncedAt
					}
				}
				if sameMission(old, m) {
					rep.Unchanged++
					continue
				}
				rep.Updated = append(rep.Updated, m.ID)
			}
			if err := tx.PutMission(m); err != nil {
				return err
			}
		}
		all, err := tx.Missions()
		if err != nil {
			return err
		}
		for _, m := range all {
			if !inFile[m.ID] {
				rep.Kept = append(rep.Kept, m.ID)
			}
		}
		return tx.Audit(actor, "missions.import", fmt.Sprintf("added %d, updated %d, unchanged %d, kept %d",
			len(rep.Added), len(rep.Updated), rep.Unchanged, len(rep.Kept)))
	})
	return rep, err
}

func sameMission(a, b outreach.Mission) bool {
	if a.Names != b.Names || a.Titles != b.Titles || a.Language != b.Language ||
		len(a.Contacts) != len(b.Contacts) || strings.Join(a.Domains, ";") != strings.Join(b.Domains, ";") {
		return false
	}
	for i := range a.Contacts {
		if a.Contacts[i] != b.Contacts[i] {
			return false
		}
	}
	return true
}

// Missions returns the directory, ordered by id.
func (e *Engine) Missions() ([]outreach.Mission, error) {
	var ms []outreach.Mission
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		ms, err = tx.Missions()
		return err
	})
	return ms, err
}

// Mission returns one mission.
func (e *Engine) Mission(id string) (outreach.Mission, error) {
	var m outreach.Mission
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		m, err = tx.Mission(strings.ToUpper(id))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return m, inputErr("no mission %q in the directory (see `outreach missions list`)", id)
	}
	return m, err
}

// ImportSessions adds sessions and updates those not yet announced to any
// mission. A session whose invitations went out is moved with `outreach
// sessions move`, so every calendar gets the change; the import refuses to
// change it silently.
func (e *Engine) ImportSessions(ss []outreach.Session, actor string) (ImportReport, error) {
	rep := ImportReport{Added: []string{}, Updated: []string{}, Kept: []string{}}
	for i := range ss {
		if err := ss[i].Validate(); err != nil {
			return rep, inputErr("session %s: %v", ss[i].SuR, err)
		}
	}
	err := e.st.Update(func(tx *store.Tx) error {
		rep = ImportReport{Added: []string{}, Updated: []string{}, Kept: []string{}}
		announced, err := announcedSessions(tx)
		if err != nil {
			return err
		}
		inFile := map[string]bool{}
		var problems []error
		for _, s := range ss {
			inFile[s.SuR] = true
			if _, err := tx.Mission(s.SuR); err != nil {
				problems = append(problems, inputErr("session %s: no such mission in the directory", s.SuR))
				continue
			}
			old, err := tx.Session(s.SuR)
			switch {
			case errors.Is(err, store.ErrNotFound):
				rep.Added = append(rep.Added, s.SuR)
			case err != nil:
				return err
			default:
				if old.Start.Equal(s.Start) && old.End.Equal(s.End) && old.Room == s.Room {
					rep.Unchanged++
					continue
				}
				if announced {
					problems = append(problems, inputErr("session %s: invitations have gone out; change it with `outreach sessions move %s --start %s --end %s --room %q` so every mission's calendar follows",
						s.SuR, s.SuR, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), s.Room))
					continue
				}
				// Keep what the file does not carry.
				s.Panel, s.SuRStatement, s.Sequence, s.Status = old.Panel, old.SuRStatement, old.Sequence, old.Status
				rep.Updated = append(rep.Updated, s.SuR)
			}
			if err := tx.PutSession(s); err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			return errors.Join(problems...)
		}
		all, err := tx.Sessions()
		if err != nil {
			return err
		}
		for _, s := range all {
			if !inFile[s.SuR] {
				rep.Kept = append(rep.Kept, s.SuR)
			}
		}
		return tx.Audit(actor, "sessions.import", fmt.Sprintf("added %d, updated %d, unchanged %d",
			len(rep.Added), len(rep.Updated), rep.Unchanged))
	})
	return rep, err
}

// announcedSessions reports whether any invitation has been queued.
func announcedSessions(tx *store.Tx) (bool, error) {
	items, err := tx.Outbox(func(it *outreach.OutboxItem) bool { return it.Key.Kind == outreach.Invitation })
	return len(items) > 0, err
}

// Sessions returns the sessions in order of start.
func (e *Engine) Sessions() ([]outreach.Session, error) {
	var ss []outreach.Session
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		ss, err = tx.Sessions()
		return err
	})
	for i := range ss {
		ss[i].Start, ss[i].End = e.local(ss[i].Start), e.local(ss[i].End)
	}
	return ss, err
}

func (e *Engine) local(t time.Time) time.Time {
	if e.event.Location != nil {
		return t.In(e.event.Location)
	}
	return t
}

// Delivery is one mission's invitation delivery state.
type Delivery struct {
	Mission string `json:"mission"`
	State   string `json:"state"` // not-invited, queued, sent, deferred, failed
	Error   string `json:"error,omitempty"`
	// Bounced lists contact addresses that bounced.
	Bounced []string `json:"bounced,omitempty"`
}

// Status is the round at a glance.
type Status struct {
	Event    EventSummary            `json:"event"`
	Sessions []outreach.SessionTally `json:"sessions"`
	Coverage outreach.Coverage       `json:"coverage"`
	Delivery map[string]int          `json:"delivery"`
	Missions []Delivery              `json:"missions,omitempty"`
	Review   int                     `json:"review_open"`
	// Today is the day in the event's time zone and its sessions (by
	// index into Sessions); Next the first session after today, -1 when
	// none is left.
	Today         string `json:"today"`
	TodaySessions []int  `json:"today_sessions"`
	Next          int    `json:"next_session"`
	// Reviews are the messages waiting for a person, oldest first.
	Reviews []ReviewLine `json:"reviews,omitempty"`
	// Failed are the messages that failed for good, of any kind.
	Failed []FailedLine `json:"failed,omitempty"`
}

// ReviewLine is one message waiting for a person, as a report shows it.
type ReviewLine struct {
	ID       uint64    `json:"id"`
	From     string    `json:"from"`
	Subject  string    `json:"subject"`
	Reason   string    `json:"reason"`
	Received time.Time `json:"received"`
	// Waiting is how long it has waited, in whole days ("0" for today).
	WaitingDays int `json:"waiting_days"`
}

// FailedLine is one message that failed for good.
type FailedLine struct {
	Kind    string `json:"kind"`
	Mission string `json:"mission"`
	Name    string `json:"name"`
	Session string `json:"session,omitempty"`
	Error   string `json:"error"`
}

// EventSummary identifies the round in reports.
type EventSummary struct {
	Title      string `json:"title"`
	UPRSession int    `json:"upr_session"`
	FirstDay   string `json:"first_day"`
	LastDay    string `json:"last_day"`
	TimeZone   string `json:"time_zone"`
}

func (e *Engine) eventSummary() EventSummary {
	tz := ""
	if e.event.Location != nil {
		tz = e.event.Location.String()
	}
	sum := EventSummary{Title: e.event.Title, UPRSession: e.event.UPRSession, TimeZone: tz}
	if !e.event.First.IsZero() {
		sum.FirstDay, sum.LastDay = e.event.First.Format(time.DateOnly), e.event.Last.Format(time.DateOnly)
	}
	return sum
}

// reviewLines lists the open review items, oldest first.
func reviewLines(open []outreach.ReviewItem, now time.Time) []ReviewLine {
	sort.Slice(open, func(i, j int) bool { return open[i].Received.Before(open[j].Received) })
	out := make([]ReviewLine, 0, len(open))
	for _, r := range open {
		days := 0
		if !r.Received.IsZero() && now.After(r.Received) {
			days = int(now.Sub(r.Received) / (24 * time.Hour))
		}
		out = append(out, ReviewLine{ID: r.ID, From: r.From, Subject: r.Subject, Reason: r.Reason, Received: r.Received, WaitingDays: days})
	}
	return out
}

// failedLines lists the messages that failed for good, by mission.
func failedLines(tx *store.Tx, names map[string]string) ([]FailedLine, error) {
	failed, err := tx.Outbox(func(o *outreach.OutboxItem) bool { return o.State == outreach.Failed })
	if err != nil {
		return nil, err
	}
	out := make([]FailedLine, 0, len(failed))
	for _, it := range failed {
		out = append(out, FailedLine{Kind: string(it.Key.Kind), Mission: it.Key.Mission, Name: names[it.Key.Mission],
			Session: it.Key.Session, Error: it.Error})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Mission != out[j].Mission {
			return out[i].Mission < out[j].Mission
		}
		return out[i].Kind < out[j].Kind
	})
	return out, nil
}

// today returns the day of now in the event's time zone, the indexes of
// the sessions held that day, and the first session after it (-1: none).
func (e *Engine) today(ss []outreach.SessionTally) (string, []int, int) {
	now := e.local(e.now())
	day := now.Format(time.DateOnly)
	idx, next := []int{}, -1
	for i, s := range ss {
		sd := e.local(s.Start).Format(time.DateOnly)
		switch {
		case sd == day:
			idx = append(idx, i)
		case sd > day && s.Status != outreach.Cancelled.String() && (next < 0 || s.Start.Before(ss[next].Start)):
			next = i
		}
	}
	return day, idx, next
}

// Status tallies the answers per session, the universality coverage and the
// delivery of the invitations.
func (e *Engine) Status() (Status, error) {
	st := Status{Event: e.eventSummary(), Delivery: map[string]int{}}
	err := e.st.View(func(tx *store.Tx) error {
		ms, err := tx.Missions()
		if err != nil {
			return err
		}
		ss, err := tx.Sessions()
		if err != nil {
			return err
		}
		rs, err := tx.RSVPs()
		if err != nil {
			return err
		}
		inv, err := tx.Outbox(func(it *outreach.OutboxItem) bool { return it.Key.Kind == outreach.Invitation })
		if err != nil {
			return err
		}
		byMission := map[string]outreach.OutboxItem{}
		for _, it := range inv {
			byMission[it.Key.Mission] = it
		}
		for i := range ss {
			ss[i].Start, ss[i].End = e.local(ss[i].Start), e.local(ss[i].End)
		}
		st.Sessions = outreach.Tally(ms, ss, rs, func(id string) bool {
			it, ok := byMission[id]
			return ok && it.State == outreach.Sent
		})
		st.Coverage = outreach.Cover(ms)
		if st.Event.FirstDay == "" && len(ss) > 0 {
			// A store read without its configuration (--store): the days
			// are the sessions'.
			st.Event.FirstDay = ss[0].Start.Format(time.DateOnly)
			st.Event.LastDay = ss[len(ss)-1].Start.Format(time.DateOnly)
		}
		names := map[string]string{}
		for _, m := range ms {
			names[m.ID] = m.Names.EN
		}
		st.Today, st.TodaySessions, st.Next = e.today(st.Sessions)
		if st.Failed, err = failedLines(tx, names); err != nil {
			return err
		}
		for _, m := range ms {
			d := Delivery{Mission: m.ID, State: "not-invited"}
			if it, ok := byMission[m.ID]; ok {
				d.State, d.Error = it.State.String(), it.Error
				if it.State == outreach.Sending {
					d.State = "queued"
				}
			}
			for _, c := range m.Contacts {
				if c.Undeliverable {
					d.Bounced = append(d.Bounced, c.Email)
				}
			}
			st.Delivery[d.State]++
			st.Missions = append(st.Missions, d)
		}
		open, err := tx.Reviews(outreach.ReviewOpen)
		st.Review = len(open)
		st.Reviews = reviewLines(open, e.now())
		return err
	})
	sort.Slice(st.Missions, func(i, j int) bool { return st.Missions[i].Mission < st.Missions[j].Mission })
	return st, err
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
