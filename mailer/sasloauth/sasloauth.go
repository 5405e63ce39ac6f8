// Package sasloauth provides the SASL mechanisms used to log in to IMAP and
// SMTP servers with an OAuth2 access token: XOAUTH2 (Google, Microsoft) and
// OAUTHBEARER (RFC 7628).
package sasloauth

import (
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"
)

// XOAuth2 is the mechanism name of Google's and Microsoft's XOAUTH2.
const XOAuth2 = "XOAUTH2"

// XOAuth2Error is the server's JSON challenge sent after a refused token.
type XOAuth2Error struct {
	Challenge string
}

func (e *XOAuth2Error) Error() string {
	return "XOAUTH2 token refused: " + e.Challenge
}

type xoauth2Client struct {
	username, token string
}

// NewXOAuth2Client returns a SASL client sending the XOAUTH2 initial
// response "user=<user>^Aauth=Bearer <token>^A^A".
func NewXOAuth2Client(username, token string) sasl.Client {
	return &xoauth2Client{username: username, token: token}
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	if c.token == "" {
		return "", nil, errors.New("XOAUTH2: empty access token")
	}
	ir := fmt.Sprintf("user=%s\x01auth=Bearer %s\x01\x01", c.username, c.token)
	return XOAuth2, []byte(ir), nil
}

// Next answers the server's error challenge with an empty response, as the
// mechanism requires, and reports the server's words.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	return nil, &XOAuth2Error{Challenge: string(challenge)}
}
