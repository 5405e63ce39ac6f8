package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"outreach"
	"outreach/admin"
	"outreach/config"
	"outreach/jobs"
	"outreach/store"
)

// openStore opens the store at path bound to the round --round names (the
// current round without it). A store written before rounds becomes the
// round the configuration's [event] describes.
func (c *cli) openStore(cfg *config.Config, path string, opts store.Options) (*store.Store, error) {
	opts.Round = c.round
	if cfg != nil {
		opts.FirstRound = cfg.FirstRound()
	}
	return store.Open(path, opts)
}

// roundEvent returns base, the event from the configuration, with the
// round the store is bound to in place of its round fields.
func roundEvent(st *store.Store, base outreach.Event) (outreach.Event, error) {
	var r outreach.Round
	err := st.View(func(tx *store.Tx) error {
		var err error
		r, err = tx.Round()
		return err
	})
	if err != nil {
		return base, err
	}
	return r.Apply(base), nil
}

// checkDaemonRound refuses --round N for a round the running daemon does
// not act on: the daemon holds the store.
func (c *cli) checkDaemonRound(a *admin.Client) error {
	if c.round == 0 {
		return nil
	}
	st, err := a.Status(c.ctx)
	if err != nil {
		return err
	}
	if st.Event.UPRSession != c.round {
		return fmt.Errorf("--round %d: `outreach run` is running and acts on round %d; stop it to work on round %d, or read a copy (`outreach backup FILE`, then `outreach --store FILE --round %d ...`)",
			c.round, st.Event.UPRSession, c.round, c.round)
	}
	return nil
}

// withRounds opens the store directly, for the commands that change which
// rounds there are, what they hold or which is current: never while the
// daemon runs, which acts on the round it started with.
func (c *cli) withRounds(fn func(st *store.Store) error) (err error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	path := c.storePath
	if path == "" {
		path = cfg.StorePath()
		if _, err := admin.DialSocket(c.ctx, cfg.SocketPath()); err == nil {
			return errors.New("`outreach run` is running and acts on the round it started with; stop it, run this command, then start it again")
		}
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store at %s: %w (`outreach init DIR` writes one)", path, err)
	}
	st, err := c.openStore(cfg, path, store.Options{Now: c.clock.Now})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	return fn(st)
}

// parseRound parses a command's flags and its one argument, a round's
// number.
func (c *cli) parseRound(fs *flag.FlagSet, args []string) (int, error) {
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return 0, err
	}
	return parseRoundNumber(pos[0])
}

func parseRoundNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, usagef("round %q: want the number of the UPR session, such as 29", s)
	}
	return n, nil
}

// roundFlags are the flags that set a round's fields, for `round new`
// and `round set`.
type roundFlags struct {
	title, venue, tz, first, last, deadline *string
	provisional                             *bool
}

func (c *cli) roundFlags(fs *flag.FlagSet) roundFlags {
	return roundFlags{
		title:       fs.String("title", "", "the round's title, as invitations show it"),
		venue:       fs.String("venue", "", "where the sessions are held"),
		tz:          fs.String("time-zone", "", "the IANA time zone of the sessions (Europe/Zurich)"),
		first:       fs.String("first-day", "", "the first day, YYYY-MM-DD"),
		last:        fs.String("last-day", "", "the last day, YYYY-MM-DD"),
		deadline:    fs.String("rsvp-deadline", "", "the date and time missions are asked to answer by, YYYY-MM-DDTHH:MM"),
		provisional: fs.Bool("provisional", false, "dates and venue are not confirmed by the UN yet (--provisional=false once they are)"),
	}
}

