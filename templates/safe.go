package templates

import "outreach"

// The names, titles, rooms and notes a message shows pass through
// outreach.HeaderText, as every header does in the mailer: a direction
// override stored in a name (U+202E...) does not reach the text, the HTML
// or the calendar a mission reads.

func safeNames(n outreach.Names) outreach.Names {
	return outreach.Names{EN: outreach.HeaderText(n.EN), FR: outreach.HeaderText(n.FR), ES: outreach.HeaderText(n.ES)}
}

func safeSession(s outreach.Session) outreach.Session {
	s.Room, s.Note = outreach.HeaderText(s.Room), outreach.HeaderText(s.Note)
	if len(s.Panel) > 0 {
		s.Panel = append([]outreach.Speaker(nil), s.Panel...)
		for i := range s.Panel {
			s.Panel[i].Name = outreach.HeaderText(s.Panel[i].Name)
			s.Panel[i].Organisation = outreach.HeaderText(s.Panel[i].Organisation)
		}
	}
	return s
}

// namesSafe reports whether every name in names is already as safeNames
// makes it (the map is then used as it is, never changed).
func namesSafe(names map[string]outreach.Names) bool {
	for _, n := range names {
		if safeNames(n) != n {
			return false
		}
	}
	return true
}

// safe returns d with its shown text through outreach.HeaderText; d's
// own maps and slices are not changed.
func (d Data) safe() Data {
	d.Mission.Names, d.Mission.Titles = safeNames(d.Mission.Names), safeNames(d.Mission.Titles)
	if d.SuRNames != nil && !namesSafe(d.SuRNames) {
		names := make(map[string]outreach.Names, len(d.SuRNames))
		for k, n := range d.SuRNames {
			names[k] = safeNames(n)
		}
		d.SuRNames = names
	}
	// d.Sessions are made safe where their views are built (buildViews).
	for _, p := range []**outreach.Session{&d.Session, &d.Previous} {
		if *p != nil {
			s := safeSession(**p)
			*p = &s
		}
	}
	if d.Speaker != nil {
		sp := *d.Speaker
		sp.Name, sp.Organisation = outreach.HeaderText(sp.Name), outreach.HeaderText(sp.Organisation)
		d.Speaker = &sp
	}
	d.Reason = outreach.HeaderText(d.Reason)
	if d.Delegates != nil {
		ds := make([]Delegate, len(d.Delegates))
		for i, dl := range d.Delegates {
			ds[i] = Delegate{Name: outreach.HeaderText(dl.Name), Email: outreach.HeaderText(dl.Email)}
		}
		d.Delegates = ds
	}
	d.Comment = outreach.HeaderText(d.Comment)
	return d
}
