package message

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkRender measures composing one invitation (WriteTo), the part of
// Send that does not touch the network.
func BenchmarkRender(b *testing.B) {
	m := invitation(1)
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
