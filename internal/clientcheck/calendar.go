package clientcheck

import (
	"errors"
	"fmt"
	"time"
)

// Calendar is a parser's reading of one iCalendar object.
type Calendar struct {
	Method, ProdID, Version string
	// Timezones are the TZIDs of the VTIMEZONE components.
	Timezones []string
	Events    []Event
	// Problems are what the parser noticed but read past: icalendar's
	// component errors, a TZID ical.js could not resolve, a floating time.
	// A non-empty list also makes the parse function return an error.
	Problems []string
}

// Event is one VEVENT as the parser read it.
type Event struct {
	UID               string
	Sequence          int
	Status            string
	Summary, Location string
	Description       string
	DTStamp           time.Time
	Start, End        time.Time // in UTC
	StartTZID         string    // the TZID parameter of DTSTART, if any
	// StartZone is the zone ical.js resolved StartTZID to from the object's
	// VTIMEZONE (ical.js only).
	StartZone string
	// StartViaVTimezone is DTSTART read through the object's own VTIMEZONE
	// (Python icalendar only; it reads Start through the zone database by
	// name).
	StartViaVTimezone time.Time
	Organizer         Address
	Attendees         []Attendee
	Problems          []string
}

// Address is a calendar user: the address without mailto:, and CN.
type Address struct {
	Email string `json:"email"`
	CN    string `json:"cn"`
}

// Attendee is one ATTENDEE with the parameters a client acts on.
type Attendee struct {
	Email, CN            string
	PartStat, RSVP, Role string
}

// CalendarResult is the reading of one object in a batch: Err is set when
// the parser refused the object or noticed problems (Calendar then holds
// what it read, if anything).
type CalendarResult struct {
	Calendar Calendar
	Err      error
}

// ICALJS parses one object with ical.js.
func ICALJS(ics []byte) (Calendar, error) {
	return one(ICALJSAll, ics)
}

// PyICalendar parses one object with Python's icalendar.
func PyICalendar(ics []byte) (Calendar, error) {
	return one(PyICalendarAll, ics)
}

// ICALJSAll parses every object with ical.js, in a few Node processes, and
// returns one result per object in order. The error is for the run as a
// whole: ical.js missing (wraps ErrUnavailable) or a process that failed.
func ICALJSAll(ics [][]byte) ([]CalendarResult, error) {
	return calendars(ICALJSParser, "parse.js", ics)
}

// PyICalendarAll is ICALJSAll with Python's icalendar.
func PyICalendarAll(ics [][]byte) ([]CalendarResult, error) {
	return calendars(PyICalendarParser, "icalendar_parse.py", ics)
}

func one(all func([][]byte) ([]CalendarResult, error), ics []byte) (Calendar, error) {
	rs, err := all([][]byte{ics})
	if err != nil {
		return Calendar{}, err
	}
	return rs[0].Calendar, rs[0].Err
}

// wireCalendar is the JSON the scripts write.
type wireCalendar struct {
	Method    string      `json:"method"`
	ProdID    string      `json:"prodid"`
	Version   string      `json:"version"`
	Timezones []string    `json:"timezones"`
	Events    []wireEvent `json:"events"`
	Problems  []string    `json:"problems"`
}

type wireEvent struct {
	UID            string         `json:"uid"`
	Sequence       int            `json:"sequence"`
	Status         string         `json:"status"`
	Summary        string         `json:"summary"`
	Location       string         `json:"location"`
	Description    string         `json:"description"`
	DTStamp        string         `json:"dtstamp"`
	Start          string         `json:"start"`
	End            string         `json:"end"`
	StartTZID      string         `json:"start_tzid"`
	StartZone      string         `json:"start_zone"`
	StartVTimezone string         `json:"start_vtimezone"`
	Organizer      Address        `json:"organizer"`
	Attendees      []wireAttendee `json:"attendees"`
	Problems       []string       `json:"problems"`
}

type wireAttendee struct {
	Email    string `json:"email"`
	CN       string `json:"cn"`
	PartStat string `json:"partstat"`
	RSVP     string `json:"rsvp"`
	Role     string `json:"role"`
}

// wireCalendarResult is one result as the scripts write it.
type wireCalendarResult struct {
	Calendar *wireCalendar `json:"calendar"`
	Error    string        `json:"error"`
}

func calendars(p Parser, script string, ics [][]byte) ([]CalendarResult, error) {
	raw, err := run[wireCalendarResult](p, script, ics)
	if err != nil {
		return nil, err
	}
	out := make([]CalendarResult, len(raw))
	for i, w := range raw {
		if w.Calendar == nil {
			out[i].Err = fmt.Errorf("%s: %s", p, w.Error)
			continue
		}
		out[i].Calendar, out[i].Err = w.Calendar.calendar(p)
	}
	return out, nil
}

// calendar converts the wire form, turning times into time.Time and the
// parser's problems into an error.
func (w *wireCalendar) calendar(p Parser) (Calendar, error) {
	c := Calendar{Method: w.Method, ProdID: w.ProdID, Version: w.Version, Timezones: w.Timezones, Problems: w.Problems}
	var errs []error
	for _, pr := range w.Problems {
		errs = append(errs, fmt.Errorf("%s: %s", p, pr))
	}
	for _, we := range w.Events {
		ev, err := we.event()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: event %s: %w", p, we.UID, err))
		}
		c.Events = append(c.Events, ev)
	}
	return c, errors.Join(errs...)
}

func (we wireEvent) event() (Event, error) {
	ev := Event{
		UID: we.UID, Sequence: we.Sequence, Status: we.Status,
		Summary: we.Summary, Location: we.Location, Description: we.Description,
		StartTZID: we.StartTZID, StartZone: we.StartZone,
		Organizer: we.Organizer, Problems: we.Problems,
	}
	for _, a := range we.Attendees {
		ev.Attendees = append(ev.Attendees, Attendee(a))
	}
	var errs []error
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&ev.DTStamp, we.DTStamp}, {&ev.Start, we.Start}, {&ev.End, we.End}, {&ev.StartViaVTimezone, we.StartVTimezone}} {
		if f.src == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		*f.dst = t.UTC()
	}
	return ev, errors.Join(errs...)
}
