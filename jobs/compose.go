package jobs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"outreach"
	"outreach/ical"
	"outreach/message"
	"outreach/store"
	"outreach/templates"
)

// UID is the calendar UID of one mission's copy of one session: unique to
// the pair, stable across re-sends, moves, cancellation and restarts, so
// every client updates the same event, and keyed by the store's own
// random key, so nobody can write a reply for a copy they did not receive
// (outreach.CalendarUID). A copy sent with the readable UID of an earlier
// schema keeps it (store.Tx.ReadableUIDs).
func (e *Engine) UID(mission, session string) string {
	var uid string
	e.st.View(func(tx *store.Tx) error {
		rd, err := e.round(tx)
		if err != nil {
			return err
		}
		uid = e.uidOf(rd, mission, session)
		return nil
	})
	return uid
}

// uidOf is UID read from the round's data.
func (e *Engine) uidOf(rd roundData, mission, session string) string {
	if rd.readable[mission+"/"+session] {
		return outreach.ReadableCalendarUID(e.event.UPRSession, e.domain(), mission, session)
	}
	return outreach.CalendarUID(rd.uidKey, e.event.UPRSession, e.domain(), mission, session)
}

// ReplyAddress is the per-mission reply address: the organiser mailbox with
// the mission's token as sub-address (rsvp+TOKEN@domain).
func (e *Engine) ReplyAddress(tx *store.Tx, mission string) string {
	local, domain, _ := strings.Cut(e.event.Mailbox.Email, "@")
	return local + "+" + replyToken(tx.Secret(), mission) + "@" + domain
}

// roundData is what every message of the round needs.
type roundData struct {
	sessions []outreach.Session
	names    map[string]outreach.Names
	// uidKey keys the calendar UIDs; readable lists the copies
	// ("MISSION/SESSION") that keep the readable UID they went out with.
	uidKey   []byte
	readable map[string]bool
	// texts holds each session's calendar SUMMARY and DESCRIPTION per
	// language: the same for every mission of that language, and rendered
	// once per round instead of once per message.
	texts *calendarTexts
	// views keeps the sessions' views for the templates, per language.
	views *templates.SessionViews
}

// calendarTexts memoises Set.Summary and Set.Description for one round.
// They depend only on the templates, the language, the event (fixed for an
// engine) and the session with its State's names (fixed for a round).
type calendarTexts struct {
	mu sync.Mutex
	m  map[calendarTextKey]calendarText
}

type calendarTextKey struct {
	set  *templates.Set
	lang outreach.Language
	sur  string
}

type calendarText struct {
	summary, description string
	location             string // room and venue in the language (LOCATION)
	filename             string // the attachment's name (AttachmentName)
}

// calendarText returns the SUMMARY, DESCRIPTION and LOCATION of session s in lang.
func (e *Engine) calendarText(t *templates.Set, lang outreach.Language, s outreach.Session, rd roundData) calendarText {
	if rd.texts == nil {
		return e.newCalendarText(t, lang, s, rd)
	}
	k := calendarTextKey{t, lang, s.SuR}
	rd.texts.mu.Lock()
	ct, ok := rd.texts.m[k]
	rd.texts.mu.Unlock()
	if ok {
		return ct
	}
	ct = e.newCalendarText(t, lang, s, rd)
	rd.texts.mu.Lock()
	rd.texts.m[k] = ct
	rd.texts.mu.Unlock()
	return ct
}

func (e *Engine) loadRound(tx *store.Tx) (roundData, error) {
	ss, err := tx.Sessions()
	if err != nil {
		return roundData{}, err
	}
	rd := roundData{names: map[string]outreach.Names{}, texts: &calendarTexts{m: map[calendarTextKey]calendarText{}}, views: templates.NewSessionViews(),
		uidKey: tx.CalendarUIDKey()}
	if rd.readable, err = tx.ReadableUIDs(); err != nil {
		return rd, err
	}
	for _, s := range ss {
		s.Start, s.End = e.local(s.Start), e.local(s.End)
		rd.sessions = append(rd.sessions, s)
		m, err := tx.Mission(s.SuR)
		if err != nil {
			return rd, fmt.Errorf("session %s: %w", s.SuR, err)
		}
		rd.names[s.SuR] = m.Names
	}
	return rd, nil
}

