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
	rooms := []string{"Room XXIII", "Room XXIII", "Room XXV", "Room XXIII"}
	sessions, err := demoSessions(Round29SuR, time.Date(2017, time.December, 5, 0, 0, 0, 0, loc), rooms,
		func(i int) []outreach.Speaker { return panelFor(Round29SuR[i], i+14, round29Languages) }, func(i int) bool { return i%3 != 1 })
	if err != nil {
		return r, nil, err
	}
	return r, sessions, r.Validate()
}
