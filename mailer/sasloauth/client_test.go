package sasloauth

import (
	"testing"

	"golang.org/x/oauth2"
)

func TestNewClientMechanisms(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok"})
	for mech, want := range map[string]string{"xoauth2": "XOAUTH2", "oauthbearer": "OAUTHBEARER"} {
		c, err := NewClient(mech, "a@example.org", ts)
		if err != nil {
			t.Fatal(err)
		}
		got, ir, err := c.Start()
		if err != nil || got != want || len(ir) == 0 {
			t.Fatalf("%s: %q %q %v", mech, got, ir, err)
		}
	}
	if _, err := NewClient("plain", "a", ts); err == nil {
		t.Fatal("unknown mechanism accepted")
	}
}
