package demo

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"outreach"
)

// The simulated missions. Each has a persona, fixed by the seed: the client
// it answers with, the sessions it means to attend, how long it takes, and
// the accidents of real mail (an absence notice, a dead address, a change
// of mind, a letter no machine should read as an answer). A mission acts
// only on what it receives, and what it has said is kept, so the demo can
// check that outreach recorded every answer as it was given.

type style string

const (
	styleOutlook     style = "Outlook"
	styleGmail       style = "Gmail"
	styleApple       style = "Apple"
	styleThunderbird style = "Thunderbird"
	styleLetter      style = "letter"
	styleWeb         style = "reply page"
)

type persona struct {
	m     outreach.Mission
	rng   *rand.Rand
	style style
	// plan is what the mission means to answer, per session.
	plan        map[string]outreach.Status
	all         bool // says "all the pre-sessions"
	declineAll  bool
	silent      bool // answers only once reminded
	never       bool // never answers
	ooo         bool // an absence notice first
	ambiguous   bool // writes a letter that must go to review
	changeMind  string
	confirmBack bool // a letter writer who accepts the confirmation's calendar request
	delay       time.Duration
	delegates   []string
	dsnAddr     string // accepted by the relay, bounced later by the mission's server

	invitation *received
	invitedAt  time.Time
	known      map[string]calEvent // latest revision per UID
	answered   bool
	said       map[string]outreach.Status
}

type pending struct {
	at   time.Time
	p    *persona
	what string
	make func(now time.Time) []byte
}

// world holds the missions and the mail they are about to send.
type world struct {
	mu       sync.Mutex
	ev       outreach.Event
	sessions []outreach.Session
	names    map[string]outreach.Names
	personas map[string]*persona
	byDomain map[string]*persona
	queue    []*pending
	seq      int
	refused  map[string]bool
	log      func(t time.Time, format string, args ...any)

	// counts of what the missions sent, by kind
	sent       map[string]int
	unreadable int
}

var givenNames = []string{"Ana Kim", "Jean Dupont", "María López", "Ahmed Hassan", "Li Wei", "Olga Petrova", "Kwame Mensah",
	"Sofia Rossi", "Hiroshi Tanaka", "Fatima Diallo", "Carlos Silva", "Ingrid Berg", "Rania Haddad", "Tomás Novák"}

