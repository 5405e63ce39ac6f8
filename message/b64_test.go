package message

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// TestBase64LinesAsStdlib: base64Lines is encoding/base64 cut into lines
// of 76 characters, each ending in CRLF, for every length around a line.
func TestBase64LinesAsStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 400 {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		enc := base64.StdEncoding.EncodeToString(data)
		var want bytes.Buffer
		for len(enc) > 0 {
			k := min(76, len(enc))
			want.WriteString(enc[:k] + "\r\n")
			enc = enc[k:]
		}
		w := &writer{buf: []byte("x")}
		w.base64Lines(data)
		if got := w.buf[1:]; !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%d bytes:\ngot  %q\nwant %q", n, got, want.Bytes())
		}
		if len(w.buf)-1 != base64LinesLen(n) {
			t.Fatalf("%d bytes: %d written, base64LinesLen says %d", n, len(w.buf)-1, base64LinesLen(n))
		}
	}
}
