package clientcheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// zurich is a hand-written VTIMEZONE for Europe/Zurich (EU rules).
const zurich = `BEGIN:VTIMEZONE
TZID:Europe/Zurich
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19810329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19961027T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
`

// object writes a one-event iTIP object with CRLF endings. start is a
// local time in Europe/Zurich, e.g. 20171010T100000.
func object(method, uid string, seq int, stamp, start, end, room string) []byte {
	status := "CONFIRMED"
	if method == "CANCEL" {
		status = "CANCELLED"
	}
	s := "BEGIN:VCALENDAR\nPRODID:-//test//EN\nVERSION:2.0\nMETHOD:" + method + "\n" + zurich +
		"BEGIN:VEVENT\nUID:" + uid + "\nDTSTAMP:" + stamp + "\n" + fmt.Sprintf("SEQUENCE:%d\n", seq) +
		"DTSTART;TZID=Europe/Zurich:" + start + "\nDTEND;TZID=Europe/Zurich:" + end + "\n" +
		"SUMMARY:Pre-session on Côte d'Ivoire\\, Geneva\nLOCATION:" + room + "\n" +
		"ORGANIZER;CN=\"UPR Info, Pre-sessions\":mailto:rsvp@presessions.example\n" +
		"ATTENDEE;CN=\"Permanent Mission of the Lao People's Democratic Republic, Geneva\";ROLE=REQ-PARTICIPANT;\n" +
		" PARTSTAT=NEEDS-ACTION;RSVP=TRUE:MAILTO:geneva@lao.mission.example\n" +
		"STATUS:" + status + "\nEND:VEVENT\nEND:VCALENDAR\n"
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCalendarParsersReadValues(t *testing.T) {
	ics := object("REQUEST", "pre28-civ-lao@presessions.example", 0, "20170901T080000Z", "20171010T100000", "20171010T110000", "Room XXIV")
	for _, p := range []struct {
		parser Parser
		parse  func([]byte) (Calendar, error)
	}{{ICALJSParser, ICALJS}, {PyICalendarParser, PyICalendar}} {
		t.Run(p.parser.String(), func(t *testing.T) {
			Require(t, p.parser)
			c, err := p.parse(ics)
			if err != nil {
				t.Fatal(err)
			}
			if c.Method != "REQUEST" || len(c.Events) != 1 || !slices.Equal(c.Timezones, []string{"Europe/Zurich"}) {
				t.Fatalf("read %+v", c)
			}
			ev := c.Events[0]
			want := Event{
				UID: "pre28-civ-lao@presessions.example", Status: "CONFIRMED",
				Summary: "Pre-session on Côte d'Ivoire, Geneva", Location: "Room XXIV",
				DTStamp: utc("2017-09-01T08:00:00Z"), Start: utc("2017-10-10T08:00:00Z"), End: utc("2017-10-10T09:00:00Z"),
				StartTZID: "Europe/Zurich",
				Organizer: Address{Email: "rsvp@presessions.example", CN: "UPR Info, Pre-sessions"},
				Attendees: []Attendee{{Email: "geneva@lao.mission.example", CN: "Permanent Mission of the Lao People's Democratic Republic, Geneva",
					PartStat: "NEEDS-ACTION", RSVP: "TRUE", Role: "REQ-PARTICIPANT"}},
			}
			if p.parser == ICALJSParser {
				want.StartZone = "Europe/Zurich"
			} else {
				want.StartViaVTimezone = want.Start
			}
			if fmt.Sprintf("%+v", ev) != fmt.Sprintf("%+v", want) {
				t.Errorf("event\n got %+v\nwant %+v", ev, want)
			}
		})
	}
}

func TestCalendarParsersReportDamage(t *testing.T) {
	good := object("REQUEST", "a@x", 0, "20170901T080000Z", "20171010T100000", "20171010T110000", "Room XXIV")
	noZone := []byte(strings.Replace(string(good), strings.ReplaceAll(zurich, "\n", "\r\n"), "", 1))
	noZone = []byte(strings.ReplaceAll(string(noZone), "TZID=Europe/Zurich", "TZID=Europe/Atlantis"))
	badLine := []byte(strings.Replace(string(good), "LOCATION:", "LOCATION", 1))
	latin1 := []byte(strings.Replace(string(good), "Côte", "C\xf4te", 1))
	badDate := []byte(strings.Replace(string(good), "DTSTART;TZID=Europe/Zurich:20171010T100000", "DTSTART;TZID=Europe/Zurich:2017-10-10", 1))
	t.Run("ical.js", func(t *testing.T) {
		Require(t, ICALJSParser)
		rs, err := ICALJSAll([][]byte{good, noZone, badLine, latin1})
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].Err != nil {
			t.Errorf("good object: %v", rs[0].Err)
		}
		if rs[1].Err == nil || !strings.Contains(rs[1].Err.Error(), "Europe/Atlantis") {
			t.Errorf("TZID without VTIMEZONE: err %v", rs[1].Err)
		}
		if rs[2].Err == nil {
			t.Errorf("line without a colon read without error: %+v", rs[2].Calendar)
		}
		if rs[3].Err == nil || !strings.Contains(rs[3].Err.Error(), "UTF-8") {
			t.Errorf("Latin-1 object: err %v", rs[3].Err)
		}
	})
	t.Run("icalendar", func(t *testing.T) {
		Require(t, PyICalendarParser)
		rs, err := PyICalendarAll([][]byte{good, noZone, badDate, latin1})
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].Err != nil {
			t.Errorf("good object: %v", rs[0].Err)
		}
		if rs[1].Err == nil || !strings.Contains(rs[1].Err.Error(), "VTIMEZONE") {
			t.Errorf("TZID without VTIMEZONE: err %v", rs[1].Err)
		}
		if rs[2].Err == nil {
			t.Errorf("malformed DTSTART read without error: %+v", rs[2].Calendar)
		}
		if rs[3].Err == nil || !strings.Contains(rs[3].Err.Error(), "utf-8") {
			t.Errorf("Latin-1 object: err %v", rs[3].Err)
		}
	})
}

