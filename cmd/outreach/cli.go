package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"outreach/admin"
	"outreach/config"
	"outreach/jobs"
	"outreach/mailer/inbox"
	"outreach/store"
)

// usageError is bad usage: exit status 2 and a pointer to --help.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err and maps it to the exit status: 0 success, 2 bad
// usage, 1 any other failure.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		printf(stderr, "outreach: %v\nRun 'outreach help' for usage.\n", err)
		return 2
	}
	printf(stderr, "outreach: %v\n", err)
	return 1
}

// cli holds what every command needs.
type cli struct {
	ctx        context.Context
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	configPath string
	storePath  string
	round      int // --round; 0 for the current round
	clock      jobs.Clock
	log        *slog.Logger
}

type command struct {
	name    string // words, e.g. "missions import"
	args    string // argument synopsis
	summary string
	run     func(c *cli, args []string) error
}

// commands is the one list of commands: `outreach --help`, each
// command's --help and the README's command table show these synopses (a
// test holds them together), and each names every flag its command takes.
func commands() []command {
	return []command{
		{"check", "[--create]", "connect to SMTP and IMAP with the configured credentials and report TLS, login, folder layout, capabilities and folders", cmdCheck},
		{"init", "[--demo] DIR", "write DIR/outreach.toml and an empty store (--demo: the 28th round and all 195 missions)", cmdInit},
		{"missions import", "FILE.csv [--json]", "add or update missions from a CSV file (all or nothing)", cmdMissionsImport},
		{"missions list", "[--json]", "list the mission directory", cmdMissionsList},
		{"missions check", "[--json]", "universality: every mission has a usable address and an invitation that composes", cmdMissionsCheck},
		{"sessions import", "FILE.csv [--json]", "add or update sessions (columns sur,start,end,room)", cmdSessionsImport},
		{"sessions list", "[--json]", "list the sessions in the event's time zone", cmdSessionsList},
		{"sessions panel import", "FILE.csv [--json]", "replace session panels (columns sur,name,organisation,kind,minutes,email,language; all or nothing)", cmdPanelImport},
		{"sessions panel list", "[SUR] [--json]", "the panels in speaking order, with each speaker's address and language", cmdPanelList},
		{"sessions show", "SUR [--json]", "one session: per mission, the revision last sent and its answer", cmdSessionsShow},
		{"sessions move", "SUR [--start TIME] [--end TIME] [--room ROOM] [--note TEXT] [--note-fr TEXT] [--note-es TEXT] [--include-declined] [--force] [--json]", "move a session; every mission holding it gets a calendar update", cmdSessionsMove},
		{"sessions cancel", "SUR [--reason TEXT] [--reason-fr TEXT] [--reason-es TEXT] [--json]", "cancel a session; every mission holding it gets METHOD:CANCEL", cmdSessionsCancel},
		{"calendar export", "[--session SUR] [--output FILE]", "the staff calendar feed (METHOD:PUBLISH) of the current agenda", cmdCalendarExport},
		{"status", "[--json]", "per session: invited, accepted, declined, tentative, no answer; coverage", cmdStatus},
		{"invite", "[--dry-run DIR] [--as-of DATE] [--mission ID] [--json]", "queue the invitations (idempotent), or write them as DIR/*.eml", cmdInvite},
		{"outbox", "[--all] [--json]", "the outgoing queue and the state of each message", cmdOutbox},
		{"outbox flush", "[--wait DURATION] [--json]", "send everything due now and exit", cmdOutboxFlush},
		{"reminders", "[--json]", "every reminder of the round: its rule, session or day, when it is due, and whether it was sent", cmdReminders},
		{"inbox sync", "[--json]", "read every new reply once, record it, file it, and exit", cmdInboxSync},
		{"rsvp classify", "FILE.eml [--json] [--explain]", "classify one message against the store without changing it", cmdRSVPClassify},
		{"rsvp set", "MISSION SESSION STATUS [--note TEXT]", "record an answer given by phone or in person", cmdRSVPSet},
		{"page link", "MISSION [--new] [--json]", "the link to a mission's reply page (--new: replace it; the old one stops working)", cmdPageLink},
		{"page show", "MISSION [--json]", "what a mission gave on its reply page: answers, delegates, comment", cmdPageShow},
		{"review list", "[--all] [--json]", "messages waiting for a person", cmdReviewList},
		{"review show", "ID [--json]", "one review item", cmdReviewShow},
		{"review resolve", "ID [--mission ID] [--accept SUR,...] [--decline SUR,...] [--tentative SUR,...] [--delegates N] [--note TEXT] [--add-contact] | --dismiss", "record what a review item says, or dismiss it", cmdReviewResolve},
		{"staff add", "NAME", "give a staff member access to the desk (password asked, only its hash kept)", cmdStaffAdd},
		{"staff remove", "NAME", "take a staff member's access to the desk away", cmdStaffRemove},
		{"staff list", "", "the staff members who can log in to the desk", cmdStaffList},
		{"backup", "FILE", "write a consistent copy of the store to FILE (safe while running)", cmdBackup},
		{"figures", "[--json] [--csv] [--missions]", "the figures per round and across rounds: pre-sessions, missions invited and attending, States under Review at their own, speakers, missions never attending", cmdFigures},
		{"round new", "N [--from FILE.toml] [--title TEXT] [--venue TEXT] [--time-zone ZONE] [--first-day DATE] [--last-day DATE] [--rsvp-deadline TIME] [--provisional] [--use] [--json]", "record the next round (the UPR session's number); the missions and what was learned of their contacts carry over", cmdRoundNew},
		{"round set", "[--title TEXT] [--venue TEXT] [--time-zone ZONE] [--first-day DATE] [--last-day DATE] [--rsvp-deadline TIME] [--provisional=BOOL] [--json]", "change the current round (or --round N): title, venue, time zone, days, deadline, provisional", cmdRoundSet},
		{"round list", "[--json]", "the rounds in the store, the current one marked", cmdRoundList},
		{"round use", "N", "make round N the current round, the one commands and the daemon act on", cmdRoundUse},
		{"demo", "[--once] [--speed N] [--dir DIR] [--seed N] [--rounds N] [--json]", "play a whole round against simulated missions (live view; --once: final table; --rounds 2: two rounds and the figures across them)", cmdDemo},
		{"run", "[--stop-grace D] [--clock TIME --speed N]", "the daemon: outbox, intake, reminders, admin socket (systemd Type=notify)", cmdRun},
		{"version", "", "print the version", cmdVersion},
	}
}

