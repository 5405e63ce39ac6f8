package sasloauth

import (
	"context"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientCredentials returns a token source for the client-credentials grant
// (Microsoft 365 app-only access). Tokens are cached in memory and fetched
// again shortly before they expire.
func ClientCredentials(ctx context.Context, tokenURL, clientID, secret string, scopes ...string) oauth2.TokenSource {
	cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: tokenURL, Scopes: scopes}
	return oauth2.ReuseTokenSource(nil, cfg.TokenSource(ctx))
}

// RefreshToken returns a token source exchanging a long-lived refresh token
// (Google Workspace, delegated Microsoft) for access tokens, cached in memory.
func RefreshToken(ctx context.Context, tokenURL, clientID, secret, refresh string, scopes ...string) oauth2.TokenSource {
	cfg := &oauth2.Config{ClientID: clientID, ClientSecret: secret, Scopes: scopes,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	return oauth2.ReuseTokenSource(nil, cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}))
}
