package jobs

import (
	"sort"
	"time"

	"outreach"
	"outreach/store"
)

// Figures are what staff publish after each round and since the first:
// per round and across the rounds in the store. A mission attends a
// pre-session when its answer recorded for it is an acceptance and the
// pre-session was not cancelled: outreach keeps the answers, not a roll
// call.
type Figures struct {
	Rounds []RoundFigures `json:"rounds"`
	All    AllFigures     `json:"all_rounds"`
	// NeverAttended are the missions that attended no pre-session in any
	// round, by id.
	NeverAttended []string `json:"never_attended"`
	// Missions is each mission's record over the rounds.
	Missions []MissionRecord `json:"missions"`
}

// RoundFigures are one round's figures.
type RoundFigures struct {
	Round    int    `json:"round"`
	Title    string `json:"title"`
	FirstDay string `json:"first_day"`
	LastDay  string `json:"last_day"`
	// PreSessions counts the pre-sessions not cancelled, Held those of
	// them that have ended, Cancelled the others.
	PreSessions int `json:"pre_sessions"`
	Held        int `json:"held"`
	Cancelled   int `json:"cancelled"`
	// MissionsInvited counts the missions whose invitation was delivered
	// to their server; MissionsAttending those attending at least one
	// pre-session.
	MissionsInvited   int `json:"missions_invited"`
	MissionsAttending int `json:"missions_attending"`
	// Attendances counts (mission, pre-session) acceptances; PerSession
	// is their average over the pre-sessions not cancelled.
	Attendances int     `json:"attendances"`
	PerSession  float64 `json:"average_per_session"`
	// SuRAtOwn counts the States under Review attending their own
	// pre-session.
	SuRAtOwn int `json:"sur_at_own_pre_session"`
	// Speakers on the panels of the pre-sessions not cancelled, by kind,
	// and their minutes.
	Speakers       int              `json:"speakers"`
	CSO            int              `json:"cso_speakers"`
	NHRI           int              `json:"nhri_speakers"`
	SpeakerMinutes int              `json:"speaker_minutes"`
	Sessions       []SessionFigures `json:"sessions"`
}

// SessionFigures are one pre-session's.
type SessionFigures struct {
	SuR       string    `json:"sur"`
	Name      string    `json:"name"`
	Start     time.Time `json:"start"`
	Status    string    `json:"status"`
	Attending int       `json:"attending"`
	Declined  int       `json:"declined"`
	Tentative int       `json:"tentative"`
	// SuRAttending says whether the State under Review attends.
	SuRAttending bool `json:"sur_attending"`
	Speakers     int  `json:"speakers"`
	Minutes      int  `json:"speaker_minutes"`
}

// AllFigures are the figures across rounds: sums, and distinct missions.
type AllFigures struct {
	Rounds            int `json:"rounds"`
	PreSessions       int `json:"pre_sessions"`
	Held              int `json:"held"`
	MissionsInvited   int `json:"missions_invited"`
	MissionsAttending int `json:"missions_attending"`
	Attendances       int `json:"attendances"`
	SuRAtOwn          int `json:"sur_at_own_pre_session"`
	Speakers          int `json:"speakers"`
	CSO               int `json:"cso_speakers"`
	NHRI              int `json:"nhri_speakers"`
	SpeakerMinutes    int `json:"speaker_minutes"`
}

// MissionRecord is one mission over the rounds.
type MissionRecord struct {
	Mission string               `json:"mission"`
	Name    string               `json:"name"`
	Rounds  []MissionRoundRecord `json:"rounds"`
	// RoundsAttended counts the rounds in which it attended at least one
	// pre-session; Attended the pre-sessions in all.
	RoundsAttended int `json:"rounds_attended"`
	Attended       int `json:"pre_sessions_attended"`
}

// MissionRoundRecord is one mission in one round.
type MissionRoundRecord struct {
	Round    int  `json:"round"`
	Invited  bool `json:"invited"`
	Attended int  `json:"pre_sessions_attended"`
	Declined int  `json:"pre_sessions_declined"`
}

