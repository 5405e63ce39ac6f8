package ical

import (
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reply is what one VEVENT of an incoming object says: normally an iMIP REPLY
// or COUNTER from a mission's calendar client, but any method is read.
type Reply struct {
	// Method is the VCALENDAR's METHOD, upper-case: REPLY, COUNTER, REQUEST,
	// CANCEL, REFRESH, ..., or "" when the object has none.
	Method string
	// UID and RecurrenceID identify the event answered. RecurrenceID is the
	// raw RECURRENCE-ID, written like ProposedStart; "" when absent.
	UID, RecurrenceID string
	// Sequence is the echoed SEQUENCE (0 when absent); DTStamp is when the
	// client made the reply (zero when absent: Exchange sometimes omits it).
	Sequence int
	DTStamp  time.Time
	// Organizer is the ORGANIZER's email, lower-case, without mailto:; ""
	// when absent (Exchange replies have none).
	Organizer string
	// Attendee is the email of the first ATTENDEE (in a REPLY, the one who
	// answers), lower-case, without mailto:. AttendeeName is its CN.
	Attendee, AttendeeName string
	// PartStat is the attendee's PARTSTAT, upper-case: ACCEPTED, DECLINED,
	// TENTATIVE, DELEGATED, ...; NEEDS-ACTION (RFC 5545's default) when the
	// ATTENDEE line has none, "" when there is no ATTENDEE.
	PartStat string
	// SentBy is the attendee's SENT-BY (someone answering on its behalf);
	// DelegatedTo and DelegatedFrom its DELEGATED-TO/-FROM. Emails as above.
	SentBy                     string
	DelegatedTo, DelegatedFrom []string
	// Comment is the COMMENT property (Outlook, Thunderbird) or Gmail's
	// X-RESPONSE-COMMENT parameter, unescaped, without trailing white space.
	Comment string
	// Guests is Gmail's X-NUM-GUESTS (extra people coming), 0 when absent.
	Guests int
	// Attendees is how many ATTENDEE lines the VEVENT had; a valid REPLY has
	// exactly one, and a caller should not record anything otherwise.
	Attendees int
	// ProposedStart and ProposedEnd are the raw DTSTART and DTEND, for
	// showing a COUNTER's proposal to staff: "TZID=<zone>:<local time>" when
	// a TZID is given, else the value itself (e.g. 20171010T080000Z). Times
	// in replies are never interpreted: Outlook uses Windows zone names.
	ProposedStart, ProposedEnd string
	// Summary is the SUMMARY, unescaped (Outlook prefixes "Accepted: ").
	Summary string
}

// ParseReplies reads every VEVENT of data: one or several VCALENDARs (or bare
// VEVENTs) one after the other, as found in the calendar part of an email.
// It accepts CRLF or LF line endings, folded lines (also inside parameters),
// any case of property names and of mailto:, quoted and unquoted parameter
// values, objects with or without ORGANIZER, METHOD or VTIMEZONE, and
// unknown or X- properties. It returns an error, never a panic, for input
// that is not iCalendar, is damaged (unbalanced BEGIN/END, a line with no
// value, a VEVENT without UID, an unreadable SEQUENCE or DTSTAMP), holds no
// VEVENT, or exceeds 1 MiB, 10,000 lines or 64 KiB in one content line.
func ParseReplies(data []byte) ([]Reply, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("ical: parse replies: %w", err)
	}
	if len(doc.Stray) > 0 {
		p := doc.Stray[0]
		return nil, fmt.Errorf("ical: parse replies: line %d: %s outside BEGIN:VCALENDAR", p.Line, p.Name)
	}
	var (
		out  []Reply
		errs []error
	)
	for _, top := range doc.Top {
		switch top.Name {
		case "VCALENDAR":
			method, err := calendarMethod(top)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, c := range top.Subs {
				if c.Name != "VEVENT" {
					continue
				}
				r, err := readReply(c, method)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out = append(out, r)
			}
		case "VEVENT":
			r, err := readReply(top, "")
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, r)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("ical: parse replies: %w", errors.Join(errs...))
	}
	if len(out) == 0 {
		return nil, errors.New("ical: parse replies: no VEVENT found")
	}
	return out, nil
}

// calendarMethod returns the VCALENDAR's METHOD, upper-case, or "" when it
// has none. Two different METHODs make the object ambiguous.
func calendarMethod(c *Component) (string, error) {
	method := ""
	for _, p := range c.All("METHOD") {
		m := strings.ToUpper(strings.TrimSpace(p.Value))
		if method != "" && m != method {
			return "", fmt.Errorf("line %d: second METHOD %s after %s", p.Line, m, method)
		}
		method = m
	}
	return method, nil
}

