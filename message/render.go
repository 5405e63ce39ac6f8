package message

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"mime"
	"slices"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// The MIME writer. It writes the layout described on Message in one pass
// into one buffer sized ahead, so composing a 50 KB invitation with 14
// attachments costs one allocation of its size rather than a chain of
// growing buffers. Its output follows go-mail's writer field for field
// (header order and folding, part header order, quoted-printable and
// base64 line breaking), which a test checks against go-mail itself.

// Multipart boundaries are written first as placeholders of their final
// length, the message is hashed, and the placeholders are overwritten with
// "mixed.<hash>" and "alternative.<hash>": the same message always renders
// the same bytes, and a boundary made from the hash of the content does not
// occur in that content (RFC 2046 §5.1.1; the bodies are base64 or
// quoted-printable anyway).
const boundaryHashLen = 24 // hex digits

// contentHash is the boundaries' hash of b: 96 bits, from two checksums
// the processor computes at several bytes a cycle (xxHash64 and CRC-32C),
// where SHA-256 cost a tenth of composing an invitation. The boundary
// needs no secrecy, only to be the same for the same bytes and not to be
// found in them, which a 96-bit checksum of the content they enclose
// gives as well.
func contentHash(b []byte) string {
	var sum [boundaryHashLen / 2]byte
	binary.BigEndian.PutUint64(sum[:8], xxhash.Sum64(b))
	binary.BigEndian.PutUint32(sum[8:], crc32.Checksum(b, castagnoli))
	return hex.EncodeToString(sum[:])
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	mixedPlaceholder       = "mixed." + strings.Repeat("0", boundaryHashLen)
	alternativePlaceholder = "alternative." + strings.Repeat("0", boundaryHashLen)
)

// bufPool keeps byte buffers given back, for the next message's.
type bufPool struct{ p sync.Pool } // of *[]byte

// get returns an empty buffer of at least n bytes' capacity: one given
// back, or a new one.
func (bp *bufPool) get(n int) []byte {
	if p, _ := bp.p.Get().(*[]byte); p != nil && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]byte, 0, n)
}

// put gives b back; nothing may use it after.
func (bp *bufPool) put(b []byte) {
	b = b[:0]
	bp.p.Put(&b)
}

// bufs holds buffers given back by Release, for the next message to be
// rendered into: the outbox renders every invitation into about 64 KB,
// and sends it once.
var bufs bufPool

// writer appends a message to buf.
type writer struct {
	buf []byte
	// where the boundary placeholders were written, by kind.
	mixedAt, altAt []int
}

func (w *writer) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *writer) str(s string) { w.buf = append(w.buf, s...) }

// header writes a field as go-mail's writeHeader does for one value:
// folded between words so that lines stay within 76 characters where the
// words allow it.
func (w *writer) header(key, value string) {
	w.str(key)
	w.str(": ")
	room := 76 - 2 - len(key) - 2
	full := value
	for first := true; ; first = false {
		word, rest, more := strings.Cut(full, " ")
		// Never fold straight after the colon: a value that starts on a
		// continuation line reads, in some parsers, with a leading space
		// (a Message-ID of " <...>" matches no reference).
		if !first && room-len(word) <= 1 {
			// Fold: a space left at the end of the line is dropped.
			if n := len(w.buf); n > 0 && w.buf[n-1] == ' ' {
				w.buf = w.buf[:n-1]
			}
			w.str("\r\n ")
			room = 76 - 3
		}
		w.str(word)
		if !more {
			break
		}
		w.buf = append(w.buf, ' ')
		room -= 1 + len(word)
		full = rest
	}
	w.str("\r\n")
}

// boundary writes the placeholder of a boundary of kind ("mixed" or
// "alternative").
func (w *writer) boundary(kind string) {
	if kind == "mixed" {
		w.mixedAt = append(w.mixedAt, len(w.buf))
		w.str(mixedPlaceholder)
		return
	}
	w.altAt = append(w.altAt, len(w.buf))
	w.str(alternativePlaceholder)
}

