package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"outreach/admin"
)

// csvImport is one `... import FILE.csv` command: how its file is read,
// sent and reported. Nothing is imported when read or apply fails.
type csvImport[T, R any] struct {
	// read parses the file, against what the store holds when it needs
	// to (the known missions, the sessions).
	read func(a *admin.Client, f io.Reader) (T, error)
	// standalone says read needs nothing from the store: it runs, with a
	// nil client, before the store is opened, so a bad file leaves no
	// new store behind.
	standalone bool
	apply      func(a *admin.Client, v T) (R, error)
	// report prints rep without --json.
	report func(path string, rep R)
}

// runImport runs an import command: the FILE.csv argument and --json,
// open, read, apply, report.
func runImport[T, R any](c *cli, fs *flag.FlagSet, args []string, imp csvImport[T, R]) error {
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	path := pos[0]
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	defer f.Close()
	refused := func(err error) error { return fmt.Errorf("%s %s: nothing imported:\n%w", fs.Name(), path, err) }
	var v T
	if imp.standalone {
		if v, err = imp.read(nil, f); err != nil {
			return refused(err)
		}
	}
	return c.withAPI(func(a *admin.Client) error {
		if !imp.standalone {
			if v, err = imp.read(a, f); err != nil {
				return refused(err)
			}
		}
		rep, err := imp.apply(a, v)
		if err != nil {
			return refused(err)
		}
		if *asJSON {
			return c.printJSON(rep)
		}
		imp.report(path, rep)
		return nil
	})
}
