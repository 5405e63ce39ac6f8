package outreach

import (
	"errors"
	"fmt"
	"time"
)

// SpeakerKind tells a civil society speaker from a national human rights
// institution's.
type SpeakerKind string

// Speaker kinds.
const (
	CSO  SpeakerKind = "CSO"
	NHRI SpeakerKind = "NHRI"
)

// Speaker is one panellist of a session.
type Speaker struct {
	Name         string      `json:"name"`
	Organisation string      `json:"organisation"`
	Kind         SpeakerKind `json:"kind"`
	Minutes      int         `json:"minutes"`
	Email        string      `json:"email,omitempty"`
}

// Time limits of a session's programme.
const (
	SpeakerMinMinutes = 5
	SpeakerMaxMinutes = 7
	SuRStatementMins  = 2
	SlotLength        = time.Hour
)

// SessionStatus is whether a session still takes place.
type SessionStatus int

// Session states.
const (
	Scheduled SessionStatus = iota
	Cancelled
)

func (s SessionStatus) String() string {
	if s == Cancelled {
		return "cancelled"
	}
	return "scheduled"
}

// MarshalText implements encoding.TextMarshaler.
func (s SessionStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *SessionStatus) UnmarshalText(b []byte) error {
	switch string(b) {
	case "scheduled", "":
		*s = Scheduled
	case "cancelled":
		*s = Cancelled
	default:
		return fmt.Errorf("unknown session status %q", b)
	}
	return nil
}

// Session is the one-hour pre-session on one State under Review.
type Session struct {
	// SuR is the mission id of the State under Review; it also identifies
	// the session within its event.
	SuR   string    `json:"sur"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Room  string    `json:"room"`
	Panel []Speaker `json:"panel,omitempty"`
	// SuRStatement is set when the State under Review opens with a
	// two-minute statement.
	SuRStatement bool `json:"sur_statement,omitempty"`
	// Sequence is the iCalendar SEQUENCE of the session's current revision:
	// it goes up whenever the time, room or status changes.
	Sequence int           `json:"sequence"`
	Status   SessionStatus `json:"status"`
	// Note says why the session last changed ("moved to Room XX").
	Note string `json:"note,omitempty"`
}

// Validate checks the slot (end after start, at most a working day) and the
// panel, returning every problem.
func (s *Session) Validate() error {
	var errs []error
	if !IsMissionID(s.SuR) {
		errs = append(errs, fmt.Errorf("sur %q: want a mission id such as JPN", s.SuR))
	}
	if s.Start.IsZero() || s.End.IsZero() {
		errs = append(errs, errors.New("start, end: both required"))
	} else if !s.End.After(s.Start) {
		errs = append(errs, errors.New("end: not after start"))
	} else if s.End.Sub(s.Start) > 8*time.Hour {
		errs = append(errs, errors.New("end: a session cannot last more than 8 hours"))
	}
	if err := s.CheckPanel(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// PanelMinutes is the speaking time the programme needs: every speaker's
// minutes plus the State under Review's statement.
func (s *Session) PanelMinutes() int {
	n := 0
	for _, sp := range s.Panel {
		n += sp.Minutes
	}
	if s.SuRStatement {
		n += SuRStatementMins
	}
	return n
}

// CheckPanel checks each speaker's slot (5 to 7 minutes, CSO or NHRI) and
// that the programme fits within the session's length.
func (s *Session) CheckPanel() error {
	var errs []error
	for i, sp := range s.Panel {
		if sp.Kind != CSO && sp.Kind != NHRI {
			errs = append(errs, fmt.Errorf("panel[%d] %s: kind %q, want CSO or NHRI", i, sp.Name, sp.Kind))
		}
		if sp.Minutes < SpeakerMinMinutes || sp.Minutes > SpeakerMaxMinutes {
			errs = append(errs, fmt.Errorf("panel[%d] %s: %d minutes, want %d to %d",
				i, sp.Name, sp.Minutes, SpeakerMinMinutes, SpeakerMaxMinutes))
		}
	}
	length := SlotLength
	if !s.Start.IsZero() && s.End.After(s.Start) {
		length = s.End.Sub(s.Start)
	}
	if need := time.Duration(s.PanelMinutes()) * time.Minute; need > length {
		errs = append(errs, fmt.Errorf("panel: needs %d minutes, the slot has %d",
			s.PanelMinutes(), int(length.Minutes())))
	}
	return errors.Join(errs...)
}
