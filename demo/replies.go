package demo

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// The messages simulated missions write, in the shapes the real clients
// give them (see MAIL-AND-CALENDAR-NOTES.md, sections 3 to 5).
//
// They are written here by hand, deliberately not with outreach's own MIME
// composer or iCalendar writer (package ical): the demo
// plays other people's clients, and mail written by outreach's own code
// would only show that outreach reads what it writes.

type header struct{ k, v string }

type msgWriter struct {
	b bytes.Buffer
}

func (w *msgWriter) header(k, v string) {
	if needsEncoding(v) {
		v = mime.QEncoding.Encode("utf-8", v)
	}
	fmt.Fprintf(&w.b, "%s: %s\r\n", k, v)
}

func (w *msgWriter) line(s string) { w.b.WriteString(s + "\r\n") }

// inviteAttachment writes the invite.ics attachment that Gmail and
// Thunderbird add to a calendar reply, as the last part of the multipart
// delimited by boundary, and closes it.
func (w *msgWriter) inviteAttachment(boundary string, cal []byte) {
	w.line("--" + boundary)
	w.line(`Content-Type: application/ics; name="invite.ics"`)
	w.line(`Content-Disposition: attachment; filename="invite.ics"`)
	w.line("Content-Transfer-Encoding: base64")
	w.line("")
	w.b.WriteString(b64(cal))
	w.line("--" + boundary + "--")
}

func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func addr(name, email string) string {
	if name == "" {
		return "<" + email + ">"
	}
	if needsEncoding(name) {
		return mime.QEncoding.Encode("utf-8", name) + " <" + email + ">"
	}
	return fmt.Sprintf("%q <%s>", name, email)
}

func b64(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.String()
}

