package templates

import (
	"html"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"outreach"
)

func FuzzAttachmentName(f *testing.F) {
	for _, s := range []string{"Japan", "Côte d'Ivoire", "Bolivia (Plurinational State of)", "../etc/passwd", "a\x00b", "\xff", " . ", "CON"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := AttachmentName(outreach.Names{EN: name}, outreach.English)
		if !strings.HasSuffix(got, ".ics") || !utf8.ValidString(got) {
			t.Fatalf("%q → %q", name, got)
		}
		stem := strings.TrimSuffix(got, ".ics")
		if stem == "" || strings.HasPrefix(stem, ".") || strings.HasSuffix(stem, " ") {
			t.Fatalf("%q → %q: empty or hidden stem", name, got)
		}
		for _, r := range stem {
			if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) {
				t.Fatalf("%q → %q holds %q", name, got, r)
			}
		}
	})
}

// FuzzParsePlaces reads arbitrary tables: an error or a table, never a
// panic, and every place it returns is complete and on one line.
func FuzzParsePlaces(f *testing.F) {
	data, err := os.ReadFile("files/places.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("en,fr,es\n\"a\nb\",x,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		places, err := parsePlaces(data)
		if err != nil {
			return
		}
		for _, p := range places {
			if p.en == "" || p.fr == "" || p.es == "" || strings.ContainsAny(p.en+p.fr+p.es, "\r\n") {
				t.Fatalf("incomplete place %+v", p)
			}
		}
	})
}

// FuzzInvitationTitle renders an invitation for a mission with an arbitrary
// title: the HTML must hold it escaped, never as markup.
func FuzzInvitationTitle(f *testing.F) {
	for _, s := range []string{"Permanent Mission of Japan", "<b>&", `"><script>alert(1)</script>`, "Mission permanente de l'État de Palestine", "{{.Title}}"} {
		f.Add(s)
	}
	s, err := Load("")
	if err != nil {
		f.Fatal(err)
	}
	r := loadRound(f)
	f.Fuzz(func(t *testing.T, title string) {
		if !utf8.ValidString(title) || strings.TrimSpace(outreach.HeaderText(title)) == "" {
			// No title at all once direction controls are dropped:
			// rendering refuses it ("has no title"), and `missions
			// check` reports the mission.
			return
		}
		d := r.data(t, "JPN")
		d.Mission.Titles = outreach.Names{EN: title}
		msg, err := s.Render(Invitation, outreach.English, d)
		if err != nil {
			t.Fatal(err)
		}
		// The title as shown: direction controls dropped (HeaderText).
		shown := outreach.HeaderText(title)
		if strings.ContainsAny(shown, "<>&\"'") && strings.Contains(msg.HTML, "the "+shown+" ") {
			t.Fatalf("title %q is in the HTML unescaped", title)
		}
		if !strings.Contains(msg.HTML, html.EscapeString(shown)) && !strings.Contains(msg.HTML, escapeLikeTemplate(shown)) {
			t.Fatalf("title %q (shown %q) is missing from the HTML", title, shown)
		}
	})
}

// escapeLikeTemplate escapes as html/template does in text, which writes
// '+' as &#43; and NUL as U+FFFD, where html.EscapeString leaves them.
func escapeLikeTemplate(s string) string {
	s = html.EscapeString(s)
	s = strings.ReplaceAll(s, "+", "&#43;")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
