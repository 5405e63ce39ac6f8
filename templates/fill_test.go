package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"outreach"
)

// fieldNames are the names of the fields kt fills in.
func fieldNames(kt *kindTemplates) []string {
	if kt.fill == nil {
		return nil
	}
	var names []string
	for _, h := range kt.fill.holes {
		names = append(names, h.name)
	}
	return names
}

// fillCases are missions' own fields as a directory may hold them: names
// with apostrophes, quotes and markup, reply addresses with characters
// HTML and URLs escape, reply pages with queries, fragments and a scheme
// that is not a web address, and values that are not plain text (double
// spaces, a line break, a no-break space), which are executed directly.
var fillCases = []struct{ title, reply, page string }{
	{"Mission permanente de la Côte d'Ivoire", "rsvp+CIV@presessions.example", "https://presessions.example/r/abc?x=1&y=2"},
	{`Mission "A" <b>&amp; + co</b>`, "o'brien+x@example.org", "javascript:alert(1)"},
	{"Misión Permanente de Türkiye", "a&b=c@example.org", "https://example.org/a b/%41%zz#frag"},
	{"Permanent Mission of Japan", "rsvp+JPN@presessions.example", ""},
	{"Mission  with a double space", "x@example.org", "https://presessions.example/r/1"},
	{"Mission\nacross two lines", "x@example.org", "https://presessions.example/r/2"},
	{"Mission\u00a0with a no-break space", "x\u00a0y@example.org", "https://presessions.example/r/3\u2028"},
}

// TestFilledMessagesAreTheExecutedOnes: every kind of message, in every
// language, filled in from a kept skeleton is the message the templates
// print when executed without any memo, byte for byte, whatever the
// mission's title, reply address and reply page hold; and filling did not
// stop (a skeleton that did not check would have stopped it, hiding a
// difference behind the direct execution).
func TestFilledMessagesAreTheExecutedOnes(t *testing.T) {
	s := mustLoad(t, "")
	ref := loadWithoutMemo(t, "")
	for _, l := range outreach.Languages {
		for _, k := range []Kind{Invitation, ReminderNoAnswer} {
			names := strings.Join(fieldNames(s.kinds[setKey{l, k}]), " ")
			for _, want := range []string{"Title", "ReplyTo", "PageURL"} {
				if !strings.Contains(" "+names+" ", " "+want+" ") {
					t.Errorf("%s/%s fills in %q, not %s", l, k, names, want)
				}
			}
		}
	}
	r := loadRound(t)
	for _, k := range Kinds() {
		for _, l := range k.languages() {
			for _, id := range []string{"BEN", "JPN", "CHE"} {
				for _, c := range fillCases {
					d := r.data(t, id)
					d.Mission.Titles = outreach.Names{EN: c.title, FR: c.title, ES: c.title}
					d.ReplyTo, d.PageURL = c.reply, c.page
					want, err := ref.Render(k, l, d)
					if err != nil {
						break // this kind needs more than these data
					}
					for range 2 {
						got, err := s.Render(k, l, d)
						if err != nil {
							t.Fatalf("%s/%s for %q: %v", l, k, c.title, err)
						}
						if got != want {
							t.Fatalf("%s/%s for %q, %q, %q differs from the templates executed:\n%s", l, k, c.title, c.reply, c.page,
								firstDiff(got.Subject+got.Text+got.HTML, want.Subject+want.Text+want.HTML))
						}
					}
				}
			}
			if f := s.kinds[setKey{l, k}].fill; f != nil && f.off.Load() {
				t.Errorf("%s/%s: filling stopped", l, k)
			}
		}
	}
}