func (e *Engine) newCalendarText(t *templates.Set, lang outreach.Language, s outreach.Session, rd roundData) calendarText {
	sur := rd.names[s.SuR]
	return calendarText{summary: t.Summary(lang, e.event, sur), description: t.Description(lang, e.event, s, sur),
		location: t.Location(lang, e.event, s), filename: templates.AttachmentName(sur, lang)}
}

// calendarEvent is mission's copy of session as an iCalendar event.
// Its DTSTAMP is stamp (RFC 5545: when the object was created).
func (e *Engine) calendarEvent(t *templates.Set, m outreach.Mission, s outreach.Session, rd roundData, partstat string, stamp time.Time) ical.Event {
	return e.calendarEventTo(t, m, s, rd, attendees(m, partstat), stamp)
}

// calendarEventTo is calendarEvent with its attendees given, shared by
// every copy in one message (ical does not change them).
func (e *Engine) calendarEventTo(t *templates.Set, m outreach.Mission, s outreach.Session, rd roundData, atts []ical.Attendee, stamp time.Time) ical.Event {
	lang := m.Language
	status := "CONFIRMED"
	if e.event.Provisional {
		// Until the UN confirms the dates and venue (RFC 5545 STATUS).
		status = "TENTATIVE"
	}
	if s.Status == outreach.Cancelled {
		status = "CANCELLED"
	}
	ct := e.calendarText(t, lang, s, rd)
	return ical.Event{
		UID:         e.uidOf(rd, m.ID, s.SuR),
		Sequence:    s.Sequence,
		DTStamp:     stamp.UTC().Truncate(time.Second),
		Start:       s.Start,
		End:         s.End,
		TZ:          e.event.Location,
		Summary:     ct.summary,
		Location:    ct.location,
		Description: ct.description,
		Organizer:   ical.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email},
		Attendees:   atts,
		Status:      status,
		URL:         e.event.Web,
	}
}

// attendees lists every contact a message to m goes to (m.Usable, or all
// its contacts when none is usable), each once, as an ATTENDEE named for
// the mission: a colleague who answers from his own calendar finds himself
// among the attendees, and his REPLY is his mission's.
func attendees(m outreach.Mission, partstat string) []ical.Attendee {
	cs := m.Usable()
	if len(cs) == 0 {
		cs = m.Contacts
	}
	var out []ical.Attendee
	seen := map[string]bool{}
	for _, c := range cs {
		addr := strings.ToLower(strings.TrimSpace(c.Email))
		if addr == "" || seen[addr] {
			continue
		}
		seen[addr] = true
		out = append(out, ical.Attendee{Name: m.Title(), Email: c.Email, Role: "REQ-PARTICIPANT", PartStat: partstat, RSVP: true})
	}
	return out
}

func (e *Engine) organiserName() string {
	if e.event.Mailbox.Name != "" {
		return e.event.Mailbox.Name
	}
	return e.event.Organiser
}

// errNoAddress is a message with nobody to send it to.
var errNoAddress = errors.New("no usable address: every contact bounced or none was given")

// compose renders the message for an outbox item from what the store holds
// now, as of the time its pending attempt was composed (it.Composed, set
// by the claim): its Date, its calendars' DTSTAMP and the text's "now".
// So a message sent again — deferred, or caught in sending by a crash —
// to the same recipients with the same calendar data comes out the same,
// byte for byte, as its earlier attempt, and a copy a receiver already
// has under the same Message-ID is the same message; the bytes need not
// be kept (a message composed in the claim keeps them all the same, see
// keepBytes: what it reads may have changed since). When its recipients
// or its calendar data changed since, it is composed as of now and
// carries current data under its original Message-ID.
//
// It also returns, per session, the SEQUENCE of the calendar data the
// message carries.
func (e *Engine) compose(tx *store.Tx, it outreach.OutboxItem) (*message.Message, map[string]int, error) {
	at := it.Composed
	if at.IsZero() {
		at = e.now()
	}
	revs := map[string]int{}
	msg, err := e.composeMessage(tx, it, revs, at)
	if err != nil {
		return nil, nil, err
	}
	if !it.Composed.IsZero() && (!sameAddrs(it.To, msg.To) || !maps.Equal(it.Revisions, revs)) {
		clear(revs)
		if msg, err = e.composeMessage(tx, it, revs, e.now()); err != nil {
			return nil, nil, err
		}
	}
	return msg, revs, nil
}

