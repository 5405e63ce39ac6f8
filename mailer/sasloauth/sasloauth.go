// Package sasloauth provides the SASL mechanisms used to log in to IMAP and
// SMTP servers with an OAuth2 access token: XOAUTH2 (Google, Microsoft) and
// OAUTHBEARER (RFC 7628), and the token sources that feed them
// (golang.org/x/oauth2: client credentials, RFC 6749 §4.4, and refresh
// tokens, §6).
package sasloauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"
)

// Mechanism names as servers advertise them.
const (
	XOAuth2     = "XOAUTH2"
	OAuthBearer = "OAUTHBEARER"
)

// Client is a SASL client logging in with one access token by XOAUTH2 or
// OAUTHBEARER. A server refusing the token sends its reason as a JSON
// challenge (RFC 7628 §3.2.2); the Client answers it as the mechanism
// requires (an empty response for XOAUTH2, %x01 for OAUTHBEARER), so that
// the server ends the exchange with its refusal, and keeps it for Refusal.
type Client struct {
	mech      string
	username  string
	token     string
	challenge []byte
	answered  bool
}

// NewClient takes a token from ts and returns a Client for mechanism
// ("xoauth2" or "oauthbearer", in any case) logging in as username. An
// error getting the token wraps the token endpoint's error (see
// IsRefused).
func NewClient(mechanism, username string, ts oauth2.TokenSource) (*Client, error) {
	mech := strings.ToUpper(mechanism)
	if mech != XOAuth2 && mech != OAuthBearer {
		return nil, fmt.Errorf("unknown OAuth2 SASL mechanism %q (want xoauth2 or oauthbearer)", mechanism)
	}
	tok, err := ts.Token()
	if err != nil {
		return nil, fmt.Errorf("OAuth2 token for %s: %w", username, err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("OAuth2 token for %s: the token endpoint gave an empty access token", username)
	}
	return &Client{mech: mech, username: username, token: tok.AccessToken}, nil
}

// Mechanism returns the SASL mechanism name, e.g. "XOAUTH2".
func (c *Client) Mechanism() string { return c.mech }

// Start returns the mechanism and its initial response.
func (c *Client) Start() (string, []byte, error) {
	if c.mech == OAuthBearer {
		return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: c.username, Token: c.token}).Start()
	}
	return XOAuth2, []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge; a second challenge is an
// error.
func (c *Client) Next(challenge []byte) ([]byte, error) {
	if c.answered {
		return nil, fmt.Errorf("%s: unexpected second challenge %q", c.mech, challenge)
	}
	c.answered = true
	c.challenge = append([]byte(nil), challenge...)
	if c.mech == OAuthBearer {
		return []byte{0x01}, nil
	}
	return []byte{}, nil
}

// Refusal returns the server's error challenge, its reason for refusing
// the token (e.g. {"status":"401","schemes":"bearer"}), or "" when it sent
// none.
func (c *Client) Refusal() string { return strings.TrimSpace(string(c.challenge)) }

// IsRefused reports whether err is the token endpoint refusing the
// credentials or the grant (an OAuth2 error response, RFC 6749 §5.2, e.g.
// invalid_client or invalid_grant for a revoked refresh token), as opposed
// to a network failure on the way to it. Retrying a refusal cannot help
// until an operator changes the credentials.
func IsRefused(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500
}

// Login is how a client logs in with OAuth2: the SASL mechanism and where
// its access tokens come from.
type Login struct {
	// Mechanism is "xoauth2" or "oauthbearer".
	Mechanism string
	// Tokens gives the access token of each login. It should cache the
	// token and fetch a new one when it is about to expire, as
	// ClientCredentials and RefreshToken do.
	Tokens oauth2.TokenSource
}

// Check reports what is missing or wrong in l.
func (l *Login) Check() error {
	if l.Tokens == nil {
		return errors.New("OAuth2 login without a token source")
	}
	switch strings.ToUpper(l.Mechanism) {
	case XOAuth2, OAuthBearer:
		return nil
	}
	return fmt.Errorf("unknown OAuth2 SASL mechanism %q (want xoauth2 or oauthbearer)", l.Mechanism)
}
