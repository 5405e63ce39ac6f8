package replies

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFindDates reads the ways letters write a pre-session's date and
// time, and leaves alone what is no single date.
func TestFindDates(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string // labels, in order
	}{
		{"the pre-session of 12 October at 10:00", []string{"12 October at 10:00"}},
		{"the 12th of October, 10:00-11:00", []string{"12 October at 10:00"}},
		{"October 12, 2017 at 10 a.m.", []string{"12 October at 10:00"}},
		{"at 3.30 pm on Wednesday 11 October", []string{"11 October at 15:30"}},
		{"la pre-session du jeudi 12 octobre a 10 h 00", []string{"12 October at 10:00"}},
		{"la presesion del 13 de octubre de 2017 a las 11:30 horas", []string{"13 October at 11:30"}},
		{"2017-10-11 at 1400 hrs", []string{"11 October at 14:00"}},
		{"le 12.10.2017 a 14h", []string{"12 October at 14:00"}},
		{"on 10/11 at 2:00", []string{"10/11 at 14:00"}},
		{"the 15:30 pre-session", []string{"15:30"}},
		{"12 October at 10:00 and 13 October at 11:30", []string{"12 October at 10:00", "13 October at 11:30"}},
		{"the round of 10-13 October 2017", nil},
		{"du 10 au 13 octobre", nil},
		{"October 10-13, 2017", nil},
		{"we may 2 delegates send", nil},
		{"the 28th session, two delegates", nil},
	} {
		var got []string
		for _, d := range findDates(fold(c.text)) {
			got = append(got, d.label())
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("findDates(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	// 10/11 is 10 November or 11 October: both are kept.
	if d := findDates("on 10/11"); len(d) != 1 || len(d[0].days) != 2 {
		t.Errorf("findDates(10/11) = %+v, want one reference with two days", d)
	}
}

// timelessDirectory is the round without the sessions' times, as a
// Directory that does not fill Session.Start would give it.
type timelessDirectory struct{ *fakeDirectory }

func (d timelessDirectory) Sessions() []Session {
	var out []Session
	for _, s := range d.fakeDirectory.Sessions() {
		s.Start = time.Time{}
		out = append(out, s)
	}
	return out
}

// TestDatesWithoutTimes: a letter naming a pre-session only by its date
// and time goes to review when the round's times are not known, and a
// letter naming its State is read as before.
func TestDatesWithoutTimes(t *testing.T) {
	dir := timelessDirectory{testDirectory(t)}
	r := Classify(chileLetter("We will attend the pre-session of 12 October at 10:00."), dir)
	checkInvariants(t, r)
	if r.Kind != Review || !strings.Contains(r.Reason, "times are not known") || !strings.Contains(r.Reason, "12 October at 10:00") {
		t.Errorf("by date without times: %s %v: %s", r.Kind, r.Sessions, r.Reason)
	}
	r = Classify(chileLetter("We will attend the pre-session on Japan on 11 October at 14:00."), dir)
	checkInvariants(t, r)
	if r.Kind != RSVP || len(r.Sessions) != 1 || r.Sessions["JPN"].String() != "accepted" {
		t.Errorf("by name and date without times: %s %v: %s", r.Kind, r.Sessions, r.Reason)
	}
}

// TestPartOfADay: "the morning sessions on 11 October" are the sessions of
// that day starting before noon; "the afternoon" those from noon; in the
// three languages. A singular that fits two, a count that does not match
// and a part of a day with no session go to review with the reason.
func TestPartOfADay(t *testing.T) {
	dir := testDirectory(t)
	for _, c := range []struct {
		body string
		want []string // accepted; nil: review
		why  string
	}{
		{"We will attend the morning sessions on 11 October.", []string{"GHA", "GTM"}, ""},
		{"Chile will attend the afternoon pre-sessions of Tuesday 10 October.", []string{"CZE", "GAB"}, ""},
		{"We will attend the two afternoon pre-sessions on 11 October.", []string{"JPN", "PAK"}, ""},
		{"La Mission participera aux pré-sessions du matin du 12 octobre.", []string{"PER", "KOR"}, ""},
		{"La Misión asistirá a las sesiones de la tarde del 12 de octubre.", []string{"LKA"}, ""},
		{"We will attend the morning session on 13 October.", nil, "fits 2 pre-sessions"},
		{"We will attend the three morning sessions on 10 October.", nil, "but 2 are held then"},
		{"We will attend the afternoon sessions on 13 October.", []string{"ZMB"}, ""},
	} {
		r := Classify(chileLetter(c.body), dir)
		checkInvariants(t, r)
		if c.want == nil {
			if r.Kind != Review || !strings.Contains(r.Reason, c.why) {
				t.Errorf("%q: %s %v (%s), want review saying %q", c.body, r.Kind, r.Sessions, r.Reason, c.why)
			}
			continue
		}
		got := acceptedIDs(r)
		want := slices.Sorted(slices.Values(c.want))
		if r.Kind != RSVP || !slices.Equal(got, want) || len(r.Sessions) != len(want) {
			t.Errorf("%q: %s %v (%s), want %v accepted", c.body, r.Kind, r.Sessions, r.Reason, want)
		}
	}
}

// TestWeekdayWithoutADate: "every session on Thursday" is every session of
// the round's Thursday (12 October), in the three languages; "the session
// on Thursday" (one of three) and a weekday the round does not have go to
// review.
func TestWeekdayWithoutADate(t *testing.T) {
	dir := testDirectory(t)
	thursday := []string{"KOR", "LKA", "PER"}
	for _, c := range []struct {
		body string
		want []string
		why  string
	}{
		{"We will attend every session on Thursday.", thursday, ""},
		{"We will attend all the pre-sessions on Thursday.", thursday, ""},
		{"La Mission participera à toutes les pré-sessions du jeudi.", thursday, ""},
		{"La Misión asistirá a todas las sesiones del jueves.", thursday, ""},
		{"We will attend the pre-sessions on Friday.", []string{"CHE", "UKR", "ZMB"}, ""},
		{"We will attend the session on Thursday.", nil, "fits 3 pre-sessions"},
		{"We will attend the sessions on Monday.", nil, "not a day of the round"},
	} {
		r := Classify(chileLetter(c.body), dir)
		checkInvariants(t, r)
		if c.want == nil {
			if r.Kind != Review || !strings.Contains(r.Reason, c.why) {
				t.Errorf("%q: %s %v (%s), want review saying %q", c.body, r.Kind, r.Sessions, r.Reason, c.why)
			}
			continue
		}
		got := acceptedIDs(r)
		if r.Kind != RSVP || !slices.Equal(got, c.want) || len(r.Sessions) != len(c.want) {
			t.Errorf("%q: %s %v (%s), want %v accepted", c.body, r.Kind, r.Sessions, r.Reason, c.want)
		}
	}
}

// TestTimeOnEachDay: "the 10:00 session on each of the four days" is the
// 10:00 session of every day; without "each day" a time that fits four
// sessions goes to review.
func TestTimeOnEachDay(t *testing.T) {
	dir := testDirectory(t)
	ten := []string{"ARG", "CHE", "GHA", "PER"}
	for _, body := range []string{"We will attend the 10:00 session on each of the four days.",
		"Nous participerons chaque jour à la pré-session de 10h00.", "Asistiremos todos los días a la sesión de las 10:00."} {
		r := Classify(chileLetter(body), dir)
		checkInvariants(t, r)
		got := acceptedIDs(r)
		if r.Kind != RSVP || !slices.Equal(got, ten) {
			t.Errorf("%q: %s %v (%s), want %v accepted", body, r.Kind, r.Sessions, r.Reason, ten)
		}
	}
	r := Classify(chileLetter("We will attend the 10:00 session."), dir)
	if r.Kind != Review || !strings.Contains(r.Reason, "fits 4 pre-sessions") {
		t.Errorf("a time alone: %s %v (%s), want review", r.Kind, r.Sessions, r.Reason)
	}
}

// TestItemsAnsweredInALine: "Ghana yes, Guatemala yes, Japan no" answers
// each item, in the three languages; a line that is not only such pairs
// answers nothing by them.
func TestItemsAnsweredInALine(t *testing.T) {
	dir := testDirectory(t)
	for _, c := range []struct {
		body string
		want map[string]string
	}{
		{"Chile: Ghana yes, Guatemala yes, Japan no", map[string]string{"GHA": "accepted", "GTM": "accepted", "JPN": "declined"}},
		{"Pérou oui ; Japon non", map[string]string{"PER": "accepted", "JPN": "declined"}},
		{"Perú sí, Japón no, Zambia sí", map[string]string{"PER": "accepted", "JPN": "declined", "ZMB": "accepted"}},
	} {
		r := Classify(chileLetter(c.body), dir)
		checkInvariants(t, r)
		got := map[string]string{}
		for id, st := range r.Sessions {
			got[id] = st.String()
		}
		if r.Kind != RSVP || !maps.Equal(got, c.want) {
			t.Errorf("%q: %s %v (%s), want %v", c.body, r.Kind, got, r.Reason, c.want)
		}
	}
	// Not only pairs: nothing is read from the line as answers.
	r := Classify(chileLetter("Japan no, thanks for asking, we will write again"), dir)
	if r.Kind == RSVP {
		t.Errorf("a sentence with one pair: %s %v (%s)", r.Kind, r.Sessions, r.Reason)
	}
}

// chileLetter is a plain letter from Chile's mission with body as its text.
func chileLetter(body string) []byte {
	return []byte("From: Permanent Mission of Chile <geneva@chl.mission.example>\r\nTo: rsvp@presessions.example\r\n" +
		"Subject: Pre-sessions\r\nMessage-ID: <letter@chl.mission.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Dear colleagues,\r\n\r\n" + body + "\r\n\r\nBest regards,\r\nMaria Gonzalez\r\n")
}

// acceptedIDs returns the sessions r records as accepted, sorted.
func acceptedIDs(r Result) []string {
	var got []string
	for id, st := range r.Sessions {
		if st.String() == "accepted" {
			got = append(got, id)
		}
	}
	slices.Sort(got)
	return got
}
