package jobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
	"outreach/store"
)

// The reply corpus (replies/testdata/corpus) is addressed the way the
// daemon addresses the 28th round, with fixed values so its messages can
// carry real reply tokens, Message-IDs and calendar UIDs: the secret, the
// Message-ID form and the readable UIDs below mirror
// replies/directory_test.go.
const corpusDir = "../replies/testdata/corpus"

var corpusSecret = []byte("outreach reply corpus secret")

// corpusRefRe is a reminder's or confirmation's Message-ID in the corpus.
var corpusRefRe = regexp.MustCompile(`<(?:reminder|confirmation)\.28\.[A-Z]{3}(?:\.[A-Z]{3})?\.[0-9a-f]{16}@presessions\.example>`)

// corpusMessageID is the Message-ID the corpus gives the message of kind
// sent to mission (about session, when not ""):
// <kind.28.MISSION[.SESSION].HEX@presessions.example>, HEX derived from
// the key.
func corpusMessageID(kind, mission, session string) string {
	parts := []string{kind, "28", mission}
	if session != "" {
		parts = append(parts, session)
	}
	key := strings.Join(parts, ".")
	sum := sha256.Sum256([]byte(key))
	return "<" + key + "." + hex.EncodeToString(sum[:8]) + "@presessions.example>"
}

// corpusExpectation is the part of a corpus .json the store can show.
type corpusExpectation struct {
	Kind      string            `json:"kind"`
	Mission   *string           `json:"mission"`
	Sessions  map[string]string `json:"sessions"`
	Delegates int               `json:"delegates"`
	KnownMiss string            `json:"known_miss"`
}

type corpusEntry struct {
	name  string
	raw   []byte
	msgID string
	want  corpusExpectation
}

func loadReplyCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reply corpus in %s (%v)", corpusDir, err)
	}
	sort.Strings(files)
	seen := map[string]string{}
	var out []corpusEntry
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		e := corpusEntry{name: strings.TrimSuffix(filepath.Base(f), ".eml"), raw: raw}
		if err := json.Unmarshal(js, &e.want); err != nil {
			t.Fatalf("%s.json: %v", e.name, err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		e.msgID = strings.TrimSpace(m.Header.Get("Message-ID"))
		if e.msgID == "" {
			t.Fatalf("%s: no Message-ID: the store could not be checked for it", e.name)
		}
		if other, dup := seen[e.msgID]; dup {
			t.Fatalf("%s and %s share the Message-ID %s", other, e.name, e.msgID)
		}
		seen[e.msgID] = e.name
		out = append(out, e)
	}
	return out
}

