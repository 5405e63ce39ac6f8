package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"outreach"
	"outreach/admin"
	"outreach/config"
	"outreach/directory"
	"outreach/jobs"
	"outreach/store"
)

func cmdInit(c *cli, args []string) error {
	fs := c.flags("init", "[--demo] DIR", "Write DIR/outreach.toml (the commented example configuration) and an empty store.\nWith --demo the store holds the 28th round's 14 sessions and all 195 missions.")
	demo := fs.Bool("demo", false, "seed the store with the demo round and the full mission directory")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	dir := pos[0]
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	cfgPath := filepath.Join(dir, "outreach.toml")
	if _, err := os.Stat(cfgPath); err == nil {
		return fmt.Errorf("init: %s already exists; remove it or choose another directory", cfgPath)
	}
	cfg, err := config.Parse(config.Example)
	if err != nil {
		return fmt.Errorf("init: built-in example: %w", err)
	}
	cfg.Path, _ = filepath.Abs(cfgPath)
	if _, err := os.Stat(cfg.StorePath()); err == nil {
		return fmt.Errorf("init: %s already exists; remove it or choose another directory", cfg.StorePath())
	}
	if err := os.WriteFile(cfgPath, []byte(config.Example), 0o640); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	st, err := c.openStore(cfg, cfg.StorePath(), store.Options{Now: c.clock.Now})
	if err != nil {
		return err
	}
	defer st.Close()
	e := jobs.New(jobs.Options{Store: st, Event: cfg.OutreachEvent(), Clock: c.clock, Logger: c.log})
	if *demo {
		ms, err := directory.Missions()
		if err != nil {
			return err
		}
		if _, err := e.ImportMissions(ms, "init --demo"); err != nil {
			return err
		}
		_, ss, err := directory.Round28()
		if err != nil {
			return err
		}
		if _, err := e.ImportSessions(ss, "init --demo"); err != nil {
			return err
		}
		printf(c.stdout, "Wrote %s and %s with the 28th round: %d sessions, %d missions.\n", cfgPath, cfg.StorePath(), len(ss), len(ms))
	} else {
		printf(c.stdout, "Wrote %s and an empty store %s.\nEdit the [event], [smtp] and [imap] sections, then import the missions:\n  outreach --config %s missions import missions.csv\n", cfgPath, cfg.StorePath(), cfgPath)
	}
	return nil
}

func cmdMissionsImport(c *cli, args []string) error {
	fs := c.flags("missions import", "FILE.csv", "Add or update missions from a CSV file with the header\n  "+strings.Join(directory.MissionColumns, ",")+"\n(emails and domains separated by ';'; title and domain columns may be empty).\nRe-importing updates names and contacts and never loses answers. A file with any\nbad line is refused whole, each problem reported with its line and column.")
	return runImport(c, fs, args, csvImport[[]outreach.Mission, jobs.ImportReport]{
		read: func(_ *admin.Client, f io.Reader) ([]outreach.Mission, error) {
			return directory.ParseMissions(f)
		},
		standalone: true,
		apply: func(a *admin.Client, ms []outreach.Mission) (jobs.ImportReport, error) {
			return a.ImportMissions(c.ctx, ms, actor())
		},
		report: func(path string, rep jobs.ImportReport) {
			printf(c.stdout, "Imported %s: %d added, %d updated, %d unchanged.\n", path, len(rep.Added), len(rep.Updated), rep.Unchanged)
			if len(rep.Kept) > 0 {
				printf(c.stdout, "%d missions in the store are not in the file and were kept: %s\n", len(rep.Kept), strings.Join(rep.Kept, " "))
			}
		},
	})
}

// missionJSON is the stable JSON form of a mission (documented in the README).
type missionJSON struct {
	ID       string             `json:"id"`
	Kind     string             `json:"kind"`
	Names    outreach.Names     `json:"names"`
	Titles   outreach.Names     `json:"titles"`
	Language string             `json:"language"`
	Contacts []outreach.Contact `json:"contacts"`
	Domains  []string           `json:"domains"`
}

