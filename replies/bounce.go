package replies

import (
	"regexp"
	"slices"
	"strings"
)

// bounce is what a delivery report says.
type bounce struct {
	delayed   bool
	delivered bool // a report of successful delivery only
	addr      string
	others    []string // further failed recipients
	status    string
	diag      string
	retry     string // Will-Retry-Until of a delay
	// original is the bounced message when it came back whole, headers
	// its header when only that came back.
	original *node
	headers  header
	how      string // who reported, for staff
}

// dsnRecipient is one per-recipient group of a delivery-status part
// (RFC 3464 §2.3).
type dsnRecipient struct {
	final, original, action, status, diag, retry string
}

// parseDSN reads the fields of a message/delivery-status body: groups of
// fields separated by blank lines, the first per message, the rest per
// recipient. A group starts anew at a second Final-Recipient even without
// a blank line.
func parseDSN(s string) []dsnRecipient {
	var out []dsnRecipient
	var cur dsnRecipient
	has := false
	flush := func() {
		if has && (cur.final != "" || cur.original != "" || cur.action != "" || cur.status != "") {
			out = append(out, cur)
		}
		cur, has = dsnRecipient{}, false
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			l += " " + strings.TrimSpace(lines[i])
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "final-recipient":
			if cur.final != "" {
				flush()
			}
			cur.final, has = dsnAddress(value), true
		case "original-recipient":
			cur.original, has = dsnAddress(value), true
		case "action":
			cur.action, has = strings.ToLower(value), true
		case "status":
			cur.status, has = value, true
		case "diagnostic-code":
			cur.diag, has = dsnDiagnostic(value), true
		case "will-retry-until":
			cur.retry, has = value, true
		}
		if len(out) > 100 {
			break
		}
	}
	flush()
	return out
}

// dsnAddress reads "rfc822; user@example" (RFC 3464 §2.3.2).
func dsnAddress(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	return strings.ToLower(bareAddress(strings.Trim(strings.TrimSpace(v), "<>")))
}

// dsnDiagnostic reads "smtp; 550 5.1.1 ..." (RFC 3464 §2.3.6).
func dsnDiagnostic(v string) string {
	if t, d, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, " ") {
		v = d
	}
	return shorten(strings.Join(strings.Fields(v), " "), 300)
}

var (
	statusCodeRe = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	smtpCodeRe   = regexp.MustCompile(`(?m)(?:^|[\s(:])([45])[0-9]{2}[ -]`)
	bounceSubjRe = regexp.MustCompile(`(?i)^\s*(?:undeliverable|undelivered mail|delivery status notification|mail delivery failed|failure notice|returned mail|delivery failure|delivery has failed|non remis|non distribuable|échec de la remise|no se puede entregar|no entregado|mail system error|undeliverable mail|message not delivered|delivery notification|warning: could not send|delayed mail|delivery delayed|message delayed|mail delivery (?:failure|problem|delayed|subsystem)|nondeliverable|could not deliver|mail could not be delivered|message you sent|your message (?:couldn't|could not|wasn't|was not))`)
	delaySubjRe  = regexp.MustCompile(`(?i)\b(?:delay|delayed|still being retried|will retry|warning|temporar\w*|retard\w*|demora\w*|retrasad\w*)\b`)
	copyMarkRe   = regexp.MustCompile(`(?im)^[ \t]*-*[ \t]*(?:original message(?: follows| headers)?|this is a copy of the message[^\n]*|below this line is a copy of the message\.?|original message headers|undelivered message follows|returned message follows|the original message follows|message d'origine|mensaje original)[ \t]*-*[ \t]*:?[ \t]*$`)
	qmailAddrRe  = regexp.MustCompile(`(?m)^<([^<>\s]+@[^<>\s]+)>:\s*$`)
)

// daemonLocal reports whether an address belongs to a mail system.
func daemonLocal(addr string) bool {
	local := strings.ToLower(addr)
	if at := strings.IndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.daemon", "bounce", "bounces", "mdaemon":
		return true
	}
	return strings.HasPrefix(local, "microsoftexchange") || strings.HasPrefix(local, "mailer-daemon")
}

