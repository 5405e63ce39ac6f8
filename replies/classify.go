package replies

import (
	"fmt"
	"net/mail"
	"outreach/message"
	"regexp"
	"slices"
	"strings"
	"time"

	"outreach"
)

// Classify reads one raw message (RFC 5322) and says what it is. It never
// panics and always returns a Result with a Reason; damaged or hostile
// input is read within fixed limits, and what cannot be understood goes to
// Review. A nil dir is a directory that knows nothing.
func Classify(raw []byte, dir Directory) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res.Kind = Review
			res.Sessions, res.Because = nil, nil
			res.Reason = fmt.Sprintf("the message could not be read (%v); look at it by hand", p)
		}
		tidy(&res)
	}()
	return classify(raw, dir)
}

// tidy makes the one-line fields of a Result one line of printable text,
// whatever the message held: callers put them in log lines, tables and
// mail headers.
func tidy(r *Result) {
	for _, f := range []*string{&r.Reason, &r.Subject, &r.From, &r.Comment, &r.Mission, &r.BounceStatus,
		&r.BounceDiagnostic, &r.MessageID, &r.InReplyTo} {
		*f = oneLine(*f)
	}
	for i := range r.DelegateNames {
		r.DelegateNames[i] = oneLine(r.DelegateNames[i])
	}
	for i := range r.References {
		r.References[i] = oneLine(r.References[i])
	}
	r.BouncedAddress = message.BareAddress(r.BouncedAddress)
	if r.Calendar != nil {
		r.Calendar.UID = oneLine(r.Calendar.UID)
		r.Calendar.Attendee = message.BareAddress(r.Calendar.Attendee)
		r.Calendar.SentBy = message.BareAddress(r.Calendar.SentBy)
	}
	r.Subject = shorten(r.Subject, 990)
	r.Excerpt = message.StripControls(r.Excerpt)
}

// oneLine returns s with control characters dropped and runs of white
// space (line breaks included) made one space.
func oneLine(s string) string {
	if s == "" {
		return s
	}
	return strings.Join(strings.Fields(message.StripControls(s)), " ")
}

// commonDate is the layout of nearly every Date header ("Mon, 4 Sep 2017
// 07:00:01 +0000"): of mail.ParseDate's layouts, the first one with a day
// of the week.
const commonDate = "Mon, 2 Jan 2006 15:04:05 -0700"

// parseDate is mail.ParseDate, the same time or the same failure for any
// v, trying its most common layout first: ParseDate tries 24 layouts
// without a day of the week first, each failure an error allocated. A v
// commonDate reads has no space to skip, no CR, no comment after its zone
// and no sign before it, so ParseDate reads all of it, against the layouts
// in turn, and the first that reads it is commonDate.
func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(commonDate, v); err == nil {
		return t, nil
	}
	return mail.ParseDate(v)
}

// msg is one message being classified.
type msg struct {
	root           *message.Part
	hdr            message.Header
	dir            Directory
	from           message.Mailbox
	subject        string
	mailboxLocal   string
	mailboxDomain  string
	sig            *signals
	truncatedParts bool
	// signature is the signature block ("-- " and below) of a letter
	// whose own text is empty.
	signature string
}

func classify(raw []byte, dir Directory) Result {
	if dir == nil {
		dir = noDirectory{}
	}
	if len(raw) > message.MaxMessage {
		raw = raw[:message.MaxMessage]
	}
	var w message.Walker
	root := w.ParseMessage(raw, 0, 0)
	m := &msg{root: root, hdr: root.Header, dir: dir, truncatedParts: w.Truncated}
	mb := strings.ToLower(strings.TrimSpace(dir.Mailbox()))
	m.mailboxLocal, m.mailboxDomain, _ = strings.Cut(mb, "@")
	if froms := message.ParseAddresses(m.hdr.Get("from")); len(froms) > 0 {
		m.from = froms[0]
	} else if s := message.ParseAddresses(m.hdr.Get("sender")); len(s) > 0 {
		m.from = s[0]
	}
	m.subject = strings.Join(strings.Fields(message.DecodeWords(m.hdr.Get("subject"))), " ")

	res := Result{
		MessageID: firstMsgID(m.hdr.Get("message-id")),
		InReplyTo: firstMsgID(m.hdr.Get("in-reply-to")),
		From:      m.from.Addr,
		Subject:   m.subject,
	}
	for _, v := range m.hdr.Values("references") {
		res.References = append(res.References, message.MessageIDs(v)...)
	}
	if len(res.References) > 100 {
		res.References = res.References[len(res.References)-100:]
	}
	if d, err := parseDate(m.hdr.Get("date")); err == nil {
		res.Date = d
	}

	if b, ok := m.findBounce(); ok {
		return m.bounceResult(res, b)
	}
	if r, ok := m.calendarResult(res); ok {
		return r
	}
	z := findZones(m.bodyText(m.root), m.dir.Mailbox())
	text := z.answer
	res.SetAside = append(res.SetAside, z.setAside()...)
	if text == "" {
		m.signature = z.signature
	}
	res.Excerpt = excerpt(text, 500)
	if why, ok := autoReply(m.hdr, m.subject, m.root); ok {
		res.Kind = AutoReply
		res.Mission, res.Match = m.fallbackMission(m.signals())
		res.Reason = why + "; nothing to record"
		return res
	}
	return m.letterResult(res, text)
}

