package message

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"outreach"
)

// Address is a mailbox (RFC 5322 §3.4): an optional display name and an
// addr-spec. Only ASCII addresses are supported (no SMTPUTF8); the display
// name may be any Unicode text and is RFC 2047 encoded when needed.
type Address struct {
	Name  string
	Email string
}

// Attachment is a file sent as a part of multipart/mixed with
// Content-Disposition: attachment (RFC 2183). ContentType may carry
// parameters, e.g. "text/calendar; charset=UTF-8; method=REQUEST"; the name
// parameter is set from Filename. A non-ASCII Filename is written with RFC
// 2231 parameter encoding. The content is always base64 encoded.
type Attachment struct {
	Filename    string
	ContentType string // default application/octet-stream
	Data        []byte
}

// Calendar is an inline iMIP body part (RFC 6047 §2.4): text/calendar with
// the method parameter, charset UTF-8, base64 encoded, placed as the last
// alternative after the text and HTML bodies. Method must equal the METHOD
// property inside Data (e.g. "REQUEST", "CANCEL").
type Calendar struct {
	Method string
	Data   []byte
}

// Error is a Message that cannot be composed as given: a required field
// missing, an address, header or attachment that is not valid. Nothing
// can be sent until the message is changed.
type Error struct{ Err error }

func (e *Error) Error() string { return "message: " + e.Err.Error() }

// Unwrap returns the problem found.
func (e *Error) Unwrap() error { return e.Err }

// Message is one email as outreach composes it.
//
// MessageID ("<local@domain>") and Date are chosen by the caller before the
// first attempt and kept for every retry, so that a copy sent twice is the
// same message, byte for byte. At least one of Text and HTML is required.
//
// Layout (RFC 2046): a single text part, or multipart/alternative(text/plain,
// text/html, text/calendar) for several bodies; with attachments,
// multipart/mixed(that body, attachments...). Bodies are UTF-8 and
// quoted-printable; the calendar part and attachments are base64.
type Message struct {
	MessageID    string // "<local@domain>", required
	From         Address
	To           []Address
	ReplyTo      *Address
	Subject      string
	Date         time.Time // required
	EnvelopeFrom string    // SMTP MAIL FROM (bounce address); defaults to From.Email
	// Headers are extra header fields, e.g. X-Auto-Response-Suppress,
	// In-Reply-To, References, Auto-Submitted; they are written sorted by
	// name with Date, MIME-Version and Message-ID. Fields this package writes itself (From, To, Subject, Date,
	// Message-ID, MIME-Version, Content-*...) are refused, as are
	// duplicates. Non-ASCII values are RFC 2047 encoded.
	Headers     [][2]string
	Text        string
	HTML        string
	Calendar    *Calendar
	Attachments []Attachment

	prepared []byte // set by Prepare
	// rendered: prepared is a buffer Render wrote, which Release gives
	// back (not bytes handed to Reuse).
	rendered bool
	// parts holds the attachments' data when a composer built them into
	// a buffer from PartsBuffer (OwnParts); Shed gives it back.
	parts []byte
}

// WriteTo writes the exact RFC 5322 bytes that mailer's Conn.Send transmits for m
// (before SMTP dot-stuffing), with CRLF line endings. The output depends only
// on m: multipart boundaries are derived from the content, so the same
// Message always renders the same bytes. An invalid Message gives a
// *Error.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	b, err := m.Render()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// headerSafe returns m, or a copy of it when anything changes, with the
// direction controls (U+202E...) taken out of every display name, the
// subject, extra header values and attachment names (outreach.HeaderText):
// what a mission or a sender wrote cannot make a header read as
// something else in a mail client.
func (m *Message) headerSafe() *Message {
	changed := false
	clean := func(p *string) {
		if v := outreach.HeaderText(*p); v != *p {
			*p, changed = v, true
		}
	}
	// First look without copying: almost every message has nothing to
	// take out.
	probe := []string{m.Subject, m.From.Name}
	for _, a := range m.To {
		probe = append(probe, a.Name)
	}
	if m.ReplyTo != nil {
		probe = append(probe, m.ReplyTo.Name)
	}
	for _, h := range m.Headers {
		probe = append(probe, h[1])
	}
	for _, a := range m.Attachments {
		probe = append(probe, a.Filename)
	}
	for i := range probe {
		clean(&probe[i])
	}
	if !changed {
		return m
	}
	c := *m
	clean(&c.Subject)
	clean(&c.From.Name)
	c.To = slices.Clone(m.To)
	for i := range c.To {
		clean(&c.To[i].Name)
	}
	if m.ReplyTo != nil {
		r := *m.ReplyTo
		clean(&r.Name)
		c.ReplyTo = &r
	}
	c.Headers = slices.Clone(m.Headers)
	for i := range c.Headers {
		clean(&c.Headers[i][1])
	}
	c.Attachments = slices.Clone(m.Attachments)
	for i := range c.Attachments {
		clean(&c.Attachments[i].Filename)
	}
	return &c
}

