package replies

import (
	"outreach/message"
	"regexp"
	"strings"
)

var (
	// A cell that answers by itself.
	cellYesRe = regexp.MustCompile(`^(?:yes|y|oui|si|confirmed|confirme|confirmado|will attend|attending|participera|asistira)$`)
	cellNoRe  = regexp.MustCompile(`^(?:no|n|non|not attending|will not attend|ne participera pas|no asistira)$`)
	// A cell that marks its column; the column's header says what for.
	cellMarkRe = regexp.MustCompile(`^(?:x|\x{2713}|\x{2714}|\x{221a}|\x{2611}|\x{2612}|\x{25cf}|\*)$`)
	// Headers of a column of marks.
	headNoRe  = regexp.MustCompile(`\b(?:not|no|non|pas|cannot|unable|decline|regrets?|absent)\b`)
	headYesRe = regexp.MustCompile(`\b(?:attend\w*|yes|oui|si|participat\w*|participera|asist\w*|present\w*|confirm\w*)\b`)
)

// htmlLetter is the text of an HTML body as the letter reader reads it:
// tables rewritten as sentences (tableText), lines tidied.
func htmlLetter(s string) string {
	return message.CleanText(tableText(message.HTMLToText(s)))
}

// tableText rewrites the rows of the tables in text (cells started by
// cellMark) so the letter reader reads each row as a sentence: a row
// answered by a yes/no cell, or by a mark under a column whose header
// says attend or not, becomes "We will (not) attend the pre-session on
// <the row's other cells>."; a header row is dropped; any other row is
// left as its cells' text, which answers nothing.
func tableText(text string) string {
	if !strings.Contains(text, message.CellMark) {
		return text
	}
	lines := strings.Split(text, "\n")
	var header []string
	first := true // the next row is a table's first
	for i, l := range lines {
		if !strings.Contains(l, message.CellMark) {
			if strings.TrimSpace(l) != "" {
				header, first = nil, true
			}
			continue
		}
		cells := rowCells(l)
		wasFirst := first
		first = false
		if len(cells) < 2 {
			lines[i] = strings.Join(cells, " ")
			continue
		}
		answer, rest, ok := rowAnswer(cells, header)
		switch {
		case ok:
			lines[i] = answer + strings.Join(rest, ", ") + "."
		case wasFirst && !rowMarked(cells):
			// The first row, answering nothing by itself: the header.
			header = cells
			lines[i] = ""
		default:
			lines[i] = strings.Join(cells, " ")
		}
	}
	return strings.Join(lines, "\n")
}

// rowCells returns the trimmed cells of a row line.
func rowCells(l string) []string {
	parts := strings.Split(l, message.CellMark)
	var cells []string
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if i == 0 && p == "" {
			continue
		}
		cells = append(cells, p)
	}
	return cells
}

// rowMarked says whether a row has a cell that marks a column.
func rowMarked(cells []string) bool {
	for _, c := range cells {
		if cellMarkRe.MatchString(fold(c)) {
			return true
		}
	}
	return false
}

// rowAnswer reads a row: the answer's sentence start, and the cells that
// name the session. ok is false when the row has no answer or two that
// disagree.
func rowAnswer(cells, header []string) (answer string, rest []string, ok bool) {
	yes, no := false, false
	for i, c := range cells {
		f := fold(c)
		switch {
		case f == "":
			continue
		case cellYesRe.MatchString(f):
			yes = true
		case cellNoRe.MatchString(f):
			no = true
		case cellMarkRe.MatchString(f):
			if i >= len(header) || len(header) != len(cells) {
				return "", nil, false
			}
			h := fold(header[i])
			switch {
			case headNoRe.MatchString(h):
				no = true
			case headYesRe.MatchString(h):
				yes = true
			default:
				return "", nil, false
			}
		default:
			rest = append(rest, c)
		}
	}
	if yes == no || len(rest) == 0 {
		return "", nil, false
	}
	if yes {
		return "We will attend the pre-session on ", rest, true
	}
	return "We will not attend the pre-session on ", rest, true
}

// listLineRe is a line of a list that answers one item: a bullet or a
// number (an HTML <li> reads as "- "), the item, a colon or dash, and a
// yes or no ("- Argentina: yes", "• Switzerland – no", "2. Pérou : oui").
// A line without the bullet ("Re Ukraine: yes.") is not a list's.
var listLineRe = regexp.MustCompile(`^\s*(?:[-*\x{2022}\x{00b7}\x{2013}]\s+|\d{1,2}[.)]\s+)([^:\x{2013}\x{2014}=]{2,80}?)\s*(?::|\s-|\x{2013}|\x{2014}|=)\s*([^\s.!]{1,12})\s*[.!]?\s*$`)

// listText rewrites the lines of a list answered item by item as the
// sentences tableText makes of a table's rows: "- Argentina: yes" becomes
// "We will attend the pre-session on Argentina." Any other line is kept.
func listText(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if s, ok := pairsLine(l); ok {
			lines[i] = s
			continue
		}
		m := listLineRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if answer, rest, ok := rowAnswer([]string{strings.TrimSpace(m[1]), m[2]}, nil); ok {
			lines[i] = answer + strings.Join(rest, ", ") + "."
		}
	}
	return strings.Join(lines, "\n")
}

// pairRe is one item answered in a line of such pairs: "Ghana yes".
var pairRe = regexp.MustCompile(`(?i)^\s*([^,;:]{2,40}?)\s+(yes|no|oui|non|s[ií])\s*[.!]?\s*$`)

// pairsLine rewrites a line that is nothing but items answered in turn,
// "Ghana yes, Guatemala yes, Japan no" (after an optional label such as
// "Sweden:"), two items at least, as one sentence an item. Any other
// line is not rewritten.
func pairsLine(l string) (string, bool) {
	body := l
	if label, rest, ok := strings.Cut(l, ":"); ok && !pairRe.MatchString(label) && len(label) <= 60 {
		body = rest
	}
	parts := strings.FieldsFunc(body, func(r rune) bool { return r == ',' || r == ';' })
	if len(parts) < 2 {
		return "", false
	}
	var out []string
	for _, p := range parts {
		m := pairRe.FindStringSubmatch(p)
		if m == nil {
			return "", false
		}
		answer, rest, ok := rowAnswer([]string{strings.TrimSpace(m[1]), strings.ToLower(m[2])}, nil)
		if !ok {
			return "", false
		}
		out = append(out, answer+strings.Join(rest, ", ")+".")
	}
	return strings.Join(out, " "), true
}
