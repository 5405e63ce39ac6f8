// Package demo runs a whole round of UPR pre-sessions in one process: an
// SMTP server and an IMAP server on loopback, the 28th round and its 195
// missions, and simulated missions that answer the way real ones do. It is
// what `outreach demo` runs.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"outreach"
	"outreach/config"
	"outreach/demo/mailbox"
	"outreach/directory"
	"outreach/jobs"
	"outreach/mailer"
	"outreach/mailer/inbox"
	"outreach/store"
	"outreach/templates"
)

// Options configure a demo run.
type Options struct {
	// Dir holds the demo's store; empty means a temporary directory removed
	// at the end.
	Dir string
	// Once runs the round as fast as it can and prints the final table.
	// Otherwise the round runs on a clock Speed times faster than real
	// time, with a live view redrawn on Out.
	Once  bool
	Speed float64
	// Seed fixes the missions' behaviour; the same seed gives the same round.
	Seed uint64
	// Out receives the live view and the final table.
	Out io.Writer
	// Logger receives outreach's own logs (nil: discarded).
	Logger *slog.Logger
	// Frame is the live view's refresh period (default 250ms on a
	// terminal, 10s otherwise).
	Frame time.Duration
	// Terminal says Out is a terminal: the live view then redraws the
	// screen in place. Otherwise each frame is written after the last,
	// with no screen control codes, so a log or a pipe reads as text.
	Terminal bool
	// Rounds is how many rounds to play back to back in one store: 1 (the
	// default) plays the 28th; 2 then records the 29th with `round new`'s
	// store calls, makes it current and plays it from the first round's
	// directory, with what was learned of the missions' contacts.
	Rounds int
}

// Result is what the round came to, read from the store at the end.
type Result struct {
	Status  jobs.Status
	Figures Figures
	// Mismatches lists every (mission, session) whose recorded answer is
	// not what the mission said; empty when outreach recorded every answer
	// as it was given.
	Mismatches []string
	// Answers is the number of (mission, session) answers the missions gave.
	Answers int
	// MissionMail counts what the simulated missions sent, by kind.
	MissionMail map[string]int
	Elapsed     time.Duration
	// Duplicates lists Message-IDs that reached the SMTP server twice.
	Duplicates []string
	// Unreadable counts messages from outreach a mission could not parse.
	Unreadable int
	// Stopped is set when the live round was interrupted before its end.
	Stopped bool

	snapshot jobs.Snapshot // the engine's numbers the figures came from
	Dir      string

	// Round is the number of the round the result is of; Previous the
	// results of the rounds played before it, in the same store.
	Round    int
	Previous []Result
	// AllRounds are the figures across every round in the store, read at
	// the end (`outreach figures`).
	AllRounds *jobs.Figures
	// Bounced counts the addresses a bounce had marked undeliverable when
	// the round began; WroteToBounced lists those the round wrote to
	// anyway (a defect: empty when what was learned carried over).
	Bounced        int
	WroteToBounced []string
}

// Figures are the round's numbers for the organisers.
type Figures struct {
	// Attending is the number of distinct missions that accepted at least
	// one session.
	Attending int `json:"distinct_missions_attending"`
	// PerSession is the average number of missions accepted per session.
	PerSession float64 `json:"average_per_session"`
	// SuROwn is the number of States under Review attending their own session.
	SuROwn   int `json:"sur_attending_own_session"`
	Sessions int `json:"sessions"`
	// Messages outreach sent, by kind; replies it read, by kind.
	Sent    map[string]int `json:"sent"`
	Replies map[string]int `json:"replies"`
	Review  int            `json:"review_open"`
	// NotReached lists missions no address of which works.
	NotReached []string `json:"not_reached"`
	Reminders  int      `json:"reminders_sent"`
	Missed     int      `json:"reminders_missed"`
	// MostToOneMission is the largest number of messages any one mission
	// received over the round, and MostMission that mission;
	// MostLettersToOneMission the same without the calendar requests
	// (confirmations, updates, cancellations), which are one per session
	// by necessity.
	MostToOneMission        int    `json:"most_messages_to_one_mission"`
	MostMission             string `json:"most_messages_mission"`
	MostLettersToOneMission int    `json:"most_letters_to_one_mission"`
	// MostLettersInADay is the largest number of those (calendar requests
	// left out) that one mission received on one day, Geneva time, and
	// MostLettersDay that mission and day ("JAM 2017-10-09").
	MostLettersInADay int    `json:"most_letters_to_one_mission_in_a_day"`
	MostLettersDay    string `json:"most_letters_in_a_day_mission"`
}