func newWorld(seed uint64, ev outreach.Event, missions []outreach.Mission, sessions []outreach.Session,
	logf func(time.Time, string, ...any)) *world {
	w := &world{ev: ev, sessions: sessions, names: map[string]outreach.Names{}, personas: map[string]*persona{},
		byDomain: map[string]*persona{}, refused: map[string]bool{}, log: logf, sent: map[string]int{}}
	for _, m := range missions {
		w.names[m.ID] = m.Names
	}
	ids := make([]string, 0, len(missions))
	for _, m := range missions {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	byID := map[string]outreach.Mission{}
	for _, m := range missions {
		byID[m.ID] = m
	}
	role := w.drawRoles(seed, ids, byID, sessions)
	for i, id := range ids {
		m := byID[id]
		r := rand.New(rand.NewPCG(seed, uint64(i+1)))
		p := newPersona(m, r, role[id], sessions)
		for _, c := range m.Contacts {
			for _, d := range m.Domains {
				w.byDomain[strings.ToLower(d)] = p
			}
			if at := strings.LastIndexByte(c.Email, '@'); at >= 0 {
				w.byDomain[strings.ToLower(c.Email[at+1:])] = p
			}
		}
		w.personas[id] = p
	}
	return w
}

// drawRoles gives, in a seeded order, the roles of a few missions that are
// not States under Review, so each demo round has exactly one ambiguous
// letter and a few dead addresses (whose addresses it marks refused).
func (w *world) drawRoles(seed uint64, ids []string, byID map[string]outreach.Mission, sessions []outreach.Session) map[string]string {
	pick := rand.New(rand.NewPCG(seed, 0x5eed))
	perm := pick.Perm(len(ids))
	role := map[string]string{}
	var multi, single []string
	for _, i := range perm {
		id := ids[i]
		if len(byID[id].Contacts) > 1 {
			multi = append(multi, id)
		} else {
			single = append(single, id)
		}
	}
	isSuR := map[string]bool{}
	for _, s := range sessions {
		isSuR[s.SuR] = true
	}
	take := func(from *[]string, r string) string {
		for i, id := range *from {
			if role[id] == "" && !isSuR[id] {
				role[id] = r
				*from = append((*from)[:i], (*from)[i+1:]...)
				return id
			}
		}
		return ""
	}
	// A mission whose only address is dead: not reached.
	if id := take(&single, "unreachable"); id != "" {
		w.refused[strings.ToLower(byID[id].Contacts[0].Email)] = true
	}
	// A mission with one dead address among several, refused by the relay.
	if id := take(&multi, "refused"); id != "" {
		w.refused[strings.ToLower(byID[id].Contacts[1].Email)] = true
	}
	for range 3 {
		take(&multi, "dsn")
	}
	take(&multi, "ambiguous")
	return role
}

// newPersona draws, with r, how mission m behaves: its mail client, its
// role, whether and when it answers, and what.
func newPersona(m outreach.Mission, r *rand.Rand, role string, sessions []outreach.Session) *persona {
	p := &persona{m: m, rng: r, plan: map[string]outreach.Status{}, known: map[string]calEvent{},
		said: map[string]outreach.Status{}}
	switch x := r.Float64(); {
	case x < 0.30:
		p.style = styleOutlook
	case x < 0.42:
		p.style = styleGmail
	case x < 0.47:
		p.style = styleApple
	case x < 0.52:
		p.style = styleThunderbird
	case x < 0.64:
		p.style = styleWeb
	default:
		p.style = styleLetter
	}
	switch role {
	case "unreachable":
		p.never = true
	case "dsn":
		p.dsnAddr = strings.ToLower(m.Contacts[len(m.Contacts)-1].Email)
	case "ambiguous":
		p.ambiguous, p.style = true, styleLetter
	}
	x := r.Float64()
	p.never = p.never || x < 0.05
	p.silent = x >= 0.05 && x < 0.15
	p.ooo = r.Float64() < 0.08
	p.declineAll = r.Float64() < 0.06
	p.all = !p.declineAll && r.Float64() < 0.03
	p.drawPlan(r, sessions)
	if !p.declineAll && !p.all && r.Float64() < 0.05 {
		for _, s := range sessions {
			if p.plan[s.SuR] == outreach.Accepted {
				p.changeMind = s.SuR
				break
			}
		}
	}
	p.confirmBack = p.style == styleLetter && r.Float64() < 0.4
	p.delay = time.Duration(1+r.IntN(18*24)) * time.Hour
	if r.Float64() < 0.5 {
		n := 1 + r.IntN(2)
		for k := 0; k < n; k++ {
			p.delegates = append(p.delegates, givenNames[r.IntN(len(givenNames))])
		}
	}
	return p
}

// drawPlan draws the answer p means to give for each session.
func (p *persona) drawPlan(r *rand.Rand, sessions []outreach.Session) {
	id := p.m.ID
	rate := 0.08 + 0.35*r.Float64()
	for _, s := range sessions {
		switch {
		case p.declineAll:
			p.plan[s.SuR] = outreach.Declined
		case p.all:
			p.plan[s.SuR] = outreach.Accepted
		case s.SuR == id && r.Float64() < 0.9:
			p.plan[s.SuR] = outreach.Accepted
		case r.Float64() < rate:
			p.plan[s.SuR] = outreach.Accepted
		case p.style != styleLetter && p.style != styleWeb && r.Float64() < 0.06:
			p.plan[s.SuR] = outreach.Tentative
		case p.style != styleLetter && r.Float64() < 0.25:
			// Calendar users often decline the events they will not attend.
			p.plan[s.SuR] = outreach.Declined
		}
	}
}

func (w *world) msgID(p *persona) string {
	w.seq++
	dom := "mission.example"
	if len(p.m.Domains) > 0 {
		dom = p.m.Domains[0]
	}
	return fmt.Sprintf("<%d.%x.r%d@%s>", w.seq, w.seq*7919, w.ev.UPRSession, dom)
}

func (w *world) schedule(at time.Time, p *persona, what string, make func(now time.Time) []byte) {
	w.queue = append(w.queue, &pending{at: at, p: p, what: what, make: make})
	sort.SliceStable(w.queue, func(i, j int) bool { return w.queue[i].at.Before(w.queue[j].at) })
}

// next is when the next simulated message is due (zero when none).
func (w *world) next() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return time.Time{}
	}
	return w.queue[0].at
}