// TestFieldTestedIsNotFilled: a template that compares a field, not only
// prints it, makes the field part of the skeleton's key: each mission
// gets the text its own title gives.
func TestFieldTestedIsNotFilled(t *testing.T) {
	dir := t.TempDir()
	src, err := embedded.ReadFile("files/en/invitation.txt.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	over := string(src) + "\n{{if eq .Title \"Permanent Mission of Japan\"}}With greetings to Japan.{{end}}\n"
	if err := os.MkdirAll(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en", "invitation.txt.tmpl"), []byte(over), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, dir)
	kt := s.kinds[setKey{outreach.English, Invitation}]
	if kt.fill == nil {
		t.Fatal("nothing filled in the overridden invitation")
	}
	if names := fieldNames(kt); strings.Contains(" "+strings.Join(names, " ")+" ", " Title ") {
		t.Fatalf("the title, compared in the text, is filled in: %v", names)
	}
	r := loadRound(t)
	for range 2 {
		for id, want := range map[string]bool{"JPN": true, "BEN": false, "CHE": false} {
			d := r.data(t, id)
			d.Mission.Titles.EN = map[bool]string{true: "Permanent Mission of Japan", false: "Permanent Mission of " + id}[want]
			m, err := s.Render(Invitation, outreach.English, d)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(m.Text, "With greetings to Japan."); got != want {
				t.Errorf("%s: greeting shown %v, want %v", id, got, want)
			}
		}
	}
}

// FuzzFill: any title, reply address and reply page give, filled in, the
// invitation the templates print executed.
func FuzzFill(f *testing.F) {
	for _, c := range fillCases {
		f.Add(c.title, c.reply, c.page)
	}
	s, err := Load("")
	if err != nil {
		f.Fatal(err)
	}
	memoizeBlocks = false
	ref, err := Load("")
	memoizeBlocks = true
	if err != nil {
		f.Fatal(err)
	}
	r := loadRound(f)
	f.Fuzz(func(t *testing.T, title, reply, page string) {
		for _, l := range []outreach.Language{outreach.English, outreach.French} {
			d := r.data(t, "BEN")
			d.Mission.Titles = outreach.Names{EN: title, FR: title}
			d.ReplyTo, d.PageURL = reply, page
			want, werr := ref.Render(Invitation, l, d)
			got, gerr := s.Render(Invitation, l, d)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s: error %v, executed: %v", l, gerr, werr)
			}
			if got != want {
				t.Fatalf("%s: filled in differs from executed:\n%s", l, firstDiff(got.Subject+got.Text+got.HTML, want.Subject+want.Text+want.HTML))
			}
			if kt := s.kinds[setKey{l, Invitation}]; kt.fill == nil || kt.fill.off.Load() {
				t.Fatalf("%s: filling stopped", l)
			}
		}
	})
}

// TestFillWhenEveryMessageHasItsOwnKey: reminders listing each mission's
// own answers have a skeleton key of their own each; every one is still
// the message executed, and once the keys have kept changing the
// reminders are executed directly instead of a skeleton being made for
// each.
func TestFillWhenEveryMessageHasItsOwnKey(t *testing.T) {
	s := mustLoad(t, "")
	ref := loadWithoutMemo(t, "")
	r := loadRound(t)
	surs := make([]string, 0, len(r.sessions))
	for _, ss := range r.sessions {
		surs = append(surs, ss.SuR)
	}
	n := 0
	for id := range r.missions {
		for j := 0; j < 3 && n < 60; j++ {
			d := r.data(t, id)
			d.Answers = map[string]outreach.Status{}
			// A different set of answers for each message.
			for k, sur := range surs {
				if (n+1)>>(k%6)&1 == 1 {
					d.Answers[sur] = []outreach.Status{outreach.Accepted, outreach.Declined, outreach.Tentative}[(n+k)%3]
				}
			}
			n++
			want, err := ref.Render(ReminderNoAnswer, outreach.English, d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Render(ReminderNoAnswer, outreach.English, d)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("message %d differs from the templates executed:\n%s", n, firstDiff(got.Text+got.HTML, want.Text+want.HTML))
			}
		}
	}
	f := s.kinds[setKey{outreach.English, ReminderNoAnswer}].fill
	if f == nil || f.off.Load() {
		t.Fatal("no fill plan for the reminder, or filling stopped")
	}
	if !f.kept.isOff() {
		t.Error("skeletons are still made after 60 messages, each with its own answers")
	}
}
