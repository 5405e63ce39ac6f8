package outreach

import (
	"sort"
	"time"
)

// SessionTally counts the answers for one session.
type SessionTally struct {
	SuR       string    `json:"sur"`
	Name      string    `json:"name"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Room      string    `json:"room"`
	Status    string    `json:"status"`
	Invited   int       `json:"invited"`
	Accepted  int       `json:"accepted"`
	Declined  int       `json:"declined"`
	Tentative int       `json:"tentative"`
	// NoAnswer counts the missions invited that have not answered;
	// NotInvited those not invited (yet, or not reachable) that have not
	// answered either, so that the columns add up to the directory.
	NoAnswer   int `json:"no_answer"`
	NotInvited int `json:"not_invited"`
	// SuRAttending is the State under Review's own answer for its session.
	SuRAnswer string `json:"sur_answer"`
}

// Coverage is the universality report: every mission must be reachable.
type Coverage struct {
	Missions  int `json:"missions"`
	Reachable int `json:"reachable"`
	// Unreachable lists the missions with no usable address (none given, or
	// every address bounced).
	Unreachable []string `json:"unreachable"`
}

// Tally counts the current answers per session, in the sessions' order.
// invited tells whether a mission's invitation has gone out (nil: every
// mission's has); a mission not invited that has not answered counts under
// not_invited, not under no_answer, and the totals still cover every
// mission in the directory.
func Tally(missions []Mission, sessions []Session, current []RSVP, invited func(mission string) bool) []SessionTally {
	names := make(map[string]string, len(missions))
	for _, m := range missions {
		names[m.ID] = m.Names.EN
	}
	answers := make(map[[2]string]Status, len(current))
	for _, r := range current {
		answers[[2]string{r.Mission, r.Session}] = r.Status
	}
	out := make([]SessionTally, 0, len(sessions))
	for _, s := range sessions {
		t := SessionTally{SuR: s.SuR, Name: names[s.SuR], Start: s.Start, End: s.End, Room: s.Room, Status: s.Status.String()}
		for _, m := range missions {
			in := invited == nil || invited(m.ID)
			if in {
				t.Invited++
			}
			st := answers[[2]string{m.ID, s.SuR}]
			switch st {
			case Accepted:
				t.Accepted++
			case Declined:
				t.Declined++
			case Tentative:
				t.Tentative++
			default:
				if in {
					t.NoAnswer++
				} else {
					t.NotInvited++
				}
			}
			if m.ID == s.SuR {
				t.SuRAnswer = st.String()
			}
		}
		out = append(out, t)
	}
	return out
}

// Cover computes the universality report over the directory.
func Cover(missions []Mission) Coverage {
	c := Coverage{Missions: len(missions), Unreachable: []string{}}
	for i := range missions {
		if len(missions[i].Usable()) > 0 {
			c.Reachable++
		} else {
			c.Unreachable = append(c.Unreachable, missions[i].ID)
		}
	}
	sort.Strings(c.Unreachable)
	return c
}
