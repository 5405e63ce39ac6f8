package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleLoadsAndValidates(t *testing.T) {
	c, err := Parse(Example)
	if err != nil {
		t.Fatalf("the example config does not validate:\n%v", err)
	}
	ev := c.OutreachEvent()
	if err := ev.Validate(); err != nil {
		t.Fatalf("event: %v", err)
	}
	if ev.Location.String() != "Europe/Zurich" || ev.First.Day() != 10 || ev.Last.Day() != 13 {
		t.Errorf("event = %+v", ev)
	}
	if got := ev.RSVPDeadline.UTC(); got != time.Date(2017, 10, 3, 16, 0, 0, 0, time.UTC) {
		t.Errorf("deadline in UTC = %v, want 16:00 (18:00 CEST)", got)
	}
	if len(c.Reminders.Rules) != 3 || c.SMTP.PerMinute != 30 || c.SMTP.PerDay != 10000 {
		t.Errorf("defaults: rules %d, per_minute %d, per_day %d", len(c.Reminders.Rules), c.SMTP.PerMinute, c.SMTP.PerDay)
	}
	// Every key of Config appears in the example, so the example documents them all.
	for _, key := range []string{"title", "upr_session", "venue", "time_zone", "first_day", "last_day", "provisional",
		"organiser", "mailbox", "mailbox_name", "staff", "rsvp_deadline", "phone", "web", "host", "port", "tls",
		"username", "password_file", "helo", "timeout", "per_minute", "per_day", "connections", "ca_file",
		"processed_folder", "review_folder", "bounces_folder", "poll_interval", "idle_restart", "path",
		"lateness", "sweep", "digest", "relative_to", "days_before", "at", "audience", "template", "socket", "listen",
		"token_file", "dir", "level", "format"} {
		if !strings.Contains(Example, "\n"+key+" =") && !strings.Contains(Example, "# "+key+" =") {
			t.Errorf("example does not document %q", key)
		}
	}
}

func TestReportsEveryProblemAtOnce(t *testing.T) {
	bad := strings.NewReplacer(
		`time_zone = "Europe/Zurich"`, `time_zone = "Europe/Geneva"`,
		`port = 587`, `port = 70000`,
		`mailbox = "rsvp@presessions.example"`, `mailbox = "rsvp at presessions"`,
		`per_minute = 30`, `per_minute = 0`,
		`audience = "accepted"`, `audience = "everyone"`,
		`level = "info"`, `level = "loud"`,
	).Replace(Example)
	bad += "\n[smtp2]\nhost = \"x\"\n"
	_, err := Parse(bad)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"event.time_zone", "smtp.port", "event.mailbox", "smtp.per_minute",
		"reminders.rule[1].audience", "log.level", "smtp2", "unknown key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

func TestUnknownKeyIsAnError(t *testing.T) {
	_, err := Parse(strings.Replace(Example, "per_day = 10000", "per_day = 10000\nper_hour = 500", 1))
	if err == nil || !strings.Contains(err.Error(), "smtp.per_hour: unknown key") {
		t.Fatalf("err = %v", err)
	}
}

func TestInlineSecretRefused(t *testing.T) {
	_, err := Parse(strings.Replace(Example, `password_file = "secrets/smtp-password"`, `password = "hunter2"`, 1))
	if err == nil || !strings.Contains(err.Error(), "smtp.password: secrets are not kept in the config file") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("the error repeats the secret")
	}
}

func TestPlainRefusedOffLoopback(t *testing.T) {
	_, err := Parse(strings.Replace(Example, "port = 587\ntls = \"starttls\"", "port = 25\ntls = \"plain\"", 1))
	if err == nil || !strings.Contains(err.Error(), "smtp.tls: plain is refused") {
		t.Fatalf("err = %v", err)
	}
	c, err := Parse(strings.NewReplacer(`host = "smtp.presessions.example"`, `host = "127.0.0.1"`,
		"port = 587\ntls = \"starttls\"", "port = 2525\ntls = \"plain\"").Replace(Example))
	if err != nil || c.SMTP.TLS != "plain" {
		t.Fatalf("plain to loopback refused: %v", err)
	}
}

func TestDaylightSavingHourRefused(t *testing.T) {
	_, err := Parse(strings.Replace(Example, `at = "09:30"`, `at = "02:30"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.rule[0].at") || !strings.Contains(err.Error(), "daylight-saving") {
		t.Fatalf("err = %v", err)
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	_, err := Parse("[event]\ntitle = \"x\nvenue = 3\n")
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretsFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "outreach.toml")
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(dir, "secrets", "smtp-password"), []byte("s3cret-smtp\n"), 0o600)
	text := strings.Replace(Example, `password_file = "secrets/imap-password"`, `password_env = "OUTREACH_TEST_IMAP_PW"`, 1)
	os.WriteFile(path, []byte(text), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := c.SMTPPassword(); err != nil || pw != "s3cret-smtp" {
		t.Errorf("smtp password = %q, %v", pw, err)
	}
	_, err = c.IMAPPassword()
	if err == nil || !strings.Contains(err.Error(), "OUTREACH_TEST_IMAP_PW is not set") {
		t.Errorf("missing env: %v", err)
	}
	t.Setenv("OUTREACH_TEST_IMAP_PW", "s3cret-imap")
	if pw, err := c.IMAPPassword(); err != nil || pw != "s3cret-imap" {
		t.Errorf("imap password = %q, %v", pw, err)
	}
	if c.StorePath() != filepath.Join(dir, "outreach.db") {
		t.Errorf("store path = %s", c.StorePath())
	}
	t.Setenv("CREDENTIALS_DIRECTORY", filepath.Join(dir, "secrets"))
	c.SMTP.PasswordFile = "${CREDENTIALS_DIRECTORY}/smtp-password"
	if pw, err := c.SMTPPassword(); err != nil || pw != "s3cret-smtp" {
		t.Errorf("systemd credential: %q, %v", pw, err)
	}
}

func TestMissingFileSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "outreach init") {
		t.Fatalf("err = %v", err)
	}
}
