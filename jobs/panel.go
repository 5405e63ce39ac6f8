package jobs

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"outreach"
	"outreach/directory"
	"outreach/store"
)

// PanelReport says what a panel import changed.
type PanelReport struct {
	// Replaced lists the sessions whose panel the file changed.
	Replaced  []string `json:"replaced"`
	Unchanged int      `json:"unchanged"`
	// NoAddress lists the speakers of the file who have no address, and so
	// will be sent no speakers reminder: "JPN: Ana Moreno".
	NoAddress []string `json:"no_address"`
}

// ImportPanels replaces the panel of each session named in panels by the
// one given, in speaking order. Every panel is checked against its
// session (kinds, 5 to 7 minutes, addresses, and the programme with the
// State under Review's statement within the slot); one problem refuses the
// whole import, in one transaction. Sessions not named keep their panel.
// Calendars already sent keep the panel they carried; messages composed
// from now on (the practical reminder, the speakers' reminders, updates)
// show the new one. A speakers reminder queued for someone the new panel
// no longer lists is not sent.
func (e *Engine) ImportPanels(panels []directory.Panel, actor string) (PanelReport, error) {
	rep := PanelReport{Replaced: []string{}, NoAddress: []string{}}
	if len(panels) == 0 {
		return rep, inputErr("no panels to import")
	}
	err := e.st.Update(func(tx *store.Tx) error {
		rep = PanelReport{Replaced: []string{}, NoAddress: []string{}}
		var problems []error
		seen := map[string]bool{}
		for _, p := range panels {
			sur := strings.ToUpper(p.SuR)
			if seen[sur] {
				problems = append(problems, inputErr("session %s: given twice", sur))
				continue
			}
			seen[sur] = true
			s, err := tx.Session(sur)
			if errors.Is(err, store.ErrNotFound) {
				problems = append(problems, inputErr("session %s: no such session (import it with `outreach sessions import` first)", sur))
				continue
			}
			if err != nil {
				return err
			}
			if len(p.Speakers) == 0 {
				problems = append(problems, inputErr("session %s: an empty panel", sur))
				continue
			}
			old := s.Panel
			s.Panel = append([]outreach.Speaker(nil), p.Speakers...)
			if err := s.CheckPanel(); err != nil {
				problems = append(problems, inputErr("session %s: %v", sur, err))
				continue
			}
			for _, sp := range s.Panel {
				if sp.Email == "" {
					rep.NoAddress = append(rep.NoAddress, sur+": "+sp.Name)
				}
			}
			if slices.Equal(old, s.Panel) {
				rep.Unchanged++
				continue
			}
			if err := tx.PutSession(s); err != nil {
				return err
			}
			rep.Replaced = append(rep.Replaced, sur)
		}
		if len(problems) > 0 {
			return errors.Join(problems...)
		}
		return tx.Audit(actor, "sessions.panel.import", fmt.Sprintf("replaced %d (%s), unchanged %d, %d speakers without an address",
			len(rep.Replaced), strings.Join(rep.Replaced, " "), rep.Unchanged, len(rep.NoAddress)))
	})
	return rep, err
}
