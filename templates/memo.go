package templates

import (
	"slices"
	"sort"
	"sync"
	"time"

	"outreach"
)

// SessionViews keeps the views of one list of sessions (names, dates,
// rooms and panels in a language), for Data.Views: every message of a
// round shows the same sessions, and building their views was a fifth of
// the time of composing an invitation. The caller keeps one per unchanging
// list (the round as loaded); a list that differs from the one first seen
// is shown from fresh views. Safe for concurrent use.
type SessionViews struct {
	mu sync.Mutex
	m  map[viewsKey]viewsEntry
}

type viewsKey struct {
	set  *Set
	lang outreach.Language
	loc  *time.Location
}

type viewsEntry struct {
	of    []outreach.Session        // the list the views are of, as given
	names map[string]outreach.Names // the names of their States under Review
	views Sessions                  // in time order, without answers
	lists *unanswered               // the lists of a message without answers
}

// unanswered are View.Scheduled and View.Unanswered for a message that has
// no answers (an invitation): the same for every such message showing
// the same views, and never changed once made. View.Sessions is then the
// views themselves.
type unanswered struct {
	scheduled, unanswered Sessions
}

// unansweredLists makes the lists from views as sessionsView makes them,
// to the capacity of each slice.
func unansweredLists(views Sessions) *unanswered {
	u := &unanswered{scheduled: make(Sessions, 0, len(views))}
	for _, sv := range views {
		if sv.Cancelled {
			continue
		}
		u.scheduled = append(u.scheduled, sv)
		u.unanswered = append(u.unanswered, sv)
	}
	return u
}

// NewSessionViews returns an empty SessionViews.
func NewSessionViews() *SessionViews {
	return &SessionViews{m: map[viewsKey]viewsEntry{}}
}

// sortedViews returns the views of d.Sessions in time order, without
// answers, from d.Views when it holds them, and the lists of a message
// without answers kept with them (nil when not kept).
func (s *Set) sortedViews(l outreach.Language, loc *time.Location, d Data) (Sessions, *unanswered, error) {
	if d.Views == nil {
		views, err := s.buildViews(l, loc, d)
		return views, nil, err
	}
	k := viewsKey{s, l, loc}
	d.Views.mu.Lock()
	e, ok := d.Views.m[k]
	d.Views.mu.Unlock()
	if ok && e.sameList(d) {
		return e.views, e.lists, nil
	}
	views, err := s.buildViews(l, loc, d)
	if err != nil || ok {
		return views, nil, err
	}
	lists := unansweredLists(views)
	d.Views.mu.Lock()
	names := make(map[string]outreach.Names, len(d.Sessions))
	for _, ss := range d.Sessions {
		names[ss.SuR] = d.SuRNames[ss.SuR]
	}
	d.Views.m[k] = viewsEntry{of: slices.Clone(d.Sessions), names: names, views: views, lists: lists}
	d.Views.mu.Unlock()
	return views, lists, nil
}

// sameList reports whether d shows the list e was made from: the same
// sessions, field for field, panels included, and the same names of their
// States under Review.
func (e viewsEntry) sameList(d Data) bool {
	if len(e.of) != len(d.Sessions) {
		return false
	}
	for i, x := range e.of {
		y := d.Sessions[i]
		same := x.SuR == y.SuR && x.Start == y.Start && x.End == y.End && x.Room == y.Room &&
			slices.Equal(x.Panel, y.Panel) && x.SuRStatement == y.SuRStatement && x.Sequence == y.Sequence &&
			x.Status == y.Status && x.Note == y.Note && x.NoteFR == y.NoteFR && x.NoteES == y.NoteES
		if !same || e.names[x.SuR] != d.SuRNames[x.SuR] {
			return false
		}
	}
	return true
}

// buildViews makes the views of d.Sessions, their text made safe first.
func (s *Set) buildViews(l outreach.Language, loc *time.Location, d Data) (Sessions, error) {
	sorted := make([]outreach.Session, len(d.Sessions))
	for i, ss := range d.Sessions {
		sorted[i] = safeSession(ss)
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	out := make(Sessions, 0, len(sorted))
	for _, ss := range sorted {
		n, err := surName(d, ss.SuR)
		if err != nil {
			return nil, err
		}
		out = append(out, s.g.sessionView(l, loc, ss, n))
	}
	return out, nil
}
