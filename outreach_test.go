package outreach

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPanelMustFitTheSlot(t *testing.T) {
	start := time.Date(2017, 10, 10, 10, 0, 0, 0, time.UTC)
	s := Session{SuR: "JPN", Start: start, End: start.Add(time.Hour), SuRStatement: true}
	for i := 0; i < 8; i++ {
		s.Panel = append(s.Panel, Speaker{Name: "S", Kind: CSO, Minutes: 7})
	}
	// 8 × 7 + 2 = 58 minutes: fits.
	if err := s.Validate(); err != nil {
		t.Fatalf("58 minutes in a 60-minute slot: %v", err)
	}
	s.Panel = append(s.Panel, Speaker{Name: "T", Kind: NHRI, Minutes: 5})
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "needs 63 minutes, the slot has 60") {
		t.Fatalf("63 minutes: %v", err)
	}
	s.Panel = []Speaker{{Name: "Long", Kind: CSO, Minutes: 10}, {Name: "Odd", Kind: "NGO", Minutes: 5}}
	err = s.CheckPanel()
	if err == nil || !strings.Contains(err.Error(), "Long: 10 minutes, want 5 to 7") || !strings.Contains(err.Error(), `kind "NGO"`) {
		t.Fatalf("bad speakers: %v", err)
	}
}

func TestSessionTimes(t *testing.T) {
	start := time.Date(2017, 10, 10, 10, 0, 0, 0, time.UTC)
	s := Session{SuR: "JPN", Start: start, End: start}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "end: not after start") {
		t.Fatalf("zero-length session: %v", err)
	}
}

func TestSupersedes(t *testing.T) {
	t0 := time.Date(2017, 9, 1, 0, 0, 0, 0, time.UTC)
	cal := func(seq int, stamp time.Time) RSVP {
		return RSVP{At: stamp, Source: Source{Kind: FromCalendar, Sequence: seq, DTStamp: stamp}}
	}
	letter := func(seq int, at time.Time) RSVP { return RSVP{At: at, Source: Source{Kind: FromEmail, Sequence: seq}} }
	cases := []struct {
		name      string
		next, cur RSVP
		want      bool
	}{
		{"first answer", cal(0, t0), RSVP{}, true},
		{"newer revision", cal(1, t0), cal(0, t0.Add(time.Hour)), true},
		{"older revision", cal(0, t0.Add(time.Hour)), cal(1, t0), false},
		{"same revision, later stamp", cal(1, t0.Add(time.Hour)), cal(1, t0), true},
		{"same revision, earlier stamp", cal(1, t0), cal(1, t0.Add(time.Hour)), false},
		{"calendar reply to an older revision than a letter", cal(0, t0.Add(time.Hour)), letter(1, t0), false},
		{"letter after calendar", letter(1, t0.Add(time.Hour)), cal(1, t0), true},
		{"staff decision", RSVP{At: t0, Source: Source{Kind: FromStaff}}, cal(3, t0), true},
	}
	for _, c := range cases {
		if got := c.next.Supersedes(c.cur); got != c.want {
			t.Errorf("%s: Supersedes = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTallyAndCoverage(t *testing.T) {
	ms := []Mission{
		{ID: "JPN", Names: Names{EN: "Japan"}, Contacts: []Contact{{Email: "a@jp.example"}}},
		{ID: "FRA", Names: Names{EN: "France"}, Contacts: []Contact{{Email: "a@fr.example", Undeliverable: true}}},
		{ID: "PER", Names: Names{EN: "Peru"}},
	}
	ss := []Session{{SuR: "JPN"}, {SuR: "PER", Status: Cancelled}}
	rs := []RSVP{{Mission: "JPN", Session: "JPN", Status: Accepted}, {Mission: "FRA", Session: "JPN", Status: Declined},
		{Mission: "PER", Session: "PER", Status: Tentative}}
	tl := Tally(ms, ss, rs, func(id string) bool { return id != "PER" })
	// PER was not invited: it is not "no answer" but "not invited".
	if tl[0].Invited != 2 || tl[0].Accepted != 1 || tl[0].Declined != 1 || tl[0].NoAnswer != 0 || tl[0].NotInvited != 1 || tl[0].SuRAnswer != "accepted" {
		t.Errorf("JPN tally: %+v", tl[0])
	}
	if tl[1].Tentative != 1 || tl[1].Status != "cancelled" || tl[1].SuRAnswer != "tentative" {
		t.Errorf("PER tally: %+v", tl[1])
	}
	c := Cover(ms)
	if c.Missions != 3 || c.Reachable != 1 || strings.Join(c.Unreachable, ",") != "FRA,PER" {
		t.Errorf("coverage: %+v", c)
	}
}

func TestAddresses(t *testing.T) {
	for _, ok := range []string{"geneva@jpn.mission.example", "o'brien@mfa.example", "a.b+c@x.example"} {
		if err := CheckAddress(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "geneva", "geneva@jpn", "Japan <a@jp.example>", "a@jp.example\r\nBcc: x@y.example", "a b@c.example"} {
		if err := CheckAddress(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestStatusText(t *testing.T) {
	for _, s := range []Status{None, Accepted, Declined, Tentative} {
		b, _ := json.Marshal(s)
		var back Status
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%v round trip: %s %v", s, b, err)
		}
	}
	if _, err := ParseStatus("maybe later"); err == nil {
		t.Error("nonsense status accepted")
	}
	var m Mission
	if err := json.Unmarshal([]byte(`{"id":"VAT","kind":"observer"}`), &m); err != nil || m.Kind != Observer {
		t.Errorf("kind: %v %v", m.Kind, err)
	}
}

func TestMissionValidate(t *testing.T) {
	m := Mission{ID: "jp", Names: Names{EN: "Japan"}, Language: "de", Contacts: []Contact{{Email: "x"}, {Email: "a@b.example"}, {Email: "A@b.example"}}}
	err := m.Validate()
	for _, want := range []string{"id \"jp\"", "name_fr: empty", "language", "emails: address \"x\"", "listed twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
}