// apply sets on r the fields whose flags were given, and returns how
// many were.
func (rf roundFlags) apply(fs *flag.FlagSet, r *outreach.Round) int {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	n := 0
	for _, f := range []struct {
		name string
		dst  *string
		v    string
	}{{"title", &r.Title, *rf.title}, {"venue", &r.Venue, *rf.venue}, {"time-zone", &r.TimeZone, *rf.tz},
		{"first-day", &r.FirstDay, *rf.first}, {"last-day", &r.LastDay, *rf.last}, {"rsvp-deadline", &r.RSVPDeadline, *rf.deadline}} {
		if set[f.name] {
			*f.dst = strings.TrimSpace(f.v)
			n++
		}
	}
	if set["provisional"] {
		r.Provisional = *rf.provisional
		n++
	}
	return n
}

func cmdRoundNew(c *cli, args []string) error {
	fs := c.flags("round new", "", "Record the next round of pre-sessions, numbered after its UPR Working Group session.\n"+
		"Its settings come from --from FILE (title, upr_session, venue, time_zone, first_day,\n"+
		"last_day, rsvp_deadline, provisional) and from the flags, which win; venue and time zone\n"+
		"default to the current round's. The new round starts with no sessions, answers or\n"+
		"messages; the missions, their contacts and what bounced carry over. --use makes it\n"+
		"the current round.")
	from := fs.String("from", "", "a TOML file with the round's settings")
	rflags := c.roundFlags(fs)
	use := fs.Bool("use", false, "make the new round the current one")
	asJSON := fs.Bool("json", false, "print the round as JSON")
	n, err := c.parseRound(fs, args)
	if err != nil {
		return err
	}
	r := outreach.Round{Number: n}
	fileSets := map[string]bool{}
	if *from != "" {
		rf, err := config.LoadRound(*from)
		if err != nil {
			return err
		}
		if rf.Defined["upr_session"] && rf.UPRSession != n {
			return fmt.Errorf("round file %s: upr_session = %d, but the round is %d", *from, rf.UPRSession, n)
		}
		r, fileSets = rf.Round(n), rf.Defined
	}
	rflags.apply(fs, &r)
	return c.withRounds(func(st *store.Store) error {
		err := st.Update(func(tx *store.Tx) error {
			cur, err := tx.Round()
			if err != nil {
				return err
			}
			if r.Venue == "" && !fileSets["venue"] {
				r.Venue = cur.Venue
			}
			if r.TimeZone == "" {
				r.TimeZone = cur.TimeZone
			}
			if err := tx.AddRound(r); err != nil {
				return err
			}
			if *use {
				if err := tx.SetCurrentRound(n); err != nil {
					return err
				}
			}
			return tx.Audit("cli", "round new", fmt.Sprintf("round %d: %s, %s to %s", n, r.Title, r.FirstDay, r.LastDay))
		})
		if err != nil {
			return err
		}
		if *asJSON {
			return c.printJSON(r)
		}
		printf(c.stdout, "Round %d recorded: %s\n", r.Number, describeRound(r))
		if *use {
			printf(c.stdout, "Round %d is now the current round. Next: `outreach sessions import FILE.csv`, then `outreach invite`.\n", n)
		} else {
			printf(c.stdout, "The current round is still %d; `outreach round use %d` makes it %d.\n", st.Round(), n, n)
		}
		return nil
	})
}

func describeRound(r outreach.Round) string {
	d := fmt.Sprintf("%s, %s to %s, %s (%s)", r.Title, r.FirstDay, r.LastDay, r.Venue, r.TimeZone)
	if r.RSVPDeadline != "" {
		d += ", answers by " + strings.Replace(r.RSVPDeadline, "T", " ", 1)
	}
	if r.Provisional {
		d += ", provisional"
	}
	return d + "."
}

