package mailer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"outreach/internal/testenv"
	"outreach/mailer/sasloauth"
)

const oauthUser = "rsvp@presessions.example"

// oauthServer is a test SMTP server that checks tokens with p.
func oauthServer(t *testing.T, p *testenv.OAuth2Provider) *testServer {
	return startServer(t, &backend{oauth: p.Check}, serveClear, nil, func(s *smtp.Server) { s.AllowInsecureAuth = true })
}

func oauthSender(t *testing.T, port int, p *testenv.OAuth2Provider, mech string) *Sender {
	o := plainOptions(port)
	o.Username = oauthUser
	o.OAuth2 = &sasloauth.Login{Mechanism: mech,
		Tokens: sasloauth.RefreshToken(context.Background(), p.TokenURL, p.ClientID, p.ClientSecret, p.RefreshToken, "https://mail.google.com/")}
	return mustNew(t, o)
}

// Invitations go out authenticated by XOAUTH2 and by OAUTHBEARER; the
// token is reused while it lasts and renewed when it is about to expire.
func TestOAuth2SendAndRefresh(t *testing.T) {
	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run(mech, func(t *testing.T) {
			// Renewed once less than 10s remain: after one second.
			p := testenv.StartOAuth2Provider(t, oauthUser, 11*time.Second)
			srv := oauthServer(t, p)
			s := oauthSender(t, srv.port, p, mech)
			began := time.Now()
			for i := 1; i <= 2; i++ {
				if err := mustDial(t, s).Send(context.Background(), invitation(i)); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			time.Sleep(time.Until(began.Add(1100 * time.Millisecond)))
			if err := mustDial(t, s).Send(context.Background(), invitation(3)); err != nil {
				t.Fatalf("send after renewal time: %v", err)
			}
			msgs := srv.backend.messages()
			if len(msgs) != 3 {
				t.Fatalf("server received %d messages, want 3", len(msgs))
			}
			for _, m := range msgs {
				if m.User != oauthUser {
					t.Fatalf("message sent as %q, want %q", m.User, oauthUser)
				}
			}
			if g, _ := p.Grants(); g != 2 {
				t.Fatalf("%d tokens fetched, want 2 (one reused, one renewed)", g)
			}
			if got := strings.Join(p.Checked(), " "); got != "access-1 access-1 access-2" {
				t.Fatalf("server checked tokens %q", got)
			}
		})
	}
}

// A revoked token: one AUTH, refused, a permanent error with the server's
// code, words and reason; once the cached token has expired, the token
// endpoint's refusal, with its words, and no AUTH at all.
func TestOAuth2RevokedToken(t *testing.T) {
	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run(mech, func(t *testing.T) {
			p := testenv.StartOAuth2Provider(t, oauthUser, 11*time.Second)
			srv := oauthServer(t, p)
			s := oauthSender(t, srv.port, p, mech)
			mustDial(t, s)
			p.Revoke()

			_, err := s.Dial(context.Background())
			var e *Error
			if !errors.As(err, &e) || e.Op != OpAuth || e.Temporary || e.Code != 535 ||
				!strings.Contains(e.Error(), "the server's reason: {") {
				t.Fatalf("Dial with a revoked token: %v, want a permanent 535 with the server's reason", err)
			}
			if n := srv.backend.authCount(); n != 2 {
				t.Fatalf("%d AUTH commands, want 2 (one before revocation, one after)", n)
			}

			time.Sleep(1100 * time.Millisecond)
			_, err = s.Dial(context.Background())
			if !errors.As(err, &e) || e.Op != OpAuth || e.Temporary || !errors.Is(err, ErrTokenRefused) ||
				!strings.Contains(e.Error(), "Token has been expired or revoked.") {
				t.Fatalf("Dial with a revoked grant: %v, want a permanent error with the provider's words", err)
			}
			if n := srv.backend.authCount(); n != 2 {
				t.Fatalf("%d AUTH commands, want still 2: the token endpoint refused first", n)
			}
		})
	}
}

// A server that does not offer the configured mechanism is told apart
// from a refusal, and no token is fetched.
func TestOAuth2MechanismNotOffered(t *testing.T) {
	p := testenv.StartOAuth2Provider(t, oauthUser, time.Hour)
	srv := startServer(t, &backend{users: map[string]string{oauthUser: "pw"}}, serveClear, nil,
		func(s *smtp.Server) { s.AllowInsecureAuth = true })
	_, err := oauthSender(t, srv.port, p, "xoauth2").Dial(context.Background())
	if err == nil || !strings.Contains(err.Error(), "offers AUTH PLAIN, not XOAUTH2") {
		t.Fatalf("Dial: %v", err)
	}
	if g, _ := p.Grants(); g != 0 {
		t.Fatalf("%d tokens fetched for a server that cannot take them", g)
	}
}

func TestOAuth2Options(t *testing.T) {
	tokens := &sasloauth.Login{Mechanism: "xoauth2", Tokens: nil}
	for name, o := range map[string]Options{
		"no username":     {Host: "127.0.0.1", TLS: Plain, OAuth2: &sasloauth.Login{Mechanism: "xoauth2"}},
		"both":            {Host: "127.0.0.1", TLS: Plain, Username: "u", Password: "p", OAuth2: tokens},
		"bad mechanism":   {Host: "127.0.0.1", TLS: Plain, Username: "u", OAuth2: &sasloauth.Login{Mechanism: "plain"}},
		"no token source": {Host: "127.0.0.1", TLS: Plain, Username: "u", OAuth2: tokens},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
