package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"outreach"
	"outreach/admin"
)

// parseLocalTime reads an RFC 3339 time, or a local "2017-10-12T10:00" in
// the event's time zone.
func parseLocalTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as 2017-10-12T10:00 (in %s) or 2017-10-12T10:00:00+02:00", s, loc)
}

func cmdSessionsShow(c *cli, args []string) error {
	fs := c.flags("sessions show", "SUR [--json]", "Show one session and, per mission, the calendar revision (SEQUENCE) it was\nlast sent and its answer.")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withReadAPI(func(a *admin.Client) error {
		d, err := a.Session(c.ctx, strings.ToUpper(pos[0]))
		if err != nil {
			return err
		}
		loc := c.location()
		d.Session.Start, d.Session.End = d.Session.Start.In(loc), d.Session.End.In(loc)
		if *asJSON {
			return c.printJSON(d)
		}
		s := d.Session
		printf(c.stdout, "%s — %s, %s %s–%s %s, %s, %s, sequence %d\n", s.SuR, d.Name, s.Start.Format("Mon 2 Jan 2006"),
			s.Start.Format("15:04"), s.End.Format("15:04"), s.Start.Format("MST"), s.Room, s.Status, s.Sequence)
		if s.Note != "" {
			printf(c.stdout, "Note: %s\n", s.Note)
		}
		for _, sp := range s.Panel {
			printf(c.stdout, "  %s (%s, %s) %d min\n", sp.Name, sp.Organisation, sp.Kind, sp.Minutes)
		}
		fmt.Fprintln(c.stdout)
		tw := c.table()
		fmt.Fprintln(tw, "MISSION\tNAME\tSENT SEQ\tANSWER\tSOURCE\tPENDING")
		for _, l := range d.Missions {
			sent := "-"
			if l.Sent >= 0 {
				sent = fmt.Sprint(l.Sent)
			}
			printf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Mission, l.Name, sent, l.Status, l.Source, l.Pending)
		}
		return tw.Flush()
	})
}

func cmdSessionsMove(c *cli, args []string) error {
	fs := c.flags("sessions move", "SUR [--start TIME] [--end TIME] [--room ROOM] [--note TEXT] [--note-fr TEXT] [--note-es TEXT]", "Move a session. Every mission holding it (all that have not declined, unless\n--include-declined) is sent a calendar update with the same UID and SEQUENCE+1,\nin its language, saying what changed. Times: 2017-10-12T10:00 in the event's\ntime zone, or RFC 3339. Without --end the session keeps its length.")
	start := fs.String("start", "", "new start")
	end := fs.String("end", "", "new end")
	room := fs.String("room", "", "new room")
	note := fs.String("note", "", "why it moved (shown to the missions), in English")
	noteFR := fs.String("note-fr", "", "the same in French, for French-speaking missions")
	noteES := fs.String("note-es", "", "the same in Spanish, for Spanish-speaking missions")
	incl := fs.Bool("include-declined", false, "also update missions that declined")
	force := fs.Bool("force", false, "move it even onto another session's room and time, or outside the event's days")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	if *start == "" && *end == "" && *room == "" {
		return usagef("sessions move: give --start, --end or --room")
	}
	loc := c.location()
	return c.withAPI(func(a *admin.Client) error {
		mv := admin.MoveRequest{Note: *note, NoteFR: *noteFR, NoteES: *noteES, IncludeDeclined: *incl, Actor: actor()}
		if *start != "" {
			t, err := parseLocalTime(*start, loc)
			if err != nil {
				return usagef("sessions move: --start: %v", err)
			}
			mv.Start = &t
		}
		if *end != "" {
			t, err := parseLocalTime(*end, loc)
			if err != nil {
				return usagef("sessions move: --end: %v", err)
			}
			mv.End = &t
		}
		if *room != "" {
			mv.Room = room
		}
		if !*force {
			if err := c.checkMove(a, strings.ToUpper(pos[0]), mv, loc); err != nil {
				return fmt.Errorf("sessions move: %w; give --force to move it there anyway", err)
			}
		}
		rep, err := a.Move(c.ctx, strings.ToUpper(pos[0]), mv)
		if err != nil {
			return fmt.Errorf("sessions move: %w", err)
		}
		if *asJSON {
			return c.printJSON(rep)
		}
		s := rep.Session
		s.Start, s.End = s.Start.In(loc), s.End.In(loc)
		printf(c.stdout, "%s now %s %s–%s %s, %s (sequence %d).\n%d updates queued; %d older pending messages replaced; %d missions not sent one (not yet invited or declined).\n",
			s.SuR, s.Start.Format("Mon 2 Jan 2006"), s.Start.Format("15:04"), s.End.Format("15:04"), s.Start.Format("MST"), s.Room, s.Sequence,
			rep.Queued, rep.Replaced, rep.Skipped)
		return nil
	})
}