// sameAddrs reports whether to holds the addresses of as, in order.
func sameAddrs(to []string, as []message.Address) bool {
	return slices.EqualFunc(to, as, func(s string, a message.Address) bool { return s == a.Email })
}

func (e *Engine) composeMessage(tx *store.Tx, it outreach.OutboxItem, revs map[string]int, at time.Time) (*message.Message, error) {
	t, err := e.templates()
	if err != nil {
		return nil, err
	}
	rd, err := e.round(tx)
	if err != nil {
		return nil, err
	}
	if it.Key.Kind == outreach.Digest {
		return e.composeDigest(t, tx, it, rd)
	}
	if it.Key.Speaker != "" {
		return e.composeSpeaker(t, it, rd)
	}
	if it.Key.Kind == outreach.Withdrawal || it.Key.Kind == outreach.PageSummary {
		return e.composePage(t, tx, it, rd, revs)
	}
	m, to, err := missionTo(tx, it.Key.Mission)
	if err != nil {
		return nil, err
	}
	data := templates.Data{Event: e.event, Mission: m, Sessions: rd.sessions, SuRNames: rd.names, Views: rd.views,
		ReplyTo: e.ReplyAddress(tx, m.ID), PageURL: e.pageLink(tx, m.ID), Now: at, Confirmed: !e.event.Provisional}
	msg := &message.Message{
		MessageID: it.MessageID,
		From:      message.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email},
		To:        to,
		ReplyTo:   &message.Address{Name: e.organiserName(), Email: data.ReplyTo},
		Date:      at,
		Headers:   [][2]string{{"X-Auto-Response-Suppress", "OOF, AutoReply"}},
	}
	var session *outreach.Session
	if it.Key.Session != "" {
		if session, err = rd.session(it.Key.Session); err != nil {
			return nil, err
		}
		data.Session = session
	}
	l := &composing{t: t, tx: tx, it: it, m: m, rd: rd, session: session, msg: msg, data: &data, revs: revs}
	var kind templates.Kind
	switch it.Key.Kind {
	case outreach.Invitation:
		kind, err = templates.Invitation, e.invitationCalendars(l)
	case outreach.Confirmation, outreach.Update:
		kind, err = e.requestCalendar(l)
	case outreach.Cancellation:
		kind, err = templates.Cancellation, e.cancelCalendar(l)
	case outreach.Reminder:
		kind, err = templates.Kind(ruleTemplate(it.Rule)), e.reminderSessions(l)
	default:
		return nil, fmt.Errorf("unknown message kind %q", it.Key.Kind)
	}
	if err != nil {
		return nil, err
	}
	out, err := t.Render(kind, m.Language, data)
	if err != nil {
		return nil, err
	}
	msg.Subject, msg.Text, msg.HTML = out.Subject, out.Text, out.HTML
	if it.Key.Kind != outreach.Invitation {
		// RFC 3834: sent by the engine, not written for this occasion by a
		// person, so vacation responders do not answer it. The invitation is
		// the letter staff send by hand, and the notes advise against marking
		// calendar invitations untested.
		msg.Headers = append(msg.Headers, [2]string{"Auto-Submitted", "auto-generated"})
	}
	if msg.Calendar != nil && msg.Calendar.Method == "REQUEST" && session != nil {
		// Exchange titles the appointment from the Subject: keep it equal to
		// the SUMMARY.
		msg.Subject = t.Summary(m.Language, e.event, rd.names[session.SuR])
	}
	return msg, nil
}

// missionTo reads the mission id and the addresses a message to it goes
// to (recipients).
func missionTo(tx *store.Tx, id string) (outreach.Mission, []message.Address, error) {
	m, err := tx.Mission(id)
	if err != nil {
		return m, nil, err
	}
	to, err := recipients(m)
	return m, to, err
}

// recipients are the mission's usable addresses, under its title.
func recipients(m outreach.Mission) ([]message.Address, error) {
	var to []message.Address
	for _, c := range m.Usable() {
		to = append(to, message.Address{Name: m.Title(), Email: c.Email})
	}
	if len(to) == 0 {
		return nil, errNoAddress
	}
	return to, nil
}

// session is the round's session on sur, which must still exist.
func (rd roundData) session(sur string) (*outreach.Session, error) {
	for i := range rd.sessions {
		if rd.sessions[i].SuR == sur {
			return &rd.sessions[i], nil
		}
	}
	return nil, fmt.Errorf("session %s no longer exists", sur)
}

