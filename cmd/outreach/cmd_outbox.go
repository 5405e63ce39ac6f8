package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"outreach"
	"outreach/admin"
	"outreach/jobs"
)

func cmdInvite(c *cli, args []string) error {
	fs := c.flags("invite", "[--dry-run DIR] [--as-of DATE] [--mission ID]", "Queue the round's invitation for every mission: one message per mission to all its\ncontacts, in its language, with one calendar event per session. Running it again\nqueues nothing new. Missions with no usable address are listed, never skipped silently.\nWith --dry-run, write each message as DIR/ID.eml instead and queue nothing, as it\nwill read on the day it is sent: --as-of DATE, by default now while the round is\nahead, else four weeks before its first day.")
	dry := fs.String("dry-run", "", "write the messages to this directory instead of queueing them")
	mission := fs.String("mission", "", "only this mission")
	asOf := fs.String("as-of", "", "with --dry-run: render as of this date or time (2017-09-12 or 2017-09-12T09:00)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	var at time.Time
	if *asOf != "" {
		if *dry == "" {
			return usagef("invite: --as-of goes with --dry-run")
		}
		var err error
		if at, err = parseAsOf(*asOf, c.location()); err != nil {
			return usagef("invite: --as-of: %v", err)
		}
	}
	with := c.withAPI
	if *dry != "" {
		with = c.withReadAPI // writes files, not the store
	}
	return with(func(a *admin.Client) error {
		if *dry != "" {
			return dryRun(c, a, *dry, *mission, at)
		}
		rep, err := a.Invite(c.ctx, admin.InviteRequest{Mission: *mission, Actor: actor()})
		if err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		if *asJSON {
			return c.printJSON(rep)
		}
		printf(c.stdout, "Queued %d invitations (%d were queued before).\n", len(rep.Queued), len(rep.Already))
		if len(rep.Unreachable) > 0 {
			printf(c.stdout, "NOT INVITED, no usable address: %s\n(add an address and run `outreach missions import`, then `outreach invite` again)\n", strings.Join(rep.Unreachable, " "))
		}
		if len(rep.Queued) > 0 {
			fmt.Fprintln(c.stdout, "Send them with `outreach outbox flush`, or let `outreach run` send them.")
		}
		return nil
	})
}

// parseAsOf reads a date (09:00 that day in the event's time zone) or a
// time as parseLocalTime does.
func parseAsOf(s string, loc *time.Location) (time.Time, error) {
	if d, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return d.Add(9 * time.Hour), nil
	}
	return parseLocalTime(s, loc)
}

func dryRun(c *cli, a *admin.Client, dir, mission string, at time.Time) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	var ids []string
	ms, err := a.Missions(c.ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if mission == "" || strings.EqualFold(m.ID, mission) {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("invite --dry-run: no mission %q in the directory", mission)
	}
	// A mission whose message cannot be composed is reported with the
	// others at the end; it does not stop the missions after it.
	var unreachable, failed []string
	n := 0
	for _, id := range ids {
		raw, err := a.PreviewAt(c.ctx, outreach.Invitation, id, "", at)
		if err != nil {
			if strings.Contains(err.Error(), "no usable address") {
				unreachable = append(unreachable, id)
				continue
			}
			if c.ctx.Err() != nil {
				return err
			}
			failed = append(failed, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, id+".eml"), raw, 0o644); err != nil {
			return err
		}
		n++
	}
	printf(c.stdout, "Wrote %d messages to %s; nothing was queued.\n", n, dir)
	var problems []string
	if len(unreachable) > 0 {
		problems = append(problems, "no usable address for "+strings.Join(unreachable, " "))
	}
	if len(failed) > 0 {
		problems = append(problems, fmt.Sprintf("%d invitations cannot be composed:\n  %s", len(failed), strings.Join(failed, "\n  ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("invite --dry-run: %s", strings.Join(problems, "; "))
	}
	return nil
}

func cmdOutbox(c *cli, args []string) error {
	fs := c.flags("outbox", "[--json]", "The outgoing queue: every message with its state (queued, sending, sent,\ndeferred, failed), attempts, and the server's words when it failed.")
	all := fs.Bool("all", false, "list sent messages too (by default: counts, and every message not sent)")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		items, err := a.Outbox(c.ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if items == nil {
				items = []outreach.OutboxItem{}
			}
			return c.printJSON(items)
		}
		counts := map[string]int{}
		for _, it := range items {
			counts[it.State.String()]++
		}
		var parts []string
		for _, k := range sortedKeys(counts) {
			parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
		}
		printf(c.stdout, "%d messages: %s\n", len(items), strings.Join(parts, ", "))
		tw := c.table()
		header := false
		for _, it := range items {
			if it.State == outreach.Sent && !*all || it.State == outreach.Superseded && !*all {
				continue
			}
			if !header {
				fmt.Fprintln(tw, "ID\tKIND\tMISSION\tSESSION\tSTATE\tATTEMPTS\tNEXT\tERROR")
				header = true
			}
			next := ""
			if !it.Next.IsZero() && it.State.Pending() {
				next = it.Next.Local().Format(time.DateTime)
			}
			to := it.Key.Mission
			if it.Key.Speaker != "" {
				to = it.Key.Speaker // a note to one of the session's speakers
			}
			session := it.Key.Session
			if it.Key.Day != "" {
				session = it.Key.Day // a note about the mission's sessions of that day
			}
			printf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Key.Kind, to, session, it.State, it.Attempts, next, it.Error)
		}
		return tw.Flush()
	})
}

func cmdOutboxFlush(c *cli, args []string) error {
	fs := c.flags("outbox flush", "[--wait DURATION]", "Send every message that is due now, honouring the throttle, and exit.\nNo daemon is needed. With --wait, also wait up to DURATION for the throttle and\nfor deferred messages to fall due.")
	wait := fs.Duration("wait", 15*time.Minute, "how long to wait for the throttle or deferred messages")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	return c.withAPI(func(a *admin.Client) error {
		rep, err := a.Flush(c.ctx, *wait)
		if *asJSON {
			if jerr := c.printJSON(rep); jerr != nil {
				return jerr
			}
		} else {
			printf(c.stdout, "Sent %d, deferred %d, failed %d; %d still waiting.\n", rep.Sent, rep.Deferred, rep.Failed, rep.Waiting)
			if rep.Waiting > 0 && !rep.Next.IsZero() {
				printf(c.stdout, "Next due %s.\n", rep.Next.Local().Format(time.DateTime))
			}
			if rep.Failed > 0 {
				fmt.Fprintln(c.stdout, "See `outreach outbox` for the server's words on each failure.")
			}
		}
		if err != nil {
			return fmt.Errorf("outbox flush: %w", err)
		}
		return nil
	})
}

func cmdReminders(c *cli, args []string) error {
	fs := c.flags("reminders", "[--json]", "Every reminder of the round, one line per rule and session (or day): when it is\ndue, and its state: scheduled, sent (with the messages it queued) or missed\n(past the lateness limit, never sent).")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		ls, err := a.Reminders(c.ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if ls == nil {
				ls = []jobs.ReminderLine{}
			}
			return c.printJSON(ls)
		}
		loc := c.location()
		tw := c.table()
		fmt.Fprintln(tw, "RULE\tSESSION/DAY\tDUE\tSTATE\tQUEUED")
		for _, l := range ls {
			what := l.Session
			switch {
			case l.Day != "":
				what = l.Day
			case what == "":
				what = "the round"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", l.Rule, what, l.At.In(loc).Format("Mon 2 Jan 15:04 MST"), l.State, l.Queued)
		}
		return tw.Flush()
	})
}
