package ical

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxLineOctets is the longest physical line RFC 5545 §3.1 allows, CRLF
// excluded.
const maxLineOctets = 75

// Limits for reading. A calendar part of an email is a few kilobytes; these
// bound what a hostile or broken message can make the reader do.
const (
	MaxInputOctets   = 1 << 20  // whole object
	MaxPhysicalLines = 10000    // lines before unfolding
	maxContentOctets = 64 << 10 // one unfolded content line
	maxDepth         = 16       // nested BEGIN blocks
)

// ---------------------------------------------------------------- writing

// wparam is one parameter to write. quote forces DQUOTEs even when the value
// has none of : ; , (used for CN, whose values are names).
type wparam struct {
	name, value string
	quote       bool
}

// encoder accumulates content lines: CRLF endings, folded at 75 octets.
type encoder struct {
	buf bytes.Buffer
}

// line writes one content line. value must already be encoded for its type
// (escapeText for TEXT); params are encoded here.
func (e *encoder) line(name, value string, params ...wparam) {
	if len(params) == 0 {
		if len(name)+1+len(value) <= maxLineOctets {
			// Short enough to need no fold: written as is.
			e.buf.WriteString(name)
			e.buf.WriteByte(':')
			e.buf.WriteString(value)
			e.buf.WriteString("\r\n")
			return
		}
		writeFolded(&e.buf, name+":"+value)
		return
	}
	var b strings.Builder
	b.WriteString(name)
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(encodeParamValue(p.value, p.quote))
	}
	b.WriteByte(':')
	b.WriteString(value)
	writeFolded(&e.buf, b.String())
}

