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
	return pending(c.Conn.Begin(ctx, m))
}

// pending gives the Pending port of p, nil when p is.
func pending(p *mailer.Pending, err error) (Pending, error) {
	if p == nil {
		return nil, err
	}
	return smtpPending{p}, err
}

// smtpPending is a *mailer.Pending whose FinishThen returns the Opened
// port.
type smtpPending struct{ *mailer.Pending }

func (p smtpPending) FinishThen(ctx context.Context, next *message.Message) (Opened, error) {
	o, err := p.Pending.FinishThen(ctx, next)
	if o == nil {
		return nil, err
	}
	return smtpOpened{o}, err
}

// smtpOpened is a *mailer.Opened whose Begin returns the Pending port.
type smtpOpened struct{ *mailer.Opened }

func (o smtpOpened) Begin() (Pending, error) { return pending(o.Opened.Begin()) }
