package message

import (
	"bytes"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// stdQuotedPrintable is s as mime/quotedprintable's Writer encodes it, the
// bytes the message writer's own encoder must give.
func stdQuotedPrintable(t testing.TB, s string) string {
	var b bytes.Buffer
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := qp.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func checkQuotedPrintable(t testing.TB, s string) {
	t.Helper()
	w := &writer{buf: []byte("head")}
	w.quotedPrintable(s)
	if got, want := string(w.buf[len("head"):]), stdQuotedPrintable(t, s); got != want {
		t.Fatalf("quoted-printable of %q:\ngot  %q\nwant %q", s, got, want)
	}
}

// TestQuotedPrintableAsStdlib: the writer's quoted-printable is
// mime/quotedprintable's, byte for byte, on the edges of its rules (line
// lengths, spaces and tabs before breaks, CR, LF and CRLF, "=", bytes
// past ASCII) and on random text made of them.
func TestQuotedPrintableAsStdlib(t *testing.T) {
	for _, s := range []string{
		"", " ", "\t", "=", "\r", "\n", "\r\n", "\n\r", "\r\r\n", "a \r\nb", "a\t\n", "a \r", "a =\r\n",
		"\r=\n", "\r\xc3\n", "é", "end ", "end\t", " \r\n \r\n",
		strings.Repeat("x", 75), strings.Repeat("x", 76), strings.Repeat("x", 77), strings.Repeat("x", 200),
		strings.Repeat("x", 74) + " ", strings.Repeat("x", 75) + " ", strings.Repeat("x", 73) + "=y",
		strings.Repeat("x", 72) + "é", strings.Repeat("x", 74) + " \n", strings.Repeat("x", 75) + "\t\r\n",
		strings.Repeat("é", 40), strings.Repeat("ab= ", 50),
	} {
		checkQuotedPrintable(t, s)
	}
	alphabet := []string{"a", "Z", "0", "~", " ", "\t", "\r", "\n", "\r\n", "=", "é", "\x00", "\x7f", "\xff", "<p style=\"margin:0\">", "word "}
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for range r.IntN(300) {
			if r.IntN(4) == 0 {
				b.WriteString(strings.Repeat("x", r.IntN(90)))
			}
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		checkQuotedPrintable(t, b.String())
	}
}

func FuzzQuotedPrintable(f *testing.F) {
	f.Add("Caf\xc3\xa9 = cr\xe8me \r\n\tend ")
	f.Add(strings.Repeat("x", 75) + " \r\r\n=")
	f.Fuzz(func(t *testing.T, s string) { checkQuotedPrintable(t, s) })
}
