package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"outreach"
	"outreach/admin"
	"outreach/replies"
)

func cmdRSVPSet(c *cli, args []string) error {
	fs := c.flags("rsvp set", "MISSION SESSION STATUS [--note TEXT]", "Record an answer given by phone or in person. STATUS: accepted, declined,\ntentative or none. An acceptance is confirmed to the mission with a calendar request.")
	note := fs.String("note", "", "what was said, by whom")
	pos, err := c.parse(fs, args, 3)
	if err != nil {
		return err
	}
	st, err := outreach.ParseStatus(pos[2])
	if err != nil {
		return usagef("rsvp set: %v", err)
	}
	return c.withAPI(func(a *admin.Client) error {
		r, err := a.SetRSVP(c.ctx, admin.RSVPRequest{Mission: pos[0], Session: pos[1], Status: st, Note: *note, Actor: actor()})
		if err != nil {
			return fmt.Errorf("rsvp set: %w", err)
		}
		printf(c.stdout, "Recorded: %s %s for the session on %s.\n", r.Mission, r.Status, r.Session)
		return nil
	})
}

// classifyJSON is the contract of `outreach rsvp classify --json`.
type classifyJSON struct {
	Kind           string            `json:"kind"`
	Mission        *string           `json:"mission"`
	Sessions       map[string]string `json:"sessions"`
	Delegates      *int              `json:"delegates"`
	BouncedAddress *string           `json:"bounced_address"`
	Reason         string            `json:"reason"`
	Match          string            `json:"match,omitempty"`
	// With --explain: the words behind each session's answer, and the
	// parts of the message not read for answers.
	Because  map[string][]replies.Because `json:"because,omitempty"`
	SetAside []string                     `json:"set_aside,omitempty"`
}

func cmdRSVPClassify(c *cli, args []string) error {
	fs := c.flags("rsvp classify", "FILE.eml [--json] [--explain]", "Classify one message against the current store without changing anything:\nrsvp, bounce, delayed, auto-reply, review or unrelated; the mission; the answers.\nFILE - reads standard input. --explain shows, for each session, the words that\ndecided its answer and where in the message they are, and what was set aside\n(a quoted invitation, quoted text, the signature).")
	asJSON := fs.Bool("json", false, "print JSON")
	explain := fs.Bool("explain", false, "show the words behind each answer")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(io.LimitReader(c.stdin, 64<<20))
	} else {
		raw, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return fmt.Errorf("rsvp classify: %w", err)
	}
	return c.withReadAPI(func(a *admin.Client) error {
		res, err := a.Classify(c.ctx, raw)
		if err != nil {
			return err
		}
		out := classifyJSON{Kind: res.Kind, Sessions: res.Sessions, Reason: res.Reason, Match: res.Match}
		if out.Sessions == nil {
			out.Sessions = map[string]string{}
		}
		if res.Mission != "" {
			out.Mission = &res.Mission
		}
		if res.Delegates > 0 {
			out.Delegates = &res.Delegates
		}
		if res.BouncedAddress != "" {
			out.BouncedAddress = &res.BouncedAddress
		}
		if *explain {
			out.Because, out.SetAside = res.Because, res.SetAside
		}
		if *asJSON {
			return c.printJSON(out)
		}
		printf(c.stdout, "kind: %s\n", out.Kind)
		if out.Mission != nil {
			printf(c.stdout, "mission: %s (matched by %s)\n", *out.Mission, out.Match)
		}
		for _, k := range sortedKeys(out.Sessions) {
			printf(c.stdout, "  %s: %s\n", k, out.Sessions[k])
			for _, b := range out.Because[k] {
				printf(c.stdout, "      because (%s): %q\n", b.Zone, shortText(b.Text, 300))
			}
		}
		if out.Delegates != nil {
			printf(c.stdout, "delegates: %d %s\n", *out.Delegates, strings.Join(res.DelegateNames, ", "))
		}
		if out.BouncedAddress != nil {
			printf(c.stdout, "bounced: %s\n", *out.BouncedAddress)
		}
		printf(c.stdout, "reason: %s\n", out.Reason)
		if *explain {
			if len(out.SetAside) == 0 {
				printf(c.stdout, "set aside: nothing\n")
			}
			for _, a := range out.SetAside {
				printf(c.stdout, "set aside: %s\n", a)
			}
		}
		return nil
	})
}

