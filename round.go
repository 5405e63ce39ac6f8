package outreach

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Round is one round of pre-sessions, held before one UPR Working Group
// session, as the store records it: what changes from one round to the
// next. What stays (the organiser, its mailbox, the staff address, phone
// and web) is the configuration's; Event joins the two.
//
// Sessions, their panels, the answers, the invitations and every other
// message, the reminders and the review queue belong to one round; the
// mission directory, its contacts and their delivery history belong to
// every round.
type Round struct {
	// Number is the UPR Working Group session the round comes before (28).
	Number int    `json:"number"`
	Title  string `json:"title"`
	Venue  string `json:"venue"`
	// TimeZone is the IANA zone the sessions are held in.
	TimeZone string `json:"time_zone"`
	// FirstDay and LastDay are local dates, "2017-10-10".
	FirstDay string `json:"first_day"`
	LastDay  string `json:"last_day"`
	// RSVPDeadline is a local date and time, "2017-10-06T18:00".
	RSVPDeadline string `json:"rsvp_deadline,omitempty"`
	Provisional  bool   `json:"provisional"`
	// Created is when the round was recorded.
	Created time.Time `json:"created,omitzero"`
}

// Date layouts of Round's local dates and deadline.
const (
	RoundDate     = "2006-01-02"
	RoundDeadline = "2006-01-02T15:04"
)

// Validate checks the round and returns every problem found.
func (r *Round) Validate() error {
	var errs []error
	if r.Number <= 0 {
		errs = append(errs, fmt.Errorf("number: %d, want the UPR session's number (a positive whole number)", r.Number))
	}
	if strings.TrimSpace(r.Title) == "" {
		errs = append(errs, errors.New("title: empty"))
	}
	if r.TimeZone == "" {
		errs = append(errs, errors.New("time_zone: empty; want an IANA zone such as Europe/Zurich"))
	} else if _, err := time.LoadLocation(r.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %q is not an IANA time zone", r.TimeZone))
	}
	first, err1 := time.Parse(RoundDate, r.FirstDay)
	if err1 != nil {
		errs = append(errs, fmt.Errorf("first_day: %q, want a date YYYY-MM-DD", r.FirstDay))
	}
	last, err2 := time.Parse(RoundDate, r.LastDay)
	if err2 != nil {
		errs = append(errs, fmt.Errorf("last_day: %q, want a date YYYY-MM-DD", r.LastDay))
	}
	if err1 == nil && err2 == nil && last.Before(first) {
		errs = append(errs, fmt.Errorf("last_day: %s is before first_day %s", r.LastDay, r.FirstDay))
	}
	if r.RSVPDeadline != "" {
		d, err := time.Parse(RoundDeadline, r.RSVPDeadline)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("rsvp_deadline: %q, want a local date and time YYYY-MM-DDTHH:MM", r.RSVPDeadline))
		case err1 == nil && !d.Before(first.AddDate(0, 0, 1)):
			errs = append(errs, fmt.Errorf("rsvp_deadline: %s is after the round's first day %s", r.RSVPDeadline, r.FirstDay))
		}
	}
	return errors.Join(errs...)
}

// Location returns the round's time zone (UTC when it does not load).
func (r *Round) Location() *time.Location {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil || r.TimeZone == "" {
		return time.UTC
	}
	return loc
}

// Apply returns base, the event as the configuration gives it, with what
// the round holds in place of base's round fields: number, title, venue,
// time zone, days, deadline and whether they are provisional. Fields the
// round leaves empty keep base's value.
func (r *Round) Apply(base Event) Event {
	e := base
	e.UPRSession = r.Number
	if r.Title != "" {
		e.Title = r.Title
	}
	if r.Venue != "" {
		e.Venue = r.Venue
	}
	if r.TimeZone != "" {
		e.Location = r.Location()
	}
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	if d, err := time.ParseInLocation(RoundDate, r.FirstDay, loc); err == nil {
		e.First = d
	}
	if d, err := time.ParseInLocation(RoundDate, r.LastDay, loc); err == nil {
		e.Last = d
	}
	e.RSVPDeadline = time.Time{}
	if d, err := time.ParseInLocation(RoundDeadline, r.RSVPDeadline, loc); err == nil {
		e.RSVPDeadline = d
	}
	e.Provisional = r.Provisional
	return e
}

// RoundOf returns the round fields of e as a Round: what a store holding
// one round, before rounds were recorded, is upgraded with.
func RoundOf(e Event) Round {
	r := Round{Number: e.UPRSession, Title: e.Title, Venue: e.Venue, Provisional: e.Provisional}
	if e.Location != nil {
		r.TimeZone = e.Location.String()
	}
	if !e.First.IsZero() {
		r.FirstDay = e.First.Format(RoundDate)
	}
	if !e.Last.IsZero() {
		r.LastDay = e.Last.Format(RoundDate)
	}
	if !e.RSVPDeadline.IsZero() {
		r.RSVPDeadline = e.RSVPDeadline.Format(RoundDeadline)
	}
	return r
}