func toMissionJSON(m outreach.Mission) missionJSON {
	j := missionJSON{ID: m.ID, Kind: m.Kind.String(), Names: m.Names, Titles: m.Titles, Language: string(m.Language),
		Contacts: m.Contacts, Domains: m.Domains}
	if j.Contacts == nil {
		j.Contacts = []outreach.Contact{}
	}
	if j.Domains == nil {
		j.Domains = []string{}
	}
	return j
}

func cmdMissionsList(c *cli, args []string) error {
	fs := c.flags("missions list", "[--json]", "List the mission directory.")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		ms, err := a.Missions(c.ctx)
		if err != nil {
			return err
		}
		if asJSON {
			out := make([]missionJSON, 0, len(ms))
			for _, m := range ms {
				out = append(out, toMissionJSON(m))
			}
			return c.printJSON(out)
		}
		tw := c.table()
		fmt.Fprintln(tw, "ID\tLANG\tNAME\tTITLE\tCONTACTS")
		for _, m := range ms {
			var cs []string
			for _, ct := range m.Contacts {
				s := ct.Email
				if ct.Undeliverable {
					s += " (bounced)"
				}
				cs = append(cs, s)
			}
			printf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Language, m.Names.EN, m.Title(), strings.Join(cs, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		printf(c.stdout, "%d missions\n", len(ms))
		return nil
	})
}

// checkJSON is the JSON form of `missions check`: the coverage, and the
// missions whose invitation cannot be composed.
type checkJSON struct {
	outreach.Coverage
	Composed    int            `json:"composed"`
	NotComposed []composeError `json:"not_composed"`
}

type composeError struct {
	Mission string `json:"mission"`
	Error   string `json:"error"`
}

func cmdMissionsCheck(c *cli, args []string) error {
	fs := c.flags("missions check", "[--json]", "Universality check: every mission must have at least one usable address\n(given, and not bounced), and its invitation must compose (it is rendered, not sent).\nLists the missions that fail either; exit status 1 if any.")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		ms, err := a.Missions(c.ctx)
		if err != nil {
			return err
		}
		cov := outreach.Cover(ms)
		out := checkJSON{Coverage: cov, NotComposed: []composeError{}}
		unreachable := map[string]bool{}
		for _, id := range cov.Unreachable {
			unreachable[id] = true
		}
		for _, m := range ms {
			if unreachable[m.ID] {
				continue
			}
			if _, err := a.Preview(c.ctx, outreach.Invitation, m.ID, ""); err != nil {
				if c.ctx.Err() != nil {
					return err
				}
				out.NotComposed = append(out.NotComposed, composeError{m.ID, err.Error()})
				continue
			}
			out.Composed++
		}
		if asJSON {
			if err := c.printJSON(out); err != nil {
				return err
			}
		} else {
			printf(c.stdout, "%d of %d missions have a usable address.\n", cov.Reachable, cov.Missions)
			byID := map[string]outreach.Mission{}
			for _, m := range ms {
				byID[m.ID] = m
			}
			for _, id := range cov.Unreachable {
				m := byID[id]
				why := "no address given"
				if len(m.Contacts) > 0 {
					why = "every address bounced"
				}
				printf(c.stdout, "  %s  %s: %s\n", id, m.Names.EN, why)
			}
			printf(c.stdout, "%d of %d invitations compose.\n", out.Composed, cov.Reachable)
			for _, ce := range out.NotComposed {
				printf(c.stdout, "  %s  %s: %s\n", ce.Mission, byID[ce.Mission].Names.EN, ce.Error)
			}
		}
		if cov.Missions == 0 {
			return errors.New("missions check: the directory is empty; import it with `outreach missions import FILE.csv`")
		}
		var problems []string
		if len(cov.Unreachable) > 0 {
			problems = append(problems, fmt.Sprintf("%d missions cannot be reached; add an address for each and import again", len(cov.Unreachable)))
		}
		if len(out.NotComposed) > 0 {
			problems = append(problems, fmt.Sprintf("the invitation of %d missions cannot be composed; correct their names or titles and import again", len(out.NotComposed)))
		}
		if len(problems) > 0 {
			return fmt.Errorf("missions check: %s", strings.Join(problems, "; "))
		}
		return nil
	})
}