const globalUsage = `outreach invites every Permanent Mission to every UPR pre-session, reads
their replies, and keeps their calendars right.

Usage: outreach [--config PATH] [--store FILE] [--round N] COMMAND [ARGS]

Global flags:
  --config PATH   configuration file (default ./outreach.toml, or $OUTREACH_CONFIG)
  --store FILE    use this store file instead of the configured one (e.g. a backup)
  --round N       act on round N (the UPR session's number) instead of the current round;
                  also accepted after the command

Commands:
`

func printUsage(w io.Writer) {
	fmt.Fprint(w, globalUsage)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, cmd := range commands() {
		fmt.Fprintf(tw, "  %s %s\t%s\n", cmd.name, cmd.args, cmd.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nEvery command takes --help. Exit status: 0 success, 1 failure, 2 bad usage.\n")
}

// run parses the global flags, finds the command and runs it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, clock: jobs.RealClock{},
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	fs := flag.NewFlagSet("outreach", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.configPath, "config", "", "")
	fs.StringVar(&c.storePath, "store", "", "")
	fs.IntVar(&c.round, "round", 0, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return nil
		}
		return usagef("%v", err)
	}
	if c.round < 0 {
		return usagef("--round %d: want the number of a UPR session (outreach round list)", c.round)
	}
	if c.configPath == "" {
		c.configPath = os.Getenv("OUTREACH_CONFIG")
	}
	if c.configPath == "" {
		c.configPath = "outreach.toml"
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" {
		if len(rest) > 1 {
			return run(ctx, append(rest[1:], "--help"), stdin, stdout, stderr)
		}
		printUsage(stdout)
		if len(rest) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	var best *command
	bestWords := 0
	for _, cmd := range commands() {
		words := strings.Fields(cmd.name)
		if len(words) <= len(rest) && strings.Join(rest[:len(words)], " ") == cmd.name && len(words) > bestWords {
			cmd := cmd
			best, bestWords = &cmd, len(words)
		}
	}
	if best == nil {
		if group, ok := commandGroup(rest); ok {
			if slices.ContainsFunc(rest, isHelpFlag) {
				printGroupUsage(stdout, group)
				return nil
			}
			var sub []string
			for _, cmd := range groupCommands(group) {
				sub = append(sub, strings.TrimPrefix(cmd.name, group+" "))
			}
			return usagef("%q needs a subcommand: %s (outreach %s --help)", group, strings.Join(sub, ", "), group)
		}
		return usagef("unknown command %q", rest[0])
	}
	args, err := c.roundFlag(rest[bestWords:])
	if err != nil {
		return err
	}
	return best.run(c, args)
}

// roundFlag takes --round N (or --round=N) out of a command's arguments,
// so it may follow the command as well as precede it ("outreach status
// --round 28"); arguments after "--" are left alone.
func (c *cli) roundFlag(args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "-round" && name != "round" {
			out = append(out, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, usagef("--round: want the number of a round (outreach round list)")
			}
			i++
			value = args[i]
		}
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return nil, usagef("--round %q: want the number of a round (outreach round list)", value)
		}
		if c.round != 0 && c.round != n {
			return nil, usagef("--round given twice: %d and %d", c.round, n)
		}
		c.round = n
	}
	return out, nil
}

