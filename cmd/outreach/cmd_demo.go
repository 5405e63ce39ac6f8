package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"outreach/demo"
)

// cmdDemo runs a whole round in one process against simulated missions.
func cmdDemo(c *cli, args []string) error {
	fs := c.flags("demo", "[--once] [--speed N] [--dir DIR] [--seed N] [--rounds N] [--json]",
		"Run a whole round in one process: an SMTP and an IMAP server on loopback, the 28th round\n"+
			"and its 195 missions, and simulated missions that answer as real ones do (calendar\n"+
			"accepts from Outlook, Gmail, Apple and Thunderbird, letters in English, French and\n"+
			"Spanish, declines, changes of mind, absence notices, bounces, one letter for review).\n"+
			"Without --once the round runs on an accelerated clock with a live view. --rounds 2\n"+
			"then plays the 29th round in the same store, from the first round's directory, and\n"+
			"prints the figures across both.")
	once := fs.Bool("once", false, "run the whole round at once, print the final table and figures, and exit")
	speed := fs.Float64("speed", 40000, "without --once: how many times faster than real time the clock runs")
	dir := fs.String("dir", "", "keep the demo's store in DIR (default: a temporary directory, removed)")
	seed := fs.Uint64("seed", 28, "the missions' behaviour; the same seed plays the same round")
	rounds := fs.Int("rounds", 1, "how many rounds to play back to back in one store (1 or 2)")
	asJSON := fs.Bool("json", false, "with --once: print the result as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("demo: --speed must be positive")
	}
	if *rounds < 1 || *rounds > 2 {
		return usagef("demo: --rounds %d: the demo plays 1 or 2 rounds", *rounds)
	}
	opts := demo.Options{Dir: *dir, Once: *once, Speed: *speed, Seed: *seed, Out: c.stdout, Terminal: isTerminal(c.stdout), Rounds: *rounds}
	if *asJSON {
		opts.Out = nil
	}
	res, err := demo.Run(c.ctx, opts)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		out := map[string]any{"figures": res.Figures, "sessions": res.Status.Sessions,
			"answers": res.Answers, "mismatches": res.Mismatches, "elapsed_seconds": res.Elapsed.Seconds()}
		if res.AllRounds != nil {
			out["round"], out["all_rounds"] = res.Round, res.AllRounds
			out["bounced_before_round"], out["wrote_to_bounced"] = res.Bounced, res.WroteToBounced
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if len(res.Mismatches) > 0 {
		return fmt.Errorf("demo: %d answers were not recorded as given:\n  %s", len(res.Mismatches),
			strings.Join(res.Mismatches, "\n  "))
	}
	return nil
}
