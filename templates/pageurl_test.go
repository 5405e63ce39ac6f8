package templates

import (
	"strings"
	"testing"

	"outreach"
)

// TestInvitationLinksTheReplyPage: with a reply page, the invitation gives
// its link and names the three ways to answer, in each language; without
// one it says nothing of it.
func TestInvitationLinksTheReplyPage(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := samples()[0]
	if d.PageURL == "" {
		t.Fatal("the first sample has no PageURL")
	}
	ways := map[outreach.Language]string{
		outreach.English: "three ways to answer: the reply page, a reply to this email, or the calendar invitations attached, one by one",
		outreach.French:  "trois façons de répondre : la page de réponse, une réponse à ce courriel, ou les invitations de calendrier jointes, une à une",
		outreach.Spanish: "tres formas de responder: la página de respuesta, una respuesta a este correo o las invitaciones de calendario adjuntas, una a una",
	}
	for _, l := range outreach.Languages {
		out, err := s.Render(Invitation, l, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Text, "\n  "+d.PageURL+"\n") || !strings.Contains(out.Text, ways[l]) {
			t.Errorf("%s text: no link on its own line or no three ways:\n%s", l, out.Text)
		}
		if !strings.Contains(out.HTML, `<a href="`+d.PageURL+`"`) {
			t.Errorf("%s HTML: no link", l)
		}
		bare := d
		bare.PageURL = ""
		out, err = s.Render(Invitation, l, bare)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.Text, ways[l][:12]) || strings.Contains(out.Text, "/r/") {
			t.Errorf("%s: the invitation speaks of a reply page there is none of", l)
		}
	}
}

// TestNoAnswerReminderLinksTheReplyPage: the nudge to a mission that has
// not answered carries its link too.
func TestNoAnswerReminderLinksTheReplyPage(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := samples()[0]
	for _, l := range outreach.Languages {
		out, err := s.Render(ReminderNoAnswer, l, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Text, "\n  "+d.PageURL+"\n") || !strings.Contains(out.HTML, `<a href="`+d.PageURL+`"`) {
			t.Errorf("%s: the reminder has no link to the reply page:\n%s", l, out.Text)
		}
	}
}
