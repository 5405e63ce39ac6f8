package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"outreach/demo"
)

// cmdDemo runs a whole round in one process against simulated missions.
func cmdDemo(c *cli, args []string) error {
	fs := c.flags("demo", "[--once] [--speed N] [--dir DIR] [--seed N] [--json]",
		"Run a whole round in one process: an SMTP and an IMAP server on loopback, the 28th round\n"+
			"and its 195 missions, and simulated missions that answer as real ones do (calendar\n"+
			"accepts from Outlook, Gmail, Apple and Thunderbird, letters in English, French and\n"+
			"Spanish, declines, changes of mind, absence notices, bounces, one letter for review).\n"+
			"Without --once the round runs on an accelerated clock with a live view.")
	once := fs.Bool("once", false, "run the whole round at once, print the final table and figures, and exit")
	speed := fs.Float64("speed", 40000, "without --once: how many times faster than real time the clock runs")
	dir := fs.String("dir", "", "keep the demo's store in DIR (default: a temporary directory, removed)")
	seed := fs.Uint64("seed", 28, "the missions' behaviour; the same seed plays the same round")
	asJSON := fs.Bool("json", false, "with --once: print the result as JSON")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("demo: --speed must be positive")
	}
	opts := demo.Options{Dir: *dir, Once: *once, Speed: *speed, Seed: *seed, Out: c.stdout, Terminal: isTerminal(c.stdout)}
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
		if err := enc.Encode(map[string]any{"figures": res.Figures, "sessions": res.Status.Sessions,
			"answers": res.Answers, "mismatches": res.Mismatches, "elapsed_seconds": res.Elapsed.Seconds()}); err != nil {
			return err
		}
	}
	if len(res.Mismatches) > 0 {
		return fmt.Errorf("demo: %d answers were not recorded as given:\n  %s", len(res.Mismatches),
			strings.Join(res.Mismatches, "\n  "))
	}
	return nil
}
