package ical

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks data strictly against what this project promises to send
// (RFC 5545, RFC 5546 §3.2, RFC 6868) and returns every problem found, joined
// with errors.Join, or nil. It checks:
//   - CRLF line endings only, every physical line at most 75 octets, valid
//     UTF-8 that no fold splits, no empty lines;
//   - balanced BEGIN/END, exactly one VCALENDAR with PRODID, VERSION:2.0 and
//     exactly one METHOD, holding only VTIMEZONE and VEVENT components;
//   - one UID shared by all VEVENTs (PUBLISH may hold many UIDs, each once);
//   - the properties RFC 5546 §3.2 requires for the method (REQUEST:
//     ATTENDEE, DTSTAMP, DTSTART, ORGANIZER, SUMMARY, UID; CANCEL: ATTENDEE,
//     DTSTAMP, ORGANIZER, SEQUENCE, UID and STATUS:CANCELLED; PUBLISH:
//     DTSTAMP, DTSTART, ORGANIZER, SUMMARY, UID and no ATTENDEE; REPLY,
//     COUNTER, REFRESH, ADD and DECLINECOUNTER likewise), at most one of each
//     single property;
//   - DTSTAMP in UTC, no floating DTSTART/DTEND, DTEND after DTSTART, a
//     VTIMEZONE for every TZID used, mailto: addresses;
//   - parameter values holding : ; , DQUOTE-d (an unquoted comma shows up as
//     a second value of a single-valued parameter such as CN), no DQUOTE or
//     backslash escape in parameter values, correctly escaped TEXT values.
func Validate(data []byte) error {
	v := &validator{}
	v.physical(data)
	if len(data) == 0 {
		return v.result()
	}
	doc, err := parse(data)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("ical: %w", err))
		return v.result()
	}
	v.document(doc)
	return v.result()
}

// maxProblems bounds how many problems Validate lists.
const maxProblems = 100

type validator struct {
	errs []error
}

func (v *validator) addf(num int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if num > 0 {
		v.errs = append(v.errs, fmt.Errorf("ical: line %d: %s", num, msg))
		return
	}
	v.errs = append(v.errs, fmt.Errorf("ical: %s", msg))
}

func (v *validator) result() error {
	if len(v.errs) > maxProblems {
		more := len(v.errs) - maxProblems
		v.errs = append(v.errs[:maxProblems], fmt.Errorf("ical: %d more problems", more))
	}
	return errors.Join(v.errs...)
}

// physical checks line endings, line lengths and UTF-8, line by line. Each
// kind of problem is reported once, at its first line, with a count.
func (v *validator) physical(data []byte) {
	if len(data) == 0 {
		v.addf(0, "empty input")
		return
	}
	if len(data) > maxInputOctets {
		return // parse reports it
	}
	type tally struct{ first, count int }
	var order []string
	seen := map[string]*tally{}
	note := func(num int, msg string) {
		t, ok := seen[msg]
		if !ok {
			t = &tally{first: num}
			seen[msg] = t
			order = append(order, msg)
		}
		t.count++
	}
	num := 0
	for rest := data; len(rest) > 0 && num < maxPhysicalLines; {
		num++
		var l []byte
		if i := bytes.IndexByte(rest, '\n'); i < 0 {
			l, rest = rest, nil
			note(num, "does not end in CRLF")
		} else {
			l, rest = rest[:i], rest[i+1:]
			if len(l) == 0 || l[len(l)-1] != '\r' {
				note(num, "ends in LF without CR")
			} else {
				l = l[:len(l)-1]
			}
		}
		if bytes.IndexByte(l, '\r') >= 0 {
			note(num, "holds a bare CR")
		}
		if len(l) > maxLineOctets {
			note(num, fmt.Sprintf("is longer than %d octets", maxLineOctets))
		}
		if len(l) == 0 {
			note(num, "is empty")
		}
		if !utf8.Valid(l) {
			if splitByFold(l) {
				note(num, "a fold splits a UTF-8 sequence")
			} else {
				note(num, "is not valid UTF-8")
			}
		}
	}
	for _, msg := range order {
		t := seen[msg]
		if t.count == 1 {
			v.addf(t.first, "%s", msg)
		} else {
			v.addf(t.first, "%s (and %d more lines)", msg, t.count-1)
		}
	}
}

