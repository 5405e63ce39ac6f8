package templates

import (
	"strings"
	"testing"

	"outreach"
)

// TestRenderedTextHasNoDirectionControls: a mission's title and a State's
// name holding U+202E (a store written before imports checked names) do
// not carry it into the subject, text, HTML or calendar text of a message;
// the caller's data is left as it was.
func TestRenderedTextHasNoDirectionControls(t *testing.T) {
	r := loadRound(t)
	s := mustLoad(t, "")
	d := r.data(t, "FRA")
	d.Mission.Titles.FR = "Mission \u202eelacol\u202c de la France"
	jpn := r.names["JPN"]
	jpn.EN, jpn.FR = "Ja\u202epan", "Ja\u2067pon\u2069"
	names := map[string]outreach.Names{}
	for k, v := range r.names {
		names[k] = v
	}
	names["JPN"] = jpn
	d.SuRNames = names
	msg, err := s.Render(Invitation, outreach.French, d)
	if err != nil {
		t.Fatal(err)
	}
	all := msg.Subject + msg.Text + msg.HTML + s.Summary(outreach.French, r.ev, jpn) +
		s.Description(outreach.French, r.ev, r.session(t, "JPN"), jpn)
	if strings.ContainsAny(all, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		t.Error("a direction control reached the message")
	}
	if !strings.Contains(msg.Text, "Mission elacol de la France") {
		t.Errorf("the title is not in the text as written without its controls:\n%s", msg.Text)
	}
	if d.SuRNames["JPN"].EN != "Ja\u202epan" || d.Mission.Titles.FR != "Mission \u202eelacol\u202c de la France" {
		t.Error("the caller's data was changed")
	}
}
