package templates

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// tidyTextSplit is tidyText as first written, over strings.Split: the
// reference for the version that cuts one line at a time.
func tidyTextSplit(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var b strings.Builder
	blank, pending := true, false
	for _, line := range lines {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if line == "" {
			if !blank {
				pending = true
			}
			blank = true
			continue
		}
		if pending {
			b.WriteByte('\n')
			pending = false
		}
		b.WriteString(line)
		b.WriteByte('\n')
		blank = false
	}
	return b.String()
}

func TestTidyTextAsSplit(t *testing.T) {
	pieces := []string{"a", "word", " ", "\t", "\n", "\r\n", "\r", "\u00a0", "é", "\n\n\n", "  \n"}
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []string{"", "\n", "x", "x\n", "\n\nx\n\n", " \r\n \r\n"} {
		if got, want := tidyText(s), tidyTextSplit(s); got != want {
			t.Fatalf("tidyText(%q) = %q, want %q", s, got, want)
		}
	}
	for range 2000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := tidyText(s), tidyTextSplit(s); got != want {
			t.Fatalf("tidyText(%q) = %q, want %q", s, got, want)
		}
	}
}
