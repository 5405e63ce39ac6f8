package sasloauth

import (
	"testing"

	"golang.org/x/oauth2"
)

func TestClientInitialResponses(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok"})
	for mech, want := range map[string]string{
		"xoauth2":     "user=a@example.org\x01auth=Bearer tok\x01\x01",
		"OAUTHBEARER": "n,a=a@example.org,\x01auth=Bearer tok\x01\x01",
	} {
		c, err := NewClient(mech, "a@example.org", ts)
		if err != nil {
			t.Fatal(err)
		}
		name, ir, err := c.Start()
		if err != nil || string(ir) != want {
			t.Fatalf("%s: Start = %q %q %v, want initial response %q", mech, name, ir, err, want)
		}
	}
	if _, err := NewClient("plain", "a", ts); err == nil {
		t.Fatal("unknown mechanism accepted")
	}
	if _, err := NewClient("xoauth2", "a", oauth2.StaticTokenSource(&oauth2.Token{})); err == nil {
		t.Fatal("empty access token accepted")
	}
}

func TestClientAnswersRefusal(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok"})
	for mech, want := range map[string]string{"xoauth2": "", "oauthbearer": "\x01"} {
		c, err := NewClient(mech, "a@example.org", ts)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer"}`))
		if err != nil || resp == nil || string(resp) != want {
			t.Fatalf("%s: Next = %q %v, want %q", mech, resp, err, want)
		}
		if got := c.Refusal(); got != `{"status":"401","schemes":"bearer"}` {
			t.Fatalf("%s: Refusal = %q", mech, got)
		}
		if _, err := c.Next([]byte("again")); err == nil {
			t.Fatalf("%s: second challenge accepted", mech)
		}
	}
}
