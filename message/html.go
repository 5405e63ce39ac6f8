package message

import (
	"html"
	"strings"
)

// HTMLToText turns an HTML mail body into plain text: script, style and
// head are dropped, block elements become line breaks, entities are
// decoded. Quoted mail is dropped too: <blockquote>, Gmail's gmail_quote,
// Thunderbird's moz-cite-prefix and Yahoo's yahoo_quoted, and everything
// from Outlook's divRplyFwdMsg / appendonsend marker on. A table is
// written one row a line, each cell started by CellMark. The text is not
// tidied: CleanText trims its lines.
func HTMLToText(s string) string {
	if len(s) > MaxHTML {
		s = s[:MaxHTML]
	}
	h := &htmlText{}
	h.b.Grow(len(s) / 2)
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			h.text(s[i:])
			break
		}
		if lt > 0 {
			h.text(s[i : i+lt])
		}
		next, done := h.markup(s, i+lt)
		if done {
			break
		}
		i = next
	}
	return h.b.String()
}

// CellMark starts each cell of an HTML table row in HTMLToText's output,
// one row a line, so a reader can tell a table from running text.
const CellMark = "\u241f"

// htmlText is the text of an HTML body being written.
type htmlText struct {
	b strings.Builder
	// skip is the element whose content is being dropped, with its depth.
	skip      string
	skipDepth int
	// pre counts the open <pre> elements.
	pre int
	// inCell has one entry per open table: whether a cell of its current
	// row is open, where block elements and line breaks are a space so
	// that a row stays one line.
	inCell []bool
}

func (h *htmlText) cellOpen() bool { return len(h.inCell) > 0 && h.inCell[len(h.inCell)-1] }

func (h *htmlText) setCell(v bool) {
	if len(h.inCell) > 0 {
		h.inCell[len(h.inCell)-1] = v
	}
}

// text writes text between tags, unless it is being dropped.
func (h *htmlText) text(s string) {
	if h.skip == "" {
		writeHTMLText(&h.b, s, h.pre > 0)
	}
}

// markup reads the markup that starts at s[i] ('<'): comments,
// conditional comments, CDATA and doctype are passed over, a tag is
// applied, a lone '<' is text. It returns where the text goes on, and
// done when nothing more is to be read.
func (h *htmlText) markup(s string, i int) (next int, done bool) {
	if strings.HasPrefix(s[i:], "<!--") {
		end := strings.Index(s[i+4:], "-->")
		if end < 0 {
			return 0, true
		}
		return i + 4 + end + 3, false
	}
	if strings.HasPrefix(s[i:], "<!") || strings.HasPrefix(s[i:], "<?") {
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			return 0, true
		}
		return i + end + 1, false
	}
	end := tagEnd(s, i+1)
	if end < 0 {
		// A lone '<' in text.
		if h.skip == "" {
			h.b.WriteByte('<')
		}
		return i + 1, false
	}
	return end + 1, h.tag(s[i+1 : end])
}

// tag applies one tag, written without its angle brackets. It reports
// true at Outlook's marker of a quoted message, where reading stops.
func (h *htmlText) tag(tag string) bool {
	closing := strings.HasPrefix(tag, "/")
	if closing {
		tag = tag[1:]
	}
	name, attrs := tagName(tag)
	if name == "" {
		if h.skip == "" {
			h.b.WriteString("<" + tag + ">")
		}
		return false
	}
	selfClosing := strings.HasSuffix(attrs, "/")
	switch {
	case h.skip != "":
		h.skipped(name, closing, selfClosing)
	case closing:
		h.close(name)
	default:
		return h.open(name, attrs, selfClosing)
	}
	return false
}

// skipped follows the nesting of the element being dropped, and ends the
// drop at its end tag.
func (h *htmlText) skipped(name string, closing, selfClosing bool) {
	if name != h.skip || selfClosing {
		return
	}
	if closing {
		h.skipDepth--
	} else {
		h.skipDepth++
	}
	if h.skipDepth == 0 {
		h.skip = ""
		if isBlock(name) {
			h.b.WriteByte('\n')
		}
	}
}

// close applies an end tag.
func (h *htmlText) close(name string) {
	if name == "pre" && h.pre > 0 {
		h.pre--
	}
	switch name {
	case "table":
		if len(h.inCell) > 0 {
			h.inCell = h.inCell[:len(h.inCell)-1]
		}
	case "td", "th", "tr":
		h.setCell(false)
	}
	if isBlock(name) {
		if h.cellOpen() {
			h.b.WriteByte(' ')
		} else {
			h.b.WriteByte('\n')
		}
	}
}

