package loopback

import "testing"

func TestHost(t *testing.T) {
	for _, h := range []string{"localhost", "LocalHost", "127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1"} {
		if !Host(h) {
			t.Errorf("Host(%q) = false, want true", h)
		}
	}
	for _, h := range []string{"", "192.0.2.1", "10.0.0.1", "::", "0.0.0.0", "localhost.example.org", "127.0.0.1.nip.io", "[::2]", "mail.example"} {
		if Host(h) {
			t.Errorf("Host(%q) = true, want false", h)
		}
	}
}
