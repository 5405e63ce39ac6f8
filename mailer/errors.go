package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
)

// Operation names carried in Error.Op. They say which step of the SMTP
// dialogue (RFC 5321 §3–4) failed, which decides what the caller may assume
// about the message.
const (
	OpCompose  = "compose"  // the Message was invalid; nothing was sent
	OpDial     = "dial"     // TCP connection
	OpTLS      = "tls"      // implicit TLS handshake (RFC 8314)
	OpGreeting = "greeting" // the server's 220 banner
	OpEHLO     = "ehlo"
	OpStartTLS = "starttls" // STARTTLS command and handshake (RFC 3207)
	OpAuth     = "auth"     // SMTP AUTH (RFC 4954)
	OpSend     = "send"     // Send on a connection that is broken or closed
	OpMail     = "mail"     // MAIL FROM
	OpRcpt     = "rcpt"     // RCPT TO
	OpData     = "data"     // DATA command, or the transfer of the content
	OpDataEnd  = "data-end" // the server's reply to the end of the content
	OpReset    = "rset"
	OpQuit     = "quit"
)

// ErrTokenRefused is wrapped by the OpAuth error returned when the OAuth2
// token endpoint refused the credentials or the grant (e.g. a revoked
// refresh token): like a refused AUTH, it needs an operator, and no SMTP
// command was sent.
var ErrTokenRefused = errors.New("the OAuth2 token endpoint refused the credentials")

// Error is the typed result of a failed Dial or Send.
//
// Temporary is true for 4xx replies and for every connection-level problem
// (refused dial, timeout, connection cut, 421): the same message may be tried
// again later. It is false for 5xx replies and for invalid messages: sending
// the same message again will fail the same way.
//
// Errors returned by Dial always concern the connection, never a message: a
// permanent one (AUTH refused, STARTTLS not offered, server certificate not
// trusted) needs an operator before any mail can go out, and must not be
// recorded against the messages waiting to be sent.
//
// Errors returned by Send concern that message, unless Conn.Broken reports
// true afterwards: then the error concerns the connection, which is
// unusable; the caller dials again when the error is temporary and stops
// for an operator when it is permanent (530 authentication required). A Send error with Op other than OpDataEnd guarantees that the
// server did not accept the message; see MaybeDelivered.
type Error struct {
	Temporary bool
	Code      int    // SMTP reply code (RFC 5321 §4.2), 0 when the server gave none
	Enhanced  string // enhanced status code (RFC 3463), e.g. "5.1.1", when the server gave one
	Text      string // the server's words, without the codes
	Op        string // one of the Op* constants
	Recipient string // the refused address, when Op is OpRcpt
	Err       error  // the underlying error, for errors.Is/As
}

// Error formats the failure for a log line or a staff report. It never
// contains credentials.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mailer: ")
	b.WriteString(e.Op)
	if e.Recipient != "" {
		b.WriteString(" <")
		b.WriteString(e.Recipient)
		b.WriteString(">")
	}
	b.WriteString(": ")
	switch {
	case e.Code != 0:
		if what := refusedWhat(e.Op); what != "" {
			b.WriteString(what)
			b.WriteString(": ")
		}
		b.WriteString(strconv.Itoa(e.Code))
		if e.Enhanced != "" {
			b.WriteString(" ")
			b.WriteString(e.Enhanced)
		}
		if e.Text != "" {
			b.WriteString(" ")
			b.WriteString(strings.ReplaceAll(e.Text, "\n", " / "))
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	} else {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

// refusedWhat names what the server refused, by operation.
func refusedWhat(op string) string {
	switch op {
	case OpGreeting:
		return "server refused the session"
	case OpEHLO:
		return "EHLO refused"
	case OpStartTLS:
		return "STARTTLS refused"
	case OpAuth:
		return "server refused the credentials"
	case OpMail:
		return "sender refused"
	case OpRcpt:
		return "recipient refused"
	case OpData:
		return "DATA refused"
	case OpDataEnd:
		return "message refused"
	}
	return ""
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// MaybeDelivered reports whether the whole message reached the server but
// its verdict was lost (timeout or cut connection while waiting for the reply
// to the end of data, RFC 5321 §4.1.1.4 and §6.1). The server may have
// accepted it; a retry must reuse the same Message-ID so the copy can be
// recognised downstream.
func (e *Error) MaybeDelivered() bool {
	return e.Op == OpDataEnd && e.Code == 0
}

// IsPermanent reports whether err carries an *Error that is permanent.
// An error that is neither temporary nor permanent did not come from this
// package.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Temporary
}

// enhancedRE matches an RFC 3463 status code at the start of a reply line.
var enhancedRE = regexp.MustCompile(`^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)`)

// replyError turns an SMTP reply into an *Error. The first digit of the
// reply code decides Temporary (RFC 5321 §4.2.1); the enhanced code, when
// present, is split off the text of every line.
func replyError(op string, tpe *textproto.Error) *Error {
	e := &Error{
		Op:        op,
		Code:      tpe.Code,
		Temporary: tpe.Code >= 400 && tpe.Code < 500,
		Err:       tpe,
	}
	lines := strings.Split(tpe.Msg, "\n")
	for i, line := range lines {
		if m := enhancedRE.FindStringSubmatch(line); m != nil {
			if e.Enhanced == "" {
				e.Enhanced = m[1] + "." + m[2] + "." + m[3]
			}
			lines[i] = line[len(m[0]):]
		}
	}
	e.Text = strings.TrimSpace(strings.Join(lines, "\n"))
	if tpe.Code < 400 || tpe.Code >= 600 {
		// A reply outside 4xx/5xx where another was expected (e.g. 250 to
		// DATA): a protocol violation that retrying may not cure, but the
		// message was not accepted. Treat as temporary and break the link.
		e.Temporary = true
	}
	return e
}

// classify builds the *Error for err returned by operation op, and reports
// whether the connection can still be used.
func classify(op string, err error) (e *Error, usable bool) {
	var already *Error
	if errors.As(err, &already) {
		return already, false
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		e := replyError(op, tpe)
		// 421: the server is closing the channel (RFC 5321 §3.8).
		if tpe.Code == 421 {
			return e, false
		}
		if tpe.Code < 400 || tpe.Code >= 600 {
			return e, false
		}
		return e, true
	}
	e = &Error{Op: op, Temporary: true, Err: err}
	if isCertError(err) {
		// The server's certificate is not trusted: retrying will not help
		// until an operator fixes the trust store or the server. Permanent
		// for the connection, and (being a Dial error) for no message.
		e.Temporary = false
	}
	return e, false
}

// isCertError reports whether err is a failure to verify the server's
// certificate, as opposed to a transport failure during the handshake.
func isCertError(err error) bool {
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var he x509.HostnameError
	var cie x509.CertificateInvalidError
	return errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie)
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ctxError wraps a context's end as a temporary *Error for op.
func ctxError(op string, ctx context.Context, cause error) *Error {
	err := ctx.Err()
	if cause != nil && !errors.Is(cause, err) {
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	return &Error{Op: op, Temporary: true, Err: err}
}