func cmdSessionsImport(c *cli, args []string) error {
	fs := c.flags("sessions import", "FILE.csv", "Add or update sessions from a CSV file with the header "+strings.Join(directory.SessionColumns, ",")+"\n(sur: the mission id of the State under Review; start, end: RFC 3339 times such as\n2017-10-10T10:00:00+02:00). Once invitations went out, change a session with\n`outreach sessions move` instead, so calendars follow.")
	return runImport(c, fs, args, csvImport[[]outreach.Session, jobs.ImportReport]{
		read: func(a *admin.Client, f io.Reader) ([]outreach.Session, error) {
			cfg, err := c.loadConfig()
			if err != nil {
				return nil, err
			}
			loc := config.DefaultLocation()
			if cfg != nil {
				loc = cfg.Location()
			}
			ms, err := a.Missions(c.ctx)
			if err != nil {
				return nil, err
			}
			known := map[string]bool{}
			for _, m := range ms {
				known[m.ID] = true
			}
			return directory.ParseSessions(f, func(id string) bool { return known[id] }, loc)
		},
		apply: func(a *admin.Client, ss []outreach.Session) (jobs.ImportReport, error) {
			return a.ImportSessions(c.ctx, ss, actor())
		},
		report: func(path string, rep jobs.ImportReport) {
			printf(c.stdout, "Imported %s: %d added, %d updated, %d unchanged.\n", path, len(rep.Added), len(rep.Updated), rep.Unchanged)
		},
	})
}

// sessionJSON is the stable JSON form of a session (documented in the README).
type sessionJSON struct {
	SuR          string             `json:"sur"`
	Name         string             `json:"name"`
	Start        string             `json:"start"`
	End          string             `json:"end"`
	TimeZone     string             `json:"time_zone"`
	Room         string             `json:"room"`
	Status       string             `json:"status"`
	Sequence     int                `json:"sequence"`
	SuRStatement bool               `json:"sur_statement"`
	Panel        []outreach.Speaker `json:"panel"`
}

func cmdSessionsList(c *cli, args []string) error {
	fs := c.flags("sessions list", "[--json]", "List the sessions, times in the event's time zone.")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		ss, err := a.Sessions(c.ctx)
		if err != nil {
			return err
		}
		loc := c.location()
		for i := range ss {
			ss[i].Start, ss[i].End = ss[i].Start.In(loc), ss[i].End.In(loc)
		}
		names := map[string]string{}
		if ms, err := a.Missions(c.ctx); err == nil {
			for _, m := range ms {
				names[m.ID] = m.Names.EN
			}
		}
		if asJSON {
			out := make([]sessionJSON, 0, len(ss))
			for _, s := range ss {
				p := s.Panel
				if p == nil {
					p = []outreach.Speaker{}
				}
				out = append(out, sessionJSON{SuR: s.SuR, Name: names[s.SuR], Start: s.Start.Format(timeFormat), End: s.End.Format(timeFormat),
					TimeZone: s.Start.Location().String(), Room: s.Room, Status: s.Status.String(), Sequence: s.Sequence,
					SuRStatement: s.SuRStatement, Panel: p})
			}
			return c.printJSON(out)
		}
		tw := c.table()
		fmt.Fprintln(tw, "SUR\tSTATE UNDER REVIEW\tDAY\tTIME\tROOM\tSTATUS\tPANEL")
		for _, s := range ss {
			printf(tw, "%s\t%s\t%s\t%s–%s %s\t%s\t%s\t%d speakers, %d min\n", s.SuR, names[s.SuR], s.Start.Format("Mon 2 Jan 2006"),
				s.Start.Format("15:04"), s.End.Format("15:04"), s.Start.Format("MST"), s.Room, s.Status, len(s.Panel), s.PanelMinutes())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		tz := ""
		if len(ss) > 0 {
			tz = " (" + ss[0].Start.Location().String() + ")"
		}
		printf(c.stdout, "%d sessions%s\n", len(ss), tz)
		return nil
	})
}

