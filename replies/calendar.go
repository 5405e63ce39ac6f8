package replies

import (
	"fmt"
	"outreach/message"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"outreach"
	"outreach/ical"
)

// calReply is one VEVENT read from a calendar part.
type calReply struct {
	ical.Reply
	embedded int
}

// isCalendarPart reports whether a part holds iCalendar data, whatever it
// is called: text/calendar with or without method, application/ics, or a
// file named *.ics / *.vcs (RFC 6047 §2.6 says to go by Content-Type, but
// clients attach copies under other types).
func isCalendarPart(n *message.Part) bool {
	if n.IsMultipart() || n.Inner != nil {
		return false
	}
	switch n.MediaType {
	case "text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics", "application/calendar",
		"text/icalendar", "application/icalendar", "text/x-calendar":
		return true
	}
	f := strings.ToLower(n.Filename)
	return strings.HasSuffix(f, ".ics") || strings.HasSuffix(f, ".vcs") || strings.HasSuffix(f, ".ical")
}

// calendarData returns a calendar part's content as UTF-8.
func calendarData(n *message.Part) []byte {
	b := message.DecodeCTE(n.Header.Get("content-transfer-encoding"), n.Body, maxCalendar)
	cs := strings.ToLower(n.Params["charset"])
	if (cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii") || !utf8.Valid(b) {
		return []byte(message.ToUTF8(b, cs))
	}
	return b
}

// calendars reads every calendar part. damaged lists the parts that could
// not be read; damagedReply is set when one of them says it is a REPLY or
// COUNTER.
func (m *msg) calendars() (out []calReply, damaged []string, damagedReply bool) {
	message.Walk(m.root, func(n *message.Part) {
		if !isCalendarPart(n) {
			return
		}
		data := calendarData(n)
		mimeMethod := strings.ToUpper(strings.TrimSpace(n.Params["method"]))
		fail := func(why string) {
			damaged = append(damaged, shorten(why, 200))
			if n.Embedded == 0 && (mimeMethod == "REPLY" || mimeMethod == "COUNTER" || methodReplyRe.Match(data)) {
				damagedReply = true
			}
		}
		if d := calendarDefect(data); d != "" {
			fail(d)
			return
		}
		rs, err := ical.ParseReplies(data)
		if err != nil {
			fail(err.Error())
			return
		}
		for _, r := range rs {
			if r.Method == "" {
				r.Method = mimeMethod
			}
			out = append(out, calReply{Reply: r, embedded: n.Embedded})
		}
	})
	return out, damaged, damagedReply
}

var methodReplyRe = regexp.MustCompile(`(?im)^METHOD:\s*(?:REPLY|COUNTER)\s*$`)

// onceOnly are the VEVENT properties RFC 5545 §3.6.1 allows at most once
// that a reply is read by; a second one, with whatever value, leaves the
// answer open to two readings.
var onceOnly = map[string]bool{"UID": true, "DTSTAMP": true, "SEQUENCE": true, "DTSTART": true, "DTEND": true,
	"ORGANIZER": true, "RECURRENCE-ID": true, "STATUS": true}

// calendarDefect reports what makes a calendar object ambiguous although
// it parses: a once-only property given twice in one VEVENT, or an
// ATTENDEE with a parameter given twice (PARTSTAT=ACCEPTED;PARTSTAT=
// DECLINED). It returns "" when there is none.
func calendarDefect(data []byte) string {
	// The lines are read as they are unfolded, one at a time: CRLF or LF
	// ends a line, and a line that begins with a space or a tab goes on
	// the one before.
	var d defectReader
	var line string
	started := false
	for rest := string(data); ; {
		l, after, more := strings.Cut(rest, "\n")
		if more {
			l = strings.TrimSuffix(l, "\r")
		}
		if started && len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			line += l[1:]
		} else {
			if started {
				if why := d.line(line); why != "" {
					return why
				}
			}
			line, started = l, true
		}
		if !more {
			break
		}
		rest = after
	}
	return d.line(line)
}

// defectReader is calendarDefect's reading of one calendar object, line
// by unfolded line.
type defectReader struct {
	inEvent int
	seen    map[string]bool
}

