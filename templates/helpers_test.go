package templates

import (
	"testing"
	"time"

	"outreach"
	"outreach/directory"
)

// round is the 28th round from the directory: all 195 missions, the event
// and its 14 sessions.
type round struct {
	missions map[string]outreach.Mission
	all      []outreach.Mission
	ev       outreach.Event
	sessions []outreach.Session
	names    map[string]outreach.Names
}

func loadRound(t testing.TB) round {
	t.Helper()
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	r := round{missions: map[string]outreach.Mission{}, all: ms, ev: ev, sessions: ss, names: map[string]outreach.Names{}}
	for _, m := range ms {
		r.missions[m.ID] = m
		r.names[m.ID] = m.Names
	}
	return r
}

func (r round) session(t testing.TB, sur string) outreach.Session {
	t.Helper()
	for _, s := range r.sessions {
		if s.SuR == sur {
			return s
		}
	}
	t.Fatalf("no session on %s", sur)
	return outreach.Session{}
}

// at is a time in Geneva.
func (r round) at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2017, month, day, hour, min, 0, 0, r.ev.Location)
}

// data is what the engine would pass for an invitation to mission id.
func (r round) data(t testing.TB, id string) Data {
	t.Helper()
	m, ok := r.missions[id]
	if !ok {
		t.Fatalf("no mission %s", id)
	}
	return Data{
		Event: r.ev, Mission: m, Sessions: r.sessions, SuRNames: r.names,
		ReplyTo: "rsvp+" + id + "@presessions.example",
		Now:     r.at(time.September, 15, 9, 30),
	}
}

func mustLoad(t testing.TB, dir string) *Set {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q): %v", dir, err)
	}
	return s
}
