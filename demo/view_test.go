package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestLiveViewWritesNoControlCodesToAFile: the live view into a file or a
// pipe is plain text, each frame after the last; only on a terminal does
// it redraw the screen.
func TestLiveViewWritesNoControlCodesToAFile(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a live round")
	}
	var out bytes.Buffer
	_, err := Run(context.Background(), Options{Dir: t.TempDir(), Speed: 2e6, Frame: 20 * time.Millisecond, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07") {
		t.Errorf("control codes in the live view written to a file:\n%q", out.String()[:min(out.Len(), 400)])
	}
	if !strings.Contains(out.String(), "— demo round") {
		t.Errorf("no frame of the live view:\n%s", out.String())
	}
}
