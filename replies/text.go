package replies

import (
	"strings"
	"unicode/utf8"
)

// excerpt returns the start of text, about n characters, cut at a word.
func excerpt(text string, n int) string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	cut := 0
	count := 0
	for i := range text {
		if count == n {
			cut = i
			break
		}
		count++
	}
	s := text[:cut]
	if sp := strings.LastIndexAny(s, " \n"); sp > n/2 {
		s = s[:sp]
	}
	return strings.TrimSpace(s) + "…"
}

// firstLines returns the opening of a letter after its greeting, about n
// characters, on one line: what staff see as the mission's own words.
func firstLines(text string, n int) string {
	var kept []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if len(kept) > 0 {
				break
			}
			continue
		}
		if len(kept) == 0 && salutation(fold(l)) && utf8.RuneCountInString(l) < 60 {
			continue
		}
		kept = append(kept, l)
	}
	return excerpt(strings.Join(kept, " "), n)
}
