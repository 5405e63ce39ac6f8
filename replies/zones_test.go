package replies

import (
	"strings"
	"testing"
)

// The zones of a French reply: the answer is read; the signature with the
// mission's letterhead, the attribution line and the quoted invitation are
// set aside.
func TestZonesOfAFrenchReply(t *testing.T) {
	text := strings.Join([]string{
		"Madame, Monsieur,",
		"",
		"La Mission permanente participera à la pré-session sur le Bénin.",
		"",
		"Cordialement,",
		"-- ",
		"Mission permanente de la République du Sénégal",
		"auprès de l'Office des Nations Unies à Genève",
		"Chemin des Crêts 5, 1218 Grand-Saconnex",
		"Tél. +41 22 000 00 00",
		"",
		"Le 15 sept. 2017 à 10:02, UPR Info <rsvp@presessions.example> a écrit :",
		"> UPR Info présente ses compliments à la Mission permanente de la République du Sénégal",
		"> et a l'honneur de l'inviter aux Pré-sessions de l'Examen périodique universel (EPU), qui se tiendront",
		"> du 10 au 13 octobre 2017.",
	}, "\n")
	z := findZones(text, testMailbox)
	if !strings.Contains(z.answer, "participera à la pré-session sur le Bénin") {
		t.Errorf("answer %q lost the mission's sentence", z.answer)
	}
	for _, aside := range []string{"Mission permanente de la République du Sénégal", "Grand-Saconnex", "a écrit", "présente ses compliments"} {
		if strings.Contains(z.answer, aside) {
			t.Errorf("answer holds %q, which is not the mission's answer:\n%s", aside, z.answer)
		}
	}
	if !strings.HasPrefix(z.signature, "Mission permanente de la République du Sénégal") || strings.Contains(z.signature, "a écrit") {
		t.Errorf("signature = %q, want the letterhead block up to the quote", z.signature)
	}
	if z.quotedLines == 0 {
		t.Errorf("nothing counted as quoted or signature: %+v", z)
	}
	if len(z.setAside()) == 0 {
		t.Error("nothing said to be set aside")
	}
}

// A forwarded message and an Outlook header block end the answer; a
// mission's sentence above them is the answer, whatever the forward says.
func TestZonesStopAtForwardedHeaders(t *testing.T) {
	text := strings.Join([]string{
		"Dear colleagues,",
		"Please note that Peru will not attend.",
		"",
		"________________________________",
		"From: Someone <someone@mfa.example>",
		"Sent: Monday, 2 October 2017 09:00",
		"To: Geneva Mission",
		"Subject: UPR pre-sessions",
		"",
		"We will attend all the pre-sessions.",
	}, "\n")
	z := findZones(text, testMailbox)
	if !strings.Contains(z.answer, "Peru will not attend") || strings.Contains(z.answer, "all the pre-sessions") || strings.Contains(z.answer, "From:") {
		t.Errorf("answer = %q, want only the text above the forwarded header", z.answer)
	}
}

// Our own invitation pasted without a header is set aside by its content;
// the mission's answer above it stays.
func TestZonesSetAsideThePastedInvitation(t *testing.T) {
	text := "We will attend the pre-session on Ghana.\n\n" + strings.Join(invitationPhrases[:8], "\n")
	z := findZones(text, testMailbox)
	if z.invitationLines == 0 {
		t.Fatalf("the invitation was not set aside: %+v", z)
	}
	if strings.TrimSpace(z.answer) != "We will attend the pre-session on Ghana." {
		t.Errorf("answer = %q", z.answer)
	}
}