const (
	mailboxUser = "rsvp@presessions.example"
	mailboxPass = "demo-mailbox-password"
)

// start is when the demo round begins: Monday 4 September 2017, 09:00 in
// Geneva, five weeks before the pre-sessions.
var start = time.Date(2017, 9, 4, 7, 0, 0, 0, time.UTC)

// Run plays a whole round, or opts.Rounds rounds back to back in one
// store, and returns what the store holds at the end of the last; its
// Mismatches include those of every round.
func Run(ctx context.Context, opts Options) (Result, error) {
	began := time.Now()
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Frame <= 0 {
		opts.Frame = 250 * time.Millisecond
		if !opts.Terminal {
			opts.Frame = 10 * time.Second
		}
	}
	if opts.Speed <= 0 {
		opts.Speed = 40000
	}
	dir := opts.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "outreach-demo-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, err
	}
	// One organiser mailbox for every round, as in life: its checkpoint
	// in the store stays true.
	mbox, err := mailbox.Listen(mailbox.Options{Addr: "127.0.0.1:0", Username: mailboxUser, Password: mailboxPass})
	if err != nil {
		return Result{}, fmt.Errorf("demo: IMAP server: %w", err)
	}
	defer mbox.Close()
	var previous []Result
	for n := 1; ; n++ {
		spec, err := roundSpecs(n)
		if err != nil {
			return Result{}, err
		}
		res, err := playRound(ctx, dir, opts, spec, mbox, began)
		if opts.Dir != "" {
			res.Dir = dir
		}
		if err != nil || res.Stopped || n >= max(opts.Rounds, 1) {
			if err == nil && n > 1 {
				res.Previous = previous
				for _, p := range previous {
					for _, m := range p.Mismatches {
						res.Mismatches = append(res.Mismatches, fmt.Sprintf("round %d: %s", p.Round, m))
					}
				}
				res.AllRounds, err = allFigures(dir, opts)
				if err == nil {
					printRounds(opts.Out, res)
				}
			}
			return res, err
		}
		previous = append(previous, res)
	}
}

// roundSpec is one round the demo can play.
type roundSpec struct {
	// next is set for a round after the first: it is added to the store
	// the first round left, and made current.
	next     bool
	round    outreach.Round
	ev       outreach.Event
	sessions []outreach.Session
	start    time.Time
	seed     uint64 // added to Options.Seed
}

// roundSpecs returns the n-th round the demo plays: the 28th, then the
// 29th, starting five weeks before its first day.
func roundSpecs(n int) (roundSpec, error) {
	ev, sessions, err := directory.Round28()
	if err != nil {
		return roundSpec{}, err
	}
	switch n {
	case 1:
		return roundSpec{round: outreach.RoundOf(ev), ev: ev, sessions: sessions, start: start}, nil
	case 2:
		r, ss, err := directory.Round29()
		if err != nil {
			return roundSpec{}, err
		}
		return roundSpec{next: true, round: r, ev: r.Apply(ev), sessions: ss,
			start: time.Date(2017, 10, 30, 8, 0, 0, 0, time.UTC), seed: 1}, nil
	}
	return roundSpec{}, fmt.Errorf("demo: plays at most 2 rounds, not %d", n)
}

