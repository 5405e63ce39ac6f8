package directory

import (
	"fmt"
	"time"

	"outreach"
)

// Round29SuR lists the States under Review of the 29th UPR Working Group
// session (January 2018), in the order of the demo's second round.
var Round29SuR = []string{"FRA", "TON", "ROU", "MLI", "BWA", "BHS", "BDI", "LUX", "BRB", "MNE", "ARE", "ISR", "LIE", "SRB"}

// round29Languages is the language each State under Review's speakers
// are written to in, by default.
var round29Languages = map[string]outreach.Language{
	"FRA": outreach.French, "MLI": outreach.French, "BDI": outreach.French, "LUX": outreach.French,
}

// Round29 returns the demo's second round: the pre-sessions before the
// 29th UPR Working Group session, one one-hour slot per State under
// Review with a panel, over four days. The days (5–8 December 2017) and
// rooms are the demo's, not a record of the real round.
func Round29() (outreach.Round, []outreach.Session, error) {
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		return outreach.Round{}, nil, fmt.Errorf("directory: time zone Europe/Zurich: %w (install tzdata)", err)
	}
	r := outreach.Round{
		Number:       29,
		Title:        "UPR Pre-sessions: 29th UPR Working Group session",
		Venue:        "Palais des Nations, Geneva",
		TimeZone:     "Europe/Zurich",
		FirstDay:     "2017-12-05",
		LastDay:      "2017-12-08",
		RSVPDeadline: "2017-11-28T18:00",
		Provisional:  true,
	}
	slots := [][2]int{{10, 0}, {11, 30}, {14, 0}, {15, 30}}
	perDay := []int{4, 4, 3, 3}
	rooms := []string{"Room XXIII", "Room XXIII", "Room XXV", "Room XXIII"}
	var sessions []outreach.Session
	i := 0
	for d, n := range perDay {
		for k := 0; k < n; k++ {
			sur := Round29SuR[i]
			start := time.Date(2017, time.December, 5+d, slots[k][0], slots[k][1], 0, 0, loc)
			s := outreach.Session{
				SuR:          sur,
				Start:        start,
				End:          start.Add(time.Hour),
				Room:         rooms[k],
				Panel:        panelFor(sur, i+14, round29Languages),
				SuRStatement: i%3 != 1,
			}
			if err := s.Validate(); err != nil {
				return r, nil, fmt.Errorf("directory: demo session %s: %w", sur, err)
			}
			sessions = append(sessions, s)
			i++
		}
	}
	return r, sessions, r.Validate()
}