// line reads the next line and says what makes the object ambiguous, if
// that line does.
func (d *defectReader) line(l string) string {
	nameParams, _, _ := cutUnquoted(l, ':')
	name, params, _ := strings.Cut(nameParams, ";")
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "BEGIN" || name == "END" {
		value := strings.ToUpper(strings.TrimSpace(l[min(len(nameParams)+1, len(l)):]))
		switch {
		case name == "BEGIN" && value == "VEVENT":
			d.inEvent++
			d.seen = map[string]bool{}
		case name == "END" && value == "VEVENT":
			d.inEvent--
		}
		return ""
	}
	if d.inEvent != 1 {
		return ""
	}
	if onceOnly[name] {
		if d.seen[name] {
			return "the calendar gives " + name + " twice in one event"
		}
		d.seen[name] = true
	}
	if name == "ATTENDEE" && params != "" {
		ps := map[string]bool{}
		for rest := params; rest != ""; {
			var p string
			p, rest, _ = cutUnquoted(rest, ';')
			k, _, _ := strings.Cut(p, "=")
			k = strings.ToUpper(strings.TrimSpace(k))
			if ps[k] {
				return "an ATTENDEE of the calendar gives " + shorten(k, 40) + " twice"
			}
			ps[k] = true
		}
	}
	return ""
}

// cutUnquoted is strings.Cut at the first sep outside double quotes.
func cutUnquoted(s string, sep byte) (before, after string, found bool) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

// uidsOf returns the missions and sessions our UIDs in a bounced original
// point at.
func uidsOf(n *message.Part, dir Directory) (mission string, ok bool) {
	message.Walk(n, func(p *message.Part) {
		if ok || !isCalendarPart(p) {
			return
		}
		rs, err := ical.ParseReplies(calendarData(p))
		if err != nil {
			return
		}
		for _, r := range rs {
			if mi, _, found := dir.ByUID(r.UID); found {
				mission, ok = mi, true
				return
			}
		}
	})
	return mission, ok
}

// answer is the newest reply for one UID.
type answer struct {
	calReply
	mission, session string
	known            bool
	conflicting      bool // the same UID answered two ways in one message
}

// calendarResult classifies an iMIP message (RFC 6047): REPLY, COUNTER or
// REFRESH objects in the message's own parts. It reports false when the
// message holds none.
func (m *msg) calendarResult(res Result) (Result, bool) {
	all, damaged, damagedReply := m.calendars()
	own, forwarded := splitReplies(all)
	if len(own) == 0 {
		return m.noOwnReply(res, len(all), damaged, damagedReply, forwarded)
	}
	byUID, order := newestAnswers(m.dir, own)
	first := byUID[order[0]]
	res.Calendar = calendarOf(first.calReply)
	res.Comment = shorten(first.Comment, 300)
	res.Match = MatchUID
	sig := m.signals()

	missions, unknown := answeredMissions(byUID, order)
	if unknown != nil {
		res.Kind = Review
		res.Mission, res.Match = m.fallbackMission(sig)
		res.Reason = fmt.Sprintf("calendar reply for an event we never sent (UID %s) from %s; check which pre-session is meant", shorten(unknown.UID, 80), orNobody(unknown.Attendee))
		return res, true
	}
	res.Mission = missions[0]
	if len(missions) > 1 {
		res.Kind = Review
		res.Reason = fmt.Sprintf("one message answers the calendars of several missions (%s); check who answered", strings.Join(missions, ", "))
		return res, true
	}
	mission := missions[0]
	names := allStates()
	for _, uid := range order {
		a := byUID[uid]
		if why, showCal := m.calendarDoubt(a, mission, names); why != "" {
			if showCal {
				res.Calendar = calendarOf(a.calReply)
			}
			return reviewCal(res, why), true
		}
	}
	if c := conflictWith(mission, sig, names); c != "" {
		return reviewCal(res, c), true
	}
	if sig.authFail != "" {
		return reviewCal(res, "the sender's domain failed authentication ("+sig.authFail+"); the calendar answer may be forged, check with the mission"), true
	}
	return m.recordCalendar(res, byUID, order, mission, names), true
}

// splitReplies keeps the answers among calendar objects (REPLY, COUNTER,
// REFRESH): those of the message's own parts, and those of a message it
// forwards.
func splitReplies(all []calReply) (own, forwarded []calReply) {
	for _, r := range all {
		switch r.Method {
		case "REPLY", "COUNTER", "REFRESH":
		default:
			continue
		}
		if r.embedded == 0 {
			own = append(own, r)
		} else {
			forwarded = append(forwarded, r)
		}
	}
	return own, forwarded
}