func qp(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// fold folds an iCalendar content line at 75 octets (RFC 5545 §3.1).
func fold(line string) string {
	if len(line) <= 75 {
		return line
	}
	var b strings.Builder
	n := 0
	for _, r := range line {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	return b.String()
}

func ics(lines []string, eol string) []byte {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(fold(l))
		b.WriteString("\r\n")
	}
	s := b.String()
	if eol != "\r\n" {
		s = strings.ReplaceAll(s, "\r\n", eol)
	}
	return []byte(s)
}

func stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// calReply is one calendar answer of a simulated mission.
type calReply struct {
	From, Name string // the attendee replying
	Organizer  string
	Event      calEvent
	PartStat   string // ACCEPTED, DECLINED, TENTATIVE
	Comment    string
	Lang       string // en, fr, es
	Now        time.Time
	MsgID      string
	Start, End time.Time // the session's slot
}

var outlookPrefix = map[string]map[string]string{
	"en": {"ACCEPTED": "Accepted: ", "DECLINED": "Declined: ", "TENTATIVE": "Tentative: "},
	"fr": {"ACCEPTED": "Accepté : ", "DECLINED": "Refusé : ", "TENTATIVE": "Provisoire : "},
	"es": {"ACCEPTED": "Aceptado: ", "DECLINED": "Rechazado: ", "TENTATIVE": "Provisional: "},
}

var langTag = map[string]string{"en": "en-GB", "fr": "fr-CH", "es": "es-ES"}

func (c calReply) common(w *msgWriter, subject string) {
	w.header("From", addr(c.Name, c.From))
	w.header("To", addr("UPR Pre-sessions", c.Organizer))
	w.header("Subject", subject)
	w.header("Date", c.Now.Format(time.RFC1123Z))
	w.header("Message-ID", c.MsgID)
	w.header("MIME-Version", "1.0")
}

// outlook writes an Exchange/Outlook reply: no ORGANIZER, Windows time
// zone names, a localized SUMMARY prefix, base64 calendar with LF endings,
// multipart/alternative.
func (c calReply) outlook() []byte {
	subject := outlookPrefix[c.Lang][c.PartStat] + c.Event.Summary
	lines := []string{"BEGIN:VCALENDAR", "METHOD:REPLY", "PRODID:Microsoft Exchange Server 2010", "VERSION:2.0",
		"BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time",
		"BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
		"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
		"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT", "END:VTIMEZONE",
		"BEGIN:VEVENT",
		fmt.Sprintf("ATTENDEE;PARTSTAT=%s;CN=%s:mailto:%s", c.PartStat, c.Name, c.From)}
	if c.Comment != "" {
		lines = append(lines, fmt.Sprintf("COMMENT;LANGUAGE=%s:%s\\n", langTag[c.Lang], escapeText(c.Comment)))
	}
	loc := c.Start.Location()
	lines = append(lines,
		fmt.Sprintf("SUMMARY;LANGUAGE=%s:%s", langTag[c.Lang], escapeText(subject)),
		"DTSTART;TZID=W. Europe Standard Time:"+c.Start.In(loc).Format("20060102T150405"),
		"DTEND;TZID=W. Europe Standard Time:"+c.End.In(loc).Format("20060102T150405"),
		"UID:"+c.Event.UID, "CLASS:PUBLIC", "PRIORITY:5", "DTSTAMP:"+stamp(c.Now), "TRANSP:OPAQUE",
		"STATUS:CONFIRMED", fmt.Sprintf("SEQUENCE:%d", c.Event.Sequence),
		fmt.Sprintf("LOCATION;LANGUAGE=%s:%s", langTag[c.Lang], escapeText(c.Event.Location)),
		fmt.Sprintf("X-MICROSOFT-CDO-APPT-SEQUENCE:%d", c.Event.Sequence),
		"X-MICROSOFT-CDO-OWNERAPPTID:-1811235437", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
		"X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY", "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
		"X-MICROSOFT-CDO-IMPORTANCE:1", "X-MICROSOFT-CDO-INSTTYPE:0",
		"END:VEVENT", "END:VCALENDAR")
	cal := ics(lines, "\n")
	var w msgWriter
	c.common(&w, subject)
	w.header("Thread-Topic", c.Event.Summary)
	w.header("Thread-Index", "AdNBx2v0"+strings.ToUpper(fmt.Sprintf("%x", c.Now.Unix()))+"==")
	w.header("Content-Language", langTag[c.Lang])
	w.header("X-MS-Has-Attach", "")
	w.header("X-MS-TNEF-Correlator", "")
	w.header("X-MS-Exchange-Organization-SCL", "-1")
	w.header("Content-Type", `multipart/alternative; boundary="_000_outlook_"`)
	w.line("")
	body := c.Comment
	w.line("--_000_outlook_")
	w.line(`Content-Type: text/plain; charset="utf-8"`)
	w.line("Content-Transfer-Encoding: base64")
	w.line("")
	w.b.WriteString(b64([]byte(body + "\r\n")))
	w.line("")
	w.line("--_000_outlook_")
	w.line(`Content-Type: text/html; charset="utf-8"`)
	w.line("Content-Transfer-Encoding: base64")
	w.line("")
	w.b.WriteString(b64([]byte(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div>` +
		htmlEscape(body) + "</div></body></html>\r\n")))
	w.line("")
	w.line("--_000_outlook_")
	w.line(`Content-Type: text/calendar; charset="utf-8"; method=REPLY`)
	w.line("Content-Transfer-Encoding: base64")
	w.line("")
	w.b.WriteString(b64(cal))
	w.line("")
	w.line("--_000_outlook_--")
	return w.b.Bytes()
}

// gmail writes a Google Calendar reply: the event repeated in UTC with
// ORGANIZER, a note in X-RESPONSE-COMMENT, multipart/mixed with an
// invite.ics attachment.
func (c calReply) gmail() []byte {
	verbs := map[string]string{"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentatively Accepted"}
	when := c.Start.Format("Mon Jan 2, 2006 3pm") + " - " + c.End.Format("3pm") + " (CEST)"
	subject := fmt.Sprintf("%s: %s @ %s (%s)", verbs[c.PartStat], c.Event.Summary, when, c.From)
	att := fmt.Sprintf("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=%s;CN=%s;X-NUM-GUESTS=0", c.PartStat, c.From)
	if c.Comment != "" {
		att += fmt.Sprintf(";X-RESPONSE-COMMENT=%q", strings.ReplaceAll(c.Comment, `"`, "'"))
	}
	cal := ics([]string{"BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
		"CALSCALE:GREGORIAN", "METHOD:REPLY", "BEGIN:VEVENT",
		"DTSTART:" + stamp(c.Start), "DTEND:" + stamp(c.End), "DTSTAMP:" + stamp(c.Now),
		"ORGANIZER;CN=UPR Pre-sessions:mailto:" + c.Organizer, "UID:" + c.Event.UID,
		att + ":mailto:" + c.From,
		"CREATED:" + stamp(c.Now.Add(-time.Hour)), "DESCRIPTION:", "LAST-MODIFIED:" + stamp(c.Now),
		"LOCATION:" + escapeText(c.Event.Location), fmt.Sprintf("SEQUENCE:%d", c.Event.Sequence),
		"STATUS:CONFIRMED", "SUMMARY:" + escapeText(c.Event.Summary), "TRANSP:OPAQUE",
		"END:VEVENT", "END:VCALENDAR"}, "\r\n")
	says := map[string]string{"ACCEPTED": "has accepted this invitation.", "DECLINED": "has declined this invitation.",
		"TENTATIVE": "has tentatively accepted this invitation."}[c.PartStat]
	var w msgWriter
	c.common(&w, subject)
	w.header("Content-Type", `multipart/mixed; boundary="000000000000a1b2c3"`)
	w.line("")
	w.line("--000000000000a1b2c3")
	w.line(`Content-Type: multipart/alternative; boundary="000000000000a1b2c4"`)
	w.line("")
	w.line("--000000000000a1b2c4")
	w.line(`Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes`)
	w.line("")
	w.line(c.From + " " + says)
	if c.Comment != "" {
		w.line("")
		w.line(c.Comment)
	}
	w.line("")
	w.line("--000000000000a1b2c4")
	w.line(`Content-Type: text/html; charset="UTF-8"`)
	w.line("Content-Transfer-Encoding: quoted-printable")
	w.line("")
	w.line(qp(`<span itemscope itemtype="http://schema.org/InformAction"><span style="display:none">` +
		htmlEscape(c.From) + " " + says + "</span></span>"))
	w.line("")
	w.line("--000000000000a1b2c4")
	w.line(`Content-Type: text/calendar; charset="UTF-8"; method=REPLY`)
	w.line("Content-Transfer-Encoding: 7bit")
	w.line("")
	w.b.Write(cal)
	w.line("--000000000000a1b2c4--")
	w.inviteAttachment("000000000000a1b2c3", cal)
	return w.b.Bytes()
}

// apple writes an Apple Calendar reply: no method parameter, the
// calendar quoted-printable in a nested multipart/mixed, Europe/Zurich
// times with a VTIMEZONE.
func (c calReply) apple() []byte {
	verbs := map[string]string{"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentatively accepted"}
	subject := "Event " + verbs[c.PartStat] + ": " + c.Event.Summary
	loc := c.Start.Location()
	cal := ics([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apple Inc.//macOS 13.4//EN", "METHOD:REPLY",
		"CALSCALE:GREGORIAN", "BEGIN:VTIMEZONE", "TZID:Europe/Zurich",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "DTSTART:19810329T020000",
		"TZNAME:CEST", "TZOFFSETTO:+0200", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "DTSTART:19961027T030000",
		"TZNAME:CET", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VEVENT",
		fmt.Sprintf(`ATTENDEE;CN="%s";CUTYPE=INDIVIDUAL;PARTSTAT=%s;ROLE=REQ-PARTICIPANT:mailto:%s`, c.From, c.PartStat, c.From),
		"DTEND;TZID=Europe/Zurich:" + c.End.In(loc).Format("20060102T150405"),
		"TRANSP:OPAQUE", `ORGANIZER;CN="UPR Pre-sessions":mailto:` + c.Organizer,
		"UID:" + c.Event.UID, "DTSTAMP:" + stamp(c.Now),
		"LOCATION:" + escapeText(c.Event.Location),
		fmt.Sprintf("SEQUENCE:%d", c.Event.Sequence), "SUMMARY:" + escapeText(c.Event.Summary),
		"DTSTART;TZID=Europe/Zurich:" + c.Start.In(loc).Format("20060102T150405"),
		"END:VEVENT", "END:VCALENDAR"}, "\r\n")
	var w msgWriter
	c.common(&w, subject)
	w.header("X-Mailer", "Apple Mail (2.3731.500.231)")
	w.header("X-Mail-Calendar-Part", "Yes")
	w.header("Content-Type", `multipart/alternative; boundary="Apple-Mail=_A1"`)
	w.line("")
	w.line("--Apple-Mail=_A1")
	w.line(`Content-Type: text/plain; charset=us-ascii`)
	w.line("Content-Transfer-Encoding: 7bit")
	w.line("")
	w.line("Event " + verbs[c.PartStat])
	w.line("")
	w.line("--Apple-Mail=_A1")
	w.line(`Content-Type: multipart/mixed; boundary="Apple-Mail=_A2"`)
	w.line("")
	w.line("--Apple-Mail=_A2")
	w.line(`Content-Type: text/html; charset=us-ascii`)
	w.line("")
	w.line("<html><body>Event " + verbs[c.PartStat] + "</body></html>")
	w.line("--Apple-Mail=_A2")
	name := "iCal-" + c.Now.UTC().Format("20060102-150405") + ".ics"
	w.line(`Content-Type: text/calendar; name="` + name + `"`)
	w.line(`Content-Disposition: attachment; filename="` + name + `"`)
	w.line("Content-Transfer-Encoding: quoted-printable")
	w.line("")
	w.line(qp(string(cal)))
	w.line("--Apple-Mail=_A2--")
	w.line("--Apple-Mail=_A1--")
	return w.b.Bytes()
}

var thunderbirdPrefix = map[string]map[string]string{
	"en": {"ACCEPTED": "Accepted: ", "DECLINED": "Invitation Declined: ", "TENTATIVE": "Tentative: "},
	"fr": {"ACCEPTED": "Acceptée : ", "DECLINED": "Invitation refusée : ", "TENTATIVE": "Proposée : "},
	"es": {"ACCEPTED": "Aceptado: ", "DECLINED": "Invitación declinada: ", "TENTATIVE": "Provisional: "},
}

// thunderbird writes a Thunderbird reply: a full copy of the event with
// only the replying attendee, 8bit, plus invite.ics; no threading headers.
func (c calReply) thunderbird() []byte {
	subject := thunderbirdPrefix[c.Lang][c.PartStat] + c.Event.Summary
	loc := c.Start.Location()
	cal := ics([]string{"BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", "VERSION:2.0",
		"METHOD:REPLY", "BEGIN:VTIMEZONE", "TZID:Europe/Zurich",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
		"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
		"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VEVENT", "CREATED:" + stamp(c.Now), "LAST-MODIFIED:" + stamp(c.Now), "DTSTAMP:" + stamp(c.Now),
		"UID:" + c.Event.UID, "SUMMARY:" + escapeText(c.Event.Summary),
		"ORGANIZER;CN=UPR Pre-sessions:mailto:" + c.Organizer,
		fmt.Sprintf("ATTENDEE;RSVP=TRUE;CN=%s;PARTSTAT=%s;ROLE=REQ-PARTICIPANT:mailto:%s", c.Name, c.PartStat, c.From),
		"DTSTART;TZID=Europe/Zurich:" + c.Start.In(loc).Format("20060102T150405"),
		"DTEND;TZID=Europe/Zurich:" + c.End.In(loc).Format("20060102T150405"),
		"LOCATION:" + escapeText(c.Event.Location), fmt.Sprintf("SEQUENCE:%d", c.Event.Sequence),
		"END:VEVENT", "END:VCALENDAR"}, "\r\n")
	says := map[string]string{"ACCEPTED": "has accepted your event invitation.", "DECLINED": "has declined your event invitation.",
		"TENTATIVE": "has accepted your event invitation tentatively."}[c.PartStat]
	var w msgWriter
	c.common(&w, subject)
	w.header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.3.1")
	w.header("Content-Type", `multipart/mixed; boundary="------------tb01"`)
	w.line("")
	w.line("This is a multi-part message in MIME format.")
	w.line("--------------tb01")
	w.line(`Content-Type: multipart/alternative; boundary="------------tb02"`)
	w.line("")
	w.line("--------------tb02")
	w.line("Content-Type: text/plain; charset=UTF-8")
	w.line("Content-Transfer-Encoding: 8bit")
	w.line("")
	w.line(c.Name + " " + says)
	w.line("--------------tb02")
	w.line("Content-Type: text/calendar; method=REPLY; charset=UTF-8")
	w.line("Content-Transfer-Encoding: 8bit")
	w.line("")
	w.b.Write(cal)
	w.line("")
	w.line("--------------tb02--")
	w.inviteAttachment("------------tb01", cal)
	return w.b.Bytes()
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\n", "<br>").Replace(s)
}

// textMail is a plain e-mail: a letter, an automatic reply, a notice.
type textMail struct {
	From, FromName, To, Subject, MsgID, InReplyTo string
	Now                                           time.Time
	Headers                                       []header
	Body                                          string
	Charset                                       string // utf-8 (default) or windows-1252 / iso-8859-1 when the text fits
}

func (m textMail) bytes() []byte {
	var w msgWriter
	for _, h := range m.Headers {
		if h.k == "Return-Path" {
			w.header(h.k, h.v)
		}
	}
	w.header("From", addr(m.FromName, m.From))
	w.header("To", m.To)
	w.header("Subject", m.Subject)
	w.header("Date", m.Now.Format(time.RFC1123Z))
	w.header("Message-ID", m.MsgID)
	if m.InReplyTo != "" {
		w.header("In-Reply-To", m.InReplyTo)
		w.header("References", m.InReplyTo)
	}
	for _, h := range m.Headers {
		if h.k != "Return-Path" {
			w.header(h.k, h.v)
		}
	}
	w.header("MIME-Version", "1.0")
	body := strings.ReplaceAll(m.Body, "\n", "\r\n")
	if cs := m.Charset; cs == "iso-8859-1" || cs == "windows-1252" {
		if latin, ok := toLatin1(body); ok {
			w.header("Content-Type", "text/plain; charset="+cs)
			w.header("Content-Transfer-Encoding", "quoted-printable")
			w.line("")
			var b bytes.Buffer
			q := quotedprintable.NewWriter(&b)
			q.Write(latin)
			q.Close()
			w.b.Write(b.Bytes())
			w.line("")
			return w.b.Bytes()
		}
	}
	w.header("Content-Type", `text/plain; charset="utf-8"`)
	w.header("Content-Transfer-Encoding", "quoted-printable")
	w.line("")
	w.line(qp(body))
	return w.b.Bytes()
}

func toLatin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}
