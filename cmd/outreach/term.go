package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"outreach"
)

// printf is fmt.Fprintf for everything that reaches a terminal: every
// string argument (and every value whose kind is string, and every error)
// is written through outreach.Printable, so a name, a subject or a
// server's words cannot carry escape sequences, a bell or a direction
// override onto the staff's screen. Every table and report uses it.
func printf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, printableArgs(args)...)
}

func printableArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			out[i] = a
		case string:
			out[i] = outreach.Printable(v)
		case error:
			out[i] = printableLines(v.Error())
		default:
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				out[i] = outreach.Printable(rv.String())
			} else {
				out[i] = a
			}
		}
	}
	return out
}

// printableLines is outreach.Printable for text of several lines: the
// line breaks stay.
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = outreach.Printable(l)
	}
	return strings.Join(lines, "\n")
}

// isTerminal reports whether w is a terminal (a character device), where
// screen control codes mean something; a file or a pipe gets none.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && fi.Mode()&os.ModeNamedPipe == 0
}

// jsonForTerminal writes the characters encoding/json leaves as they are
// but a terminal acts on (DEL, C1 controls, direction controls) as \u
// escapes: the same JSON values, nothing for a screen to obey.
func jsonForTerminal(s string) string {
	if strings.IndexFunc(s, unsafeInJSON) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeInJSON(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeInJSON(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}
