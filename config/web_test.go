package config

import (
	"strings"
	"testing"
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
	} {
		_, err := Parse(withWeb(section))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", section, err, want)
		}
	}
}