// multipart is one multipart entity being written.
type multipart struct {
	w     *writer
	kind  string
	parts int
}

// delimiter starts the next body part: its boundary line.
func (mp *multipart) delimiter() {
	if mp.parts > 0 {
		mp.w.str("\r\n")
	}
	mp.parts++
	mp.w.str("--")
	mp.w.boundary(mp.kind)
	mp.w.str("\r\n")
}

// part starts a body part with the given header fields, already in the
// order they are written (go-mail sorts them by name).
func (mp *multipart) part(fields ...[2]string) {
	mp.delimiter()
	for _, f := range fields {
		mp.w.str(f[0])
		mp.w.str(": ")
		mp.w.str(f[1])
		mp.w.str("\r\n")
	}
	mp.w.str("\r\n")
}

// nested starts a body part that is itself a multipart entity of kind.
func (mp *multipart) nested(kind string) *multipart {
	mp.delimiter()
	mp.w.str("Content-Type: ")
	mp.w.multipartType(kind)
	mp.w.str("\r\n\r\n")
	return &multipart{w: mp.w, kind: kind}
}

func (mp *multipart) close() {
	mp.w.str("\r\n--")
	mp.w.boundary(mp.kind)
	mp.w.str("--\r\n")
}

// multipartType writes the Content-Type value of a multipart entity of
// kind, folded before its boundary.
func (w *writer) multipartType(kind string) {
	w.str("multipart/" + kind + ";\r\n boundary=")
	w.boundary(kind)
}

// quotedPrintable writes s quoted-printable (RFC 2045 §6.7) with CRLF line
// breaks, byte for byte as mime/quotedprintable's Writer does (a test
// checks it against that Writer): lines of at most 76 characters with soft
// line breaks, "=", controls and bytes past "~" encoded, a space or tab
// before a line break or at the end encoded, and CR, LF or CRLF written
// CRLF. It appends straight to the message's buffer, a run of plain bytes
// at a time, where the Writer goes byte by byte through a line buffer.
func (w *writer) quotedPrintable(s string) {
	const maxLine = 76 // as mime/quotedprintable's lineMaxLen
	buf := w.buf
	n := 0      // bytes on the current line
	cr := false // the last line break written was a CR
	for k := 0; k < len(s); {
		c := s[k]
		switch {
		case qpPlain(c):
			j := k + 1
			for j < len(s) && qpPlain(s[j]) {
				j++
			}
			for k < j {
				if n == maxLine-1 {
					buf = append(buf, '=', '\r', '\n')
					n = 0
				}
				m := min(j-k, maxLine-1-n)
				buf = append(buf, s[k:k+m]...)
				n += m
				k += m
			}
			cr = false
		case c == '\n' || c == '\r':
			k++
			if cr && c == '\n' {
				cr = false
				continue
			}
			cr = c == '\r'
			buf, _ = qpLastByte(buf, n)
			buf = append(buf, '\r', '\n')
			n = 0
		default:
			// Encoded; a CR just before stays pending, as in the Writer.
			k++
			buf, n = qpEncode(buf, n, c)
		}
	}
	w.buf, _ = qpLastByte(buf, n)
}

// qpPlain reports whether quoted-printable writes c as itself.
func qpPlain(c byte) bool { return qpPlainBytes[c] }

// qpPlainBytes are the bytes quoted-printable writes as themselves.
var qpPlainBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= '!' && c <= '~' && c != '=' || c == ' ' || c == '\t'
	}
	return t
}()

// qpEncode appends c as "=XX" to a line of n bytes, after a soft line
// break when the line has no room for it.
func qpEncode(buf []byte, n int, c byte) ([]byte, int) {
	const upperhex = "0123456789ABCDEF"
	if 76-1-n < 3 {
		buf = append(buf, '=', '\r', '\n')
		n = 0
	}
	return append(buf, '=', upperhex[c>>4], upperhex[c&0x0f]), n + 3
}

