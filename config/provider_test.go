package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// eventOnly is the example's [event] section and what precedes it.
func eventOnly(t *testing.T) string {
	t.Helper()
	i := strings.Index(Example, "\n[smtp]")
	if i < 0 {
		t.Fatal("example has no [smtp] section")
	}
	return Example[:i+1]
}

// withProvider is a configuration naming provider before any table, with
// the given [smtp], [imap] and [oauth2] sections after the event.
func withProvider(t *testing.T, provider, sections string) string {
	head := ""
	if provider != "" {
		head = "provider = \"" + provider + "\"\n"
	}
	return head + eventOnly(t) + sections
}

func TestMicrosoft365Profile(t *testing.T) {
	c, err := Parse(withProvider(t, "microsoft365", `
[smtp]
username = "rsvp@presessions.example"
[imap]
username = "rsvp@presessions.example"
[oauth2]
tenant = "presessions.onmicrosoft.com"
client_id = "0f1e2d3c-aaaa-bbbb-cccc-000000000028"
client_secret_env = "OUTREACH_OAUTH2_SECRET"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.IMAP.Host != "outlook.office365.com" || c.IMAP.Port != 993 || c.IMAP.TLS != "tls" {
		t.Errorf("imap %s:%d %s", c.IMAP.Host, c.IMAP.Port, c.IMAP.TLS)
	}
	if c.SMTP.Host != "smtp.office365.com" || c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" {
		t.Errorf("smtp %s:%d %s", c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS)
	}
	if c.SMTP.PerMinute != 30 || c.SMTP.PerDay != 10000 {
		t.Errorf("limits %d a minute, %d a day", c.SMTP.PerMinute, c.SMTP.PerDay)
	}
	if c.SMTP.Auth != "oauth2" || c.IMAP.Auth != "oauth2" || c.OAuth2.Mechanism != "xoauth2" {
		t.Errorf("auth smtp %q imap %q mechanism %q", c.SMTP.Auth, c.IMAP.Auth, c.OAuth2.Mechanism)
	}
	if want := "https://login.microsoftonline.com/presessions.onmicrosoft.com/oauth2/v2.0/token"; c.OAuth2.TokenURL != want {
		t.Errorf("token_url %q, want %q", c.OAuth2.TokenURL, want)
	}
	if !slices.Equal(c.OAuth2.Scopes, []string{"https://outlook.office365.com/.default"}) {
		t.Errorf("scopes %q", c.OAuth2.Scopes)
	}
}

func TestGoogleProfileAndOverrides(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "refresh"), []byte("1//0refresh-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OUTREACH_TEST_GOOGLE_SECRET", "GOCSPX-secret")
	c, err := Parse(withProvider(t, "google", `
[smtp]
username = "rsvp@presessions.example"
port = 587
tls = "starttls"
per_day = 1500
[imap]
username = "rsvp@presessions.example"
[oauth2]
client_id = "28-abc.apps.googleusercontent.com"
client_secret_env = "OUTREACH_TEST_GOOGLE_SECRET"
refresh_token_file = "`+filepath.Join(dir, "refresh")+`"
mechanism = "oauthbearer"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.IMAP.Host != "imap.gmail.com" || c.IMAP.Port != 993 || c.SMTP.Host != "smtp.gmail.com" {
		t.Errorf("hosts %s:%d, %s", c.IMAP.Host, c.IMAP.Port, c.SMTP.Host)
	}
	// Explicit keys win over the profile: STARTTLS on 587, a lower daily limit.
	if c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" || c.SMTP.PerDay != 1500 || c.OAuth2.Mechanism != "oauthbearer" {
		t.Errorf("overrides lost: smtp %d %s, per_day %d, mechanism %s", c.SMTP.Port, c.SMTP.TLS, c.SMTP.PerDay, c.OAuth2.Mechanism)
	}
	if c.OAuth2.TokenURL != "https://oauth2.googleapis.com/token" || !slices.Equal(c.OAuth2.Scopes, []string{"https://mail.google.com/"}) {
		t.Errorf("oauth2 %q %q", c.OAuth2.TokenURL, c.OAuth2.Scopes)
	}
	if rt, err := c.OAuth2RefreshToken(); err != nil || rt != "1//0refresh-token" {
		t.Errorf("refresh token %q %v", rt, err)
	}
	if cs, err := c.OAuth2ClientSecret(); err != nil || cs != "GOCSPX-secret" {
		t.Errorf("client secret %q %v", cs, err)
	}

	// Without overrides: implicit TLS on 465, 2,000 messages a day.
	c, err = Parse(withProvider(t, "google", `
[smtp]
username = "rsvp@presessions.example"
[imap]
username = "rsvp@presessions.example"
[oauth2]
client_id = "28-abc.apps.googleusercontent.com"
client_secret_env = "OUTREACH_TEST_GOOGLE_SECRET"
refresh_token_env = "OUTREACH_TEST_GOOGLE_REFRESH"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Port != 465 || c.SMTP.TLS != "tls" || c.SMTP.PerDay != 2000 {
		t.Errorf("google smtp %d %s per_day %d", c.SMTP.Port, c.SMTP.TLS, c.SMTP.PerDay)
	}
	if _, err := c.OAuth2RefreshToken(); err == nil || !strings.Contains(err.Error(), "OUTREACH_TEST_GOOGLE_REFRESH is not set") {
		t.Errorf("unset refresh token variable: %v", err)
	}
}

func TestOAuth2ErrorsByKey(t *testing.T) {
	for _, tc := range []struct {
		name, provider, sections string
		want                     []string
	}{
		{"microsoft365 without tenant", "microsoft365", `
[smtp]
username = "a@presessions.example"
[imap]
username = "a@presessions.example"
[oauth2]
client_id = "id"
client_secret_env = "S"
`, []string{"oauth2.tenant: required"}},
		{"google without refresh token", "google", `
[smtp]
username = "a@presessions.example"
[imap]
username = "a@presessions.example"
[oauth2]
client_id = "id"
client_secret_env = "S"
`, []string{"oauth2.refresh_token_file: Google Workspace mail needs a refresh token"}},
		{"generic oauth2 missing everything", "", `
[smtp]
host = "smtp.presessions.example"
auth = "oauth2"
[imap]
host = "imap.presessions.example"
username = "a@presessions.example"
auth = "oauth2"
password_file = "pw"
[oauth2]
client_secret = "inline"
mechanism = "plain"
`, []string{"smtp.username: required with smtp.auth", "imap.auth: \"oauth2\" logs in with a token, not a password",
			"oauth2.token_url: required", "oauth2.client_id: required", "oauth2.client_secret: secrets are not kept",
			"oauth2.mechanism: \"plain\"", "oauth2.scopes: required"}},
		{"token url in clear", "", `
[smtp]
host = "smtp.presessions.example"
[imap]
host = "imap.presessions.example"
username = "a@presessions.example"
auth = "oauth2"
[oauth2]
token_url = "http://login.example/token"
client_id = "id"
client_secret_env = "S"
scopes = ["x"]
`, []string{"oauth2.token_url: \"http://login.example/token\": want https"}},
		{"unknown provider and auth", "exchange", `
[smtp]
host = "smtp.presessions.example"
auth = "kerberos"
[imap]
host = "imap.presessions.example"
username = "a@presessions.example"
password_env = "P"
`, []string{"provider: \"exchange\", want microsoft365, google or generic", "smtp.auth: \"kerberos\", want password or oauth2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(withProvider(t, tc.provider, tc.sections))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// A password configuration stays as it was: auth defaults to "password"
// and [oauth2] is not checked.
func TestPasswordAuthIsTheDefault(t *testing.T) {
	c, err := Parse(Example)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Auth != "password" || c.IMAP.Auth != "password" || c.Provider != "" {
		t.Errorf("auth smtp %q imap %q provider %q", c.SMTP.Auth, c.IMAP.Auth, c.Provider)
	}
}
