package outreach

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules for text that goes into a header field: the mailer applies
// them to every name and subject it writes, and an import applies them to
// the names and titles it takes in, so a name the mailer would refuse is
// refused when it arrives, not when its invitation is composed.

// MaxDisplayName is the longest display name, in octets, the mailer writes
// (a mission's title is the display name of its addresses).
const MaxDisplayName = 300

// CheckHeaderText accepts text that can be written into a header field:
// valid UTF-8 of at most max octets without control characters (tab
// excepted) or line and paragraph separators, so no input can start a new
// header line.
func CheckHeaderText(s string, max int) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if len(s) > max {
		return fmt.Errorf("longer than %d octets", max)
	}
	for _, r := range s {
		if r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			return fmt.Errorf("contains control character %U (CR and LF are not allowed in a header)", r)
		}
	}
	return nil
}

// CheckDisplayName accepts a display name (RFC 5322 §3.4): header text of
// at most MaxDisplayName octets without a backslash, which some readers
// cannot parse back out of an encoded word.
func CheckDisplayName(s string) error {
	if err := CheckHeaderText(s, MaxDisplayName); err != nil {
		return err
	}
	if strings.Contains(s, `\`) {
		return fmt.Errorf("%q: a backslash cannot be written in a display name", s)
	}
	return nil
}

// isBidiControl reports whether r changes the direction of the text
// around it (embeddings, overrides, isolates: the characters of
// CVE-2021-42574), which lets a name show as something else.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// HeaderText is text as it may reach a header field or a page: the
// direction controls removed. Other control characters are refused by
// CheckHeaderText, not removed here.
func HeaderText(s string) string {
	if strings.IndexFunc(s, isBidiControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// Printable is text as it may reach a terminal: control characters (C0
// with tab, DEL, C1), line and paragraph separators, direction controls
// and invalid UTF-8 are written as visible escapes (\x1b, \u202e), so a
// name cannot move the cursor, retitle the window, ring the bell or
// reverse a line of a table.
func Printable(s string) string {
	clean := true
	for i, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r) {
			if r != utf8.RuneError || !strings.HasPrefix(s[i:], "\uFFFD") {
				clean = false
				break
			}
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