// addressLikeCorpus makes the fixture's store address the round as the
// corpus does, through the store's own records rather than a hook in the
// engine: the corpus's secret (so the reply tokens agree), an outbox
// holding every mission's invitation as sent, and the reminders and
// confirmations the corpus's messages refer to, under the corpus's
// Message-IDs (so In-Reply-To and References agree; the engine scans the
// outbox for every answer it records, so one is not made for every
// mission and session when no message needs it), and, by
// taking the store back to schema 2 and letting the migration run, every
// copy sent before calendar UIDs were keyed keeps its readable UID — the
// UIDs the corpus's calendar replies carry. Rewriting each message's
// addressing instead would mean decoding and re-encoding every calendar
// part (base64, quoted-printable with soft breaks, 8bit), which would
// change the very bytes the corpus is there to test.
func (f *fixture) addressLikeCorpus(corpus []corpusEntry) {
	f.t.Helper()
	referred := map[string]bool{}
	for _, c := range corpus {
		for _, id := range corpusRefRe.FindAll(c.raw, -1) {
			referred[string(id)] = true
		}
	}
	ms, err := directory.Missions()
	if err != nil {
		f.t.Fatal(err)
	}
	_, ss, err := directory.Round28()
	if err != nil {
		f.t.Fatal(err)
	}
	sent := f.clock.Now()
	err = f.st.Update(func(tx *store.Tx) error {
		if err := tx.SetSecret(corpusSecret); err != nil {
			return err
		}
		for _, m := range ms {
			keys := []outreach.OutboxKey{{Kind: outreach.Invitation, Mission: m.ID}}
			ids := []string{corpusMessageID("invitation", m.ID, "")}
			if id := corpusMessageID("reminder", m.ID, ""); referred[id] {
				keys = append(keys, outreach.OutboxKey{Kind: outreach.Reminder, Mission: m.ID})
				ids = append(ids, id)
			}
			for _, s := range ss {
				if id := corpusMessageID("confirmation", m.ID, s.SuR); referred[id] {
					keys = append(keys, outreach.OutboxKey{Kind: outreach.Confirmation, Mission: m.ID, Session: s.SuR, Revision: strconv.Itoa(s.Sequence)})
					ids = append(ids, id)
				}
			}
			for i, k := range keys {
				it := outreach.OutboxItem{Key: k, MessageID: ids[i], To: []string{m.Contacts[0].Email}, Attempts: 1, Created: sent}
				it.MarkSent(sent)
				if _, added, err := tx.Enqueue(it); err != nil || !added {
					f.t.Fatalf("outbox %s: added %v, %v", k, added, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.st.Close()
	asSchema2(f.t, filepath.Join(f.dir, "outreach.db"))
	f.open()
	for _, k := range [][2]string{{"AUT", "JPN"}, {"ZMB", "ZMB"}} {
		if got, want := f.e.UID(k[0], k[1]), outreach.ReadableCalendarUID(28, "presessions.example", k[0], k[1]); got != want {
			f.t.Fatalf("%s's copy of %s: UID %q, want the corpus's %q", k[0], k[1], got, want)
		}
	}
}

// Against Dovecot, end to end: every message of the reply corpus is
// delivered to the organiser INBOX and read by one `inbox sync` (the
// watcher's SyncOnce with the engine's intake). What the store then holds
// for each message — its kind and mission, the answer recorded for each
// session with the delegates, the review item — must be what the corpus
// expects of it. Messages the corpus marks as known misses are counted
// apart: the store must hold for them what the engine's classifier reads
// (Engine.Classify), which differs from the expectation.
func TestDovecotCorpusEndToEnd(t *testing.T) {
	d := startOrganiserDovecot(t, testenv.DovecotOptions{})
	f := newFixture(t, smtptest.Hooks{})
	// Durability is not under test here: the store skips fsync, so the
	// run's time is the reading's, not the disk's.
	f.storeOpts.NoSync = true
	corpus := loadReplyCorpus(t)
	f.addressLikeCorpus(corpus)
	began := time.Now()
	appendAll(t, d, corpus)
	delivered := time.Now()
	st := f.syncInbox(d.Addr)
	if st.Fetched != len(corpus) {
		t.Errorf("sync fetched %d messages, want %d", st.Fetched, len(corpus))
	}
	t.Logf("delivered %d messages in %v; inbox sync read and recorded them in %v", len(corpus),
		delivered.Sub(began).Round(time.Millisecond), time.Since(delivered).Round(time.Millisecond))

	byMsg := map[string][]outreach.RSVP{}
	for _, r := range f.allHistory() {
		byMsg[r.Source.MessageID] = append(byMsg[r.Source.MessageID], r)
	}
	reviews := map[string]bool{}
	for _, it := range f.openReviews() {
		reviews[it.MessageID] = true
	}
	agree, missesAsRead := 0, 0
	var misses []string
	for _, c := range corpus {
		problems := f.storedProblems(c, byMsg[c.msgID], reviews[c.msgID])
		switch {
		case len(problems) == 0 && c.want.KnownMiss == "":
			agree++
		case len(problems) == 0:
			t.Errorf("%s: marked known_miss (%s) but the store holds what the corpus expects", c.name, c.want.KnownMiss)
		case c.want.KnownMiss != "":
			// The store holds what the engine's classifier reads of it.
			res, err := f.e.Classify(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			asRead := c
			asRead.want = corpusExpectation{Kind: res.Kind.String(), Mission: &res.Mission, Delegates: res.Delegates, Sessions: map[string]string{}}
			for s, st := range res.Sessions {
				asRead.want.Sessions[s] = st.String()
			}
			if p := f.storedProblems(asRead, byMsg[c.msgID], reviews[c.msgID]); len(p) > 0 {
				t.Errorf("%s (known miss): the store differs from the classifier's reading: %s", c.name, strings.Join(p, "; "))
			}
			missesAsRead++
			misses = append(misses, c.name)
		default:
			t.Errorf("%s: %s", c.name, strings.Join(problems, "; "))
		}
	}
	t.Logf("end to end through Dovecot: %d of %d messages recorded in the store as the corpus expects; %d known misses recorded as the classifier reads them (%s)",
		agree, len(corpus), missesAsRead, strings.Join(misses, ", "))
	if agree+missesAsRead != len(corpus) {
		t.Errorf("%d messages recorded otherwise than expected", len(corpus)-agree-missesAsRead)
	}
}

// appendAll delivers the corpus to the organiser INBOX over one IMAP
// connection, in order.
func appendAll(t *testing.T, d *testenv.Dovecot, corpus []corpusEntry) {
	t.Helper()
	c := d.Dial(t, organiserLogin)
	defer func() { _ = c.Logout().Wait(); _ = c.Close() }()
	for _, m := range corpus {
		cmd := c.Append("INBOX", int64(len(m.raw)), nil)
		if _, err := cmd.Write(m.raw); err != nil {
			t.Fatalf("append %s: %v", m.name, err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("append %s: %v", m.name, err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append %s: %v", m.name, err)
		}
	}
}

// storedProblems lists how what the store holds for c differs from the
// corpus's expectation; rs are the answers recorded from c's Message-ID,
// review whether a review item holds it.
func (f *fixture) storedProblems(c corpusEntry, rs []outreach.RSVP, review bool) []string {
	f.t.Helper()
	var out []string
	var p store.Processed
	var seen bool
	if err := f.st.View(func(tx *store.Tx) error {
		var err error
		p, seen, err = tx.Processed(c.msgID)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	if !seen {
		return []string{"not recorded as processed"}
	}
	wantMission := ""
	if c.want.Mission != nil {
		wantMission = *c.want.Mission
	}
	if p.Kind != c.want.Kind {
		out = append(out, "recorded as "+p.Kind+", want "+c.want.Kind)
	}
	if p.Mission != wantMission {
		out = append(out, "recorded for mission "+strconv.Quote(p.Mission)+", want "+strconv.Quote(wantMission))
	}
	got := map[string]string{}
	for _, r := range rs {
		if r.Mission != wantMission {
			out = append(out, "an answer recorded for "+r.Mission+"/"+r.Session)
		}
		got[r.Session] = r.Status.String()
		if r.Delegates != c.want.Delegates {
			out = append(out, r.Session+": "+strconv.Itoa(r.Delegates)+" delegates recorded, want "+strconv.Itoa(c.want.Delegates))
		}
	}
	if len(got) != len(c.want.Sessions) {
		out = append(out, "answers recorded "+formatAnswers(got)+", want "+formatAnswers(c.want.Sessions))
	} else {
		for s, w := range c.want.Sessions {
			if got[s] != w {
				out = append(out, "answers recorded "+formatAnswers(got)+", want "+formatAnswers(c.want.Sessions))
				break
			}
		}
	}
	if want := c.want.Kind == "review"; review != want {
		out = append(out, "review item: "+strconv.FormatBool(review)+", want "+strconv.FormatBool(want))
	}
	wantFolder := map[string]string{"rsvp": intakeFolders.Processed, "auto-reply": intakeFolders.Processed, "review": intakeFolders.Review,
		"unrelated": intakeFolders.Review, "bounce": intakeFolders.Bounces, "delayed": intakeFolders.Bounces}[c.want.Kind]
	if p.Folder != wantFolder {
		out = append(out, "filed to "+p.Folder+", want "+wantFolder)
	}
	return out
}

func formatAnswers(m map[string]string) string {
	var l []string
	for s, st := range m {
		l = append(l, s+":"+st)
	}
	sort.Strings(l)
	return "[" + strings.Join(l, " ") + "]"
}
