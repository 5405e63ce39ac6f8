// Package icaltest holds the strict iCalendar validator the tests across the
// project run on every object outreach writes (RFC 5545, RFC 5546 §3.2,
// RFC 6868). It reads objects through ical.Parse and is never linked into
// the daemon.
package icaltest

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

	"outreach/ical"
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
	doc, err := ical.Parse(data)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("ical: %w", err))
		return v.result()
	}
	v.document(doc)
	return v.result()
}

// maxLineOctets is the longest physical line RFC 5545 §3.1 allows, CRLF
// excluded.
const maxLineOctets = 75

// localLayout is a local DATE-TIME (RFC 5545 §3.3.5).
const localLayout = "20060102T150405"

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
	if len(data) > ical.MaxInputOctets {
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
	for rest := data; len(rest) > 0 && num < ical.MaxPhysicalLines; {
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

func (v *validator) document(doc *ical.Document) {
	for _, p := range doc.Stray {
		v.addf(p.Line, "%s outside BEGIN:VCALENDAR", p.Name)
	}
	var cals []*ical.Component
	for _, c := range doc.Top {
		if c.Name == "VCALENDAR" {
			cals = append(cals, c)
			continue
		}
		v.addf(c.Line, "BEGIN:%s outside BEGIN:VCALENDAR", c.Name)
	}
	switch len(cals) {
	case 0:
		v.addf(0, "no VCALENDAR")
	case 1:
	default:
		v.addf(cals[1].Line, "a second VCALENDAR; an object holds exactly one")
	}
	for _, c := range cals {
		v.calendar(c)
	}
}

var knownMethods = []string{"PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER"}

func (v *validator) calendar(c *ical.Component) {
	for _, name := range []string{"PRODID", "VERSION", "METHOD"} {
		if n := len(c.All(name)); n != 1 {
			v.addf(c.Line, "VCALENDAR needs exactly one %s, has %d", name, n)
		}
	}
	if n := len(c.All("CALSCALE")); n > 1 {
		v.addf(c.Line, "VCALENDAR has %d CALSCALE", n)
	}
	if p, ok := c.First("VERSION"); ok && strings.TrimSpace(p.Value) != "2.0" {
		v.addf(p.Line, "VERSION is %q, not 2.0", p.Value)
	}
	if p, ok := c.First("CALSCALE"); ok && !strings.EqualFold(strings.TrimSpace(p.Value), "GREGORIAN") {
		v.addf(p.Line, "CALSCALE is %q, not GREGORIAN", p.Value)
	}
	method := ""
	if p, ok := c.First("METHOD"); ok {
		method = strings.ToUpper(strings.TrimSpace(p.Value))
		if !slices.Contains(knownMethods, method) {
			v.addf(p.Line, "METHOD %q is not an RFC 5546 method", p.Value)
		}
	}

	zones := map[string]bool{}
	var events []*ical.Component
	for _, s := range c.Subs {
		switch s.Name {
		case "VTIMEZONE":
			v.timezone(s, zones)
		case "VEVENT":
			events = append(events, s)
		default:
			v.addf(s.Line, "BEGIN:%s: an object of this project holds only VTIMEZONE and VEVENT", s.Name)
		}
	}
	if len(events) == 0 {
		v.addf(c.Line, "VCALENDAR has no VEVENT")
	}
	firstUID := ""
	seen := map[string]int{}
	for _, ev := range events {
		v.event(ev, method)
		uidp, ok := ev.First("UID")
		if !ok {
			continue
		}
		uid := ical.UnescapeText(uidp.Value)
		rid := ""
		if p, ok := ev.First("RECURRENCE-ID"); ok {
			rid = dateTimeKey(p)
		}
		switch {
		case method == "PUBLISH":
			key := uid + "\x00" + rid
			if line, dup := seen[key]; dup {
				v.addf(uidp.Line, "UID %q already used at line %d", uid, line)
			}
			seen[key] = uidp.Line
		case firstUID == "":
			firstUID = uid
		case uid != firstUID:
			v.addf(uidp.Line, "UID %q differs from %q; a %s object holds one UID", uid, firstUID, method)
		}
	}
	walk(c, func(p ical.Prop) {
		v.params(p)
		v.value(p)
		if tz, ok := p.Param("TZID"); ok && !zones[tz] {
			v.addf(p.Line, "%s uses TZID %q with no VTIMEZONE for it", p.Name, tz)
		}
	})
}

// walk calls fn for every property of c and of its components, in order.
func walk(c *ical.Component, fn func(ical.Prop)) {
	for _, p := range c.Props {
		fn(p)
	}
	for _, s := range c.Subs {
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

func (v *validator) timezone(z *ical.Component, zones map[string]bool) {
	tzids := z.All("TZID")
	if len(tzids) != 1 {
		v.addf(z.Line, "VTIMEZONE needs exactly one TZID, has %d", len(tzids))
	}
	if len(tzids) > 0 {
		id := ical.UnescapeText(tzids[0].Value)
		if zones[id] {
			v.addf(tzids[0].Line, "a second VTIMEZONE for %q", id)
		}
		zones[id] = true
	}
	n := 0
	for _, o := range z.Subs {
		if o.Name != "STANDARD" && o.Name != "DAYLIGHT" {
			v.addf(o.Line, "BEGIN:%s inside VTIMEZONE", o.Name)
			continue
		}
		n++
		for _, name := range []string{"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} {
			if k := len(o.All(name)); k != 1 {
				v.addf(o.Line, "%s needs exactly one %s, has %d", o.Name, name, k)
			}
		}
		if p, ok := o.First("DTSTART"); ok && !validLocal(p.Value) {
			v.addf(p.Line, "%s DTSTART %q is not a local date-time", o.Name, p.Value)
		}
		for _, name := range []string{"TZOFFSETFROM", "TZOFFSETTO"} {
			if p, ok := o.First(name); ok && (!reOffset.MatchString(p.Value) || strings.Trim(p.Value, "-0") == "" && p.Value[0] == '-') {
				v.addf(p.Line, "%s %q is not a UTC offset like +0200", name, p.Value)
			}
		}
		if rr := o.All("RRULE"); len(rr) > 1 {
			v.addf(o.Line, "%s has %d RRULEs", o.Name, len(rr))
		}
		for _, p := range o.All("RRULE") {
			if !strings.Contains(strings.ToUpper(p.Value), "FREQ=") {
				v.addf(p.Line, "RRULE %q has no FREQ", p.Value)
			}
			if m := reUntil.FindStringSubmatch(p.Value); m != nil && !reUTC.MatchString(m[2]) {
				v.addf(p.Line, "RRULE UNTIL %q in a VTIMEZONE must be UTC", m[2])
			}
		}
	}
	if n == 0 {
		v.addf(z.Line, "VTIMEZONE has no STANDARD or DAYLIGHT")
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

// event checks one VEVENT: the properties its method requires and allows,
// then their values.
func (v *validator) event(ev *ical.Component, method string) {
	for _, name := range singles {
		if n := len(ev.All(name)); n > 1 {
			v.addf(ev.Line, "VEVENT has %d %s; at most one is allowed", n, name)
		}
	}
	req, ok := required[method]
	if !ok {
		req = []string{"DTSTAMP", "UID"} // RFC 5545 §3.6.1
	}
	where := method
	if where == "" {
		where = "any VEVENT"
	}
	for _, name := range req {
		if _, ok := ev.First(name); !ok {
			v.addf(ev.Line, "VEVENT has no %s (required in %s)", name, where)
		}
	}
	attendees := ev.All("ATTENDEE")
	switch method {
	case "PUBLISH":
		for _, a := range attendees {
			v.addf(a.Line, "ATTENDEE in a PUBLISH object (RFC 5546 §3.2.1 forbids it)")
		}
	case "REPLY", "REFRESH":
		if len(attendees) > 1 {
			v.addf(ev.Line, "%s has %d ATTENDEEs; it must have exactly one", method, len(attendees))
		}
	}
	if _, ok := ev.First("DTEND"); ok {
		if _, ok := ev.First("DURATION"); ok {
			v.addf(ev.Line, "VEVENT has both DTEND and DURATION")
		}
	}
	v.eventValues(ev, method)
}

// eventValues checks the values of a VEVENT's properties: dates, SEQUENCE,
// STATUS, addresses and attendee parameters, and its components.
func (v *validator) eventValues(ev *ical.Component, method string) {
	if p, ok := ev.First("DTSTAMP"); ok && (!reUTC.MatchString(p.Value) || !validLocal(strings.TrimSuffix(p.Value, "Z"))) {
		v.addf(p.Line, "DTSTAMP %q is not a UTC date-time like 20171001T080000Z", p.Value)
	}
	for _, name := range []string{"DTSTART", "DTEND", "RECURRENCE-ID"} {
		if p, ok := ev.First(name); ok {
			v.dateTime(p)
		}
	}
	if s, ok := ev.First("DTSTART"); ok {
		if e, ok := ev.First("DTEND"); ok && comparable(s, e) && e.Value <= s.Value {
			v.addf(e.Line, "DTEND %s is not after DTSTART %s", e.Value, s.Value)
		}
	}
	if p, ok := ev.First("SEQUENCE"); ok {
		if n, err := strconv.Atoi(p.Value); err != nil || n < 0 || strings.HasPrefix(p.Value, "+") {
			v.addf(p.Line, "SEQUENCE %q is not a non-negative integer", p.Value)
		}
	}
	status := ""
	if p, ok := ev.First("STATUS"); ok {
		status = strings.ToUpper(p.Value)
		if status != "TENTATIVE" && status != "CONFIRMED" && status != "CANCELLED" {
			v.addf(p.Line, "STATUS %q is not TENTATIVE, CONFIRMED or CANCELLED", p.Value)
		}
	}
	if method == "CANCEL" && status != "" && status != "CANCELLED" {
		v.addf(ev.Line, "CANCEL with STATUS:%s; it must be STATUS:CANCELLED", status)
	}
	for _, name := range []string{"ORGANIZER", "ATTENDEE"} {
		for _, p := range ev.All(name) {
			v.calAddress(p)
		}
	}
	for _, a := range ev.All("ATTENDEE") {
		v.attendeeParams(a)
	}
	for _, s := range ev.Subs {
		if s.Name != "VALARM" {
			v.addf(s.Line, "BEGIN:%s inside VEVENT", s.Name)
		}
	}
}

// comparable reports whether two date-times can be compared as strings:
// same form and same TZID.
func comparable(a, b ical.Prop) bool {
	ta, _ := a.Param("TZID")
	tb, _ := b.Param("TZID")
	return ta == tb && len(a.Value) == len(b.Value) &&
		strings.HasSuffix(a.Value, "Z") == strings.HasSuffix(b.Value, "Z")
}

func (v *validator) dateTime(p ical.Prop) {
	tz, hasTZ := p.Param("TZID")
	if vt, _ := p.Param("VALUE"); strings.EqualFold(vt, "DATE") {
		if !reDate.MatchString(p.Value) {
			v.addf(p.Line, "%s %q is not a DATE", p.Name, p.Value)
		}
		return
	}
	if !reDateTime.MatchString(p.Value) || !validLocal(strings.TrimSuffix(p.Value, "Z")) {
		v.addf(p.Line, "%s %q is not a DATE-TIME", p.Name, p.Value)
		return
	}
	utc := strings.HasSuffix(p.Value, "Z")
	switch {
	case utc && hasTZ:
		v.addf(p.Line, "%s is in UTC but has TZID=%s", p.Name, tz)
	case !utc && !hasTZ:
		v.addf(p.Line, "%s %s is a floating time; give a TZID or UTC", p.Name, p.Value)
	}
}

func (v *validator) calAddress(p ical.Prop) {
	email, ok := cutMailto(p.Value)
	if !ok {
		v.addf(p.Line, "%s %q is not a mailto: address", p.Name, ical.Abbreviate(p.Value))
		return
	}
	if ical.CheckEmail(email) != nil || strings.TrimSpace(email) != email {
		v.addf(p.Line, "%s %q is not a valid email address", p.Name, ical.Abbreviate(p.Value))
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

func (v *validator) attendeeParams(a ical.Prop) {
	for _, av := range attendeeValues {
		val, ok := a.Param(av.param)
		if up := strings.ToUpper(val); ok && !slices.Contains(av.values, up) && !strings.HasPrefix(up, "X-") {
			v.addf(a.Line, "ATTENDEE %s=%q is not one of %s", av.param, val, strings.Join(av.values, ", "))
		}
	}
}

// multiValued are the parameters RFC 5545 lets hold a comma-separated list.
var multiValued = []string{"MEMBER", "DELEGATED-TO", "DELEGATED-FROM"}

func (v *validator) params(p ical.Prop) {
	for _, q := range p.Params {
		if len(q.Values) > 1 && !slices.Contains(multiValued, q.Name) {
			v.addf(p.Line, "%s parameter %s has %d values (%q); a value holding ',' must be DQUOTE-d",
				p.Name, q.Name, len(q.Values), strings.Join(q.Raw, ","))
		}
		for i, raw := range q.Raw {
			if hasControl(raw) {
				v.addf(p.Line, "%s parameter %s holds a control character", p.Name, q.Name)
			}
			if !q.Quoted[i] && strings.Contains(raw, `"`) {
				v.addf(p.Line, "%s parameter %s holds a DQUOTE; write it as ^' (RFC 6868)", p.Name, q.Name)
			}
			// Inside DQUOTEs a backslash is an ordinary character (a name
			// may hold one); outside, it is the sign of TEXT escaping
			// applied to a parameter.
			for _, esc := range []string{`\,`, `\;`, `\:`, `\'`, `\"`} {
				if !q.Quoted[i] && strings.Contains(raw, esc) {
					v.addf(p.Line, "%s parameter %s holds the escape %s; parameter values are DQUOTE-d, not backslash-escaped",
						p.Name, q.Name, esc)
					break
				}
			}
		}
	}
}

// textProps are properties of value type TEXT that this project writes.
var textProps = []string{"SUMMARY", "LOCATION", "DESCRIPTION", "COMMENT", "UID", "TZNAME", "TZID",
	"PRODID", "CONTACT", "X-WR-CALNAME", "X-WR-CALDESC"}

func (v *validator) value(p ical.Prop) {
	if hasControl(p.Value) {
		v.addf(p.Line, "%s value holds a control character", p.Name)
	}
	if !slices.Contains(textProps, p.Name) {
		return
	}
	s := p.Value
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || !strings.ContainsRune(`\;,nN`, rune(s[i+1])) {
				v.addf(p.Line, "%s has a backslash not followed by \\ ; , or n", p.Name)
				return
			}
			i++
		case ';', ',':
			v.addf(p.Line, "%s has an unescaped %q (TEXT needs \\%c)", p.Name, s[i], s[i])
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

// dateTimeKey is a date-time property's value with its TZID, so that two
// RECURRENCE-IDs compare equal only when they name the same instant.
func dateTimeKey(p ical.Prop) string {
	tz, _ := p.Param("TZID")
	return tz + ":" + strings.TrimSpace(p.Value)
}

// cutMailto removes a leading mailto: written in any case, and reports
// whether there was one.
func cutMailto(v string) (string, bool) {
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		return v[7:], true
	}
	return v, false
}
