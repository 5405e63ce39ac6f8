package clientcheck

import (
	"fmt"
	"strings"
)

// Email is Python's reading of one message (email.message_from_bytes with
// policy=default).
type Email struct {
	// Defects lists every defect the parser registered on the message, on
	// any part and on any header, each prefixed with where it was found.
	Defects []string `json:"defects"`
	// Headers are the message's header fields in order, values decoded
	// (RFC 2047 words, folding).
	Headers [][2]string `json:"headers"`
	// Addresses holds the parsed addresses of From, To, Cc, Bcc, Reply-To
	// and Sender, keyed by lower-case header name.
	Addresses map[string][]MailAddress `json:"addresses"`
	// Root is the top of the tree of parts (the message itself).
	Root Part `json:"root"`
}

// MailAddress is one address of an address header.
type MailAddress struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Part is one MIME part.
type Part struct {
	// Path numbers the part as IMAP does: "" for the message, "1", "2.1".
	Path        string `json:"path"`
	ContentType string `json:"content_type"` // lower-case type/subtype
	// Params are the Content-Type parameters, keys lower-case (charset,
	// method, name, boundary...).
	Params           map[string]string `json:"params"`
	Disposition      string            `json:"disposition"` // inline, attachment or ""
	Filename         string            `json:"filename"`    // decoded (RFC 2231)
	TransferEncoding string            `json:"transfer_encoding"`
	// Headers are the part's own header fields (none for the root: see
	// Email.Headers).
	Headers [][2]string `json:"headers"`
	Parts   []Part      `json:"parts"`
	// Body is a leaf part's content with the transfer encoding undone.
	Body []byte `json:"body"`
	// Text is a text/* leaf's content decoded from its charset.
	Text string `json:"text"`
}

// Header returns the first value of the named header field, or "".
func (e Email) Header(name string) string {
	for _, h := range e.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// Leaves returns the parts without sub-parts, depth first, in order.
func (p Part) Leaves() []Part {
	if len(p.Parts) == 0 {
		return []Part{p}
	}
	var out []Part
	for _, c := range p.Parts {
		out = append(out, c.Leaves()...)
	}
	return out
}

// Attachments returns the leaves whose disposition is attachment.
func (e Email) Attachments() []Part {
	var out []Part
	for _, l := range e.Root.Leaves() {
		if l.Disposition == "attachment" {
			out = append(out, l)
		}
	}
	return out
}

// EmailResult is the reading of one message in a batch: Err is set when
// the parser raised an error, not for defects (see Email.Defects).
type EmailResult struct {
	Email Email
	Err   error
}

// PyEmail parses one message with Python's email package.
func PyEmail(eml []byte) (Email, error) {
	rs, err := PyEmailAll([][]byte{eml})
	if err != nil {
		return Email{}, err
	}
	return rs[0].Email, rs[0].Err
}

// PyEmailAll parses every message in a few Python processes and returns
// one result per message in order. The error is for the run as a whole.
func PyEmailAll(emls [][]byte) ([]EmailResult, error) {
	raw, err := run[wireEmailResult](PyEmailParser, "email_parse.py", emls)
	if err != nil {
		return nil, err
	}
	out := make([]EmailResult, len(raw))
	for i, w := range raw {
		if w.Email == nil {
			out[i].Err = fmt.Errorf("%s: %s", PyEmailParser, w.Error)
			continue
		}
		fillBodies(&w.Email.Root)
		out[i].Email = *w.Email
	}
	return out, nil
}

// wireEmailResult is one result as email_parse.py writes it.
type wireEmailResult struct {
	Email *Email `json:"email"`
	Error string `json:"error"`
}

// fillBodies sets Body of the text leaves the script sent as Text only
// (those in UTF-8 or ASCII, where the bytes are the text's).
func fillBodies(p *Part) {
	for i := range p.Parts {
		fillBodies(&p.Parts[i])
	}
	if len(p.Parts) == 0 && p.Body == nil && p.Text != "" {
		p.Body = []byte(p.Text)
	}
}
