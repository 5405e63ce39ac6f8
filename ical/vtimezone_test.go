package ical

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zoneModel is a VTIMEZONE as a calendar client evaluates it: every onset
// (from DTSTART, RDATE and yearly RRULE) as an instant with the offset it
// starts. It is written independently of the generator: it expands rules
// instead of deriving them.
type zoneModel struct {
	onsets []onset
}

type onset struct {
	at  time.Time
	off int
}

func parseOffset(t testing.TB, s string) int {
	t.Helper()
	sign := 1
	switch s[0] {
	case '-':
		sign = -1
	case '+':
	default:
		t.Fatalf("offset %q has no sign", s)
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	sec := 0
	if len(s) == 7 {
		sec, _ = strconv.Atoi(s[5:7])
	}
	return sign * (h*3600 + m*60 + sec)
}

// modelZone reads the VTIMEZONE with the given TZID from data and expands
// its onsets up to the end of year horizon.
func modelZone(t testing.TB, data []byte, tzid string, horizon int) zoneModel {
	t.Helper()
	doc, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var m zoneModel
	found := false
	for _, cal := range doc.Top {
		for _, z := range cal.Subs {
			if tz, _ := z.First("TZID"); z.Name != "VTIMEZONE" || UnescapeText(tz.Value) != tzid {
				continue
			}
			found = true
			for _, o := range z.Subs {
				dt, _ := o.First("DTSTART")
				fromP, _ := o.First("TZOFFSETFROM")
				toP, _ := o.First("TZOFFSETTO")
				from, to := parseOffset(t, fromP.Value), parseOffset(t, toP.Value)
				wall, err := time.Parse(localLayout, dt.Value)
				if err != nil {
					t.Fatalf("observance DTSTART %q: %v", dt.Value, err)
				}
				inst := func(w time.Time) time.Time { return w.Add(-time.Duration(from) * time.Second) }
				m.onsets = append(m.onsets, onset{inst(wall), to})
				for _, rd := range o.All("RDATE") {
					for _, v := range strings.Split(rd.Value, ",") {
						w, err := time.Parse(localLayout, v)
						if err != nil {
							t.Fatalf("RDATE %q: %v", v, err)
						}
						m.onsets = append(m.onsets, onset{inst(w), to})
					}
				}
				for _, rr := range o.All("RRULE") {
					month, n, wd, until := 0, 0, -1, time.Time{}
					for _, part := range strings.Split(rr.Value, ";") {
						k, v, _ := strings.Cut(part, "=")
						switch k {
						case "FREQ":
							if v != "YEARLY" {
								t.Fatalf("RRULE %q is not yearly", rr.Value)
							}
						case "BYMONTH":
							month, _ = strconv.Atoi(v)
						case "BYDAY":
							n, _ = strconv.Atoi(v[:len(v)-2])
							wd = strings.Index("SUMOTUWETHFRSA", v[len(v)-2:]) / 2
						case "UNTIL":
							until, err = time.Parse(utcLayout, v)
							if err != nil {
								t.Fatalf("UNTIL %q: %v", v, err)
							}
						default:
							t.Fatalf("RRULE part %q not modelled", part)
						}
					}
					for y := wall.Year(); y <= horizon; y++ {
						var d time.Time
						if n > 0 {
							d = time.Date(y, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
							for int(d.Weekday()) != wd {
								d = d.AddDate(0, 0, 1)
							}
							d = d.AddDate(0, 0, 7*(n-1))
						} else {
							d = time.Date(y, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC)
							for int(d.Weekday()) != wd {
								d = d.AddDate(0, 0, -1)
							}
						}
						w := time.Date(y, time.Month(month), d.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
						at := inst(w)
						if at.Before(inst(wall)) {
							continue
						}
						if !until.IsZero() && at.After(until) {
							break
						}
						m.onsets = append(m.onsets, onset{at, to})
					}
				}
			}
		}
	}
	if !found {
		t.Fatalf("no VTIMEZONE %q", tzid)
	}
	sort.SliceStable(m.onsets, func(i, j int) bool { return m.onsets[i].at.Before(m.onsets[j].at) })
	return m
}

// offset returns the UTC offset the model gives instant t, and false when
// t is before every onset (the VTIMEZONE does not cover it).
func (m zoneModel) offset(t time.Time) (int, bool) {
	off, ok := 0, false
	for _, o := range m.onsets {
		if o.at.After(t) {
			break
		}
		off, ok = o.to(), true
	}
	return off, ok
}

func (o onset) to() int { return o.off }

// localToUTC converts a local DTSTART value in the model's zone to UTC the
// way RFC 5545 §3.3.5 says: an ambiguous time is its first occurrence.
func (m zoneModel) localToUTC(t testing.TB, v string) time.Time {
	t.Helper()
	w, err := time.Parse(localLayout, v)
	if err != nil {
		t.Fatal(err)
	}
	var best time.Time
	for _, o := range append([]onset{{}}, m.onsets...) {
		cand := w.Add(-time.Duration(o.off) * time.Second)
		if off, ok := m.offset(cand); ok && off == o.off && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if best.IsZero() {
		t.Fatalf("local time %s does not exist in the zone", v)
	}
	return best
}

func TestVTimezoneMatchesGo(t *testing.T) {
	cases := []struct {
		zone        string
		first, last int
	}{
		{"Europe/Zurich", 2017, 2017},
		{"Europe/Zurich", 1995, 2030},
		{"America/New_York", 2005, 2009},  // the US rule changed in 2007
		{"America/Sao_Paulo", 2017, 2021}, // DST abolished in 2019
		{"Australia/Sydney", 2017, 2018},  // southern hemisphere
		{"Asia/Kolkata", 2017, 2017},      // no DST since 1945
		{"Europe/Dublin", 2017, 2018},     // negative DST in the tz source
		{"Africa/Casablanca", 2017, 2021}, // Ramadan suspensions: no yearly rule
		{"Europe/Moscow", 2010, 2015},     // permanent DST in 2011, back in 2014
		{"Pacific/Apia", 2010, 2012},      // skipped 30 December 2011
		{"Asia/Tehran", 2020, 2023},       // DST abolished in 2022
		{"Pacific/Chatham", 2017, 2017},   // +1245/+1345
		{"America/St_Johns", 2017, 2017},  // half-hour offset
		{"Antarctica/Troll", 2017, 2018},  // +00/+02
		{"Etc/GMT-3", 2017, 2017},         // fixed offset
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d-%d", c.zone, c.first, c.last), func(t *testing.T) {
			loc := loadZone(t, c.zone)
			var e encoder
			if err := writeVTimezone(&e, loc, c.first, c.last); err != nil {
				t.Fatal(err)
			}
			data := append([]byte("BEGIN:VCALENDAR\r\n"), e.buf.Bytes()...)
			data = append(data, "END:VCALENDAR\r\n"...)
			m := modelZone(t, data, c.zone, c.last+1)
			from := time.Date(c.first, 1, 1, 0, 0, 0, 0, loc)
			to := time.Date(c.last+1, 1, 1, 0, 0, 0, 0, loc)
			check := func(at time.Time) {
				_, want := at.In(loc).Zone()
				got, ok := m.offset(at)
				if !ok {
					t.Fatalf("%s: VTIMEZONE does not cover %s", c.zone, at.UTC())
				}
				if got != want {
					t.Fatalf("%s at %s: VTIMEZONE gives %s, Go gives %s\n%s", c.zone, at.UTC(),
						formatOffset(got), formatOffset(want), e.buf.String())
				}
			}
			for at := from; at.Before(to); at = at.Add(3 * time.Hour) {
				check(at)
			}
			trs, err := zoneTransitions(loc, from, to)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range trs {
				if tr.at.Before(from) {
					continue
				}
				check(tr.at)
				check(tr.at.Add(-time.Second))
			}
		})
	}
}

func TestVTimezoneZurichUsesRules(t *testing.T) {
	var e encoder
	if err := writeVTimezone(&e, loadZone(t, "Europe/Zurich"), 2017, 2017); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"BEGIN:VTIMEZONE",
		"TZID:Europe/Zurich",
		"BEGIN:STANDARD",
		"DTSTART:20161030T030000",
		"TZOFFSETFROM:+0200",
		"TZOFFSETTO:+0100",
		"TZNAME:CET",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
		"END:STANDARD",
		"BEGIN:DAYLIGHT",
		"DTSTART:20170326T020000",
		"TZOFFSETFROM:+0100",
		"TZOFFSETTO:+0200",
		"TZNAME:CEST",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
		"END:DAYLIGHT",
		"END:VTIMEZONE",
		"",
	}, "\r\n")
	if got := e.buf.String(); got != want {
		t.Fatalf("Europe/Zurich VTIMEZONE:\n%s\nwant:\n%s", got, want)
	}
}

func TestVTimezoneRuleChangeGetsUntil(t *testing.T) {
	var e encoder
	if err := writeVTimezone(&e, loadZone(t, "America/New_York"), 2005, 2009); err != nil {
		t.Fatal(err)
	}
	out := e.buf.String()
	for _, want := range []string{
		"RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z", // old rule: first Sunday of April
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n",                    // since 2007: second Sunday of March
		"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("America/New_York 2005–2009 lacks %q:\n%s", want, out)
		}
	}
}

func TestVTimezoneIrregularZoneFallsBackToRDATE(t *testing.T) {
	var e encoder
	if err := writeVTimezone(&e, loadZone(t, "Africa/Casablanca"), 2019, 2021); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.buf.String(), "\r\nRDATE:") {
		t.Fatalf("Africa/Casablanca (Ramadan changes) has no RDATE:\n%s", e.buf.String())
	}
}

func TestFormatOffset(t *testing.T) {
	for sec, want := range map[int]string{0: "+0000", 3600: "+0100", -18000: "-0500", 45900: "+1245", -12600: "-0330", 3661: "+010101"} {
		if got := formatOffset(sec); got != want {
			t.Errorf("formatOffset(%d) = %s, want %s", sec, got, want)
		}
	}
}