// splitByFold reports whether an invalid physical line is invalid only at
// its ends: a multi-byte sequence cut short at the end, or continuation
// bytes right after the fold's leading white space.
func splitByFold(l []byte) bool {
	body, trimmed := l, false
	if len(body) > 0 && (body[0] == ' ' || body[0] == '\t') {
		i := 1
		for i < len(body) && i < 4 && body[i]&0xC0 == 0x80 {
			i++
		}
		body, trimmed = body[i:], i > 1
	}
	for k := 1; k <= 3 && k <= len(body); k++ {
		if tail := body[len(body)-k:]; utf8.RuneStart(tail[0]) {
			if !utf8.FullRune(tail) {
				body, trimmed = body[:len(body)-k], true
			}
			break
		}
	}
	return trimmed && utf8.Valid(body)
}

func (v *validator) document(doc *document) {
	for _, p := range doc.stray {
		v.addf(p.num, "%s outside BEGIN:VCALENDAR", p.name)
	}
	var cals []*component
	for _, c := range doc.top {
		if c.name == "VCALENDAR" {
			cals = append(cals, c)
			continue
		}
		v.addf(c.num, "BEGIN:%s outside BEGIN:VCALENDAR", c.name)
	}
	switch len(cals) {
	case 0:
		v.addf(0, "no VCALENDAR")
	case 1:
	default:
		v.addf(cals[1].num, "a second VCALENDAR; an object holds exactly one")
	}
	for _, c := range cals {
		v.calendar(c)
	}
}

var knownMethods = []string{"PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER"}

func (v *validator) calendar(c *component) {
	for _, name := range []string{"PRODID", "VERSION", "METHOD"} {
		if n := len(c.all(name)); n != 1 {
			v.addf(c.num, "VCALENDAR needs exactly one %s, has %d", name, n)
		}
	}
	if n := len(c.all("CALSCALE")); n > 1 {
		v.addf(c.num, "VCALENDAR has %d CALSCALE", n)
	}
	if p, ok := c.first("VERSION"); ok && strings.TrimSpace(p.value) != "2.0" {
		v.addf(p.num, "VERSION is %q, not 2.0", p.value)
	}
	if p, ok := c.first("CALSCALE"); ok && !strings.EqualFold(strings.TrimSpace(p.value), "GREGORIAN") {
		v.addf(p.num, "CALSCALE is %q, not GREGORIAN", p.value)
	}
	method := ""
	if p, ok := c.first("METHOD"); ok {
		method = strings.ToUpper(strings.TrimSpace(p.value))
		if !slices.Contains(knownMethods, method) {
			v.addf(p.num, "METHOD %q is not an RFC 5546 method", p.value)
		}
	}

	zones := map[string]bool{}
	var events []*component
	for _, s := range c.subs {
		switch s.name {
		case "VTIMEZONE":
			v.timezone(s, zones)
		case "VEVENT":
			events = append(events, s)
		default:
			v.addf(s.num, "BEGIN:%s: an object of this project holds only VTIMEZONE and VEVENT", s.name)
		}
	}
	if len(events) == 0 {
		v.addf(c.num, "VCALENDAR has no VEVENT")
	}
	firstUID := ""
	seen := map[string]int{}
	for _, ev := range events {
		v.event(ev, method)
		uidp, ok := ev.first("UID")
		if !ok {
			continue
		}
		uid := unescapeText(uidp.value)
		rid := ""
		if p, ok := ev.first("RECURRENCE-ID"); ok {
			rid = rawDateTime(p)
		}
		switch {
		case method == "PUBLISH":
			key := uid + "\x00" + rid
			if line, dup := seen[key]; dup {
				v.addf(uidp.num, "UID %q already used at line %d", uid, line)
			}
			seen[key] = uidp.num
		case firstUID == "":
			firstUID = uid
		case uid != firstUID:
			v.addf(uidp.num, "UID %q differs from %q; a %s object holds one UID", uid, firstUID, method)
		}
	}
	walk(c, func(p prop) {
		v.params(p)
		v.value(p)
		if tz, ok := p.param("TZID"); ok && !zones[tz] {
			v.addf(p.num, "%s uses TZID %q with no VTIMEZONE for it", p.name, tz)
		}
	})
}

