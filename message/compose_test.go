package message

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"mime"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// part is a leaf or multipart entity read back with go-message.
type part struct {
	Type     string
	Params   map[string]string
	CTE      string
	Disp     string
	Filename string
	Body     []byte
	Children []part
}

func parseEntity(t testing.TB, e *gomessage.Entity) part {
	t.Helper()
	mt, params, err := e.Header.ContentType()
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	p := part{Type: mt, Params: params, CTE: e.Header.Get("Content-Transfer-Encoding")}
	if d, dp, err := e.Header.ContentDisposition(); err == nil {
		p.Disp, p.Filename = d, dp["filename"]
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			child, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("next part of %s: %v", mt, err)
			}
			p.Children = append(p.Children, parseEntity(t, child))
		}
		return p
	}
	p.Body, err = io.ReadAll(e.Body)
	if err != nil {
		t.Fatalf("body of %s: %v", mt, err)
	}
	return p
}

// parseRaw reads raw with go-message and net/mail.
func parseRaw(t testing.TB, raw []byte) (*netmail.Message, part) {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message: %v", err)
	}
	nm, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	return nm, parseEntity(t, e)
}

func render(t testing.TB, m *Message) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return b.Bytes()
}

func simple(id string) *Message {
	return &Message{
		MessageID: "<" + id + "@invites.example.org>",
		From:      Address{Name: "UPR Pre-sessions", Email: "rsvp@invites.example.org"},
		To:        []Address{{Email: "mission@mfa.example"}},
		Subject:   "Reminder: pre-session on Japan",
		Date:      time.Date(2017, 10, 3, 9, 0, 0, 0, time.UTC),
		Text:      "Dear colleagues,\nthe pre-session on Japan is on 10 October.\n",
	}
}

