package mailer

import (
	"bytes"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"outreach/message"
)

// goMailMsg is m as go-mail composes it, for the bare go-mail baseline:
// the same fields, bodies and attachments, in go-mail's own MIME (the
// byte-for-byte comparison with ours is package message's oracle test).
func goMailMsg(m *message.Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	msg.SetMessageIDWithValue(strings.Trim(m.MessageID, "<>"))
	msg.SetDateWithValue(m.Date)
	msg.FromMailAddress(&netmail.Address{Name: m.From.Name, Address: m.From.Email})
	to := make([]*netmail.Address, len(m.To))
	for i, a := range m.To {
		to[i] = &netmail.Address{Name: a.Name, Address: a.Email}
	}
	msg.ToMailAddress(to...)
	if m.ReplyTo != nil {
		msg.ReplyToMailAddress(&netmail.Address{Name: m.ReplyTo.Name, Address: m.ReplyTo.Email})
	}
	msg.Subject(m.Subject)
	for _, h := range m.Headers {
		msg.SetGenHeader(gomail.Header(h[0]), h[1])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		err := msg.AttachReader(a.Filename, bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType)), gomail.WithFileEncoding(gomail.EncodingB64))
		if err != nil {
			return nil, err
		}
	}
	return msg, nil
}
