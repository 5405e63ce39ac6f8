package message

import (
	"strings"
	"testing"
)

// A long Message-ID stays on the line of its field name: a value that
// starts on a continuation line reads, in some parsers, with a leading
// space.
func TestLongMessageIDNotFoldedAfterColon(t *testing.T) {
	m := simple("outreach.invitation.VAT.rev-0000000000000000000000000000000000000000000000000000000000000001")
	raw := string(render(t, m))
	for line := range strings.SplitSeq(raw, "\r\n") {
		if strings.HasPrefix(line, "Message-ID:") {
			if line != "Message-ID: "+m.MessageID {
				t.Errorf("Message-ID line %q, want the whole value on it", line)
			}
			return
		}
		if line == "" {
			break
		}
	}
	t.Fatal("no Message-ID line")
}

// Attachment names outside ASCII are written in the RFC 2231 form and, for
// clients that do not read it, as a plain name beside it.
func TestAttachmentNameFallback(t *testing.T) {
	m := simple("att")
	m.Attachments = []Attachment{{Filename: "Pré-session EPU - Côte d'Ivoire.ics", ContentType: "text/calendar; charset=UTF-8; method=REQUEST", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}}
	raw := string(render(t, m))
	unfolded := strings.ReplaceAll(raw, "\r\n ", " ")
	for _, want := range []string{`name*=utf-8''Pr%C3%A9-session`, `name="Pre-session EPU - Cote d'Ivoire.ics"`,
		`filename*=utf-8''Pr%C3%A9-session`, `filename="Pre-session EPU - Cote d'Ivoire.ics"`} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("attachment headers lack %s:\n%s", want, unfolded)
		}
	}
	_, p := parseRaw(t, []byte(raw))
	if got := p.Children[1].Filename; got != "Pré-session EPU - Côte d'Ivoire.ics" {
		t.Errorf("go-message reads the filename as %q, want the UTF-8 one", got)
	}
	if got := asciiFilename("Ça \"x\"\\y.ics"); got != "Ca _x__y.ics" {
		t.Errorf("asciiFilename = %q", got)
	}
}