// qpLastByte encodes the line's last byte when it is a space or a tab,
// which would otherwise end a line.
func qpLastByte(buf []byte, n int) ([]byte, int) {
	if n == 0 {
		return buf, n
	}
	if c := buf[len(buf)-1]; c == ' ' || c == '\t' {
		return qpEncode(buf[:len(buf)-1], n-1, c)
	}
	return buf, n
}

// base64Lines writes data base64 encoded in lines of 76 characters, each
// ending in CRLF (57 input bytes make one line).
func (w *writer) base64Lines(data []byte) {
	const in = 57
	n := len(data)
	lines := (n + in - 1) / in
	w.buf = slices.Grow(w.buf, base64.StdEncoding.EncodedLen(n)+2*lines)
	for len(data) > 0 {
		chunk := data[:min(in, len(data))]
		data = data[len(chunk):]
		at := len(w.buf)
		enc := base64.StdEncoding.EncodedLen(len(chunk))
		w.buf = w.buf[:at+enc]
		base64.StdEncoding.Encode(w.buf[at:], chunk)
		w.buf = append(w.buf, '\r', '\n')
	}
}

// body is one alternative of the message body.
type body struct {
	contentType string
	text        string // quoted-printable
	data        []byte // base64 when text is empty
}

func (b body) fields() [][2]string {
	cte := "quoted-printable"
	if b.data != nil {
		cte = "base64"
	}
	return [][2]string{{"Content-Transfer-Encoding", cte}, {"Content-Type", b.contentType}}
}

func (w *writer) bodyContent(b body) error {
	if b.data != nil {
		w.base64Lines(b.data)
		return nil
	}
	w.quotedPrintable(b.text)
	return nil
}

// Render validates m and returns its RFC 5322 bytes (those Prepare kept,
// if any). An invalid m gives an *Error.
func (m *Message) Render() ([]byte, error) {
	if m != nil && m.prepared != nil {
		return m.prepared, nil
	}
	if m == nil {
		return nil, &Error{Err: errNilMessage}
	}
	m = m.headerSafe()
	if err := m.validate(); err != nil {
		return nil, &Error{Err: fmt.Errorf("message %s: %w", m.MessageID, err)}
	}
	b, err := m.write()
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("message %s: %w", m.MessageID, err)}
	}
	return b, nil
}

// write renders a validated message: the header, the body parts, then
// the boundaries, which are derived from everything written.
func (m *Message) write() ([]byte, error) {
	w := &writer{buf: bufs.get(m.sizeHint())}
	m.writeFields(w)
	m.writeAddresses(w)
	bodies := m.bodies()
	var err error
	switch {
	case len(m.Attachments) > 0:
		err = m.writeMixed(w, bodies)
	case len(bodies) > 1:
		w.str("Content-Type: ")
		w.multipartType("alternative")
		w.str("\r\n\r\n")
		alt := &multipart{w: w, kind: "alternative"}
		err = w.alternatives(alt, bodies)
		alt.close()
	default:
		for _, f := range bodies[0].fields() {
			w.header(f[0], f[1])
		}
		w.str("\r\n")
		err = w.bodyContent(bodies[0])
	}
	if err != nil {
		return nil, err
	}
	w.setBoundaries()
	return w.buf, nil
}

