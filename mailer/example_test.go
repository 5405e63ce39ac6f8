package mailer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"outreach/mailer"
)

// A message renders to the same bytes every time, which is what a dry run
// writes to an .eml file and what Send transmits.
func ExampleMessage_WriteTo() {
	m := &mailer.Message{
		MessageID: "<rem.r28.JPN.CIV.1@invites.example.org>",
		From:      mailer.Address{Name: "UPR Pre-sessions", Email: "rsvp@invites.example.org"},
		To:        []mailer.Address{{Name: "Mission permanente de la Côte d'Ivoire", Email: "mission.ci@mfa.example"}},
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

// One connection carries many messages; the error of each says what to do.
func ExampleConn_Send() {
	s, err := mailer.New(mailer.Options{
		Host:     "smtp.invites.example.org", // STARTTLS on 587 by default
		Username: "rsvp@invites.example.org",
		Password: "read from a secret file",
		HELO:     "outreach.invites.example.org",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	var queue []*mailer.Message // from the outbox
	conn, err := s.Dial(ctx)
	if err != nil {
		log.Fatal(err) // a connection problem: no message is at fault
	}
	defer conn.Close()
	for _, m := range queue {
		err := conn.Send(ctx, m)
		var e *mailer.Error
		switch {
		case err == nil:
			fmt.Println("sent", m.MessageID)
		case conn.Broken():
			// The connection failed, not m: dial again (temporary) or
			// stop for an operator (permanent), and send m again with
			// the same Message-ID.
			return
		case errors.As(err, &e) && e.Temporary:
			fmt.Println("deferred", m.MessageID, e.Code, e.Text)
		default:
			fmt.Println("failed", m.MessageID, err)
		}
	}
}
