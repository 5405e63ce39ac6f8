package replies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every answer recorded can be explained: for each session, the words that
// decided it, from the sender's own text, the subject or the calendar
// reply — never from the invitation the message quotes.
func TestEveryAnswerIsExplained(t *testing.T) {
	dir := testDirectory(t)
	explained := 0
	for _, c := range loadCorpus(t) {
		got := Classify(c.raw, dir)
		if got.Kind != RSVP {
			if len(got.Because) > 0 {
				t.Errorf("%s: %s with explanations %v", c.name, got.Kind, got.Because)
			}
			continue
		}
		for id := range got.Sessions {
			bs := got.Because[id]
			if len(bs) == 0 {
				t.Errorf("%s: %s answered with nothing to explain it", c.name, id)
				continue
			}
			for _, b := range bs {
				switch b.Zone {
				case ZoneText, ZoneSubject, ZoneCalendar:
				default:
					t.Errorf("%s: %s explained from zone %q", c.name, id, b.Zone)
				}
				if strings.TrimSpace(b.Text) == "" {
					t.Errorf("%s: %s explained by empty words", c.name, id)
				}
				if b.Zone == ZoneText && quotesInvitation(b.Text) {
					t.Errorf("%s: %s explained by the invitation's own words: %q", c.name, id, b.Text)
				}
			}
			explained++
		}
	}
	t.Logf("%d answers explained", explained)
}

// quotesInvitation reports whether s is a sentence of the invitation
// (EN, FR, ES) rather than the mission's.
func quotesInvitation(s string) bool {
	for _, w := range []string{"presents its compliments to the Permanent Mission", "présente ses compliments",
		"saluda atentamente", "has the honour to invite", "a l'honneur d'inviter", "tiene el honor de invitar"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func TestExplainNamesTheDecidingWords(t *testing.T) {
	dir := testDirectory(t)
	read := func(name string) Result {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("testdata", "corpus", name+".eml"))
		if err != nil {
			t.Fatal(err)
		}
		return Classify(raw, dir)
	}
	only := func(r Result, id string) Because {
		t.Helper()
		if len(r.Because[id]) == 0 {
			t.Fatalf("%s: no explanation (reason %q)", id, r.Reason)
		}
		return r.Because[id][0]
	}

	// The invitation pasted below the answer: the answer is the one
	// sentence above it, and the paste is said to be set aside.
	r := read("quoted-paste-jpn-accept")
	if b := only(r, "JPN"); b.Zone != ZoneText || b.Text != "We will attend the pre-session on Japan." {
		t.Errorf("pasted invitation: JPN because %+v", b)
	}
	if len(r.SetAside) == 0 || !strings.Contains(r.SetAside[0], "our invitation") {
		t.Errorf("pasted invitation: set aside %q", r.SetAside)
	}

	// A blanket answer with an exception explains all fourteen by it.
	r = read("letter-blanket-en-all-except-ukraine-CAN")
	for _, id := range []string{"UKR", "JPN", "ARG"} {
		if b := only(r, id); b.Text != "Canada will attend all the pre-sessions except the one on Ukraine." {
			t.Errorf("blanket answer: %s because %+v", id, b)
		}
	}

	// A condition shows both the answer and what makes it tentative.
	r = read("letter-conditional-fr-sous-reserve")
	if b := only(r, "JPN"); !strings.Contains(b.Text, "participera à la pré-session sur le Japon") {
		t.Errorf("conditional: JPN because %+v", b)
	}

	// A calendar reply is explained by its ATTENDEE and PARTSTAT.
	r = read("outlook-accept-en")
	for id := range r.Sessions {
		if b := only(r, id); b.Zone != ZoneCalendar || !strings.Contains(b.Text, "PARTSTAT=ACCEPTED") || !strings.Contains(b.Text, "METHOD:REPLY") {
			t.Errorf("calendar reply: %s because %+v", id, b)
		}
	}
}