func TestBatchKeepsOrder(t *testing.T) {
	Require(t, ICALJSParser, PyICalendarParser)
	// Enough objects for several processes.
	var in [][]byte
	for i := range 2*batch + 7 {
		in = append(in, object("REQUEST", fmt.Sprintf("uid-%04d@x", i), i%5, "20170901T080000Z", "20171010T100000", "20171010T110000", "Room XXIV"))
	}
	for name, all := range map[string]func([][]byte) ([]CalendarResult, error){"ical.js": ICALJSAll, "icalendar": PyICalendarAll} {
		rs, err := all(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rs) != len(in) {
			t.Fatalf("%s: %d results for %d objects", name, len(rs), len(in))
		}
		for i, r := range rs {
			if r.Err != nil || len(r.Calendar.Events) != 1 || r.Calendar.Events[0].UID != fmt.Sprintf("uid-%04d@x", i) || r.Calendar.Events[0].Sequence != i%5 {
				t.Fatalf("%s: result %d: %+v %v", name, i, r.Calendar, r.Err)
			}
		}
	}
}

func TestPyEmail(t *testing.T) {
	Require(t, PyEmailParser)
	good := strings.ReplaceAll(`From: UPR Pre-sessions <rsvp@presessions.example>
To: =?utf-8?q?Mission_permanente_de_la_C=C3=B4te_d=27Ivoire?= <geneva@civ.mission.example>,
 other@civ.mission.example
Subject: =?utf-8?q?Pr=C3=A9-sessions?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9
--b1
Content-Type: text/calendar; charset=UTF-8; method=REQUEST; name="Ukraine.ics"
Content-Disposition: attachment; filename*=UTF-8''R%C3%A9publique%20de%20Cor%C3%A9e.ics
Content-Transfer-Encoding: base64

QkVHSU46VkNBTEVOREFSDQo=
--b1--
`, "\n", "\r\n")
	// A multipart without its boundary and a header with a broken encoded
	// word: Python registers defects.
	broken := strings.ReplaceAll(`From: rsvp@presessions.example
To: a@b.example
Subject: x
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="missing"

no boundary anywhere
`, "\n", "\r\n")
	rs, err := PyEmailAll([][]byte{[]byte(good), []byte(broken)})
	if err != nil {
		t.Fatal(err)
	}
	e := rs[0].Email
	if rs[0].Err != nil || len(e.Defects) != 0 {
		t.Fatalf("good message: %v %v", rs[0].Err, e.Defects)
	}
	if e.Header("subject") != "Pré-sessions" {
		t.Errorf("Subject %q", e.Header("subject"))
	}
	to := e.Addresses["to"]
	if len(to) != 2 || to[0].Name != "Mission permanente de la Côte d'Ivoire" || to[0].Email != "geneva@civ.mission.example" || to[1].Email != "other@civ.mission.example" {
		t.Errorf("To %+v", to)
	}
	leaves := e.Root.Leaves()
	if e.Root.ContentType != "multipart/mixed" || len(leaves) != 2 || leaves[0].Text != "Café\n" && leaves[0].Text != "Café" {
		t.Fatalf("parts %+v", e.Root)
	}
	att := e.Attachments()
	if len(att) != 1 || att[0].Filename != "République de Corée.ics" || att[0].Params["method"] != "REQUEST" ||
		string(att[0].Body) != "BEGIN:VCALENDAR\r\n" || att[0].Path != "2" {
		t.Errorf("attachment %+v", att)
	}
	if len(rs[1].Email.Defects) == 0 {
		t.Errorf("multipart without boundary: no defect reported")
	}
}