// Figures reads the figures of every round in the store.
func (e *Engine) Figures() (Figures, error) {
	var f Figures
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		f, err = FiguresOf(tx, e.now())
		return err
	})
	return f, err
}

// FiguresOf reads the figures of every round in tx's store as of now.
func FiguresOf(tx *store.Tx, now time.Time) (Figures, error) {
	f := Figures{Rounds: []RoundFigures{}, NeverAttended: []string{}, Missions: []MissionRecord{}}
	ms, err := tx.Missions()
	if err != nil {
		return f, err
	}
	rounds, err := tx.Rounds()
	if err != nil {
		return f, err
	}
	records := map[string]*MissionRecord{}
	for _, m := range ms {
		records[m.ID] = &MissionRecord{Mission: m.ID, Name: m.Names.EN, Rounds: []MissionRoundRecord{}}
	}
	invitedEver, attendingEver := map[string]bool{}, map[string]bool{}
	for _, r := range rounds {
		rt, err := tx.InRound(r.Number)
		if err != nil {
			return f, err
		}
		rf, perMission, err := roundFigures(rt, r, ms, now)
		if err != nil {
			return f, err
		}
		f.Rounds = append(f.Rounds, rf)
		a := &f.All
		a.Rounds++
		a.PreSessions += rf.PreSessions
		a.Held += rf.Held
		a.Attendances += rf.Attendances
		a.SuRAtOwn += rf.SuRAtOwn
		a.Speakers += rf.Speakers
		a.CSO += rf.CSO
		a.NHRI += rf.NHRI
		a.SpeakerMinutes += rf.SpeakerMinutes
		for _, m := range ms {
			mr := perMission[m.ID]
			rec := records[m.ID]
			rec.Rounds = append(rec.Rounds, mr)
			rec.Attended += mr.Attended
			if mr.Attended > 0 {
				rec.RoundsAttended++
				attendingEver[m.ID] = true
			}
			if mr.Invited {
				invitedEver[m.ID] = true
			}
		}
	}
	f.All.MissionsInvited, f.All.MissionsAttending = len(invitedEver), len(attendingEver)
	for _, m := range ms {
		f.Missions = append(f.Missions, *records[m.ID])
		if !attendingEver[m.ID] {
			f.NeverAttended = append(f.NeverAttended, m.ID)
		}
	}
	return f, nil
}

// roundFigures reads one round's figures and each mission's record in it.
func roundFigures(tx *store.Tx, r outreach.Round, ms []outreach.Mission, now time.Time) (RoundFigures, map[string]MissionRoundRecord, error) {
	rf := RoundFigures{Round: r.Number, Title: r.Title, FirstDay: r.FirstDay, LastDay: r.LastDay, Sessions: []SessionFigures{}}
	per := map[string]MissionRoundRecord{}
	names := map[string]string{}
	for _, m := range ms {
		per[m.ID] = MissionRoundRecord{Round: r.Number}
		names[m.ID] = m.Names.EN
	}
	ss, err := tx.Sessions()
	if err != nil {
		return rf, nil, err
	}
	answers, err := tx.RSVPs()
	if err != nil {
		return rf, nil, err
	}
	byKey := map[[2]string]outreach.Status{}
	for _, a := range answers {
		byKey[[2]string{a.Mission, a.Session}] = a.Status
	}
	live := map[string]bool{}
	for _, s := range ss {
		sf := SessionFigures{SuR: s.SuR, Name: names[s.SuR], Start: s.Start, Status: s.Status.String()}
		if s.Status == outreach.Cancelled {
			rf.Cancelled++
		} else {
			live[s.SuR] = true
			rf.countSession(&sf, s, ms, byKey, now)
		}
		rf.Sessions = append(rf.Sessions, sf)
	}
	missionRecords(per, answers, live)
	if err := rf.countInvited(tx, per); err != nil {
		return rf, nil, err
	}
	for _, mr := range per {
		if mr.Attended > 0 {
			rf.MissionsAttending++
		}
	}
	if rf.PreSessions > 0 {
		rf.PerSession = float64(rf.Attendances) / float64(rf.PreSessions)
	}
	sort.SliceStable(rf.Sessions, func(i, j int) bool { return rf.Sessions[i].Start.Before(rf.Sessions[j].Start) })
	return rf, per, nil
}