func readReply(c *Component, method string) (Reply, error) {
	r := Reply{Method: method}
	uid, ok := c.First("UID")
	r.UID = strings.TrimSpace(UnescapeText(uid.Value))
	if !ok || r.UID == "" {
		return Reply{}, fmt.Errorf("line %d: VEVENT has no UID", c.Line)
	}
	if p, ok := c.First("SEQUENCE"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(p.Value))
		if err != nil || n < 0 {
			return Reply{}, fmt.Errorf("line %d: SEQUENCE %q is not a non-negative integer", p.Line, Abbreviate(p.Value))
		}
		r.Sequence = n
	}
	if p, ok := c.First("DTSTAMP"); ok {
		t, err := parseStamp(p.Value)
		if err != nil {
			return Reply{}, fmt.Errorf("line %d: DTSTAMP: %w", p.Line, err)
		}
		r.DTStamp = t
	}
	if p, ok := c.First("RECURRENCE-ID"); ok {
		r.RecurrenceID = rawDateTime(p)
	}
	if p, ok := c.First("DTSTART"); ok {
		r.ProposedStart = rawDateTime(p)
	}
	if p, ok := c.First("DTEND"); ok {
		r.ProposedEnd = rawDateTime(p)
	}
	if p, ok := c.First("SUMMARY"); ok {
		r.Summary = UnescapeText(p.Value)
	}
	if p, ok := c.First("ORGANIZER"); ok {
		r.Organizer = address(p.Value)
	}
	var comments []string
	for _, p := range c.All("COMMENT") {
		if s := strings.TrimSpace(UnescapeText(p.Value)); s != "" {
			comments = append(comments, s)
		}
	}
	attendees := c.All("ATTENDEE")
	r.Attendees = len(attendees)
	if len(attendees) > 0 {
		a := attendees[0]
		r.Attendee = address(a.Value)
		r.AttendeeName, _ = a.Param("CN")
		r.AttendeeName = strings.TrimSpace(r.AttendeeName)
		r.PartStat = "NEEDS-ACTION"
		if ps, ok := a.Param("PARTSTAT"); ok && strings.TrimSpace(ps) != "" {
			r.PartStat = strings.ToUpper(strings.TrimSpace(ps))
		}
		if s, ok := a.Param("SENT-BY"); ok {
			r.SentBy = address(s)
		}
		r.DelegatedTo = addresses(a.paramValues("DELEGATED-TO"))
		r.DelegatedFrom = addresses(a.paramValues("DELEGATED-FROM"))
		if g, ok := a.Param("X-NUM-GUESTS"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(g)); err == nil && n > 0 {
				r.Guests = n
			}
		}
		if rc, ok := a.Param("X-RESPONSE-COMMENT"); ok {
			// Gmail HTML-escapes the note and then TEXT-escapes it inside the
			// parameter: "it&#39\;s" is "it's".
			if s := strings.TrimSpace(html.UnescapeString(UnescapeText(rc))); s != "" && !slices.Contains(comments, s) {
				comments = append(comments, s)
			}
		}
	}
	r.Comment = strings.Join(comments, "\n")
	return r, nil
}

// parseStamp reads a DTSTAMP: UTC date-time with Z; a missing Z is read as
// UTC too, since DTSTAMP is always UTC (RFC 5545 §3.8.7.2).
func parseStamp(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	layout := utcLayout
	if !strings.HasSuffix(v, "Z") {
		layout = localLayout
	}
	t, err := time.ParseInLocation(layout, v, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date-time like 20171010T080000Z", Abbreviate(v))
	}
	return t, nil
}

// rawDateTime writes a date-time property's value with its TZID, for
// display.
func rawDateTime(p Prop) string {
	v := strings.TrimSpace(p.Value)
	if tz, ok := p.Param("TZID"); ok && tz != "" {
		return "TZID=" + tz + ":" + v
	}
	return v
}

// address turns a cal-address into a lower-case email: mailto: in any case
// and surrounding white space or angle brackets removed.
func address(v string) string {
	v, _ = cutMailto(strings.TrimSpace(v))
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	return strings.ToLower(strings.TrimSpace(v))
}

// cutMailto removes a leading mailto: written in any case, and reports
// whether there was one.
func cutMailto(v string) (string, bool) {
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		return v[7:], true
	}
	return v, false
}

func addresses(vs []string) []string {
	var out []string
	for _, v := range vs {
		if a := address(v); a != "" {
			out = append(out, a)
		}
	}
	return out
}