// writeFolded writes s as one content line, folded so that no physical line
// exceeds 75 octets (RFC 5545 §3.1): a fold is CRLF followed by one space.
// A fold never splits a UTF-8 sequence and, when it can, never puts white
// space first on the continuation line (some unfolders trim it).
func writeFolded(b *bytes.Buffer, s string) {
	limit := maxLineOctets
	for len(s) > limit {
		cut := foldCut(s, limit)
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// foldCut returns where to cut s (len(s) > limit): the largest index ≤ limit
// on a rune boundary, preferring one not followed by white space.
func foldCut(s string, limit int) int {
	cut := limit
	for cut > 1 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	for k := cut; k > 1 && k > limit-8; k-- {
		if utf8.RuneStart(s[k]) && s[k] != ' ' && s[k] != '\t' {
			return k
		}
	}
	return cut
}

// clean makes s safe to write: invalid UTF-8 becomes U+FFFD, CRLF and lone
// CR become LF, and control characters other than HTAB and LF (which RFC
// 5545 allows in no value) are dropped.
func clean(s string) string {
	if isClean(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// isClean reports whether clean would return s unchanged: valid UTF-8
// without CR or any control character other than HTAB and LF.
func isClean(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t' && c != '\n', c == 0x7f:
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}

// escapeText encodes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon
// and comma are escaped, newlines become \n. The result never holds a CR or
// LF, so no input can start a new content line.
func escapeText(s string) string {
	s = clean(s)
	extra := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', ';', ',', '\n':
			extra++
		}
	}
	if extra == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + extra)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// encodeParamValue encodes a parameter value: RFC 6868 caret encoding for ^,
// newline and DQUOTE, then DQUOTEs around it when it holds : ; or , (RFC
// 5545 §3.2) or when quote is set. Backslash is not an escape in parameter
// values and is written as is.
func encodeParamValue(v string, quote bool) string {
	v = clean(v)
	var b strings.Builder
	b.Grow(len(v) + 4)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '^':
			b.WriteString("^^")
		case '\n':
			b.WriteString("^n")
		case '"':
			b.WriteString("^'")
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if quote || strings.ContainsAny(out, ":;,") {
		return `"` + out + `"`
	}
	return out
}

// ---------------------------------------------------------------- reading

// Param is one parameter as read: its values after RFC 6868 decoding, and
// for each whether it was DQUOTE-d.
type Param struct {
	Name   string
	Values []string
	Quoted []bool
	Raw    []string // values as written, before RFC 6868 decoding
}

// Prop is one unfolded content line.
type Prop struct {
	Name   string // upper-case
	Params []Param
	Value  string // raw, not unescaped
	Line   int    // physical line (1-based) where it starts
}

// Param returns the first value of the named parameter.
func (p Prop) Param(name string) (string, bool) {
	for _, q := range p.Params {
		if q.Name == name {
			if len(q.Values) == 0 {
				return "", true
			}
			return q.Values[0], true
		}
	}
	return "", false
}

// paramValues returns every value of every occurrence of the named
// parameter.
func (p Prop) paramValues(name string) []string {
	var out []string
	for _, q := range p.Params {
		if q.Name == name {
			out = append(out, q.Values...)
		}
	}
	return out
}

// errTooLarge and friends classify input that the reader refuses outright.
var (
	errTooLarge = errors.New("input larger than 1 MiB")
	errTooLong  = errors.New("more than 10000 lines")
)

// unfold splits data into content lines: it accepts CRLF, LF or lone CR
// endings, strips a UTF-8 byte order mark, joins folded lines (a line
// starting with space or HTAB continues the previous one) and skips empty
// lines (and lines of white space only). Each result carries the physical line number where it starts.
func unfold(data []byte) ([]string, []int, error) {
	if len(data) > MaxInputOctets {
		return nil, nil, errTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var (
		lines []string
		nums  []int
		cur   []byte
		start int
		phys  int
		open  bool
	)
	flush := func() {
		if open && len(bytes.TrimSpace(cur)) > 0 {
			lines = append(lines, string(cur))
			nums = append(nums, start)
		}
		cur, open = cur[:0], false
	}
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l = data[:i]
			if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				data = data[i+2:]
			} else {
				data = data[i+1:]
			}
		}
		phys++
		if phys > MaxPhysicalLines {
			return nil, nil, errTooLong
		}
		switch {
		case len(l) == 0:
			flush()
		case l[0] == ' ' || l[0] == '\t':
			if !open {
				// A continuation with nothing to continue: keep its text.
				open, start = true, phys
			}
			cur = append(cur, l[1:]...)
		default:
			flush()
			open, start = true, phys
			cur = append(cur, l...)
		}
		if len(cur) > maxContentOctets {
			return nil, nil, fmt.Errorf("line %d: content line longer than %d octets", start, maxContentOctets)
		}
	}
	flush()
	return lines, nums, nil
}

func isNameChar(c byte) bool {
	return c == '-' || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}

// parseProp parses one unfolded content line (RFC 5545 §3.1):
// name *(";" param) ":" value. Names are upper-cased; parameter values may be
// DQUOTE-d (and then hold : ; ,) and are RFC 6868-decoded.
func parseProp(s string, num int) (Prop, error) {
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 {
		return Prop{}, fmt.Errorf("line %d: no property name in %q", num, Abbreviate(s))
	}
	p := Prop{Name: strings.ToUpper(s[:i]), Line: num}
	for i < len(s) && s[i] == ';' {
		i++
		j := i
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		if j == i {
			return Prop{}, fmt.Errorf("line %d: %s has an empty parameter name", num, p.Name)
		}
		q := Param{Name: strings.ToUpper(s[i:j])}
		if j < len(s) && s[j] == '=' {
			j++
			for {
				if j < len(s) && s[j] == '"' {
					k := strings.IndexByte(s[j+1:], '"')
					if k < 0 {
						return Prop{}, fmt.Errorf("line %d: %s parameter %s has no closing DQUOTE", num, p.Name, q.Name)
					}
					raw := s[j+1 : j+1+k]
					q.Raw = append(q.Raw, raw)
					q.Values = append(q.Values, decodeCaret(raw))
					q.Quoted = append(q.Quoted, true)
					j += k + 2
					if j < len(s) && s[j] != ',' && s[j] != ';' && s[j] != ':' {
						return Prop{}, fmt.Errorf("line %d: %s parameter %s has text after its closing DQUOTE", num, p.Name, q.Name)
					}
				} else {
					k := j
					for k < len(s) && s[k] != ';' && s[k] != ':' && s[k] != ',' {
						k++
					}
					q.Raw = append(q.Raw, s[j:k])
					q.Values = append(q.Values, decodeCaret(s[j:k]))
					q.Quoted = append(q.Quoted, false)
					j = k
				}
				if j < len(s) && s[j] == ',' {
					j++
					continue
				}
				break
			}
		}
		p.Params = append(p.Params, q)
		i = j
	}
	if i >= len(s) || s[i] != ':' {
		return Prop{}, fmt.Errorf("line %d: %s has no ':' before its value", num, p.Name)
	}
	p.Value = s[i+1:]
	return p, nil
}

