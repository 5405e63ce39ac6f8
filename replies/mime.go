package replies

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
	maxMessage     = 32 << 20 // bytes of a message looked at
	maxHeader      = 256 << 10
	maxFields      = 2000
	maxField       = 64 << 10 // bytes of one unfolded header field
	maxDepth       = 20       // multipart and message/rfc822 nesting
	maxParts       = 500
	maxTextPart    = 1 << 20 // decoded bytes of a text part read
	maxCalendar    = 1 << 20 // the ical reader's own limit
	maxDSNPart     = 64 << 10
	maxTextRead    = 256 << 10 // text of a message searched for its own part
	maxLetter      = 32 << 10  // the sender's own text read for answers
	maxSentences   = 500       // sentences of it read
	maxHTML        = 1 << 20
	maxOriginalTxt = 2 << 20 // a bounced original quoted as text
)

// field is one header field: its name in lower case and its unfolded value.
type field struct{ name, value string }

// header is a message or part header, in order.
type header []field

func (h header) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

func (h header) has(name string) bool {
	for _, f := range h {
		if f.name == name {
			return true
		}
	}
	return false
}

func (h header) values(name string) []string {
	var out []string
	for _, f := range h {
		if f.name == name {
			out = append(out, f.value)
		}
	}
	return out
}

// parseHeader reads a header block leniently: LF or CRLF, folded lines,
// an mbox "From " line first, lines without a colon skipped. It returns
// the header and the body after the blank line (all of b when the blank
// line is missing and no field was found).
func parseHeader(b []byte) (header, []byte) {
	var h header
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
			if name != "" && !strings.ContainsAny(name, " \t") && len(h) < maxFields {
				h = append(h, field{name, strings.TrimSpace(string(cur[c+1:]))})
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
		if len(line) > maxField {
			line = line[:maxField]
		}
		if len(line) == 0 {
			flush()
			return h, b[next:]
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil && len(cur) < maxField {
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

// node is one MIME entity.
type node struct {
	hdr         header
	mediaType   string // lower-case, "text/plain" when absent
	params      map[string]string
	disposition string
	filename    string
	body        []byte // undecoded body
	kids        []*node
	inner       *node // the message inside a message/rfc822 part
	// embedded counts the message/rfc822 parts around this node: 0 for the
	// message's own parts, 1 inside an attached or bounced message.
	embedded int
}

func (n *node) isMultipart() bool { return strings.HasPrefix(n.mediaType, "multipart/") }

func (n *node) isAttachment() bool {
	return n.disposition == "attachment" || (n.filename != "" && n.disposition != "inline")
}

// walker parses a message tree within the package limits.
type walker struct {
	parts     int
	truncated bool
}

// parseMessage parses raw as a message whose parts are embedded levels
// deep in attached messages.
func (w *walker) parseMessage(raw []byte, depth, embedded int) *node {
	h, body := parseHeader(raw)
	return w.parseEntity(h, body, depth, embedded, "text/plain")
}

func (w *walker) parseEntity(h header, body []byte, depth, embedded int, defType string) *node {
	w.parts++
	n := &node{hdr: h, body: body, embedded: embedded}
	n.mediaType, n.params = parseContentType(h.get("content-type"), defType)
	if d := h.get("content-disposition"); d != "" {
		disp, p := parseParams(d)
		n.disposition = disp
		n.filename = p["filename"]
	}
	if n.filename == "" {
		n.filename = n.params["name"]
	}
	if depth >= maxDepth || w.parts >= maxParts {
		if n.isMultipart() || n.mediaType == "message/rfc822" {
			w.truncated = true
		}
		return n
	}
	switch {
	case n.isMultipart():
		boundary := n.params["boundary"]
		if boundary == "" {
			n.mediaType = "text/plain"
			return n
		}
		kidType := "text/plain"
		if n.mediaType == "multipart/digest" {
			kidType = "message/rfc822"
		}
		for _, p := range splitMultipart(body, boundary) {
			if w.parts >= maxParts {
				w.truncated = true
				break
			}
			kh, kb := parseHeader(p)
			n.kids = append(n.kids, w.parseEntity(kh, kb, depth+1, embedded, kidType))
		}
	case n.mediaType == "message/rfc822" || n.mediaType == "message/global":
		inner := decodeCTE(n.hdr.get("content-transfer-encoding"), body, maxMessage)
		n.inner = w.parseMessage(inner, depth+1, embedded+1)
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
			p[k] = decodeWords(val)
		}
	}
	return strings.ToLower(t), p
}

// decodeCTE undoes a Content-Transfer-Encoding, leniently, returning at
// most limit bytes. Unknown encodings are returned as they are.
func decodeCTE(cte string, b []byte, limit int) []byte {
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

// decodeBase64 decodes base64 ignoring white space and stray characters,
// with or without padding, stopping at the first '=' run or at limit.
func decodeBase64(b []byte, limit int) []byte {
	max := limit/3*4 + 4
	clean := make([]byte, 0, min(len(b), max))
	for _, c := range b {
		if len(clean) >= max {
			break
		}
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			// padding: the data ends here, unless more follows a line
			// later (concatenated base64 blocks are rare; stop).
			if len(clean)%4 != 0 {
				goto done
			}
		}
	}
done:
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

// toUTF8 converts text in charset cs to UTF-8. Undeclared, unknown or
// wrongly declared 8-bit text is read as windows-1252, what such mail
// nearly always is.
func toUTF8(b []byte, cs string) string {
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

// decodeWords decodes a header value's encoded words (RFC 2047); raw 8-bit
// bytes that are not UTF-8 are read as windows-1252.
func decodeWords(v string) string {
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

// mailbox is one address of an address header.
type mailbox struct{ name, addr string }

// parseAddresses reads an address list (RFC 5322 §3.4) leniently: when the
// list does not parse, every address-looking string is taken.
func parseAddresses(v string) []mailbox {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil {
		out := make([]mailbox, 0, len(list))
		for _, a := range list {
			out = append(out, mailbox{name: a.Name, addr: strings.ToLower(a.Address)})
		}
		return out
	}
	var out []mailbox
	dec := decodeWords(v)
	for _, a := range addrRe.FindAllString(dec, 20) {
		out = append(out, mailbox{addr: strings.ToLower(a)})
	}
	if len(out) == 1 {
		if i := strings.IndexByte(dec, '<'); i > 0 {
			out[0].name = strings.Trim(strings.TrimSpace(dec[:i]), `"`)
		}
	}
	return out
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.ToLower(addr[at+1:])
	}
	return ""
}

var msgIDRe = regexp.MustCompile(`<[^<>\s]+>`)

// msgIDs returns the <message-id>s in a header value, in order.
func msgIDs(v string) []string {
	return msgIDRe.FindAllString(v, 100)
}

// walk calls f for n and every node below it, attached messages included.
func walk(n *node, f func(*node)) {
	if n == nil {
		return
	}
	f(n)
	for _, k := range n.kids {
		walk(k, f)
	}
	walk(n.inner, f)
}

// text returns the decoded text of a leaf part as UTF-8, at most limit
// bytes of it decoded, format=flowed (RFC 3676) undone.
func (n *node) text(limit int) string {
	b := decodeCTE(n.hdr.get("content-transfer-encoding"), n.body, limit)
	s := toUTF8(b, n.params["charset"])
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if strings.EqualFold(n.params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(n.params["delsp"], "yes"))
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
