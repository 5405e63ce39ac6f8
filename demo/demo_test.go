package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/store"
)

// TestOnceRoundMatchesStore plays a whole round and checks the printed
// table and figures against the store, read independently, and what the
// missions said against what was recorded.
func TestOnceRoundMatchesStore(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Once: true, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("round played in %s:\n%s", res.Elapsed, out.String())
	checkRoundFigures(t, res)
	rd := readRound(t, dir)
	checkOneReminderADay(t, rd)
	checkRoundTable(t, out.String(), rd)
}

// checkRoundFigures checks what Run reports: every answer recorded as
// given, every kind of mail written and read, the figures counted.
func checkRoundFigures(t *testing.T, res Result) {
	t.Helper()
	// Every answer the missions gave is recorded as given, nothing else.
	if len(res.Mismatches) > 0 {
		t.Errorf("%d answers not recorded as given:\n%s", len(res.Mismatches), strings.Join(res.Mismatches, "\n"))
	}
	if res.Answers < 500 {
		t.Errorf("only %d answers given; the round should have hundreds", res.Answers)
	}
	if len(res.Duplicates) > 0 {
		t.Errorf("messages delivered twice: %v", res.Duplicates)
	}
	if res.Unreadable > 0 {
		t.Errorf("%d messages from outreach could not be read by the missions", res.Unreadable)
	}
	// Every kind of reply came in and was read as what it is.
	for _, kind := range []string{"rsvp", "auto-reply", "bounce", "review"} {
		if res.Figures.Replies[kind] == 0 {
			t.Errorf("no reply read as %s: %v", kind, res.Figures.Replies)
		}
	}
	for _, kind := range []string{"calendar", "letter", "out-of-office", "bounce", "change of mind", "reply page"} {
		if res.MissionMail[kind] == 0 {
			t.Errorf("the missions wrote no %s: %v", kind, res.MissionMail)
		}
	}
	t.Logf("largest number of messages to one mission: %d (%s); without calendar requests: %d",
		res.Figures.MostToOneMission, res.Figures.MostMission, res.Figures.MostLettersToOneMission)
	if res.Figures.MostToOneMission == 0 || res.Figures.MostLettersToOneMission > res.Figures.MostToOneMission ||
		res.Figures.MostLettersInADay == 0 || res.Figures.MostLettersInADay > res.Figures.MostLettersToOneMission {
		t.Errorf("messages per mission not counted: %+v", res.Figures)
	}
	if res.Figures.Review != 1 {
		t.Errorf("review queue = %d, want the one message from a personal address", res.Figures.Review)
	}
	if len(res.Figures.NotReached) != 1 {
		t.Errorf("not reached = %v, want the one mission whose only address is dead", res.Figures.NotReached)
	}
	for _, kind := range []string{"invitation", "confirmation", "update", "reminder", "digest", "page-summary"} {
		if res.Figures.Sent[kind] == 0 {
			t.Errorf("outreach sent no %s: %v", kind, res.Figures.Sent)
		}
	}
	if res.Figures.Sent["invitation"] != 194 {
		t.Errorf("invitations sent = %d, want 194 (195 missions, one unreachable)", res.Figures.Sent["invitation"])
	}
	if res.Figures.Missed != 0 {
		t.Errorf("%d reminders missed in a round without downtime", res.Figures.Missed)
	}
}

// playedRound is what the store holds after a round, read on its own.
type playedRound struct {
	rsvps     []outreach.RSVP
	sessions  []outreach.Session
	names     map[string]string // mission id → English name
	reminders []outreach.OutboxItem
	invited   map[string]bool
	geneva    *time.Location
}

