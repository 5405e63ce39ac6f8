package ical

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateAcceptsGenerated(t *testing.T) {
	for _, name := range []string{"request.ics", "cancel.ics", "publish.ics"} {
		data := readTestdata(t, name)
		if err := Validate(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Inside DQUOTEs a backslash is an ordinary character: a CN that holds one
// (FuzzBuildRoundTrip found a name `\'`) is not TEXT escaping.
func TestValidateAcceptsABackslashInAQuotedParameter(t *testing.T) {
	data := mapLines(t, readTestdata(t, "request.ics"), replaceLine(`ORGANIZER;CN="UPR Info, Pre-sessions"`, `ORGANIZER;CN="UPR Info\, Pre-sessions\'"`))
	if !bytes.Contains(data, []byte(`CN="UPR Info\, Pre-sessions\'"`)) {
		t.Fatalf("the edit did not apply:\n%s", data)
	}
	if err := Validate(data); err != nil {
		t.Errorf("a quoted CN holding backslashes: %v", err)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mapLines edits the content lines of a valid object and folds it again, so
// that only the intended defect is introduced.
func mapLines(t testing.TB, data []byte, f func([]string) []string) []byte {
	return refold(f(unfolded(t, data)))
}

func replaceLine(old, new string) func([]string) []string {
	return func(ls []string) []string {
		var out []string
		for _, l := range ls {
			if strings.HasPrefix(l, old) {
				if new == "" {
					continue
				}
				l = new + strings.TrimPrefix(l, old)
			}
			out = append(out, l)
		}
		return out
	}
}

func dropLine(prefix string) func([]string) []string { return replaceLine(prefix, "") }

// insertAfter adds line after the first line starting with prefix.
func insertAfter(prefix, line string) func([]string) []string {
	return func(ls []string) []string {
		var out []string
		done := false
		for _, l := range ls {
			out = append(out, l)
			if !done && strings.HasPrefix(l, prefix) {
				out = append(out, line)
				done = true
			}
		}
		return out
	}
}

// dropBlock removes the lines from BEGIN:name to END:name.
func dropBlock(name string) func([]string) []string {
	return func(ls []string) []string {
		var out []string
		in := false
		for _, l := range ls {
			switch {
			case l == "BEGIN:"+name:
				in = true
			case l == "END:"+name:
				in = false
			case !in:
				out = append(out, l)
			}
		}
		return out
	}
}

// TestValidateCatchesEachDefect starts from a valid generated object, adds
// one defect, and expects Validate to name it.
func TestValidateCatchesEachDefect(t *testing.T) {
	request := readTestdata(t, "request.ics")
	cancel := readTestdata(t, "cancel.ics")
	publish := readTestdata(t, "publish.ics")
	lines := func(data []byte, f func([]string) []string) func(testing.TB) []byte {
		return func(t testing.TB) []byte { return mapLines(t, data, f) }
	}
	raw := func(data []byte, f func([]byte) []byte) func(testing.TB) []byte {
		return func(testing.TB) []byte { return f(bytes.Clone(data)) }
	}
	cases := []struct {
		name  string
		build func(testing.TB) []byte
		want  string
	}{
		{"empty input", raw(request, func([]byte) []byte { return nil }), "empty input"},
		{"LF line endings", raw(request, func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }), "ends in LF without CR"},
		{"no final CRLF", raw(request, func(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\r\n")) }), "does not end in CRLF"},
		{"bare CR", raw(request, func(b []byte) []byte {
			return bytes.Replace(b, []byte("SUMMARY:UPR"), []byte("SUMMARY:\rUPR"), 1)
		}), "bare CR"},
		{"empty line", raw(request, func(b []byte) []byte {
			return bytes.Replace(b, []byte("BEGIN:VEVENT\r\n"), []byte("BEGIN:VEVENT\r\n\r\n"), 1)
		}), "is empty"},
		{"line over 75 octets", raw(request, func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n "), nil) }), "longer than 75 octets"},
		{"fold splits UTF-8", raw(request, func(b []byte) []byte {
			return bytes.Replace(b, []byte("C\xc3\xb4te"), []byte("C\xc3\r\n \xb4te"), 1)
		}), "splits a UTF-8 sequence"},
		{"invalid UTF-8", raw(request, func(b []byte) []byte {
			return bytes.Replace(b, []byte("C\xc3\xb4te"), []byte("C\xf4te"), 1)
		}), "not valid UTF-8"},
		{"unbalanced END", lines(request, dropLine("END:VEVENT")), "closes BEGIN:VEVENT"},
		{"missing END:VCALENDAR", lines(request, dropLine("END:VCALENDAR")), "never closed"},
		{"two VCALENDARs", raw(request, func(b []byte) []byte { return append(b, request...) }), "second VCALENDAR"},
		{"no METHOD", lines(request, dropLine("METHOD:")), "exactly one METHOD, has 0"},
		{"two METHODs", lines(request, insertAfter("METHOD:", "METHOD:REQUEST")), "exactly one METHOD, has 2"},
		{"unknown METHOD", lines(request, replaceLine("METHOD:REQUEST", "METHOD:INVITE")), "not an RFC 5546 method"},
		{"no PRODID", lines(request, dropLine("PRODID:")), "exactly one PRODID"},
		{"VERSION 1.0", lines(request, replaceLine("VERSION:2.0", "VERSION:1.0")), "not 2.0"},
		{"second UID in a REQUEST", lines(request, func(ls []string) []string {
			var ev []string
			in := false
			for _, l := range ls {
				if l == "BEGIN:VEVENT" {
					in = true
				}
				if in {
					ev = append(ev, strings.Replace(l, "UID:upr28-jpn-civ", "UID:upr28-jpn-other", 1))
				}
				if l == "END:VEVENT" {
					in = false
				}
			}
			return append(ls[:len(ls)-1], append(ev, "END:VCALENDAR")...)
		}), "a REQUEST object holds one UID"},
		{"REQUEST without ATTENDEE", lines(request, dropLine("ATTENDEE")), "no ATTENDEE (required in REQUEST)"},
		{"REQUEST without DTSTAMP", lines(request, dropLine("DTSTAMP")), "no DTSTAMP (required in REQUEST)"},
		{"REQUEST without DTSTART", lines(request, dropLine("DTSTART;")), "no DTSTART (required in REQUEST)"},
		{"REQUEST without ORGANIZER", lines(request, dropLine("ORGANIZER")), "no ORGANIZER (required in REQUEST)"},
		{"REQUEST without SUMMARY", lines(request, dropLine("SUMMARY")), "no SUMMARY (required in REQUEST)"},
		{"REQUEST without UID", lines(request, dropLine("UID:")), "no UID (required in REQUEST)"},
		{"CANCEL without SEQUENCE", lines(cancel, dropLine("SEQUENCE")), "no SEQUENCE (required in CANCEL)"},
		{"CANCEL without STATUS", lines(cancel, dropLine("STATUS")), "no STATUS (required in CANCEL)"},
		{"CANCEL not CANCELLED", lines(cancel, replaceLine("STATUS:CANCELLED", "STATUS:CONFIRMED")), "must be STATUS:CANCELLED"},
		{"CANCEL without ATTENDEE", lines(cancel, dropLine("ATTENDEE")), "no ATTENDEE (required in CANCEL)"},
		{"PUBLISH with ATTENDEE", lines(publish, insertAfter("ORGANIZER", "ATTENDEE;CN=\"X\":mailto:x@mission.example")), "ATTENDEE in a PUBLISH"},
		{"PUBLISH without DTSTART", lines(publish, dropLine("DTSTART;")), "no DTSTART (required in PUBLISH)"},
		{"PUBLISH with a UID twice", lines(publish, replaceLine("UID:upr28-staff-kor", "UID:upr28-staff-jpn")), "already used at line"},
		{"REPLY with two attendees", lines(request, func(ls []string) []string {
			ls = replaceLine("METHOD:REQUEST", "METHOD:REPLY")(ls)
			return insertAfter("ATTENDEE", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:other@mission.example")(ls)
		}), "must have exactly one"},
		{"TZID without VTIMEZONE", lines(request, dropBlock("VTIMEZONE")), `TZID "Europe/Zurich" with no VTIMEZONE`},
		{"VTIMEZONE without TZOFFSETTO", lines(request, dropLine("TZOFFSETTO:+0100")), "STANDARD needs exactly one TZOFFSETTO"},
		{"VTIMEZONE with -0000", lines(request, replaceLine("TZOFFSETTO:+0100", "TZOFFSETTO:-0000")), "not a UTC offset"},
		{"unquoted CN with comma", lines(request, replaceLine(`ATTENDEE;CN="Permanent Mission of Côte d'Ivoire, Geneva"`,
			`ATTENDEE;CN=Permanent Mission of Côte d'Ivoire, Geneva`)), "CN has 2 values"},
		{"backslash-escaped CN", lines(request, replaceLine(`ATTENDEE;CN="Permanent Mission of Côte d'Ivoire, Geneva"`,
			`ATTENDEE;CN=Permanent Mission of Côte d\'Ivoire\, Geneva`)), `escape \'`},
		{"DQUOTE inside CN", lines(request, replaceLine(`ORGANIZER;CN="UPR Info, Pre-sessions"`, `ORGANIZER;CN=UPR "Info"`)), "holds a DQUOTE"},
		{"unquoted colon in CN", lines(request, replaceLine(`ORGANIZER;CN="UPR Info, Pre-sessions"`, `ORGANIZER;CN=UPR Info: Pre-sessions`)), "is not a mailto: address"},
		{"control character in CN", lines(request, replaceLine(`ORGANIZER;CN="UPR Info`, "ORGANIZER;CN=\"UPR\x01Info")), "holds a control character"},
		{"unescaped comma in SUMMARY", lines(request, replaceLine("SUMMARY:UPR Pre-session on Japan", "SUMMARY:UPR Pre-session on Japan, Room XXIV")), `unescaped ','`},
		{"bad TEXT escape", lines(request, replaceLine("SUMMARY:UPR", `SUMMARY:C:\Users UPR`)), "backslash not followed by"},
		{"DTSTAMP not UTC", lines(request, replaceLine("DTSTAMP:20170901T080000Z", "DTSTAMP:20170901T080000")), "DTSTAMP \"20170901T080000\" is not a UTC date-time"},
		{"floating DTSTART", lines(request, replaceLine("DTSTART;TZID=Europe/Zurich:", "DTSTART:")), "floating time"},
		{"UTC DTSTART with TZID", lines(request, replaceLine("DTSTART;TZID=Europe/Zurich:20171010T100000", "DTSTART;TZID=Europe/Zurich:20171010T080000Z")), "in UTC but has TZID"},
		{"impossible date", lines(request, replaceLine("DTEND;TZID=Europe/Zurich:20171010T110000", "DTEND;TZID=Europe/Zurich:20171310T110000")), "not a DATE-TIME"},
		{"DTEND before DTSTART", lines(request, replaceLine("DTEND;TZID=Europe/Zurich:20171010T110000", "DTEND;TZID=Europe/Zurich:20171010T090000")), "is not after DTSTART"},
		{"DTEND and DURATION", lines(request, insertAfter("DTEND", "DURATION:PT1H")), "both DTEND and DURATION"},
		{"two DTSTARTs", lines(request, insertAfter("DTSTART;TZID", "DTSTART;TZID=Europe/Zurich:20171010T100000")), "2 DTSTART"},
		{"bad SEQUENCE", lines(request, replaceLine("SEQUENCE:0", "SEQUENCE:first")), "SEQUENCE \"first\""},
		{"bad STATUS", lines(request, replaceLine("STATUS:CONFIRMED", "STATUS:MAYBE")), "STATUS \"MAYBE\""},
		{"ATTENDEE not mailto", lines(request, func(ls []string) []string {
			for i, l := range ls {
				ls[i] = strings.Replace(l, ":mailto:mission.geneva@", ":MISSION.GENEVA@", 1)
			}
			return ls
		}), "ATTENDEE \"MISSION.GENEVA@civ.example\" is not a mailto: address"},
		{"bad PARTSTAT", lines(request, func(ls []string) []string {
			for i, l := range ls {
				ls[i] = strings.Replace(l, "PARTSTAT=NEEDS-ACTION", "PARTSTAT=MAYBE", 1)
			}
			return ls
		}), "PARTSTAT=\"MAYBE\""},
		{"organizer without mailto", lines(request, func(ls []string) []string {
			for i, l := range ls {
				ls[i] = strings.Replace(l, ":mailto:rsvp@", ":rsvp@", 1)
			}
			return ls
		}), "ORGANIZER \"rsvp@invites.example.org\" is not a mailto: address"},
		{"VTODO inside", lines(request, insertAfter("END:VEVENT", "BEGIN:VTODO\nEND:VTODO")), "holds only VTIMEZONE and VEVENT"},
		{"no VEVENT", lines(request, dropBlock("VEVENT")), "has no VEVENT"},
		{"property outside VCALENDAR", raw(request, func(b []byte) []byte { return append([]byte("UID:x\r\n"), b...) }), "UID outside BEGIN:VCALENDAR"},
	}
	if err := Validate(request); err != nil {
		t.Fatalf("the starting object is not valid: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.build(t)
			if bytes.Equal(data, request) || bytes.Equal(data, cancel) || bytes.Equal(data, publish) {
				t.Fatalf("the edit changed nothing")
			}
			err := Validate(data)
			if err == nil {
				t.Fatalf("Validate accepted:\n%s", data)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate said:\n%v\nwant it to mention %q", err, c.want)
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				if !strings.HasPrefix(e.Error(), "ical: ") {
					t.Errorf("problem %q lacks the ical: prefix", e)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	data := mapLines(t, readTestdata(t, "request.ics"), func(ls []string) []string {
		ls = dropLine("DTSTAMP")(ls)
		ls = dropLine("ORGANIZER")(ls)
		return replaceLine("SUMMARY:UPR Pre-session on Japan", "SUMMARY:Japan, again")(ls)
	})
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	err := Validate(data)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("err = %v, want joined problems", err)
	}
	for _, want := range []string{"no DTSTAMP", "no ORGANIZER", `unescaped ','`, "ends in LF without CR (and "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate said:\n%v\nwant it to mention %q", err, want)
		}
	}
	if n := len(joined.Unwrap()); n != 4 {
		t.Errorf("%d problems, want 4 (LF endings counted once):\n%v", n, err)
	}
}

// TestValidateRejectsClientReplies: the checker is strict; the captured
// client replies break RFC rules the way real clients do, and Validate says
// so (ParseReplies reads them all).
func TestValidateRejectsClientReplies(t *testing.T) {
	for name, want := range map[string]string{
		"outlook-accept.ics":      "ends in LF without CR",
		"outlook-counter.ics":     "ends in LF without CR",
		"gmail-accept.ics":        "", // valid as captured
		"no-method-lowercase.ics": "exactly one METHOD",
	} {
		err := Validate(readTestdata(t, "replies/"+name))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}
