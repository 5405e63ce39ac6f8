package reply

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"outreach"
)

// expectation is a corpus message's .json: what `outreach rsvp classify
// --json` must print for it, plus an optional substring of the reason.
type expectation struct {
	Kind           string            `json:"kind"`
	Mission        *string           `json:"mission"`
	Sessions       map[string]string `json:"sessions"`
	Delegates      *int              `json:"delegates"`
	BouncedAddress *string           `json:"bounced_address"`
	Reason         string            `json:"reason"`
	// Note says, for the reader of the corpus, what the message tests.
	Note string `json:"note"`
}

type corpusMessage struct {
	name string
	raw  []byte
	want expectation
}

func loadCorpus(t testing.TB) []corpusMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no corpus in testdata/corpus")
	}
	sort.Strings(files)
	var out []corpusMessage
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err != nil {
			t.Fatalf("%s: no expectation: %v", f, err)
		}
		var want expectation
		dec := json.NewDecoder(strings.NewReader(string(js)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%s.json: %v", strings.TrimSuffix(f, ".eml"), err)
		}
		out = append(out, corpusMessage{name: strings.TrimSuffix(filepath.Base(f), ".eml"), raw: raw, want: want})
	}
	return out
}

// TestCorpus classifies every message of testdata/corpus against the
// real round and compares the result with its .json.
func TestCorpus(t *testing.T) {
	dir := testDirectory(t)
	corpus := loadCorpus(t)
	kinds := map[string]int{}
	for _, c := range corpus {
		kinds[c.want.Kind]++
		t.Run(c.name, func(t *testing.T) {
			got := Classify(c.raw, dir)
			checkResult(t, got, c.want)
		})
	}
	// The corpus must keep covering every kind.
	for _, k := range []Kind{RSVP, Bounce, Delayed, AutoReply, Review, Unrelated} {
		if kinds[k.String()] == 0 {
			t.Errorf("the corpus has no message of kind %s", k)
		}
	}
}

func checkResult(t *testing.T, got Result, want expectation) {
	t.Helper()
	if got.Reason == "" {
		t.Error("empty Reason")
	}
	if got.Kind.String() != want.Kind {
		t.Errorf("kind = %s, want %s (reason: %s)", got.Kind, want.Kind, got.Reason)
	}
	wantMission := ""
	if want.Mission != nil {
		wantMission = *want.Mission
	}
	if got.Mission != wantMission {
		t.Errorf("mission = %q (match %q), want %q (reason: %s)", got.Mission, got.Match, wantMission, got.Reason)
	}
	gotSessions := map[string]string{}
	for id, st := range got.Sessions {
		gotSessions[id] = st.String()
	}
	if want.Sessions == nil {
		want.Sessions = map[string]string{}
	}
	if !equalMaps(gotSessions, want.Sessions) {
		t.Errorf("sessions = %v, want %v (reason: %s)", gotSessions, want.Sessions, got.Reason)
	}
	if got.Kind == RSVP && len(got.Sessions) == 0 {
		t.Error("an RSVP without sessions")
	}
	if got.Kind != RSVP && len(got.Sessions) > 0 {
		t.Errorf("a %s with sessions %v", got.Kind, got.Sessions)
	}
	for _, st := range got.Sessions {
		if st == outreach.None {
			t.Errorf("a session answered %q", st)
		}
	}
	wantDelegates := 0
	if want.Delegates != nil {
		wantDelegates = *want.Delegates
	}
	if got.Delegates != wantDelegates {
		t.Errorf("delegates = %d %q, want %d", got.Delegates, got.DelegateNames, wantDelegates)
	}
	wantBounced := ""
	if want.BouncedAddress != nil {
		wantBounced = *want.BouncedAddress
	}
	if got.BouncedAddress != wantBounced {
		t.Errorf("bounced address = %q, want %q", got.BouncedAddress, wantBounced)
	}
	if want.Reason != "" && !strings.Contains(got.Reason, want.Reason) {
		t.Errorf("reason = %q, want it to contain %q", got.Reason, want.Reason)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestCorpusScore reports how many corpus messages are read exactly as
// expected, and fails on any session recorded as accepted that the
// message's expectation does not accept: the one mistake staff cannot see.
func TestCorpusScore(t *testing.T) {
	dir := testDirectory(t)
	corpus := loadCorpus(t)
	exact, wrongAccepted := 0, 0
	for _, c := range corpus {
		got := Classify(c.raw, dir)
		ok := got.Kind.String() == c.want.Kind
		gotSessions := map[string]string{}
		for id, st := range got.Sessions {
			gotSessions[id] = st.String()
			if got.Kind == RSVP && st == outreach.Accepted && (c.want.Kind != "rsvp" || c.want.Sessions[id] != "accepted") {
				wrongAccepted++
				t.Errorf("%s: %s recorded as accepted, not expected", c.name, id)
			}
		}
		want := c.want.Sessions
		if want == nil {
			want = map[string]string{}
		}
		if ok && equalMaps(gotSessions, want) {
			exact++
		}
	}
	t.Logf("corpus: %d of %d messages exact (kind and sessions), %d wrong accepted", exact, len(corpus), wrongAccepted)
}
