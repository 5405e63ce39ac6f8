package sasloauth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestTokenSourcesCacheAndGrant(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		g := r.Form.Get("grant_type")
		if g != "client_credentials" && !(g == "refresh_token" && r.Form.Get("refresh_token") == "rt") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"token revoked"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"t%d","token_type":"Bearer","expires_in":3600}`, n.Add(1))
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	ctx := context.Background()
	cc := ClientCredentials(ctx, srv.URL, "id", "s", "scope")
	for i := 0; i < 3; i++ {
		tok, err := cc.Token()
		if err != nil || tok.AccessToken != "t1" {
			t.Fatalf("client credentials: %v %v", tok, err)
		}
	}
	if tok, err := RefreshToken(ctx, srv.URL, "id", "s", "rt").Token(); err != nil || tok.AccessToken != "t2" {
		t.Fatalf("refresh: %v %v", tok, err)
	}
	if _, err := RefreshToken(ctx, srv.URL, "id", "s", "bad").Token(); err == nil || !IsRefused(err) {
		t.Fatalf("revoked refresh token: %v, want a refusal", err)
	}
	if _, err := RefreshToken(ctx, "http://127.0.0.1:1/token", "id", "s", "rt").Token(); err == nil || IsRefused(err) {
		t.Fatalf("unreachable token endpoint: %v, want an error that is not a refusal", err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d token requests, want 2", n.Load())
	}
}
