package ical

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// isUTC reports whether loc is UTC under any of its usual names; events in
// UTC are written with a Z suffix and need no VTIMEZONE.
func isUTC(loc *time.Location) bool {
	if loc == time.UTC {
		return true
	}
	switch loc.String() {
	case "UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu":
		return true
	}
	return false
}

// transition is one change of a zone's offset, abbreviation or DST flag.
type transition struct {
	at       time.Time // instant of the change
	from, to int       // UTC offsets in seconds before and after
	name     string    // abbreviation after (TZNAME)
	dst      bool      // daylight saving time after
}

// wall is the local date-time of the transition on the clock it replaces,
// which is how RFC 5545 §3.6.5 writes an observance's DTSTART.
func (t transition) wall() time.Time {
	return t.at.Add(time.Duration(t.from) * time.Second).UTC()
}

// maxTransitions bounds the walk through a zone's history.
const maxTransitions = 4000

// zoneTransitions returns the transitions of loc that matter for instants in
// [from, to): the one that started the zone in effect at from, then every one
// before to. Changes that alter nothing visible are skipped.
func zoneTransitions(loc *time.Location, from, to time.Time) ([]transition, error) {
	var out []transition
	add := func(at time.Time) {
		before := at.Add(-time.Second).In(loc)
		after := at.In(loc)
		bname, boff := before.Zone()
		aname, aoff := after.Zone()
		if boff == aoff && bname == aname && before.IsDST() == after.IsDST() {
			return
		}
		out = append(out, transition{at: at, from: boff, to: aoff, name: aname, dst: after.IsDST()})
	}
	start, end := from.In(loc).ZoneBounds()
	if !start.IsZero() {
		add(start)
	}
	for n := 0; !end.IsZero() && end.Before(to); n++ {
		if n > maxTransitions {
			return nil, fmt.Errorf("time zone %s changes more than %d times in range", loc, maxTransitions)
		}
		add(end)
		_, next := end.In(loc).ZoneBounds()
		if !next.After(end) {
			break
		}
		end = next
	}
	return out, nil
}

// byDay is a yearly rule's day: the nth (1–4) or last (-1) weekday of the
// month.
type byDay struct {
	n  int
	wd time.Weekday
}

var weekdayCodes = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

func (b byDay) String() string { return fmt.Sprintf("%d%s", b.n, weekdayCodes[b.wd]) }

// dayRules returns the rules that describe day d: its nth weekday, and -1 if
// it is also the last such weekday of its month.
func dayRules(d time.Time) []byDay {
	rules := []byDay{{n: (d.Day()-1)/7 + 1, wd: d.Weekday()}}
	if d.AddDate(0, 0, 7).Month() != d.Month() {
		rules = append([]byDay{{n: -1, wd: d.Weekday()}}, rules...) // prefer "last"
	}
	return rules
}

func intersect(a, b []byDay) []byDay {
	var out []byDay
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}

// observance is one STANDARD or DAYLIGHT block.
type observance struct {
	dst      bool
	from, to int
	name     string
	onsets   []transition // chronological; onsets[0] gives DTSTART
	rule     *byDay       // yearly RRULE when set, RDATEs otherwise
	until    time.Time    // RRULE end (UTC); zero for an open-ended rule
}

// observances groups transitions into observances. Transitions with the
// same offsets, name and kind that fall once a year on the same month,
// weekday and wall-clock time, and on the same nth or last weekday, become
// one RRULE (Outlook builds its time zone from the rules); the rest become
// DTSTART plus RDATEs. A rule whose last onset falls in lastYear is left
// open-ended; an earlier one gets an UNTIL.
func observances(trs []transition, lastYear int) []observance {
	type key struct {
		dst      bool
		from, to int
		name     string
	}
	groups := map[key][]transition{}
	var order []key
	for _, t := range trs {
		k := key{t.dst, t.from, t.to, t.name}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], t)
	}
	var out []observance
	for _, k := range order {
		g := groups[k]
		var single []transition
		for i := 0; i < len(g); {
			rules := dayRules(g[i].wall())
			j := i + 1
			for j < len(g) {
				prev, cur := g[j-1].wall(), g[j].wall()
				if cur.Year() != prev.Year()+1 || cur.Month() != prev.Month() ||
					cur.Weekday() != prev.Weekday() || clock(cur) != clock(prev) {
					break
				}
				r := intersect(rules, dayRules(cur))
				if len(r) == 0 {
					break
				}
				rules = r
				j++
			}
			if j-i < 2 {
				single = append(single, g[i])
				i++
				continue
			}
			rule := rules[0]
			o := observance{dst: k.dst, from: k.from, to: k.to, name: k.name, onsets: g[i:j], rule: &rule}
			if g[j-1].wall().Year() < lastYear {
				o.until = g[j-1].at.UTC()
			}
			out = append(out, o)
			i = j
		}
		if len(single) > 0 {
			out = append(out, observance{dst: k.dst, from: k.from, to: k.to, name: k.name, onsets: single})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].onsets[0].at.Before(out[b].onsets[0].at) })
	return out
}

