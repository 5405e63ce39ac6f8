package message_test

import (
	"bytes"
	"log"
	"os"
	"time"

	"outreach/message"
)

// A message renders to the same bytes every time, which is what a dry run
// writes to an .eml file and what Send transmits.
func ExampleMessage_WriteTo() {
	m := &message.Message{
		MessageID: "<rem.r28.JPN.CIV.1@invites.example.org>",
		From:      message.Address{Name: "UPR Pre-sessions", Email: "rsvp@invites.example.org"},
		To:        []message.Address{{Name: "Mission permanente de la Côte d'Ivoire", Email: "mission.ci@mfa.example"}},
		Subject:   "Rappel : pré-session sur le Japon",
		Date:      time.Date(2017, 10, 3, 9, 0, 0, 0, time.UTC),
		Headers:   [][2]string{{"X-Auto-Response-Suppress", "OOF, AutoReply"}},
		Text:      "La pré-session sur le Japon a lieu le 10 octobre.\n",
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n")))
	// Output:
	// Date: Tue, 03 Oct 2017 09:00:00 +0000
	// MIME-Version: 1.0
	// Message-ID: <rem.r28.JPN.CIV.1@invites.example.org>
	// X-Auto-Response-Suppress: OOF, AutoReply
	// Subject: =?UTF-8?q?Rappel_=3A_pr=C3=A9-session_sur_le_Japon?=
	// From: "UPR Pre-sessions" <rsvp@invites.example.org>
	// To: Mission permanente de la =?UTF-8?q?C=C3=B4te?= d'Ivoire
	//  <mission.ci@mfa.example>
	// Content-Transfer-Encoding: quoted-printable
	// Content-Type: text/plain; charset=UTF-8
	//
	// La pr=C3=A9-session sur le Japon a lieu le 10 octobre.
}
