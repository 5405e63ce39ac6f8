package message

import (
	"fmt"
	"math/rand/v2"
	netmail "net/mail"
	"strings"
	"testing"
)

// encodeWordsSplit is encodeWords as first written (tokens split first,
// each encoded into a string of its own): the reference.
func encodeWordsSplit(s string, used int) string {
	qEncode := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == ' ':
				b.WriteByte('_')
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
				c == '!', c == '*', c == '+', c == '-', c == '/':
				b.WriteByte(c)
			default:
				fmt.Fprintf(&b, "=%02X", c)
			}
		}
		return b.String()
	}
	var toks []string
	for rest := s; len(rest) > 0; {
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			toks = append(toks, rest)
			break
		}
		toks = append(toks, rest[:i+1])
		rest = rest[i+1:]
	}
	const prefix, suffix = "=?UTF-8?q?", "?="
	var b, word strings.Builder
	room := 76 - used - len(prefix) - len(suffix)
	flush := func() {
		b.WriteString(prefix + word.String() + suffix + "\r\n ")
		word.Reset()
		room = 76 - 1 - len(prefix) - len(suffix)
	}
	for _, tok := range toks {
		enc := qEncode(tok)
		if word.Len() > 0 && word.Len()+len(enc) > room {
			flush()
		}
		if len(enc) <= room {
			word.WriteString(enc)
			continue
		}
		for _, r := range tok {
			e := qEncode(string(r))
			if word.Len() > 0 && word.Len()+len(e) > room {
				flush()
			}
			word.WriteString(e)
		}
	}
	b.WriteString(prefix + word.String() + suffix)
	return b.String()
}

// TestEncodeWordsAsSplit: encodeWords writes what it wrote when it split
// the text into tokens first, on subjects and names in the three
// languages, long words, invalid bytes and random text.
func TestEncodeWordsAsSplit(t *testing.T) {
	pieces := []string{"a", "Invitation", " ", "  ", "pré-sessions", "l'EPU", "=?", "_", "Côte d'Ivoire", "–", "😀",
		"\xff", "\xef\xbf\xbd", strings.Repeat("x", 70), strings.Repeat("é", 30), "(Genève, 10–13 octobre 2017)", "\t"}
	r := rand.New(rand.NewPCG(7, 8))
	cases := []string{"", " ", "a", "Invitation : pré-sessions de l'EPU, 28e session (Genève, 10–13 octobre 2017)"}
	for range 3000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		for _, used := range []int{1, 9, 10, 30} {
			if got, want := encodeWords(s, used), encodeWordsSplit(s, used); got != want {
				t.Fatalf("encodeWords(%q, %d):\ngot  %q\nwant %q", s, used, got, want)
			}
		}
	}
}

// TestQuotedNameAsNetMail: a plain display name is quoted as net/mail's
// Address.String quotes it.
func TestQuotedNameAsNetMail(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	names := []string{"", "UPR Info", `Korea, Republic of "Geneva"`, `back\slash`, "\ttab", `"`, `\`}
	for range 2000 {
		b := make([]byte, r.IntN(30))
		for i := range b {
			b[i] = byte(' ' + r.IntN('~'-' '+1))
			if r.IntN(20) == 0 {
				b[i] = '\t'
			}
		}
		names = append(names, string(b))
	}
	for _, n := range names {
		want := strings.TrimSuffix((&netmail.Address{Name: n, Address: "x@x"}).String(), " <x@x>")
		if n == "" {
			want = `""`
		}
		if got := quotedName(n); got != want {
			t.Fatalf("quotedName(%q) = %s, want %s", n, got, want)
		}
	}
}

// TestPlainAddrSpecAsNetMail: every address plainAddrSpec passes is one
// net/mail parses as itself, with no name.
func TestPlainAddrSpecAsNetMail(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "Z", "0", ".", "..", "@", "+", "-", "_", "!", "#", "$", "%", "&", "'", "*", "/", "=", "?", "^", "`", "{", "|", "}", "~",
		"(", ")", "<", ">", "[", "]", ":", ";", "\\", ",", "\"", " ", "rsvp", "presessions.example", "é", "\x7f", "\t"}
	passed := 0
	for range 200000 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if !plainAddrSpec(s) {
			continue
		}
		passed++
		a, err := netmail.ParseAddress(s)
		if err != nil || a.Name != "" || a.Address != s {
			t.Fatalf("plainAddrSpec(%q) passes, net/mail gives %+v, %v", s, a, err)
		}
	}
	for _, s := range []string{"rsvp+civ@presessions.example", "a.b@c.d", "x@y"} {
		if !plainAddrSpec(s) {
			t.Errorf("plainAddrSpec(%q) fails", s)
		}
	}
	if passed < 100 {
		t.Fatalf("only %d random addresses passed", passed)
	}
}