func clock(t time.Time) int { return t.Hour()*3600 + t.Minute()*60 + t.Second() }

// writeVTimezone writes a VTIMEZONE for loc covering every instant from the
// start of year firstYear to the end of lastYear. One more year of
// transitions is read so that a rule in force in lastYear is recognised as
// such even when it has a single onset inside the range.
//
// The text depends only on loc and the years, and a process writes the same
// few zones again and again (one per calendar attachment), so it is kept.
func writeVTimezone(e *encoder, loc *time.Location, firstYear, lastYear int) error {
	k := zoneKey{loc, firstYear, lastYear}
	zoneCache.mu.Lock()
	text, ok := zoneCache.m[k]
	zoneCache.mu.Unlock()
	if ok {
		e.buf.Write(text)
		return nil
	}
	var z encoder
	if err := buildVTimezone(&z, loc, firstYear, lastYear); err != nil {
		return err
	}
	text = z.buf.Bytes()
	zoneCache.mu.Lock()
	if len(zoneCache.m) < maxCachedZones {
		zoneCache.m[k] = text
	}
	zoneCache.mu.Unlock()
	e.buf.Write(text)
	return nil
}

// zoneKey identifies a VTIMEZONE text. *time.Location values are never
// changed once made, so the pointer names the zone's rules.
type zoneKey struct {
	loc         *time.Location
	first, last int
}

// maxCachedZones bounds the cache; past it, VTIMEZONEs are built each time.
const maxCachedZones = 256

var zoneCache = struct {
	mu sync.Mutex
	m  map[zoneKey][]byte // never modified once stored
}{m: map[zoneKey][]byte{}}

func buildVTimezone(e *encoder, loc *time.Location, firstYear, lastYear int) error {
	from := time.Date(firstYear, time.January, 1, 0, 0, 0, 0, loc)
	to := time.Date(lastYear+2, time.January, 1, 0, 0, 0, 0, loc)
	trs, err := zoneTransitions(loc, from, to)
	if err != nil {
		return err
	}
	e.line("BEGIN", "VTIMEZONE")
	e.line("TZID", escapeText(loc.String()))
	if len(trs) == 0 {
		// A zone that never changes: one observance from the epoch.
		name, off := from.Zone()
		e.line("BEGIN", "STANDARD")
		e.line("DTSTART", "19700101T000000")
		e.line("TZOFFSETFROM", formatOffset(off))
		e.line("TZOFFSETTO", formatOffset(off))
		e.line("TZNAME", escapeText(name))
		e.line("END", "STANDARD")
		e.line("END", "VTIMEZONE")
		return nil
	}
	for _, o := range observances(trs, lastYear+1) {
		kind := "STANDARD"
		if o.dst {
			kind = "DAYLIGHT"
		}
		e.line("BEGIN", kind)
		e.line("DTSTART", o.onsets[0].wall().Format(localLayout))
		e.line("TZOFFSETFROM", formatOffset(o.from))
		e.line("TZOFFSETTO", formatOffset(o.to))
		e.line("TZNAME", escapeText(o.name))
		if o.rule != nil {
			rrule := fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%s", int(o.onsets[0].wall().Month()), o.rule)
			if !o.until.IsZero() {
				rrule += ";UNTIL=" + o.until.Format(utcLayout)
			}
			e.line("RRULE", rrule)
		} else if len(o.onsets) > 1 {
			dates := make([]string, 0, len(o.onsets)-1)
			for _, t := range o.onsets[1:] {
				dates = append(dates, t.wall().Format(localLayout))
			}
			e.line("RDATE", strings.Join(dates, ","))
		}
		e.line("END", kind)
	}
	e.line("END", "VTIMEZONE")
	return nil
}

// formatOffset writes a UTC offset as RFC 5545 §3.3.14 UTC-OFFSET: +HHMM,
// with seconds only when there are some. Zero is +0000 (-0000 is not
// allowed).
func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	h, m, s := sec/3600, sec/60%60, sec%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}

const (
	localLayout = "20060102T150405"
	utcLayout   = "20060102T150405Z"
)
