package replies

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"testing"

	"outreach"
	"outreach/directory"
)

// The test round is the real one: the 195 missions of the embedded
// directory and the 14 pre-sessions of the 28th round, addressed the way
// the daemon addresses them (jobs/intake.go storeDirectory, jobs/outbox.go
// newMessageID, jobs/engine.go replyToken), with a fixed secret so the
// corpus can carry real tokens and Message-IDs.
const (
	testMailbox = "rsvp@presessions.example"
	testDomain  = "presessions.example"
	testUPR     = 28
)

var testSecret = []byte("outreach reply corpus secret")

// testToken is jobs.replyToken with the corpus secret.
func testToken(mission string) string {
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte("reply-token:" + mission))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil))[:12])
}

// testMessageID is the Message-ID of the message of kind sent to mission
// (about session, when not ""), in jobs' form
// <kind.28.MISSION[.SESSION].HEX@domain>, with a random part derived from
// its key so the corpus can refer to it.
func testMessageID(kind, mission, session string) string {
	parts := []string{kind, strconv.Itoa(testUPR), mission}
	if session != "" {
		parts = append(parts, session)
	}
	key := strings.Join(parts, ".")
	sum := sha256.Sum256([]byte(key))
	return "<" + key + "." + hex.EncodeToString(sum[:8]) + "@" + testDomain + ">"
}

// testUID is the calendar UID of session's invitation to mission.
func testUID(session, mission string) string {
	return "pre" + strconv.Itoa(testUPR) + "-" + strings.ToLower(session) + "-" + strings.ToLower(mission) + "@" + testDomain
}

// fakeDirectory is storeDirectory over the embedded round, without a store.
type fakeDirectory struct {
	missions  map[string]bool
	tokens    map[string]string
	addresses map[string]string
	domains   map[string]string
	msgIDs    map[string]string
	sessions  []Session
	sessIDs   map[string]bool
}

var roundDirectory = sync.OnceValues(func() (*fakeDirectory, error) {
	ms, err := directory.Missions()
	if err != nil {
		return nil, err
	}
	_, ss, err := directory.Round28()
	if err != nil {
		return nil, err
	}
	return newFakeDirectory(ms, ss), nil
})

func newFakeDirectory(ms []outreach.Mission, ss []outreach.Session) *fakeDirectory {
	d := &fakeDirectory{missions: map[string]bool{}, tokens: map[string]string{}, addresses: map[string]string{},
		domains: map[string]string{}, msgIDs: map[string]string{}, sessIDs: map[string]bool{}}
	names := map[string]outreach.Names{}
	for _, m := range ms {
		d.missions[m.ID] = true
		names[m.ID] = m.Names
		d.tokens[testToken(m.ID)] = m.ID
		for _, c := range m.Contacts {
			d.addresses[strings.ToLower(c.Email)] = m.ID
		}
		for _, dom := range m.Domains {
			d.domains[strings.ToLower(dom)] = m.ID
		}
		d.msgIDs[testMessageID("invitation", m.ID, "")] = m.ID
		d.msgIDs[testMessageID("reminder", m.ID, "")] = m.ID
		for _, s := range ss {
			d.msgIDs[testMessageID("confirmation", m.ID, s.SuR)] = m.ID
		}
	}
	for _, s := range ss {
		n := names[s.SuR]
		all := append([]string{n.EN, n.FR, n.ES}, Aliases(s.SuR)...)
		d.sessions = append(d.sessions, Session{SuR: s.SuR, Names: all, Cancelled: s.Status == outreach.Cancelled, Start: s.Start})
		d.sessIDs[s.SuR] = true
	}
	return d
}

func (d *fakeDirectory) ByUID(uid string) (string, string, bool) {
	local, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(uid)), "@")
	if !ok || domain != testDomain {
		return "", "", false
	}
	parts := strings.Split(local, "-")
	if len(parts) != 3 || parts[0] != "pre"+strconv.Itoa(testUPR) {
		return "", "", false
	}
	session, mission := strings.ToUpper(parts[1]), strings.ToUpper(parts[2])
	if !d.missions[mission] || !d.sessIDs[session] {
		return "", "", false
	}
	return mission, session, true
}

