package testenv

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// OAuth2Provider is a token endpoint (RFC 6749: client credentials and
// refresh token grants) and a token introspection endpoint (RFC 7662)
// served on 127.0.0.1, standing for Microsoft's or Google's. Access tokens
// it issues are active for Lifetime; Dovecot started with
// DovecotOptions.OAuth2Introspection = p.IntrospectionURL asks it about
// each token it is given.
type OAuth2Provider struct {
	// TokenURL and IntrospectionURL are the endpoints.
	TokenURL, IntrospectionURL string
	// ClientID and ClientSecret are the credentials the token endpoint
	// accepts; RefreshToken the refresh token it accepts.
	ClientID, ClientSecret, RefreshToken string
	// User is the username every token logs in as.
	User string

	mu       sync.Mutex
	lifetime time.Duration
	revoked  bool
	n        int
	expiry   map[string]time.Time // access token → end of its life
	grants   int                  // token requests answered with a token
	refusals int                  // token requests refused
	checked  []string             // tokens introspected, in order
}

// StartOAuth2Provider serves a provider whose tokens log in as user and
// last lifetime. It stops when the test ends.
func StartOAuth2Provider(t testing.TB, user string, lifetime time.Duration) *OAuth2Provider {
	t.Helper()
	p := &OAuth2Provider{ClientID: "outreach-client", ClientSecret: "client-secret-28", RefreshToken: "refresh-28",
		User: user, lifetime: lifetime, expiry: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("POST /introspect", p.introspect)
	srv := httptest.NewUnstartedServer(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: OAuth2 provider: %v", err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	p.TokenURL = srv.URL + "/token"
	p.IntrospectionURL = srv.URL + "/introspect"
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *OAuth2Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	refuse := func(code, why string) {
		p.refusals++
		writeJSON(w, 400, map[string]string{"error": code, "error_description": why})
	}
	switch {
	case id != p.ClientID || secret != p.ClientSecret:
		refuse("invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	case p.revoked:
		refuse("invalid_grant", "Token has been expired or revoked.")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "refresh_token":
		if r.PostForm.Get("refresh_token") != p.RefreshToken {
			refuse("invalid_grant", "Bad Request: unknown refresh token")
			return
		}
	default:
		refuse("unsupported_grant_type", r.PostForm.Get("grant_type"))
		return
	}
	p.n++
	p.grants++
	tok := fmt.Sprintf("access-%d", p.n)
	p.expiry[tok] = time.Now().Add(p.lifetime)
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(p.lifetime / time.Second)})
}

func (p *OAuth2Provider) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	tok := r.PostForm.Get("token")
	user, ok := p.Check(tok)
	if !ok {
		writeJSON(w, 200, map[string]any{"active": false})
		return
	}
	writeJSON(w, 200, map[string]any{"active": true, "username": user})
}

// Check reports whether tok is an access token the provider issued that
// is still active, and whom it logs in; each call is counted in Checked.
// A test SMTP server calls it for each AUTH.
func (p *OAuth2Provider) Check(tok string) (user string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checked = append(p.checked, tok)
	end, known := p.expiry[tok]
	if !known || p.revoked || !time.Now().Before(end) {
		return "", false
	}
	return p.User, true
}

// Revoke ends every token: access tokens are no longer active, and the
// token endpoint refuses every grant, as after an administrator revoked
// the application's access.
func (p *OAuth2Provider) Revoke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = true
}

// Grants is the number of access tokens issued and Refusals the number of
// token requests refused.
func (p *OAuth2Provider) Grants() (grants, refusals int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.grants, p.refusals
}

// Checked lists the access tokens presented for checking, in order.
func (p *OAuth2Provider) Checked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.checked...)
}
