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
		"token_file", "dir", "level", "format", "provider", "auth", "token_url", "tenant", "client_id",
		"client_secret_file", "refresh_token_file", "scopes", "mechanism"} {
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

func TestReminderTimesClearOfClockChanges(t *testing.T) {
	for _, c := range []struct {
		zone, at string
		refused  string // "" when accepted
	}{
		{"Europe/Zurich", "02:00", "skipped"},
		{"Europe/Zurich", "02:59", "skipped"},
		{"Europe/Zurich", "01:59", ""},
		{"Europe/Zurich", "03:00", ""},
		{"Europe/Zurich", "09:30", ""},
		// London changes at 01:00: 01:xx is skipped and repeated there, 02:30 is fine.
		{"Europe/London", "01:30", "skipped"},
		{"Europe/London", "02:30", ""},
		// New York changes at 02:00 in March (skipped) and November (01:xx repeated).
		{"America/New_York", "02:30", "skipped"},
		{"America/New_York", "01:30", "repeated"},
		// No daylight saving at all.
		{"Asia/Tokyo", "02:30", ""},
	} {
		text := strings.NewReplacer(`time_zone = "Europe/Zurich"`, `time_zone = "`+c.zone+`"`,
			`at = "09:30"`, `at = "`+c.at+`"`).Replace(Example)
		_, err := Parse(text)
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%s %s refused: %v", c.zone, c.at, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), "reminders.rule[0].at") ||
			!strings.Contains(err.Error(), c.refused) || !strings.Contains(err.Error(), "daylight-saving")):
			t.Errorf("%s %s: err = %v, want it refused as %s", c.zone, c.at, err, c.refused)
		}
	}
	// In Geneva, 02:xx is both skipped (March) and repeated (October); the
	// first found is reported with its day.
	_, err := Parse(strings.Replace(Example, `at = "09:30"`, `at = "02:30"`, 1))
	if err == nil || !strings.Contains(err.Error(), "26 March 2017") {
		t.Errorf("err = %v", err)
	}
	_, err = Parse(strings.Replace(Example, `digest = "CRON_TZ=Europe/Zurich 0 8 * * *"`, `digest = "CRON_TZ=Europe/Zurich 30 2 * * *"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.digest") || !strings.Contains(err.Error(), "daylight-saving") {
		t.Errorf("digest in the daylight-saving hour: %v", err)
	}
}

func TestReminderRuleNamesAndAudiences(t *testing.T) {
	_, err := Parse(strings.Replace(Example, `name = "nudge"`, `name = "nudge:2"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.rule[0].name") {
		t.Errorf("rule name with a colon: %v", err)
	}
	_, err = Parse(strings.Replace(Example, `name = "week-before"`, `name = "nudge"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.rule[1].name") || !strings.Contains(err.Error(), "used by another rule") {
		t.Errorf("duplicate rule name: %v", err)
	}
	// The speakers audience: per session, with the speakers' template.
	_, err = Parse(strings.Replace(Example, `audience = "attending"`, `audience = "speakers"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.rule[2].template") || !strings.Contains(err.Error(), "reminder-speaker") {
		t.Errorf("speakers audience with the practical template: %v", err)
	}
	_, err = Parse(strings.Replace(Example, `template = "reminder-noanswer"`, `template = "reminder-speaker"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.rule[0].template") || !strings.Contains(err.Error(), `audience = "speakers"`) {
		t.Errorf("speakers' template for missions: %v", err)
	}
	_, err = Parse(strings.Replace(Example, `audience = "no-answer"
template = "reminder-noanswer"`, `audience = "speakers"
template = "reminder-speaker"`, 1))
	if err == nil || !strings.Contains(err.Error(), "reminders.rule[0].audience") || !strings.Contains(err.Error(), `relative_to = "session"`) {
		t.Errorf("speakers audience for an event rule: %v", err)
	}
	if strings.Count(err.Error(), "reminders.rule[") != 1 {
		t.Errorf("an event rule for speakers: more than one problem reported: %v", err)
	}
	// The commented example rule, uncommented, is accepted next to the
	// defaults and gives a fourth rule.
	var uncommented []string
	inRule := false
	for _, line := range strings.Split(Example, "\n") {
		if line == "# [[reminders.rule]]" {
			inRule = true
		}
		if inRule && strings.HasPrefix(line, "# ") {
			line = strings.TrimPrefix(line, "# ")
		} else if inRule {
			inRule = false
		}
		uncommented = append(uncommented, line)
	}
	c, err := Parse(strings.Join(uncommented, "\n"))
	if err != nil {
		t.Fatalf("the example speakers rule: %v", err)
	}
	if n := len(c.Reminders.Rules); n != 4 || c.Reminders.Rules[3] != (Rule{Name: "speakers-day-before", RelativeTo: "session", DaysBefore: 1,
		At: "10:00", Audience: "speakers", Template: "reminder-speaker"}) {
		t.Errorf("rules: %+v", c.Reminders.Rules)
	}
	if _, err := Parse(strings.Replace(Example, `audience = "attending"`, `audience = "everyone"`, 1)); err == nil ||
		!strings.Contains(err.Error(), "not-declined, speakers") {
		t.Errorf("unknown audience: %v", err)
	}
	for _, a := range Audiences {
		if _, err := Parse(strings.Replace(Example, `audience = "attending"`, `audience = "`+a+`"`, 1)); err != nil {
			t.Errorf("audience %s refused: %v", a, err)
		}
	}
}