// reservedHeader reports whether the field (lower-case name) is written by
// this package and so may not be given in Message.Headers.
func reservedHeader(lower string) bool {
	switch lower {
	case "from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id",
		"mime-version", "return-path", "sender":
		return true
	}
	return strings.HasPrefix(lower, "content-")
}

// msgIDRE is the msg-id form we accept: "<" id-left "@" id-right ">" in
// printable ASCII without the characters that would make it ambiguous.
var msgIDRE = regexp.MustCompile(`^<[!#-'*+\-/-9=?A-Z^-~.]+@[!#-'*+\-/-9=?A-Z^-~.\[\]]+>$`)

// calMethodRE is an iCalendar method name (RFC 5545 §3.7.2: iana-token or x-name).
var calMethodRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// validate reports every problem of m at once.
func (m *Message) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if m.MessageID == "" {
		bad("Message-ID is required")
	} else if len(m.MessageID) > 250 || !msgIDRE.MatchString(m.MessageID) {
		bad("Message-ID %q is not of the form <local@domain>", m.MessageID)
	}
	if m.Date.IsZero() {
		bad("Date is required")
	} else if y := m.Date.Year(); y < 1900 || y > 9999 {
		bad("Date %s is out of range", m.Date)
	}
	errs = append(errs, checkAddress("From", m.From)...)
	if len(m.To) == 0 {
		bad("To: at least one recipient is required")
	}
	for i, a := range m.To {
		errs = append(errs, checkAddress(fmt.Sprintf("To[%d]", i), a)...)
	}
	if m.ReplyTo != nil {
		errs = append(errs, checkAddress("Reply-To", *m.ReplyTo)...)
	}
	if m.EnvelopeFrom != "" {
		if err := checkEmail(m.EnvelopeFrom); err != nil {
			bad("EnvelopeFrom: %w", err)
		}
	}
	if err := checkText(m.Subject, 900); err != nil {
		bad("Subject: %w", err)
	}
	seen := map[string]bool{}
	for i, h := range m.Headers {
		name, value := h[0], h[1]
		if err := checkHeaderName(name); err != nil {
			bad("Headers[%d]: %w", i, err)
			continue
		}
		lower := strings.ToLower(name)
		if reservedHeader(lower) {
			bad("Headers[%d]: %s is written by the mailer and cannot be set", i, name)
		}
		if seen[lower] {
			bad("Headers[%d]: %s given twice", i, name)
		}
		seen[lower] = true
		if err := checkText(value, 900); err != nil {
			bad("Headers[%d] %s: %w", i, name, err)
		}
	}
	if m.Text == "" && m.HTML == "" {
		bad("a text or HTML body is required")
	}
	if !utf8.ValidString(m.Text) {
		bad("Text is not valid UTF-8")
	}
	if !utf8.ValidString(m.HTML) {
		bad("HTML is not valid UTF-8")
	}
	if c := m.Calendar; c != nil {
		if err := checkCalendar(c); err != nil {
			bad("Calendar: %w", err)
		}
	}
	for i, a := range m.Attachments {
		if err := checkAttachment(a); err != nil {
			bad("Attachments[%d]: %w", i, err)
		}
	}
	return joinProblems(errs)
}

// joinProblems makes one error of several problems, on one line.
func joinProblems(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

func checkAddress(field string, a Address) []error {
	var errs []error
	if err := checkEmail(a.Email); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", field, err))
	}
	// A backslash is refused too: net/mail's Address.String, which writes
	// plain names, leaves it bare inside a Q-encoded word (RFC 2047 §5(3)
	// forbids it there) and then cannot parse its own output.
	if err := outreach.CheckDisplayName(a.Name); err != nil {
		errs = append(errs, fmt.Errorf("%s name: %w", field, err))
	}
	return errs
}

