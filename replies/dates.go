package replies

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Letters name a pre-session by its date and time as often as by its
// State: "the pre-session of 12 October at 10:00", "la pré-session du 11
// octobre à 14h00", "la presesión del 13 de octubre a las 11:30". A date
// and time that fit exactly one session of the round name it; one that
// fits several, or none, is for a person to read.

// day is a calendar day as written; year 0 when none is given.
type day struct {
	year  int
	month time.Month
	dom   int
}

func (d day) String() string { return fmt.Sprintf("%d %s", d.dom, d.month) }

// dateRef is a date, a time or both, found in a folded sentence.
type dateRef struct {
	start, end int   // byte offsets in the folded sentence
	days       []day // one, or two for an ambiguous numeric date (10/11)
	written    string
	hour, min  int
	hasTime    bool
	otherZone  bool // a time zone other than the venue's ("10:00 GMT")
}

// label is the reference as staff should see it: "12 October at 10:00".
func (d dateRef) label() string {
	var parts []string
	switch len(d.days) {
	case 0:
	case 1:
		parts = append(parts, d.days[0].String())
	default:
		parts = append(parts, d.written)
	}
	if d.hasTime {
		t := fmt.Sprintf("%02d:%02d", d.hour, d.min)
		if len(parts) > 0 {
			t = "at " + t
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

var monthNames = map[string]time.Month{
	"january": 1, "jan": 1, "janvier": 1, "enero": 1,
	"february": 2, "feb": 2, "fevrier": 2, "febrero": 2,
	"march": 3, "mar": 3, "mars": 3, "marzo": 3,
	"april": 4, "apr": 4, "avril": 4, "abril": 4,
	"may": 5, "mai": 5, "mayo": 5,
	"june": 6, "jun": 6, "juin": 6, "junio": 6,
	"july": 7, "jul": 7, "juillet": 7, "julio": 7,
	"august": 8, "aug": 8, "aout": 8, "agosto": 8,
	"september": 9, "sep": 9, "sept": 9, "septembre": 9, "septiembre": 9, "setiembre": 9,
	"october": 10, "oct": 10, "octobre": 10, "octubre": 10,
	"november": 11, "nov": 11, "novembre": 11, "noviembre": 11,
	"december": 12, "dec": 12, "decembre": 12, "diciembre": 12,
}

const (
	monthAlt = `(january|february|march|april|may|june|july|august|september|october|november|december|` +
		`janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|` +
		`enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|` +
		`jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?`
	ordinal  = `(?:st|nd|rd|th|er|eme|e|o)?`
	rangeSep = `\s*(?:-|to|au|al|a|and|et|y|&)\s*`
)

var (
	// Ranges of days name the round, not a session: "10–13 October",
	// "du 10 au 13 octobre", "October 10-13".
	dayRangeRe   = regexp.MustCompile(`\b\d{1,2}` + ordinal + rangeSep + `\d{1,2}` + ordinal + `(?:\s+(?:of|de))?\s+` + monthAlt + `(?:,?\s+(?:de\s+)?\d{4})?`)
	monthRangeRe = regexp.MustCompile(`\b` + monthAlt + `\s+\d{1,2}` + ordinal + rangeSep + `\d{1,2}\b(?:,?\s+\d{4})?`)
	dayMonthRe   = regexp.MustCompile(`\b(\d{1,2})` + ordinal + `(?:\s+of|\s+de)?\s+` + monthAlt + `(?:,?\s+(?:de\s+)?(\d{4}))?\b`)
	monthDayRe   = regexp.MustCompile(`\b` + monthAlt + `\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`)
	isoDateRe    = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	slashDateRe  = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b`)
	dotDateRe    = regexp.MustCompile(`\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b`)

	// Times: "10:00", "10h00", "14 h 30", "10h", "10 a.m.", "3.30 pm",
	// "1000 hrs", "at 10.00".
	clockRe    = regexp.MustCompile(`\b([01]?\d|2[0-3])\s?(?::|h)\s?([0-5]\d)\b(?:\s?([ap])\.?\s?m\b\.?)?`)
	ampmRe     = regexp.MustCompile(`\b(1[0-2]|0?[1-9])(?:[.:]([0-5]\d))?\s?([ap])\.?\s?m\b\.?`)
	hourOnlyRe = regexp.MustCompile(`\b([01]?\d|2[0-3])\s?(?:h|hrs?)\b`)
	militaryRe = regexp.MustCompile(`\b([01]\d|2[0-3])([0-5]\d)\s?(?:hrs?|hours)\b`)
	dotTimeRe  = regexp.MustCompile(`\b(?:at|from|a|a las|des|de las)\s+([01]?\d|2[0-3])\.([0-5]\d)\b`)
	timeToRe   = regexp.MustCompile(`^\s*(?:-|to|till|until|a|au|hasta)\s*$`)
	otherZone  = regexp.MustCompile(`^\s*\(?(?:gmt|utc|edt|pst|pdt|bst|jst|new york time|ny time|tokyo time|washington time)\b`)

	// A date or time the words "the pre-session of" lead to, or that
	// "pre-session" follows ("the 15:30 pre-session").
	leadBeforeRe = regexp.MustCompile(`(?:sessions?|sesion(?:es)?|seances?|meetings?|briefings?|reunion(?:es|s)?|\bones?)\s+(?:(?:of|on|du|de|del|held|scheduled|for|le|el|the|prevue|prevues|prevista|previstas|para|dia)\s+){0,3}(?:(?:mon|tues|wednes|thurs|fri)day|lundi|mardi|mercredi|jeudi|vendredi|lunes|martes|miercoles|jueves|viernes)?,?\s*$`)
	leadAfterRe  = regexp.MustCompile(`^\s*(?:pre-?\s?sessions?|presessions?|sessions?|meetings?|briefings?|pre-?\s?sesion(?:es)?|presesion(?:es)?|reunion)\b`)

	// A day the plural leads to names every session of that day: "the
	// pre-sessions of 10 October", "aux pré-sessions du 11 octobre", "all
	// the sessions on Thursday 12 October", "the 10 October sessions".
	// Only a plain plural counts: "the morning sessions on 11 October" or
	// "two sessions on 10 October" do not name the whole day.
	pluralBeforeRe = regexp.MustCompile(`(?:^|\b(?:the|all|all the|les|aux|des|toutes les|las|a las|todas las|our|your|vos|sus)\s+)(?:upr\s+)?(?:pre-?\s?)?(?:sessions|sesiones|seances|meetings|briefings|reunions|reuniones|presessions|presesiones)\s+` + dayLinkRe + `$`)
	pluralTheRe    = regexp.MustCompile(`\b(?:the|all the|all)\s+$`)
	pluralAfterRe  = regexp.MustCompile(`^\s*(?:pre-?\s?sessions|presessions|sessions|meetings|briefings|pre-?\s?sesiones|presesiones|seances|reuniones)\b`)
	// dayLinkRe is what joins "sessions" to the day it names.
	dayLinkRe = `(?:(?:of|on|du|de|del|held|scheduled|for|le|el|the|prevues|previstas|para|dia)\s+){0,3}(?:(?:mon|tues|wednes|thurs|fri)day|lundi|mardi|mercredi|jeudi|vendredi|lunes|martes|miercoles|jueves|viernes)?,?\s*`
	// allOfDayRe is the rest of an "all the sessions" that goes on to a
	// day: the day, not the round, is what "all" covers.
	allOfDayRe = regexp.MustCompile(`^\s+` + dayLinkRe + `$`)

	// partOfDayRe is a part of a day before the date it names: "the
	// morning sessions on 11 October", "the two afternoon pre-sessions of
	// 10 October", "les pré-sessions du matin du 11 octobre", "las
	// sesiones de la tarde del 10 de octubre". The part is in group 1 (en)
	// or 2 (fr, es); an "s" after "session" in group 3 makes it plural, a
	// count in group 4.
	partOfDayRe = regexp.MustCompile(`(?:^|\b(?:the|all|all the|both|our|your|les|aux|des|toutes les|nos|vos|las|a las|todas las|nuestras|sus)\s+)` +
		`(?:(two|three|four|deux|trois|quatre|dos|tres|cuatro|[2-4])\s+)?` +
		`(?:(morning|afternoon)\s+)?(?:upr\s+)?(?:pre-?\s?)?(?:session|seance|presession|meeting|briefing|sesion|presesion|reunion)(s|es)?\s+` +
		`(?:(?:du|de la|de l'?\s?|del)\s*(matin|apres-?\s?midi|manana|tarde)\s+)?` + dayLinkRe + `$`)
	// countWords are the counts partOfDayRe reads.
	countWords = map[string]int{"two": 2, "three": 3, "four": 4, "deux": 2, "trois": 3, "quatre": 4, "dos": 2, "tres": 3, "cuatro": 4, "2": 2, "3": 3, "4": 4}
)

// partOfDay reads a part of a day ("the morning sessions on 11 October")
// in the words before d: the sessions of the day in that part (morning:
// starting before noon; afternoon: from noon), and whether the words name
// one part at all. A plural names them all; a singular names the one
// session when only one fits; a count must match. note says why the
// words name no sessions to record.
func partOfDay(f string, d dateRef, fits []Session) (part []Session, ok bool, note string) {
	if len(d.days) != 1 || d.hasTime || d.otherZone {
		return nil, false, ""
	}
	m := partOfDayRe.FindStringSubmatch(f[:d.start])
	if m == nil {
		return nil, false, ""
	}
	which := m[2]
	if which == "" {
		which = m[4]
	}
	if which == "" {
		return nil, false, ""
	}
	morning := which == "morning" || which == "matin" || which == "manana"
	for _, s := range fits {
		if (s.Start.Hour() < 12) == morning {
			part = append(part, s)
		}
	}
	label := "afternoon"
	if morning {
		label = "morning"
	}
	plural := m[3] != ""
	switch {
	case len(part) == 0:
		return nil, true, fmt.Sprintf("no pre-session of the round is held in the %s of %s, which the letter names", label, d.days[0])
	case m[1] != "" && countWords[m[1]] != len(part):
		return nil, true, fmt.Sprintf("the letter names %s %s pre-sessions on %s, but %d are held then", m[1], label, d.days[0], len(part))
	case !plural && len(part) > 1:
		return nil, true, fmt.Sprintf("the letter names the %s pre-session of %s, which fits %d pre-sessions", label, d.days[0], len(part))
	}
	return part, true, ""
}

// wholeDay says whether d is a plural reference to one whole day of the
// round, and the sessions of that day: only a single, unambiguous date
// without a time, that every fitting session starts on.
func wholeDay(f string, d dateRef, fits []Session) bool {
	if len(d.days) != 1 || d.hasTime || d.otherZone || len(fits) < 2 {
		return false
	}
	if !pluralBeforeRe.MatchString(f[:d.start]) && !(pluralTheRe.MatchString(f[:d.start]) && pluralAfterRe.MatchString(f[d.end:])) {
		return false
	}
	for _, s := range fits {
		_, mo, dom := s.Start.Date()
		if mo != d.days[0].month || dom != d.days[0].dom {
			return false
		}
	}
	return true
}

// allOfDay says whether the "all ... sessions" that ends at end in f goes
// on to name a day ("all the sessions on Thursday 12 October").
func allOfDay(f string, end int) bool {
	if allOfWeekdayRe.MatchString(f[end:]) {
		return true // "all the pre-sessions on Thursday": read by weekdayMentions
	}
	for _, d := range findDates(f) {
		if d.start >= end && allOfDayRe.MatchString(f[end:d.start]) {
			return true
		}
	}
	return false
}

// findDates returns the dates and times of a folded sentence, a time
// joined to the date it follows or precedes ("12 October at 10:00",
// "10:00 on 12 October"); ranges of days are left out.
func findDates(f string) []dateRef {
	if !strings.ContainsAny(f, "0123456789") {
		return nil
	}
	sc := &dateScan{f: f, work: []byte(f)}
	sc.blankRanges()
	sc.scanDates()
	sc.scanTimes()
	return sc.joinTimes()
}

// dateScan is findDates at work: the folded sentence, a copy of it in
// which what has been read is blanked out, so that one piece of text is
// read once, and the dates and times found.
type dateScan struct {
	f            string
	work         []byte
	dates, times []dateRef
}

func (sc *dateScan) blank(a, b int) {
	for i := a; i < b; i++ {
		sc.work[i] = ' '
	}
}

// sub is submatch i of match m, "" when it did not take part.
func (sc *dateScan) sub(m []int, i int) string {
	if m[2*i] < 0 {
		return ""
	}
	return string(sc.work[m[2*i]:m[2*i+1]])
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// fullYear reads a year of two or four digits; 0 when none is written.
func fullYear(s string) int {
	if s == "" {
		return 0
	}
	y := atoi(s)
	if y < 100 {
		y += 2000
	}
	return y
}

// blankRanges blanks out the ranges of days ("10-13 October"), which
// name no one day.
func (sc *dateScan) blankRanges() {
	for _, re := range []*regexp.Regexp{dayRangeRe, monthRangeRe} {
		for _, m := range re.FindAllIndex(sc.work, 10) {
			if m[0] > 0 && strings.IndexByte(":.h", sc.f[m[0]-1]) >= 0 {
				continue // "at 10:00 and 13 October": the minutes of a time
			}
			sc.blank(m[0], m[1])
		}
	}
}

// addDate records a date read at m, when it is one.
func (sc *dateScan) addDate(m []int, days []day) {
	if len(days) > 0 {
		sc.dates = append(sc.dates, dateRef{start: m[0], end: m[1], days: days, written: sc.f[m[0]:m[1]]})
		sc.blank(m[0], m[1])
	}
}

// scanDates reads the dates, in every form written: 2017-10-12, 12
// October 2017, October 12, 12.10.2017, 12/10.
func (sc *dateScan) scanDates() {
	for _, m := range isoDateRe.FindAllSubmatchIndex(sc.work, 10) {
		sc.addDate(m, validDays(day{atoi(sc.sub(m, 1)), time.Month(atoi(sc.sub(m, 2))), atoi(sc.sub(m, 3))}))
	}
	for _, m := range dayMonthRe.FindAllSubmatchIndex(sc.work, 10) {
		sc.addDate(m, validDays(day{fullYear(sc.sub(m, 3)), monthNames[sc.sub(m, 2)], atoi(sc.sub(m, 1))}))
	}
	for _, m := range monthDayRe.FindAllSubmatchIndex(sc.work, 10) {
		if g := sc.sub(m, 1); g == "may" || g == "mar" {
			continue // "we may 2 ..." is no date
		}
		sc.addDate(m, validDays(day{fullYear(sc.sub(m, 3)), monthNames[sc.sub(m, 1)], atoi(sc.sub(m, 2))}))
	}
	for _, re := range []*regexp.Regexp{dotDateRe, slashDateRe} {
		for _, m := range re.FindAllSubmatchIndex(sc.work, 10) {
			a, b, y := atoi(sc.sub(m, 1)), atoi(sc.sub(m, 2)), fullYear(sc.sub(m, 3))
			if re == dotDateRe {
				sc.addDate(m, validDays(day{y, time.Month(b), a})) // 12.10.2017: day first
				continue
			}
			// 12/10: day first as in Geneva, or month first as in the
			// United States; both are kept when both are dates.
			sc.addDate(m, validDays(day{y, time.Month(b), a}, day{y, time.Month(a), b}))
		}
	}
}

// addTime records a time read at m, on the 24-hour clock.
func (sc *dateScan) addTime(m []int, h, min int, ampm string) {
	switch {
	case ampm == "p" && h < 12:
		h += 12
	case ampm == "a" && h == 12:
		h = 0
	case ampm == "" && h >= 1 && h <= 7:
		h += 12 // "at 3:30": office hours
	}
	sc.times = append(sc.times, dateRef{start: m[0], end: m[1], hour: h, min: min, hasTime: true,
		otherZone: otherZone.MatchString(sc.f[m[1]:])})
	sc.blank(m[0], m[1])
}

// scanTimes reads the times (10:00, 10h30, 3 pm, 1400 hrs, at 10.00,
// 10h), a range "10:00-11:00" being its start.
func (sc *dateScan) scanTimes() {
	for _, re := range []*regexp.Regexp{clockRe, ampmRe} {
		for _, m := range re.FindAllSubmatchIndex(sc.work, 10) {
			sc.addTime(m, atoi(sc.sub(m, 1)), atoi(sc.sub(m, 2)), sc.sub(m, 3))
		}
	}
	for _, re := range []*regexp.Regexp{militaryRe, dotTimeRe} {
		for _, m := range re.FindAllSubmatchIndex(sc.work, 10) {
			sc.addTime(m, atoi(sc.sub(m, 1)), atoi(sc.sub(m, 2)), "")
		}
	}
	for _, m := range hourOnlyRe.FindAllSubmatchIndex(sc.work, 10) {
		sc.addTime(m, atoi(sc.sub(m, 1)), 0, "")
	}
	times := sc.times
	sort.Slice(times, func(i, j int) bool { return times[i].start < times[j].start })
	// "10:00-11:00": the second is when it ends.
	var kept []dateRef
	for _, t := range times {
		if n := len(kept); n > 0 && timeToRe.MatchString(sc.f[kept[n-1].end:t.start]) {
			kept[n-1].end = t.end
			continue
		}
		kept = append(kept, t)
	}
	sc.times = kept
}

// joinTimes joins each time to a date right before or after it, and
// returns the dates and the times left alone, in the order written.
func (sc *dateScan) joinTimes() []dateRef {
	f, dates, times := sc.f, sc.dates, sc.times
	sort.Slice(dates, func(i, j int) bool { return dates[i].start < dates[j].start })
	used := make([]bool, len(times))
	near := func(a, b int) bool {
		if a > b || b-a > 24 {
			return false
		}
		return !strings.ContainsAny(f[a:b], "0123456789.;:!?")
	}
	for i := range dates {
		for k, t := range times {
			if used[k] {
				continue
			}
			if near(dates[i].end, t.start) || near(t.end, dates[i].start) {
				dates[i].hasTime, dates[i].hour, dates[i].min, dates[i].otherZone = true, t.hour, t.min, t.otherZone
				dates[i].start, dates[i].end = min(dates[i].start, t.start), max(dates[i].end, t.end)
				used[k] = true
				break
			}
		}
	}
	out := dates
	for k, t := range times {
		if !used[k] {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

// validDays returns the candidates that are real calendar days, without
// repeats.
func validDays(cands ...day) []day {
	var out []day
	for _, d := range cands {
		if d.month < 1 || d.month > 12 || d.dom < 1 || d.dom > 31 {
			continue
		}
		y := d.year
		if y == 0 {
			y = 2000 // a leap year: 29 February is a day
		}
		if t := time.Date(y, d.month, d.dom, 0, 0, 0, 0, time.UTC); t.Day() != d.dom {
			continue
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// sessionsAt returns the sessions a reference fits, and whether the
// reference is about the round at all: a date within the round's days, a
// time at which a session starts, or words like "the pre-session of"
// leading to it.
func (r *reader) sessionsAt(d dateRef, lead bool) (fits []Session, relevant bool) {
	var first, last time.Time
	for _, s := range r.sessions {
		if s.Start.IsZero() {
			continue
		}
		if first.IsZero() || s.Start.Before(first) {
			first = s.Start
		}
		if s.Start.After(last) {
			last = s.Start
		}
	}
	inRound := func(dd day) bool {
		if first.IsZero() {
			return false
		}
		y := dd.year
		if y == 0 {
			y = first.Year()
		}
		t := time.Date(y, dd.month, dd.dom, 12, 0, 0, 0, first.Location())
		lo := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, first.Location())
		hi := time.Date(last.Year(), last.Month(), last.Day(), 23, 59, 0, 0, last.Location())
		return !t.Before(lo) && !t.After(hi)
	}
	for _, s := range r.sessions {
		if s.Start.IsZero() || s.Cancelled {
			continue
		}
		y, mo, dom := s.Start.Date()
		h, mi, _ := s.Start.Clock()
		ok := true
		if len(d.days) > 0 {
			ok = false
			for _, dd := range d.days {
				if dd.month == mo && dd.dom == dom && (dd.year == 0 || dd.year == y) {
					ok = true
				}
			}
		}
		if d.hasTime && (h != d.hour || mi != d.min) {
			ok = false
		}
		if ok {
			fits = append(fits, s)
		}
	}
	relevant = lead || d.otherZone && d.hasTime
	for _, dd := range d.days {
		if inRound(dd) {
			relevant = true
		}
	}
	if len(d.days) == 0 && len(fits) > 0 {
		relevant = true
	}
	if d.otherZone {
		fits = nil
	}
	return fits, relevant
}

// dateMentions returns the sessions a folded sentence names by date and
// time, as mentions: the session itself when the reference fits exactly
// one, else a pseudo-mention (dateMention + index in st.dateNotes) whose
// note says what a person must check if the sentence answers for it. A
// reference that agrees with a session the sentence names by its State is
// not a second mention.
func (r *reader) dateMentions(f string, clauses [][2]int, named []located, st *readState) []located {
	refs := findDates(f)
	if len(refs) == 0 {
		if len(named) > 0 {
			return nil
		}
		return r.weekdayMentions(f, st)
	}
	var out []located
	for _, d := range refs {
		lead := leadBeforeRe.MatchString(f[:d.start]) || leadAfterRe.MatchString(f[d.end:])
		fits, relevant := r.sessionsAt(d, lead)
		if !relevant {
			continue
		}
		var ms []located
		var note string
		if len(named) > 0 {
			ms, note = r.dateBesideNames(f, clauses, d, lead, fits, named, st)
		} else {
			ms, note = r.dateAlone(f, d, fits, st)
		}
		out = append(out, ms...)
		if note != "" {
			st.dateNotes = append(st.dateNotes, note)
			out = append(out, located{dateMention + strconv.Itoa(len(st.dateNotes)-1), d.start, d.end})
		}
	}
	return out
}

// clauseAt is the index of the clause holding position pos, -1 when none.
func clauseAt(clauses [][2]int, pos int) int {
	for i, c := range clauses {
		if pos >= c[0] && pos < c[1] {
			return i
		}
	}
	return -1
}

// dateBesideNames reads a date or time d in a sentence that also names
// sessions by their States (named): the day's sessions when the named
// ones are its exceptions ("the pre-sessions of 10 October, except the
// one on Benin"); nothing when the date agrees with a named session or
// stands apart from them; else a note for staff that the date is not the
// named session's.
func (r *reader) dateBesideNames(f string, clauses [][2]int, d dateRef, lead bool, fits []Session, named []located, st *readState) ([]located, string) {
	var ids []string
	for _, s := range fits {
		ids = append(ids, s.SuR)
	}
	agrees, near, sameClause := false, lead, false
	var names []string
	for _, m := range named {
		if slices.Contains(ids, m.id) {
			agrees = true
		}
		if clauseAt(clauses, m.start) == clauseAt(clauses, d.start) {
			near, sameClause = true, true
		}
		names = append(names, r.table.name(m.id))
	}
	if !sameClause && len(fits) > 1 && wholeDay(f, d, fits) && exceptionsOfDay(f, d, ids, named) {
		return st.ofDay(nil, fits, d.start, d.end), ""
	}
	if agrees || !near {
		return nil, ""
	}
	note := fmt.Sprintf("the letter names the pre-session on %s and %q, which is not its date or time", strings.Join(uniq(names), ", "), d.label())
	if len(fits) > 0 {
		note += " (it fits " + r.namesOf(fits) + ")"
	}
	return nil, note
}

// dateAlone reads a date or time d in a sentence that names no session
// by its State: the one session it fits, the sessions of a part of a
// day, of a whole day or of one time on each day; else a note for staff
// saying why it names no one session.
func (r *reader) dateAlone(f string, d dateRef, fits []Session, st *readState) ([]located, string) {
	part, isPart, partNote := partOfDay(f, d, fits)
	switch {
	case isPart && partNote == "":
		return st.ofDay(nil, part, d.start, d.end), ""
	case isPart:
		return nil, partNote
	case len(fits) == 1:
		return []located{{fits[0].SuR, d.start, d.end}}, ""
	case len(d.days) == 0 && d.hasTime && !d.otherZone && len(fits) > 1 && eachDayRe.MatchString(f):
		// "the 10:00 session on each of the four days": that
		// time's session of every day.
		return st.ofDay(nil, fits, d.start, d.end), ""
	case wholeDay(f, d, fits):
		return st.ofDay(nil, fits, d.start, d.end), ""
	case d.otherZone:
		return nil, fmt.Sprintf("the letter names a pre-session by a time in another time zone (%q); find which before recording", d.label())
	case !r.knowsTimes():
		return nil, fmt.Sprintf("the letter names a pre-session by its date or time (%q) but the round's times are not known here", d.label())
	case len(fits) == 0:
		return nil, fmt.Sprintf("no pre-session of the round fits %q, which the letter names", d.label())
	}
	return nil, fmt.Sprintf("the letter names the pre-session of %q, which fits %d pre-sessions (%s)", d.label(), len(fits), r.namesOf(fits))
}

// dateMention starts the id of a pseudo-mention of a date or time.
const dateMention = "*date#"

func (r *reader) knowsTimes() bool {
	for _, s := range r.sessions {
		if !s.Start.IsZero() {
			return true
		}
	}
	return false
}

// namesOf lists sessions for staff: "Peru, Republic of Korea, Sri Lanka".
func (r *reader) namesOf(ss []Session) string {
	var n []string
	for _, s := range ss {
		n = append(n, r.table.name(s.SuR))
	}
	return strings.Join(n, ", ")
}

// exceptDayRe is a word that makes what follows an exception to what
// came before.
var exceptDayRe = regexp.MustCompile(`\b(?:except|excepting|but not|other than|apart from|save for|sauf|hormis|excepte|a l'exception|mais pas|excepto|salvo|menos|a excepcion|con excepcion|pero no)\b`)

// exceptionsOfDay says whether every session named in the sentence is one
// of the day's (ids), named after it, past a word of exception: "the
// pre-sessions of 10 October, except the one on Benin", not "Benin, one
// of the pre-sessions of 10 October".
func exceptionsOfDay(f string, d dateRef, ids []string, named []located) bool {
	for _, m := range named {
		if !slices.Contains(ids, m.id) || m.start < d.end || !exceptDayRe.MatchString(f[d.end:m.start]) {
			return false
		}
	}
	return true
}

// weekdayRe is every session of a weekday named without its date: "every
// session on Thursday", "all the pre-sessions on Friday", "les
// pré-sessions du jeudi", "las sesiones del viernes".
// The quantifier is group 2, the plural ending group 3.
var weekdayRe = regexp.MustCompile(`\b(every|each|all|all the|the|les|toutes les|aux|las|todas las|a las|la|le)\s+(?:upr\s+)?(?:pre-?\s?)?(?:session|seance|sesion|presession|presesion|meeting|briefing)(s|es)?\s+(?:on|of|du|de|del|el)\s+(?:the\s+)?(monday|tuesday|wednesday|thursday|friday|lundi|mardi|mercredi|jeudi|vendredi|lunes|martes|miercoles|jueves|viernes)\b`)

// eachDayRe says a time names its session on every day of the round: "on
// each of the four days", "every day", "chaque jour", "tous les jours",
// "cada día", "todos los días".
var eachDayRe = regexp.MustCompile(`\b(?:(?:on\s+)?each of the (?:\w+\s+)?days|(?:on\s+)?(?:each|every) day|each day of the (?:round|pre-?\s?sessions)|chaque jour|tous les jours|cada dia|todos los dias)\b`)

// allOfWeekdayRe is the rest of an "all the sessions" that goes on to a
// weekday named without its date.
var allOfWeekdayRe = regexp.MustCompile(`^\s+(?:on|of|du|de|del|el)\s+(?:the\s+)?(?:monday|tuesday|wednesday|thursday|friday|lundi|mardi|mercredi|jeudi|vendredi|lunes|martes|miercoles|jueves|viernes)\b`)

var weekdays = map[string]time.Weekday{
	"monday": time.Monday, "lundi": time.Monday, "lunes": time.Monday,
	"tuesday": time.Tuesday, "mardi": time.Tuesday, "martes": time.Tuesday,
	"wednesday": time.Wednesday, "mercredi": time.Wednesday, "miercoles": time.Wednesday,
	"thursday": time.Thursday, "jeudi": time.Thursday, "jueves": time.Thursday,
	"friday": time.Friday, "vendredi": time.Friday, "viernes": time.Friday,
}

// weekdayMentions reads "every session on Thursday" in a sentence that
// names no date: the sessions of the round's one day with that weekday.
// When the round has no such day, or more than one, a person reads it.
func (r *reader) weekdayMentions(f string, st *readState) []located {
	var out []located
	for _, m := range weekdayRe.FindAllStringSubmatchIndex(f, 3) {
		name := f[m[6]:m[7]]
		wd := weekdays[name]
		every := m[4] >= 0 || f[m[2]:m[3]] == "every" || f[m[2]:m[3]] == "each"
		days := map[string]bool{}
		var fits []Session
		for _, s := range r.sessions {
			if s.Start.IsZero() || s.Start.Weekday() != wd {
				continue
			}
			days[s.Start.Format(time.DateOnly)] = true
			if !s.Cancelled {
				fits = append(fits, s)
			}
		}
		if len(days) == 1 && (every && len(fits) > 0 || len(fits) == 1) {
			out = st.ofDay(out, fits, m[0], m[1])
			continue
		}
		if !r.knowsTimes() {
			continue
		}
		note := fmt.Sprintf("the letter names the pre-sessions on %s, which is not a day of the round", name)
		switch {
		case len(days) > 1:
			note = fmt.Sprintf("the letter names the pre-sessions on %s, and the round has %d such days", name, len(days))
		case len(days) == 1:
			note = fmt.Sprintf("the letter names the pre-session on %s, which fits %d pre-sessions (%s)", name, len(fits), r.namesOf(fits))
		}
		st.dateNotes = append(st.dateNotes, note)
		out = append(out, located{dateMention + strconv.Itoa(len(st.dateNotes)-1), m[0], m[1]})
	}
	return out
}