// composing is a message to one mission being composed: what its parts are
// made from, and the message and template data they fill.
type composing struct {
	t       *templates.Set
	tx      *store.Tx
	it      outreach.OutboxItem
	m       outreach.Mission
	rd      roundData
	session *outreach.Session // the session it is about, if one
	msg     *message.Message
	data    *templates.Data
	revs    map[string]int // the revision each calendar sent carries
}

// invitationCalendars attaches a REQUEST for each session not cancelled.
//
// The calendars are built one after another into one buffer, which the
// message gives back when the outbox has rendered it (message.OwnParts).
func (e *Engine) invitationCalendars(l *composing) error {
	atts := attendees(l.m, "NEEDS-ACTION")
	buf := message.PartsBuffer(calendarBytes * len(l.rd.sessions))
	for _, s := range l.rd.sessions {
		if s.Status == outreach.Cancelled {
			continue
		}
		start := len(buf)
		next, err := ical.AppendRequest(buf, e.calendarEventTo(l.t, l.m, s, l.rd, atts, l.data.Now))
		if err != nil {
			return fmt.Errorf("calendar for %s: %w", s.SuR, err)
		}
		buf = next
		l.revs[s.SuR] = s.Sequence
		l.msg.Attachments = append(l.msg.Attachments, message.Attachment{
			Filename:    e.calendarText(l.t, l.m.Language, s, l.rd).filename,
			ContentType: "text/calendar; charset=UTF-8; method=REQUEST",
			Data:        buf[start:len(buf):len(buf)],
		})
	}
	l.msg.OwnParts(buf)
	return nil
}

// calendarBytes is about what one session's calendar request takes, with
// its description and time zone: the first guess of the buffer's size.
const calendarBytes = 3 << 10

// requestCalendar makes a confirmation's or an update's REQUEST, with the
// mission's answer in a confirmation, and says which of the two it is.
func (e *Engine) requestCalendar(l *composing) (templates.Kind, error) {
	kind := templates.Confirmation
	if l.it.Key.Kind == outreach.Update {
		kind = templates.Update
		prev, err := e.previousRevision(l.tx, l.it)
		if err != nil {
			return kind, err
		}
		l.data.Previous = prev
	}
	r, err := l.tx.RSVP(l.m.ID, l.session.SuR)
	if err != nil {
		return kind, err
	}
	partstat := "NEEDS-ACTION"
	if l.it.Key.Kind == outreach.Confirmation {
		covered, err := l.tx.GetState(coveredKey(l.it.Key), new(bool))
		if err != nil {
			return kind, err
		}
		l.data.Covered = covered
		switch r.Status {
		case outreach.Accepted:
			partstat = "ACCEPTED"
		case outreach.Tentative:
			partstat = "TENTATIVE"
		}
	}
	ev := e.calendarEvent(l.t, l.m, *l.session, l.rd, partstat, l.data.Now)
	ev.Sequence += l.tx.CopySequence(l.m.ID, l.session.SuR) // the mission's copy, revised on its reply page
	ics, err := ical.Request(ev)
	if err != nil {
		return kind, err
	}
	l.msg.Calendar = &message.Calendar{Method: "REQUEST", Data: ics}
	l.revs[l.session.SuR] = l.session.Sequence
	return kind, nil
}

// cancelCalendar makes a cancellation's CANCEL.
func (e *Engine) cancelCalendar(l *composing) error {
	ev := e.calendarEvent(l.t, l.m, *l.session, l.rd, "NEEDS-ACTION", l.data.Now)
	ev.Status = "CANCELLED"
	ev.Sequence += l.tx.CopySequence(l.m.ID, l.session.SuR)
	ics, err := ical.Cancel(ev)
	if err != nil {
		return err
	}
	l.msg.Calendar = &message.Calendar{Method: "CANCEL", Data: ics}
	l.revs[l.session.SuR] = l.session.Sequence
	return nil
}

