package config

import (
	"strings"
	"testing"
	"time"
)

func withWeb(section string) string {
	return strings.Replace(Example, "[web]\n", "[web]\n"+section+"\n", 1)
}

func TestWebSection(t *testing.T) {
	c, err := Parse(Example)
	if err != nil || c.Web.PublicURL != "" || c.Web.Listen != "" {
		t.Fatalf("without [web]: %+v, %v; want no pages", c.Web, err)
	}
	c, err = Parse(withWeb(`public_url = "https://rsvp.example.org"`))
	if err != nil || c.Web.Listen != "127.0.0.1:8026" {
		t.Fatalf("public_url alone: %+v, %v; want the loopback default", c.Web, err)
	}
	if _, err := Parse(withWeb(`public_url = "http://localhost:8026"`)); err != nil {
		t.Fatalf("http to localhost refused: %v", err)
	}
	for section, want := range map[string]string{
		`public_url = "http://rsvp.example.org"`:                             "web.public_url: \"http://rsvp.example.org\": use https",
		`public_url = "rsvp.example.org"`:                                    "web.public_url: \"rsvp.example.org\" is not an absolute address",
		`public_url = "https://rsvp.example.org/?x=1"`:                       "no query or fragment",
		"public_url = \"https://rsvp.example.org\"\nlisten = \"0.0.0.0:80\"": "web.listen: 0.0.0.0 is not a loopback address",
		`listen = "127.0.0.1:8026"`:                                          "web.public_url: required with web.listen",
		"public_url = \"https://rsvp.example.org\"\nport = 80":               "web.port: unknown key",
		`form_lifetime = "1m"`:                                               "web.form_lifetime: 1m0s, want between 10m",
		`form_lifetime = "30d"`:                                              "web.form_lifetime: 720h0m0s, want between 10m",
		`per_address_burst = 0`:                                              "web.per_address_burst: 0, want 1 to 100000",
		`per_token_burst = -5`:                                               "web.per_token_burst: -5, want 1 to 100000",
		`per_token_interval = "2h"`:                                          "web.per_token_interval: 2h0m0s, want between 1ms and 1h",
		`per_address_interval = "-1s"`:                                       "web.per_address_interval: -1s, want between 1ms and 1h",
		`per_token_interval = "soon"`:                                        "web.per_token_interval",
	} {
		_, err := Parse(withWeb(section))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", section, err, want)
		}
	}
}

// The form's lifetime and the rate limits default to what the pages
// applied before they were configurable, and take the values given.
func TestWebLimits(t *testing.T) {
	c, err := Parse(Example)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Web
	if w.FormLifetime.D != 12*time.Hour || w.PerAddressBurst != 60 || w.PerAddressInterval.D != time.Second ||
		w.PerTokenBurst != 30 || w.PerTokenInterval.D != 10*time.Second {
		t.Errorf("defaults: %+v; want 12h, 60 per 1s, 30 per 10s", w)
	}
	c, err = Parse(withWeb("public_url = \"https://rsvp.example.org\"\nform_lifetime = \"2d\"\nper_address_burst = 200\n" +
		"per_address_interval = \"250ms\"\nper_token_burst = 5\nper_token_interval = \"1m\""))
	if err != nil {
		t.Fatal(err)
	}
	w = c.Web
	if w.FormLifetime.D != 48*time.Hour || w.PerAddressBurst != 200 || w.PerAddressInterval.D != 250*time.Millisecond ||
		w.PerTokenBurst != 5 || w.PerTokenInterval.D != time.Minute {
		t.Errorf("configured: %+v", w)
	}
}
