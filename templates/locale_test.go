package templates

import (
	"strings"
	"testing"
	"time"

	"outreach"
)

func TestDates(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 10, 0, 0, 0, zurich) }
	for _, tc := range []struct {
		got, want string
	}{
		{FullDate(outreach.English, d(2017, 10, 10)), "Tuesday 10 October 2017"},
		{FullDate(outreach.French, d(2017, 10, 10)), "mardi 10 octobre 2017"},
		{FullDate(outreach.Spanish, d(2017, 10, 10)), "martes 10 de octubre de 2017"},
		{FullDate(outreach.French, d(2017, 10, 1)), "dimanche 1er octobre 2017"},
		{FullDate(outreach.Spanish, d(2017, 10, 1)), "domingo 1 de octubre de 2017"},
		{FullDate(outreach.French, d(2018, 2, 14)), "mercredi 14 février 2018"},
		{FullDate(outreach.Spanish, d(2018, 8, 18)), "sábado 18 de agosto de 2018"},
		{LongDate(outreach.French, d(2017, 12, 3)), "3 décembre 2017"},
		{ShortDate(outreach.English, d(2017, 10, 10)), "Tue 10 Oct"},
		{ShortDate(outreach.French, d(2017, 10, 11)), "mer. 11 oct."},
		{ShortDate(outreach.Spanish, d(2017, 10, 11)), "mié. 11 oct."},
		{DateSpan(outreach.English, d(2017, 10, 10), d(2017, 10, 13)), "10–13 October 2017"},
		{DateSpan(outreach.Spanish, d(2017, 10, 10), d(2017, 10, 13)), "10–13 de octubre de 2017"},
		{DateSpan(outreach.English, d(2017, 9, 29), d(2017, 10, 3)), "29 September – 3 October 2017"},
		{DateSpan(outreach.French, d(2017, 12, 30), d(2018, 1, 2)), "30 décembre 2017 – 2 janvier 2018"},
		{DateSpan(outreach.French, d(2017, 10, 10), d(2017, 10, 10)), "10 octobre 2017"},
		{DatePhrase(outreach.English, d(2017, 10, 10), d(2017, 10, 13)), "from 10 to 13 October 2017"},
		{DatePhrase(outreach.French, d(2017, 10, 10), d(2017, 10, 13)), "du 10 au 13 octobre 2017"},
		{DatePhrase(outreach.Spanish, d(2017, 10, 10), d(2017, 10, 13)), "del 10 al 13 de octubre de 2017"},
		{DatePhrase(outreach.French, d(2017, 9, 29), d(2017, 10, 1)), "du 29 septembre au 1er octobre 2017"},
		{DatePhrase(outreach.Spanish, d(2017, 10, 10), d(2017, 10, 10)), "el 10 de octubre de 2017"},
		{DatePhrase(outreach.English, d(2017, 10, 10), time.Time{}), "on 10 October 2017"},
		{DatePhrase(outreach.English, time.Time{}, time.Time{}), ""},
		{TimeRange(d(2017, 10, 10), d(2017, 10, 10).Add(time.Hour)), "10:00–11:00"},
		{Ordinal(outreach.English, 28), "28th"},
		{Ordinal(outreach.English, 21), "21st"},
		{Ordinal(outreach.English, 12), "12th"},
		{Ordinal(outreach.English, 33), "33rd"},
		{Ordinal(outreach.French, 28), "28e"},
		{Ordinal(outreach.French, 1), "1re"},
		{Ordinal(outreach.Spanish, 28), "28.º"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// Every day of a year, written in French and Spanish, holds no English
// month or day name, and English dates hold no French or Spanish ones.
func TestDatesHaveNoForeignWords(t *testing.T) {
	foreign := []string{"lundi", "mardi", "janvier", "octobre", "lunes", "martes", "enero", "octubre", " de "}
	for day := time.Date(2017, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() == 2017; day = day.AddDate(0, 0, 1) {
		for _, l := range []outreach.Language{outreach.French, outreach.Spanish} {
			for _, s := range []string{FullDate(l, day), ShortDate(l, day), DatePhrase(l, day, day.AddDate(0, 0, 3))} {
				if w := englishDateRE.FindString(s); w != "" {
					t.Fatalf("%s date %q holds the English word %q", l, s, w)
				}
				for _, abbr := range []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"} {
					if strings.Contains(s, abbr) {
						t.Fatalf("%s date %q holds the English abbreviation %q", l, s, abbr)
					}
				}
			}
		}
		en := FullDate(outreach.English, day)
		for _, w := range foreign {
			if strings.Contains(en, w) {
				t.Fatalf("English date %q holds %q", en, w)
			}
		}
	}
}

func TestPad(t *testing.T) {
	if got := pad("Bénin", 8); got != "Bénin   " {
		t.Errorf("pad counts bytes, not characters: %q", got)
	}
	if got := pad("République de Corée", 5); got != "République de Corée" {
		t.Errorf("pad cut a long name: %q", got)
	}
	if got := capFirst("mardi"); got != "Mardi" {
		t.Errorf("capFirst = %q", got)
	}
	if got := capFirst("élection"); got != "Élection" {
		t.Errorf("capFirst = %q", got)
	}
}
