package clientcheck

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Played is a calendar after PlayCalendar: its events and what each object
// did to it.
type Played struct {
	Events []PlayedEvent
	Steps  []Step
}

// PlayedEvent is an event the calendar holds at the end, as last applied.
type PlayedEvent struct {
	Event
	// Cancelled is set once a CANCEL (or a REQUEST with STATUS:CANCELLED)
	// was applied.
	Cancelled bool
}

// Step is what one VEVENT of one object did.
type Step struct {
	Index    int    `json:"index"` // of the object in the input
	Method   string `json:"method"`
	UID      string `json:"uid"`
	Sequence int    `json:"sequence"`
	// Action is added, updated, cancelled, ignored or error.
	Action string `json:"action"`
	Reason string `json:"reason"` // why it was ignored
	Error  string `json:"error"`  // why the object could not be read
	// Problems are what ical.js read past in the event.
	Problems []string `json:"problems"`
}

// PlayCalendar applies iTIP objects in order to one empty calendar with
// ical.js, as a client applies incoming invitations: keyed by UID, a
// REQUEST adds an unknown event and replaces a known one only if it is a
// newer revision (higher SEQUENCE, or the same SEQUENCE and a later
// DTSTAMP); a CANCEL at or above the held SEQUENCE marks the event
// cancelled; anything older is ignored. The error is set when ical.js is
// missing, a process failed, or an object could not be read (its Step
// then says why); the Played value is still filled in as far as it got.
func PlayCalendar(objects [][]byte) (Played, error) {
	if err := Available(ICALJSParser); err != nil {
		return Played{}, err
	}
	if len(objects) == 0 {
		return Played{}, nil
	}
	d, _ := dir()
	// The calendar is one state: all objects go to one process, in order.
	raw, err := runPlay(d, objects)
	if err != nil {
		return Played{}, err
	}
	var w struct {
		Events []struct {
			wireEvent
			Cancelled bool `json:"cancelled"`
		} `json:"events"`
		Steps []Step `json:"steps"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Played{}, fmt.Errorf("clientcheck: play: %w", err)
	}
	out := Played{Steps: w.Steps}
	var errs []error
	for _, we := range w.Events {
		ev, err := we.event()
		if err != nil {
			errs = append(errs, fmt.Errorf("play: event %s: %w", we.UID, err))
		}
		out.Events = append(out.Events, PlayedEvent{Event: ev, Cancelled: we.Cancelled})
	}
	for _, s := range w.Steps {
		if s.Action == "error" {
			errs = append(errs, fmt.Errorf("%s: object %d: %s", ICALJSParser, s.Index, s.Error))
		}
	}
	return out, errors.Join(errs...)
}