func (d *fakeDirectory) ByToken(token string) (string, bool) {
	m, ok := d.tokens[strings.ToLower(token)]
	return m, ok
}

func (d *fakeDirectory) ByMessageID(id string) (string, bool) {
	m, ok := d.msgIDs[strings.TrimSpace(id)]
	return m, ok
}

func (d *fakeDirectory) ByAddress(addr string) (string, bool) {
	m, ok := d.addresses[strings.ToLower(addr)]
	return m, ok
}

func (d *fakeDirectory) ByDomain(domain string) (string, bool) {
	m, ok := d.domains[strings.ToLower(domain)]
	return m, ok
}

func (d *fakeDirectory) Mailbox() string     { return testMailbox }
func (d *fakeDirectory) Sessions() []Session { return d.sessions }

func testDirectory(t testing.TB) *fakeDirectory {
	t.Helper()
	d, err := roundDirectory()
	if err != nil {
		t.Fatalf("test directory: %v", err)
	}
	return d
}

// TestFakeDirectory checks the test round against what the daemon sends:
// every mission reachable by token, address and domain, every session's
// UID mapped, and nothing else.
func TestFakeDirectory(t *testing.T) {
	d := testDirectory(t)
	if len(d.missions) != 195 {
		t.Errorf("missions: %d, want 195", len(d.missions))
	}
	if len(d.sessions) != 14 {
		t.Fatalf("sessions: %d, want 14", len(d.sessions))
	}
	if len(d.tokens) != len(d.missions) {
		t.Errorf("tokens: %d distinct for %d missions", len(d.tokens), len(d.missions))
	}
	if m, s, ok := d.ByUID("PRE28-KOR-JPN@Presessions.Example"); !ok || m != "JPN" || s != "KOR" {
		t.Errorf("ByUID(our UID) = %q %q %v, want JPN KOR", m, s, ok)
	}
	for _, uid := range []string{"pre27-kor-jpn@presessions.example", "pre28-fra-jpn@presessions.example",
		"pre28-kor-xxx@presessions.example", "pre28-kor-jpn@elsewhere.example", "pre28-kor@presessions.example", ""} {
		if _, _, ok := d.ByUID(uid); ok {
			t.Errorf("ByUID(%q) found, want not", uid)
		}
	}
	if m, ok := d.ByToken(strings.ToUpper(testToken("PER"))); !ok || m != "PER" {
		t.Errorf("ByToken = %q %v, want PER", m, ok)
	}
	if m, ok := d.ByAddress("Geneva@KOR.mission.example"); !ok || m != "KOR" {
		t.Errorf("ByAddress = %q %v, want KOR", m, ok)
	}
	if m, ok := d.ByDomain("fra.mission.example"); !ok || m != "FRA" {
		t.Errorf("ByDomain = %q %v, want FRA", m, ok)
	}
	if m, ok := d.ByMessageID(testMessageID("invitation", "ESP", "")); !ok || m != "ESP" {
		t.Errorf("ByMessageID = %q %v, want ESP", m, ok)
	}
	if _, ok := d.ByMessageID("<invitation.28.ESP.0000000000000000@presessions.example>"); ok {
		t.Error("ByMessageID found a Message-ID never sent")
	}
	// Sessions carry their start in Geneva: Peru's is 12 October at 10:00.
	for _, s := range d.Sessions() {
		if s.Start.IsZero() {
			t.Errorf("session %s without a start", s.SuR)
		}
		if s.SuR == "PER" {
			if got := s.Start.Format("2 January 2006 15:04 MST"); got != "12 October 2017 10:00 CEST" {
				t.Errorf("Peru's pre-session starts %s, want 12 October 2017 10:00 CEST", got)
			}
		}
	}
}