// noOwnReply classifies a message with no calendar answer of its own: a
// damaged calendar answer, or a forwarded one, goes to a person;
// otherwise the message is not a calendar reply (false).
func (m *msg) noOwnReply(res Result, objects int, damaged []string, damagedReply bool, forwarded []calReply) (Result, bool) {
	if len(damaged) > 0 && (damagedReply || (objects == 0 && m.calendarSubject())) {
		res.Kind = Review
		res.Reason = "the calendar answer could not be read (" + damaged[0] + "); record the answer by hand"
		return res, true
	}
	if len(forwarded) == 0 {
		return res, false
	}
	r := forwarded[0]
	res.Kind = Review
	res.Mission, res.Match = "", MatchNone
	if mi, _, ok := m.dir.ByUID(r.UID); ok {
		res.Mission = mi
	}
	res.Calendar = calendarOf(r)
	res.Reason = fmt.Sprintf("forwards a calendar reply of %s (%s) inside another message; check who answered before recording it",
		orNobody(r.Attendee), strings.ToLower(r.PartStat))
	return res, true
}

// newestAnswers keeps one answer per UID, the newest revision (RFC 5546
// §2.1.5), marking a UID answered two ways in one revision; order is the
// UIDs in the order first seen.
func newestAnswers(dir Directory, own []calReply) (map[string]*answer, []string) {
	byUID := map[string]*answer{}
	var order []string
	for _, r := range own {
		a, seen := byUID[r.UID]
		if !seen {
			a = &answer{calReply: r}
			a.mission, a.session, a.known = dir.ByUID(r.UID)
			byUID[r.UID] = a
			order = append(order, r.UID)
			continue
		}
		if r.PartStat != a.PartStat || r.Method != a.Method {
			newer := r.Sequence > a.Sequence || (r.Sequence == a.Sequence && r.DTStamp.After(a.DTStamp))
			older := r.Sequence < a.Sequence || (r.Sequence == a.Sequence && r.DTStamp.Before(a.DTStamp))
			switch {
			case newer:
				a.calReply = r
			case !older:
				a.conflicting = true
			}
		}
	}
	return byUID, order
}

// answeredMissions lists the missions whose calendars the answers are
// for, or returns the first answer for an event we never sent.
func answeredMissions(byUID map[string]*answer, order []string) ([]string, *answer) {
	var missions []string
	for _, uid := range order {
		a := byUID[uid]
		if !a.known {
			return nil, a
		}
		if !slices.Contains(missions, a.mission) {
			missions = append(missions, a.mission)
		}
	}
	return missions, nil
}

// calendarDoubt says why a person must look at one calendar answer of
// mission — two answers, a proposal, a request, several attendees, an
// unusual PARTSTAT, an attendee or sender not of the mission — or returns
// "". showCal is set when the Result should show this answer's calendar.
func (m *msg) calendarDoubt(a *answer, mission string, names *nameTable) (why string, showCal bool) {
	session := names.name(a.session)
	switch {
	case a.conflicting:
		return fmt.Sprintf("the message answers the pre-session on %s twice, differently; check which answer holds", session), false
	case a.Method == "COUNTER":
		prop := a.ProposedStart
		if a.ProposedEnd != "" {
			prop += " – " + a.ProposedEnd
		}
		return fmt.Sprintf("%s proposes a new time for the pre-session on %s (%s); answer the proposal by hand",
			orNobody(a.Attendee), session, orNobody(prop)), true
	case a.Method == "REFRESH":
		return fmt.Sprintf("%s asks for the latest version of the invitation to the pre-session on %s; send it again", orNobody(a.Attendee), session), true
	case a.Attendees != 1:
		return fmt.Sprintf("calendar reply for the pre-session on %s lists %d attendees instead of one; check who answered", session, a.Attendees), false
	}
	if why := partStatDoubt(a, session); why != "" {
		return why, false
	}
	if !m.belongs(mission, a.Attendee, a.SentBy) {
		return fmt.Sprintf("calendar reply for %s's copy of the pre-session on %s answered by an address not known for that mission (%s): a forwarded invitation? check before recording",
			names.name(mission), session, orNobody(a.Attendee)), false
	}
	if !m.sentFrom(mission) {
		return fmt.Sprintf("calendar reply for %s's copy of the pre-session on %s sent from %s, not an address of that mission: the answer may be forged, check with the mission",
			names.name(mission), session, orNobody(m.from.Addr)), false
	}
	return "", false
}

