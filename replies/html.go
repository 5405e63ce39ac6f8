package replies

import (
	"html"
	"strings"
)

// htmlToText turns an HTML mail body into plain text: script, style and
// head are dropped, block elements become line breaks, entities are
// decoded. Quoted mail is dropped too: <blockquote>, Gmail's gmail_quote,
// Thunderbird's moz-cite-prefix and Yahoo's yahoo_quoted, and everything
// from Outlook's divRplyFwdMsg / appendonsend marker on.
func htmlToText(s string) string {
	if len(s) > maxHTML {
		s = s[:maxHTML]
	}
	var b strings.Builder
	b.Grow(len(s) / 2)
	// skip is the element whose content is being dropped, with its depth.
	skip, skipDepth := "", 0
	pre := 0
	// inCell has one entry per open table: whether a cell of its current
	// row is open, where block elements and line breaks are a space so
	// that a row stays one line.
	var inCell []bool
	cellOpen := func() bool { return len(inCell) > 0 && inCell[len(inCell)-1] }
	setCell := func(v bool) {
		if len(inCell) > 0 {
			inCell[len(inCell)-1] = v
		}
	}
	i := 0
	for i < len(s) {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			if skip == "" {
				writeHTMLText(&b, s[i:], pre > 0)
			}
			break
		}
		if lt > 0 && skip == "" {
			writeHTMLText(&b, s[i:i+lt], pre > 0)
		}
		i += lt
		// Comments, conditional comments, CDATA, doctype.
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		if strings.HasPrefix(s[i:], "<!") || strings.HasPrefix(s[i:], "<?") {
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				break
			}
			i += end + 1
			continue
		}
		end := tagEnd(s, i+1)
		if end < 0 {
			// A lone '<' in text.
			if skip == "" {
				b.WriteByte('<')
			}
			i++
			continue
		}
		tag := s[i+1 : end]
		i = end + 1
		closing := strings.HasPrefix(tag, "/")
		if closing {
			tag = tag[1:]
		}
		name, attrs := tagName(tag)
		if name == "" {
			if skip == "" {
				b.WriteString("<" + tag + ">")
			}
			continue
		}
		selfClosing := strings.HasSuffix(attrs, "/")
		if skip != "" {
			if name == skip && !selfClosing {
				if closing {
					skipDepth--
				} else {
					skipDepth++
				}
				if skipDepth == 0 {
					skip = ""
					if isBlock(name) {
						b.WriteByte('\n')
					}
				}
			}
			continue
		}
		if closing {
			if name == "pre" && pre > 0 {
				pre--
			}
			switch name {
			case "table":
				if len(inCell) > 0 {
					inCell = inCell[:len(inCell)-1]
				}
			case "td", "th", "tr":
				setCell(false)
			}
			if isBlock(name) {
				if cellOpen() {
					b.WriteByte(' ')
				} else {
					b.WriteByte('\n')
				}
			}
			continue
		}
		la := strings.ToLower(attrs)
		switch {
		case name == "script" || name == "style" || name == "head" || name == "title" ||
			name == "noscript" || name == "template" || name == "xml":
			if !selfClosing {
				skip, skipDepth = name, 1
			}
			continue
		case name == "blockquote",
			strings.Contains(la, "gmail_quote"), strings.Contains(la, "moz-cite-prefix"),
			strings.Contains(la, "yahoo_quoted"), strings.Contains(la, "protonmail_quote"):
			if !selfClosing {
				skip, skipDepth = name, 1
			}
			continue
		case strings.Contains(la, "divrplyfwdmsg") || strings.Contains(la, `id="appendonsend"`) ||
			strings.Contains(la, "id=appendonsend"):
			// Outlook: the quoted message follows, without a blockquote.
			return cleanText(tableText(b.String()))
		}
		switch name {
		case "table":
			if !selfClosing {
				inCell = append(inCell, false)
			}
		case "tr":
			setCell(false)
		case "td", "th":
			setCell(true)
		}
		switch {
		case cellOpen() && name != "pre" && (name == "br" || name == "li" || name == "hr" || isBlock(name)):
			b.WriteByte(' ')
		case name == "br":
			b.WriteByte('\n')
		case name == "li":
			b.WriteString("\n- ")
		case name == "td" || name == "th":
			b.WriteString(" " + cellMark)
		case name == "hr":
			b.WriteString("\n\n")
		case name == "pre":
			pre++
			b.WriteByte('\n')
		case name == "img":
			if alt := attrValue(attrs, "alt"); alt != "" {
				b.WriteString(" " + alt + " ")
			}
		default:
			if isBlock(name) {
				b.WriteByte('\n')
			}
		}
	}
	return cleanText(tableText(b.String()))
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

// cleanText trims each line and keeps at most one blank line in a row.
func cleanText(s string) string {
	s = stripControls(s)
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