// decodeCaret undoes RFC 6868: ^n is a newline, ^' a DQUOTE, ^^ a caret; a
// caret before anything else stays as it is.
func decodeCaret(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '^' && i+1 < len(s) {
			switch s[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			case '^':
				b.WriteByte('^')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UnescapeText decodes a TEXT value: \\ \; \, \n \N. A backslash before any
// other character is dropped and the character kept, as most readers do.
func UnescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' || s[i] == 'N' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Component is one BEGIN/END block with its own properties and children.
type Component struct {
	Name  string // upper-case
	Props []Prop
	Subs  []*Component
	Line  int // line of BEGIN
}

// All returns the component's own properties with the given name.
func (c *Component) All(name string) []Prop {
	var out []Prop
	for _, p := range c.Props {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// First returns the component's first property with the given name.
func (c *Component) First(name string) (Prop, bool) {
	for _, p := range c.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Prop{}, false
}

// Document is the parsed form of an input: its top-level components and any
// properties found outside every component.
type Document struct {
	Top   []*Component
	Stray []Prop
}

// Parse unfolds and parses data into components, checking that BEGIN and
// END balance.
func Parse(data []byte) (*Document, error) {
	lines, nums, err := unfold(data)
	if err != nil {
		return nil, err
	}
	doc := &Document{}
	var stack []*Component
	for i, l := range lines {
		p, err := parseProp(l, nums[i])
		if err != nil {
			return nil, err
		}
		switch p.Name {
		case "BEGIN":
			name := strings.ToUpper(strings.TrimSpace(p.Value))
			if name == "" {
				return nil, fmt.Errorf("line %d: BEGIN without a component name", p.Line)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("line %d: components nested more than %d deep", p.Line, maxDepth)
			}
			c := &Component{Name: name, Line: p.Line}
			if len(stack) == 0 {
				doc.Top = append(doc.Top, c)
			} else {
				parent := stack[len(stack)-1]
				parent.Subs = append(parent.Subs, c)
			}
			stack = append(stack, c)
		case "END":
			name := strings.ToUpper(strings.TrimSpace(p.Value))
			if len(stack) == 0 {
				return nil, fmt.Errorf("line %d: END:%s without BEGIN", p.Line, name)
			}
			open := stack[len(stack)-1]
			if open.Name != name {
				return nil, fmt.Errorf("line %d: END:%s closes BEGIN:%s of line %d", p.Line, name, open.Name, open.Line)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				doc.Stray = append(doc.Stray, p)
				continue
			}
			c := stack[len(stack)-1]
			c.Props = append(c.Props, p)
		}
	}
	if len(stack) > 0 {
		open := stack[len(stack)-1]
		return nil, fmt.Errorf("line %d: BEGIN:%s is never closed", open.Line, open.Name)
	}
	return doc, nil
}

// Abbreviate shortens s to 40 octets, on a character boundary, for an
// error message.
func Abbreviate(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
