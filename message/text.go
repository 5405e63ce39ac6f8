package message

import "strings"

// BareAddress cuts an address at the first space or control character:
// what follows is not part of it.
func BareAddress(a string) string {
	if i := strings.IndexFunc(a, func(r rune) bool {
		return r <= ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029'
	}); i >= 0 {
		return a[:i]
	}
	return a
}

// StripControls drops C0 and C1 control characters other than tab and
// line feed, and turns carriage returns and Unicode line and paragraph
// separators into line feeds.
func StripControls(s string) string {
	clean := true
	for _, r := range s {
		if (r < ' ' && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case (r < ' ' && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f):
			return -1
		}
		return r
	}, s)
}