func firstMsgID(v string) string {
	if ids := message.MessageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return strings.TrimSpace(v)
}

// bodyText returns the readable text of an entity: text/plain preferred
// in an alternative, HTML turned into text otherwise, attachments and
// attached messages left out.
func (m *msg) bodyText(n *message.Part) string {
	if n == nil || n.Embedded > 0 {
		return ""
	}
	switch {
	case n.MediaType == "multipart/alternative":
		var plain, html, nested string
		for _, k := range n.Parts {
			switch {
			case k.IsAttachment():
			case k.MediaType == "text/plain" && plain == "":
				plain = strings.TrimSpace(k.Text(maxTextPart))
			case k.MediaType == "text/html" && html == "":
				html = htmlLetter(k.Text(message.MaxHTML))
			case k.IsMultipart() && nested == "":
				nested = m.bodyText(k)
			}
		}
		return firstNonEmpty(plain, nested, html)
	case n.IsMultipart():
		var parts []string
		size := 0
		for _, k := range n.Parts {
			if t := m.bodyText(k); strings.TrimSpace(t) != "" {
				parts = append(parts, t)
				size += len(t)
				if size > maxTextRead {
					break
				}
			}
		}
		return strings.Join(parts, "\n\n")
	case n.IsAttachment():
		return ""
	case n.MediaType == "text/plain":
		return n.Text(maxTextPart)
	case n.MediaType == "text/html":
		return htmlLetter(n.Text(message.MaxHTML))
	}
	return ""
}

// signals are the clues to a message's mission, apart from calendar UIDs.
type signals struct {
	token, tokenOther   string // missions of the reply tokens found
	thread, threadOther string // missions of our Message-IDs referred to
	contact, domain     string // missions of the sender's address and domain
	authFail            string // e.g. "dmarc=fail"
}

var authFailRe = regexp.MustCompile(`(?i)\b(dmarc|spf)\s*=\s*fail\b`)

var (
	dkimFailRe = regexp.MustCompile(`(?i)\bdkim\s*=\s*fail\b`)
	dkimPassRe = regexp.MustCompile(`(?i)\bdkim\s*=\s*pass\b`)
)

func (m *msg) signals() signals {
	if m.sig != nil {
		return *m.sig
	}
	var s signals
	for _, t := range m.tokens(m.hdr) {
		if mi, ok := m.dir.ByToken(t); ok {
			if s.token == "" {
				s.token = mi
			} else if mi != s.token && s.tokenOther == "" {
				s.tokenOther = mi
			}
		}
	}
	ids := message.MessageIDs(m.hdr.Get("in-reply-to"))
	var refs []string
	for _, v := range m.hdr.Values("references") {
		refs = append(refs, message.MessageIDs(v)...)
	}
	for i := len(refs) - 1; i >= 0 && len(ids) < 200; i-- {
		ids = append(ids, refs[i])
	}
	for _, id := range ids {
		if mi, ok := m.dir.ByMessageID(id); ok {
			if s.thread == "" {
				s.thread = mi
			} else if mi != s.thread && s.threadOther == "" {
				s.threadOther = mi
			}
		}
	}
	if m.from.Addr != "" && !m.ours(m.from.Addr) {
		if mi, ok := m.dir.ByAddress(m.from.Addr); ok {
			s.contact = mi
		}
		s.domain = m.byDomain(message.DomainOf(m.from.Addr))
	}
	if s.contact != "" || s.domain != "" {
		for _, v := range m.hdr.Values("authentication-results") {
			if f := authFailRe.FindString(v); f != "" {
				s.authFail = strings.ToLower(strings.ReplaceAll(f, " ", ""))
				break
			}
			// A DKIM signature that failed with none that passed: the
			// message was altered or signed by someone else.
			if dkimFailRe.MatchString(v) && !dkimPassRe.MatchString(v) {
				s.authFail = "dkim=fail"
				break
			}
		}
		if s.authFail == "" {
			for _, v := range m.hdr.Values("received-spf") {
				if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "fail") {
					s.authFail = "spf=fail"
					break
				}
			}
		}
	}
	m.sig = &s
	return s
}