// due removes and writes the messages due at now.
func (w *world) due(now time.Time) [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for len(w.queue) > 0 && !w.queue[0].at.After(now) {
		pd := w.queue[0]
		w.queue = w.queue[1:]
		if raw := pd.make(pd.at); raw != nil {
			out = append(out, raw)
			w.sent[pd.what]++
		}
	}
	return out
}

func (w *world) sessionOf(uid string) (outreach.Session, bool) {
	// UIDs are pre<N>-<sur>-<mission>@domain.
	parts := strings.SplitN(uid, "-", 3)
	if len(parts) < 3 {
		return outreach.Session{}, false
	}
	for _, s := range w.sessions {
		if strings.EqualFold(s.SuR, parts[1]) {
			return s, true
		}
	}
	return outreach.Session{}, false
}

// receive is called for every message outreach sends.
func (w *world) receive(now time.Time, to []string, raw []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(to) == 0 {
		return
	}
	p := w.byDomain[strings.ToLower(to[0][strings.LastIndexByte(to[0], '@')+1:])]
	if p == nil {
		return // the staff digest
	}
	msg, err := readReceived(raw)
	if err != nil {
		w.unreadable++
		w.log(now, "%s could not read a message: %v", p.m.ID, err)
		return
	}
	var reqs, cancels []calEvent
	attached := 0
	for _, c := range msg.Calendars {
		if c.Attached {
			attached++
		}
		for _, e := range c.Events {
			if c.Method == "CANCEL" {
				cancels = append(cancels, e)
			} else if c.Method == "REQUEST" {
				reqs = append(reqs, e)
			}
		}
	}
	switch {
	case attached > 1 && p.invitation == nil:
		w.invited(now, p, &msg, to, reqs)
	case len(cancels) > 0:
		for _, e := range cancels {
			p.known[e.UID] = e
		}
	case len(reqs) == 1:
		w.request(now, p, reqs[0])
	case len(msg.Calendars) == 0:
		w.reminded(now, p)
	}
}

func (w *world) invited(now time.Time, p *persona, msg *received, to []string, reqs []calEvent) {
	p.invitation, p.invitedAt = msg, now
	for _, e := range reqs {
		p.known[e.UID] = e
	}
	if p.dsnAddr != "" && contains(to, p.dsnAddr) {
		host := "mx." + p.dsnAddr[strings.LastIndexByte(p.dsnAddr, '@')+1:]
		w.schedule(now.Add(3*time.Minute), p, "bounce", func(t time.Time) []byte {
			w.log(t, "%s's mail server bounces the invitation to %s", p.m.ID, p.dsnAddr)
			return dsn(w.ev.Mailbox.Email, p.dsnAddr, host, t, w.msgID(p), msg.MessageID, msg.Subject, w.ev.Mailbox.Email)
		})
	}
	if p.ooo {
		w.schedule(now.Add(time.Duration(1+p.rng.IntN(5))*time.Minute), p, "out-of-office", func(t time.Time) []byte {
			return w.ooo(t, p)
		})
	}
	if p.never || p.silent {
		return
	}
	w.answer(now.Add(p.delay), p)
}