// walk calls fn for every property of c and of its components, in order.
func walk(c *component, fn func(prop)) {
	for _, p := range c.props {
		fn(p)
	}
	for _, s := range c.subs {
		walk(s, fn)
	}
}

var (
	reLocal    = regexp.MustCompile(`^\d{8}T\d{6}$`)
	reDateTime = regexp.MustCompile(`^\d{8}T\d{6}Z?$`)
	reUTC      = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	reDate     = regexp.MustCompile(`^\d{8}$`)
	reOffset   = regexp.MustCompile(`^[+-]\d{4}(\d{2})?$`)
	reUntil    = regexp.MustCompile(`(?i)(^|;)UNTIL=([^;]*)`)
)

func (v *validator) timezone(z *component, zones map[string]bool) {
	tzids := z.all("TZID")
	if len(tzids) != 1 {
		v.addf(z.num, "VTIMEZONE needs exactly one TZID, has %d", len(tzids))
	}
	if len(tzids) > 0 {
		id := unescapeText(tzids[0].value)
		if zones[id] {
			v.addf(tzids[0].num, "a second VTIMEZONE for %q", id)
		}
		zones[id] = true
	}
	n := 0
	for _, o := range z.subs {
		if o.name != "STANDARD" && o.name != "DAYLIGHT" {
			v.addf(o.num, "BEGIN:%s inside VTIMEZONE", o.name)
			continue
		}
		n++
		for _, name := range []string{"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} {
			if k := len(o.all(name)); k != 1 {
				v.addf(o.num, "%s needs exactly one %s, has %d", o.name, name, k)
			}
		}
		if p, ok := o.first("DTSTART"); ok && !validLocal(p.value) {
			v.addf(p.num, "%s DTSTART %q is not a local date-time", o.name, p.value)
		}
		for _, name := range []string{"TZOFFSETFROM", "TZOFFSETTO"} {
			if p, ok := o.first(name); ok && (!reOffset.MatchString(p.value) || strings.Trim(p.value, "-0") == "" && p.value[0] == '-') {
				v.addf(p.num, "%s %q is not a UTC offset like +0200", name, p.value)
			}
		}
		if rr := o.all("RRULE"); len(rr) > 1 {
			v.addf(o.num, "%s has %d RRULEs", o.name, len(rr))
		}
		for _, p := range o.all("RRULE") {
			if !strings.Contains(strings.ToUpper(p.value), "FREQ=") {
				v.addf(p.num, "RRULE %q has no FREQ", p.value)
			}
			if m := reUntil.FindStringSubmatch(p.value); m != nil && !reUTC.MatchString(m[2]) {
				v.addf(p.num, "RRULE UNTIL %q in a VTIMEZONE must be UTC", m[2])
			}
		}
	}
	if n == 0 {
		v.addf(z.num, "VTIMEZONE has no STANDARD or DAYLIGHT")
	}
}

func validLocal(s string) bool {
	if !reLocal.MatchString(s) {
		return false
	}
	_, err := time.Parse(localLayout, s)
	return err == nil
}

// required lists, per method, the VEVENT properties RFC 5546 §3.2 requires.
var required = map[string][]string{
	"REQUEST":        {"ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"},
	"CANCEL":         {"ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID", "STATUS"},
	"PUBLISH":        {"DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"},
	"REPLY":          {"ATTENDEE", "DTSTAMP", "ORGANIZER", "UID"},
	"COUNTER":        {"DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"},
	"REFRESH":        {"ATTENDEE", "DTSTAMP", "ORGANIZER", "UID"},
	"ADD":            {"DTSTAMP", "DTSTART", "ORGANIZER", "SEQUENCE", "SUMMARY", "UID"},
	"DECLINECOUNTER": {"DTSTAMP", "ORGANIZER", "UID"},
}