func TestPlayCalendar(t *testing.T) {
	Require(t, ICALJSParser)
	uid := "pre28-ukr-lao@presessions.example"
	objs := [][]byte{
		object("REQUEST", uid, 0, "20170901T080000Z", "20171012T100000", "20171012T110000", "Room XXIV"),
		object("REQUEST", uid, 2, "20170905T080000Z", "20171013T140000", "20171013T150000", "Room XXV"),
		// Late delivery of an older revision: ignored.
		object("REQUEST", uid, 1, "20170904T080000Z", "20171012T153000", "20171012T163000", "Room XX"),
		// Same SEQUENCE, older DTSTAMP: ignored.
		object("REQUEST", uid, 2, "20170904T090000Z", "20171011T090000", "20171011T100000", "Room XX"),
		object("REQUEST", "other@x", 0, "20170901T080000Z", "20171010T100000", "20171010T110000", "Room XXIV"),
		object("CANCEL", uid, 1, "20170906T080000Z", "20171013T140000", "20171013T150000", "Room XXV"),
		object("CANCEL", uid, 3, "20170906T080000Z", "20171013T140000", "20171013T150000", "Room XXV"),
	}
	p, err := PlayCalendar(objs)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, s := range p.Steps {
		actions = append(actions, s.Action)
	}
	if want := []string{"added", "updated", "ignored", "ignored", "added", "ignored", "cancelled"}; !slices.Equal(actions, want) {
		t.Errorf("actions %v, want %v", actions, want)
	}
	if len(p.Events) != 2 {
		t.Fatalf("%d events: %+v", len(p.Events), p.Events)
	}
	ev := p.Events[0]
	if ev.UID != uid || !ev.Cancelled || ev.Status != "CANCELLED" || ev.Sequence != 3 ||
		!ev.Start.Equal(utc("2017-10-13T12:00:00Z")) || ev.Location != "Room XXV" {
		t.Errorf("event %+v", ev)
	}
	if p.Events[1].Cancelled {
		t.Errorf("other event cancelled: %+v", p.Events[1])
	}

	_, err = PlayCalendar([][]byte{objs[0], []byte("BEGIN:VCALENDAR\r\nnonsense\r\n")})
	if err == nil || !strings.Contains(err.Error(), "object 1") {
		t.Errorf("unreadable object: err %v", err)
	}
}