// answer schedules the mission's answer, in its style.
func (w *world) answer(at time.Time, p *persona) {
	if p.answered {
		return
	}
	p.answered = true
	if p.ambiguous {
		w.schedule(at, p, "letter", func(t time.Time) []byte {
			var sur string
			for _, s := range w.sessions {
				if p.plan[s.SuR] == outreach.Accepted || sur == "" {
					sur = s.SuR
				}
			}
			name := givenNames[p.rng.IntN(len(givenNames))]
			from := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + ".geneva@webmail.example"
			w.log(t, "%s: a colleague answers from a personal address (%s)", p.m.ID, from)
			return textMail{From: from, FromName: name, To: "<" + w.ev.Mailbox.Email + ">", Subject: "Pre-sessions",
				MsgID: w.msgID(p), Now: t.In(w.ev.Location), Body: personalNote(p.m.Names.EN, w.names[sur].EN)}.bytes()
		})
		return
	}
	if p.style == styleWeb {
		w.schedule(at, p, "reply page", func(t time.Time) []byte { return w.pageAnswer(t, p) })
	} else if p.style == styleLetter {
		w.schedule(at, p, "letter", func(t time.Time) []byte { return w.planLetter(t, p) })
	} else {
		i := 0
		for _, s := range w.sessions {
			st, ok := p.plan[s.SuR]
			if !ok {
				continue
			}
			uid := w.uidFor(p, s.SuR)
			w.schedule(at.Add(time.Duration(i)*2*time.Minute), p, "calendar", func(t time.Time) []byte {
				return w.calendar(t, p, uid, st, p.style)
			})
			i++
		}
	}
	if p.changeMind != "" {
		sur := p.changeMind
		w.schedule(at.Add(time.Duration(3+p.rng.IntN(6))*24*time.Hour), p, "change of mind", func(t time.Time) []byte {
			w.log(t, "%s changes its mind about the pre-session on %s", p.m.ID, w.names[sur].EN)
			if p.style == styleWeb {
				return w.pageChange(t, p, sur)
			}
			if p.style == styleLetter {
				lang := p.m.Language
				return w.letter(t, p, changeLetter(lang, p.m.Titles.In(lang), w.ev.Organiser, w.names[sur].In(lang)), lang, true, sur)
			}
			return w.calendar(t, p, w.uidFor(p, sur), outreach.Declined, p.style)
		})
	}
}

func (w *world) uidFor(p *persona, sur string) string {
	for uid := range p.known {
		if s, ok := w.sessionOf(uid); ok && s.SuR == sur {
			return uid
		}
	}
	return ""
}

// planLetter writes the mission's answer as a letter and notes what it said.
func (w *world) planLetter(t time.Time, p *persona) []byte {
	lang := p.m.Language
	title := p.m.Titles.In(lang)
	if p.declineAll {
		for _, s := range w.sessions {
			p.said[s.SuR] = outreach.Declined
		}
		return w.letter(t, p, declineLetter(lang, title, w.ev.Organiser), lang, false)
	}
	var names []string
	for _, s := range w.sessions {
		if p.plan[s.SuR] == outreach.Accepted {
			if !p.all {
				names = append(names, w.names[s.SuR].In(lang))
			}
			p.said[s.SuR] = outreach.Accepted
		}
	}
	if len(names) == 0 && !p.all {
		// Nothing to attend: a mission that does not come usually says so.
		for _, s := range w.sessions {
			p.said[s.SuR] = outreach.Declined
		}
		return w.letter(t, p, declineLetter(lang, title, w.ev.Organiser), lang, false)
	}
	return w.letter(t, p, acceptLetter(lang, title, w.ev.Organiser, names, p.all, p.delegates), lang, false)
}

// letter is a reply to the invitation, to its Reply-To address, threaded.
func (w *world) letter(t time.Time, p *persona, body string, lang outreach.Language, change bool, changed ...string) []byte {
	inv := p.invitation
	from := p.m.Contacts[0]
	re := map[outreach.Language]string{outreach.English: "RE: ", outreach.French: "RE : ", outreach.Spanish: "RE: "}[lang]
	if p.rng.Float64() < 0.5 {
		body += quoted(w.ev.Mailbox, from.Email, inv.Subject, p.invitedAt.In(w.ev.Location), w.sessions, w.names)
	}
	charset := "utf-8"
	if lang != outreach.English && p.rng.Float64() < 0.4 {
		charset = "windows-1252"
	}
	for _, sur := range changed {
		p.said[sur] = outreach.Declined
	}
	w.log(t, "%s answers by letter (%s)", p.m.ID, map[outreach.Language]string{"en": "English", "fr": "French", "es": "Spanish"}[lang])
	return textMail{From: from.Email, FromName: p.m.Titles.In(lang), To: "<" + inv.ReplyTo + ">", Subject: re + inv.Subject,
		MsgID: w.msgID(p), InReplyTo: inv.MessageID, Now: t.In(w.ev.Location), Body: body, Charset: charset}.bytes()
}