// byDomain looks a domain up, then its parent domains (a mission writing
// from geneva.mfa.example when mfa.example is known).
func (m *msg) byDomain(d string) string {
	for d != "" && strings.Count(d, ".") >= 1 {
		if mi, ok := m.dir.ByDomain(d); ok {
			return mi
		}
		_, d, _ = strings.Cut(d, ".")
	}
	return ""
}

// tokens returns the reply tokens in a header's recipient fields: the
// sub-address of our mailbox (rsvp+TOKEN@domain).
func (m *msg) tokens(h message.Header) []string {
	if m.mailboxLocal == "" {
		return nil
	}
	var out []string
	for _, k := range []string{"to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "x-delivered-to", "resent-to"} {
		for _, v := range h.Values(k) {
			for _, a := range message.ParseAddresses(v) {
				local, domain, ok := strings.Cut(a.Addr, "@")
				if !ok || domain != m.mailboxDomain {
					continue
				}
				if t, ok := strings.CutPrefix(local, m.mailboxLocal+"+"); ok && t != "" && !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// fallbackMission is the best mission guess for messages that record
// nothing (auto-replies, reviews).
func (m *msg) fallbackMission(s signals) (string, Match) {
	switch {
	case s.token != "":
		return s.token, MatchToken
	case s.thread != "":
		return s.thread, MatchThread
	case s.contact != "":
		return s.contact, MatchContact
	case s.domain != "":
		return s.domain, MatchDomain
	}
	return "", MatchNone
}

// conflictWith describes the first signal that points at a mission other
// than mission, or returns "".
func conflictWith(mission string, s signals, names *nameTable) string {
	check := []struct{ mi, what string }{
		{s.token, "the reply address is %s's"},
		{s.tokenOther, "a second reply address is %s's"},
		{s.thread, "the message answers our mail to %s"},
		{s.threadOther, "the message also refers to our mail to %s"},
		{s.contact, "the sender is a known contact of %s"},
	}
	if s.contact == "" {
		check = append(check, struct{ mi, what string }{s.domain, "the sender writes from %s's domain"})
	}
	for _, c := range check {
		if c.mi != "" && c.mi != mission {
			return fmt.Sprintf("a sender answering for another mission: the answer is for %s but %s; check before recording",
				names.name(mission), fmt.Sprintf(c.what, names.name(c.mi)))
		}
	}
	return ""
}

// belongs reports whether a calendar attendee (or its SENT-BY, or the
// message's sender) is an address of mission.
func (m *msg) belongs(mission string, addrs ...string) bool {
	return m.anyOf(mission, append(addrs, m.from.Addr))
}

// anyOf reports whether one of addrs, not ours, is a contact of mission
// or at its domain.
func (m *msg) anyOf(mission string, addrs []string) bool {
	for _, a := range addrs {
		if a == "" || m.ours(a) {
			continue
		}
		if mi, ok := m.dir.ByAddress(a); ok && mi == mission {
			return true
		}
		if m.byDomain(message.DomainOf(a)) == mission {
			return true
		}
	}
	return false
}

// sentFrom reports whether the message's From or Sender is an address of
// mission (a contact, or the mission's domain). A calendar reply names its
// attendee inside the calendar, which anyone can write; who sent the
// message is what the receiving server saw and authenticated.
func (m *msg) sentFrom(mission string) bool {
	addrs := []string{m.from.Addr}
	for _, s := range message.ParseAddresses(m.hdr.Get("sender")) {
		addrs = append(addrs, s.Addr)
	}
	return m.anyOf(mission, addrs)
}

// bounceResult turns a delivery report into a Result.
func (m *msg) bounceResult(res Result, b *bounce) Result {
	res.BouncedAddress = b.addr
	res.BounceStatus = b.status
	res.BounceDiagnostic = b.diag
	res.Excerpt = excerpt(m.reportText(), 500)
	res.Mission, res.Match = m.bounceMission(b)
	names := allStates()
	who := orNobody(b.addr)
	if res.Mission != "" {
		who += " (" + names.name(res.Mission) + ")"
	}
	switch {
	case b.delivered:
		res.Kind = AutoReply
		res.Reason = "delivery report: the message was delivered to " + who + "; nothing to record"
		return res
	case b.delayed:
		res.Kind = Delayed
		res.Reason = "delivery to " + who + " is delayed"
		if b.status != "" {
			res.Reason += " (" + b.status + ")"
		}
		res.Reason += "; the server is still trying"
		if b.retry != "" {
			res.Reason += " until " + b.retry
		}
		res.Reason += " (" + b.how + ")"
		return res
	}
	res.Kind = Bounce
	res.Reason = "delivery to " + who + " failed permanently"
	if b.status != "" {
		res.Reason += " (" + b.status + ")"
	}
	if b.diag != "" {
		res.Reason += ": " + shorten(b.diag, 160)
	}
	res.Reason += " (" + b.how + ")"
	if len(b.others) > 0 {
		res.Reason += "; also failed: " + strings.Join(b.others, ", ")
	}
	if res.Mission == "" {
		res.Reason += "; the address is not in the directory"
	}
	return res
}

// bounceMission maps a report to the mission we wrote to: the UID of our
// calendar in the bounced original, a token in the report's recipients or
// the original's sender, the original's Message-ID, then the failed
// address.
func (m *msg) bounceMission(b *bounce) (string, Match) {
	if b.original != nil {
		if mi, ok := uidsOf(b.original, m.dir); ok {
			return mi, MatchUID
		}
	}
	toks := m.tokens(m.hdr)
	origHdr := b.headers
	if b.original != nil {
		origHdr = b.original.Header
	}
	if origHdr != nil {
		// Our own headers in the original: From or Reply-To carry the token.
		var h message.Header
		for _, k := range []string{"from", "reply-to", "sender", "return-path"} {
			for _, v := range origHdr.Values(k) {
				h = append(h, message.Field{Name: "to", Value: v})
			}
		}
		toks = append(toks, m.tokens(h)...)
	}
	for _, t := range toks {
		if mi, ok := m.dir.ByToken(t); ok {
			return mi, MatchToken
		}
	}
	var ids []string
	if origHdr != nil {
		ids = append(ids, message.MessageIDs(origHdr.Get("message-id"))...)
	}
	ids = append(ids, message.MessageIDs(m.hdr.Get("in-reply-to"))...)
	for _, v := range m.hdr.Values("references") {
		ids = append(ids, message.MessageIDs(v)...)
	}
	for _, id := range ids {
		if mi, ok := m.dir.ByMessageID(id); ok {
			return mi, MatchThread
		}
	}
	for _, a := range append([]string{b.addr}, b.others...) {
		if a == "" {
			continue
		}
		if mi, ok := m.dir.ByAddress(a); ok {
			return mi, MatchContact
		}
	}
	if b.addr != "" {
		if mi := m.byDomain(message.DomainOf(b.addr)); mi != "" {
			return mi, MatchDomain
		}
	}
	return "", MatchNone
}

// letterResult reads a human reply: the start of its own text is read
// into a letter, which is recorded only when it answers and nothing
// about the sender or the reading calls for a person.
func (m *msg) letterResult(res Result, text string) Result {
	names := allStates()
	sig := m.signals()
	mission, match := m.fallbackMission(sig)
	res.Mission, res.Match = mission, match
	res.Comment = firstLines(text, 300)
	text, long := letterStart(text)
	sessions := m.dir.Sessions()
	lt := newReader(names, sessions, mission).read(listText(text), m.subject)
	long = long || lt.truncated
	res.Delegates, res.DelegateNames = lt.delegates, lt.names
	claims := m.claims(lt.claims, names)

	if m.from.Addr != "" && m.ours(m.from.Addr) {
		res.Kind = Unrelated
		res.Reason = "sent from our own mail domain (" + m.from.Addr + "), not by a mission; nothing to record"
		return res
	}
	if !lt.cues {
		return m.noAnswerResult(res, text, lt, claims, long)
	}
	reading := summarize(lt.answers, sessions, names)
	if why := m.letterDoubt(mission, match, sig, claims, lt, long); why != "" {
		res.Kind = Review
		res.Reason = why
		if reading != "" && !strings.Contains(why, "reads as") {
			res.Reason += " (the letter reads as: " + reading + ")"
		}
		return res
	}
	res.Kind = RSVP
	res.Sessions = lt.answers
	res.Because = lt.because
	res.Reason = fmt.Sprintf("letter from %s for %s (%s match): %s", orNobody(m.from.Addr), names.name(mission), match, reading)
	if res.Delegates > 0 {
		res.Reason += fmt.Sprintf("; %d delegate(s)", res.Delegates)
	}
	return res
}

// letterStart cuts a letter to what is read of it: a letter is a few
// pages, and beyond maxLetter of its own text only the start is read (at
// a line end when one is near), and an answer found there is not
// recorded alone. It reports whether the letter was cut.
func letterStart(text string) (string, bool) {
	if len(text) <= maxLetter {
		return text, false
	}
	cut := maxLetter
	for cut > 0 && !isRuneStart(text[cut]) {
		cut--
	}
	if nl := strings.LastIndexByte(text[:cut], '\n'); nl > maxLetter/2 {
		cut = nl
	}
	return text[:cut], true
}

// claims are the missions the letter (found) and the sender's display
// name say they speak for.
func (m *msg) claims(found []string, names *nameTable) []string {
	claims := found
	for _, c := range m.fromClaims(names) {
		if !slices.Contains(claims, c) {
			claims = append(claims, c)
		}
	}
	return claims
}

// noAnswerResult classifies a letter with no answer words: a person looks
// at it when the answer may be elsewhere (a calendar subject, an
// attachment, a session named alone, a bare signature) or the sender is
// in doubt; otherwise there is nothing to record.
func (m *msg) noAnswerResult(res Result, text string, lt letter, claims []string, long bool) Result {
	names := allStates()
	mission := res.Mission
	list := m.hdr.Has("list-id") || m.hdr.Has("list-unsubscribe")
	if why := m.missingAnswer(mission, text, lt, claims, list); why != "" {
		res.Kind = Review
		res.Reason = why
		return res
	}
	res.Kind = Unrelated
	switch {
	case list:
		res.Reason = "mailing-list message (List-Id/List-Unsubscribe) with no answer to the invitation"
	case mission == "":
		res.Reason = "not from a known mission and no answer to the invitation found"
	case lt.question:
		res.Reason = names.name(mission) + " asks a question and gives no answer; reply by hand"
	default:
		res.Reason = "from " + names.name(mission) + " but no answer found (no words of attending or declining)"
	}
	if m.truncatedParts {
		res.Reason += "; the message is nested too deeply to read in full"
	}
	if long {
		res.Reason += "; only the start of its text was read"
	}
	return res
}

// missingAnswer says why a letter with no answer words may still hold
// one, for a person to find, or returns "".
func (m *msg) missingAnswer(mission, text string, lt letter, claims []string, list bool) string {
	names := allStates()
	if m.calendarSubject() {
		return "the subject is a calendar answer (\"" + shorten(m.subject, 60) + "\") but the message has no calendar part; record the answer by hand"
	}
	if mission != "" && !list {
		if f := m.attachedDocument(); f != "" {
			return fmt.Sprintf("%s sends an attached file (%s) and no answer in the text: the answer may be in the attachment (a note verbale?); read it and record the answer by hand",
				names.name(mission), shorten(f, 80))
		}
		if len(lt.bare) > 0 {
			var ns []string
			for _, id := range lt.bare {
				ns = append(ns, names.name(id))
			}
			return fmt.Sprintf("%s names the pre-session(s) on %s but with no words of attending or declining that can be read; read it and record the answer by hand",
				names.name(mission), strings.Join(ns, ", "))
		}
	}
	if !list && mission != "" && (signatureOnly(text) || text == "" && signatureOnly(m.signature)) {
		return names.name(mission) + " replies with only a signature and no answer: the answer may have been lost (an image, a reply sent too soon); look at the message and ask the mission if need be"
	}
	if !list && mission == "" && len(claims) > 0 {
		return fmt.Sprintf("claims to be the mission of %s but writes from %s, a domain not known for it, with no reply token and no reference to our invitations, and gives no answer that can be read; check who writes",
			names.name(claims[0]), orNobody(message.DomainOf(m.from.Addr)))
	}
	return ""
}

// letterDoubt says why a letter with answer words must go to a person
// rather than be recorded — an unknown or doubtful sender, a problem of
// the reading, a letter read only in part — or returns "".
func (m *msg) letterDoubt(mission string, match Match, sig signals, claims []string, lt letter, long bool) string {
	names := allStates()
	if mission == "" {
		if len(claims) > 0 {
			return fmt.Sprintf("claims to be the mission of %s but writes from %s, a domain not known for it, with no reply token and no reference to our invitations; check before recording",
				names.name(claims[0]), orNobody(message.DomainOf(m.from.Addr)))
		}
		return fmt.Sprintf("unknown sender %s: not a known contact or mission domain, no reply token, no reference to our invitations; find the mission before recording", orNobody(m.from.Addr))
	}
	if c := conflictWith(mission, sig, names); c != "" {
		return c
	}
	var others []string
	for _, c := range claims {
		if c != mission {
			others = append(others, names.name(c))
		}
	}
	switch {
	case len(others) > 0:
		return fmt.Sprintf("a sender answering for another mission: the letter speaks for %s but the message is matched to %s (%s); check before recording",
			strings.Join(others, " and "), names.name(mission), match)
	case sig.authFail != "":
		return fmt.Sprintf("the sender claims to write for %s but its domain failed authentication (%s); the message may be forged, check with the mission", names.name(mission), sig.authFail)
	case len(lt.problems) > 0:
		return strings.Join(lt.problems, "; ") + "; read the letter and record the answer by hand"
	case len(lt.answers) == 0:
		return "the letter has answer words but no pre-session could be read from them; read it and record the answer by hand"
	case long:
		return fmt.Sprintf("the letter is longer than %d KB or %d sentences and only its start was read; read the rest before recording", maxLetter>>10, maxSentences)
	}
	return ""
}

// attachedDocument returns the name (or, without one, the media type) of
// the first file attached to the message itself that may hold an answer:
// not a calendar, a signature, a vCard or an attached message.
func (m *msg) attachedDocument() string {
	found := ""
	message.Walk(m.root, func(n *message.Part) {
		if found != "" || n.Embedded > 0 || n.IsMultipart() || n.Inner != nil || !n.IsAttachment() || isCalendarPart(n) {
			return
		}
		switch n.MediaType {
		case "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
			"application/pgp-keys", "text/vcard", "text/x-vcard", "text/directory":
			return
		}
		f := strings.ToLower(n.Filename)
		for _, ext := range []string{".p7s", ".asc", ".sig", ".vcf"} {
			if strings.HasSuffix(f, ext) {
				return
			}
		}
		found = firstNonEmpty(strings.Join(strings.Fields(n.Filename), " "), n.MediaType)
	})
	return found
}

// fromClaims returns the missions the sender's display name claims to be
// ("Permanent Mission of Japan <someone@mail.example>").
func (m *msg) fromClaims(names *nameTable) []string {
	if m.from.Name == "" {
		return nil
	}
	f := fold(m.from.Name)
	toks := tokenize(f)
	r := &reader{table: names}
	var out []string
	found := names.find(toks)
	for i, role := range r.roles(f, toks, found) {
		if role == roleWriter && !slices.Contains(out, found[i].id) {
			out = append(out, found[i].id)
		}
	}
	return out
}

// summarize writes a reading for staff: "accepted Japan, Ukraine;
// declined Peru".
func summarize(answers map[string]outreach.Status, ss []Session, names *nameTable) string {
	if len(answers) == 0 {
		return ""
	}
	by := map[outreach.Status][]string{}
	for _, id := range sortedSessions(answers, ss) {
		by[answers[id]] = append(by[answers[id]], names.name(id))
	}
	var parts []string
	for _, s := range []outreach.Status{outreach.Accepted, outreach.Declined, outreach.Tentative} {
		if l := by[s]; len(l) > 0 {
			parts = append(parts, s.String()+" "+strings.Join(l, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// noDirectory knows nothing.
type noDirectory struct{}

func (noDirectory) ByUID(string) (string, string, bool) { return "", "", false }
func (noDirectory) ByToken(string) (string, bool)       { return "", false }
func (noDirectory) ByMessageID(string) (string, bool)   { return "", false }
func (noDirectory) ByAddress(string) (string, bool)     { return "", false }
func (noDirectory) ByDomain(string) (string, bool)      { return "", false }
func (noDirectory) Mailbox() string                     { return "" }
func (noDirectory) Sessions() []Session                 { return nil }
