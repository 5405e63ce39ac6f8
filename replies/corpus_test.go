package replies

import (
	"encoding/json"
	"fmt"
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
	// KnownMiss, when set, says how the classifier is known to read the
	// message wrongly today. The expectation stays what a person reads;
	// TestCorpus logs the difference instead of failing, fails once the
	// message is read exactly (so the mark is removed), and TestCorpusScore
	// counts the message as not exact and still fails on a wrong "accepted".
	KnownMiss string `json:"known_miss"`
}

type corpusMessage struct {
	name string
	raw  []byte
	want expectation
	// heldOut: the message is in testdata/heldout.txt.
	heldOut bool
}

// loadHeldOut reads testdata/heldout.txt: the names of the held-out
// messages, one a line, # starting a comment.
func loadHeldOut(t testing.TB) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out[l] = true
		}
	}
	return out
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
	held := loadHeldOut(t)
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
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		out = append(out, corpusMessage{name: name, raw: raw, want: want, heldOut: held[name]})
		delete(held, name)
	}
	for name := range held {
		t.Errorf("testdata/heldout.txt names %s, which is not in the corpus", name)
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
			problems := resultProblems(got, c.want)
			if c.want.KnownMiss == "" {
				for _, p := range problems {
					t.Error(p)
				}
				return
			}
			if len(problems) == 0 {
				t.Errorf("marked known_miss (%s) but now read exactly: remove the mark", c.want.KnownMiss)
			}
			for _, p := range problems {
				t.Logf("known miss (%s): %s", c.want.KnownMiss, p)
			}
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
	for _, p := range resultProblems(got, want) {
		t.Error(p)
	}
}

// resultProblems lists how got differs from want.
func resultProblems(got Result, want expectation) []string {
	var out []string
	if got.Reason == "" {
		out = append(out, "empty Reason")
	}
	if got.Kind.String() != want.Kind {
		out = append(out, fmt.Sprintf("kind = %s, want %s (reason: %s)", got.Kind, want.Kind, got.Reason))
	}
	wantMission := ""
	if want.Mission != nil {
		wantMission = *want.Mission
	}
	if got.Mission != wantMission {
		out = append(out, fmt.Sprintf("mission = %q (match %q), want %q (reason: %s)", got.Mission, got.Match, wantMission, got.Reason))
	}
	gotSessions := map[string]string{}
	for id, st := range got.Sessions {
		gotSessions[id] = st.String()
	}
	if want.Sessions == nil {
		want.Sessions = map[string]string{}
	}
	if !equalMaps(gotSessions, want.Sessions) {
		out = append(out, fmt.Sprintf("sessions = %v, want %v (reason: %s)", gotSessions, want.Sessions, got.Reason))
	}
	if got.Kind == RSVP && len(got.Sessions) == 0 {
		out = append(out, "an RSVP without sessions")
	}
	if got.Kind != RSVP && len(got.Sessions) > 0 {
		out = append(out, fmt.Sprintf("a %s with sessions %v", got.Kind, got.Sessions))
	}
	for _, st := range got.Sessions {
		if st == outreach.None {
			out = append(out, fmt.Sprintf("a session answered %q", st))
		}
	}
	wantDelegates := 0
	if want.Delegates != nil {
		wantDelegates = *want.Delegates
	}
	if got.Delegates != wantDelegates {
		out = append(out, fmt.Sprintf("delegates = %d %q, want %d", got.Delegates, got.DelegateNames, wantDelegates))
	}
	wantBounced := ""
	if want.BouncedAddress != nil {
		wantBounced = *want.BouncedAddress
	}
	if got.BouncedAddress != wantBounced {
		out = append(out, fmt.Sprintf("bounced address = %q, want %q", got.BouncedAddress, wantBounced))
	}
	if want.Reason != "" && !strings.Contains(got.Reason, want.Reason) {
		out = append(out, fmt.Sprintf("reason = %q, want it to contain %q", got.Reason, want.Reason))
	}
	return out
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

// corpusScore is how one part of the corpus is read.
type corpusScore struct {
	messages, exact, wrongAccepted int
}

func (s corpusScore) percent() float64 {
	if s.messages == 0 {
		return 0
	}
	return 100 * float64(s.exact) / float64(s.messages)
}

// TestCorpusScore reports, for the tuning part and the held-out part
// (testdata/heldout.txt) separately, how many corpus messages are read
// exactly as expected (kind and sessions), and fails on any session
// recorded as accepted that the message's expectation does not accept —
// the one mistake staff cannot see. It reports a part below its target
// (98 % exact on the tuning part, 95 % on the held-out part) without
// failing.
func TestCorpusScore(t *testing.T) {
	dir := testDirectory(t)
	corpus := loadCorpus(t)
	var tuning, heldOut corpusScore
	for _, c := range corpus {
		part := &tuning
		if c.heldOut {
			part = &heldOut
		}
		part.messages++
		got := Classify(c.raw, dir)
		ok := got.Kind.String() == c.want.Kind
		gotSessions := map[string]string{}
		for id, st := range got.Sessions {
			gotSessions[id] = st.String()
			if got.Kind == RSVP && st == outreach.Accepted && (c.want.Kind != "rsvp" || c.want.Sessions[id] != "accepted") {
				part.wrongAccepted++
				t.Errorf("%s: %s recorded as accepted, not expected", c.name, id)
			}
		}
		want := c.want.Sessions
		if want == nil {
			want = map[string]string{}
		}
		if ok && equalMaps(gotSessions, want) {
			part.exact++
		} else {
			t.Logf("not exact: %s: %s %v (%s)", c.name, got.Kind, gotSessions, got.Reason)
		}
	}
	all := corpusScore{tuning.messages + heldOut.messages, tuning.exact + heldOut.exact, tuning.wrongAccepted + heldOut.wrongAccepted}
	for _, p := range []struct {
		name   string
		s      corpusScore
		target float64
	}{{"tuning", tuning, 98}, {"held-out", heldOut, 95}, {"whole", all, 0}} {
		t.Logf("corpus %s part: %d of %d messages exact (%.1f %%), %d wrong accepted", p.name, p.s.exact, p.s.messages, p.s.percent(), p.s.wrongAccepted)
		if p.s.percent() < p.target {
			// Reported, not failed: the target is not reached yet, and the
			// expectations stay what a person reads.
			t.Logf("corpus %s part: %.1f %% exact, below the target of %.0f %%", p.name, p.s.percent(), p.target)
		}
	}
	if heldOut.messages*5 < all.messages {
		t.Errorf("the held-out part is %d of %d messages, less than a fifth", heldOut.messages, all.messages)
	}
}