// timeFormat is RFC 3339 with the local offset.
const timeFormat = "2006-01-02T15:04:05-07:00"

func cmdStatus(c *cli, args []string) error {
	fs := c.flags("status", "[--json]", "Today's pre-sessions (or the next) with rooms and attendance. Per session: room,\ninvited, accepted, declined, tentative, no answer (among the missions invited),\nnot invited; the State under Review's own answer; universality coverage; delivery\nof the invitations; failed messages by mission; the review queue, oldest first.")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		st, err := a.Status(c.ctx)
		if err != nil {
			return err
		}
		loc := c.location()
		for i := range st.Sessions {
			st.Sessions[i].Start, st.Sessions[i].End = st.Sessions[i].Start.In(loc), st.Sessions[i].End.In(loc)
		}
		health := readHealth(c.ctx, a)
		if asJSON {
			return c.printJSON(statusJSON{st, health})
		}
		title := st.Event.Title
		if title == "" {
			title = "Pre-sessions in this store"
		}
		printf(c.stdout, "%s (%s to %s)\n\n", title, st.Event.FirstDay, st.Event.LastDay)
		printToday(c, st)
		if err := printSessionTable(c, st); err != nil {
			return err
		}
		printDelivery(c, st)
		printHealth(c.stdout, health, loc)
		return nil
	})
}

func cmdBackup(c *cli, args []string) error {
	fs := c.flags("backup", "FILE", "Write a consistent copy of the store to FILE. Safe while outreach runs.\nRead a copy with: outreach --store FILE status")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withReadAPI(func(a *admin.Client) error {
		n, err := writeAtomically(pos[0], func(w io.Writer) (int64, error) { return a.Backup(c.ctx, w) })
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		printf(c.stdout, "Wrote %s (%d bytes).\n", pos[0], n)
		return nil
	})
}

// writeAtomically writes path through a temporary file beside it, synced
// and renamed into place, so a failed write never leaves half a file.
func writeAtomically(path string, write func(io.Writer) (int64, error)) (n int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".outreach-*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if n, err = write(tmp); err != nil {
		return n, err
	}
	if err = tmp.Chmod(0o600); err != nil {
		return n, err
	}
	if err = tmp.Sync(); err != nil {
		return n, err
	}
	if err = tmp.Close(); err != nil {
		return n, err
	}
	return n, os.Rename(tmp.Name(), path)
}

// actor names who runs a command, for the audit log.
func actor() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return "cli:" + u
	}
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// printToday writes the day's sessions, or the next one.
// printSessionTable prints each session's figures, with a NOT INVITED
// column only when some mission was not invited.
func printSessionTable(c *cli, st jobs.Status) error {
	notInvited := false
	for _, s := range st.Sessions {
		notInvited = notInvited || s.NotInvited > 0
	}
	tw := c.table()
	head := "SUR\tSTATE UNDER REVIEW\tSTART\tROOM\tSTATUS\tINVITED\tACCEPTED\tDECLINED\tTENTATIVE\tNO ANSWER"
	if notInvited {
		head += "\tNOT INVITED"
	}
	fmt.Fprintln(tw, head+"\tSUR ITSELF")
	for _, s := range st.Sessions {
		printf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d", s.SuR, s.Name, s.Start.Format("Mon 2 Jan 15:04"), s.Room, s.Status,
			s.Invited, s.Accepted, s.Declined, s.Tentative, s.NoAnswer)
		if notInvited {
			printf(tw, "\t%d", s.NotInvited)
		}
		printf(tw, "\t%s\n", s.SuRAnswer)
	}
	return tw.Flush()
}