// playRound plays one round and prints its final table.
func playRound(ctx context.Context, dir string, opts Options, spec roundSpec, mbox *mailbox.Server, began time.Time) (Result, error) {
	r, err := newRound(ctx, dir, opts, spec, mbox)
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	stopped := false
	if err := r.play(ctx); err != nil {
		if ctx.Err() == nil || opts.Once {
			return Result{}, err
		}
		// Interrupted in the live view: show where the round stood.
		stopped = true
	}
	res, err := r.result()
	res.Elapsed = time.Since(began)
	res.Stopped = stopped
	res.Round = spec.round.Number
	if err == nil {
		res.Bounced = len(r.bounced)
		res.WroteToBounced, err = r.wroteToBounced()
		for _, a := range res.WroteToBounced {
			res.Mismatches = append(res.Mismatches, "wrote to "+a+", which had bounced in an earlier round")
		}
	}
	if err == nil {
		printFinal(opts.Out, r, res)
	}
	return res, err
}

// allFigures reads the figures of every round in the demo's store.
func allFigures(dir string, opts Options) (*jobs.Figures, error) {
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{NoSync: opts.Once})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var f jobs.Figures
	err = st.View(func(tx *store.Tx) error {
		var err error
		// As of the end of the last round: every pre-session held.
		f, err = jobs.FiguresOf(tx, time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC))
		return err
	})
	return &f, err
}

// round is one running demo.
type round struct {
	opts     Options
	clock    jobs.Clock
	manual   *jobs.ManualClock
	st       *store.Store
	e        *jobs.Engine
	w        *world
	relay    *relay
	mbox     *mailbox.Server
	watcher  *inbox.Watcher
	ev       outreach.Event
	sessions []outreach.Session
	start    time.Time
	end      time.Time
	moved    bool
	// bounced are the addresses marked undeliverable when the round
	// began: none may be written to.
	bounced map[string]bool

	mu     sync.Mutex
	events []string // the live view's recent activity
	pages  *pages   // the missions' reply pages
}

