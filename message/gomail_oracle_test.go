package message

// go-mail's own writer, kept as the reference the MIME writer is checked
// against: the same Message built as a go-mail Msg and written by go-mail,
// with its address fields rewritten as the mailer writes them and its
// random boundaries replaced by the writer's placeholders, must equal the
// writer's output with its boundaries' hashes replaced the same way.

import (
	"bytes"
	"fmt"
	"io"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// renderGoMail renders a validated m with go-mail, boundaries as placeholders.
func renderGoMail(m *Message) ([]byte, error) {
	msg, err := m.build()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	for _, f := range goMailBoundaryRE.FindAllSubmatch(raw, -1) {
		placeholder := mixedPlaceholder
		if string(f[1]) == "alternative" {
			placeholder = alternativePlaceholder
		}
		raw = bytes.ReplaceAll(raw, f[2], []byte(placeholder))
	}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, fmt.Errorf("go-mail wrote no header end")
	}
	fields := map[string]string{"From": formatAddresses([]Address{m.From}, len("From: ")),
		"To": formatAddresses(m.To, len("To: "))}
	if m.ReplyTo != nil {
		fields["Reply-To"] = formatAddresses([]Address{*m.ReplyTo}, len("Reply-To: "))
	}
	head := replaceFields(nil, raw[:end+2], fields)
	return append(head, raw[end+2:]...), nil
}

var goMailBoundaryRE = regexp.MustCompile("\r\nContent-Type: multipart/(mixed|alternative);\r\n boundary=([0-9a-f]{60})\r\n")

// writerBoundaryRE finds the boundaries the writer made from its hash.
var writerBoundaryRE = regexp.MustCompile(`(mixed|alternative)\.[0-9a-f]{24}`)

// placeholderHashes returns the distinct hashes of the writer's boundaries.
func placeholderHashes(raw []byte) map[string]bool {
	out := map[string]bool{}
	for _, b := range writerBoundaryRE.FindAll(raw, -1) {
		out[string(b[bytes.IndexByte(b, '.')+1:])] = true
	}
	return out
}

// placeholders replaces the writer's boundaries by their placeholders.
func placeholders(raw []byte) []byte {
	return writerBoundaryRE.ReplaceAllFunc(raw, func(b []byte) []byte {
		if bytes.HasPrefix(b, []byte("mixed")) {
			return []byte(mixedPlaceholder)
		}
		return []byte(alternativePlaceholder)
	})
}

// build makes the go-mail message for m (already validated).
func (m *Message) build() (*gomail.Msg, error) {
	msg := gomail.NewMsg(
		gomail.WithNoDefaultUserAgent(),
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP),
	)
	msg.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">"))
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
	if s := strings.TrimSpace(m.Subject); s != "" {
		// go-mail folds an encoded Subject before its first word, which
		// Python's parser (and maybe others) reads as a leading space; it
		// is written here, folded so the first word stays on the first
		// line. It is the only preformatted header, so the order of
		// go-mail's preformatted-header map cannot vary the output.
		msg.SetGenHeaderPreformatted(gomail.HeaderSubject, foldText(s, len("Subject: ")))
	}
	for _, h := range m.Headers {
		// SetGenHeader RFC 2047-encodes non-ASCII values; control
		// characters were refused by validate.
		msg.SetGenHeader(gomail.Header(h[0]), h[1])
	}

	bodies := 0
	addBody := func(ct gomail.ContentType, content string, opts ...gomail.PartOption) {
		if bodies == 0 {
			msg.SetBodyString(ct, content, opts...)
		} else {
			msg.AddAlternativeString(ct, content, opts...)
		}
		bodies++
	}
	if m.Text != "" {
		addBody(gomail.TypeTextPlain, m.Text)
	}
	if m.HTML != "" {
		addBody(gomail.TypeTextHTML, m.HTML)
	}
	if c := m.Calendar; c != nil {
		// go-mail appends "; charset=UTF-8" to the content type.
		addBody(gomail.ContentType("text/calendar; method="+strings.ToUpper(c.Method)), string(c.Data),
			gomail.WithPartEncoding(gomail.EncodingB64))
	}

	if len(m.Attachments) > 0 {
		files := make([]*gomail.File, len(m.Attachments))
		types := map[string]mediaType{} // invitations repeat one type 14 times
		for i, a := range m.Attachments {
			f, err := attachmentFile(a, types)
			if err != nil {
				return nil, fmt.Errorf("attachment %q: %w", a.Filename, err)
			}
			files[i] = f
		}
		msg.SetAttachments(files)
	}

	return msg, nil
}