// reminderSessions gives a reminder its sessions (a day's note: those of
// the day as they stand now) and the mission's answers.
func (e *Engine) reminderSessions(l *composing) error {
	switch {
	case l.it.Key.Day != "":
		// One note for the day: the sessions it lists as they stand now.
		name, _, audience := ruleParts(l.it.Rule)
		listed, err := e.dayNote(l.tx, l.rd.sessions, name, audience, l.it.Key.Day, l.m.ID)
		if err != nil {
			return err
		}
		if len(listed) == 0 {
			return fmt.Errorf("no session on %s for %s to be reminded of", l.it.Key.Day, l.m.ID)
		}
		l.data.Sessions = listed
	case l.session != nil:
		// Queued for one session before such rules went by day.
		l.data.Sessions, l.data.Session = []outreach.Session{*l.session}, nil
	}
	answers := map[string]outreach.Status{}
	for _, s := range l.rd.sessions {
		r, err := l.tx.RSVP(l.m.ID, s.SuR)
		if err != nil {
			return err
		}
		answers[s.SuR] = r.Status
	}
	l.data.Answers = answers
	return nil
}

// composeSpeaker writes a reminder to one of a session's speakers, in the
// speaker's language, from the panel as it stands now. Replies go to the
// staff address (the mailbox when there is none): a speaker's questions are
// for people, not for the RSVP reader.
func (e *Engine) composeSpeaker(t *templates.Set, it outreach.OutboxItem, rd roundData) (*message.Message, error) {
	var session *outreach.Session
	for i := range rd.sessions {
		if rd.sessions[i].SuR == it.Key.Session {
			session = &rd.sessions[i]
		}
	}
	if session == nil {
		return nil, fmt.Errorf("session %s no longer exists", it.Key.Session)
	}
	sp, ok := panelSpeaker(*session, it.Key.Speaker)
	if !ok {
		return nil, fmt.Errorf("%s is not on the panel of %s", it.Key.Speaker, it.Key.Session)
	}
	replyTo := message.Address{Name: e.event.Staff.Name, Email: e.event.Staff.Email}
	if replyTo.Email == "" {
		replyTo = message.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email}
	}
	data := templates.Data{Event: e.event, Sessions: rd.sessions, SuRNames: rd.names, Views: rd.views, Session: session, Speaker: &sp,
		ReplyTo: replyTo.Email, Now: e.now(), Confirmed: !e.event.Provisional}
	out, err := t.Render(templates.Kind(ruleTemplate(it.Rule)), sp.Lang(), data)
	if err != nil {
		return nil, err
	}
	return &message.Message{
		MessageID: it.MessageID,
		From:      message.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email},
		To:        []message.Address{{Name: sp.Name, Email: sp.Email}},
		ReplyTo:   &replyTo,
		Subject:   out.Subject, Text: out.Text, HTML: out.HTML,
		Date:    e.now(),
		Headers: [][2]string{{"Auto-Submitted", "auto-generated"}, {"X-Auto-Response-Suppress", "OOF, AutoReply"}},
	}, nil
}

// previousRevision is the session as the mission last saw it, kept with the
// update so the message can say what changed.
func (e *Engine) previousRevision(tx *store.Tx, it outreach.OutboxItem) (*outreach.Session, error) {
	var prev outreach.Session
	found, err := tx.GetState(revisionKey(it.Key.Session, it.Key.Revision), &prev)
	if err != nil || !found {
		return nil, err
	}
	prev.Start, prev.End = e.local(prev.Start), e.local(prev.End)
	return &prev, nil
}

// revisionKey names the stored copy of a session before revision rev.
func revisionKey(session, rev string) string { return "session-before:" + session + ":" + rev }

func (e *Engine) composeDigest(t *templates.Set, tx *store.Tx, it outreach.OutboxItem, rd roundData) (*message.Message, error) {
	if e.event.Staff.Email == "" {
		return nil, errors.New("no staff address (event.staff) for the digest")
	}
	now := e.now()
	since, err := digestSince(tx, it, now)
	if err != nil {
		return nil, err
	}
	ms, err := tx.Missions()
	if err != nil {
		return nil, err
	}
	dd := &templates.DigestData{Since: e.local(since), Bounces: []string{}, Unreachable: []string{}}
	if err := digestAnswers(tx, ms, since, rd, dd); err != nil {
		return nil, err
	}
	dd.Unreachable = outreach.Cover(ms).Unreachable
	if err := digestQueues(tx, ms, since, now, dd); err != nil {
		return nil, err
	}
	if err := e.digestTallies(tx, ms, rd, dd); err != nil {
		return nil, err
	}
	out, err := t.Render(templates.Digest, outreach.English, templates.Data{Event: e.event, Sessions: rd.sessions,
		SuRNames: rd.names, Digest: dd, Now: now, Confirmed: !e.event.Provisional})
	if err != nil {
		return nil, err
	}
	return &message.Message{
		MessageID: it.MessageID,
		From:      message.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email},
		To:        []message.Address{{Name: e.event.Staff.Name, Email: e.event.Staff.Email}},
		Subject:   out.Subject, Text: out.Text, HTML: out.HTML, Date: now,
		Headers: [][2]string{{"Auto-Submitted", "auto-generated"}},
	}, nil
}

