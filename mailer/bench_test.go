package mailer

import (
	"outreach/message"

	"context"
	"fmt"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

// benchMessages are invitation-shaped: text, HTML and 14 small .ics
// attachments, each with its own Message-ID (~30 KB rendered).
func benchMessages(n int) []*message.Message {
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = invitation(i)
		msgs[i].MessageID = fmt.Sprintf("<bench.%d@invites.example.org>", i)
	}
	return msgs
}

// BenchmarkSendOneConn sends invitation-shaped messages over one connection
// to a go-smtp sink that discards them: render + MAIL/RCPT/DATA per message.
func BenchmarkSendOneConn(b *testing.B) {
	ts := startServer(b, &backend{discard: true}, serveClear, nil)
	c := mustDial(b, mustNew(b, plainOptions(ts.port)))
	msgs := benchMessages(64)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Send(ctx, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkBareGoMail is the baseline: the same messages, built as go-mail
// Msgs (a fresh Msg per send, since go-mail never clears a Msg's SendError),
// sent by a bare go-mail DialAndSend over one connection to the same sink.
// go-mail adds a NOOP and an RSET around every message.
func BenchmarkBareGoMail(b *testing.B) {
	ts := startServer(b, &backend{discard: true}, serveClear, nil)
	client, err := gomail.NewClient("127.0.0.1", gomail.WithPort(ts.port),
		gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithHELO("client.test"))
	if err != nil {
		b.Fatal(err)
	}
	src := benchMessages(64)
	msgs := make([]*gomail.Msg, b.N)
	for i := range msgs {
		msg, err := goMailMsg(src[i%len(src)])
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = msg
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := client.DialAndSend(msgs...); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
