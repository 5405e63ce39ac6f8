package outreach

import (
	"strings"
	"testing"
	"time"
)

func TestRoundValidateReportsEveryProblem(t *testing.T) {
	r := Round{Number: 0, TimeZone: "Mars/Olympus", FirstDay: "2018-13-01", LastDay: "2018-01-02", RSVPDeadline: "soon"}
	err := r.Validate()
	if err == nil {
		t.Fatal("a round with every field wrong is valid")
	}
	for _, want := range []string{"number: 0", "title: empty", `time_zone: "Mars/Olympus"`, `first_day: "2018-13-01"`, `rsvp_deadline: "soon"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate does not report %q:\n%v", want, err)
		}
	}
	late := Round{Number: 29, Title: "x", TimeZone: "Europe/Zurich", FirstDay: "2017-12-05", LastDay: "2017-12-04", RSVPDeadline: "2017-12-06T18:00"}
	err = late.Validate()
	if err == nil || !strings.Contains(err.Error(), "last_day: 2017-12-04 is before first_day") || !strings.Contains(err.Error(), "rsvp_deadline: 2017-12-06T18:00 is after") {
		t.Errorf("days out of order and a deadline after the first day: %v", err)
	}
}

// A round applied to the configuration's event replaces what changes per
// round and keeps the organiser's own settings; RoundOf gives it back.
func TestRoundApplyKeepsTheOrganiser(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Skip("no time zone data")
	}
	base := Event{Title: "28th", UPRSession: 28, Venue: "Palais des Nations", Location: zurich,
		First: time.Date(2017, 10, 10, 0, 0, 0, 0, zurich), Last: time.Date(2017, 10, 13, 0, 0, 0, 0, zurich),
		Organiser: "UPR Info", Mailbox: Address{Email: "rsvp@presessions.example"}, Provisional: true,
		RSVPDeadline: time.Date(2017, 10, 3, 18, 0, 0, 0, zurich), Phone: "+41 22 321 77 70"}
	r := Round{Number: 29, Title: "29th", TimeZone: "Europe/Zurich", FirstDay: "2017-12-05", LastDay: "2017-12-08", RSVPDeadline: "2017-11-28T18:00"}
	e := r.Apply(base)
	if e.UPRSession != 29 || e.Title != "29th" || e.Venue != "Palais des Nations" || e.Provisional ||
		!e.First.Equal(time.Date(2017, 12, 5, 0, 0, 0, 0, zurich)) || !e.RSVPDeadline.Equal(time.Date(2017, 11, 28, 18, 0, 0, 0, zurich)) {
		t.Errorf("applied: %+v", e)
	}
	if e.Organiser != "UPR Info" || e.Mailbox.Email != "rsvp@presessions.example" || e.Phone != base.Phone {
		t.Errorf("the organiser's settings changed: %+v", e)
	}
	if back := RoundOf(base); back.Number != 28 || back.FirstDay != "2017-10-10" || back.RSVPDeadline != "2017-10-03T18:00" || !back.Provisional || back.TimeZone != "Europe/Zurich" {
		t.Errorf("RoundOf: %+v", back)
	}
}