func newRound(ctx context.Context, dir string, opts Options, spec roundSpec, mbox *mailbox.Server) (*round, error) {
	ev, sessions := spec.ev, spec.sessions
	missions, err := directory.Missions()
	if err != nil {
		return nil, err
	}
	r := &round{opts: opts, ev: ev, sessions: sessions, start: spec.start, mbox: mbox, bounced: map[string]bool{}}
	if opts.Once {
		r.manual = jobs.NewManualClock(spec.start)
		r.clock = r.manual
	} else {
		r.clock = jobs.NewScaledClock(spec.start, opts.Speed)
	}
	last := sessions[0].End
	for _, s := range sessions {
		if s.End.After(last) {
			last = s.End
		}
	}
	r.end = last.Add(24 * time.Hour)
	seed := opts.Seed
	if seed == 0 {
		seed = 28
	}
	path := filepath.Join(dir, "outreach.db")
	if spec.next {
		// The next round, as `outreach round new N --use` records it,
		// in the store the last round left: its directory, with every
		// contact that bounced, is this round's.
		if missions, err = r.nextDirectory(path, spec.round); err != nil {
			return nil, err
		}
	}
	r.w = newWorld(seed+spec.seed, ev, missions, sessions, r.note)
	// Addresses dead in an earlier round are dead still.
	for a := range r.bounced {
		r.w.refused[a] = true
	}
	if err := r.startServers(path, spec); err != nil {
		r.close()
		return nil, err
	}
	if err := r.startEngine(missions, spec); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// nextDirectory is the directory the last round left in the store at
// path, its bounced addresses noted in r.bounced.
func (r *round) nextDirectory(path string, round outreach.Round) ([]outreach.Mission, error) {
	missions, err := nextRound(path, round, r.clock.Now)
	if err != nil {
		return nil, err
	}
	for _, m := range missions {
		for _, c := range m.Contacts {
			if c.Undeliverable {
				r.bounced[strings.ToLower(c.Email)] = true
			}
		}
	}
	return missions, nil
}

// startServers opens the round's store at path (a new one for the first
// round, the last round's for the next) and starts the relay the
// simulated missions receive from; the organiser's mailbox is every
// round's.
func (r *round) startServers(path string, spec roundSpec) error {
	if !spec.next {
		os.Remove(path)
	}
	var err error
	r.st, err = store.Open(path, store.Options{Now: r.clock.Now, NoSync: r.opts.Once, FirstRound: spec.round})
	if err != nil {
		return err
	}
	r.relay, err = startRelay(func(_ string, to []string, raw []byte) {
		r.w.receive(r.clock.Now(), to, raw)
	}, r.w.refused)
	if err != nil {
		return err
	}
	return nil
}

// startEngine starts outreach's engine on the round's store, sending
// through the relay, serving the reply pages and reading the mailbox, with
// the directory and the sessions imported.
func (r *round) startEngine(missions []outreach.Mission, spec roundSpec) error {
	set, err := templates.Load("")
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(r.relay.addr)
	p, _ := strconv.Atoi(port)
	sender, err := mailer.New(mailer.Options{Host: host, Port: p, TLS: mailer.Plain, Timeout: 10 * time.Second,
		HELO: "outreach.presessions.example"})
	if err != nil {
		return err
	}
	sched := jobs.ScheduleFrom(config.Reminders{Lateness: config.Duration{D: 36 * time.Hour},
		Digest: "CRON_TZ=Europe/Zurich 0 8 * * *", Rules: config.DefaultRules()})
	// The reply pages' address is known once their listener is open;
	// the engine that serves them writes it into the letters.
	pageLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	pageURL := "http://" + pageLn.Addr().String()
	r.e = jobs.New(jobs.Options{Store: r.st, Event: r.ev, Logger: r.opts.Logger, Clock: r.clock, Templates: set,
		Sender: sender, Connections: 1, Limits: jobs.Limits{PerMinute: 30, PerDay: 10000}, Schedule: sched, PageURL: pageURL})
	if r.pages, err = startPages(pageLn, r.e, r.clock.Now); err != nil {
		pageLn.Close()
		return err
	}
	if !spec.next {
		if _, err := r.e.ImportMissions(missions, "demo"); err != nil {
			return err
		}
	}
	if _, err := r.e.ImportSessions(r.sessions, "demo"); err != nil {
		return err
	}
	folders := jobs.Folders{Processed: "outreach/processed", Review: "outreach/review", Bounces: "outreach/bounces"}
	r.watcher, err = inbox.NewWatcher(inbox.Options{Addr: r.mbox.Addr, TLS: inbox.Plain, Username: mailboxUser,
		Password: mailboxPass, Mailbox: "INBOX", Folders: []string{folders.Processed, folders.Review, folders.Bounces},
		CommandTimeout: 10 * time.Second, Logger: r.opts.Logger}, r.e.Intake("INBOX", folders))
	if err != nil {
		return err
	}
	return nil
}

func (r *round) close() {
	if r.pages != nil {
		r.pages.close()
	}
	if r.relay != nil {
		r.relay.close()
	}
	if r.st != nil {
		r.st.Close()
	}
}

// note adds a line to the live view's activity.
func (r *round) note(t time.Time, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := t.In(r.ev.Location).Format("Mon 2 Jan 15:04") + "  " + fmt.Sprintf(format, args...)
	r.events = append(r.events, line)
	if len(r.events) > 200 {
		r.events = r.events[len(r.events)-200:]
	}
}

// play runs the round from the invitations to the day after the last
// session.
func (r *round) play(ctx context.Context) error {
	rep, err := r.e.Invite("", "demo")
	if err != nil {
		return err
	}
	r.note(r.clock.Now(), "staff queue the invitations: %d missions", len(rep.Queued))
	if r.pages != nil {
		if link, err := r.e.PageLink("GBR", false, "demo"); err == nil {
			r.note(r.clock.Now(), "reply pages at %s/r/...; try the United Kingdom's: %s", r.pages.base, link)
		}
	}
	var lastFrame time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := r.clock.Now()
		if now.After(r.end) {
			break
		}
		next, err := r.step(ctx, now)
		if err != nil {
			return err
		}
		if r.manual != nil {
			r.manual.Set(next)
			continue
		}
		if time.Since(lastFrame) >= r.opts.Frame {
			r.render()
			lastFrame = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The round is over: read and send what is left.
	if _, err := r.step(ctx, r.clock.Now()); err != nil {
		return err
	}
	return nil
}

// step does at now what the daemon would: deliver the missions' mail,
// read the mailbox, queue due reminders, send what is due, and the staff's
// one change of plan. It returns when the next thing happens.
func (r *round) step(ctx context.Context, now time.Time) (time.Time, error) {
	if !r.moved && !now.Before(r.start.Add(11*24*time.Hour)) {
		r.moved = true
		if err := r.move(now); err != nil {
			return now, err
		}
	}
	for _, raw := range r.w.due(now) {
		if _, err := r.mbox.Append("INBOX", raw); err != nil {
			return now, fmt.Errorf("demo: deliver to the mailbox: %w", err)
		}
	}
	if r.mbox.Count("INBOX") > 0 {
		if _, err := r.watcher.SyncOnce(ctx); err != nil && !errors.Is(err, inbox.ErrBusy) {
			return now, fmt.Errorf("demo: read the mailbox: %w", err)
		}
	}
	sw, err := r.e.Sweep()
	if err != nil {
		return now, err
	}
	for _, d := range sw.Fired {
		name := d.Rule
		if d.Session != "" {
			name += " (" + r.w.names[d.Session].EN + ")"
		}
		r.note(now, "reminder %s goes out", name)
	}
	fr, err := r.e.Flush(ctx, 0)
	if err != nil && !errors.Is(err, context.Canceled) {
		return now, fmt.Errorf("demo: send: %w", err)
	}
	// Mail the flush just sent may have been answered at once.
	next := now.Truncate(time.Hour).Add(time.Hour)
	for _, t := range []time.Time{r.w.next(), fr.Retry} {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	if sw.Next != nil && sw.Next.At.Before(next) {
		next = sw.Next.At
	}
	if !next.After(now) {
		next = now.Add(time.Minute)
	}
	return next, nil
}

// move is the staff's change of plan: the UN gives one session another
// room and time, after most invitations were answered.
func (r *round) move(now time.Time) error {
	s := r.sessions[5]
	startAt := s.Start.Add(30 * time.Minute)
	endAt := s.End.Add(30 * time.Minute)
	room := "Room XXIII"
	rep, err := r.e.MoveSession(s.SuR, jobs.Move{Start: &startAt, End: &endAt, Room: &room,
		Note: "The UN has confirmed the room."}, "demo")
	if err != nil {
		return err
	}
	r.note(now, "staff move the pre-session on %s to %s, %s: %d updates queued", r.w.names[s.SuR].EN,
		startAt.In(r.ev.Location).Format("Mon 2 Jan 15:04"), room, rep.Queued)
	return nil
}

// result reads the round's outcome from the store and compares it with
// what the missions said.
func (r *round) result() (Result, error) {
	var res Result
	st, err := r.e.Status()
	if err != nil {
		return res, err
	}
	res.Status = st
	sn, err := r.e.Snapshot()
	if err != nil {
		return res, err
	}
	res.snapshot = sn
	f := Figures{Sessions: len(st.Sessions), Sent: map[string]int{}, Replies: sn.Replies, Review: st.Review,
		NotReached: st.Coverage.Unreachable, Missed: sn.MissedReminders}
	for kind, states := range sn.Outbox {
		f.Sent[string(kind)] = states["sent"]
		if kind == outreach.Reminder {
			f.Reminders = states["sent"]
		}
	}
	if err := r.mailFigures(&f); err != nil {
		return res, err
	}
	recorded := map[string]outreach.Status{}
	err = r.st.View(func(tx *store.Tx) error {
		rs, err := tx.RSVPs()
		for _, x := range rs {
			recorded[x.Mission+"/"+x.Session] = x.Status
		}
		return err
	})
	if err != nil {
		return res, err
	}
	r.attendance(&f, recorded)
	res.Figures = f
	res.Duplicates = r.relay.duplicates()
	r.w.mu.Lock()
	res.MissionMail = maps.Clone(r.w.sent)
	res.Unreadable = r.w.unreadable
	r.w.mu.Unlock()
	r.compareAnswers(&res, recorded)
	return res, nil
}

// mailFigures counts the messages the missions received: the most to one
// mission, the most besides calendar requests, and of those the most on
// one day.
func (r *round) mailFigures(f *Figures) error {
	return r.st.View(func(tx *store.Tx) error {
		sent, err := tx.Outbox(func(o *outreach.OutboxItem) bool {
			return o.State == outreach.Sent && o.Key.Mission != "" && o.Key.Speaker == ""
		})
		all, letters, daily := map[string]int{}, map[string]int{}, map[string]int{}
		for _, o := range sent {
			all[o.Key.Mission]++
			switch o.Key.Kind {
			case outreach.Confirmation, outreach.Update, outreach.Cancellation:
			default:
				letters[o.Key.Mission]++
				daily[o.Key.Mission+" "+o.Sent.In(r.ev.Location).Format(time.DateOnly)]++
			}
		}
		for k, n := range daily {
			if n > f.MostLettersInADay || (n == f.MostLettersInADay && k < f.MostLettersDay) {
				f.MostLettersInADay, f.MostLettersDay = n, k
			}
		}
		for id, n := range all {
			if n > f.MostToOneMission || (n == f.MostToOneMission && id < f.MostMission) {
				f.MostToOneMission, f.MostMission = n, id
			}
			f.MostLettersToOneMission = max(f.MostLettersToOneMission, letters[id])
		}
		return err
	})
}

// attendance counts, from the answers recorded, the missions attending,
// the acceptances per session and the States under Review at their own.
func (r *round) attendance(f *Figures, recorded map[string]outreach.Status) {
	attending := map[string]bool{}
	total := 0
	for _, s := range r.sessions {
		for _, m := range r.w.personas {
			if recorded[m.m.ID+"/"+s.SuR] == outreach.Accepted {
				attending[m.m.ID] = true
				total++
			}
		}
		if recorded[s.SuR+"/"+s.SuR] == outreach.Accepted {
			f.SuROwn++
		}
	}
	f.Attending = len(attending)
	if len(r.sessions) > 0 {
		f.PerSession = float64(total) / float64(len(r.sessions))
	}
}

// compareAnswers checks every answer a mission gave against what was
// recorded, and lists in res each that differs.
func (r *round) compareAnswers(res *Result, recorded map[string]outreach.Status) {
	ids := make([]string, 0, len(r.w.personas))
	for id := range r.w.personas {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := r.w.personas[id]
		for _, s := range r.sessions {
			said, ok := p.said[s.SuR]
			got, have := recorded[id+"/"+s.SuR]
			if ok {
				res.Answers++
			}
			if ok != have || said != got {
				sayText, gotText := "nothing", "nothing"
				if ok {
					sayText = said.String()
				}
				if have {
					gotText = got.String()
				}
				res.Mismatches = append(res.Mismatches, fmt.Sprintf("%s on %s: said %s, recorded %s (%s)",
					id, s.SuR, sayText, gotText, p.style))
			}
		}
	}
}

// nextRound records round in the store at path and makes it the current
// round, as `outreach round new N --use` does, and returns the mission
// directory the store holds.
func nextRound(path string, round outreach.Round, now func() time.Time) ([]outreach.Mission, error) {
	st, err := store.Open(path, store.Options{Now: now})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var missions []outreach.Mission
	err = st.Update(func(tx *store.Tx) error {
		if err := tx.AddRound(round); err != nil {
			return err
		}
		if err := tx.SetCurrentRound(round.Number); err != nil {
			return err
		}
		var err error
		missions, err = tx.Missions()
		return err
	})
	return missions, err
}

// wroteToBounced lists the addresses that had bounced before the round
// and that a message of the round was sent to anyway.
func (r *round) wroteToBounced() ([]string, error) {
	var out []string
	err := r.st.View(func(tx *store.Tx) error {
		items, err := tx.Outbox(func(o *outreach.OutboxItem) bool { return o.State == outreach.Sent })
		seen := map[string]bool{}
		for _, it := range items {
			for _, a := range it.To {
				if a = strings.ToLower(a); r.bounced[a] && !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
		return err
	})
	sort.Strings(out)
	return out, err
}
