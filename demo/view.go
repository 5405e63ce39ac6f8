package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"outreach"
)

// table writes the round per session, from the store's tallies.
func (r *round) table(w io.Writer, res Result) {
	loc := r.ev.Location
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Pre-session\tWhen (Geneva)\tRoom\tAccepted\tTentative\tDeclined\tNo answer\tState under Review\t")
	for _, s := range res.Status.Sessions {
		sur := s.SuRAnswer
		if sur == "" {
			sur = "no answer"
		}
		name := s.Name
		if s.Status == "cancelled" {
			name += " (cancelled)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t\n", outreach.Printable(name), s.Start.In(loc).Format("Mon 2 Jan 15:04"), outreach.Printable(s.Room),
			s.Accepted, s.Tentative, s.Declined, s.NoAnswer, sur)
	}
	tw.Flush()
}

// render redraws the live view.
func (r *round) render() {
	res, err := r.result()
	if err != nil {
		return
	}
	sn := res.snapshot
	var b strings.Builder
	if r.opts.Terminal {
		b.WriteString("\033[H\033[2J") // redraw in place
	} else {
		b.WriteString("\n")
	}
	now := r.clock.Now().In(r.ev.Location)
	fmt.Fprintf(&b, "%s — demo round\nGeneva time %s   (clock %.0f× real time; Ctrl-C stops)\n\n",
		r.ev.Title, now.Format("Monday 2 January 2006 15:04"), r.opts.Speed)
	r.table(&b, res)
	fmt.Fprintf(&b, "\nOutbox: %d waiting", sn.Depth)
	for _, k := range sortedKinds(sn.Outbox) {
		fmt.Fprintf(&b, " · %s %s", k, counts(sn.Outbox[outreach.MessageKind(k)]))
	}
	fmt.Fprintf(&b, "\nReplies read: %s\n", counts(sn.Replies))
	fmt.Fprintf(&b, "Not reached: %d   Review queue: %d\n", len(res.Status.Coverage.Unreachable), res.Status.Review)
	if items, err := r.e.Reviews(outreach.ReviewOpen); err == nil {
		for _, it := range items {
			fmt.Fprintf(&b, "  #%d %s — %s\n", it.ID, outreach.Printable(it.From), outreach.Printable(it.Reason))
		}
	}
	b.WriteString("\nLatest:\n")
	r.mu.Lock()
	ev := r.events
	if len(ev) > 8 {
		ev = ev[len(ev)-8:]
	}
	for _, line := range ev {
		b.WriteString("  " + line + "\n")
	}
	r.mu.Unlock()
	io.WriteString(r.opts.Out, b.String())
}

func sortedKinds(m map[outreach.MessageKind]map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, string(k))
	}
	sort.Strings(ks)
	return ks
}

func counts(m map[string]int) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printFinal writes the final table and the round's figures.
func printFinal(w io.Writer, r *round, res Result) {
	if res.Stopped {
		fmt.Fprintf(w, "\n%s — stopped at %s Geneva time, from the store\n\n", r.ev.Title,
			r.clock.Now().In(r.ev.Location).Format("Mon 2 Jan 15:04"))
	} else {
		fmt.Fprintf(w, "%s — final, from the store\n\n", r.ev.Title)
	}
	r.table(w, res)
	f := res.Figures
	n := len(res.Status.Missions)
	fmt.Fprintf(w, "\nRound figures\n")
	fmt.Fprintf(w, "  Distinct missions attending:          %d of %d\n", f.Attending, n)
	fmt.Fprintf(w, "  Average attending per session:        %.1f\n", f.PerSession)
	fmt.Fprintf(w, "  States under Review at their own:     %d of %d\n", f.SuROwn, f.Sessions)
	fmt.Fprintf(w, "  Answers recorded as the missions gave them: %d of %d\n", res.Answers-len(res.Mismatches), res.Answers)
	fmt.Fprintf(w, "  Missions wrote: %s\n", counts(res.MissionMail))
	fmt.Fprintf(w, "  outreach sent: %s\n", counts(f.Sent))
	fmt.Fprintf(w, "  Replies read: %s\n", counts(f.Replies))
	fmt.Fprintf(w, "  Reminders sent: %d (missed: %d)\n", f.Reminders, f.Missed)
	fmt.Fprintf(w, "  Most messages to one mission: %d (%s); besides calendar requests %d, at most %d in one day (%s)\n",
		f.MostToOneMission, f.MostMission, f.MostLettersToOneMission, f.MostLettersInADay, f.MostLettersDay)
	fmt.Fprintf(w, "  Review queue: %d waiting\n", f.Review)
	if len(f.NotReached) > 0 {
		fmt.Fprintf(w, "  Not reached: %s\n", strings.Join(f.NotReached, ", "))
	} else {
		fmt.Fprintf(w, "  Not reached: none\n")
	}
	fmt.Fprintf(w, "  Messages that reached a mission twice: %d\n", len(res.Duplicates))
	for _, m := range res.Mismatches {
		fmt.Fprintf(w, "  MISMATCH %s\n", m)
	}
	fmt.Fprintf(w, "  Finished in %s\n", res.Elapsed.Round(100*time.Millisecond))
}

// printRounds prints the figures across the rounds played, as `outreach
// figures` reads them from the store, and what carried over from one
// round to the next.
func printRounds(w io.Writer, res Result) {
	f := res.AllRounds
	if f == nil {
		return
	}
	fmt.Fprintf(w, "\nFigures across rounds, from the store (outreach figures)\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  round\tpre-sessions\tmissions invited\tattending at least one\tattendances\tper pre-session\tSuR at own\tspeakers (CSO/NHRI)\tminutes\n")
	for _, r := range f.Rounds {
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%d\t%.1f\t%d of %d\t%d (%d/%d)\t%d\n", r.Round, r.PreSessions, r.MissionsInvited,
			r.MissionsAttending, r.Attendances, r.PerSession, r.SuRAtOwn, r.PreSessions, r.Speakers, r.CSO, r.NHRI, r.SpeakerMinutes)
	}
	a := f.All
	fmt.Fprintf(tw, "  all %d\t%d\t%d\t%d\t%d\t\t%d of %d\t%d (%d/%d)\t%d\n", a.Rounds, a.PreSessions, a.MissionsInvited,
		a.MissionsAttending, a.Attendances, a.SuRAtOwn, a.PreSessions, a.Speakers, a.CSO, a.NHRI, a.SpeakerMinutes)
	tw.Flush()
	both := 0
	for _, m := range f.Missions {
		if m.RoundsAttended == len(f.Rounds) {
			both++
		}
	}
	fmt.Fprintf(w, "  Missions attending in every round: %d; never attending: %d of %d\n", both, len(f.NeverAttended), len(f.Missions))
	fmt.Fprintf(w, "  Addresses that had bounced when round %d began: %d; written to in round %d: %d\n",
		res.Round, res.Bounced, res.Round, len(res.WroteToBounced))
}
