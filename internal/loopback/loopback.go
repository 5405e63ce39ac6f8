// Package loopback says whether a host names this machine, the one rule
// behind every "loopback only" in outreach: clear-text SMTP and IMAP, the
// admin listener, the reply pages' and the desk's trust in a proxy.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host ("localhost", "127.0.0.1", "::1", "[::1]") is
// a loopback address. A name other than localhost is not resolved: it
// could resolve elsewhere tomorrow.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