// writeFields writes the generic fields, sorted by name as go-mail writes
// them (values with non-ASCII text RFC 2047 Q-encoded), then the Subject.
func (m *Message) writeFields(w *writer) {
	type field struct{ name, value string }
	fields := make([]field, 0, 3+len(m.Headers))
	fields = append(fields,
		field{"Date", m.Date.Format("Mon, 02 Jan 2006 15:04:05 -0700")},
		field{"MIME-Version", "1.0"},
		field{"Message-ID", m.MessageID})
	for _, h := range m.Headers {
		fields = append(fields, field{h[0], mime.QEncoding.Encode("UTF-8", h[1])})
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
	for _, f := range fields {
		w.header(f.name, f.value)
	}
	if s := strings.TrimSpace(m.Subject); s != "" {
		// Folded so the first word stays on the first line: an encoded
		// Subject folded before its first word reads, in Python's parser
		// and maybe others, as a leading space.
		w.str("Subject: ")
		w.str(foldText(s, len("Subject: ")))
		w.str("\r\n")
	}
}

// writeAddresses writes From, To and Reply-To, display names as quoted
// strings or as encoded words broken only at spaces: some readers show a
// space where an encoded name is split between characters ("du C" /
// "ongo").
func (m *Message) writeAddresses(w *writer) {
	w.str("From: ")
	w.str(formatAddresses([]Address{m.From}, len("From: ")))
	w.str("\r\nTo: ")
	w.str(formatAddresses(m.To, len("To: ")))
	w.str("\r\n")
	if m.ReplyTo != nil {
		w.str("Reply-To: ")
		w.str(formatAddresses([]Address{*m.ReplyTo}, len("Reply-To: ")))
		w.str("\r\n")
	}
}

// bodies are the message's alternatives in order: text, HTML, calendar.
func (m *Message) bodies() []body {
	var bodies []body
	if m.Text != "" {
		bodies = append(bodies, body{contentType: "text/plain; charset=UTF-8", text: m.Text})
	}
	if m.HTML != "" {
		bodies = append(bodies, body{contentType: "text/html; charset=UTF-8", text: m.HTML})
	}
	if c := m.Calendar; c != nil {
		bodies = append(bodies, body{contentType: "text/calendar; method=" + strings.ToUpper(c.Method) + "; charset=UTF-8", data: c.Data})
	}
	return bodies
}

// writeMixed writes multipart/mixed: the bodies (one part, or a nested
// multipart/alternative), then each attachment in base64.
func (m *Message) writeMixed(w *writer, bodies []body) error {
	w.str("Content-Type: ")
	w.multipartType("mixed")
	w.str("\r\n\r\n")
	mixed := &multipart{w: w, kind: "mixed"}
	if len(bodies) == 1 {
		mixed.part(bodies[0].fields()...)
		if err := w.bodyContent(bodies[0]); err != nil {
			return err
		}
	} else {
		alt := mixed.nested("alternative")
		if err := w.alternatives(alt, bodies); err != nil {
			return err
		}
		alt.close()
	}
	types := map[string]mediaType{} // invitations repeat one type 14 times
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		ctHeader, cdHeader, err := attachmentHeaders(ct, a.Filename, types)
		if err != nil {
			return fmt.Errorf("attachment %q: %w", a.Filename, err)
		}
		mixed.part([2]string{"Content-Disposition", cdHeader},
			[2]string{"Content-Transfer-Encoding", "base64"},
			[2]string{"Content-Type", ctHeader})
		w.base64Lines(a.Data)
	}
	mixed.close()
	return nil
}

// alternatives writes each body as a part of alt.
func (w *writer) alternatives(alt *multipart, bodies []body) error {
	for _, b := range bodies {
		alt.part(b.fields()...)
		if err := w.bodyContent(b); err != nil {
			return err
		}
	}
	return nil
}

// setBoundaries writes the boundaries' hash of the rendered bytes into
// each multipart delimiter, so the same message always renders the same
// bytes and no boundary can occur in the content.
func (w *writer) setBoundaries() {
	if len(w.mixedAt)+len(w.altAt) == 0 {
		return
	}
	hash := contentHash(w.buf)
	for _, at := range w.mixedAt {
		copy(w.buf[at+len("mixed."):], hash)
	}
	for _, at := range w.altAt {
		copy(w.buf[at+len("alternative."):], hash)
	}
}