func readRound(t *testing.T, dir string) playedRound {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rsvps []outreach.RSVP
	var sessions []outreach.Session
	var missions []outreach.Mission
	var reminders []outreach.OutboxItem
	invited := map[string]bool{}
	if err := st.View(func(tx *store.Tx) error {
		var err error
		if rsvps, err = tx.RSVPs(); err != nil {
			return err
		}
		if reminders, err = tx.Outbox(func(it *outreach.OutboxItem) bool {
			return it.Key.Kind == outreach.Reminder && it.State == outreach.Sent && it.Key.Mission != ""
		}); err != nil {
			return err
		}
		inv, err := tx.Outbox(func(it *outreach.OutboxItem) bool {
			return it.Key.Kind == outreach.Invitation && it.State == outreach.Sent
		})
		for _, it := range inv {
			invited[it.Key.Mission] = true
		}
		if err != nil {
			return err
		}
		if sessions, err = tx.Sessions(); err != nil {
			return err
		}
		missions, err = tx.Missions()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, m := range missions {
		names[m.ID] = m.Names.EN
	}
	geneva, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	return playedRound{rsvps: rsvps, sessions: sessions, names: names, reminders: reminders, invited: invited, geneva: geneva}
}

// checkOneReminderADay checks that no mission got two reminders on a day,
// though many attend several sessions of one day: the practical note is
// one per day.
func checkOneReminderADay(t *testing.T, rd playedRound) {
	t.Helper()
	perDay := map[string]int{}
	for _, it := range rd.reminders {
		k := it.Key.Mission + " " + it.Sent.In(rd.geneva).Format(time.DateOnly)
		if perDay[k]++; perDay[k] == 2 {
			t.Errorf("%s: more than one reminder that day", k)
		}
	}
	dayOf := map[string]string{}
	for _, s := range rd.sessions {
		dayOf[s.SuR] = s.Start.In(rd.geneva).Format(time.DateOnly)
	}
	sameDay := map[string]int{}
	severalOnADay := 0
	for _, r := range rd.rsvps {
		if r.Status == outreach.Accepted || r.Status == outreach.Tentative {
			if sameDay[r.Mission+" "+dayOf[r.Session]]++; sameDay[r.Mission+" "+dayOf[r.Session]] == 2 {
				severalOnADay++
			}
		}
	}
	if severalOnADay == 0 || len(rd.reminders) == 0 {
		t.Errorf("the round has %d missions attending several sessions of a day and %d reminders: nothing to check", severalOnADay, len(rd.reminders))
	}
}

// checkRoundTable checks the printed per-session table and figures against
// the store.
func checkRoundTable(t *testing.T, out string, rd playedRound) {
	t.Helper()
	type row struct{ acc, tent, dec, none int }
	want := map[string]*row{}
	attending := map[string]bool{}
	accepted := 0
	own := 0
	// "No answer" counts the missions invited that have not answered.
	for _, s := range rd.sessions {
		want[rd.names[s.SuR]] = &row{none: len(rd.invited)}
	}
	for _, r := range rd.rsvps {
		w := want[rd.names[r.Session]]
		switch r.Status {
		case outreach.Accepted:
			w.acc++
			attending[r.Mission] = true
			accepted++
			if r.Mission == r.Session {
				own++
			}
		case outreach.Tentative:
			w.tent++
		case outreach.Declined:
			w.dec++
		default:
			continue
		}
		if rd.invited[r.Mission] {
			w.none--
		}
	}
	// The printed table: one line per session.
	line := regexp.MustCompile(`(?m)^\s*(\S.*?)\s{2,}\w{3} \d+ \w{3} \d\d:\d\d\s+Room \S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S.*$`)
	rows := line.FindAllStringSubmatch(out, -1)
	if len(rows) != len(rd.sessions) {
		t.Fatalf("table has %d session rows, store has %d sessions", len(rows), len(rd.sessions))
	}
	for _, m := range rows {
		w, ok := want[m[1]]
		if !ok {
			t.Errorf("table names %q, not a session in the store", m[1])
			continue
		}
		got := [4]int{atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5])}
		if got != [4]int{w.acc, w.tent, w.dec, w.none} {
			t.Errorf("%s: table says accepted/tentative/declined/no answer %v, store holds %v", m[1], got,
				[4]int{w.acc, w.tent, w.dec, w.none})
		}
	}
	figure := func(label string) string {
		m := regexp.MustCompile(regexp.QuoteMeta(label) + `:\s+([\d.]+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("figure %q not printed", label)
		}
		return m[1]
	}
	if got := figure("Distinct missions attending"); got != strconv.Itoa(len(attending)) {
		t.Errorf("distinct missions attending printed %s, store says %d", got, len(attending))
	}
	if got, wantAvg := figure("Average attending per session"), strconv.FormatFloat(float64(accepted)/float64(len(rd.sessions)), 'f', 1, 64); got != wantAvg {
		t.Errorf("average per session printed %s, store says %s", got, wantAvg)
	}
	if got := figure("States under Review at their own"); got != strconv.Itoa(own) {
		t.Errorf("States under Review at their own session printed %s, store says %d", got, own)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
