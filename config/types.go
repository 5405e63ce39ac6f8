package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"outreach"
)

// Duration is a time.Duration written as "30s", "5m", "36h" or "2d".
type Duration struct{ D time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	s := string(b)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days {
			return fmt.Errorf("%q is not a duration such as 30s, 5m, 36h or 2d", s)
		}
		d.D = time.Duration(n) * 24 * time.Hour
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s, 5m, 36h or 2d", s)
	}
	d.D = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.D.String()), nil }

// LocalDate is a calendar day with no time zone (TOML 2017-10-10).
type LocalDate struct{ Year, Month, Day int }

// IsZero reports whether the date is unset.
func (d LocalDate) IsZero() bool { return d.Year == 0 }

// Before reports whether d is earlier than o.
func (d LocalDate) Before(o LocalDate) bool {
	return d.In(time.UTC).Before(o.In(time.UTC))
}

// In returns midnight of the day in loc.
func (d LocalDate) In(loc *time.Location) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, loc)
}

// String formats the date as 2017-10-10.
func (d LocalDate) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// UnmarshalTOML accepts a TOML local date or a "2017-10-10" string.
func (d *LocalDate) UnmarshalTOML(v any) error {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
		if x.Location().String() != "date-local" {
			return errors.New("want a date such as 2017-10-10, without a time")
		}
	case string:
		var err error
		if t, err = time.Parse(time.DateOnly, x); err != nil {
			return fmt.Errorf("%q is not a date such as 2017-10-10", x)
		}
	default:
		return fmt.Errorf("%v is not a date such as 2017-10-10", v)
	}
	*d = LocalDate{t.Year(), int(t.Month()), t.Day()}
	return nil
}

// LocalDateTime is a wall-clock time with no time zone (TOML
// 2017-10-03T18:00:00); the event's time zone gives it meaning.
type LocalDateTime struct {
	LocalDate
	Hour, Minute int
}

// In returns the moment in loc.
func (d LocalDateTime) In(loc *time.Location) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, 0, 0, loc)
}

// String formats the value as 2017-10-03T18:00:00.
func (d LocalDateTime) String() string {
	return fmt.Sprintf("%sT%02d:%02d:00", d.LocalDate, d.Hour, d.Minute)
}

// UnmarshalTOML accepts a TOML local date-time or the same as a string.
func (d *LocalDateTime) UnmarshalTOML(v any) error {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
		if x.Location().String() != "datetime-local" {
			return errors.New("want a local date and time such as 2017-10-03T18:00:00 (no offset: event.time_zone applies)")
		}
	case string:
		var err error
		if t, err = time.Parse("2006-01-02T15:04:05", x); err != nil {
			if t, err = time.Parse("2006-01-02T15:04", x); err != nil {
				return fmt.Errorf("%q is not a local date and time such as 2017-10-03T18:00:00", x)
			}
		}
	default:
		return fmt.Errorf("%v is not a local date and time such as 2017-10-03T18:00:00", v)
	}
	*d = LocalDateTime{LocalDate{t.Year(), int(t.Month()), t.Day()}, t.Hour(), t.Minute()}
	return nil
}

// DefaultTimeZone is the event's time zone when none is configured.
const DefaultTimeZone = "Europe/Zurich"

// DefaultLocation is DefaultTimeZone loaded (UTC if the system has no zone
// database): the zone commands use when they read a store without a
// configuration file.
func DefaultLocation() *time.Location {
	loc, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Location returns the event's time zone (Validate has checked it).
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Event.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// OutreachEvent returns the event in domain terms.
func (c *Config) OutreachEvent() outreach.Event {
	loc := c.Location()
	e := c.Event
	return outreach.Event{
		Title:        e.Title,
		UPRSession:   e.UPRSession,
		Venue:        e.Venue,
		Location:     loc,
		First:        e.FirstDay.In(loc),
		Last:         e.LastDay.In(loc),
		Organiser:    e.Organiser,
		Mailbox:      outreach.Address{Name: e.MailboxName, Email: e.Mailbox},
		Staff:        outreach.Address{Email: e.Staff},
		RSVPDeadline: e.RSVPDeadline.In(loc),
		Provisional:  e.Provisional,
		Phone:        e.Phone,
		Web:          e.Web,
	}
}

// Resolve returns path resolved against the configuration file's
// directory, with ${VAR} expanded (so $CREDENTIALS_DIRECTORY works).
func (c *Config) Resolve(path string) string {
	if path == "" {
		return ""
	}
	path = os.ExpandEnv(path)
	if filepath.IsAbs(path) || c.Path == "" {
		return path
	}
	return filepath.Join(filepath.Dir(c.Path), path)
}

// StorePath is the state file's path.
func (c *Config) StorePath() string { return c.Resolve(c.Store.Path) }

// StaffPath is the staff desk's file of names and password hashes; "" when
// the desk is off.
func (c *Config) StaffPath() string {
	if c.Admin.StaffFile == "" {
		return ""
	}
	return c.Resolve(c.Admin.StaffFile)
}

// SocketPath is the admin socket's path.
func (c *Config) SocketPath() string { return c.Resolve(c.Admin.Socket) }

// TemplatesDir is the operator's template override directory ("" for none).
func (c *Config) TemplatesDir() string { return c.Resolve(c.Templates.Dir) }

// ErrNoSecret means a secret was needed and none is configured.
var ErrNoSecret = errors.New("config: no secret configured")

// secret reads a secret from file or the environment variable env. The
// value is never part of an error message.
func (c *Config) secret(key, file, env string) (string, error) {
	switch {
	case file != "":
		p := c.Resolve(file)
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("config: %s_file: cannot read %s: %w", key, p, unwrapPath(err))
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("config: %s_file: %s is empty", key, p)
		}
		return v, nil
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("config: %s_env: environment variable %s is not set", key, env)
		}
		return v, nil
	}
	return "", fmt.Errorf("%w for %s", ErrNoSecret, key)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// SMTPPassword returns the SMTP password ("" when no username is set).
func (c *Config) SMTPPassword() (string, error) {
	if c.SMTP.Username == "" {
		return "", nil
	}
	return c.secret("smtp.password", c.SMTP.PasswordFile, c.SMTP.PasswordEnv)
}

// IMAPPassword returns the IMAP password.
func (c *Config) IMAPPassword() (string, error) {
	return c.secret("imap.password", c.IMAP.PasswordFile, c.IMAP.PasswordEnv)
}

// AdminToken returns the token for the admin TCP listener ("" when none).
func (c *Config) AdminToken() (string, error) {
	if c.Admin.TokenFile == "" && c.Admin.TokenEnv == "" {
		return "", nil
	}
	return c.secret("admin.token", c.Admin.TokenFile, c.Admin.TokenEnv)
}

// OAuth2ClientSecret returns the OAuth2 client secret ("" when none is
// configured, as for a refresh token issued to a public client).
func (c *Config) OAuth2ClientSecret() (string, error) {
	o := c.OAuth2
	if o.ClientSecretFile == "" && o.ClientSecretEnv == "" {
		return "", nil
	}
	return c.secret("oauth2.client_secret", o.ClientSecretFile, o.ClientSecretEnv)
}

// OAuth2RefreshToken returns the OAuth2 refresh token ("" when none is
// configured: the client credentials grant is used).
func (c *Config) OAuth2RefreshToken() (string, error) {
	o := c.OAuth2
	if o.RefreshTokenFile == "" && o.RefreshTokenEnv == "" {
		return "", nil
	}
	return c.secret("oauth2.refresh_token", o.RefreshTokenFile, o.RefreshTokenEnv)
}