// checkEmail accepts an ASCII addr-spec (RFC 5322 §3.4.1) without display
// name, comments or angle brackets.
func checkEmail(s string) error {
	if s == "" {
		return errors.New("empty address")
	}
	if len(s) > 254 {
		return fmt.Errorf("address %.40q... is longer than 254 octets", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Errorf("address %q: only printable ASCII without spaces is supported", s)
		}
	}
	if plainAddrSpec(s) {
		// What net/mail parses as itself, without a name.
		return nil
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("address %q: %w", s, err)
	}
	if a.Name != "" || a.Address != s {
		return fmt.Errorf("address %q: give the bare addr-spec, not a name or <...>", s)
	}
	return nil
}

// plainAddrSpec reports whether s is dot-atom@dot-atom (RFC 5322
// §3.4.1) in printable ASCII: an address net/mail's ParseAddress gives
// back as it is, with no name (a test checks it).
func plainAddrSpec(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && dotAtom(local) && dotAtom(domain)
}

func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return false
		}
	}
	return true
}

// checkText accepts header text: valid UTF-8 without control characters
// (tab excepted), so no input can start a new header line. The rules are
// outreach.CheckHeaderText, which imports apply to the names they take in.
func checkText(s string, max int) error { return outreach.CheckHeaderText(s, max) }

// checkHeaderName accepts an RFC 5322 §3.6.8 field name.
func checkHeaderName(name string) error {
	if name == "" || len(name) > 76 {
		return fmt.Errorf("header name %q must have 1 to 76 characters", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return fmt.Errorf("header name %q: character %q is not allowed", name, c)
		}
	}
	return nil
}

func checkCalendar(c *Calendar) error {
	if !calMethodRE.MatchString(c.Method) {
		return fmt.Errorf("method %q is not an iCalendar method name", c.Method)
	}
	if len(c.Data) == 0 {
		return errors.New("no data")
	}
	if !utf8.Valid(c.Data) {
		return errors.New("data is not valid UTF-8")
	}
	found := ""
	for line := range strings.SplitSeq(string(c.Data), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) > 7 && strings.EqualFold(line[:7], "METHOD:") {
			found = line[7:]
			break
		}
	}
	if found == "" {
		return errors.New("no METHOD property in the data (RFC 6047 §2.4)")
	}
	if !strings.EqualFold(found, c.Method) {
		return fmt.Errorf("method parameter %q differs from METHOD:%s in the data (RFC 6047 §2.4)", c.Method, found)
	}
	return nil
}

