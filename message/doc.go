// Package message reads Internet mail (RFC 5322, MIME: RFC 2045–2049)
// leniently and within fixed limits, so that hostile or damaged mail costs
// bounded time and never panics: header blocks with folded lines and RFC
// 2047 encoded words, the tree of MIME parts with RFC 2231 parameters,
// base64 and quoted-printable as senders really write them, any charset
// golang.org/x/text knows (undeclared 8-bit text read as windows-1252),
// RFC 3676 format=flowed, address lists, HTML bodies turned into text, and
// the fields of delivery status reports (RFC 3464).
//
// It knows nothing of pre-sessions: package replies reads what the parts
// say.
package message
