// Package message is Internet mail (RFC 5322, MIME: RFC 2045–2049) in both
// directions.
//
// It composes the messages outreach sends (Message; compose.go and
// render.go): invitations with .ics attachments, iMIP requests and
// cancellations (RFC 6047: text/calendar with the method parameter),
// reminders; RFC 2047 encoded words for non-ASCII header text, RFC 2231
// for non-ASCII file names. Its writer puts each message into one buffer
// of its size, several times faster than building a go-mail Msg, and a
// test holds its output equal to github.com/wneessen/go-mail's, boundaries
// aside. The same Message always renders the same bytes, so a message sent
// twice is the same message.
//
// It reads replies leniently and within fixed limits, so that hostile or
// damaged mail costs bounded time and never panics: header blocks with folded lines and RFC
// 2047 encoded words, the tree of MIME parts with RFC 2231 parameters,
// base64 and quoted-printable as senders really write them, any charset
// golang.org/x/text knows (undeclared 8-bit text read as windows-1252),
// RFC 3676 format=flowed, address lists, HTML bodies turned into text, and
// the fields of delivery status reports (RFC 3464).
//
// It knows nothing of pre-sessions: package replies reads what the parts
// say.
package message