// singles are VEVENT properties that may appear at most once (RFC 5545
// §3.6.1).
var singles = []string{"UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SEQUENCE", "STATUS", "SUMMARY",
	"ORGANIZER", "LOCATION", "DESCRIPTION", "TRANSP", "URL", "CLASS", "CREATED", "LAST-MODIFIED",
	"PRIORITY", "RECURRENCE-ID", "GEO"}

func (v *validator) event(ev *component, method string) {
	for _, name := range singles {
		if n := len(ev.all(name)); n > 1 {
			v.addf(ev.num, "VEVENT has %d %s; at most one is allowed", n, name)
		}
	}
	req, ok := required[method]
	if !ok {
		req = []string{"DTSTAMP", "UID"} // RFC 5545 §3.6.1
	}
	for _, name := range req {
		if _, ok := ev.first(name); !ok {
			v.addf(ev.num, "VEVENT has no %s (required in %s)", name, orDefault(method, "any VEVENT"))
		}
	}
	attendees := ev.all("ATTENDEE")
	switch method {
	case "PUBLISH":
		for _, a := range attendees {
			v.addf(a.num, "ATTENDEE in a PUBLISH object (RFC 5546 §3.2.1 forbids it)")
		}
	case "REPLY", "REFRESH":
		if len(attendees) > 1 {
			v.addf(ev.num, "%s has %d ATTENDEEs; it must have exactly one", method, len(attendees))
		}
	}
	if _, ok := ev.first("DTEND"); ok {
		if _, ok := ev.first("DURATION"); ok {
			v.addf(ev.num, "VEVENT has both DTEND and DURATION")
		}
	}
	if p, ok := ev.first("DTSTAMP"); ok && (!reUTC.MatchString(p.value) || !validLocal(strings.TrimSuffix(p.value, "Z"))) {
		v.addf(p.num, "DTSTAMP %q is not a UTC date-time like 20171001T080000Z", p.value)
	}
	for _, name := range []string{"DTSTART", "DTEND", "RECURRENCE-ID"} {
		if p, ok := ev.first(name); ok {
			v.dateTime(p)
		}
	}
	if s, ok := ev.first("DTSTART"); ok {
		if e, ok := ev.first("DTEND"); ok && comparable(s, e) && e.value <= s.value {
			v.addf(e.num, "DTEND %s is not after DTSTART %s", e.value, s.value)
		}
	}
	if p, ok := ev.first("SEQUENCE"); ok {
		if n, err := strconv.Atoi(p.value); err != nil || n < 0 || strings.HasPrefix(p.value, "+") {
			v.addf(p.num, "SEQUENCE %q is not a non-negative integer", p.value)
		}
	}
	status := ""
	if p, ok := ev.first("STATUS"); ok {
		status = strings.ToUpper(p.value)
		if status != "TENTATIVE" && status != "CONFIRMED" && status != "CANCELLED" {
			v.addf(p.num, "STATUS %q is not TENTATIVE, CONFIRMED or CANCELLED", p.value)
		}
	}
	if method == "CANCEL" && status != "" && status != "CANCELLED" {
		v.addf(ev.num, "CANCEL with STATUS:%s; it must be STATUS:CANCELLED", status)
	}
	for _, name := range []string{"ORGANIZER", "ATTENDEE"} {
		for _, p := range ev.all(name) {
			v.calAddress(p)
		}
	}
	for _, a := range attendees {
		v.attendeeParams(a)
	}
	for _, s := range ev.subs {
		if s.name != "VALARM" {
			v.addf(s.num, "BEGIN:%s inside VEVENT", s.name)
		}
	}
}

// comparable reports whether two date-times can be compared as strings:
// same form and same TZID.
func comparable(a, b prop) bool {
	ta, _ := a.param("TZID")
	tb, _ := b.param("TZID")
	return ta == tb && len(a.value) == len(b.value) &&
		strings.HasSuffix(a.value, "Z") == strings.HasSuffix(b.value, "Z")
}

