package message

import "testing"

// TestSizeHintHoldsTheMessage: an invitation, with its 14 attachments,
// is written into the one buffer sizeHint sizes, without growing it.
func TestSizeHintHoldsTheMessage(t *testing.T) {
	for i := range 3 {
		m := invitation(i)
		b, err := m.Render()
		if err != nil {
			t.Fatal(err)
		}
		if cap(b) != m.sizeHint() {
			t.Errorf("invitation %d: %d bytes grew the buffer of %d", i, len(b), m.sizeHint())
		}
	}
}
