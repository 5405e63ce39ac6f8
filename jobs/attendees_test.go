package jobs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/internal/clientcheck"
	"outreach/internal/smtptest"
)

// Every contact a message goes to is an ATTENDEE of each event it
// carries, in the invitation's attachments and in the inline REQUESTs and
// CANCELs that follow, as ical.js and Python's icalendar read them; and a
// calendar REPLY from a colleague other than the first contact is
// recorded for his mission.
func TestEveryContactIsAnAttendee(t *testing.T) {
	clientcheck.Require(t, clientcheck.ICALJSParser, clientcheck.PyICalendarParser, clientcheck.PyEmailParser)
	f := newFixture(t, smtptest.Hooks{})
	mex, err := f.e.Mission("MEX")
	if err != nil {
		t.Fatal(err)
	}
	if len(mex.Contacts) < 3 {
		t.Fatalf("MEX has %d contacts; the test needs three", len(mex.Contacts))
	}
	var want []string
	for _, c := range mex.Contacts {
		want = append(want, strings.ToLower(c.Email))
	}
	slices.Sort(want)
	check := func(what string, msg smtptest.Message, partstat string) int {
		t.Helper()
		return checkEveryContactAttends(t, mex, want, what, msg, partstat)
	}

	f.inviteAndFlush("MEX")
	msgs := f.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the invitation", len(msgs))
	}
	if n := check("the invitation", msgs[0], "NEEDS-ACTION"); n != 2*14 {
		t.Errorf("the invitation's attachments hold %d events as the two parsers read them, want 2×14", n)
	}

	colleaguesAnswerInOutlook(t, f, mex)

	// Staff record acceptances by phone: each confirmation is a REQUEST
	// to every contact, ACCEPTED for each.
	for _, sur := range []string{"BEN", "CZE"} {
		if _, err := f.e.SetRSVP("MEX", sur, outreach.Accepted, "by phone", "staff"); err != nil {
			t.Fatal(err)
		}
	}
	sent := f.flushAll()
	if len(sent) != 2 {
		t.Fatalf("%d messages after two acceptances by phone, want two confirmations", len(sent))
	}
	for _, m := range sent {
		check("a confirmation", m, "ACCEPTED")
	}
	// The session on Benin moves and the one on Czechia is cancelled: an
	// update and a cancellation, each to every contact.
	f.clock.Advance(time.Hour)
	start := zurich(t, 12, 16, 0)
	if _, err := f.e.MoveSession("BEN", Move{Start: &start, Note: "the Working Group changed its schedule"}, "staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.CancelSession("CZE", "the State under Review withdrew", "staff"); err != nil {
		t.Fatal(err)
	}
	seen := map[outreach.MessageKind]bool{}
	checkEachSentByKind := func(partstat string) {
		t.Helper()
		sent := f.flushAll()
		kinds := f.kindsByMessageID()
		for _, m := range sent {
			k := kinds[m.MessageID]
			seen[k] = true
			check(string(k), m, partstat)
		}
	}
	checkEachSentByKind("NEEDS-ACTION")
	// Staff then record that Mexico will not come to Japan after all: the
	// withdrawal removes the event from every contact's calendar.
	if _, err := f.e.SetRSVP("MEX", "JPN", outreach.Declined, "by phone", "staff"); err != nil {
		t.Fatal(err)
	}
	checkEachSentByKind("DECLINED")
	for _, k := range []outreach.MessageKind{outreach.Update, outreach.Cancellation, outreach.Withdrawal} {
		if !seen[k] {
			t.Errorf("no %s was sent", k)
		}
	}
}

