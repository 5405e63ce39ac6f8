package sasloauth

import (
	"errors"
	"testing"
)

func TestXOAuth2InitialResponse(t *testing.T) {
	mech, ir, err := NewXOAuth2Client("a@example.org", "tok").Start()
	if err != nil || mech != "XOAUTH2" {
		t.Fatalf("Start: %q %v", mech, err)
	}
	if want := "user=a@example.org\x01auth=Bearer tok\x01\x01"; string(ir) != want {
		t.Fatalf("initial response %q, want %q", ir, want)
	}
	_, err = NewXOAuth2Client("a@example.org", "tok").Next([]byte(`{"status":"401"}`))
	var xe *XOAuth2Error
	if !errors.As(err, &xe) || xe.Challenge != `{"status":"401"}` {
		t.Fatalf("Next: %v", err)
	}
	if _, _, err := NewXOAuth2Client("a", "").Start(); err == nil {
		t.Fatal("empty token accepted")
	}
}
