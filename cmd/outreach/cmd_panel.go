package main

import (
	"fmt"
	"io"
	"strings"

	"outreach"
	"outreach/admin"
	"outreach/directory"
	"outreach/jobs"
)

func cmdPanelImport(c *cli, args []string) error {
	fs := c.flags("sessions panel import", "FILE.csv [--json]", "Replace the panel of each session named in a CSV file with the header\n"+
		strings.Join(directory.PanelColumns, ",")+"\n(one speaker a line, each session's speakers in speaking order; kind CSO or NHRI;\nminutes 5 to 7; email optional; language en, fr or es, en when empty). Each\nprogramme must fit its session's slot with the State under Review's 2-minute\nstatement when it makes one. One problem refuses the whole file. Sessions not\nin the file keep their panel. Speakers with an address are written to by a\nreminder rule with audience = \"speakers\". Calendars already sent keep the\npanel they carried.")
	return runImport(c, fs, args, csvImport[[]directory.Panel, jobs.PanelReport]{
		read: func(a *admin.Client, f io.Reader) ([]directory.Panel, error) {
			ss, err := a.Sessions(c.ctx)
			if err != nil {
				return nil, err
			}
			bySuR := map[string]outreach.Session{}
			for _, s := range ss {
				bySuR[s.SuR] = s
			}
			return directory.ParsePanels(f, func(sur string) (outreach.Session, bool) {
				s, ok := bySuR[sur]
				return s, ok
			})
		},
		apply: func(a *admin.Client, panels []directory.Panel) (jobs.PanelReport, error) {
			return a.ImportPanels(c.ctx, panels, actor())
		},
		report: func(path string, rep jobs.PanelReport) {
			printf(c.stdout, "Imported %s: %d panels replaced%s, %d unchanged.\n", path, len(rep.Replaced), list(rep.Replaced), rep.Unchanged)
			if len(rep.NoAddress) > 0 {
				printf(c.stdout, "%d speakers have no address and will be sent no speakers reminder:\n", len(rep.NoAddress))
				for _, s := range rep.NoAddress {
					printf(c.stdout, "  %s\n", s)
				}
			}
		},
	})
}

func list(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " (" + strings.Join(ids, " ") + ")"
}

// panelJSON is the JSON form of one session's panel.
type panelJSON struct {
	SuR          string             `json:"sur"`
	Name         string             `json:"name"`
	SuRStatement bool               `json:"sur_statement"`
	Minutes      int                `json:"minutes"`
	SlotMinutes  int                `json:"slot_minutes"`
	Panel        []outreach.Speaker `json:"panel"`
}

func cmdPanelList(c *cli, args []string) error {
	fs := c.flags("sessions panel list", "[SUR] [--json]", "List the panels in speaking order (of one session with SUR): each speaker's\norganisation, kind, minutes, language and address, and the programme's length\nagainst the slot.")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := c.parse(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("sessions panel list: want at most one SUR, got %s", strings.Join(pos, " "))
	}
	only := ""
	if len(pos) == 1 {
		only = strings.ToUpper(pos[0])
	}
	return c.withReadAPI(func(a *admin.Client) error {
		ss, err := a.Sessions(c.ctx)
		if err != nil {
			return err
		}
		names := map[string]string{}
		if ms, err := a.Missions(c.ctx); err == nil {
			for _, m := range ms {
				names[m.ID] = m.Names.EN
			}
		}
		var out []panelJSON
		for _, s := range ss {
			if only != "" && s.SuR != only {
				continue
			}
			p := s.Panel
			if p == nil {
				p = []outreach.Speaker{}
			}
			out = append(out, panelJSON{SuR: s.SuR, Name: names[s.SuR], SuRStatement: s.SuRStatement, Minutes: s.PanelMinutes(),
				SlotMinutes: int(s.End.Sub(s.Start).Minutes()), Panel: p})
		}
		if only != "" && len(out) == 0 {
			return fmt.Errorf("sessions panel list: no session on %s (see `outreach sessions list`)", only)
		}
		if *asJSON {
			if out == nil {
				out = []panelJSON{}
			}
			return c.printJSON(out)
		}
		tw := c.table()
		fmt.Fprintln(tw, "SUR\t#\tSPEAKER\tORGANISATION\tKIND\tMIN\tLANG\tEMAIL")
		speakers, none := 0, 0
		for _, p := range out {
			if p.SuRStatement {
				printf(tw, "%s\t-\tStatement by the State under Review\t\t\t%d\t\t\n", p.SuR, outreach.SuRStatementMins)
			}
			for i, sp := range p.Panel {
				email := sp.Email
				if email == "" {
					email = "(no address)"
					none++
				}
				speakers++
				printf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", p.SuR, i+1, sp.Name, sp.Organisation, sp.Kind, sp.Minutes, sp.Lang(), email)
			}
			printf(tw, "%s\t\t%s: %d of %d minutes\t\t\t\t\t\n", p.SuR, p.Name, p.Minutes, p.SlotMinutes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		printf(c.stdout, "%d speakers in %d sessions, %d without an address\n", speakers, len(out), none)
		return nil
	})
}