// printDelivery prints universality, the invitations' delivery, the
// missions and messages that failed, and the review queue.
func printDelivery(c *cli, st jobs.Status) {
	cov := st.Coverage
	printf(c.stdout, "\nUniversality: %d of %d missions reachable", cov.Reachable, cov.Missions)
	if len(cov.Unreachable) > 0 {
		printf(c.stdout, "; NOT REACHABLE: %s", strings.Join(cov.Unreachable, " "))
	}
	fmt.Fprintln(c.stdout)
	var parts []string
	for _, k := range sortedKeys(st.Delivery) {
		parts = append(parts, fmt.Sprintf("%s %d", k, st.Delivery[k]))
	}
	printf(c.stdout, "Invitations: %s\n", strings.Join(parts, ", "))
	for _, d := range st.Missions {
		if d.State == "failed" || d.State == "deferred" || len(d.Bounced) > 0 {
			printf(c.stdout, "  %s %s", d.Mission, d.State)
			if d.Error != "" {
				printf(c.stdout, ": %s", d.Error)
			}
			if len(d.Bounced) > 0 {
				printf(c.stdout, " (bounced: %s)", strings.Join(d.Bounced, ", "))
			}
			fmt.Fprintln(c.stdout)
		}
	}
	if len(st.Failed) > 0 {
		printf(c.stdout, "Failed messages: %d (outreach outbox --all)\n", len(st.Failed))
		for _, f := range st.Failed {
			what := f.Kind
			if f.Session != "" {
				what += " " + f.Session
			}
			printf(c.stdout, "  %s (%s) %s: %s\n", f.Mission, f.Name, what, f.Error)
		}
	}
	if st.Review > 0 {
		printf(c.stdout, "Review queue: %d %s waiting (outreach review list), oldest first:\n", st.Review, plural(st.Review, "message", "messages"))
		for _, r := range st.Reviews {
			printf(c.stdout, "  #%d from %s, waiting %s: %s\n", r.ID, r.From, waited(r.WaitingDays), shortText(r.Reason, 160))
		}
	}
}

func printToday(c *cli, st jobs.Status) {
	day, err := time.Parse(time.DateOnly, st.Today)
	if err != nil {
		return
	}
	when := day.Format("Mon 2 Jan 2006")
	if len(st.TodaySessions) == 0 {
		printf(c.stdout, "Today, %s: no pre-session.", when)
		if st.Next >= 0 {
			n := st.Sessions[st.Next]
			printf(c.stdout, " Next: %s, %s, %s.", n.Name, n.Start.Format("Mon 2 Jan 15:04"), n.Room)
		}
		printf(c.stdout, "\n\n")
		return
	}
	printf(c.stdout, "Today, %s: %d %s\n", when, len(st.TodaySessions), plural(len(st.TodaySessions), "pre-session", "pre-sessions"))
	tw := c.table()
	for _, i := range st.TodaySessions {
		s := st.Sessions[i]
		state := ""
		if s.Status != "scheduled" {
			state = " [" + s.Status + "]"
		}
		printf(tw, "  %s-%s\t%s%s\t%s\t%d attending, %d tentative\t%s: %s\n", s.Start.Format("15:04"), s.End.Format("15:04"),
			s.Name, state, s.Room, s.Accepted, s.Tentative, s.Name, orNone(s.SuRAnswer))
	}
	tw.Flush()
	printf(c.stdout, "\n")
}

func waited(days int) string {
	switch days {
	case 0:
		return "since today"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

func orNone(s string) string {
	if s == "" {
		return "no answer"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
