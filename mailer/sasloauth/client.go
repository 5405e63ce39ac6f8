package sasloauth

import (
	"fmt"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"
)

// NewClient fetches a token from ts and returns the SASL client for
// mechanism "xoauth2" or "oauthbearer". A token that cannot be obtained is
// returned as an error carrying the provider's words.
func NewClient(mechanism, username string, ts oauth2.TokenSource) (sasl.Client, error) {
	tok, err := ts.Token()
	if err != nil {
		return nil, fmt.Errorf("OAuth2 token for %s: %w", username, err)
	}
	switch mechanism {
	case "xoauth2":
		return NewXOAuth2Client(username, tok.AccessToken), nil
	case "oauthbearer":
		return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: username, Token: tok.AccessToken}), nil
	}
	return nil, fmt.Errorf("unknown OAuth2 SASL mechanism %q", mechanism)
}
