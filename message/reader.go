package message

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// Limits that bound the work spent on one message, whatever it holds.
const (
	MaxMessage = 32 << 20 // bytes of a message looked at
	maxHeader  = 256 << 10
	MaxFields  = 2000     // fields of one header kept
	MaxField   = 64 << 10 // bytes of one unfolded header field
	MaxDepth   = 20       // multipart and message/rfc822 nesting
	MaxParts   = 500      // parts of one message
	MaxHTML    = 1 << 20  // bytes of HTML turned into text
)

// Field is one header Field: its name in lower case and its unfolded value.
type Field struct{ Name, Value string }

// Header is a message or part Header, in order.
type Header []Field

func (h Header) Get(name string) string {
	for _, f := range h {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func (h Header) Has(name string) bool {
	for _, f := range h {
		if f.Name == name {
			return true
		}
	}
	return false
}

func (h Header) Values(name string) []string {
	var out []string
	for _, f := range h {
		if f.Name == name {
			out = append(out, f.Value)
		}
	}
	return out
}

// ParseHeader reads a header block leniently: LF or CRLF, folded lines,
// an mbox "From " line first, lines without a colon skipped. It returns
// the header and the body after the blank line (all of b when the blank
// line is missing and no field was found).
func ParseHeader(b []byte) (Header, []byte) {
	var h Header
	i := 0
	if bytes.HasPrefix(b, []byte("From ")) {
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			i = nl + 1
		}
	}
	var cur []byte
	flush := func() {
		if cur == nil {
			return
		}
		if c := bytes.IndexByte(cur, ':'); c > 0 {
			name := strings.ToLower(strings.TrimSpace(string(cur[:c])))
			if name != "" && !strings.ContainsAny(name, " \t") && len(h) < MaxFields {
				h = append(h, Field{Name: name, Value: strings.TrimSpace(string(cur[c+1:]))})
			}
		}
		cur = nil
	}
	for i < len(b) {
		if i > maxHeader {
			flush()
			return h, b[i:]
		}
		nl := bytes.IndexByte(b[i:], '\n')
		var line []byte
		next := len(b)
		if nl >= 0 {
			line = b[i : i+nl]
			next = i + nl + 1
		} else {
			line = b[i:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > MaxField {
			line = line[:MaxField]
		}
		if len(line) == 0 {
			flush()
			return h, b[next:]
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil && len(cur) < MaxField {
				cur = append(cur, ' ')
				cur = append(cur, bytes.TrimSpace(line)...)
			}
		} else {
			flush()
			if bytes.IndexByte(line, ':') > 0 {
				cur = append([]byte(nil), line...)
			} else if len(h) == 0 && i == 0 {
				// Not a header at all: the whole input is a body.
				return nil, b
			}
		}
		i = next
	}
	flush()
	return h, nil
}

// Part is one MIME entity.
type Part struct {
	Header      Header
	MediaType   string // lower-case, "text/plain" when absent
	Params      map[string]string
	Disposition string
	Filename    string
	Body        []byte // undecoded body
	Parts       []*Part
	Inner       *Part // the message inside a message/rfc822 part
	// Embedded counts the message/rfc822 parts around this node: 0 for the
	// message's own parts, 1 inside an attached or bounced message.
	Embedded int
}

func (n *Part) IsMultipart() bool { return strings.HasPrefix(n.MediaType, "multipart/") }

func (n *Part) IsAttachment() bool {
	return n.Disposition == "attachment" || (n.Filename != "" && n.Disposition != "inline")
}

// Walker parses a message tree within the package limits.
type Walker struct {
	parts     int
	Truncated bool // a part or nesting level was beyond the limits and not read
}

// ParseMessage parses raw as a message whose parts are embedded levels
// deep in attached messages.
func (w *Walker) ParseMessage(raw []byte, depth, embedded int) *Part {
	h, body := ParseHeader(raw)
	return w.parseEntity(h, body, depth, embedded, "text/plain")
}

func (w *Walker) parseEntity(h Header, body []byte, depth, embedded int, defType string) *Part {
	w.parts++
	n := &Part{Header: h, Body: body, Embedded: embedded}
	n.MediaType, n.Params = parseContentType(h.Get("content-type"), defType)
	if d := h.Get("content-disposition"); d != "" {
		disp, p := parseParams(d)
		n.Disposition = disp
		n.Filename = p["filename"]
	}
	if n.Filename == "" {
		n.Filename = n.Params["name"]
	}
	if depth >= MaxDepth || w.parts >= MaxParts {
		if n.IsMultipart() || n.MediaType == "message/rfc822" {
			w.Truncated = true
		}
		return n
	}
	switch {
	case n.IsMultipart():
		boundary := n.Params["boundary"]
		if boundary == "" {
			n.MediaType = "text/plain"
			return n
		}
		kidType := "text/plain"
		if n.MediaType == "multipart/digest" {
			kidType = "message/rfc822"
		}
		for _, p := range splitMultipart(body, boundary) {
			if w.parts >= MaxParts {
				w.Truncated = true
				break
			}
			kh, kb := ParseHeader(p)
			n.Parts = append(n.Parts, w.parseEntity(kh, kb, depth+1, embedded, kidType))
		}
	case n.MediaType == "message/rfc822" || n.MediaType == "message/global":
		inner := DecodeCTE(n.Header.Get("content-transfer-encoding"), body, MaxMessage)
		n.Inner = w.ParseMessage(inner, depth+1, embedded+1)
	}
	return n
}

// splitMultipart returns the parts of a multipart body between its
// delimiter lines (RFC 2046 §5.1.1), ignoring preamble and epilogue. A
// missing close delimiter ends the last part at the end of the body.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part's content
	pos := 0
	for pos < len(body) {
		k := bytes.Index(body[pos:], delim)
		if k < 0 {
			break
		}
		at := pos + k
		lineStart := at == 0 || body[at-1] == '\n'
		after := at + len(delim)
		closing := bytes.HasPrefix(body[after:], []byte("--"))
		rest := after
		if closing {
			rest += 2
		}
		// The delimiter line may carry only transport padding.
		eol := rest
		for eol < len(body) && (body[eol] == ' ' || body[eol] == '\t' || body[eol] == '\r') {
			eol++
		}
		if !lineStart || (eol < len(body) && body[eol] != '\n') {
			pos = after
			continue
		}
		if start >= 0 {
			end := at
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		if closing {
			return parts
		}
		if eol < len(body) {
			eol++ // past the LF
		}
		start = eol
		pos = eol
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// parseContentType reads a Content-Type value; a missing or unreadable one
// gives def (RFC 2045 §5.2).
func parseContentType(v, def string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return def, map[string]string{}
	}
	t, p := parseParams(v)
	if !strings.Contains(t, "/") {
		return def, p
	}
	return t, p
}

var paramRe = regexp.MustCompile(`(?i)([a-z0-9_*.\-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)`)

// parseParams reads "value; a=b" with RFC 2231 extended values. It
// falls back to a lenient reading when mime.ParseMediaType refuses the
// input, and decodes RFC 2047 words that clients put in file names.
func parseParams(v string) (string, map[string]string) {
	t, p, err := mime.ParseMediaType(v)
	if err != nil || p == nil {
		t = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		p = map[string]string{}
		if i := strings.IndexByte(v, ';'); i >= 0 {
			for _, m := range paramRe.FindAllStringSubmatch(v[i:], 50) {
				k := strings.ToLower(strings.TrimSuffix(m[1], "*"))
				val := m[2]
				if strings.HasPrefix(val, `"`) && len(val) >= 2 {
					val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
				}
				if _, dup := p[k]; !dup {
					p[k] = val
				}
			}
		}
	}
	for k, val := range p {
		if strings.Contains(val, "=?") {
			p[k] = DecodeWords(val)
		}
	}
	return strings.ToLower(t), p
}

// DecodeCTE undoes a Content-Transfer-Encoding, leniently, returning at
// most limit bytes. Unknown encodings are returned as they are.
func DecodeCTE(cte string, b []byte, limit int) []byte {
	// Some senders quote the value or add a comment or parameter:
	// "quoted-printable" (x), base64; ...
	cte = strings.ToLower(strings.TrimSpace(cte))
	if i := strings.IndexAny(cte, " \t;("); i >= 0 {
		cte = cte[:i]
	}
	switch strings.Trim(cte, `"'`) {
	case "base64":
		return decodeBase64(b, limit)
	case "quoted-printable":
		return decodeQP(b, limit)
	}
	if len(b) > limit {
		return b[:limit]
	}
	return b
}

// base64Digit maps each byte to the base64 digit decodeBase64 reads it
// as: itself for the standard alphabet, '+' and '/' for the URL-safe '-'
// and '_', 0 for a byte it skips.
var base64Digit = func() (t [256]byte) {
	for c := range 256 {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			t[c] = byte(c)
		case c == '-':
			t[c] = '+'
		case c == '_':
			t[c] = '/'
		}
	}
	return t
}()

// decodeBase64 decodes base64 ignoring white space and stray characters,
// with or without padding, stopping at the first '=' run or at limit.
func decodeBase64(b []byte, limit int) []byte {
	max := limit/3*4 + 4
	clean := make([]byte, 0, min(len(b), max))
	for _, c := range b {
		if len(clean) >= max {
			break
		}
		if d := base64Digit[c]; d != 0 {
			clean = append(clean, d)
		} else if c == '=' && len(clean)%4 != 0 {
			// padding: the data ends here, unless more follows a line
			// later (concatenated base64 blocks are rare; stop).
			break
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	out = out[:n]
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7): =XX, soft line
// breaks, and a lone '=' kept as it is.
func decodeQP(b []byte, limit int) []byte {
	out := make([]byte, 0, min(len(b), limit))
	for i := 0; i < len(b) && len(out) < limit; i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			i++
			continue
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			i += 2
			continue
		}
		if i+2 < len(b) {
			h1, ok1 := unhex(b[i+1])
			h2, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				out = append(out, h1<<4|h2)
				i += 2
				continue
			}
		}
		// "=" followed by spaces then a line end is a soft break too.
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		if j < len(b) && (b[j] == '\n' || b[j] == '\r') {
			if b[j] == '\r' && j+1 < len(b) && b[j+1] == '\n' {
				j++
			}
			i = j
			continue
		}
		out = append(out, c)
	}
	return out
}

// lookupCharset finds a decoder for a MIME charset name.
func lookupCharset(name string) encoding.Encoding {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
	if name == "" {
		return nil
	}
	if e, err := htmlindex.Get(name); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(name); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding("cs" + name); err == nil && e != nil {
		return e
	}
	return nil
}

// ToUTF8 converts text in charset cs to UTF-8. Undeclared, unknown or
// wrongly declared 8-bit text is read as windows-1252, what such mail
// nearly always is.
func ToUTF8(b []byte, cs string) string {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(cs), `"'`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "unicode-1-1-utf-8", "x-unknown", "unknown-8bit":
		if utf8.Valid(b) {
			return string(b)
		}
		return win1252(b)
	}
	if e := lookupCharset(cs); e != nil {
		if out, err := e.NewDecoder().Bytes(b); err == nil {
			return string(out)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return win1252(b)
}

func win1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// wordDecoder decodes RFC 2047 encoded words in any charset known here.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
	e := lookupCharset(cs)
	if e == nil {
		return in, nil
	}
	return e.NewDecoder().Reader(in), nil
}}

// DecodeWords decodes a header value's encoded words (RFC 2047); raw 8-bit
// bytes that are not UTF-8 are read as windows-1252.
func DecodeWords(v string) string {
	if !utf8.ValidString(v) {
		v = win1252([]byte(v))
	}
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

var addrRe = regexp.MustCompile(`[A-Za-z0-9._%+\-=!#$&'*/?^{|}~]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+`)

// FindAddresses returns up to n address-looking strings of s, as written:
// what a report gives when it names the failed recipients in prose.
func FindAddresses(s string, n int) []string { return addrRe.FindAllString(s, n) }

// Mailbox is one address of an address header.
type Mailbox struct{ Name, Addr string }

// ParseAddresses reads an address list (RFC 5322 §3.4) leniently: when the
// list does not parse, every address-looking string is taken.
func ParseAddresses(v string) []Mailbox {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil {
		out := make([]Mailbox, 0, len(list))
		for _, a := range list {
			out = append(out, Mailbox{Name: a.Name, Addr: strings.ToLower(a.Address)})
		}
		return out
	}
	var out []Mailbox
	dec := DecodeWords(v)
	for _, a := range addrRe.FindAllString(dec, 20) {
		out = append(out, Mailbox{Addr: strings.ToLower(a)})
	}
	if len(out) == 1 {
		if i := strings.IndexByte(dec, '<'); i > 0 {
			out[0].Name = strings.Trim(strings.TrimSpace(dec[:i]), `"`)
		}
	}
	return out
}

func DomainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.ToLower(addr[at+1:])
	}
	return ""
}