func checkAttachment(a Attachment) error {
	if a.Filename == "" {
		return errors.New("filename is required")
	}
	if err := checkText(a.Filename, 200); err != nil {
		return fmt.Errorf("filename: %w", err)
	}
	if strings.ContainsAny(a.Filename, `/\`) {
		return fmt.Errorf("filename %q must not contain a path", a.Filename)
	}
	if a.ContentType != "" && !validTypes.has(a.ContentType) {
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
			return fmt.Errorf("content type %q: %w", a.ContentType, err)
		}
		validTypes.add(a.ContentType)
	}
	return nil
}

// validTypes are content types mime.ParseMediaType accepted: an
// invitation gives the same one to its 14 attachments.
var validTypes = typeSet{m: map[string]bool{}}

type typeSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *typeSet) has(ct string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[ct]
}

func (s *typeSet) add(ct string) {
	s.mu.Lock()
	if len(s.m) < 64 {
		s.m[ct] = true
	}
	s.mu.Unlock()
}

// Envelope returns the SMTP reverse-path and forward-paths (RFC 5321 §3.3),
// recipients de-duplicated so that nobody gets the message twice.
func (m *Message) Envelope() (from string, rcpts []string) {
	from = m.EnvelopeFrom
	if from == "" {
		from = m.From.Email
	}
	seen := map[string]bool{}
	for _, a := range m.To {
		k := strings.ToLower(a.Email)
		if !seen[k] {
			seen[k] = true
			rcpts = append(rcpts, a.Email)
		}
	}
	return from, rcpts
}

var errNilMessage = errors.New("nil message")

// Prepare renders m now and keeps the bytes, so that a later Send or
// WriteTo does not render again (the outbox renders the next message while
// the current one is being sent). m must not be changed afterwards.
func (m *Message) Prepare() error {
	if m == nil {
		return &Error{Err: errNilMessage}
	}
	if m.prepared != nil {
		return nil
	}
	b, err := m.Render()
	if err != nil {
		return err
	}
	m.prepared, m.rendered = b, true
	return nil
}

// Release gives back the buffer Prepare rendered m into, for another
// message to be rendered into, once m has gone (the outbox releases each
// message when the server has answered its end of data). m's bytes must
// not be used after: a Bytes slice taken before, or m sent or written
// again.
func (m *Message) Release() {
	if m == nil || m.prepared == nil {
		return
	}
	if m.rendered {
		bufs.put(m.prepared)
	}
	m.prepared, m.rendered = nil, false
}

// Shed lets go of what m was rendered from — its bodies, attachments and
// calendar — once Prepare has kept its bytes, so that a message waiting
// its turn holds its bytes alone (an invitation's parts are about as large
// again). Send, WriteTo and Bytes give the same bytes after it. It does
// nothing to a message not prepared.
func (m *Message) Shed() {
	if m == nil || m.prepared == nil {
		return
	}
	m.Text, m.HTML, m.Attachments, m.Calendar = "", "", nil, nil
	if m.parts != nil {
		partBufs.put(m.parts)
		m.parts = nil
	}
}

// partBufs holds buffers Shed gave back, for the next message's
// attachments to be built into.
var partBufs bufPool

// PartsBuffer returns an empty buffer of at least n bytes' capacity for a
// composer to build a message's attachments into (an invitation's 14
// calendars take about 40 KB): one given back by a message's Shed, or a
// new one. See OwnParts.
func PartsBuffer(n int) []byte { return partBufs.get(n) }

// OwnParts tells m that the data of its attachments lie in b, a buffer
// from PartsBuffer that nothing but m's attachments refers to: Shed, once
// m is rendered, gives b back for the next message's. A message never
// shed leaves b to the garbage collector.
func (m *Message) OwnParts(b []byte) { m.parts = b }

// Bytes returns the RFC 5322 bytes Send transmits for m, rendering them
// once (as Prepare does). m must not be changed afterwards.
func (m *Message) Bytes() ([]byte, error) {
	if err := m.Prepare(); err != nil {
		return nil, err
	}
	return m.prepared, nil
}

// Reuse makes data the bytes Send transmits for m, in place of rendering
// m: data are what Bytes returned for an earlier attempt of the same
// message (the same Message-ID and recipients), kept so that a message
// sent again is the same, byte for byte, Date and boundaries included.
// The envelope still comes from m (EnvelopeFrom or From, and To).
func (m *Message) Reuse(data []byte) {
	m.prepared, m.rendered = data, false
}

// sizeHint estimates the rendered size, so the message is written into
// one buffer of about its size: the header fields with room to encode
// their text, quoted-printable bodies a quarter larger (plain text and
// HTML in the three languages grow by less), base64 parts exactly, and
// room for each part's boundary and fields.
func (m *Message) sizeHint() int {
	n := 1024 + 3*len(m.Subject) + 3*len(m.From.Name) + len(m.From.Email)
	for _, a := range m.To {
		n += 8 + 3*len(a.Name) + len(a.Email)
	}
	if m.ReplyTo != nil {
		n += 3*len(m.ReplyTo.Name) + len(m.ReplyTo.Email)
	}
	for _, h := range m.Headers {
		n += 8 + len(h[0]) + 3*len(h[1])
	}
	for _, body := range []string{m.Text, m.HTML} {
		n += 256 + len(body) + len(body)/4
	}
	if m.Calendar != nil {
		n += 256 + base64LinesLen(len(m.Calendar.Data))
	}
	for _, a := range m.Attachments {
		// The name is written in both fields, encoded and as ASCII.
		n += 256 + len(a.ContentType) + 8*len(a.Filename) + base64LinesLen(len(a.Data))
	}
	return n
}

// base64LinesLen is the length of n bytes in base64Lines.
func base64LinesLen(n int) int {
	return (n+2)/3*4 + (n+56)/57*2
}

// mediaType is a parsed Content-Type.
type mediaType struct {
	typ    string
	params map[string]string
}

// attachmentHeaders returns the Content-Type and Content-Disposition
// values of an attachment of type ct named filename. Invitations name the
// same few files again and again, so the values are kept.
func attachmentHeaders(ct, filename string, types map[string]mediaType) (ctHeader, cdHeader string, err error) {
	k := [2]string{ct, filename}
	headerCache.mu.Lock()
	v, ok := headerCache.m[k]
	headerCache.mu.Unlock()
	if ok {
		return v[0], v[1], nil
	}
	mt, ok := types[ct]
	if !ok {
		typ, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return "", "", fmt.Errorf("content type %q: %w", ct, err)
		}
		mt = mediaType{typ, params}
		types[ct] = mt
	}
	params := maps.Clone(mt.params)
	params["name"] = filename
	ctHeader = mime.FormatMediaType(mt.typ, params)
	if ctHeader == "" {
		return "", "", fmt.Errorf("content type %q cannot be written", ct)
	}
	cdHeader = mime.FormatMediaType("attachment", map[string]string{"filename": filename})
	if cdHeader == "" {
		return "", "", fmt.Errorf("filename %q cannot be written", filename)
	}
	if fb := asciiFilename(filename); fb != filename {
		// The RFC 2231 form (name*=) is not read by every client; a plain
		// ASCII name beside it is, and readers that know RFC 2231 prefer
		// the starred one.
		ctHeader += "; name=\"" + fb + "\""
		cdHeader += "; filename=\"" + fb + "\""
	}
	headerCache.mu.Lock()
	if len(headerCache.m) < maxCachedHeaders {
		headerCache.m[k] = [2]string{ctHeader, cdHeader}
	}
	headerCache.mu.Unlock()
	return ctHeader, cdHeader, nil
}

// maxCachedHeaders bounds the attachment header cache; past it, the values
// are computed each time.
const maxCachedHeaders = 4096

var headerCache = struct {
	mu sync.Mutex
	m  map[[2]string][2]string
}{m: map[[2]string][2]string{}}

// foldText returns s as an RFC 5322 unstructured header value, folded so
// that lines stay within 78 characters. used is the length of "Name: ".
// Printable ASCII is folded at spaces; anything else (non-ASCII, text that
// looks like an encoded-word, very long words) becomes RFC 2047 Q-encoded
// words of at most 76 characters per line.
func foldText(s string, used int) string {
	if plainFoldable(s) {
		return foldWords(s, used)
	}
	return encodeWords(s, used)
}

func plainFoldable(s string) bool {
	if strings.Contains(s, "=?") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	for w := range strings.SplitSeq(s, " ") {
		if len(w) > 70 {
			return false
		}
	}
	return true
}

func foldWords(s string, used int) string {
	var b strings.Builder
	col := used
	for i, w := range strings.Split(s, " ") {
		switch {
		case i == 0:
		case w != "" && col+1+len(w) > 78:
			// Fold (RFC 5322 §2.2.3): the space becomes the folding
			// white space. Never fold at an empty word, which would leave
			// a line of white space only.
			b.WriteString("\r\n ")
			col = 1
		default:
			b.WriteString(" ")
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

func encodeWords(s string, used int) string {
	const prefix, suffix = "=?UTF-8?q?", "?="
	var b strings.Builder
	b.Grow(3*len(s) + (3*len(s)/48+1)*(len(prefix)+len(suffix)+3))
	var wordBuf, encBuf [96]byte
	word := wordBuf[:0]
	room := 76 - used - len(prefix) - len(suffix)
	// Encoded words break only after a space, which stays at the end of
	// the first word: readers that put a space between adjacent encoded
	// words (contrary to RFC 2047 §6.2) then still show whole words. A
	// word too long for a line is split between characters.
	for rest := s; rest != ""; {
		tok := rest
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			tok = rest[:i+1]
		}
		rest = rest[len(tok):]
		enc := qAppend(encBuf[:0], tok)
		if len(word) > 0 && len(word)+len(enc) > room {
			word, room = flushWord(&b, word), 76-1-len(prefix)-len(suffix)
		}
		if len(enc) <= room {
			word = append(word, enc...)
			continue
		}
		for i, r := range tok {
			var e []byte
			if r == utf8.RuneError {
				// An invalid byte is a rune of its own, written as
				// string(r) writes it: U+FFFD.
				e = qAppend(encBuf[:0], string(r))
			} else {
				e = qAppend(encBuf[:0], tok[i:i+utf8.RuneLen(r)])
			}
			if len(word) > 0 && len(word)+len(e) > room {
				word, room = flushWord(&b, word), 76-1-len(prefix)-len(suffix)
			}
			word = append(word, e...)
		}
	}
	b.WriteString(prefix)
	b.Write(word)
	b.WriteString(suffix)
	return b.String()
}

// flushWord ends an encoded word and its line, and returns word emptied.
func flushWord(b *strings.Builder, word []byte) []byte {
	b.WriteString("=?UTF-8?q?")
	b.Write(word)
	b.WriteString("?=\r\n ")
	return word[:0]
}

// formatAddresses writes an address list, one address per line after the
// first, display names as quoted strings or as encoded words broken only
// at spaces.
func formatAddresses(as []Address, used int) string {
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteString(",\r\n ")
			used = 1
		}
		addrLen := len(a.Email) + 2 // <addr>
		if a.Name == "" {
			writeAngle(&b, a.Email)
			continue
		}
		var name string
		if plainFoldable(a.Name) {
			name = quotedName(a.Name)
		} else {
			name = encodePhrase(a.Name, used)
		}
		b.WriteString(name)
		last := len(name)
		if k := strings.LastIndex(name, "\r\n"); k >= 0 {
			last = len(name) - k - 2
		} else {
			last += used
		}
		if last+1+addrLen > 78 {
			b.WriteString("\r\n ")
		} else {
			b.WriteString(" ")
		}
		writeAngle(&b, a.Email)
	}
	return b.String()
}

func writeAngle(b *strings.Builder, email string) {
	b.WriteByte('<')
	b.WriteString(email)
	b.WriteByte('>')
}

// quotedName is a display name of printable ASCII as net/mail's
// Address.String writes it: a quoted string, every quote and backslash
// escaped.
func quotedName(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 4)
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '\\' || c == '"' {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	b.WriteByte('"')
	return b.String()
}

// encodePhrase writes a display name that needs encoding as a phrase of
// plain atoms and encoded words: words of atext stay as they are, each run
// of other words becomes one encoded word (its spaces encoded), and lines
// fold between them. Python's address parser, unlike RFC 2047 §6.2, keeps
// the space between two adjacent encoded words, so they are avoided.
func encodePhrase(s string, used int) string {
	var pieces, run []string
	flushRun := func() {
		if len(run) == 0 {
			return
		}
		enc := encodeWords(strings.Join(run, " "), 1)
		pieces = append(pieces, strings.Split(enc, "\r\n ")...)
		run = run[:0]
	}
	for _, w := range strings.Split(s, " ") {
		if w != "" && isAtext(w) {
			flushRun()
			pieces = append(pieces, w)
			continue
		}
		run = append(run, w)
	}
	flushRun()
	var b strings.Builder
	col := used
	for i, p := range pieces {
		if i > 0 {
			if col+1+len(p) > 78 {
				b.WriteString("\r\n ")
				col = 1
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(p)
		col += len(p)
	}
	return b.String()
}

// isAtext reports whether w is an RFC 5322 atom and not an encoded word.
func isAtext(w string) bool {
	if strings.Contains(w, "=?") {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// qAppend appends s with the RFC 2047 §4.2 "Q" encoding, keeping only the
// characters §5(3) allows in any context.
func qAppend(b []byte, s string) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b = append(b, '_')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '!', c == '*', c == '+', c == '-', c == '/':
			b = append(b, c)
		default:
			b = append(b, '=', upperhex[c>>4], upperhex[c&0x0f])
		}
	}
	return b
}

// asciiFilename is filename with its accents dropped and any other
// character outside printable ASCII, or a quote or backslash, replaced by
// "_": the fallback name beside an RFC 2231 one.
func asciiFilename(filename string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(filename) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r > 0x20 && r < 0x7f && r != '"' && r != '\\':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte(' ')
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