func TestLayout(t *testing.T) {
	cal := sampleICS("REQUEST", "Japan", "r28-jpn-civ@invites.example.org", time.Date(2017, 10, 10, 8, 0, 0, 0, time.UTC))
	tests := []struct {
		name  string
		edit  func(m *Message)
		check func(t *testing.T, p part)
	}{
		{"text only", func(m *Message) {}, func(t *testing.T, p part) {
			wantLeaf(t, p, "text/plain", "quoted-printable")
			if p.Params["charset"] != "UTF-8" {
				t.Errorf("charset %q", p.Params["charset"])
			}
		}},
		{"html only", func(m *Message) { m.Text, m.HTML = "", "<p>Hi</p>" }, func(t *testing.T, p part) {
			wantLeaf(t, p, "text/html", "quoted-printable")
		}},
		{"text and html", func(m *Message) { m.HTML = "<p>Dear colleagues</p>" }, func(t *testing.T, p part) {
			wantMultipart(t, p, "multipart/alternative", 2)
			wantLeaf(t, p.Children[0], "text/plain", "quoted-printable")
			wantLeaf(t, p.Children[1], "text/html", "quoted-printable")
			if string(p.Children[1].Body) != "<p>Dear colleagues</p>" {
				t.Errorf("html body %q", p.Children[1].Body)
			}
		}},
		{"text, html and calendar", func(m *Message) {
			m.HTML = "<p>Dear colleagues</p>"
			m.Calendar = &Calendar{Method: "REQUEST", Data: cal}
		}, func(t *testing.T, p part) {
			wantMultipart(t, p, "multipart/alternative", 3)
			c := p.Children[2]
			wantLeaf(t, c, "text/calendar", "base64")
			if c.Params["method"] != "REQUEST" || c.Params["charset"] != "UTF-8" {
				t.Errorf("calendar params %v, want method=REQUEST charset=UTF-8", c.Params)
			}
			if !bytes.Equal(c.Body, cal) {
				t.Errorf("calendar body differs:\n%s", c.Body)
			}
		}},
		{"calendar with attachments", func(m *Message) {
			m.HTML = "<p>Dear colleagues</p>"
			m.Calendar = &Calendar{Method: "REQUEST", Data: cal}
			m.Attachments = []Attachment{
				{Filename: "Japan.ics", ContentType: "text/calendar; charset=UTF-8; method=REQUEST", Data: cal},
				{Filename: "Côte d'Ivoire.ics", ContentType: "application/ics", Data: cal},
				{Filename: "note.txt", Data: []byte("plain\x00binary")},
			}
		}, func(t *testing.T, p part) {
			wantMultipart(t, p, "multipart/mixed", 4)
			alt := p.Children[0]
			wantMultipart(t, alt, "multipart/alternative", 3)
			wantLeaf(t, alt.Children[2], "text/calendar", "base64")
			for i, want := range []struct{ typ, name, method string }{
				{"text/calendar", "Japan.ics", "REQUEST"},
				{"application/ics", "Côte d'Ivoire.ics", ""},
				{"application/octet-stream", "note.txt", ""},
			} {
				a := p.Children[i+1]
				wantLeaf(t, a, want.typ, "base64")
				if a.Disp != "attachment" || a.Filename != want.name || a.Params["name"] != want.name {
					t.Errorf("attachment %d: disposition %q filename %q name %q, want attachment %q", i, a.Disp, a.Filename, a.Params["name"], want.name)
				}
				if a.Params["method"] != want.method {
					t.Errorf("attachment %d: method %q, want %q", i, a.Params["method"], want.method)
				}
			}
			if string(p.Children[3].Body) != "plain\x00binary" {
				t.Errorf("binary attachment body %q", p.Children[3].Body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := simple("layout")
			tt.edit(m)
			raw := render(t, m)
			for i, c := range raw {
				if c >= 0x80 {
					t.Fatalf("byte %d is not 7-bit: %q", i, raw[max(0, i-20):i+1])
				}
			}
			if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
				t.Fatal("bare LF in output")
			}
			nm, p := parseRaw(t, raw)
			if got := nm.Header.Get("Message-ID"); got != m.MessageID {
				t.Errorf("Message-ID %q, want %q", got, m.MessageID)
			}
			if got := nm.Header.Get("MIME-Version"); got != "1.0" {
				t.Errorf("MIME-Version %q", got)
			}
			tt.check(t, p)
		})
	}
}

func wantLeaf(t *testing.T, p part, typ, cte string) {
	t.Helper()
	if p.Type != typ || p.CTE != cte || p.Children != nil {
		t.Errorf("part %s (%s, %d children), want leaf %s (%s)", p.Type, p.CTE, len(p.Children), typ, cte)
	}
}

func wantMultipart(t *testing.T, p part, typ string, n int) {
	t.Helper()
	if p.Type != typ || len(p.Children) != n {
		t.Fatalf("part %s with %d children, want %s with %d", p.Type, len(p.Children), typ, n)
	}
}

func TestHeaders(t *testing.T) {
	m := invitation(7)
	m.Headers = append(m.Headers, [2]string{"In-Reply-To", "<reply.1@mfa.example>"},
		[2]string{"References", "<a.1@invites.example.org> <reply.1@mfa.example>"},
		[2]string{"X-Note", "réservé"})
	raw := render(t, m)
	nm, _ := parseRaw(t, raw)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(nm.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", subject, err, m.Subject)
	}
	from, err := nm.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != m.From.Name || from[0].Address != m.From.Email {
		t.Errorf("From %v (%v)", from, err)
	}
	to, err := nm.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != m.To[0].Name || to[1].Name != m.To[1].Name || to[1].Address != m.To[1].Email {
		t.Errorf("To %v (%v)", to, err)
	}
	rt, err := nm.Header.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != m.ReplyTo.Email {
		t.Errorf("Reply-To %v (%v)", rt, err)
	}
	date, err := nm.Header.Date()
	if err != nil || !date.Equal(m.Date) || nm.Header.Get("Date") != "Fri, 01 Sep 2017 10:00:00 +0200" {
		t.Errorf("Date %q (%v)", nm.Header.Get("Date"), err)
	}
	for _, h := range m.Headers {
		got, err := dec.DecodeHeader(nm.Header.Get(h[0]))
		if err != nil || got != h[1] {
			t.Errorf("%s = %q (%v), want %q", h[0], got, err, h[1])
		}
	}
	if strings.Contains(string(raw), "go-mail") || nm.Header.Get("User-Agent") != "" || nm.Header.Get("X-Mailer") != "" {
		t.Error("output names the library in User-Agent/X-Mailer")
	}
	// Every header line stays within RFC 2047's 76 characters except
	// where a single token is longer.
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for line := range strings.SplitSeq(string(head), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	inject := "Japan\r\nBcc: spy@evil.example"
	tests := []struct {
		name string
		edit func(m *Message)
	}{
		{"subject CRLF", func(m *Message) { m.Subject = inject }},
		{"subject LF", func(m *Message) { m.Subject = "Japan\nBcc: spy@evil.example" }},
		{"subject CR", func(m *Message) { m.Subject = "Japan\rBcc: spy@evil.example" }},
		{"subject NEL", func(m *Message) { m.Subject = "Japan\u0085Bcc: spy@evil.example" }},
		{"from name", func(m *Message) { m.From.Name = inject }},
		{"to name", func(m *Message) { m.To[0].Name = inject }},
		{"reply-to name", func(m *Message) { m.ReplyTo = &Address{Name: inject, Email: "a@b.example"} }},
		{"to email", func(m *Message) { m.To[0].Email = "a@b.example\r\nBcc: spy@evil.example" }},
		{"envelope from", func(m *Message) { m.EnvelopeFrom = "a@b.example>\r\nRCPT TO:<spy@evil.example" }},
		{"header value", func(m *Message) { m.Headers = [][2]string{{"X-Kind", inject}} }},
		{"header name", func(m *Message) { m.Headers = [][2]string{{"X-Kind\r\nBcc", "spy@evil.example"}} }},
		{"header name colon", func(m *Message) { m.Headers = [][2]string{{"Bcc: spy@evil.example\r\nX", "1"}} }},
		{"message id", func(m *Message) { m.MessageID = "<a@b>\r\nBcc: spy@evil.example" }},
		{"attachment name", func(m *Message) {
			m.Attachments = []Attachment{{Filename: "a.ics\"\r\nBcc: spy@evil.example", Data: []byte("x")}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := simple("inject")
			tt.edit(m)
			var b bytes.Buffer
			_, err := m.WriteTo(&b)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("WriteTo error %v, want a compose error", err)
			}
			if b.Len() != 0 {
				t.Fatalf("WriteTo wrote %d bytes for an invalid message", b.Len())
			}
		})
	}
}

func TestValidationReportsEverything(t *testing.T) {
	m := &Message{
		MessageID: "no-brackets@x",
		From:      Address{Email: "Bob <bob@x.example>"},
		Headers:   [][2]string{{"Subject", "again"}, {"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}},
		Calendar:  &Calendar{Method: "CANCEL", Data: sampleICS("REQUEST", "Japan", "u", time.Now())},
		Attachments: []Attachment{
			{Filename: "", Data: []byte("x")},
			{Filename: "../etc/passwd", Data: []byte("x")},
			{Filename: "a.ics", ContentType: "text/calendar; charset", Data: []byte("x")},
		},
	}
	_, err := m.WriteTo(io.Discard)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a compose error, got %v", err)
	}
	for _, want := range []string{
		"Message-ID \"no-brackets@x\"", "Date is required", "From: address", "at least one recipient",
		"Subject is written by the mailer", "Content-Type is written by the mailer", "x-a given twice",
		"text or HTML body is required", "differs from METHOD:REQUEST", "filename is required",
		"must not contain a path", "content type \"text/calendar; charset\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a := render(t, invitation(1))
	b := render(t, invitation(1))
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same message differ")
	}
	other := invitation(1)
	other.Attachments[3].Data = sampleICS("REQUEST", "Gabon", "changed@x", time.Now())
	c := render(t, other)
	_, pa := parseRaw(t, a)
	_, pc := parseRaw(t, c)
	if pa.Params["boundary"] == pc.Params["boundary"] {
		t.Error("different content, same boundary: boundaries do not follow the content")
	}
	if pa.Params["boundary"] == pa.Children[0].Params["boundary"] {
		t.Error("nested multiparts share a boundary")
	}
}

func TestGoldenInvitation(t *testing.T) {
	raw := render(t, invitation(1))
	path := filepath.Join("testdata", "invitation.eml")
	if *update {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(raw, want) {
		t.Fatalf("rendered invitation differs from %s (run go test -update after checking the change)", path)
	}
	_, p := parseRaw(t, raw)
	wantMultipart(t, p, "multipart/mixed", 1+len(presessions28))
	wantMultipart(t, p.Children[0], "multipart/alternative", 2)
	for i, sur := range presessions28 {
		a := p.Children[i+1]
		if a.Filename != sur+".ics" || a.Type != "text/calendar" || a.Params["method"] != "REQUEST" {
			t.Errorf("attachment %d: %s %q %v", i, a.Type, a.Filename, a.Params)
		}
		if !bytes.Contains(a.Body, []byte("SUMMARY:Pre-session on "+sur+"\r\n")) {
			t.Errorf("attachment %d does not hold the %s session", i, sur)
		}
	}
}

// pythonReport is what testdata/check_eml.py prints for one file.
type pythonReport struct {
	Defects   []string `json:"defects"`
	Subject   string   `json:"subject"`
	MessageID string   `json:"message_id"`
	Parts     []struct {
		Where    string            `json:"where"`
		Type     string            `json:"type"`
		Params   map[string]string `json:"params"`
		Filename *string           `json:"filename"`
	} `json:"parts"`
}

// TestPythonFindsNoDefects checks the output with Python's email package
// (policy=default), which reports what it had to repair.
func TestPythonFindsNoDefects(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("Debian's python3 is not installed")
	}
	nonASCII := invitation(2)
	nonASCII.Calendar = &Calendar{Method: "REQUEST", Data: sampleICS("REQUEST", "Japan", "u@x", nonASCII.Date)}
	nonASCII.Attachments = []Attachment{
		{Filename: "Côte d'Ivoire.ics", ContentType: "text/calendar; charset=UTF-8; method=REQUEST", Data: sampleICS("REQUEST", "Côte d'Ivoire", "u2@x", nonASCII.Date)},
		{Filename: "Türkiye – São Tomé and Príncipe, a long name for a session file that goes on.ics", ContentType: "application/ics", Data: []byte("x")},
	}
	dir := t.TempDir()
	files := map[string]*Message{"invitation.eml": invitation(1), "nonascii.eml": nonASCII}
	var args []string
	for name, m := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, render(t, m), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command(python, append([]string{filepath.Join("testdata", "check_eml.py")}, args...)...).Output()
	if err != nil {
		t.Fatalf("check_eml.py: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(args) {
		t.Fatalf("got %d reports for %d files:\n%s", len(lines), len(args), out)
	}
	for i, line := range lines {
		var r pythonReport
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		m := files[filepath.Base(args[i])]
		// Python's parser reports a name given both in the RFC 2231 form and
		// plainly (RFC 6266 §4.3 recommends both) as a duplicate, and reads
		// the first, the UTF-8 one.
		r.Defects = slices.DeleteFunc(r.Defects, func(d string) bool { return strings.Contains(d, "duplicate parameter name") })
		if len(r.Defects) > 0 {
			t.Errorf("%s: Python reports defects: %q", filepath.Base(args[i]), r.Defects)
		}
		if r.Subject != m.Subject || r.MessageID != m.MessageID {
			t.Errorf("%s: Python reads Subject %q Message-ID %q", filepath.Base(args[i]), r.Subject, r.MessageID)
		}
		var names []string
		for _, p := range r.Parts {
			if p.Filename != nil {
				names = append(names, *p.Filename)
			}
		}
		var want []string
		for _, a := range m.Attachments {
			want = append(want, a.Filename)
		}
		if strings.Join(names, "|") != strings.Join(want, "|") {
			t.Errorf("%s: Python reads file names %q, want %q", filepath.Base(args[i]), names, want)
		}
	}
}

// FuzzHeaderText renders messages with arbitrary header text and checks
// that no input adds or removes a header field, and that what was accepted
// reads back unchanged.
func FuzzHeaderText(f *testing.F) {
	f.Add("Pre-session on Japan", "Mission permanente de la Côte d'Ivoire", "OOF, AutoReply")
	f.Add("Japan\r\nBcc: spy@evil.example", "x\nTo: y@z", "a\rb")
	f.Add("=?UTF-8?q?fake?= word", "=?utf-8?b?Zm9v?=", "=?x?q?y?=")
	f.Add(strings.Repeat("Réunion très longue ", 20), strings.Repeat("é", 90), strings.Repeat("x", 200))
	f.Add("  spaced   out  ", "\"quoted\" \\ name", "")
	f.Add(strings.Repeat("a", 300)+" b", "Korea, Republic of", "tab\there")
	f.Fuzz(func(t *testing.T, subject, name, value string) {
		m := simple("fuzz")
		m.Subject, m.From.Name = subject, name
		m.Headers = [][2]string{{"X-Fuzz", value}}
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			if e := (*Error)(nil); !errors.As(err, &e) {
				t.Fatalf("error is not an *Error: %v", err)
			}
			return
		}
		raw := b.Bytes()
		for _, c := range raw {
			if c >= 0x80 {
				t.Fatal("output is not 7-bit")
			}
		}
		nm, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("net/mail cannot read the output: %v", err)
		}
		want := map[string]bool{"Date": true, "Mime-Version": true, "Message-Id": true, "X-Fuzz": true,
			"From": true, "To": true, "Content-Type": true, "Content-Transfer-Encoding": true}
		if strings.TrimSpace(subject) != "" {
			want["Subject"] = true
		}
		for k, v := range nm.Header {
			if !want[k] || len(v) != 1 {
				t.Fatalf("header %s appears %d times; injected?\n%s", k, len(v), raw)
			}
		}
		if len(nm.Header) != len(want) {
			t.Fatalf("headers %v, want %v", nm.Header, want)
		}
		var dec mime.WordDecoder
		if got, err := dec.DecodeHeader(nm.Header.Get("Subject")); err != nil || got != strings.TrimSpace(subject) {
			t.Fatalf("Subject reads %q (%v), want %q", got, err, strings.TrimSpace(subject))
		}
		from, err := nm.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != m.From.Email {
			t.Fatalf("From reads %v (%v)", from, err)
		}
	})
}

// TestPrepareRendersOnce: a prepared message sends and writes exactly the
// bytes Prepare rendered, and rendering again gives the same bytes.
func TestPrepareRendersOnce(t *testing.T) {
	m := invitation(1)
	var want bytes.Buffer
	if _, err := m.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if err := m.Prepare(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := m.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("a prepared message writes other bytes than it renders")
	}
	if err := (*Message)(nil).Prepare(); err == nil {
		t.Error("Prepare of a nil message: no error")
	}
	bad := &Message{}
	if err := bad.Prepare(); err == nil {
		t.Error("Prepare of an invalid message: no error")
	}
}

func TestShedKeepsTheBytes(t *testing.T) {
	m := invitation(1)
	m.Shed() // not prepared: nothing to let go of
	if len(m.Attachments) == 0 || m.Text == "" {
		t.Fatal("Shed let go of the parts of a message not prepared")
	}
	want := render(t, invitation(1))
	if err := m.Prepare(); err != nil {
		t.Fatal(err)
	}
	m.Shed()
	if m.Attachments != nil || m.Text != "" || m.HTML != "" || m.Calendar != nil {
		t.Error("a prepared message still holds its parts after Shed")
	}
	var got bytes.Buffer
	if _, err := m.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) || !bytes.Equal(b, want) {
		t.Error("a message that shed its parts writes other bytes than it rendered")
	}
}
