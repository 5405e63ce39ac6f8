package main

import (
	"encoding/csv"
	"strconv"
	"strings"

	"outreach/admin"
	"outreach/jobs"
)

func cmdFigures(c *cli, args []string) error {
	fs := c.flags("figures", "", "The figures staff publish, per round and across the rounds in the store: pre-sessions\n"+
		"held, missions invited and attending at least one, attendance per pre-session, States\n"+
		"under Review at their own, speakers (CSO/NHRI) and their minutes, the missions that\n"+
		"have never attended; with --missions each mission's record over the rounds. A mission\n"+
		"attends when its recorded answer for a pre-session not cancelled is an acceptance.")
	asJSON := fs.Bool("json", false, "print everything as JSON")
	asCSV := fs.Bool("csv", false, "print the rounds (or with --missions the missions) as CSV")
	missions := fs.Bool("missions", false, "each mission's record over the rounds")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return usagef("figures: --json and --csv: choose one")
	}
	var f jobs.Figures
	err := c.withReadAPI(func(a *admin.Client) error {
		var err error
		f, err = a.Figures(c.ctx)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return c.printJSON(f)
	case *asCSV && *missions:
		return c.missionsCSV(f)
	case *asCSV:
		return c.roundsCSV(f)
	}
	c.printFigures(f, *missions)
	return nil
}

func (c *cli) roundsCSV(f jobs.Figures) error {
	w := csv.NewWriter(c.stdout)
	w.Write([]string{"round", "title", "first_day", "last_day", "pre_sessions", "held", "cancelled", "missions_invited",
		"missions_attending", "attendances", "average_per_session", "sur_at_own_pre_session", "speakers", "cso_speakers",
		"nhri_speakers", "speaker_minutes"})
	for _, r := range f.Rounds {
		w.Write([]string{strconv.Itoa(r.Round), csvSafe(r.Title), r.FirstDay, r.LastDay, itoa(r.PreSessions), itoa(r.Held), itoa(r.Cancelled),
			itoa(r.MissionsInvited), itoa(r.MissionsAttending), itoa(r.Attendances), strconv.FormatFloat(r.PerSession, 'f', 1, 64),
			itoa(r.SuRAtOwn), itoa(r.Speakers), itoa(r.CSO), itoa(r.NHRI), itoa(r.SpeakerMinutes)})
	}
	a := f.All
	w.Write([]string{"all", "", "", "", itoa(a.PreSessions), itoa(a.Held), "", itoa(a.MissionsInvited), itoa(a.MissionsAttending),
		itoa(a.Attendances), "", itoa(a.SuRAtOwn), itoa(a.Speakers), itoa(a.CSO), itoa(a.NHRI), itoa(a.SpeakerMinutes)})
	w.Flush()
	return w.Error()
}

func (c *cli) missionsCSV(f jobs.Figures) error {
	w := csv.NewWriter(c.stdout)
	head := []string{"mission", "name"}
	for _, r := range f.Rounds {
		n := strconv.Itoa(r.Round)
		head = append(head, "round_"+n+"_invited", "round_"+n+"_attended", "round_"+n+"_declined")
	}
	w.Write(append(head, "rounds_attended", "pre_sessions_attended"))
	for _, m := range f.Missions {
		line := []string{m.Mission, csvSafe(m.Name)}
		for _, r := range m.Rounds {
			line = append(line, strconv.FormatBool(r.Invited), itoa(r.Attended), itoa(r.Declined))
		}
		w.Write(append(line, itoa(m.RoundsAttended), itoa(m.Attended)))
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a text cell from being read as a formula by a
// spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func (c *cli) printFigures(f jobs.Figures, missions bool) {
	if len(f.Rounds) == 0 {
		printf(c.stdout, "No rounds in the store.\n")
		return
	}
	printf(c.stdout, "Figures per round\n")
	tw := c.table()
	printf(tw, "  round\tpre-sessions\theld\tmissions invited\tattending at least one\tattendances\tper pre-session\tSuR at own\tspeakers (CSO/NHRI)\tminutes\n")
	for _, r := range f.Rounds {
		printf(tw, "  %d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%d of %d\t%d (%d/%d)\t%d\n", r.Round, r.PreSessions, r.Held, r.MissionsInvited,
			r.MissionsAttending, r.Attendances, r.PerSession, r.SuRAtOwn, r.PreSessions, r.Speakers, r.CSO, r.NHRI, r.SpeakerMinutes)
	}
	a := f.All
	printf(tw, "  all %d\t%d\t%d\t%d\t%d\t%d\t\t%d of %d\t%d (%d/%d)\t%d\n", a.Rounds, a.PreSessions, a.Held, a.MissionsInvited,
		a.MissionsAttending, a.Attendances, a.SuRAtOwn, a.PreSessions, a.Speakers, a.CSO, a.NHRI, a.SpeakerMinutes)
	tw.Flush()
	printf(c.stdout, "  (missions: distinct across rounds; attending: a recorded acceptance of a pre-session not cancelled)\n")
	for _, r := range f.Rounds {
		printf(c.stdout, "\nRound %d, attendance per pre-session\n", r.Round)
		tw := c.table()
		printf(tw, "  \tpre-session\tattending\tpanel\tState under Review attends\n")
		for _, s := range r.Sessions {
			own := "no"
			if s.SuRAttending {
				own = "yes"
			}
			if s.Status != "scheduled" {
				own = s.Status
			}
			printf(tw, "  %s\t%s\t%d\t%d speakers, %d min\t%s\n", s.SuR, s.Name, s.Attending, s.Speakers, s.Minutes, own)
		}
		tw.Flush()
	}
	printf(c.stdout, "\nMissions that have never attended: %d of %d\n", len(f.NeverAttended), len(f.Missions))
	for i := 0; i < len(f.NeverAttended); i += 15 {
		printf(c.stdout, "  %s\n", strings.Join(f.NeverAttended[i:min(i+15, len(f.NeverAttended))], " "))
	}
	if !missions {
		printf(c.stdout, "\nEach mission's record over the rounds: outreach figures --missions (or --csv --missions)\n")
		return
	}
	printf(c.stdout, "\nEach mission over the rounds (pre-sessions attended; - not invited)\n")
	tw = c.table()
	printf(tw, "  mission\tname")
	for _, r := range f.Rounds {
		printf(tw, "\t%d", r.Round)
	}
	printf(tw, "\trounds attended\n")
	for _, m := range f.Missions {
		printf(tw, "  %s\t%s", m.Mission, m.Name)
		for _, r := range m.Rounds {
			if r.Invited {
				printf(tw, "\t%d", r.Attended)
			} else {
				printf(tw, "\t-")
			}
		}
		printf(tw, "\t%d of %d\n", m.RoundsAttended, len(m.Rounds))
	}
	tw.Flush()
}
