package outreach

import (
	"fmt"
	"strings"
	"time"
)

// Status is a mission's answer for one session.
type Status int

// RSVP states. None means no answer yet.
const (
	None Status = iota
	Accepted
	Declined
	Tentative
)

func (s Status) String() string {
	switch s {
	case Accepted:
		return "accepted"
	case Declined:
		return "declined"
	case Tentative:
		return "tentative"
	}
	return "none"
}

// ParseStatus reads "accepted", "declined", "tentative" or "none".
func ParseStatus(s string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "accepted", "accept", "yes":
		return Accepted, nil
	case "declined", "decline", "no":
		return Declined, nil
	case "tentative", "maybe":
		return Tentative, nil
	case "none":
		return None, nil
	}
	return None, fmt.Errorf("unknown status %q (want accepted, declined, tentative or none)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	*s = v
	return err
}

// SourceKind says how an answer reached us.
type SourceKind string

// Where answers come from.
const (
	FromCalendar SourceKind = "calendar" // an iMIP REPLY
	FromEmail    SourceKind = "email"    // a letter read by intake
	FromStaff    SourceKind = "staff"    // recorded by staff (phone, in person)
	FromWeb      SourceKind = "web"      // submitted on the mission's reply page
)

// Source identifies what an RSVP was recorded from.
type Source struct {
	Kind SourceKind `json:"kind"`
	// MessageID is the Message-ID of the reply, for calendar and email answers.
	MessageID string `json:"message_id,omitempty"`
	// Actor is who answered: the sender's address, or the staff member.
	Actor string `json:"actor,omitempty"`
	// Sequence and DTStamp are the iCalendar revision a calendar reply
	// answered.
	Sequence int       `json:"sequence,omitempty"`
	DTStamp  time.Time `json:"dtstamp,omitzero"`
}

// RSVP is one recorded answer of a mission for a session.
type RSVP struct {
	Mission string `json:"mission"`
	Session string `json:"session"`
	Status  Status `json:"status"`
	// Delegates is how many delegates the mission announced (0: not said);
	// DelegateNames the names it gave.
	Delegates     int       `json:"delegates,omitempty"`
	DelegateNames []string  `json:"delegate_names,omitempty"`
	Note          string    `json:"note,omitempty"`
	At            time.Time `json:"at"`
	Source        Source    `json:"source"`
	// Stale is set on a history entry that was recorded but did not change
	// the current answer (an older calendar revision, or a reply to a
	// cancelled session).
	Stale string `json:"stale,omitempty"`
}

// Supersedes reports whether the answer next should replace cur, the answer
// currently held. Every answer carries the revision (SEQUENCE) of the
// session it answered. A calendar reply to an older revision than the one
// cur answered never replaces it; between two calendar replies to the same
// revision the later DTSTAMP wins (RFC 5546 §2.1.5). Letters and staff
// decisions answer the current revision and replace what came before.
func (next RSVP) Supersedes(cur RSVP) bool {
	if cur.Status == None && cur.At.IsZero() {
		return true
	}
	if next.Source.Kind == FromCalendar {
		if next.Source.Sequence < cur.Source.Sequence {
			return false
		}
		if cur.Source.Kind == FromCalendar && next.Source.Sequence == cur.Source.Sequence {
			return !next.Source.DTStamp.Before(cur.Source.DTStamp)
		}
	}
	return true
}
