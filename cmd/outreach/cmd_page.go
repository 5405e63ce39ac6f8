package main

import (
	"fmt"
	"strings"
	"time"

	"outreach/admin"
)

func cmdPageLink(c *cli, args []string) error {
	fs := c.flags("page link", "MISSION [--new] [--json]", "Print the link to a mission's reply page, giving it one if it has none.\n--new replaces it: the old link stops opening the page (a link sent to the wrong\naddress). Letters composed from then on carry the new one.")
	renew := fs.Bool("new", false, "replace the link; the old one stops working")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withAPI(func(a *admin.Client) error {
		l, err := a.PageLink(c.ctx, pos[0], admin.PageLinkRequest{Renew: *renew, Actor: actor()})
		if err != nil {
			return fmt.Errorf("page link: %w", err)
		}
		if *asJSON {
			return c.printJSON(l)
		}
		printf(c.stdout, "%s\n", l.Link)
		return nil
	})
}

func cmdPageShow(c *cli, args []string) error {
	fs := c.flags("page show", "MISSION [--json]", "What a mission gave on its reply page: its answer for each session and where it\ncame from, its delegates and its comment.")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withReadAPI(func(a *admin.Client) error {
		p, err := a.Page(c.ctx, pos[0])
		if err != nil {
			return fmt.Errorf("page show: %w", err)
		}
		if *asJSON {
			return c.printJSON(p)
		}
		state := "open until " + p.Deadline.In(c.location()).Format("2006-01-02 15:04")
		if !p.Open {
			state = "closed since " + p.Deadline.In(c.location()).Format("2006-01-02 15:04")
		}
		printf(c.stdout, "Reply page of %s: %s; sent %d times", p.Mission, state, p.Submissions)
		if !p.Submitted.IsZero() {
			printf(c.stdout, ", last on %s", p.Submitted.In(c.location()).Format(time.DateTime))
		}
		printf(c.stdout, ".\n\n")
		tw := c.table()
		fmt.Fprintln(tw, "SESSION\tSTATE UNDER REVIEW\tANSWER\tFROM")
		for _, s := range p.Answers {
			printf(tw, "%s\t%s\t%s\t%s\n", s.Session, s.Name, s.Status, s.Source)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(p.Delegates) > 0 {
			printf(c.stdout, "\nDelegates:\n")
			for _, d := range p.Delegates {
				if d.Email != "" {
					printf(c.stdout, "  %s <%s>\n", oneLine(d.Name, 120), oneLine(d.Email, 254))
				} else {
					printf(c.stdout, "  %s\n", oneLine(d.Name, 120))
				}
			}
		}
		if p.Comment != "" {
			// Each line of the comment through Printable, line breaks kept.
			fmt.Fprintf(c.stdout, "\nComment:\n  %s\n", strings.ReplaceAll(safeText(p.Comment), "\n", "\n  "))
		}
		return nil
	})
}