// checkMove refuses a move that puts session sur in the room of another
// session at an overlapping time, or outside the event's days: both are
// almost always a typing mistake, and the missions would be told of it.
func (c *cli) checkMove(a *admin.Client, sur string, mv admin.MoveRequest, loc *time.Location) error {
	ss, err := a.Sessions(c.ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ss, func(s outreach.Session) bool { return s.SuR == sur })
	if i < 0 {
		return nil // the move itself says the session does not exist
	}
	s := ss[i]
	start, end, room := s.Start, s.End, s.Room
	if mv.Start != nil {
		start, end = *mv.Start, mv.Start.Add(s.End.Sub(s.Start))
	}
	if mv.End != nil {
		end = *mv.End
	}
	if mv.Room != nil {
		room = *mv.Room
	}
	st, err := a.Status(c.ctx)
	if err != nil {
		return err
	}
	first, err1 := time.ParseInLocation(time.DateOnly, st.Event.FirstDay, loc)
	last, err2 := time.ParseInLocation(time.DateOnly, st.Event.LastDay, loc)
	if err1 == nil && err2 == nil {
		if start.Before(first) || end.After(last.AddDate(0, 0, 1)) {
			return fmt.Errorf("%s would be on %s, outside the event's days (%s to %s)",
				sur, start.In(loc).Format("Mon 2 Jan 2006"), st.Event.FirstDay, st.Event.LastDay)
		}
	}
	for _, o := range ss {
		if o.SuR == sur || o.Status == outreach.Cancelled {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(o.Room), strings.TrimSpace(room)) && start.Before(o.End) && o.Start.Before(end) {
			return fmt.Errorf("%s would be in %s at the same time as %s (%s %s–%s)", sur, room, o.SuR,
				o.Start.In(loc).Format("Mon 2 Jan"), o.Start.In(loc).Format("15:04"), o.End.In(loc).Format("15:04"))
		}
	}
	return nil
}

func cmdSessionsCancel(c *cli, args []string) error {
	fs := c.flags("sessions cancel", "SUR [--reason TEXT] [--reason-fr TEXT] [--reason-es TEXT]", "Cancel a session: every mission holding it is sent METHOD:CANCEL (SEQUENCE+1,\nSTATUS:CANCELLED) in its language. Answers that arrive later are kept in history only.")
	reason := fs.String("reason", "", "why (shown to the missions), in English")
	reasonFR := fs.String("reason-fr", "", "the same in French, for French-speaking missions")
	reasonES := fs.String("reason-es", "", "the same in Spanish, for Spanish-speaking missions")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withAPI(func(a *admin.Client) error {
		rep, err := a.Cancel(c.ctx, strings.ToUpper(pos[0]), admin.CancelRequest{Reason: *reason, ReasonFR: *reasonFR, ReasonES: *reasonES, Actor: actor()})
		if err != nil {
			return fmt.Errorf("sessions cancel: %w", err)
		}
		if *asJSON {
			return c.printJSON(rep)
		}
		printf(c.stdout, "%s cancelled (sequence %d); %d cancellations queued.\n", rep.Session.SuR, rep.Session.Sequence, rep.Queued)
		return nil
	})
}

func cmdCalendarExport(c *cli, args []string) error {
	fs := c.flags("calendar export", "[--session SUR] [--output FILE]", "Write the staff calendar: every session (or one) as METHOD:PUBLISH with the\ncurrent agenda, to subscribe to or import in a calendar.")
	sur := fs.String("session", "", "only this session")
	out := fs.String("output", "", "write to FILE instead of standard output")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	return c.withReadAPI(func(a *admin.Client) error {
		if !a.Remote {
			// The feed names the event and its organiser, which only the
			// configuration holds.
			if cfg, err := c.loadConfig(); err != nil {
				return err
			} else if cfg == nil {
				return fmt.Errorf("calendar export: the feed needs the event's title and organiser mailbox from the configuration; pass --config PATH")
			}
		}
		feed, err := a.Calendar(c.ctx, strings.ToUpper(*sur))
		if err != nil {
			return fmt.Errorf("calendar export: %w", err)
		}
		if *out != "" {
			return os.WriteFile(*out, feed, 0o644)
		}
		_, err = c.stdout.Write(feed)
		return err
	})
}