// calendar answers one event from the mission's calendar client, using the
// latest revision it received.
func (w *world) calendar(t time.Time, p *persona, uid string, st outreach.Status, s style) []byte {
	ev, ok := p.known[uid]
	if !ok || ev.Status == "CANCELLED" {
		return nil
	}
	sess, ok := w.sessionOf(uid)
	if !ok {
		return nil
	}
	for _, cur := range w.sessions {
		if cur.SuR == sess.SuR {
			sess = cur
		}
	}
	start, end := parseLocal(ev.DTStart, w.ev.Location, sess.Start), parseLocal(ev.DTEnd, w.ev.Location, sess.End)
	ps := map[outreach.Status]string{outreach.Accepted: "ACCEPTED", outreach.Declined: "DECLINED", outreach.Tentative: "TENTATIVE"}[st]
	lang := string(p.m.Language)
	name := givenNames[int(p.rng.IntN(len(givenNames)))]
	c := calReply{From: ev.Attendee, Name: name, Organizer: w.ev.Mailbox.Email, Event: ev, PartStat: ps, Lang: lang,
		Now: t.In(w.ev.Location), MsgID: w.msgID(p), Start: start, End: end}
	p.said[sess.SuR] = st
	w.log(t, "%s: %s %s the pre-session on %s", p.m.ID, s, strings.ToLower(ps), w.names[sess.SuR].EN)
	switch s {
	case styleGmail:
		return c.gmail()
	case styleApple:
		return c.apple()
	case styleThunderbird:
		return c.thunderbird()
	}
	return c.outlook()
}

func parseLocal(v string, loc *time.Location, fallback time.Time) time.Time {
	if t, err := time.Parse("20060102T150405Z", v); err == nil {
		return t.In(loc)
	}
	if t, err := time.ParseInLocation("20060102T150405", v, loc); err == nil {
		return t
	}
	return fallback.In(loc)
}

// request handles a calendar request for one event: a confirmation after
// an answer by letter, or an update after a session moved.
func (w *world) request(now time.Time, p *persona, e calEvent) {
	old, had := p.known[e.UID]
	p.known[e.UID] = e
	sess, ok := w.sessionOf(e.UID)
	if !ok {
		return
	}
	if had && e.Sequence > old.Sequence {
		// An update: calendar users accept the new time again.
		if p.style != styleLetter && p.said[sess.SuR] == outreach.Accepted {
			w.schedule(now.Add(time.Duration(1+p.rng.IntN(48))*time.Hour), p, "calendar", func(t time.Time) []byte {
				if p.said[sess.SuR] != outreach.Accepted {
					return nil
				}
				return w.calendar(t, p, e.UID, outreach.Accepted, p.style)
			})
		}
		return
	}
	if p.confirmBack && p.said[sess.SuR] == outreach.Accepted {
		w.schedule(now.Add(time.Duration(10+p.rng.IntN(600))*time.Minute), p, "calendar", func(t time.Time) []byte {
			if p.said[sess.SuR] != outreach.Accepted {
				return nil
			}
			return w.calendar(t, p, e.UID, outreach.Accepted, styleOutlook)
		})
	}
}

// reminded: a mission that waited for a reminder answers now.
func (w *world) reminded(now time.Time, p *persona) {
	if p.silent && !p.answered && p.invitation != nil {
		w.log(now, "%s is reminded and will answer", p.m.ID)
		w.answer(now.Add(time.Duration(2+p.rng.IntN(70))*time.Hour), p)
	}
}

func (w *world) ooo(t time.Time, p *persona) []byte {
	c := p.m.Contacts[0]
	prefix, body := oooText(p.m.Language, p.invitedAt.Add(time.Duration(5+p.rng.IntN(10))*24*time.Hour), c.Email)
	w.log(t, "%s is out of the office: automatic reply", p.m.ID)
	hs := []header{{"Return-Path", "<>"}, {"X-Auto-Response-Suppress", "All"}, {"X-MS-Exchange-Inbox-Rules-Loop", c.Email},
		{"Auto-Submitted", "auto-replied"}}
	return textMail{From: c.Email, FromName: givenNames[p.rng.IntN(len(givenNames))], To: "<" + p.invitation.ReplyTo + ">",
		Subject: prefix + p.invitation.Subject, MsgID: w.msgID(p), InReplyTo: p.invitation.MessageID,
		Now: t.In(w.ev.Location), Body: body, Headers: hs}.bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
