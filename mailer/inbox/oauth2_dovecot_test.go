package inbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"outreach/internal/testenv"
	"outreach/mailer/sasloauth"
)

// oauthWatcher is a watcher logging in to d with tokens from p by mech.
func oauthWatcher(t *testing.T, d *testenv.Dovecot, p *testenv.OAuth2Provider, mech string, h Handler, edit func(*Options)) *Watcher {
	t.Helper()
	w, _ := newTestWatcher(t, d.Addr, h, func(o *Options) {
		o.Password = ""
		o.OAuth2 = &sasloauth.Login{Mechanism: mech,
			Tokens: sasloauth.ClientCredentials(context.Background(), p.TokenURL, p.ClientID, p.ClientSecret, "https://outlook.office365.com/.default")}
		if edit != nil {
			edit(o)
		}
	})
	return w
}

// Against Dovecot checking each token with the provider, the watcher logs
// in with XOAUTH2 and with OAUTHBEARER, files replies, reuses its token
// while it lasts and takes a new one when it is about to expire.
func TestDovecotOAuth2LoginAndRefresh(t *testing.T) {
	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run(mech, func(t *testing.T) {
			// A token lasting 11s is renewed once less than 10s remain
			// (golang.org/x/oauth2's margin): after one second.
			p := testenv.StartOAuth2Provider(t, testUser, 11*time.Second)
			d := testenv.StartDovecotWith(t, testenv.DovecotOptions{OAuth2Introspection: p.IntrospectionURL},
				testenv.User{Name: testUser, Password: testPassword})
			rec := newRecorder()
			rec.folder = toFolder("processed")
			w := oauthWatcher(t, d, p, mech, rec, nil)
			ctx := context.Background()

			uid := d.Append(t, testUser, "INBOX", testMessage(1, 500))
			st, err := w.SyncOnce(ctx)
			if err != nil {
				t.Fatalf("first sync: %v\n%s", err, d.LogPath)
			}
			if st.Fetched != 1 || st.Filed != 1 || len(d.Messages(t, testUser, "processed")) != 1 {
				t.Fatalf("first sync: %+v, want uid %d fetched and filed", st, uid)
			}
			began := time.Now()
			if _, err := w.SyncOnce(ctx); err != nil {
				t.Fatalf("second sync: %v", err)
			}
			if g, _ := p.Grants(); g != 1 {
				t.Fatalf("%d tokens fetched for two logins within the token's life, want 1", g)
			}
			time.Sleep(time.Until(began.Add(1100 * time.Millisecond)))
			d.Append(t, testUser, "INBOX", testMessage(2, 500))
			st, err = w.SyncOnce(ctx)
			if err != nil {
				t.Fatalf("sync after the token's renewal time: %v", err)
			}
			if st.Fetched != 1 || st.Filed != 1 {
				t.Fatalf("third sync: %+v", st)
			}
			if g, _ := p.Grants(); g != 2 {
				t.Fatalf("%d tokens fetched, want a second one once the first was about to expire", g)
			}
			checked := p.Checked()
			want := []string{"access-1", "access-1", "access-2"}
			if strings.Join(checked, " ") != strings.Join(want, " ") {
				t.Fatalf("Dovecot checked tokens %q, want %q", checked, want)
			}
		})
	}
}

// holdGate is a LoginGate that, once told of a refusal, holds logins back
// until the test ends, counting what it is told.
type holdGate struct {
	mu       sync.Mutex
	refused  []error
	accepted int
}

func (g *holdGate) Held() (time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.refused) > 0 {
		return time.Now().Add(time.Hour), g.refused[len(g.refused)-1]
	}
	return time.Time{}, nil
}

func (g *holdGate) Wait(ctx context.Context) error {
	if _, why := g.Held(); why == nil {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (g *holdGate) Refused(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused = append(g.refused, err)
}

func (g *holdGate) Accepted() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.accepted++
}

// A revoked token is refused by Dovecot: one attempt, a refused login
// carrying the server's words, and no further attempt while the gate holds
// logins back. Once the cached token has expired, the token endpoint's own
// refusal is a refused login too, and Dovecot is not asked at all.
func TestDovecotOAuth2RevokedTokenIsRefusedOnce(t *testing.T) {
	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run(mech, func(t *testing.T) { testRevokedToken(t, mech) })
	}
}

func testRevokedToken(t *testing.T, mech string) {
	p := testenv.StartOAuth2Provider(t, testUser, 11*time.Second)
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{OAuth2Introspection: p.IntrospectionURL},
		testenv.User{Name: testUser, Password: testPassword})
	gate := &holdGate{}
	w := oauthWatcher(t, d, p, mech, newRecorder(), func(o *Options) { o.Gate = gate })
	if _, err := w.SyncOnce(context.Background()); err != nil {
		t.Fatalf("sync before revocation: %v", err)
	}
	p.Revoke()

	stop := runWatcher(t, w)
	waitUntil(t, "the refusal", func() bool { _, why := gate.Held(); return why != nil })
	time.Sleep(time.Second) // time for a retry storm, were there one
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	gate.mu.Lock()
	refused := gate.refused
	gate.mu.Unlock()
	if len(refused) != 1 {
		t.Fatalf("gate told of %d refusals, want 1: %v", len(refused), refused)
	}
	err := refused[0]
	if !errors.Is(err, ErrLoginRefused) || !strings.Contains(err.Error(), `the server's reason: {"status":`) {
		t.Fatalf("refusal %q, want ErrLoginRefused with Dovecot's answer and its reason", err)
	}
	if n := len(p.Checked()); n != 2 {
		t.Fatalf("Dovecot checked %d tokens, want 2 (one login before revocation, one after)", n)
	}

	// The cached token expires; the next login asks the token endpoint,
	// which refuses, and never reaches Dovecot.
	time.Sleep(1100 * time.Millisecond)
	_, err = w.SyncOnce(context.Background())
	if !errors.Is(err, ErrLoginRefused) || !strings.Contains(err.Error(), "Token has been expired or revoked.") {
		t.Fatalf("login with a revoked grant: %v, want ErrLoginRefused with the provider's words", err)
	}
	if _, refusals := p.Grants(); refusals != 1 {
		t.Fatalf("token endpoint refused %d requests, want 1", refusals)
	}
	if n := len(p.Checked()); n != 2 {
		t.Fatalf("Dovecot checked %d tokens, want still 2", n)
	}
}
