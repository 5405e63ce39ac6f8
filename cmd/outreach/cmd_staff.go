package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"outreach/desk"
)

// staffFile is the configured staff desk file.
func (c *cli) staffFile() (string, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return "", err
	}
	p := cfg.StaffPath()
	if p == "" {
		return "", errors.New("no staff desk configured: set admin.staff_file (and admin.listen) in the configuration")
	}
	return p, nil
}

// readPassword reads a new password: twice without echo on a terminal,
// else one line of standard input.
func (c *cli) readPassword(name string) (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(c.stderr, "Password for %s (10 characters or more): ", name)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(c.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func cmdStaffAdd(c *cli, args []string) error {
	fs := c.flags("staff add", "NAME", "Give a staff member access to the desk, or a new password: the password is asked\ntwice on a terminal, else read from one line of standard input. Only a hash is kept.")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	if err := desk.CheckStaffName(pos[0]); err != nil {
		return usagef("staff add: %v", err)
	}
	path, err := c.staffFile()
	if err != nil {
		return err
	}
	pw, err := c.readPassword(pos[0])
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	if err := desk.AddStaff(path, pos[0], pw); err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	printf(c.stdout, "%s can log in to the desk (%s).\n", pos[0], path)
	return nil
}

func cmdStaffRemove(c *cli, args []string) error {
	fs := c.flags("staff remove", "NAME", "Take a staff member's access away; a session open at the desk ends at its next page.")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	path, err := c.staffFile()
	if err != nil {
		return err
	}
	ok, err := desk.RemoveStaff(path, pos[0])
	if err != nil {
		return fmt.Errorf("staff remove: %w", err)
	}
	if !ok {
		return fmt.Errorf("staff remove: no staff member %q in %s", pos[0], path)
	}
	printf(c.stdout, "%s can no longer log in to the desk.\n", pos[0])
	return nil
}

func cmdStaffList(c *cli, args []string) error {
	fs := c.flags("staff list", "", "The staff members who can log in to the desk.")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	path, err := c.staffFile()
	if err != nil {
		return err
	}
	staff, err := desk.ReadStaff(path)
	if err != nil {
		return err
	}
	for _, n := range sortedKeys(staff) {
		printf(c.stdout, "%s\n", n)
	}
	return nil
}