// countSession counts a pre-session that was not cancelled: held or not,
// its speakers and their minutes, and the missions' answers to it.
func (rf *RoundFigures) countSession(sf *SessionFigures, s outreach.Session, ms []outreach.Mission, byKey map[[2]string]outreach.Status, now time.Time) {
	rf.PreSessions++
	if !s.End.After(now) {
		rf.Held++
	}
	for _, sp := range s.Panel {
		sf.Speakers++
		sf.Minutes += sp.Minutes
		switch sp.Kind {
		case outreach.CSO:
			rf.CSO++
		case outreach.NHRI:
			rf.NHRI++
		}
	}
	rf.Speakers += sf.Speakers
	rf.SpeakerMinutes += sf.Minutes
	for _, m := range ms {
		switch byKey[[2]string{m.ID, s.SuR}] {
		case outreach.Accepted:
			sf.Attending++
			if m.ID == s.SuR {
				sf.SuRAttending = true
			}
		case outreach.Declined:
			sf.Declined++
		case outreach.Tentative:
			sf.Tentative++
		}
	}
	if sf.SuRAttending {
		rf.SuRAtOwn++
	}
	rf.Attendances += sf.Attending
}

// missionRecords counts each mission's acceptances and refusals of the
// round's pre-sessions that were not cancelled.
func missionRecords(per map[string]MissionRoundRecord, answers []outreach.RSVP, live map[string]bool) {
	for _, a := range answers {
		mr, known := per[a.Mission]
		if !known || !live[a.Session] {
			continue
		}
		switch a.Status {
		case outreach.Accepted:
			mr.Attended++
		case outreach.Declined:
			mr.Declined++
		}
		per[a.Mission] = mr
	}
}

// countInvited marks the missions whose invitation was delivered.
func (rf *RoundFigures) countInvited(tx *store.Tx, per map[string]MissionRoundRecord) error {
	invs, err := tx.OutboxByKeyPrefix(string(outreach.Invitation) + "/")
	if err != nil {
		return err
	}
	for _, it := range invs {
		if mr, known := per[it.Key.Mission]; known && it.State == outreach.Sent && !mr.Invited {
			mr.Invited = true
			per[it.Key.Mission] = mr
			rf.MissionsInvited++
		}
	}
	return nil
}

// RoundSummary is one round of the store as `outreach round list` shows
// it.
type RoundSummary struct {
	outreach.Round
	Current  bool `json:"current"`
	Sessions int  `json:"sessions"`
	// Answers counts the (mission, session) answers recorded.
	Answers  int `json:"answers"`
	Messages int `json:"messages"`
	Waiting  int `json:"messages_waiting"`
	Review   int `json:"review_open"`
}

// Rounds lists every round in the store, in order of number.
func (e *Engine) Rounds() ([]RoundSummary, error) {
	out := []RoundSummary{}
	err := e.st.View(func(tx *store.Tx) error {
		rounds, err := tx.Rounds()
		if err != nil {
			return err
		}
		for _, r := range rounds {
			rt, err := tx.InRound(r.Number)
			if err != nil {
				return err
			}
			l := RoundSummary{Round: r, Current: r.Number == tx.CurrentRound(), Waiting: rt.Waiting()}
			ss, err := rt.Sessions()
			if err != nil {
				return err
			}
			rs, err := rt.RSVPs()
			if err != nil {
				return err
			}
			ob, err := rt.Outbox(nil)
			if err != nil {
				return err
			}
			rv, err := rt.Reviews(outreach.ReviewOpen)
			if err != nil {
				return err
			}
			for _, a := range rs {
				if a.Status != outreach.None {
					l.Answers++
				}
			}
			l.Sessions, l.Messages, l.Review = len(ss), len(ob), len(rv)
			out = append(out, l)
		}
		return nil
	})
	return out, err
}
