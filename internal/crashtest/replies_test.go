package crashtest

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"outreach"
	"outreach/internal/smtptest"
	"outreach/store"
)

// calendarReply is an iMIP REPLY (RFC 6047) from mission's address
// answering its copy of session, whose UID is uid, with partstat, as a
// calendar client sends it.
func calendarReply(msgid, uid, address, partstat string) []byte {
	var b strings.Builder
	b.WriteString("From: Permanent Mission <" + address + ">\r\n")
	b.WriteString("To: UPR Pre-sessions <" + mailbox + ">\r\n")
	b.WriteString("Subject: Reply: UPR Pre-session\r\n")
	b.WriteString("Message-ID: <" + msgid + ">\r\n")
	b.WriteString("Date: Mon, 25 Sep 2017 10:00:00 +0200\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n")
	b.WriteString("--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent from my calendar.\r\n")
	b.WriteString("--b\r\nContent-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n")
	b.WriteString("BEGIN:VCALENDAR\r\nPRODID:-//outreach crash test//EN\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n")
	b.WriteString("UID:" + uid + "\r\n")
	b.WriteString("SEQUENCE:0\r\nDTSTAMP:20170925T080000Z\r\nORGANIZER:mailto:" + mailbox + "\r\n")
	b.WriteString("ATTENDEE;PARTSTAT=" + partstat + ":mailto:" + address + "\r\n")
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n--b--\r\n")
	return []byte(b.String())
}

// refiledRe reads the daemon's note of recorded messages a kill left
// unfiled, which the next run files.
var refiledRe = regexp.MustCompile(`msg="imap recorded messages found unfiled; filing them now"[^\n]* count=(\d+)`)

type sentReply struct {
	msgid, mission, session string
	status                  outreach.Status
	uid                     imap.UID
}

// TestRepliesSurviveKill9 kills `outreach run` with SIGKILL at random
// moments while it reads 2,000 calendar replies from the IMAP mailbox,
// restarts it each time, and lets the last run read the rest. No reply may
// be lost (each recorded, with the answer it gave), none counted twice
// (exactly one RSVP history entry per message), and after every kill the
// checkpoint must not be ahead of what was recorded.
func TestRepliesSurviveKill9(t *testing.T) {
	rng := seed(t)
	im := startIMAP(t)
	srv := smtptest.Start(t, smtptest.Hooks{})
	e := newEnv(t, srv.Addr, im.addr, 1, im.password)

	k := &replyKills{t: t, e: e, ms: e.missions()}
	k.deliverReplies(im)
	lastUID := k.replies[len(k.replies)-1].uid

	start := time.Now()
	// Replies are recorded a fetched group per commit, thousands a second
	// without the race detector: start from a high estimate, which the
	// first runs bring down (too low, and the first run reads everything).
	clock := &killClock{rng: rng, total: crashMessages, kills: crashKills, rate: 1000}
	kills, early, readBeforeLast := k.killWhileReading(clock, lastUID)
	killPhase := time.Since(start)

	k.readRestShowingCheckpoint(lastUID)
	elapsed := time.Since(start)

	k.checkEveryReplyRecorded()
	unfiled := k.checkEverythingFiled(im)
	e.assertNoSecrets()
	t.Logf("figures: %d replies, %d kills (%d during start-up) over %s, %d recorded before the last run, 0 lost, 0 counted twice, %d filed by the next run, %s in all",
		crashMessages, kills, early, killPhase.Round(100*time.Millisecond), readBeforeLast, unfiled, elapsed.Round(100*time.Millisecond))
}

// replyKills is TestRepliesSurviveKill9's daemon and the replies it reads.
type replyKills struct {
	t       *testing.T
	e       *env
	ms      []missionJSON
	replies []sentReply
}

// deliverReplies puts crashMessages calendar replies in the INBOX, each
// answering a different (mission, session), to the UIDs of the missions'
// copies, keyed by the store's own key.
func (k *replyKills) deliverReplies(im *imapServer) {
	t, e, ms := k.t, k.e, k.ms
	t.Helper()
	ss := e.sessions()
	var uidKey []byte
	e.view(e.storePath(), func(tx *store.Tx) error { uidKey = tx.CalendarUIDKey(); return nil })
	if len(ms)*len(ss) < crashMessages {
		t.Fatalf("%d missions × %d sessions: fewer answers than %d", len(ms), len(ss), crashMessages)
	}
	partstats := []struct {
		ical   string
		status outreach.Status
	}{{"ACCEPTED", outreach.Accepted}, {"DECLINED", outreach.Declined}, {"TENTATIVE", outreach.Tentative}}
	replies := make([]sentReply, crashMessages)
	raws := make([][]byte, crashMessages)
	for i := range replies {
		m, s, p := ms[i%len(ms)], ss[i/len(ms)], partstats[i%len(partstats)]
		r := sentReply{msgid: fmt.Sprintf("crash-reply-%04d@%s", i, strings.ToLower(m.ID)+".mission.example"),
			mission: m.ID, session: s.SuR, status: p.status}
		raws[i] = calendarReply(r.msgid, outreach.CalendarUID(uidKey, 28, "presessions.example", m.ID, s.SuR), m.Contacts[0].Email, p.ical)
		replies[i] = r
	}
	uids := im.appendAll(t, raws)
	for i := range replies {
		replies[i].uid = uids[i]
	}
	k.replies = replies
}