func cmdRoundSet(c *cli, args []string) error {
	fs := c.flags("round set", "", "Change the current round (or --round N): its title, venue, time zone, days, RSVP\n"+
		"deadline, or whether they are provisional (--provisional=false once the UN confirms\n"+
		"them). Messages already sent are not sent again; what goes out next says the new\n"+
		"values. Days that would leave a session outside the round are refused; move the\n"+
		"session first (`outreach sessions move`).")
	rflags := c.roundFlags(fs)
	asJSON := fs.Bool("json", false, "print the round as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	return c.withRounds(func(st *store.Store) error {
		var r outreach.Round
		err := st.Update(func(tx *store.Tx) error {
			var err error
			if r, err = tx.Round(); err != nil {
				return err
			}
			before := r
			if rflags.apply(fs, &r) == 0 {
				return usagef("round set: say what to change (outreach round set --help)")
			}
			ss, err := tx.Sessions()
			if err != nil {
				return err
			}
			loc := r.Location()
			var outside []string
			for _, s := range ss {
				day := s.Start.In(loc).Format(outreach.RoundDate)
				if s.Status != outreach.Cancelled && (day < r.FirstDay || day > r.LastDay) {
					outside = append(outside, s.SuR+" ("+day+")")
				}
			}
			if len(outside) > 0 {
				return fmt.Errorf("round %d: %s to %s would leave sessions outside the round: %s; move them first (outreach sessions move)",
					r.Number, r.FirstDay, r.LastDay, strings.Join(outside, ", "))
			}
			if err := tx.PutRound(r); err != nil {
				return err
			}
			return tx.Audit("cli", "round set", fmt.Sprintf("round %d: %s (was: %s)", r.Number, describeRound(r), describeRound(before)))
		})
		if err != nil {
			return err
		}
		if *asJSON {
			return c.printJSON(r)
		}
		printf(c.stdout, "Round %d: %s\n", r.Number, describeRound(r))
		return nil
	})
}

func cmdRoundList(c *cli, args []string) error {
	fs := c.flags("round list", "", "The rounds in the store, the current one marked, with their sessions, answers and messages.")
	asJSON := fs.Bool("json", false, "print the rounds as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	var lines []jobs.RoundSummary
	err := c.withReadAPI(func(a *admin.Client) error {
		var err error
		lines, err = a.Rounds(c.ctx)
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		if lines == nil {
			lines = []jobs.RoundSummary{}
		}
		return c.printJSON(lines)
	}
	tw := c.table()
	printf(tw, "\tround\ttitle\tdays\tsessions\tanswers\tmessages\twaiting\treview\n")
	for _, l := range lines {
		mark := ""
		if l.Current {
			mark = "*"
		}
		printf(tw, "%s\t%d\t%s\t%s to %s\t%d\t%d\t%d\t%d\t%d\n", mark, l.Number, l.Title, l.FirstDay, l.LastDay,
			l.Sessions, l.Answers, l.Messages, l.Waiting, l.Review)
	}
	return tw.Flush()
}

func cmdRoundUse(c *cli, args []string) error {
	fs := c.flags("round use", "", "Make round N the current round: the one every command and the daemon act on\n"+
		"unless --round says otherwise. Messages of the round left that are still waiting\n"+
		"stay in its outbox (`outreach --round N outbox`).")
	n, err := c.parseRound(fs, args)
	if err != nil {
		return err
	}
	return c.withRounds(func(st *store.Store) error {
		waiting, prev := 0, 0
		err := st.Update(func(tx *store.Tx) error {
			prev = tx.CurrentRound()
			if pt, err := tx.InRound(prev); err == nil && prev != n {
				waiting = pt.Waiting()
			}
			if err := tx.SetCurrentRound(n); err != nil {
				return err
			}
			return tx.Audit("cli", "round use", fmt.Sprintf("round %d current (was %d)", n, prev))
		})
		if err != nil {
			return err
		}
		printf(c.stdout, "Round %d is the current round (it was %d).\n", n, prev)
		if waiting > 0 {
			printf(c.stdout, "Round %d still has %d message(s) waiting to be sent: `outreach --round %d outbox`; `outreach --round %d outbox flush` sends them.\n", prev, waiting, prev, prev)
		}
		return nil
	})
}