func (v *validator) dateTime(p prop) {
	tz, hasTZ := p.param("TZID")
	if vt, _ := p.param("VALUE"); strings.EqualFold(vt, "DATE") {
		if !reDate.MatchString(p.value) {
			v.addf(p.num, "%s %q is not a DATE", p.name, p.value)
		}
		return
	}
	if !reDateTime.MatchString(p.value) || !validLocal(strings.TrimSuffix(p.value, "Z")) {
		v.addf(p.num, "%s %q is not a DATE-TIME", p.name, p.value)
		return
	}
	utc := strings.HasSuffix(p.value, "Z")
	switch {
	case utc && hasTZ:
		v.addf(p.num, "%s is in UTC but has TZID=%s", p.name, tz)
	case !utc && !hasTZ:
		v.addf(p.num, "%s %s is a floating time; give a TZID or UTC", p.name, p.value)
	}
}

func (v *validator) calAddress(p prop) {
	email, ok := cutMailto(p.value)
	if !ok {
		v.addf(p.num, "%s %q is not a mailto: address", p.name, abbreviate(p.value))
		return
	}
	if checkEmail(email) != nil || strings.TrimSpace(email) != email {
		v.addf(p.num, "%s %q is not a valid email address", p.name, abbreviate(p.value))
	}
}

// attendeeValues lists the values RFC 5545 §3.2 allows for ATTENDEE
// parameters (X- values aside).
var attendeeValues = []struct {
	param  string
	values []string
}{
	{"PARTSTAT", []string{"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"}},
	{"ROLE", []string{"CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"}},
	{"RSVP", []string{"TRUE", "FALSE"}},
	{"CUTYPE", []string{"INDIVIDUAL", "GROUP", "RESOURCE", "ROOM", "UNKNOWN"}},
}

func (v *validator) attendeeParams(a prop) {
	for _, av := range attendeeValues {
		val, ok := a.param(av.param)
		if up := strings.ToUpper(val); ok && !slices.Contains(av.values, up) && !strings.HasPrefix(up, "X-") {
			v.addf(a.num, "ATTENDEE %s=%q is not one of %s", av.param, val, strings.Join(av.values, ", "))
		}
	}
}

// multiValued are the parameters RFC 5545 lets hold a comma-separated list.
var multiValued = []string{"MEMBER", "DELEGATED-TO", "DELEGATED-FROM"}

func (v *validator) params(p prop) {
	for _, q := range p.params {
		if len(q.values) > 1 && !slices.Contains(multiValued, q.name) {
			v.addf(p.num, "%s parameter %s has %d values (%q); a value holding ',' must be DQUOTE-d",
				p.name, q.name, len(q.values), strings.Join(q.raw, ","))
		}
		for i, raw := range q.raw {
			if hasControl(raw) {
				v.addf(p.num, "%s parameter %s holds a control character", p.name, q.name)
			}
			if !q.quoted[i] && strings.Contains(raw, `"`) {
				v.addf(p.num, "%s parameter %s holds a DQUOTE; write it as ^' (RFC 6868)", p.name, q.name)
			}
			// Inside DQUOTEs a backslash is an ordinary character (a name
			// may hold one); outside, it is the sign of TEXT escaping
			// applied to a parameter.
			for _, esc := range []string{`\,`, `\;`, `\:`, `\'`, `\"`} {
				if !q.quoted[i] && strings.Contains(raw, esc) {
					v.addf(p.num, "%s parameter %s holds the escape %s; parameter values are DQUOTE-d, not backslash-escaped",
						p.name, q.name, esc)
					break
				}
			}
		}
	}
}

// textProps are properties of value type TEXT that this project writes.
var textProps = []string{"SUMMARY", "LOCATION", "DESCRIPTION", "COMMENT", "UID", "TZNAME", "TZID",
	"PRODID", "CONTACT", "X-WR-CALNAME", "X-WR-CALDESC"}

func (v *validator) value(p prop) {
	if hasControl(p.value) {
		v.addf(p.num, "%s value holds a control character", p.name)
	}
	if !slices.Contains(textProps, p.name) {
		return
	}
	s := p.value
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || !strings.ContainsRune(`\;,nN`, rune(s[i+1])) {
				v.addf(p.num, "%s has a backslash not followed by \\ ; , or n", p.name)
				return
			}
			i++
		case ';', ',':
			v.addf(p.num, "%s has an unescaped %q (TEXT needs \\%c)", p.name, s[i], s[i])
			return
		}
	}
}

// hasControl reports a control character other than HTAB.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}