func isHelpFlag(s string) bool { return s == "--help" || s == "-help" || s == "-h" || s == "--h" }

// commandGroup returns the longest run of leading words of args that
// starts the name of a command without being one ("missions", "sessions
// panel").
func commandGroup(args []string) (string, bool) {
	group, found := "", false
	for i := range args {
		g := strings.Join(args[:i+1], " ")
		if len(groupCommands(g)) == 0 {
			break
		}
		group, found = g, true
	}
	return group, found
}

// groupCommands returns the commands whose name starts with group.
func groupCommands(group string) []command {
	var out []command
	for _, cmd := range commands() {
		if strings.HasPrefix(cmd.name, group+" ") {
			out = append(out, cmd)
		}
	}
	return out
}

// printGroupUsage lists the subcommands of a group, as the main usage
// lists every command.
func printGroupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: outreach %s SUBCOMMAND [ARGS]\n\nSubcommands:\n", group)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, cmd := range groupCommands(group) {
		fmt.Fprintf(tw, "  %s %s\t%s\n", cmd.name, cmd.args, cmd.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun 'outreach %s SUBCOMMAND --help' for one of them.\n", group)
}

// flags returns a flag set for a command that prints its help on --help.
func (c *cli) flags(name, synopsis, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The synopsis is the one in commands(), which the README shows too.
	if i := slices.IndexFunc(commands(), func(cmd command) bool { return cmd.name == name }); i >= 0 {
		synopsis = commands()[i].args
	}
	fs.Usage = func() {
		fmt.Fprintf(c.stdout, "Usage: %s\n\n%s\n", strings.TrimSpace("outreach "+name+" "+synopsis), summary)
		var any bool
		fs.VisitAll(func(f *flag.Flag) {
			if !any {
				fmt.Fprintln(c.stdout, "\nFlags:")
				any = true
			}
			fmt.Fprintf(c.stdout, "  --%s\t%s\n", f.Name, f.Usage)
		})
		if sub := groupCommands(name); len(sub) > 0 {
			fmt.Fprintln(c.stdout, "\nSubcommands:")
			for _, cmd := range sub {
				fmt.Fprintf(c.stdout, "  %s %s\t%s\n", cmd.name, cmd.args, cmd.summary)
			}
		}
	}
	return fs
}

// parse parses a command's flags; it allows flags after positional
// arguments ("missions import FILE --json").
func (c *cli) parse(fs *flag.FlagSet, args []string, nargs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // the flag package has printed fs.Usage
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if nargs >= 0 && len(pos) != nargs {
		return nil, usagef("%s: want %d argument(s), got %d (%s)", fs.Name(), nargs, len(pos), strings.Join(pos, " "))
	}
	return pos, nil
}

// loadConfig reads the configuration. With --store and no configuration
// file, commands that only read the store still work.
func (c *cli) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(c.configPath)
	if err != nil && c.storePath != "" {
		if _, statErr := os.Stat(c.configPath); errors.Is(statErr, os.ErrNotExist) {
			return nil, nil
		}
	}
	return cfg, err
}