// colleaguesAnswerInOutlook: the mission's human rights officer, the
// second contact, accepts the pre-session on Japan in Outlook, and the
// third contact declines Peru; both answers are recorded for the mission
// from the calendar, none goes to review.
func colleaguesAnswerInOutlook(t *testing.T, f *fixture, mex outreach.Mission) {
	t.Helper()
	srv := startMemIMAP(t)
	colleague := mex.Contacts[1].Email
	id := "<AM6PR0702MB.mex.1@AM6PR0702MB.eurprd07.prod.outlook.com>"
	srv.deliver(t, outlookAnswer{from: colleague, name: "Lucía Hernández", uid: f.e.UID("MEX", "JPN"), method: "REPLY",
		partStat: "ACCEPTED", dtstamp: f.clock.Now().Add(time.Hour), messageID: id}.raw())
	f.clock.Advance(2 * time.Hour)
	f.syncInbox(srv.addr)
	if r := f.rsvp("MEX", "JPN"); r.Status != outreach.Accepted || r.Source.Kind != outreach.FromCalendar || r.Source.MessageID != id {
		t.Errorf("MEX/JPN after %s accepted in Outlook: %+v, want accepted from the calendar reply", colleague, r)
	}
	if rv := f.openReviews(); len(rv) != 0 {
		t.Errorf("the colleague's calendar answer went to review: %+v", rv)
	}
	srv.deliver(t, outlookAnswer{from: strings.ToUpper(mex.Contacts[2].Email), name: "Misión de México", uid: f.e.UID("MEX", "PER"),
		method: "REPLY", partStat: "DECLINED", dtstamp: f.clock.Now().Add(time.Hour), messageID: "<per.mex.3@outlook.example>"}.raw())
	f.clock.Advance(2 * time.Hour)
	f.syncInbox(srv.addr)
	if r := f.rsvp("MEX", "PER"); r.Status != outreach.Declined || r.Source.Kind != outreach.FromCalendar {
		t.Errorf("MEX/PER after the third contact declined: %+v", r)
	}
}

// checkEveryContactAttends: msg went to every contact (want), and every
// calendar object it carries, read with both parsers, lists every contact
// as an attendee with partstat. It returns how many events it checked.
func checkEveryContactAttends(t *testing.T, mex outreach.Mission, want []string, what string, msg smtptest.Message, partstat string) int {
	t.Helper()
	if got := slices.Sorted(slices.Values(lower(msg.To))); !slices.Equal(got, want) {
		t.Errorf("%s went to %v, want every contact %v", what, got, want)
	}
	objs := calendarParts(t, what, msg)
	n := 0
	for name, all := range map[string]func([][]byte) ([]clientcheck.CalendarResult, error){
		"ical.js": clientcheck.ICALJSAll, "icalendar": clientcheck.PyICalendarAll} {
		rs, err := all(objs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if r.Err != nil {
				t.Errorf("%s, object %d, as %s reads it: %v", what, i+1, name, r.Err)
				continue
			}
			for _, ev := range r.Calendar.Events {
				n++
				checkEventAttendees(t, mex, want, what+", "+ev.UID+", as "+name+" reads it", r.Calendar.Method, ev.Attendees, partstat)
			}
		}
	}
	return n
}

// checkEventAttendees: the event's attendees are every contact (want),
// each with the mission's title, partstat, as a required participant,
// asked to answer in a REQUEST.
func checkEventAttendees(t *testing.T, mex outreach.Mission, want []string, where, method string, attendees []clientcheck.Attendee, partstat string) {
	t.Helper()
	var got []string
	for _, a := range attendees {
		got = append(got, strings.ToLower(a.Email))
		if a.CN != mex.Title() || a.PartStat != partstat || a.Role != "REQ-PARTICIPANT" {
			t.Errorf("%s: attendee %+v, want CN %q PARTSTAT=%s", where, a, mex.Title(), partstat)
		}
		if method == "REQUEST" && a.RSVP != "TRUE" {
			t.Errorf("%s: %s is not asked to answer (RSVP=%q)", where, a.Email, a.RSVP)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s: attendees %v, want every contact %v", where, got, want)
	}
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// kindsByMessageID maps each outbox item's Message-ID to its kind.
func (f *fixture) kindsByMessageID() map[string]outreach.MessageKind {
	f.t.Helper()
	items, err := f.e.Outbox()
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]outreach.MessageKind{}
	for _, it := range items {
		out[it.MessageID] = it.Key.Kind
	}
	return out
}
