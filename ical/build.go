package ical

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Address is a calendar user: a display name (written as CN) and an email
// address (written as mailto:).
type Address struct {
	Name, Email string
}

// Attendee is one ATTENDEE of an event.
type Attendee struct {
	Name, Email string
	// Role is the ROLE parameter: REQ-PARTICIPANT (the default when empty),
	// OPT-PARTICIPANT, NON-PARTICIPANT or CHAIR.
	Role string
	// PartStat is the PARTSTAT parameter: NEEDS-ACTION (the default when
	// empty), ACCEPTED, DECLINED, TENTATIVE or DELEGATED.
	PartStat string
	// RSVP asks the attendee's client to send a REPLY (RSVP=TRUE).
	RSVP bool
}

// Event is one VEVENT to write.
type Event struct {
	// UID identifies the event across updates; the same UID with a higher
	// Sequence replaces it in the recipient's calendar.
	UID string
	// Sequence is the revision (RFC 5546 §2.1.4): 0 for the first REQUEST,
	// one more for every change of time or status, cancellation included.
	Sequence int
	// DTStamp is when this revision was made; written in UTC. Required.
	DTStamp time.Time
	// Start and End are written as local times in TZ with TZID=TZ.String()
	// (or in UTC with a Z suffix when TZ is UTC). End must be after Start.
	Start, End time.Time
	// TZ is the event's time zone, e.g. Europe/Zurich. Required. A VTIMEZONE
	// for it, built from Go's time zone database, precedes the VEVENT.
	TZ *time.Location
	// Summary is the title (required); Location and Description are
	// optional. Line breaks are kept as TEXT \n escapes.
	Summary, Location, Description string
	// Organizer is where replies go: the mailbox the daemon reads.
	Organizer Address
	// Attendees are written as ATTENDEE lines in REQUEST and CANCEL objects;
	// PUBLISH leaves them out.
	Attendees []Attendee
	// Status is CONFIRMED (the default when empty), TENTATIVE or CANCELLED.
	Status string
	// URL is an optional link about the event (absolute http, https or
	// mailto URL).
	URL string
}

// DefaultProdID is the PRODID written unless an Option says otherwise.
const DefaultProdID = "-//outreach//UPR pre-sessions//EN"

// Option changes how objects are built.
type Option func(*config)

type config struct {
	prodID string
}