// partStatDoubt says why an answer's PARTSTAT is not one to record
// (DELEGATED, NEEDS-ACTION, anything unusual), or returns "".
func partStatDoubt(a *answer, session string) string {
	switch a.PartStat {
	case "ACCEPTED", "DECLINED", "TENTATIVE":
		return ""
	case "DELEGATED":
		return fmt.Sprintf("%s delegated the invitation to the pre-session on %s to %s; check who will attend",
			orNobody(a.Attendee), session, orNobody(strings.Join(a.DelegatedTo, ", ")))
	case "NEEDS-ACTION":
		return fmt.Sprintf("calendar reply for the pre-session on %s gives no answer (NEEDS-ACTION); ask the mission", session)
	}
	return fmt.Sprintf("calendar reply for the pre-session on %s has the unusual answer %s; check it", session, shorten(a.PartStat, 40))
}

// recordCalendar records the answers of one mission's calendar replies,
// with the delegates the comment names, unless the comment contradicts
// the answer.
func (m *msg) recordCalendar(res Result, byUID map[string]*answer, order []string, mission string, names *nameTable) Result {
	first := byUID[order[0]]
	res.Sessions = map[string]outreach.Status{}
	var parts []string
	for _, uid := range order {
		a := byUID[uid]
		st := partStatus(a.PartStat)
		res.Sessions[a.session] = st
		parts = append(parts, st.String()+" "+names.name(a.session))
		if res.Because == nil {
			res.Because = map[string][]Because{}
		}
		res.Because[a.session] = []Because{{Zone: ZoneCalendar, Text: fmt.Sprintf("METHOD:%s UID:%s ATTENDEE:%s PARTSTAT=%s",
			a.Method, a.UID, a.Attendee, a.PartStat)}}
	}
	// The comment must not contradict the answer.
	if first.Comment != "" {
		k := commentKinds(first.Comment)
		st := partStatus(first.PartStat)
		if (st == outreach.Accepted && k[cueDecline]) || (st == outreach.Declined && k[cueAccept] && !k[cueDecline]) {
			res.Sessions, res.Because = nil, nil
			return reviewCal(res, fmt.Sprintf("the calendar answer (%s) and its comment (%q) disagree; ask the mission", st, shorten(first.Comment, 120)))
		}
		lt := newReader(names, m.dir.Sessions(), mission).read(first.Comment, "")
		res.Delegates, res.DelegateNames = lt.delegates, lt.names
	}
	if res.Delegates == 0 && first.Guests > 0 {
		res.Delegates = 1 + first.Guests
	}
	res.Kind = RSVP
	res.Reason = fmt.Sprintf("calendar reply (%s) from %s for %s: %s", first.Method, orNobody(first.Attendee), names.name(mission), strings.Join(parts, ", "))
	if res.Delegates > 0 {
		res.Reason += fmt.Sprintf("; %d delegate(s)", res.Delegates)
	}
	return res
}

func reviewCal(res Result, reason string) Result {
	res.Kind = Review
	res.Sessions, res.Because = nil, nil
	res.Reason = reason
	return res
}

func calendarOf(r calReply) *Calendar {
	return &Calendar{UID: r.UID, Sequence: r.Sequence, DTStamp: r.DTStamp, PartStat: r.PartStat,
		Attendee: r.Attendee, SentBy: r.SentBy, Method: r.Method, Comment: r.Comment, Guests: r.Guests}
}

func partStatus(p string) outreach.Status {
	switch p {
	case "ACCEPTED":
		return outreach.Accepted
	case "DECLINED":
		return outreach.Declined
	case "TENTATIVE":
		return outreach.Tentative
	}
	return outreach.None
}

func orNobody(s string) string {
	if s == "" {
		return "(none given)"
	}
	return s
}

// calendarSubject reports whether the subject is one calendar clients
// give their answers.
func (m *msg) calendarSubject() bool {
	s := strings.ToLower(strings.TrimSpace(m.subject))
	for _, p := range []string{"accepted:", "declined:", "tentative:", "accepté :", "accepté:", "refusé :", "refusé:",
		"provisoire :", "aceptado:", "rechazado:", "provisional:", "invitation declined:", "event accepted:",
		"event declined:", "acceptée :", "invitation refusée :", "proposée :", "invitación declinada:",
		"new time proposed:", "nouvelle heure proposée :", "nueva hora propuesta:", "tentatively accepted:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// sortedSessions lists session ids in the round's order.
func sortedSessions(m map[string]outreach.Status, ss []Session) []string {
	pos := map[string]int{}
	for i, s := range ss {
		pos[s.SuR] = i
	}
	var ids []string
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		pi, iok := pos[ids[i]]
		pj, jok := pos[ids[j]]
		if iok != jok {
			return iok
		}
		if pi != pj {
			return pi < pj
		}
		return ids[i] < ids[j]
	})
	return ids
}
