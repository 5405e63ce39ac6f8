package outreach

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Address is a mailbox with an optional display name.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return fmt.Sprintf("%q <%s>", a.Name, a.Email)
}

// Event is one round of pre-sessions before a UPR Working Group session.
// Dates and venue are provisional until the UN confirms them.
type Event struct {
	Title string `json:"title"`
	// UPRSession is the number of the UPR Working Group session (28).
	UPRSession int    `json:"upr_session"`
	Venue      string `json:"venue"`
	// Location is the time zone the sessions are held in (Europe/Zurich).
	Location *time.Location `json:"-"`
	// First and Last are the first and last days of the round, at midnight
	// in Location.
	First time.Time `json:"first_day"`
	Last  time.Time `json:"last_day"`
	// Organiser is the organisation inviting ("UPR Info") and Mailbox the
	// address invitations come from and replies go to: the mailbox the
	// daemon reads.
	Organiser string  `json:"organiser"`
	Mailbox   Address `json:"mailbox"`
	// Staff is where the daily digest goes.
	Staff Address `json:"staff"`
	// RSVPDeadline is the date by which missions are asked to answer.
	RSVPDeadline time.Time `json:"rsvp_deadline"`
	// Provisional is set while the UN has not confirmed the dates and
	// venue; invitations say so.
	Provisional bool `json:"provisional"`
	// Phone and Web are shown in invitations as the organiser's contact.
	Phone string `json:"phone,omitempty"`
	Web   string `json:"web,omitempty"`
}

// Validate checks the event and returns every problem found.
func (e *Event) Validate() error {
	var errs []error
	if strings.TrimSpace(e.Title) == "" {
		errs = append(errs, errors.New("title: empty"))
	}
	if e.UPRSession <= 0 {
		errs = append(errs, errors.New("upr_session: must be a positive number"))
	}
	if e.Location == nil {
		errs = append(errs, errors.New("time_zone: missing"))
	}
	if e.First.IsZero() || e.Last.IsZero() {
		errs = append(errs, errors.New("first_day, last_day: both required"))
	} else if e.Last.Before(e.First) {
		errs = append(errs, errors.New("last_day: before first_day"))
	}
	if err := CheckAddress(e.Mailbox.Email); err != nil {
		errs = append(errs, fmt.Errorf("mailbox: %w", err))
	}
	if strings.TrimSpace(e.Organiser) == "" {
		errs = append(errs, errors.New("organiser: empty"))
	}
	return errors.Join(errs...)
}