// open applies a start tag: an element whose content is not text or is
// quoted mail starts a drop; Outlook's marker of the quoted message
// stops the reading (true).
func (h *htmlText) open(name, attrs string, selfClosing bool) bool {
	la := strings.ToLower(attrs)
	switch {
	case name == "script" || name == "style" || name == "head" || name == "title" ||
		name == "noscript" || name == "template" || name == "xml",
		name == "blockquote",
		strings.Contains(la, "gmail_quote"), strings.Contains(la, "moz-cite-prefix"),
		strings.Contains(la, "yahoo_quoted"), strings.Contains(la, "protonmail_quote"):
		if !selfClosing {
			h.skip, h.skipDepth = name, 1
		}
		return false
	case strings.Contains(la, "divrplyfwdmsg") || strings.Contains(la, `id="appendonsend"`) ||
		strings.Contains(la, "id=appendonsend"):
		// Outlook: the quoted message follows, without a blockquote.
		return true
	}
	switch name {
	case "table":
		if !selfClosing {
			h.inCell = append(h.inCell, false)
		}
	case "tr":
		h.setCell(false)
	case "td", "th":
		h.setCell(true)
	}
	h.startMark(name, attrs)
	return false
}

// startMark writes what a start tag stands for in text: a line break, a
// list item's dash, a cell mark, an image's alt text; inside a table
// cell, a space.
func (h *htmlText) startMark(name, attrs string) {
	switch {
	case h.cellOpen() && name != "pre" && (name == "br" || name == "li" || name == "hr" || isBlock(name)):
		h.b.WriteByte(' ')
	case name == "br":
		h.b.WriteByte('\n')
	case name == "li":
		h.b.WriteString("\n- ")
	case name == "td" || name == "th":
		h.b.WriteString(" " + CellMark)
	case name == "hr":
		h.b.WriteString("\n\n")
	case name == "pre":
		h.pre++
		h.b.WriteByte('\n')
	case name == "img":
		if alt := attrValue(attrs, "alt"); alt != "" {
			h.b.WriteString(" " + alt + " ")
		}
	default:
		if isBlock(name) {
			h.b.WriteByte('\n')
		}
	}
}

// tagEnd finds the '>' that ends the tag starting at i, skipping quoted
// attribute values; -1 when the tag does not end or is not a tag.
func tagEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	c := s[i]
	if !(c == '/' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return -1
	}
	var quote byte
	for j := i; j < len(s); j++ {
		switch ch := s[j]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '>':
			return j
		}
	}
	return -1
}

// tagName splits a tag's inside into its lower-case name and attributes.
func tagName(tag string) (string, string) {
	j := 0
	for j < len(tag) {
		c := tag[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':' || c == '-') {
			break
		}
		j++
	}
	return strings.ToLower(tag[:j]), strings.TrimSpace(tag[j:])
}

// attrValue returns attribute name's value from a tag's attributes.
func attrValue(attrs, name string) string {
	la := strings.ToLower(attrs)
	k := strings.Index(la, name+"=")
	if k < 0 {
		return ""
	}
	v := attrs[k+len(name)+1:]
	if v == "" {
		return ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		if e := strings.IndexByte(v[1:], q); e >= 0 {
			return html.UnescapeString(v[1 : 1+e])
		}
		return ""
	}
	if e := strings.IndexAny(v, " \t\n>"); e >= 0 {
		v = v[:e]
	}
	return html.UnescapeString(v)
}

func isBlock(name string) bool {
	switch name {
	case "p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
		"section", "article", "header", "footer", "dd", "dt", "dl", "address", "center",
		"blockquote", "pre", "body", "html", "form", "fieldset", "main", "nav", "aside", "figure":
		return true
	}
	return false
}

// writeHTMLText appends a text run: entities decoded, white space
// collapsed (kept inside <pre>).
func writeHTMLText(b *strings.Builder, t string, pre bool) {
	t = html.UnescapeString(t)
	if pre {
		b.WriteString(t)
		return
	}
	space := false
	for _, r := range t {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\u00a0':
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
}

// CleanText trims each line and keeps at most one blank line in a row.
func CleanText(s string) string {
	s = StripControls(s)
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true
	for _, l := range lines {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, l)
		blank = false
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
