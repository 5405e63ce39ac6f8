package ical

import (
	"bytes"
	"testing"
)

// TestAppendRequestBuildsIntoOneBuffer: the calendars of a message built
// one after another into one buffer are each what Request builds alone,
// and a calendar that cannot be built leaves the buffer as it was.
func TestAppendRequestBuildsIntoOneBuffer(t *testing.T) {
	first := demoRequest(t)
	second := demoSession(t, "FRA", "France", 11, 14, civ)
	want1, err := Request(first)
	if err != nil {
		t.Fatal(err)
	}
	want2, err := Request(second)
	if err != nil {
		t.Fatal(err)
	}
	for _, capacity := range []int{0, 16, 64 << 10} {
		buf := append(make([]byte, 0, capacity), "prefix"...)
		buf, err := AppendRequest(buf, first)
		if err != nil {
			t.Fatal(err)
		}
		mid := len(buf)
		buf, err = AppendRequest(buf, second)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:6]) != "prefix" || !bytes.Equal(buf[6:mid], want1) || !bytes.Equal(buf[mid:], want2) {
			t.Fatalf("capacity %d: the buffer holds %q", capacity, buf)
		}
		broken := second
		broken.UID = ""
		before := bytes.Clone(buf)
		got, err := AppendRequest(buf, broken)
		if err == nil || got != nil {
			t.Fatalf("capacity %d: a request without UID gave %q, %v", capacity, got, err)
		}
		if !bytes.Equal(buf, before) {
			t.Fatalf("capacity %d: a failed request changed the buffer", capacity)
		}
	}
}