// attachmentFile builds the go-mail file for a with its MIME headers already
// set. go-mail would write a non-ASCII file name as an RFC 2047 encoded-word
// inside a quoted string, name="=?UTF-8?q?C=C3=B4te...?=", which RFC 2047
// §5 forbids and Python's email parser reports as a defect. go-mail keeps
// headers that are already present, and these use RFC 2231 parameter
// encoding instead (name* and filename* with the utf-8 charset and
// percent-encoded octets), as mime.FormatMediaType writes it.
func attachmentFile(a Attachment, types map[string]mediaType) (*gomail.File, error) {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	ctHeader, cdHeader, err := attachmentHeaders(ct, a.Filename, types)
	if err != nil {
		return nil, err
	}
	data := a.Data
	h := textproto.MIMEHeader{"Content-Type": {ctHeader}, "Content-Disposition": {cdHeader}}
	return &gomail.File{
		Name:   a.Filename,
		Enc:    gomail.EncodingB64,
		Header: h,
		Writer: func(w io.Writer) (int64, error) {
			n, err := w.Write(data)
			return int64(n), err
		},
	}, nil
}

// replaceFields appends head, a message header ending in CRLF, to dst with
// the values of the named fields (and their continuation lines) replaced.
func replaceFields(dst, head []byte, fields map[string]string) []byte {
	skipping := false
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		line := head[:i+2]
		head = head[i+2:]
		if line[0] == ' ' || line[0] == '\t' {
			if !skipping {
				dst = append(dst, line...)
			}
			continue
		}
		skipping = false
		name, _, _ := bytes.Cut(line, []byte(":"))
		if v, ok := fields[string(name)]; ok {
			dst = append(dst, name...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
			skipping = true
			continue
		}
		dst = append(dst, line...)
	}
	return dst
}

// sameAsGoMail renders m with the writer and with go-mail and reports the
// first difference.
func sameAsGoMail(t testing.TB, m *Message) {
	t.Helper()
	if err := m.validate(); err != nil {
		return // go-mail would be given what the writer refuses
	}
	got, err := m.write()
	if err != nil {
		t.Fatalf("writer: %v", err)
	}
	want, err := renderGoMail(m)
	if err != nil {
		t.Fatalf("go-mail: %v", err)
	}
	if bytes.Contains(got, []byte(mixedPlaceholder)) || bytes.Contains(got, []byte(alternativePlaceholder)) {
		t.Fatal("a boundary placeholder was left in the output")
	}
	if n := len(writerBoundaryRE.FindAll(got, -1)); n > 0 && len(placeholderHashes(got)) != 1 {
		t.Fatalf("boundaries made from different hashes: %v", placeholderHashes(got))
	}
	got, want = knownDifferences(got, want)
	if g := placeholders(got); !bytes.Equal(g, want) {
		i := 0
		for i < len(g) && i < len(want) && g[i] == want[i] {
			i++
		}
		from := max(0, i-120)
		t.Fatalf("writer and go-mail differ at byte %d:\nwriter:  %q\ngo-mail: %q", i, g[from:min(len(g), i+80)], want[from:min(len(want), i+80)])
	}
}

