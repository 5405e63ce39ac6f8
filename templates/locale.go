package templates

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"outreach"
)

// The calendar words of the three languages, as array values the program
// cannot change.

func weekdayName(l outreach.Language, d time.Weekday) string {
	switch known(l) {
	case outreach.French:
		return [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}[d]
	case outreach.Spanish:
		return [...]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}[d]
	}
	return [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}[d]
}

func shortWeekdayName(l outreach.Language, d time.Weekday) string {
	switch known(l) {
	case outreach.French:
		return [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}[d]
	case outreach.Spanish:
		return [...]string{"dom.", "lun.", "mar.", "mié.", "jue.", "vie.", "sáb."}[d]
	}
	return [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}[d]
}

func monthName(l outreach.Language, m time.Month) string {
	switch known(l) {
	case outreach.French:
		return [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}[m-1]
	case outreach.Spanish:
		return [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}[m-1]
	}
	return [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}[m-1]
}

func shortMonthName(l outreach.Language, m time.Month) string {
	switch known(l) {
	case outreach.French:
		return [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}[m-1]
	case outreach.Spanish:
		return [...]string{"ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."}[m-1]
	}
	return [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}[m-1]
}

// known returns l when it is one of the three languages, else English.
func known(l outreach.Language) outreach.Language {
	switch l {
	case outreach.French, outreach.Spanish:
		return l
	}
	return outreach.English
}

// dayOfMonth writes the day number; French writes the first of the month
// as "1er".
func dayOfMonth(l outreach.Language, t time.Time) string {
	if l == outreach.French && t.Day() == 1 {
		return "1er"
	}
	return strconv.Itoa(t.Day())
}

// dayMonth is "10 October" / "10 octobre" / "10 de octubre".
func dayMonth(l outreach.Language, t time.Time) string {
	l = known(l)
	m := monthName(l, t.Month())
	if l == outreach.Spanish {
		return dayOfMonth(l, t) + " de " + m
	}
	return dayOfMonth(l, t) + " " + m
}

// year is " 2017" / " de 2017", to follow dayMonth.
func year(l outreach.Language, t time.Time) string {
	if known(l) == outreach.Spanish {
		return " de " + strconv.Itoa(t.Year())
	}
	return " " + strconv.Itoa(t.Year())
}

// LongDate writes a date without its weekday: "3 October 2017",
// "3 octobre 2017", "3 de octubre de 2017".
func LongDate(l outreach.Language, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dayMonth(l, t) + year(l, t)
}

// FullDate writes a date with its weekday: "Tuesday 10 October 2017",
// "mardi 10 octobre 2017", "martes 10 de octubre de 2017".
func FullDate(l outreach.Language, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return weekdayName(l, t.Weekday()) + " " + LongDate(l, t)
}

// ShortDate writes a compact date for tables: "Tue 10 Oct", "mar. 10 oct.",
// "mar. 10 oct.".
func ShortDate(l outreach.Language, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l = known(l)
	return shortWeekdayName(l, t.Weekday()) + " " + dayOfMonth(l, t) + " " + shortMonthName(l, t.Month())
}

// Clock writes a time of day on the 24-hour clock: "10:00".
func Clock(t time.Time) string { return t.Format("15:04") }

// TimeRange writes a slot: "10:00–11:00".
func TimeRange(start, end time.Time) string { return Clock(start) + "–" + Clock(end) }

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// DateSpan writes the days of a round compactly, for subjects and headings:
// "10–13 October 2017", "10–13 octobre 2017", "10–13 de octubre de 2017";
// across months "30 September – 3 October 2017".
func DateSpan(l outreach.Language, first, last time.Time) string {
	switch {
	case first.IsZero():
		return LongDate(l, last)
	case last.IsZero() || sameDay(first, last):
		return LongDate(l, first)
	case first.Year() != last.Year():
		return LongDate(l, first) + " – " + LongDate(l, last)
	case first.Month() != last.Month():
		return dayMonth(l, first) + " – " + LongDate(l, last)
	}
	return dayOfMonth(l, first) + "–" + LongDate(l, last)
}

// DatePhrase writes the days of a round as a phrase that follows a verb
// ("to be held ..."): "from 10 to 13 October 2017", "du 10 au 13 octobre
// 2017", "del 10 al 13 de octubre de 2017"; a single day is "on 10 October
// 2017", "le 10 octobre 2017", "el 10 de octubre de 2017".
func DatePhrase(l outreach.Language, first, last time.Time) string {
	l = known(l)
	if first.IsZero() || last.IsZero() || sameDay(first, last) {
		d := first
		if d.IsZero() {
			d = last
		}
		if d.IsZero() {
			return ""
		}
		switch l {
		case outreach.French:
			return "le " + LongDate(l, d)
		case outreach.Spanish:
			return "el " + LongDate(l, d)
		}
		return "on " + LongDate(l, d)
	}
	from := dayOfMonth(l, first)
	switch {
	case first.Year() != last.Year():
		from = LongDate(l, first)
	case first.Month() != last.Month():
		from = dayMonth(l, first)
	}
	switch l {
	case outreach.French:
		return "du " + from + " au " + LongDate(l, last)
	case outreach.Spanish:
		return "del " + from + " al " + LongDate(l, last)
	}
	return "from " + from + " to " + LongDate(l, last)
}

// Ordinal writes the number of a UPR Working Group session as an ordinal:
// "28th", "28e" (French "1re": une session), "28.º" (Spanish: el período de
// sesiones).
func Ordinal(l outreach.Language, n int) string {
	s := strconv.Itoa(n)
	switch known(l) {
	case outreach.French:
		if n == 1 {
			return s + "re"
		}
		return s + "e"
	case outreach.Spanish:
		return s + ".º"
	}
	if n%100 >= 11 && n%100 <= 13 {
		return s + "th"
	}
	switch n % 10 {
	case 1:
		return s + "st"
	case 2:
		return s + "nd"
	case 3:
		return s + "rd"
	}
	return s + "th"
}

// pad fills s with spaces on the right to n characters (runes), for aligned
// columns in plain text. A longer s is returned whole.
func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// capFirst upper-cases the first letter: "the Bahamas" → "The Bahamas" at
// the start of a sentence.
func capFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// funcs are the functions every template can call, bound to its language.
func funcs(l outreach.Language) map[string]any {
	return map[string]any{
		// date: "Tuesday 10 October 2017"; longdate: "10 October 2017";
		// shortdate: "Tue 10 Oct"; clock: "10:00".
		"date":      func(t time.Time) string { return FullDate(l, t) },
		"longdate":  func(t time.Time) string { return LongDate(l, t) },
		"shortdate": func(t time.Time) string { return ShortDate(l, t) },
		"clock":     Clock,
		// ordinal 28: "28th" / "28e" / "28.º".
		"ordinal": func(n int) string { return Ordinal(l, n) },
		// pad s n: s followed by spaces to n characters.
		"pad": pad,
		// capfirst: upper-case the first letter.
		"capfirst": capFirst,
		// plural n one many: one when n is 1, else many.
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
	}
}
