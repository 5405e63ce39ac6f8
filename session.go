package outreach

import (
	"errors"
	"fmt"
	"strings"
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

// Speaker is one panellist of a session. Email and Language are what a
// reminder to the speaker needs: a speaker without an address is sent
// nothing, and one without a language is written to in English.
type Speaker struct {
	Name         string      `json:"name"`
	Organisation string      `json:"organisation"`
	Kind         SpeakerKind `json:"kind"`
	Minutes      int         `json:"minutes"`
	Email        string      `json:"email,omitempty"`
	Language     Language    `json:"language,omitempty"`
}

// Lang is the language to write to the speaker in: English unless one
// was given.
func (sp Speaker) Lang() Language {
	if sp.Language == "" {
		return English
	}
	return sp.Language
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
	// Note says why the session last changed ("moved to Room XX"), in
	// English; NoteFR and NoteES are the same in French and Spanish when
	// staff gave them.
	Note   string `json:"note,omitempty"`
	NoteFR string `json:"note_fr,omitempty"`
	NoteES string `json:"note_es,omitempty"`
}

// NoteIn returns the session's note in l, and whether it is in l: when the
// note was given in English only, the English text and false.
func (s Session) NoteIn(l Language) (string, bool) {
	switch l {
	case French:
		if s.NoteFR != "" {
			return s.NoteFR, true
		}
	case Spanish:
		if s.NoteES != "" {
			return s.NoteES, true
		}
	default:
		return s.Note, true
	}
	return s.Note, s.Note == ""
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

// CheckPanel checks each speaker's slot (5 to 7 minutes, CSO or NHRI), their
// address and language when given (no address twice in one panel), and
// that the programme fits within the session's length.
func (s *Session) CheckPanel() error {
	var errs []error
	emails := map[string]int{}
	for i, sp := range s.Panel {
		if sp.Kind != CSO && sp.Kind != NHRI {
			errs = append(errs, fmt.Errorf("panel[%d] %s: kind %q, want CSO or NHRI", i, sp.Name, sp.Kind))
		}
		if sp.Minutes < SpeakerMinMinutes || sp.Minutes > SpeakerMaxMinutes {
			errs = append(errs, fmt.Errorf("panel[%d] %s: %d minutes, want %d to %d",
				i, sp.Name, sp.Minutes, SpeakerMinMinutes, SpeakerMaxMinutes))
		}
		if sp.Email != "" {
			if err := CheckAddress(sp.Email); err != nil {
				errs = append(errs, fmt.Errorf("panel[%d] %s: %w", i, sp.Name, err))
			} else if prev, dup := emails[strings.ToLower(sp.Email)]; dup {
				errs = append(errs, fmt.Errorf("panel[%d] %s: %s is already panel[%d]'s address", i, sp.Name, sp.Email, prev))
			} else {
				emails[strings.ToLower(sp.Email)] = i
			}
		}
		if sp.Language != "" {
			if _, err := ParseLanguage(string(sp.Language)); err != nil {
				errs = append(errs, fmt.Errorf("panel[%d] %s: %w", i, sp.Name, err))
			}
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