// TestWriterMatchesGoMail checks the MIME writer against go-mail for every
// layout and the header cases that fold or encode.
func TestWriterMatchesGoMail(t *testing.T) {
	cal := sampleICS("REQUEST", "Japan", "r28-jpn-civ@invites.example.org", time.Date(2017, 10, 10, 8, 0, 0, 0, time.UTC))
	long := strings.Repeat("<ref.1234567890@invites.example.org> ", 6)
	cases := map[string]func(m *Message){
		"text only":          func(m *Message) {},
		"html only":          func(m *Message) { m.Text, m.HTML = "", "<p>Hi</p>\n" },
		"text and html":      func(m *Message) { m.HTML = "<p>Dear colleagues</p>" },
		"alternative + ics":  func(m *Message) { m.HTML = "<p>x</p>"; m.Calendar = &Calendar{Method: "request", Data: cal} },
		"one attachment":     func(m *Message) { m.Attachments = []Attachment{{Filename: "a.ics", Data: cal}} },
		"invitation":         func(m *Message) { *m = *invitation(3) },
		"empty attachment":   func(m *Message) { m.Attachments = []Attachment{{Filename: "empty.bin", Data: nil}} },
		"57-byte attachment": func(m *Message) { m.Attachments = []Attachment{{Filename: "x", Data: bytes.Repeat([]byte{'x'}, 57)}} },
		"114-byte attachment": func(m *Message) {
			m.Attachments = []Attachment{{Filename: "x", Data: bytes.Repeat([]byte{0xff}, 114)}}
		},
		"non-ASCII names": func(m *Message) {
			m.HTML = "<p>é</p>"
			m.Attachments = []Attachment{{Filename: "Türkiye – São Tomé.ics", ContentType: "application/ics", Data: cal},
				{Filename: "note.txt", Data: []byte("plain\x00binary")}}
		},
		"folded headers": func(m *Message) {
			m.Headers = [][2]string{{"References", long}, {"In-Reply-To", "<a@b>"},
				{"Auto-Submitted", "auto-generated"}, {"X-Long-Word", strings.Repeat("w", 90) + " end"},
				{"X-Non-ASCII", "Genève, 10–13 octobre"}, {"X-Spaces", "a  b   c " + strings.Repeat("z", 70)}}
		},
		"long subject":    func(m *Message) { m.Subject = strings.Repeat("Reminder ", 30) },
		"no subject":      func(m *Message) { m.Subject = "  " },
		"CRLF and dots":   func(m *Message) { m.Text = "a\r\n.b\r\n\r\nlast line without newline" },
		"trailing spaces": func(m *Message) { m.Text = "x \n\ty\t\n" + strings.Repeat("é", 200) },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			m := simple("oracle")
			edit(m)
			sameAsGoMail(t, m)
		})
	}
}

// FuzzWriterMatchesGoMail renders random messages both ways.
func FuzzWriterMatchesGoMail(f *testing.F) {
	f.Add("Dear colleagues,\nline\n", "<p>x</p>", "Subject é", "X-Test", "value – é", "Côte d'Ivoire.ics", []byte("data"), byte(7))
	f.Add("", "<b>only</b>", strings.Repeat("word ", 40), "References", strings.Repeat("<a@b> ", 30), "a", []byte{}, byte(1))
	f.Fuzz(func(t *testing.T, text, html, subject, hname, hvalue, filename string, data []byte, layout byte) {
		m := simple("fuzz")
		m.Text, m.HTML, m.Subject = text, html, subject
		if layout&1 == 0 {
			m.HTML = ""
		}
		if m.Text == "" && m.HTML == "" {
			m.Text = "x"
		}
		if layout&2 != 0 {
			m.Headers = [][2]string{{hname, hvalue}}
		}
		if layout&4 != 0 {
			m.Attachments = []Attachment{{Filename: filename, Data: data}}
		}
		if layout&8 != 0 {
			m.Calendar = &Calendar{Method: "REQUEST", Data: sampleICS("REQUEST", "Japan", "u@x", m.Date)}
		}
		if layout&16 != 0 && len(m.Attachments) > 0 {
			m.Attachments = append(m.Attachments, Attachment{Filename: "second.bin", Data: data})
		}
		sameAsGoMail(t, m)
	})
}

// knownDifferences removes the two ways the writer departs from go-mail on
// purpose: go-mail may fold a value straight after its field name, which
// some parsers read with a leading space (both are compared unfolded), and
// the writer adds a plain ASCII name beside an RFC 2231 one.
func knownDifferences(got, want []byte) ([]byte, []byte) {
	unfold := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n "), []byte(" ")) }
	got, want = unfold(got), unfold(want)
	got, want = fallbackNameRE.ReplaceAll(got, []byte("$1")), fallbackNameRE.ReplaceAll(want, []byte("$1"))
	return got, want
}

var fallbackNameRE = regexp.MustCompile(`((?:file)?name\*=[^;\s]*); (?:file)?name="[^"]*"`)
