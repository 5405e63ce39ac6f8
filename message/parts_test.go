package message

import (
	"bytes"
	"testing"
)

// TestOwnedPartsStayTheMessagesUntilShed: attachments built into a buffer
// from PartsBuffer and owned by their message (OwnParts) are the
// message's alone until Shed: buffers handed out meanwhile, and written
// all over, are others, and the message renders as if its parts were
// its own copies; once shed, the bytes it rendered stay as they were
// whatever becomes of the buffer.
func TestOwnedPartsStayTheMessagesUntilShed(t *testing.T) {
	plain := invitation(1)
	want := render(t, plain)

	m := invitation(1)
	buf := PartsBuffer(64 << 10)
	for i, a := range m.Attachments {
		start := len(buf)
		buf = append(buf, a.Data...)
		m.Attachments[i].Data = buf[start:len(buf):len(buf)]
	}
	m.OwnParts(buf)

	scribble := func() {
		for range 4 {
			b := PartsBuffer(64 << 10)
			b = b[:cap(b)]
			for i := range b {
				b[i] = 'x'
			}
			// Not given back: a message would hold it.
		}
	}
	scribble()
	if err := m.Prepare(); err != nil {
		t.Fatal(err)
	}
	m.Shed()
	if m.Attachments != nil || m.parts != nil {
		t.Fatal("Shed kept the attachments or their buffer")
	}
	scribble()
	got, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the message rendered from its owned parts differs from the same message with parts of their own")
	}
}