var msgIDRe = regexp.MustCompile(`<[^<>\s]+>`)

// MessageIDs returns the <message-id>s in a header value, in order.
func MessageIDs(v string) []string {
	return msgIDRe.FindAllString(v, 100)
}

// Walk calls f for n and every node below it, attached messages included.
func Walk(n *Part, f func(*Part)) {
	if n == nil {
		return
	}
	f(n)
	for _, k := range n.Parts {
		Walk(k, f)
	}
	Walk(n.Inner, f)
}

// Text returns the decoded Text of a leaf part as UTF-8, at most limit
// bytes of it decoded, format=flowed (RFC 3676) undone.
func (n *Part) Text(limit int) string {
	b := DecodeCTE(n.Header.Get("content-transfer-encoding"), n.Body, limit)
	s := ToUTF8(b, n.Params["charset"])
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if strings.EqualFold(n.Params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(n.Params["delsp"], "yes"))
	}
	return s
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676 §4):
// a line ending in a space continues on the next line of the same quote
// depth.
func unflow(s string, delsp bool) string {
	var out []string
	var para strings.Builder
	paraQ := -1
	emit := func() {
		if paraQ < 0 {
			return
		}
		line := para.String()
		if paraQ > 0 {
			line = strings.Repeat(">", paraQ) + " " + line
		}
		out = append(out, line)
		para.Reset()
		paraQ = -1
	}
	for _, l := range strings.Split(s, "\n") {
		q := 0
		for q < len(l) && l[q] == '>' {
			q++
		}
		content := strings.TrimPrefix(l[q:], " ")
		if paraQ >= 0 && q != paraQ {
			emit()
		}
		if paraQ < 0 {
			paraQ = q
		}
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delsp {
			content = content[:len(content)-1]
		}
		para.WriteString(content)
		if !soft {
			emit()
		}
	}
	emit()
	return strings.Join(out, "\n")
}
