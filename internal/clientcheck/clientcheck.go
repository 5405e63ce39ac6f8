// Package clientcheck runs real client parsers over what outreach sends, so
// tests can check that mail clients read it as meant:
//   - Mozilla's ical.js (the engine of Thunderbird's calendar), run in Node
//     from the locked copy in js/ (npm ci there; .ci/install-deps does it);
//   - Python's icalendar (Debian's python3-icalendar) and Python's email
//     package with policy=default, run by /usr/bin/python3.
//
// Each parser's reading is reduced to a common view: a Calendar (METHOD and,
// per VEVENT, UID, SEQUENCE, STATUS, SUMMARY, LOCATION, DTSTART/DTEND in
// UTC, ORGANIZER and ATTENDEEs with CN, PARTSTAT, RSVP and ROLE) or an Email
// (defects, decoded headers, the tree of parts). The *All functions parse
// many inputs in a few processes, which is what makes checking every
// attachment of a whole round (195 messages × 14 objects) take seconds.
//
// PlayCalendar applies a run of iTIP objects (RFC 5546) to one calendar the
// way a client does, using ical.js, and returns the events it ends with.
//
// When a parser is not installed, Require skips the test, or fails it when
// OUTREACH_INTEGRATION is "require", as internal/testenv does for the mail
// servers. The package is for tests only: import it from _test.go files.
package clientcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"outreach/internal/testenv"
)

// Python is the interpreter the Python checks run: Debian's, which has
// python3-icalendar, whatever python3 comes first in PATH.
const Python = "/usr/bin/python3"

// Parser names one of the outside parsers.
type Parser int

const (
	// ICALJSParser is ical.js in Node.
	ICALJSParser Parser = iota
	// PyICalendarParser is Python's icalendar package.
	PyICalendarParser
	// PyEmailParser is Python's email package.
	PyEmailParser
)

func (p Parser) String() string {
	switch p {
	case ICALJSParser:
		return "ical.js"
	case PyICalendarParser:
		return "Python icalendar"
	case PyEmailParser:
		return "Python email"
	}
	return fmt.Sprintf("Parser(%d)", int(p))
}

// ErrUnavailable is returned (wrapped) when a parser is not installed.
var ErrUnavailable = errors.New("clientcheck: parser not installed")

// timeout bounds one parser process. Thousands of objects take seconds; a
// process still running after this is stuck.
const timeout = 5 * time.Minute

// batch is how many inputs one process gets at least: below it, starting
// another process costs more than it saves.
const batch = 200

// dir is the folder holding js/ and py/, found from this file's path: the
// package is only used by tests run from the module's source tree.
func dir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", fmt.Errorf("%w: cannot locate the scripts (built with -trimpath?)", ErrUnavailable)
	}
	return filepath.Dir(file), nil
}

// probe checks once per process what is installed.
var probe = sync.OnceValue(func() map[Parser]error {
	out := map[Parser]error{}
	d, err := dir()
	if err != nil {
		for _, p := range []Parser{ICALJSParser, PyICalendarParser, PyEmailParser} {
			out[p] = err
		}
		return out
	}
	if _, err := exec.LookPath("node"); err != nil {
		out[ICALJSParser] = fmt.Errorf("%w: node is not in PATH (Debian package nodejs)", ErrUnavailable)
	} else if _, err := os.Stat(filepath.Join(d, "js", "node_modules", "ical.js", "package.json")); err != nil {
		out[ICALJSParser] = fmt.Errorf("%w: ical.js is not installed (npm ci in internal/clientcheck/js)", ErrUnavailable)
	}
	if _, err := os.Stat(Python); err != nil {
		err = fmt.Errorf("%w: %s is missing (Debian package python3)", ErrUnavailable, Python)
		out[PyICalendarParser], out[PyEmailParser] = err, err
		return out
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, Python, "-I", "-c", "import icalendar").CombinedOutput(); err != nil {
		out[PyICalendarParser] = fmt.Errorf("%w: %s cannot import icalendar (Debian package python3-icalendar): %v %s",
			ErrUnavailable, Python, err, bytes.TrimSpace(b))
	}
	return out
})

// Available returns nil when every parser named is installed, or an error
// wrapping ErrUnavailable that says what is missing.
func Available(parsers ...Parser) error {
	found := probe()
	var errs []error
	for _, p := range parsers {
		if err := found[p]; err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// Require skips the test when a parser named is not installed, or fails it
// when OUTREACH_INTEGRATION is "require" (see testenv.Unavailable).
func Require(t testing.TB, parsers ...Parser) {
	t.Helper()
	if err := Available(parsers...); err != nil {
		testenv.Unavailable(t, "%v", err)
	}
}

// run feeds items to a script in as few processes as the machine runs at
// once and returns the results in order, each decoded into a T. Every
// script reads the items framed as "LENGTH\n" followed by that many bytes,
// one after the other, and writes {"results": [...]}, one per item.
func run[T any](p Parser, script string, items [][]byte) ([]T, error) {
	if err := Available(p); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, nil
	}
	d, _ := dir()
	workers := min(runtime.GOMAXPROCS(0), (len(items)+batch-1)/batch)
	per := (len(items) + workers - 1) / workers
	out := make([]T, len(items))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(items))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := runOne[T](p, d, script, items[lo:hi])
			if err != nil {
				errs[w] = err
				return
			}
			copy(out[lo:hi], res)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func runOne[T any](p Parser, d, script string, items [][]byte) ([]T, error) {
	stdout, err := execScript(p, d, script, items)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Results []T `json:"results"`
	}
	if err := json.Unmarshal(stdout, &resp); err != nil {
		return nil, fmt.Errorf("clientcheck: %s %s: read its output: %w", p, script, err)
	}
	if len(resp.Results) != len(items) {
		return nil, fmt.Errorf("clientcheck: %s %s: %d results for %d inputs", p, script, len(resp.Results), len(items))
	}
	return resp.Results, nil
}

// runPlay runs js/play.js over objects in one process.
func runPlay(d string, objects [][]byte) ([]byte, error) {
	return execScript(ICALJSParser, d, "play.js", objects)
}

// execScript runs one script over items and returns what it wrote.
func execScript(p Parser, d, script string, items [][]byte) ([]byte, error) {
	// Length-prefixed raw bytes: no base64 or JSON to build for megabytes
	// of input.
	var in bytes.Buffer
	for _, it := range items {
		in.WriteString(strconv.Itoa(len(it)))
		in.WriteByte('\n')
		in.Write(it)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var cmd *exec.Cmd
	if p == ICALJSParser {
		cmd = exec.CommandContext(ctx, "node", filepath.Join(d, "js", script))
		cmd.Dir = filepath.Join(d, "js")
	} else {
		// -I: no user site-packages or PYTHON* variables, only Debian's.
		cmd = exec.CommandContext(ctx, Python, "-I", filepath.Join(d, "py", script))
		cmd.Dir = filepath.Join(d, "py")
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC", "LANG=C.UTF-8", "HOME=" + os.TempDir()}
	cmd.Stdin = &in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("clientcheck: %s %s: %v: %s", p, script, err, tail(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}
