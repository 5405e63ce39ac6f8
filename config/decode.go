package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// typeErrorRE is how the TOML library reports a value of the wrong type
// (or one a field's UnmarshalText refused) and stops there.
var typeErrorRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

// decode is toml.Decode that goes on past values of the wrong type: each
// is reported by its key, in outreach's words, and left out (so its
// default applies) while the rest of the file is read, so a file with
// several such mistakes shows them all at once, with the other problems.
// A syntax error still stops at once; err is then what Decode returned.
func decode(text string, v any) (md toml.MetaData, typeErrs []error, err error) {
	// A file that does not read as TOML at all stops at its first
	// syntax error; one that does can only fail on a value's type.
	var raw map[string]any
	if md, err := toml.Decode(text, &raw); err != nil {
		return md, nil, err
	}
	lines := strings.Split(text, "\n")
	for range 100 {
		reflect.ValueOf(v).Elem().SetZero() // nothing kept from the last try
		md, err = toml.Decode(strings.Join(lines, "\n"), v)
		if err == nil {
			return md, inFileOrder(typeErrs), nil
		}
		m := typeErrorRE.FindStringSubmatch(err.Error())
		if m == nil {
			break
		}
		n, _ := strconv.Atoi(m[1])
		n, key := findLine(lines, m[2], m[3], n)
		if n < 1 {
			break
		}
		_, value, _ := strings.Cut(lines[n-1], "=")
		typeErrs = append(typeErrs, &lineError{n, fmt.Errorf("%s: %s", key, typeProblem(strings.TrimSpace(value), m[3]))})
		lines[n-1] = "# " + lines[n-1]
	}
	if len(typeErrs) > 0 {
		// What is left after the bad values were taken out does not
		// read (a value over several lines): report what was found.
		return md, inFileOrder(typeErrs), nil
	}
	return md, nil, err
}

// findLine returns the line (1-based) of the value the library's error is
// about, or 0, and the key as outreach names it ("reminders.rule[0].at").
// The library names the key, and a line that is not always the value's:
// in an array of tables ([[reminders.rule]]) it gives the key's last
// line. So the line is taken when it holds key and a value of the type
// the library reports; otherwise the first line that does.
func findLine(lines []string, key, msg string, n int) (int, string) {
	if m := incompatibleRE.FindStringSubmatch(msg); m != nil {
		if i, k := findLineOfType(lines, key, m[1], n); i > 0 {
			return i, k
		}
	}
	return findLineOfType(lines, key, "", n) // a type written otherwise
}

func findLineOfType(lines []string, key, wantType string, n int) (int, string) {
	table, shown := "", ""
	arrays := map[string]int{}
	first, firstKey := 0, ""
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			h := stripComment(t)
			table = strings.TrimSpace(strings.Trim(h, "[]"))
			shown = table
			if strings.HasPrefix(h, "[[") {
				shown = fmt.Sprintf("%s[%d]", table, arrays[table])
				arrays[table]++
			}
			continue
		}
		k, value, ok := strings.Cut(t, "=")
		if !ok || strings.HasPrefix(t, "#") {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"`)
		full, named := k, k
		if table != "" {
			full, named = table+"."+k, shown+"."+k
		}
		if full != key || (wantType != "" && valueType(value) != wantType) {
			continue
		}
		if i+1 == n {
			return n, named
		}
		if first == 0 {
			first, firstKey = i+1, named
		}
	}
	return first, firstKey
}

// valueType is the library's name for the type of a TOML value written
// on one line ("string", "int64"...).
func valueType(value string) string {
	var m map[string]any
	if _, err := toml.Decode("v = "+strings.TrimSpace(value), &m); err != nil {
		return ""
	}
	switch m["v"].(type) {
	case string:
		return "string"
	case int64:
		return "int64"
	case float64:
		return "float64"
	case bool:
		return "bool"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", m["v"])
}

// withoutKeys drops from err's lines those about keys already reported
// (a value left out for its type is not also "required").
func withoutKeys(err error, keys map[string]bool) []error {
	if err == nil {
		return nil
	}
	var out []error
	for _, line := range strings.Split(err.Error(), "\n") {
		key, _, _ := strings.Cut(line, ":")
		if !keys[key] {
			out = append(out, errors.New(line))
		}
	}
	return out
}

// incompatibleRE is the library's words for a value of another type.
var incompatibleRE = regexp.MustCompile(`incompatible types: TOML value has type (\S+); destination has type (\S+)`)

// typeProblem says what is wrong with value in outreach's words.
func typeProblem(value, msg string) string {
	value = stripComment(value)
	m := incompatibleRE.FindStringSubmatch(msg)
	if m == nil {
		// A field's own words (a duration, a date...).
		return msg
	}
	want := map[string]string{
		"integer": "a whole number without quotes",
		"int":     "a whole number without quotes",
		"string":  `text in quotes, such as "value"`,
		"bool":    "true or false, without quotes",
		"float":   "a number without quotes",
		"slice":   `a list in brackets, such as ["a", "b"]`,
		"array":   `a list in brackets, such as ["a", "b"]`,
		"map":     "a table",
		"struct":  "a table",
	}[m[2]]
	if want == "" {
		want = m[2]
	}
	msg = fmt.Sprintf("%s is %s; want %s", value, article(m[1]), want)
	if inner, err := strconv.Unquote(value); err == nil && m[1] == "string" && valueType(inner) == "int64" && strings.HasPrefix(m[2], "int") {
		msg += ": " + inner // `port = "993"` meant port = 993
	}
	return msg
}

func article(tomlType string) string {
	switch tomlType {
	case "string":
		return "text in quotes"
	case "integer", "int64":
		return "a whole number"
	case "float", "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "array":
		return "a list"
	}
	return "a " + tomlType
}

// stripComment drops a trailing "# ..." outside quotes.
func stripComment(v string) string {
	inQuote := byte(0)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inQuote != 0 && c == '\\' && inQuote == '"':
			i++
		case inQuote != 0 && c == inQuote:
			inQuote = 0
		case inQuote == 0 && (c == '"' || c == '\''):
			inQuote = c
		case inQuote == 0 && c == '#':
			return strings.TrimSpace(v[:i])
		}
	}
	return v
}

// typeErrKeys are the keys of decode's type errors.
func typeErrKeys(errs []error) map[string]bool {
	keys := map[string]bool{}
	for _, err := range errs {
		key, _, _ := strings.Cut(err.Error(), ":")
		keys[key] = true
	}
	return keys
}

// lineError is a type error with the line it was found on: the library
// finds them in no fixed order, they are reported in the file's.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }

func inFileOrder(errs []error) []error {
	slices.SortStableFunc(errs, func(a, b error) int {
		var la, lb *lineError
		errors.As(a, &la)
		errors.As(b, &lb)
		return la.line - lb.line
	})
	return errs
}
