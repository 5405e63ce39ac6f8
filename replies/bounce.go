package replies

import (
	"outreach/message"
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
	original *message.Part
	headers  message.Header
	how      string // who reported, for staff
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
		if m.hdr.Has("x-ms-exchange-message-is-ndr") {
			b.how = "Exchange non-delivery report"
		}
		m.attachOriginal(b, originals)
		rs := message.ParseDSN(message.ToUTF8(message.DecodeCTE(ds.Header.Get("content-transfer-encoding"), ds.Body, maxDSNPart), ds.Params["charset"]))
		b.fromRecipients(rs)
		m.fillFromText(b, m.reportText(), "")
		return b, true
	}
	if mt := m.root.MediaType; mt == "multipart/report" && strings.EqualFold(m.root.Params["report-type"], "delivery-status") {
		b := &bounce{how: "delivery report without a status part"}
		m.attachOriginal(b, originals)
		m.fillFromText(b, m.reportText(), "")
		return b, true
	}
	return m.nonStandardBounce(originals)
}

// reportParts returns the message's own first delivery-status part, and
// the parts that may be the bounced original or its headers.
func (m *msg) reportParts() (ds *message.Part, originals []*message.Part) {
	message.Walk(m.root, func(n *message.Part) {
		if n.Embedded > 0 {
			return
		}
		switch n.MediaType {
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
func (b *bounce) fromRecipients(rs []message.DSNRecipient) {
	var failed, delayed, delivered []message.DSNRecipient
	for _, r := range rs {
		st := statusCode(r.Status)
		switch {
		case r.Action == "failed" || (r.Action == "" && strings.HasPrefix(st, "5")):
			failed = append(failed, r)
		case r.Action == "delayed" || (r.Action == "" && strings.HasPrefix(st, "4")):
			delayed = append(delayed, r)
		case r.Action == "delivered" || r.Action == "relayed" || r.Action == "expanded":
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
	b.addr = r.Final
	if b.addr == "" {
		b.addr = r.Original
	}
	b.status, b.diag, b.retry = statusCode(r.Status), shorten(r.Diagnostic, 300), r.Retry
	for _, o := range pick[1:] {
		if a := firstNonEmpty(o.Final, o.Original); a != "" && a != b.addr && !slices.Contains(b.others, a) {
			b.others = append(b.others, a)
		}
	}
}

// nonStandardBounce recognises the bounces of Exchange, Gmail, Exim,
// qmail and Postfix that carry no RFC 3464 status part.
func (m *msg) nonStandardBounce(originals []*message.Part) (*bounce, bool) {
	failedHdr := m.hdr.Get("x-failed-recipients")
	isNDR := m.hdr.Has("x-ms-exchange-message-is-ndr")
	fromDaemon := daemonLocal(m.from.Addr) || strings.TrimSpace(m.hdr.Get("return-path")) == "<>"
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
	case strings.Contains(strings.ToLower(m.from.Addr), "google"):
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
		if a = message.DSNAddress(a); a != "" {
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
	message.Walk(m.root, func(n *message.Part) {
		if n.Embedded > 0 || n.IsMultipart() || n.IsAttachment() {
			return
		}
		switch n.MediaType {
		case "text/plain":
			parts = append(parts, n.Text(maxOriginalTxt))
		case "text/html":
			parts = append(parts, htmlLetter(n.Text(message.MaxHTML)))
		}
	})
	return strings.Join(parts, "\n")
}

// attachOriginal keeps the first bounced original found.
func (m *msg) attachOriginal(b *bounce, originals []*message.Part) {
	for _, n := range originals {
		switch {
		case n.Inner != nil && b.original == nil:
			b.original = n.Inner
		case (n.MediaType == "text/rfc822-headers" || n.MediaType == "message/global-headers") && b.headers == nil:
			h, _ := message.ParseHeader(message.DecodeCTE(n.Header.Get("content-transfer-encoding"), n.Body, maxDSNPart))
			b.headers = h
		}
	}
}

// originalFromText finds a bounced message quoted as text after a copy
// marker (Exim, qmail, Gmail) and parses it.
func (m *msg) originalFromText(b *bounce) {
	message.Walk(m.root, func(n *message.Part) {
		if b.original != nil || n.Embedded > 0 || n.MediaType != "text/plain" || n.IsAttachment() {
			return
		}
		raw := message.DecodeCTE(n.Header.Get("content-transfer-encoding"), n.Body, maxOriginalTxt)
		loc := copyMarkRe.FindIndex(raw)
		if loc == nil {
			return
		}
		rest := raw[loc[1]:]
		// Skip blank lines and indentation before the header.
		for len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t') {
			rest = rest[1:]
		}
		var w message.Walker
		orig := w.ParseMessage(rest, 1, 1)
		if len(orig.Header) > 0 {
			b.original = orig
		}
	})
}

// fillFromText completes a report from its human-readable text: the
// failed address, the status code and the server's words.
func (m *msg) fillFromText(b *bounce, report, failedHdr string) {
	if b.addr == "" {
		for _, a := range message.FindAddresses(report, 50) {
			a = strings.ToLower(a)
			if m.ours(a) || daemonLocal(a) || a == m.from.Addr || strings.Contains(a, "..") {
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
	return message.DomainOf(addr) == m.mailboxDomain
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