// findBounce recognises a delivery report: a standard DSN first, then the
// known non-standard forms.
func (m *msg) findBounce() (*bounce, bool) {
	ds, originals := m.reportParts()
	if ds != nil {
		b := &bounce{how: "delivery status notification (RFC 3464)"}
		if m.hdr.has("x-ms-exchange-message-is-ndr") {
			b.how = "Exchange non-delivery report"
		}
		m.attachOriginal(b, originals)
		rs := parseDSN(toUTF8(decodeCTE(ds.hdr.get("content-transfer-encoding"), ds.body, maxDSNPart), ds.params["charset"]))
		b.fromRecipients(rs)
		m.fillFromText(b, m.reportText(), "")
		return b, true
	}
	if mt := m.root.mediaType; mt == "multipart/report" && strings.EqualFold(m.root.params["report-type"], "delivery-status") {
		b := &bounce{how: "delivery report without a status part"}
		m.attachOriginal(b, originals)
		m.fillFromText(b, m.reportText(), "")
		return b, true
	}
	return m.nonStandardBounce(originals)
}

// reportParts returns the message's own first delivery-status part, and
// the parts that may be the bounced original or its headers.
func (m *msg) reportParts() (ds *node, originals []*node) {
	walk(m.root, func(n *node) {
		if n.embedded > 0 {
			return
		}
		switch n.mediaType {
		case "message/delivery-status", "message/global-delivery-status":
			if ds == nil {
				ds = n
			}
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			originals = append(originals, n)
		}
	})
	return ds, originals
}

// fromRecipients fills b from the recipients of a delivery-status part:
// the failed ones, else the delayed ones, else the delivered ones; the
// first gives the address, status and diagnostic, the others are listed.
func (b *bounce) fromRecipients(rs []dsnRecipient) {
	var failed, delayed, delivered []dsnRecipient
	for _, r := range rs {
		st := statusCode(r.status)
		switch {
		case r.action == "failed" || (r.action == "" && strings.HasPrefix(st, "5")):
			failed = append(failed, r)
		case r.action == "delayed" || (r.action == "" && strings.HasPrefix(st, "4")):
			delayed = append(delayed, r)
		case r.action == "delivered" || r.action == "relayed" || r.action == "expanded":
			delivered = append(delivered, r)
		}
	}
	pick := failed
	switch {
	case len(failed) > 0:
	case len(delayed) > 0:
		pick, b.delayed = delayed, true
	case len(delivered) > 0:
		pick, b.delivered = delivered, true
	}
	if len(pick) == 0 {
		return
	}
	r := pick[0]
	b.addr = r.final
	if b.addr == "" {
		b.addr = r.original
	}
	b.status, b.diag, b.retry = statusCode(r.status), r.diag, r.retry
	for _, o := range pick[1:] {
		if a := firstNonEmpty(o.final, o.original); a != "" && a != b.addr && !slices.Contains(b.others, a) {
			b.others = append(b.others, a)
		}
	}
}

// nonStandardBounce recognises the bounces of Exchange, Gmail, Exim,
// qmail and Postfix that carry no RFC 3464 status part.
func (m *msg) nonStandardBounce(originals []*node) (*bounce, bool) {
	failedHdr := m.hdr.get("x-failed-recipients")
	isNDR := m.hdr.has("x-ms-exchange-message-is-ndr")
	fromDaemon := daemonLocal(m.from.addr) || strings.TrimSpace(m.hdr.get("return-path")) == "<>"
	subj := bounceSubjRe.MatchString(m.subject)
	text := m.reportText()
	qmail := strings.Contains(text, "This is the qmail-send program")
	if failedHdr == "" && !isNDR && !(fromDaemon && (subj || qmail)) {
		return nil, false
	}
	b := &bounce{}
	switch {
	case isNDR:
		b.how = "Exchange non-delivery report"
	case qmail:
		b.how = "qmail failure notice"
	case strings.Contains(strings.ToLower(m.subject), "mail delivery failed"):
		b.how = "Exim delivery failure"
	case strings.Contains(strings.ToLower(m.from.addr), "google"):
		b.how = "Gmail delivery failure"
	case strings.Contains(strings.ToLower(m.subject), "undelivered mail returned"):
		b.how = "Postfix delivery failure"
	default:
		b.how = "delivery failure notice"
	}
	report := text
	if loc := copyMarkRe.FindStringIndex(text); loc != nil {
		report = text[:loc[0]]
	}
	m.attachOriginal(b, originals)
	if b.original == nil && b.headers == nil {
		// The original quoted as text after a marker, in the raw part.
		m.originalFromText(b)
	}
	for _, a := range strings.Split(failedHdr, ",") {
		if a = dsnAddress(a); a != "" {
			if b.addr == "" {
				b.addr = a
			} else if a != b.addr && !slices.Contains(b.others, a) {
				b.others = append(b.others, a)
			}
		}
	}
	if b.addr == "" {
		if mm := qmailAddrRe.FindStringSubmatch(report); mm != nil {
			b.addr = strings.ToLower(mm[1])
		}
	}
	m.fillFromText(b, report, failedHdr)
	if b.status == "" || strings.HasPrefix(b.status, "4") {
		if delaySubjRe.MatchString(m.subject) || strings.HasPrefix(b.status, "4") {
			b.delayed = true
		}
	}
	return b, true
}

