package jobs

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"outreach"
	"outreach/store"
)

// A mission's reply page: one link per mission, carried by its letters,
// where it answers for every session at once. A submission is recorded as a
// letter would be (history, source "web", staff's later corrections win
// as they do over a letter); each session newly accepted gets its own
// calendar request, and one given up after a request reached the mission's
// calendar gets a CANCEL.

// Errors of the reply page.
var (
	// ErrNoPage means no mission has the token given.
	ErrNoPage = errors.New("jobs: no such reply page")
	// ErrPageClosed means the deadline for answers has passed.
	ErrPageClosed = errors.New("jobs: the reply page is closed: the deadline has passed")
)

// PageURL returns the public address of the reply pages, "" when they are
// not served.
func (e *Engine) PageURL() string { return e.pageURL }

// pageLink is the link to mission's reply page as its letters carry it, or
// "" when pages are not served or the mission has no token yet.
func (e *Engine) pageLink(tx *store.Tx, mission string) string {
	if e.pageURL == "" {
		return ""
	}
	tok, err := tx.PageToken(mission)
	if err != nil {
		return ""
	}
	return e.pageURL + "/r/" + tok
}

// EnsurePageTokens gives every mission that has none a reply page token,
// so that every letter composed from now on carries its link. It returns
// how many it created.
func (e *Engine) EnsurePageTokens(actor string) (int, error) {
	n := 0
	err := e.st.Update(func(tx *store.Tx) error {
		n = 0
		ms, err := tx.Missions()
		if err != nil {
			return err
		}
		for _, m := range ms {
			created, err := ensurePageToken(tx, m.ID)
			if err != nil {
				return err
			}
			if created {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		return tx.Audit(actor, "page.tokens", fmt.Sprintf("%d reply page tokens created", n))
	})
	return n, err
}

func ensurePageToken(tx *store.Tx, mission string) (bool, error) {
	_, err := tx.PageToken(mission)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, store.ErrNoPageToken) {
		return false, err
	}
	_, err = tx.NewPageToken(mission)
	return err == nil, err
}

// PageLink returns the link to mission's reply page, creating its token if
// it has none; with renew, a new token replaces the old one, whose link
// stops working (a link sent to the wrong address).
func (e *Engine) PageLink(mission string, renew bool, actor string) (string, error) {
	if e.pageURL == "" {
		return "", inputErr("reply pages are not served: set [web] public_url in the configuration")
	}
	mission = strings.ToUpper(mission)
	var link string
	err := e.st.Update(func(tx *store.Tx) error {
		if _, err := tx.Mission(mission); err != nil {
			return inputErr("no mission %q in the directory", mission)
		}
		if renew {
			if _, err := tx.NewPageToken(mission); err != nil {
				return err
			}
			if err := tx.Audit(actor, "page.renew", mission+": new reply page link; the old one no longer opens the page"); err != nil {
				return err
			}
		} else if _, err := ensurePageToken(tx, mission); err != nil {
			return err
		}
		link = e.pageLink(tx, mission)
		return nil
	})
	return link, err
}

// PageMission returns the mission whose reply page token is token, or
// ErrNoPage. Every unknown token takes the same path: hashed, looked up.
func (e *Engine) PageMission(token string) (string, error) {
	var mission string
	err := e.st.View(func(tx *store.Tx) error {
		m, err := tx.MissionByPageToken(token)
		if err != nil || len(token) != store.PageTokenLen {
			return ErrNoPage
		}
		mission = m
		return nil
	})
	return mission, err
}

// PageKey returns the key the reply pages sign their forms with, derived
// from the store's secret.
func (e *Engine) PageKey() ([]byte, error) {
	var k []byte
	err := e.st.View(func(tx *store.Tx) error {
		k = tx.PageKey("csrf")
		return nil
	})
	return k, err
}

// Page is what a mission's reply page shows.
type Page struct {
	Mission outreach.Mission
	Event   outreach.Event
	// Sessions are every session of the round in time order, times in the
	// event's zone, with the mission's current answer.
	Sessions []PageSession
	State    store.PageState
	// Venue is the event's venue in each language ("Palais des Nations,
	// Genève").
	Venue map[outreach.Language]string
	// Deadline is when the page closes; Open is set before it.
	Deadline time.Time
	Open     bool
}

// PageSession is one session on a reply page.
type PageSession struct {
	outreach.Session
	// SuRNames are the names of the State under Review.
	SuRNames outreach.Names
	// Room is the room in each language ("Salle XXV").
	Room   map[outreach.Language]string
	Answer outreach.Status
	// Source says how the answer was recorded; At when.
	Source outreach.SourceKind
	At     time.Time
}

// pageDeadline is the time the reply pages close: the RSVP deadline, or
// the first day of the round when there is none.
func (e *Engine) pageDeadline() time.Time {
	if !e.event.RSVPDeadline.IsZero() {
		return e.event.RSVPDeadline
	}
	return e.event.First
}

// Page returns mission's reply page as it stands.
func (e *Engine) Page(mission string) (Page, error) {
	p := Page{Event: e.event, Deadline: e.pageDeadline(), Venue: map[outreach.Language]string{}}
	p.Open = e.now().Before(p.Deadline)
	t, _ := e.templates()
	place := func(l outreach.Language, ev outreach.Event, s outreach.Session) string {
		if t == nil {
			return strings.TrimSpace(s.Room + " " + ev.Venue)
		}
		return t.Location(l, ev, s)
	}
	for _, l := range outreach.Languages {
		p.Venue[l] = place(l, e.event, outreach.Session{})
	}
	err := e.st.View(func(tx *store.Tx) error {
		m, err := tx.Mission(mission)
		if err != nil {
			return ErrNoPage
		}
		p.Mission = m
		rd, err := e.loadRound(tx)
		if err != nil {
			return err
		}
		for _, s := range rd.sessions {
			r, err := tx.RSVP(m.ID, s.SuR)
			if err != nil {
				return err
			}
			ps := PageSession{Session: s, SuRNames: rd.names[s.SuR], Answer: r.Status, Source: r.Source.Kind, At: e.local(r.At),
				Room: map[outreach.Language]string{}}
			for _, l := range outreach.Languages {
				ps.Room[l] = place(l, outreach.Event{}, s)
			}
			p.Sessions = append(p.Sessions, ps)
		}
		p.State, err = tx.PageState(m.ID)
		return err
	})
	return p, err
}

// Limits of what a reply page takes.
const (
	MaxPageDelegates = 6
	MaxDelegateName  = 120
	MaxPageComment   = 2000
)

// PageAnswers is one submission of a reply page.
type PageAnswers struct {
	// Answers holds, per session, Accepted, Declined or None ("not yet
	// decided"). A session left out keeps its answer.
	Answers   map[string]outreach.Status
	Delegates []store.PageDelegate
	Comment   string
	// From is the client's address, for the audit log.
	From string
}

// PageReport says what a submission changed and queued.
type PageReport struct {
	// Changed holds the sessions whose answer changed, with the new answer.
	Changed map[string]outreach.Status `json:"changed"`
	// Requests lists the sessions a calendar request is queued for;
	// Cancels those a calendar cancellation is queued for.
	Requests []string `json:"requests"`
	Cancels  []string `json:"cancels"`
	// Summary is set when a summary of the answers is queued to the mission.
	Summary bool `json:"summary"`
}

// checkPageAnswers validates a submission: the engine's own check, behind
// the page's field by field one.
func checkPageAnswers(a PageAnswers) error {
	var errs []error
	for sur, st := range a.Answers {
		if st != outreach.Accepted && st != outreach.Declined && st != outreach.None {
			errs = append(errs, fmt.Errorf("session %s: answer %s: want accepted, declined or none", sur, st))
		}
	}
	if len(a.Delegates) > MaxPageDelegates {
		errs = append(errs, fmt.Errorf("at most %d delegates", MaxPageDelegates))
	}
	for i, d := range a.Delegates {
		if err := outreach.CheckDisplayName(d.Name); err != nil || len(d.Name) > MaxDelegateName || strings.TrimSpace(d.Name) == "" {
			errs = append(errs, fmt.Errorf("delegate %d: name %q not accepted", i+1, d.Name))
		}
		if d.Email != "" {
			if err := outreach.CheckAddress(d.Email); err != nil {
				errs = append(errs, fmt.Errorf("delegate %d: %v", i+1, err))
			}
		}
	}
	if len(a.Comment) > MaxPageComment {
		errs = append(errs, fmt.Errorf("comment longer than %d octets", MaxPageComment))
	}
	if err := outreach.CheckHeaderText(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(a.Comment), MaxPageComment); err != nil {
		errs = append(errs, fmt.Errorf("comment: %v", err))
	}
	if len(errs) > 0 {
		return inputErr("%v", errors.Join(errs...))
	}
	return nil
}

// SubmitPage records a submission of mission's reply page: each changed
// answer as a letter's would be, a calendar request for each session newly
// accepted, a cancellation for each given up after a request reached the
// mission, and a summary of its answers. After the deadline it returns
// ErrPageClosed and records nothing.
func (e *Engine) SubmitPage(mission string, a PageAnswers) (PageReport, error) {
	defer e.Wake() // it may have queued messages
	var rep PageReport
	if err := checkPageAnswers(a); err != nil {
		return rep, err
	}
	err := e.st.Update(func(tx *store.Tx) error {
		rep = PageReport{Changed: map[string]outreach.Status{}, Requests: []string{}, Cancels: []string{}}
		now := e.now()
		if !now.Before(e.pageDeadline()) {
			return ErrPageClosed
		}
		m, err := tx.Mission(mission)
		if err != nil {
			return ErrNoPage
		}
		if err := e.recordPageAnswers(tx, m, a, now, &rep); err != nil {
			return err
		}
		ps, err := tx.PageState(m.ID)
		if err != nil {
			return err
		}
		same := len(rep.Changed) == 0 && ps.Comment == a.Comment && slices.Equal(ps.Delegates, a.Delegates)
		if same {
			return nil
		}
		ps.Delegates, ps.Comment, ps.Submitted = a.Delegates, a.Comment, now
		ps.Submissions++
		if err := tx.PutPageState(m.ID, ps); err != nil {
			return err
		}
		if len(m.Usable()) > 0 {
			key := outreach.OutboxKey{Kind: outreach.PageSummary, Mission: m.ID, Revision: strconv.Itoa(ps.Submissions)}
			if _, added, err := e.enqueue(tx, key, "", now); err != nil {
				return err
			} else if added {
				rep.Summary = true
				// The summary says what was recorded; the requests only
				// carry their invitations.
				if err := coverConfirmations(tx, m.ID, rep.Requests); err != nil {
					return err
				}
			}
		}
		var ch []string
		for _, sur := range sortedKeys(rep.Changed) {
			ch = append(ch, sur+" "+rep.Changed[sur].String())
		}
		return tx.Audit("web", "page.submit", fmt.Sprintf("%s from %s: %d answers changed (%s), %d requests, %d cancellations queued",
			m.ID, a.From, len(rep.Changed), strings.Join(ch, ", "), len(rep.Requests), len(rep.Cancels)))
	})
	return rep, err
}

// recordPageAnswers records each answer of a page submission that changes
// what the mission said, keeping its calendar in step, and notes in rep
// what changed and which requests and cancellations it queued.
func (e *Engine) recordPageAnswers(tx *store.Tx, m outreach.Mission, a PageAnswers, now time.Time, rep *PageReport) error {
	var names []string
	for _, d := range a.Delegates {
		names = append(names, d.Name)
	}
	for _, sur := range sortedKeys(a.Answers) {
		want := a.Answers[sur]
		s, err := tx.Session(sur)
		if errors.Is(err, store.ErrNotFound) {
			return inputErr("no session %q", sur)
		} else if err != nil {
			return err
		}
		if s.Status == outreach.Cancelled {
			continue
		}
		cur, err := tx.RSVP(m.ID, sur)
		if err != nil {
			return err
		}
		if want == cur.Status || want == outreach.None && cur.Status == outreach.Tentative {
			// "Not yet decided" is how a tentative answer shows.
			continue
		}
		r := outreach.RSVP{Mission: m.ID, Session: sur, Status: want, Note: a.Comment, At: now,
			Source: outreach.Source{Kind: outreach.FromWeb, Actor: "reply page"}}
		if want == outreach.Accepted {
			r.Delegates, r.DelegateNames = len(names), names
		}
		changed, cc, err := e.recordAnswerCalendar(tx, r)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		rep.Changed[sur] = want
		if cc.request {
			rep.Requests = append(rep.Requests, sur)
		}
		if cc.cancel {
			rep.Cancels = append(rep.Cancels, sur)
		}
	}
	return nil
}

// calendarMessage reports whether kind carries a calendar object for one
// session of one mission, and whether it puts the session in the
// mission's calendar (a request) or takes it out (a cancellation).
func calendarMessage(kind outreach.MessageKind) (isCalendar, request bool) {
	switch kind {
	case outreach.Confirmation, outreach.Update:
		return true, true
	case outreach.Withdrawal, outreach.Cancellation:
		return true, false
	}
	return false, false
}

// calendarHeld reports whether mission's calendar holds session as far as
// outreach knows: the last calendar message that went out for it was a
// request, or the mission itself accepted it in its calendar (cur, its
// answer before this one).
func calendarHeld(tx *store.Tx, mission, session string, cur outreach.RSVP) (bool, error) {
	items, err := calendarItems(tx, mission, session)
	if err != nil {
		return false, err
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	held := false
	for _, it := range items {
		if it.State != outreach.Sent && it.State != outreach.Sending {
			continue
		}
		if isCal, req := calendarMessage(it.Key.Kind); isCal {
			held = req
		}
	}
	if cur.Source.Kind == outreach.FromCalendar && (cur.Status == outreach.Accepted || cur.Status == outreach.Tentative) {
		held = true
	}
	return held, nil
}

// calendarItems returns the calendar messages for (mission, session) of
// every kind and state, read through the key index: an answer recorded
// reads a handful of items, not the whole outbox.
func calendarItems(tx *store.Tx, mission, session string) ([]outreach.OutboxItem, error) {
	var out []outreach.OutboxItem
	for _, k := range []outreach.MessageKind{outreach.Confirmation, outreach.Update, outreach.Withdrawal, outreach.Cancellation} {
		items, err := tx.OutboxByKeyPrefix(outreach.OutboxKey{Kind: k, Mission: mission, Session: session}.String())
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// pendingCalendar returns the calendar messages for (mission, session)
// still waiting to be sent, by kind.
func pendingCalendar(tx *store.Tx, mission, session string) (map[outreach.MessageKind][]outreach.OutboxItem, error) {
	items, err := calendarItems(tx, mission, session)
	out := map[outreach.MessageKind][]outreach.OutboxItem{}
	for _, it := range items {
		if it.State.Pending() {
			out[it.Key.Kind] = append(out[it.Key.Kind], it)
		}
	}
	return out, err
}

// supersedeItems marks the queued or deferred items superseded (those
// being sent go on).
func supersedeItems(tx *store.Tx, items []outreach.OutboxItem, why string) error {
	for _, it := range items {
		if it.State != outreach.Queued && it.State != outreach.Deferred {
			continue
		}
		it.State, it.Next, it.Error = outreach.Superseded, time.Time{}, why
		if err := tx.SaveOutbox(it); err != nil {
			return err
		}
	}
	return nil
}

// enqueueAgain queues a calendar message of kind for (mission, s) under a
// key not used before: the session's revision and a count, so the same
// revision can be requested, cancelled and requested again. The mission's
// copy of the session is revised (store.Tx.CopySequence), so its calendar
// takes each message as newer than the last.
func (e *Engine) enqueueAgain(tx *store.Tx, kind outreach.MessageKind, mission string, s outreach.Session, now time.Time) (outreach.OutboxItem, error) {
	if _, err := tx.BumpCopySequence(mission, s.SuR); err != nil {
		return outreach.OutboxItem{}, err
	}
	seq := strconv.Itoa(s.Sequence)
	for n := 1; ; n++ {
		rev := seq
		if kind != outreach.Confirmation || n > 1 {
			rev = seq + "." + strconv.Itoa(n)
		}
		key := outreach.OutboxKey{Kind: kind, Mission: mission, Session: s.SuR, Revision: rev}
		it, added, err := e.enqueue(tx, key, "", now)
		if err != nil || added {
			return it, err
		}
	}
}

// supersededWithdrawal reports why a queued withdrawal no longer holds:
// the mission accepted the session again, or the session was cancelled
// (its own cancellation goes to every calendar holding it).
func supersededWithdrawal(tx *store.Tx, it outreach.OutboxItem) (string, error) {
	if why, err := sessionGone(tx, it.Key.Session); why != "" || err != nil {
		return why, err
	}
	r, err := tx.RSVP(it.Key.Mission, it.Key.Session)
	if err != nil {
		return "", err
	}
	if r.Status == outreach.Accepted || r.Status == outreach.Tentative {
		return fmt.Sprintf("%s answered %s for %s since: nothing to cancel", it.Key.Mission, r.Status, it.Key.Session), nil
	}
	return "", nil
}
