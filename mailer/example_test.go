package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"outreach/mailer"
	"outreach/message"
)

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
	var queue []*message.Message // from the outbox
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