// reportText is the readable text of a report: its text parts at the top
// level, HTML turned into text.
func (m *msg) reportText() string {
	var parts []string
	walk(m.root, func(n *node) {
		if n.embedded > 0 || n.isMultipart() || n.isAttachment() {
			return
		}
		switch n.mediaType {
		case "text/plain":
			parts = append(parts, n.text(maxOriginalTxt))
		case "text/html":
			parts = append(parts, htmlToText(n.text(maxHTML)))
		}
	})
	return strings.Join(parts, "\n")
}

// attachOriginal keeps the first bounced original found.
func (m *msg) attachOriginal(b *bounce, originals []*node) {
	for _, n := range originals {
		switch {
		case n.inner != nil && b.original == nil:
			b.original = n.inner
		case (n.mediaType == "text/rfc822-headers" || n.mediaType == "message/global-headers") && b.headers == nil:
			h, _ := parseHeader(decodeCTE(n.hdr.get("content-transfer-encoding"), n.body, maxDSNPart))
			b.headers = h
		}
	}
}

// originalFromText finds a bounced message quoted as text after a copy
// marker (Exim, qmail, Gmail) and parses it.
func (m *msg) originalFromText(b *bounce) {
	walk(m.root, func(n *node) {
		if b.original != nil || n.embedded > 0 || n.mediaType != "text/plain" || n.isAttachment() {
			return
		}
		raw := decodeCTE(n.hdr.get("content-transfer-encoding"), n.body, maxOriginalTxt)
		loc := copyMarkRe.FindIndex(raw)
		if loc == nil {
			return
		}
		rest := raw[loc[1]:]
		// Skip blank lines and indentation before the header.
		for len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t') {
			rest = rest[1:]
		}
		var w walker
		orig := w.parseMessage(rest, 1, 1)
		if len(orig.hdr) > 0 {
			b.original = orig
		}
	})
}

// fillFromText completes a report from its human-readable text: the
// failed address, the status code and the server's words.
func (m *msg) fillFromText(b *bounce, report, failedHdr string) {
	if b.addr == "" {
		for _, a := range addrRe.FindAllString(report, 50) {
			a = strings.ToLower(a)
			if m.ours(a) || daemonLocal(a) || a == m.from.addr || strings.Contains(a, "..") {
				continue
			}
			b.addr = a
			break
		}
	}
	if b.status == "" {
		if s := statusCodeRe.FindString(report); s != "" {
			b.status = s
		} else if c := smtpCodeRe.FindStringSubmatch(report); c != nil {
			b.status = c[1] + ".0.0"
		}
	}
	if b.diag == "" {
		for _, l := range strings.Split(report, "\n") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			if (b.status != "" && strings.Contains(l, b.status)) || smtpCodeRe.MatchString(" "+l) {
				b.diag = shorten(l, 300)
				break
			}
		}
	}
}

// ours reports whether addr is our own mailbox or one of its
// sub-addresses.
func (m *msg) ours(addr string) bool {
	if m.mailboxDomain == "" {
		return false
	}
	return domainOf(addr) == m.mailboxDomain
}

// statusCode extracts an RFC 3463 status code from a Status field.
func statusCode(s string) string {
	return statusCodeRe.FindString(s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// shorten cuts s to about n bytes at a word, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