func newConfig(opts []Option) config {
	if len(opts) == 0 {
		return config{prodID: DefaultProdID}
	}
	c := config{prodID: DefaultProdID}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// method names a kind of object being built; it decides which properties an
// event must have.
type method string

const (
	methodRequest method = "REQUEST"
	methodCancel  method = "CANCEL"
	methodPublish method = "PUBLISH"
)

// Request builds a METHOD:REQUEST object (RFC 5546 §3.2.2) holding one
// VEVENT, preceded by the VTIMEZONE of ev.TZ. Every attendee's client shows
// Accept/Decline and, with RSVP set, sends a REPLY to the organizer.
func Request(ev Event, opts ...Option) ([]byte, error) {
	return single(nil, methodRequest, ev, newConfig(opts))
}

// AppendRequest is Request appending the object to dst: it returns dst
// extended, or nil and the error (dst's bytes are then as they were). A
// message carrying several calendars builds them into one buffer.
func AppendRequest(dst []byte, ev Event, opts ...Option) ([]byte, error) {
	return single(dst, methodRequest, ev, newConfig(opts))
}

// Cancel builds a METHOD:CANCEL object (RFC 5546 §3.2.5) for a whole event:
// STATUS:CANCELLED is written whatever ev.Status says, and no RSVP is asked
// for. The caller passes the incremented SEQUENCE (at least 1) and the
// attendees whose calendars hold the event.
func Cancel(ev Event, opts ...Option) ([]byte, error) {
	ev.Status = "CANCELLED"
	return single(nil, methodCancel, ev, newConfig(opts))
}

// Publish builds a METHOD:PUBLISH feed (RFC 5546 §3.2.1) named name
// (X-WR-CALNAME), holding every event in the order given, with one
// VTIMEZONE per time zone used. Attendees are never written: the feed is for
// staff and a PUBLISH object must not have any.
func Publish(name string, evs []Event, opts ...Option) ([]byte, error) {
	c := newConfig(opts)
	var errs []error
	if strings.TrimSpace(name) == "" {
		errs = append(errs, errors.New("calendar name is empty"))
	}
	if len(evs) == 0 {
		errs = append(errs, errors.New("no events (a VCALENDAR must hold at least one)"))
	}
	seen := map[string]int{}
	for i, ev := range evs {
		for _, err := range checkEvent(methodPublish, ev) {
			errs = append(errs, fmt.Errorf("event %d (%s): %w", i+1, ev.UID, err))
		}
		if j, dup := seen[ev.UID]; dup && ev.UID != "" {
			errs = append(errs, fmt.Errorf("event %d: UID %q already used by event %d", i+1, ev.UID, j))
		}
		seen[ev.UID] = i + 1
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("ical: build publish %q: %w", name, errors.Join(errs...))
	}
	e := &encoder{}
	writeCalendarHeader(e, c, methodPublish)
	e.line("X-WR-CALNAME", escapeText(name))
	if err := writeZones(e, evs); err != nil {
		return nil, fmt.Errorf("ical: build publish %q: %w", name, err)
	}
	for _, ev := range evs {
		writeEvent(e, methodPublish, ev)
	}
	e.line("END", "VCALENDAR")
	return e.buf.Bytes(), nil
}

// single builds a REQUEST or CANCEL object with one event.
func single(dst []byte, m method, ev Event, c config) ([]byte, error) {
	op := strings.ToLower(string(m))
	k := newSharedKey(m, ev, c)
	sp, ok := lookupShared(k)
	att, attOK := lookupAttendees(m, ev)
	if !ok || !attOK || !copyValid(ev) {
		// The whole check, which the shared parts and attendees kept have
		// passed already; it also gives every problem of an invalid ev.
		if errs := checkEvent(m, ev); len(errs) > 0 {
			return nil, fmt.Errorf("ical: build %s %q: %w", op, ev.UID, errors.Join(errs...))
		}
	}
	if !ok {
		var err error
		if sp, err = sharedParts(k, ev, c); err != nil {
			return nil, fmt.Errorf("ical: build %s %q: %w", op, ev.UID, err)
		}
	}
	if !attOK {
		att = keepAttendees(m, ev)
	}
	e := &encoder{}
	if dst != nil {
		e.buf = *bytes.NewBuffer(dst)
	}
	e.buf.Grow(len(sp.head) + len(sp.middle) + len(att) + len(sp.tail) + 128 + len(ev.UID)*9/8)
	e.buf.Write(sp.head)
	writeOwnStart(e, ev)
	e.buf.Write(sp.middle)
	e.buf.Write(att)
	e.buf.Write(sp.tail)
	return e.buf.Bytes(), nil
}

// copyValid reports whether what is the copy's own passes checkEvent: the
// UID and DTSTAMP. The rest of ev is checked when its shared parts and its
// attendees are first written, and kept only when valid.
func copyValid(ev Event) bool {
	if strings.TrimSpace(ev.UID) == "" || clean(ev.UID) != ev.UID || strings.ContainsAny(ev.UID, "\n\t") {
		return false
	}
	if ev.DTStamp.IsZero() {
		return false
	}
	y := ev.DTStamp.UTC().Year()
	return y >= 1900 && y <= 9998
}

// The ATTENDEE lines of one mission's copies are the same in each of them:
// they are written, and checked (checkAttendees), once and kept.
type attendeesEntry struct {
	m         method
	organizer string // the organizer's address, which no attendee may be
	attendees []Attendee
	lines     []byte
}

// maxCachedAttendees bounds the attendee lines kept: those of the last
// few missions.
const maxCachedAttendees = 8

var attendeesCache struct {
	mu      sync.Mutex
	entries []attendeesEntry // the most recent first
}

// lookupAttendees returns the ATTENDEE lines kept for ev's attendees in
// an object for m.
func lookupAttendees(m method, ev Event) ([]byte, bool) {
	attendeesCache.mu.Lock()
	defer attendeesCache.mu.Unlock()
	for _, a := range attendeesCache.entries {
		if a.m == m && a.organizer == ev.Organizer.Email && slices.Equal(a.attendees, ev.Attendees) {
			return a.lines, true
		}
	}
	return nil, false
}

// keepAttendees writes ev's ATTENDEE lines, which checkEvent has passed,
// and keeps them.
func keepAttendees(m method, ev Event) []byte {
	e := &encoder{}
	writeAttendees(e, m, ev)
	lines := e.buf.Bytes()
	a := attendeesEntry{m: m, organizer: ev.Organizer.Email, attendees: slices.Clone(ev.Attendees), lines: lines[:len(lines):len(lines)]}
	attendeesCache.mu.Lock()
	if len(attendeesCache.entries) < maxCachedAttendees {
		attendeesCache.entries = append(attendeesCache.entries, attendeesEntry{})
	}
	copy(attendeesCache.entries[1:], attendeesCache.entries)
	attendeesCache.entries[0] = a
	attendeesCache.mu.Unlock()
	return a.lines
}

// An invitation round sends the same event to every mission: the object
// differs only in its UID, DTSTAMP and ATTENDEE lines. The rest — the
// calendar header, the VTIMEZONE and the event's shared properties — is
// written once per event and kept, in three parts around those lines.
// Every content line is folded on its own, so the parts join into exactly
// the bytes writing the whole object at once gives (a test checks it).
type shared struct {
	head   []byte // BEGIN:VCALENDAR … BEGIN:VEVENT
	middle []byte // SEQUENCE … ORGANIZER
	tail   []byte // STATUS … END:VCALENDAR
}

// sharedKey is everything the shared parts depend on.
type sharedKey struct {
	m                                   method
	prodID                              string
	seq                                 int
	start, end                          time.Time
	tz                                  *time.Location
	summary, location, description, url string
	organizer                           Address
	status                              string
}

// maxCachedEvents bounds the cache; past it, it starts afresh.
const maxCachedEvents = 1024

var sharedCache = struct {
	mu sync.Mutex
	m  map[sharedKey]shared
}{m: map[sharedKey]shared{}}

func newSharedKey(m method, ev Event, c config) sharedKey {
	return sharedKey{m, c.prodID, ev.Sequence, ev.Start, ev.End, ev.TZ,
		ev.Summary, ev.Location, ev.Description, ev.URL, ev.Organizer, ev.Status}
}

// lookupShared returns the shared parts kept for k, which are kept only
// for an event that passed checkEvent.
func lookupShared(k sharedKey) (shared, bool) {
	sharedCache.mu.Lock()
	sp, ok := sharedCache.m[k]
	sharedCache.mu.Unlock()
	return sp, ok
}

// sharedParts writes and keeps the shared parts of ev, which has passed
// checkEvent.
func sharedParts(k sharedKey, ev Event, c config) (shared, error) {
	m := k.m
	e := &encoder{}
	writeCalendarHeader(e, c, m)
	if err := writeZones(e, []Event{ev}); err != nil {
		return shared{}, err
	}
	e.line("BEGIN", "VEVENT")
	head := e.buf.Len()
	writeSharedMiddle(e, ev)
	middle := e.buf.Len()
	writeSharedTail(e, m, ev)
	e.line("END", "VCALENDAR")
	b := e.buf.Bytes()
	sp := shared{head: b[:head:head], middle: b[head:middle:middle], tail: b[middle:]}
	sharedCache.mu.Lock()
	if len(sharedCache.m) >= maxCachedEvents {
		clear(sharedCache.m)
	}
	sharedCache.m[k] = sp
	sharedCache.mu.Unlock()
	return sp, nil
}

func writeCalendarHeader(e *encoder, c config, m method) {
	e.line("BEGIN", "VCALENDAR")
	e.line("PRODID", escapeText(c.prodID))
	e.line("VERSION", "2.0")
	e.line("CALSCALE", "GREGORIAN")
	e.line("METHOD", string(m))
}

// writeZones writes one VTIMEZONE per distinct zone name, sorted by name,
// each covering the years of the events in that zone.
func writeZones(e *encoder, evs []Event) error {
	type span struct {
		loc         *time.Location
		first, last int
	}
	spans := map[string]*span{}
	for _, ev := range evs {
		if isUTC(ev.TZ) {
			continue
		}
		a, b := ev.Start.In(ev.TZ).Year(), ev.End.In(ev.TZ).Year()
		s, ok := spans[ev.TZ.String()]
		if !ok {
			spans[ev.TZ.String()] = &span{loc: ev.TZ, first: a, last: b}
			continue
		}
		s.first, s.last = min(s.first, a), max(s.last, b)
	}
	names := make([]string, 0, len(spans))
	for n := range spans {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := spans[n]
		if err := writeVTimezone(e, s.loc, s.first, s.last); err != nil {
			return fmt.Errorf("write VTIMEZONE %s: %w", n, err)
		}
	}
	return nil
}

func writeEvent(e *encoder, m method, ev Event) {
	e.line("BEGIN", "VEVENT")
	writeOwnStart(e, ev)
	writeSharedMiddle(e, ev)
	writeAttendees(e, m, ev)
	writeSharedTail(e, m, ev)
}

// writeOwnStart writes the UID and DTSTAMP, which differ for every copy
// of an event.
func writeOwnStart(e *encoder, ev Event) {
	e.line("UID", escapeText(ev.UID))
	// As e.line writes it (a short line), without making a string of it.
	var stamp [len(utcLayout) + 8]byte
	e.buf.WriteString("DTSTAMP:")
	e.buf.Write(ev.DTStamp.UTC().AppendFormat(stamp[:0], utcLayout))
	e.buf.WriteString("\r\n")
}

// writeSharedMiddle writes the event's properties from SEQUENCE to
// ORGANIZER.
func writeSharedMiddle(e *encoder, ev Event) {
	e.line("SEQUENCE", strconv.Itoa(ev.Sequence))
	writeDateTime(e, "DTSTART", ev.Start, ev.TZ)
	writeDateTime(e, "DTEND", ev.End, ev.TZ)
	e.line("SUMMARY", escapeText(ev.Summary))
	if ev.Location != "" {
		e.line("LOCATION", escapeText(ev.Location))
	}
	if ev.Description != "" {
		e.line("DESCRIPTION", escapeText(ev.Description))
	}
	if ev.URL != "" {
		e.line("URL", ev.URL)
	}
	e.line("ORGANIZER", "mailto:"+strings.TrimSpace(ev.Organizer.Email), cnParam(ev.Organizer.Name)...)
}

// writeAttendees writes the ATTENDEE lines (none in a PUBLISH).
func writeAttendees(e *encoder, m method, ev Event) {
	if m == methodPublish {
		return
	}
	for _, a := range ev.Attendees {
		params := append(cnParam(a.Name),
			wparam{name: "ROLE", value: orDefault(a.Role, "REQ-PARTICIPANT")},
			wparam{name: "PARTSTAT", value: orDefault(a.PartStat, "NEEDS-ACTION")})
		if a.RSVP && m == methodRequest {
			params = append(params, wparam{name: "RSVP", value: "TRUE"})
		}
		e.line("ATTENDEE", "mailto:"+strings.TrimSpace(a.Email), params...)
	}
}

// writeSharedTail writes the event's properties from STATUS to the end of
// the VEVENT.
func writeSharedTail(e *encoder, m method, ev Event) {
	e.line("STATUS", orDefault(ev.Status, "CONFIRMED"))
	e.line("TRANSP", "OPAQUE")
	if m != methodPublish {
		// Hide Outlook's "Propose new time" (MS-OXCICAL 2.1.3.1.1.20.38,
		// https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcical/8fcaed94-cfc7-4881-83cd-36317969711d):
		// a pre-session slot is fixed for all 195 missions, and a COUNTER can
		// only go to staff review. No X-MICROSOFT-CDO-* lines are written:
		// without X-MICROSOFT-CDO-BUSYSTATUS, Outlook imports TRANSP:OPAQUE as
		// busy (MS-OXCICAL 2.1.3.1.1.20.25,
		// https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcical/54d3000c-a6b3-43c0-b4b0-543578f86fa0),
		// which is what we want.
		e.line("X-MICROSOFT-DISALLOW-COUNTER", "TRUE")
	}
	e.line("END", "VEVENT")
}

// cnParam returns the CN parameter for a display name, always DQUOTE-d:
// mission names hold commas, apostrophes and parentheses.
func cnParam(name string) []wparam {
	if strings.TrimSpace(name) == "" {
		return nil
	}
	return []wparam{{name: "CN", value: name, quote: true}}
}

// writeDateTime writes a DATE-TIME property as local time with TZID, or in
// UTC when the zone is UTC or when the local time occurs twice because the
// clocks go back. RFC 5545 §3.3.5 reads such a time as its first
// occurrence, but clients do not agree: ical.js (Thunderbird) and Python's
// icalendar read 02:30 on the night summer time ends as the second, an hour
// late. Only UTC means the same instant to every client.
func writeDateTime(e *encoder, name string, t time.Time, loc *time.Location) {
	if isUTC(loc) || ambiguousWallClock(t.In(loc)) {
		e.line(name, t.UTC().Format(utcLayout))
		return
	}
	e.line(name, t.In(loc).Format(localLayout), wparam{name: "TZID", value: loc.String()})
}

// ambiguousWallClock reports whether t's wall clock also names another
// instant: it already occurred just before the clocks went back, or it
// occurs again just after.
func ambiguousWallClock(t time.Time) bool {
	start, end := t.ZoneBounds()
	_, off := t.Zone()
	if !start.IsZero() {
		_, before := start.Add(-time.Second).Zone()
		if back := time.Duration(before-off) * time.Second; back > 0 && t.Sub(start) < back {
			return true
		}
	}
	if !end.IsZero() {
		_, after := end.Zone()
		if back := time.Duration(off-after) * time.Second; back > 0 && end.Sub(t) <= back {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s = strings.ToUpper(strings.TrimSpace(s)); s == "" {
		return def
	}
	return s
}

// checkEvent returns every problem that would make ev an invalid object for
// method m, so a caller sees them all at once.
func checkEvent(m method, ev Event) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case strings.TrimSpace(ev.UID) == "":
		add("UID is empty")
	case clean(ev.UID) != ev.UID || strings.ContainsAny(ev.UID, "\n\t"):
		add("UID %q holds control characters or invalid UTF-8", ev.UID)
	}
	switch {
	case ev.Sequence < 0:
		add("SEQUENCE %d is negative", ev.Sequence)
	case m == methodCancel && ev.Sequence < 1:
		add("SEQUENCE %d: a CANCEL must carry the request's SEQUENCE plus one", ev.Sequence)
	}
	if ev.DTStamp.IsZero() {
		add("DTSTAMP is not set")
	}
	if ev.TZ == nil {
		add("time zone is not set")
	} else if ev.TZ.String() == "Local" {
		add("time zone is the machine's Local zone; load a named one such as Europe/Zurich")
	}
	switch {
	case ev.Start.IsZero():
		add("start is not set")
	case ev.End.IsZero():
		add("end is not set")
	case !ev.End.After(ev.Start):
		add("end %s is not after start %s", ev.End.Format(time.RFC3339), ev.Start.Format(time.RFC3339))
	}
	for _, t := range []time.Time{ev.Start, ev.End, ev.DTStamp} {
		if y := t.UTC().Year(); !t.IsZero() && (y < 1900 || y > 9998) {
			add("date %s is outside the years 1900–9998", t.Format(time.RFC3339))
		}
	}
	if strings.TrimSpace(ev.Summary) == "" {
		add("SUMMARY is empty")
	}
	if err := CheckEmail(ev.Organizer.Email); err != nil {
		add("organizer: %w", err)
	}
	status := orDefault(ev.Status, "CONFIRMED")
	switch {
	case status != "CONFIRMED" && status != "TENTATIVE" && status != "CANCELLED":
		add("STATUS %q is not CONFIRMED, TENTATIVE or CANCELLED", ev.Status)
	case m == methodRequest && status == "CANCELLED":
		add("STATUS CANCELLED in a REQUEST; use Cancel")
	}
	if ev.URL != "" {
		if err := checkURL(ev.URL); err != nil {
			add("URL: %w", err)
		}
	}
	if m != methodPublish {
		errs = append(errs, checkAttendees(m, ev)...)
	}
	return errs
}

// checkAttendees returns the problems of ev's attendees in an object
// for method m (a PUBLISH has none).
func checkAttendees(m method, ev Event) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(ev.Attendees) == 0 {
		add("no attendee (a %s needs at least one)", m)
	}
	org := strings.ToLower(strings.TrimSpace(ev.Organizer.Email))
	seen := map[string]bool{}
	for i, a := range ev.Attendees {
		if err := CheckEmail(a.Email); err != nil {
			add("attendee %d: %w", i+1, err)
			continue
		}
		addr := strings.ToLower(strings.TrimSpace(a.Email))
		if addr == org {
			add("attendee %d: %s is also the organizer", i+1, addr)
		}
		if seen[addr] {
			add("attendee %d: %s is listed twice", i+1, addr)
		}
		seen[addr] = true
		switch orDefault(a.Role, "REQ-PARTICIPANT") {
		case "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR":
		default:
			add("attendee %d: ROLE %q is not REQ-PARTICIPANT, OPT-PARTICIPANT, NON-PARTICIPANT or CHAIR", i+1, a.Role)
		}
		switch orDefault(a.PartStat, "NEEDS-ACTION") {
		case "NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED":
		default:
			add("attendee %d: PARTSTAT %q is not NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE or DELEGATED", i+1, a.PartStat)
		}
	}
	return errs
}

// CheckEmail accepts an address that can follow mailto: as is: one @ with
// text on both sides, no white space, controls or characters that end or
// quote an address in mail headers and URIs.
func CheckEmail(addr string) error {
	a := strings.TrimSpace(addr)
	if a == "" {
		return errors.New("email is empty")
	}
	if clean(a) != a {
		return fmt.Errorf("email %q holds control characters or invalid UTF-8", addr)
	}
	if strings.ContainsAny(a, " \t\n\"(),:;<>[\\]") {
		return fmt.Errorf("email %q holds a character not allowed in an address", addr)
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.Count(a, "@") != 1 {
		return fmt.Errorf("email %q is not local@domain", addr)
	}
	return nil
}

func checkURL(raw string) error {
	if clean(raw) != raw || strings.ContainsAny(raw, " \t\n\"") {
		return fmt.Errorf("%q holds white space, quotes or control characters", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parse %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https", "mailto":
	default:
		return fmt.Errorf("%q is not an absolute http, https or mailto URL", raw)
	}
	return nil
}
