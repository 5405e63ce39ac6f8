package config

import (
	"errors"
	"fmt"
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
		md, err = toml.Decode(strings.Join(lines, "\n"), v)
		if err == nil {
			return md, inFileOrder(typeErrs), nil
		}
		m := typeErrorRE.FindStringSubmatch(err.Error())
		if m == nil {
			break
		}
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(lines) || !strings.Contains(lines[n-1], "=") {
			break
		}
		_, value, _ := strings.Cut(lines[n-1], "=")
		typeErrs = append(typeErrs, &lineError{n, fmt.Errorf("%s: %s", m[2], typeProblem(strings.TrimSpace(value), m[3]))})
		lines[n-1] = "# " + lines[n-1]
	}
	if len(typeErrs) > 0 {
		// What is left after the bad values were taken out does not
		// read (a value over several lines): report what was found.
		return md, inFileOrder(typeErrs), nil
	}
	return md, nil, err
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
		"integer": "a whole number without quotes, such as 993",
		"int":     "a whole number without quotes, such as 993",
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
	return fmt.Sprintf("%s is %s; want %s", value, article(m[1]), want)
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
