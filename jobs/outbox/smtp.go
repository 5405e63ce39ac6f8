package outbox

import (
	"context"

	"outreach/mailer"
	"outreach/message"
)

// SMTP adapts an SMTP client to Sender; nil gives nil.
func SMTP(s *mailer.Sender) Sender {
	if s == nil {
		return nil
	}
	return smtpSender{s}
}

type smtpSender struct{ s *mailer.Sender }

func (a smtpSender) Dial(ctx context.Context) (Conn, error) {
	c, err := a.s.Dial(ctx)
	if err != nil {
		return nil, err
	}
	return smtpConn{c}, nil
}

// smtpConn is a *mailer.Conn whose Begin returns the Pending port.
type smtpConn struct{ *mailer.Conn }

func (c smtpConn) Begin(ctx context.Context, m *message.Message) (Pending, error) {
	p, err := c.Conn.Begin(ctx, m)
	if p == nil {
		return nil, err
	}
	return p, err
}