// recorded: every message up to the checkpoint is recorded (the
// checkpoint is never ahead), and no message has more than one history
// entry. It returns how many replies are recorded, and the checkpoint.
func (k *replyKills) recorded(tx *store.Tx) (n int, cp store.Checkpoint) {
	t := k.t
	t.Helper()
	cp, err := tx.Checkpoint("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	perMsg := map[string]int{}
	for _, m := range k.ms {
		hist, err := tx.History(m.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			perMsg[bare(h.Source.MessageID)]++
		}
	}
	for id, c := range perMsg {
		if c > 1 {
			t.Errorf("message %s has %d RSVP history entries: counted twice", id, c)
		}
	}
	for _, r := range k.replies {
		_, seen, err := tx.Processed("<" + r.msgid + ">")
		if err != nil {
			t.Fatal(err)
		}
		if seen {
			n++
			if perMsg[r.msgid] != 1 {
				t.Errorf("message %s is marked processed but has %d history entries", r.msgid, perMsg[r.msgid])
			}
		}
		if cp.UIDValidity != 0 && r.uid <= imap.UID(cp.LastUID) && !seen {
			t.Errorf("checkpoint at UID %d, ahead of message %s (UID %d), which is not recorded", cp.LastUID, r.msgid, r.uid)
		}
	}
	return n, cp
}

// killWhileReading starts the daemon and kills it -9 when clock says,
// during start-up or while it reads, until crashKills kills or every reply
// is read, checking after each kill that no recorded reply was lost. It
// returns the kills, how many fell during start-up, and the replies
// recorded at the last.
func (k *replyKills) killWhileReading(clock *killClock, lastUID imap.UID) (kills, early, done int) {
	t, e := k.t, k.e
	t.Helper()
	for kills < crashKills {
		d := e.start()
		var t0 time.Time
		if ok, after := clock.startUp(); ok {
			time.Sleep(after)
			early++
		} else {
			e.waitReady(d)
			t0 = time.Now()
			time.Sleep(clock.delay(done, kills))
		}
		ran := time.Since(t0)
		e.kill(d)
		kills++
		before := done
		var cp store.Checkpoint
		e.view(e.storePath(), func(tx *store.Tx) error {
			done, cp = k.recorded(tx)
			return nil
		})
		if done < before {
			t.Fatalf("after kill %d, %d messages recorded, %d before: a recorded reply was lost", kills, done, before)
		}
		if !t0.IsZero() {
			clock.observe(done-before, ran)
		}
		if cp.LastUID == uint32(lastUID) {
			if kills <= minKills {
				t.Fatalf("every reply was read after %d kills, at least %d must fall while reading: add more replies", kills, minKills)
			}
			break
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	return kills, early, done
}

// readRestShowingCheckpoint: the last run reads the rest; `outreach
// backup` shows the checkpoint while the daemon runs.
func (k *replyKills) readRestShowingCheckpoint(lastUID imap.UID) {
	t, e := k.t, k.e
	t.Helper()
	d := e.start()
	e.waitReady(d)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var cp store.Checkpoint
		e.view(e.backup(), func(tx *store.Tx) error {
			var err error
			cp, err = tx.Checkpoint("INBOX")
			return err
		})
		if cp.LastUID == uint32(lastUID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint at UID %d of %d 2 minutes after the last restart; log:\n%s", cp.LastUID, lastUID, e.tail())
		}
		time.Sleep(300 * time.Millisecond)
	}
	e.stop(d)
}

// checkEveryReplyRecorded: every reply is recorded once, as the answer it
// gave for its mission; a calendar reply needs no confirmation: the only
// mail the daemon may queue is the staff digest.
func (k *replyKills) checkEveryReplyRecorded() {
	t := k.t
	t.Helper()
	k.e.view(k.e.storePath(), func(tx *store.Tx) error {
		n, _ := k.recorded(tx)
		if n != crashMessages {
			t.Errorf("%d of %d replies recorded", n, crashMessages)
		}
		for _, r := range k.replies {
			p, seen, err := tx.Processed("<" + r.msgid + ">")
			if err != nil {
				return err
			}
			if !seen {
				continue // reported above
			}
			if p.Kind != "rsvp" || p.Mission != r.mission {
				t.Errorf("%s recorded as %s for %q, want rsvp for %s", r.msgid, p.Kind, p.Mission, r.mission)
			}
			cur, err := tx.RSVP(r.mission, r.session)
			if err != nil {
				return err
			}
			if cur.Status != r.status || bare(cur.Source.MessageID) != r.msgid {
				t.Errorf("%s/%s holds %s from %s, want %s from %s", r.mission, r.session, cur.Status, cur.Source.MessageID, r.status, r.msgid)
			}
		}
		items, err := tx.Outbox(func(it *outreach.OutboxItem) bool { return it.Key.Kind != outreach.Digest })
		if len(items) > 0 {
			t.Errorf("calendar replies queued %d messages, e.g. %s; they need no confirmation", len(items), items[0].Key)
		}
		return err
	})
}

// checkEverythingFiled: nothing is deleted on the server, and everything
// is filed: a message recorded just before a kill, and not yet filed, is
// filed by the next run. It returns how many the log says were filed so.
func (k *replyKills) checkEverythingFiled(im *imapServer) (unfiled int) {
	t := k.t
	t.Helper()
	inbox := im.messageIDs(t, "INBOX")
	filed := im.messageIDs(t, "outreach/processed")
	if len(inbox)+len(filed) != crashMessages {
		t.Errorf("%d messages in INBOX and %d filed; want %d in all", len(inbox), len(filed), crashMessages)
	}
	if len(inbox) > 0 {
		t.Errorf("%d recorded messages left unfiled in INBOX, e.g. %s", len(inbox), inbox[0])
	}
	raw, err := os.ReadFile(k.e.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range refiledRe.FindAllSubmatch(raw, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		unfiled += n
	}
	return unfiled
}