// location is the event's time zone (the default zone, Europe/Zurich,
// without a configuration).
func (c *cli) location() *time.Location {
	if cfg, err := c.loadConfig(); err == nil && cfg != nil {
		return cfg.Location()
	}
	return config.DefaultLocation()
}

// withAPI runs fn with a client of the API: the running daemon's, when its
// socket answers (and --store was not given), or else an in-process one
// over the store, which this process then holds until fn returns.
func (c *cli) withAPI(fn func(a *admin.Client) error) error { return c.withStore(false, fn) }

// withReadAPI is withAPI for a command that only reads: without the
// daemon it opens the store read-only, so the file is left as it was,
// unless it needs writing first (an older schema to migrate, deliveries
// in the send journal to record).
func (c *cli) withReadAPI(fn func(a *admin.Client) error) error { return c.withStore(true, fn) }

func (c *cli) withStore(readOnly bool, fn func(a *admin.Client) error) (err error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg != nil && c.storePath == "" {
		if a, err := admin.DialSocket(c.ctx, cfg.SocketPath()); err == nil {
			if err := c.checkDaemonRound(a); err != nil {
				return err
			}
			return fn(a)
		}
	}
	local, closeFn, err := c.localAPI(cfg, readOnly)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeFn(); err == nil {
			err = cerr
		}
	}()
	return fn(local)
}

// localAPI opens the store and serves the API in process. Sending and
// reading the mailbox are set up only when asked for, so a command that
// does neither needs no password.
func (c *cli) localAPI(cfg *config.Config, readOnly bool) (*admin.Client, func() error, error) {
	opts := c.engineOptions(cfg)
	path := c.storePath
	if path == "" {
		path = cfg.StorePath()
	} else if _, err := os.Stat(path); err != nil {
		// --store names a store that exists (a copy, a backup): a
		// mistyped path is an error, not a new empty store.
		return nil, nil, fmt.Errorf("--store %s: %w; --store opens an existing store only (`outreach init` creates one)", path, err)
	}
	if _, err := os.Stat(path); readOnly && errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("no store at %s yet: `outreach init DIR` writes one, `outreach missions import FILE.csv` starts it", path)
	}
	ro := readOnly && !store.JournalPending(path)
	st, err := c.openStore(cfg, path, store.Options{Now: c.clock.Now, ReadOnly: ro})
	if ro && errors.Is(err, store.ErrOldSchema) {
		st, err = c.openStore(cfg, path, store.Options{Now: c.clock.Now})
	}
	if err != nil {
		return nil, nil, err
	}
	if opts.Event, err = roundEvent(st, opts.Event); err != nil {
		st.Close()
		return nil, nil, err
	}
	opts.Store = st
	e := jobs.New(opts)
	hooks := admin.Hooks{
		Flush: func(ctx context.Context, wait time.Duration) (jobs.FlushReport, error) {
			if cfg == nil {
				return jobs.FlushReport{}, errors.New("sending needs a configuration file (--config)")
			}
			s, err := c.newSender(cfg)
			if err != nil {
				return jobs.FlushReport{}, err
			}
			e.SetSender(s)
			return e.Flush(ctx, wait)
		},
		Sync: func(ctx context.Context) (inbox.Stats, error) {
			if cfg == nil {
				return inbox.Stats{}, errors.New("reading the mailbox needs a configuration file (--config)")
			}
			w, err := c.newWatcher(cfg, e, nil)
			if err != nil {
				return inbox.Stats{}, err
			}
			return w.SyncOnce(ctx)
		},
	}
	return admin.NewLocal(admin.Handler(e, hooks)), st.Close, nil
}

func (c *cli) printJSON(v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(c.stdout, jsonForTerminal(b.String()))
	return err
}

// readCommand parses a read-only command's flags (--json, and those fs
// already has) with no argument, and runs fn through the read API, saying
// whether JSON was asked for.
func (c *cli) readCommand(fs *flag.FlagSet, args []string, fn func(a *admin.Client, asJSON bool) error) error {
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	return c.withReadAPI(func(a *admin.Client) error { return fn(a, *asJSON) })
}

func (c *cli) table() *tabwriter.Writer { return tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0) }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func cmdVersion(c *cli, args []string) error {
	fs := c.flags("version", "", "Print the version of outreach and of its store schema.")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "outreach %s (store schema %d)\n", version, store.SchemaVersion())
	return nil
}