func cmdReviewList(c *cli, args []string) error {
	fs := c.flags("review list", "[--all] [--json]", "Messages waiting for a person: unknown senders, proposals for a new time,\na mission answering for another, anything ambiguous.")
	all := fs.Bool("all", false, "include resolved items")
	return c.readCommand(fs, args, func(a *admin.Client, asJSON bool) error {
		state := outreach.ReviewOpen
		if *all {
			state = ""
		}
		items, err := a.Reviews(c.ctx, state)
		if err != nil {
			return err
		}
		if asJSON {
			if items == nil {
				items = []outreach.ReviewItem{}
			}
			return c.printJSON(items)
		}
		tw := c.table()
		fmt.Fprintln(tw, "ID\tRECEIVED\tFROM\tMISSION?\tSTATE\tREASON")
		for _, it := range items {
			printf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Received.Local().Format(time.DateTime), oneLine(it.From, 40),
				it.Mission, it.State, oneLine(it.Reason, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		printf(c.stdout, "%d items\n", len(items))
		return nil
	})
}

// oneLine makes untrusted text safe for a terminal line: control
// characters (escape sequences, line breaks) become spaces, and it is cut
// at n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// safeText is text of several lines as it may reach a terminal: the line
// breaks stay, everything else is printf's Printable.
func safeText(s string) string { return printableLines(strings.ReplaceAll(s, "\r\n", "\n")) }

func cmdReviewShow(c *cli, args []string) error {
	fs := c.flags("review show", "ID [--json]", "Show a review item: who wrote, what intake understood, and the text.")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil {
		return usagef("review show: %q is not a review id", pos[0])
	}
	return c.withReadAPI(func(a *admin.Client) error {
		it, err := a.Review(c.ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return c.printJSON(it)
		}
		printf(c.stdout, "Review %d (%s)\nReceived: %s\nFrom: %s\nSubject: %s\nMessage-ID: %s\nReason: %s\n",
			it.ID, it.State, it.Received.Local().Format(time.DateTime), oneLine(it.From, 200), oneLine(it.Subject, 200),
			oneLine(it.MessageID, 200), oneLine(it.Reason, 300))
		if it.Mission != "" {
			printf(c.stdout, "Mission (as understood): %s\n", it.Mission)
		}
		for _, k := range sortedKeys(it.Sessions) {
			printf(c.stdout, "  %s: %s (not recorded)\n", k, it.Sessions[k])
		}
		if it.Resolution != "" {
			printf(c.stdout, "Resolution: %s, by %s at %s\n", it.Resolution, it.ResolvedBy, it.ResolvedAt.Local().Format(time.DateTime))
		}
		fmt.Fprintf(c.stdout, "\n%s\n", safeText(it.Excerpt))
		return nil
	})
}

func cmdReviewResolve(c *cli, args []string) error {
	fs := c.flags("review resolve", "ID [--mission ID] [--accept SUR,...] [--decline SUR,...] [--tentative SUR,...] | --dismiss", "Close a review item: record the answers it gives (as a staff decision pointing\nat the message), or dismiss it. Use 'all' for every session.")
	mission := fs.String("mission", "", "the mission the message speaks for (default: as understood)")
	accept := fs.String("accept", "", "sessions accepted, e.g. JPN,UKR or all")
	decline := fs.String("decline", "", "sessions declined")
	tentative := fs.String("tentative", "", "sessions tentatively accepted")
	dismiss := fs.Bool("dismiss", false, "record nothing")
	note := fs.String("note", "", "why")
	delegates := fs.Int("delegates", 0, "delegates announced")
	addContact := fs.Bool("add-contact", false, "the sender writes for the mission: make it one of its contacts (this round's next messages and later rounds' invitations go to it)")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil {
		return usagef("review resolve: %q is not a review id", pos[0])
	}
	return c.withAPI(func(a *admin.Client) error {
		ss, err := a.Sessions(c.ctx)
		if err != nil {
			return err
		}
		answers := map[string]outreach.Status{}
		for list, st := range map[*string]outreach.Status{accept: outreach.Accepted, decline: outreach.Declined, tentative: outreach.Tentative} {
			for _, sur := range strings.Split(*list, ",") {
				sur = strings.ToUpper(strings.TrimSpace(sur))
				switch sur {
				case "":
				case "ALL":
					for _, s := range ss {
						answers[s.SuR] = st
					}
				default:
					if prev, dup := answers[sur]; dup && prev != st {
						return usagef("review resolve: %s given two answers", sur)
					}
					answers[sur] = st
				}
			}
		}
		it, err := a.Resolve(c.ctx, id, admin.ResolveRequest{Mission: *mission, Answers: answers, Dismiss: *dismiss, Note: *note, Actor: actor(), Delegates: *delegates, AddContact: *addContact})
		if err != nil {
			return fmt.Errorf("review resolve: %w", err)
		}
		printf(c.stdout, "Review %d resolved: %s\n", it.ID, it.Resolution)
		return nil
	})
}

func cmdInboxSync(c *cli, args []string) error {
	fs := c.flags("inbox sync", "", "Read every new message in the organiser mailbox once, record what each says,\nfile it, and exit. No daemon is needed.")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	return c.withAPI(func(a *admin.Client) error {
		stats, err := a.Sync(c.ctx)
		if *asJSON {
			if jerr := c.printJSON(stats); jerr != nil {
				return jerr
			}
		} else {
			printf(c.stdout, "Read %d new messages, filed %d (UIDVALIDITY %d, last UID %d).\n", stats.Fetched, stats.Filed, stats.UIDValidity, stats.LastUID)
			if stats.Refiled > 0 {
				printf(c.stdout, "Filed %d messages recorded before an interruption but left in the mailbox.\n", stats.Refiled)
			}
		}
		if err != nil {
			return fmt.Errorf("inbox sync: %w", err)
		}
		return nil
	})
}

// shortText is s on one line, cut to about n bytes at a rune boundary.
func shortText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