// digestSince is when the digest's period starts: at the previous
// digest, or a day before now for the first.
func digestSince(tx *store.Tx, it outreach.OutboxItem, now time.Time) (time.Time, error) {
	since := now.Add(-24 * time.Hour)
	prev, err := tx.Outbox(func(o *outreach.OutboxItem) bool {
		return o.Key.Kind == outreach.Digest && o.State == outreach.Sent && o.ID != it.ID
	})
	if err != nil {
		return since, err
	}
	// Since the previous digest; the first covers the last day.
	var last time.Time
	for _, p := range prev {
		if p.Sent.After(last) {
			last = p.Sent
		}
	}
	if !last.IsZero() {
		since = last
	}
	return since, nil
}

// digestAnswers lists the answers recorded and the addresses that bounced
// since.
func digestAnswers(tx *store.Tx, ms []outreach.Mission, since time.Time, rd roundData, dd *templates.DigestData) error {
	for _, m := range ms {
		hist, err := tx.History(m.ID, "")
		if err != nil {
			return err
		}
		for _, h := range hist {
			if h.At.Before(since) || h.Stale != "" {
				continue
			}
			dd.NewAnswers = append(dd.NewAnswers, templates.DigestAnswer{Mission: m.ID, Title: m.Titles.EN,
				Session: rd.names[h.Session].EN, Status: h.Status.String(), Source: string(h.Source.Kind)})
		}
		for _, c := range m.Contacts {
			if c.Undeliverable && !c.BouncedAt.Before(since) {
				dd.Bounces = append(dd.Bounces, fmt.Sprintf("%s %s: %s", m.ID, c.Email, c.Bounce))
			}
		}
	}
	return nil
}

// digestQueues lists what waits for staff: the review queue, the failed
// messages and the reminders missed since.
func digestQueues(tx *store.Tx, ms []outreach.Mission, since, now time.Time, dd *templates.DigestData) error {
	open, err := tx.Reviews(outreach.ReviewOpen)
	if err != nil {
		return err
	}
	dd.ReviewOpen = len(open)
	for _, r := range reviewLines(open, now) {
		dd.Reviews = append(dd.Reviews, templates.DigestReview{From: r.From, Reason: r.Reason, Days: r.WaitingDays})
	}
	names := map[string]string{}
	for _, m := range ms {
		names[m.ID] = m.Names.EN
	}
	failed, err := failedLines(tx, names)
	if err != nil {
		return err
	}
	dd.OutboxFailed = len(failed)
	for _, f := range failed {
		kind := f.Kind
		if f.Session != "" {
			kind += " " + f.Session
		}
		dd.Failed = append(dd.Failed, templates.DigestFailed{Mission: f.Mission, Name: f.Name, Kind: kind, Error: f.Error})
	}
	audit, err := tx.AuditLog(since)
	if err != nil {
		return err
	}
	for _, a := range audit {
		if a.Action == "reminder.missed" {
			dd.MissedReminders = append(dd.MissedReminders, a.Detail)
		}
	}
	return nil
}

// digestTallies counts the answers per session, today's sessions or else
// the next.
func (e *Engine) digestTallies(tx *store.Tx, ms []outreach.Mission, rd roundData, dd *templates.DigestData) error {
	rs, err := tx.RSVPs()
	if err != nil {
		return err
	}
	invited, err := tx.Outbox(func(o *outreach.OutboxItem) bool {
		return o.Key.Kind == outreach.Invitation && o.State == outreach.Sent
	})
	if err != nil {
		return err
	}
	sent := map[string]bool{}
	for _, o := range invited {
		sent[o.Key.Mission] = true
	}
	dd.Tallies = outreach.Tally(ms, rd.sessions, rs, func(id string) bool { return sent[id] })
	_, today, next := e.today(dd.Tallies)
	for _, i := range today {
		dd.Today = append(dd.Today, dd.Tallies[i])
	}
	if len(today) == 0 && next >= 0 {
		n := dd.Tallies[next]
		dd.Next = &n
	}
	return nil
}
