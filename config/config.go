// Package config loads and validates outreach.toml.
//
// Unknown keys are errors (a misspelt key must not silently fall back to a
// default), and Validate reports every problem at once, each with its key.
// Secrets never live in the file itself: they come from a file named by a
// *_file key (systemd's $CREDENTIALS_DIRECTORY works there) or from an
// environment variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"outreach"
	"outreach/internal/loopback"
)

// Config is the whole of outreach.toml.
type Config struct {
	// Provider fills the servers, limits and OAuth2 endpoints of a mail
	// provider (see Providers); any key set explicitly wins.
	Provider  string    `toml:"provider"`
	Event     Event     `toml:"event"`
	SMTP      SMTP      `toml:"smtp"`
	IMAP      IMAP      `toml:"imap"`
	OAuth2    OAuth2    `toml:"oauth2"`
	Store     Store     `toml:"store"`
	Reminders Reminders `toml:"reminders"`
	Admin     Admin     `toml:"admin"`
	Web       Web       `toml:"web"`
	Templates Templates `toml:"templates"`
	Log       Log       `toml:"log"`

	// Path is the file the configuration was read from; relative paths in
	// it are resolved against its directory.
	Path string `toml:"-"`
}

// Event describes the round of pre-sessions.
type Event struct {
	Title       string    `toml:"title"`
	UPRSession  int       `toml:"upr_session"`
	Venue       string    `toml:"venue"`
	TimeZone    string    `toml:"time_zone"`
	FirstDay    LocalDate `toml:"first_day"`
	LastDay     LocalDate `toml:"last_day"`
	Provisional bool      `toml:"provisional"`
	Organiser   string    `toml:"organiser"`
	Mailbox     string    `toml:"mailbox"`
	MailboxName string    `toml:"mailbox_name"`
	Staff       string    `toml:"staff"`
	// RSVPDeadline is a local date and time in TimeZone.
	RSVPDeadline LocalDateTime `toml:"rsvp_deadline"`
	Phone        string        `toml:"phone"`
	Web          string        `toml:"web"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host     string `toml:"host"`
	Port     int    `toml:"port"`
	TLS      string `toml:"tls"` // starttls (default), tls, plain (loopback only)
	Username string `toml:"username"`
	// Auth is how to log in: "password" or "oauth2" (see [oauth2]).
	Auth         string   `toml:"auth"`
	Password     string   `toml:"password"` // refused: use password_file or password_env
	PasswordFile string   `toml:"password_file"`
	PasswordEnv  string   `toml:"password_env"`
	HELO         string   `toml:"helo"`
	Timeout      Duration `toml:"timeout"`
	// PerMinute and PerDay throttle sending; the defaults suit Microsoft
	// 365 (30 a minute, 10,000 a day).
	PerMinute   int `toml:"per_minute"`
	PerDay      int `toml:"per_day"`
	Connections int `toml:"connections"`
	// CAFile trusts an extra certificate authority (a private relay).
	CAFile string `toml:"ca_file"`
}

// IMAP is the organiser mailbox the replies arrive in.
type IMAP struct {
	Host         string   `toml:"host"`
	Port         int      `toml:"port"`
	TLS          string   `toml:"tls"` // tls (default), starttls, plain (loopback only)
	Username     string   `toml:"username"`
	Auth         string   `toml:"auth"` // "password" or "oauth2"
	Password     string   `toml:"password"`
	PasswordFile string   `toml:"password_file"`
	PasswordEnv  string   `toml:"password_env"`
	Mailbox      string   `toml:"mailbox"`
	Processed    string   `toml:"processed_folder"`
	Review       string   `toml:"review_folder"`
	Bounces      string   `toml:"bounces_folder"`
	PollInterval Duration `toml:"poll_interval"`
	IdleRestart  Duration `toml:"idle_restart"`
	Timeout      Duration `toml:"timeout"`
	CAFile       string   `toml:"ca_file"`
}

// OAuth2 is how outreach gets access tokens for the sides whose auth is
// "oauth2": with a refresh token when one is configured (Google
// Workspace, a delegated Microsoft account), otherwise with the client
// credentials grant (Microsoft 365 app-only access).
type OAuth2 struct {
	// TokenURL is the token endpoint; the provider's by default
	// (Microsoft 365: built from Tenant).
	TokenURL string `toml:"token_url"`
	// Tenant is the Microsoft 365 directory (tenant) ID or domain.
	Tenant           string   `toml:"tenant"`
	ClientID         string   `toml:"client_id"`
	ClientSecret     string   `toml:"client_secret"` // refused: use client_secret_file or client_secret_env
	ClientSecretFile string   `toml:"client_secret_file"`
	ClientSecretEnv  string   `toml:"client_secret_env"`
	RefreshToken     string   `toml:"refresh_token"` // refused: use refresh_token_file or refresh_token_env
	RefreshTokenFile string   `toml:"refresh_token_file"`
	RefreshTokenEnv  string   `toml:"refresh_token_env"`
	Scopes           []string `toml:"scopes"`
	// Mechanism is the SASL mechanism: "xoauth2" (default) or
	// "oauthbearer" (RFC 7628).
	Mechanism string `toml:"mechanism"`
}

// Store is where the state file lives.
type Store struct {
	Path string `toml:"path"`
}

// Reminders configures the reminder rules and the staff digest.
type Reminders struct {
	// Lateness is how late a reminder may still go out after its time; past
	// it, the reminder is reported as missed instead of sent.
	Lateness Duration `toml:"lateness"`
	// Digest is the cron spec of the daily staff digest.
	Digest string `toml:"digest"`
	// Sweep is how often the reminder schedule is checked.
	Sweep Duration `toml:"sweep"`
	Rules []Rule   `toml:"rule"`
}

// Rule is one reminder rule.
type Rule struct {
	Name string `toml:"name"`
	// RelativeTo is "event" (its first day) or "session" (each session's day).
	RelativeTo string `toml:"relative_to"`
	DaysBefore int    `toml:"days_before"`
	// At is the local time of day ("09:00") in the event's time zone.
	At string `toml:"at"`
	// Audience: no-answer, accepted, tentative, attending (accepted or
	// tentative), not-declined; or speakers (relative to each session,
	// with the reminder-speaker template).
	Audience string `toml:"audience"`
	Template string `toml:"template"`
}

// Admin is the local endpoint the CLI and monitoring talk to.
type Admin struct {
	Socket    string `toml:"socket"`
	Listen    string `toml:"listen"` // optional loopback TCP address, needs a token
	TokenFile string `toml:"token_file"`
	TokenEnv  string `toml:"token_env"`
	// StaffFile, with Listen, turns on the staff desk under /desk/ on the
	// TCP listener: staff names and password hashes, managed with
	// `outreach staff add|remove`.
	StaffFile string `toml:"staff_file"`
	// StaffHeader lets the reverse proxy's own login stand for the desk's:
	// the header naming the staff member (e.g. "X-Remote-User"), trusted
	// from loopback only.
	StaffHeader string `toml:"staff_header"`
}

// Web serves each mission's reply page, behind a TLS reverse proxy.
type Web struct {
	// PublicURL is the address missions reach the pages at, through the
	// proxy ("https://rsvp.example.org"); letters link to
	// <public_url>/r/<token>. Empty: no pages are served and letters carry
	// no link.
	PublicURL string `toml:"public_url"`
	// Listen is the loopback address the daemon serves the pages on, for
	// the proxy; default 127.0.0.1:8026.
	Listen string `toml:"listen"`
	// FormLifetime is how long a page's form stays valid after it was
	// shown (a submission after that asks to send the form again);
	// default 12h.
	FormLifetime Duration `toml:"form_lifetime"`
	// PerAddressBurst requests from one client address are served at once,
	// then one every PerAddressInterval; defaults 60 and 1s.
	PerAddressBurst    int      `toml:"per_address_burst"`
	PerAddressInterval Duration `toml:"per_address_interval"`
	// PerTokenBurst requests for one mission's page are served at once,
	// then one every PerTokenInterval; defaults 30 and 10s.
	PerTokenBurst    int      `toml:"per_token_burst"`
	PerTokenInterval Duration `toml:"per_token_interval"`
}

// Templates points at operator overrides of the email templates.
type Templates struct {
	Dir string `toml:"dir"`
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Audiences a reminder rule can address among the missions.
var Audiences = []string{"no-answer", "accepted", "tentative", "attending", "not-declined"}

// Speakers is the audience of a per-session rule written to the session's
// panellists (those with an address, imported with `outreach sessions
// panel import`), with SpeakerTemplate.
const (
	Speakers        = "speakers"
	SpeakerTemplate = "reminder-speaker"
)

// Load reads, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config: %s does not exist; create one with `outreach init DIR` or pass --config", path)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.Path = abs
	return c, nil
}

// Parse decodes a configuration, applies defaults and validates it.
func Parse(text string) (*Config, error) {
	var c Config
	md, typeErrs, err := decode(text, &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, err
	}
	errs := typeErrs
	if und := md.Undecoded(); len(und) > 0 {
		reported := map[string]bool{}
		var keys []string
		for _, k := range und {
			// Report an unknown table once, not each key inside it.
			if len(k) > 1 && reported[k[:len(k)-1].String()] {
				continue
			}
			reported[k.String()] = true
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		for _, k := range keys {
			errs = append(errs, fmt.Errorf("%s: unknown key (see outreach.example.toml for the keys there are)", k))
		}
	}
	c.setDefaults(md)
	if err := c.Validate(); err != nil && len(typeErrs) > 0 {
		errs = append(errs, withoutKeys(err, typeErrKeys(typeErrs))...)
	} else if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

func (c *Config) setDefaults(md toml.MetaData) {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	// Numbers default only when absent: an explicit 0 is a mistake to report.
	defInt := func(p *int, v int, key ...string) {
		if !md.IsDefined(key...) {
			*p = v
		}
	}
	defDur := func(p *Duration, v time.Duration) {
		if p.D == 0 {
			p.D = v
		}
	}
	def(&c.Event.TimeZone, DefaultTimeZone)
	// The sending limits default to Microsoft 365's, or the provider's.
	perMinute, perDay := 30, 10000
	if p, ok := Profile(c.Provider); ok && c.Provider != "generic" {
		def(&c.SMTP.Host, p.SMTPHost)
		def(&c.SMTP.TLS, p.SMTPTLS)
		def(&c.IMAP.Host, p.IMAPHost)
		def(&c.IMAP.TLS, p.IMAPTLS)
		def(&c.SMTP.Auth, "oauth2")
		def(&c.IMAP.Auth, "oauth2")
		perMinute, perDay = p.PerMinute, p.PerDay
		needsTenant := strings.Contains(p.TokenURL, "{tenant}")
		if c.OAuth2.TokenURL == "" && (!needsTenant || c.OAuth2.Tenant != "") {
			c.OAuth2.TokenURL = strings.ReplaceAll(p.TokenURL, "{tenant}", url.PathEscape(c.OAuth2.Tenant))
		}
		if !md.IsDefined("oauth2", "scopes") {
			c.OAuth2.Scopes = slices.Clone(p.Scopes)
		}
	}
	def(&c.SMTP.Auth, "password")
	def(&c.IMAP.Auth, "password")
	def(&c.OAuth2.Mechanism, "xoauth2")
	def(&c.SMTP.TLS, "starttls")
	if c.SMTP.TLS == "tls" {
		defInt(&c.SMTP.Port, 465, "smtp", "port")
	} else {
		defInt(&c.SMTP.Port, 587, "smtp", "port")
	}
	defDur(&c.SMTP.Timeout, 30*time.Second)
	defInt(&c.SMTP.PerMinute, perMinute, "smtp", "per_minute")
	defInt(&c.SMTP.PerDay, perDay, "smtp", "per_day")
	defInt(&c.SMTP.Connections, 1, "smtp", "connections")
	def(&c.IMAP.TLS, "tls")
	if c.IMAP.TLS == "tls" {
		defInt(&c.IMAP.Port, 993, "imap", "port")
	} else {
		defInt(&c.IMAP.Port, 143, "imap", "port")
	}
	def(&c.IMAP.Mailbox, "INBOX")
	def(&c.IMAP.Processed, "outreach/processed")
	def(&c.IMAP.Review, "outreach/review")
	def(&c.IMAP.Bounces, "outreach/bounces")
	defDur(&c.IMAP.PollInterval, 30*time.Second)
	defDur(&c.IMAP.IdleRestart, 5*time.Minute)
	defDur(&c.IMAP.Timeout, time.Minute)
	def(&c.Store.Path, "outreach.db")
	defDur(&c.Reminders.Lateness, 36*time.Hour)
	defDur(&c.Reminders.Sweep, time.Minute)
	def(&c.Reminders.Digest, "CRON_TZ="+c.Event.TimeZone+" 0 8 * * *")
	if !md.IsDefined("reminders", "rule") {
		c.Reminders.Rules = DefaultRules()
	}
	def(&c.Admin.Socket, "outreach.sock")
	if c.Web.PublicURL != "" {
		def(&c.Web.Listen, "127.0.0.1:8026")
	}
	defDur(&c.Web.FormLifetime, 12*time.Hour)
	defInt(&c.Web.PerAddressBurst, 60, "web", "per_address_burst")
	defDur(&c.Web.PerAddressInterval, time.Second)
	defInt(&c.Web.PerTokenBurst, 30, "web", "per_token_burst")
	defDur(&c.Web.PerTokenInterval, 10*time.Second)
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "text")
}

// DefaultRules are the reminders that fit a round: a nudge to missions that
// have not answered two weeks before, a reminder a week before to those who
// accepted, and a practical note the day before each session.
func DefaultRules() []Rule {
	return []Rule{
		{Name: "nudge", RelativeTo: "event", DaysBefore: 14, At: "09:30", Audience: "no-answer", Template: "reminder-noanswer"},
		{Name: "week-before", RelativeTo: "event", DaysBefore: 7, At: "09:30", Audience: "accepted", Template: "reminder-accepted"},
		{Name: "day-before", RelativeTo: "session", DaysBefore: 1, At: "09:30", Audience: "attending", Template: "reminder-practical"},
	}
}

// Validate checks every value and returns all problems, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	loc := checkEvent(bad, &c.Event)
	if _, ok := Profile(c.Provider); !ok && c.Provider != "" {
		bad("provider", "%q, want microsoft365, google or generic", c.Provider)
	}
	checkSMTP(bad, &c.SMTP)
	checkIMAP(bad, &c.IMAP)
	if c.SMTP.Auth == "oauth2" || c.IMAP.Auth == "oauth2" {
		c.checkOAuth2(bad)
	}
	checkReminders(bad, &c.Reminders, &c.Event, loc)
	checkAdmin(bad, &c.Admin)
	checkWeb(bad, c.Web)
	checkLog(bad, c.Log)
	return errors.Join(errs...)
}

// checkEvent checks [event] and returns its time zone, nil when unknown.
func checkEvent(bad func(string, string, ...any), e *Event) *time.Location {
	if strings.TrimSpace(e.Title) == "" {
		bad("event.title", "required")
	}
	if e.UPRSession <= 0 {
		bad("event.upr_session", "required: the number of the UPR Working Group session, such as 28")
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		bad("event.time_zone", "unknown time zone %q (use an IANA name such as Europe/Zurich)", e.TimeZone)
	}
	if e.FirstDay.IsZero() {
		bad("event.first_day", "required, a date such as 2017-10-10")
	}
	if e.LastDay.IsZero() {
		bad("event.last_day", "required, a date such as 2017-10-13")
	}
	if !e.FirstDay.IsZero() && !e.LastDay.IsZero() && e.LastDay.Before(e.FirstDay) {
		bad("event.last_day", "before event.first_day")
	}
	if strings.TrimSpace(e.Organiser) == "" {
		bad("event.organiser", "required: the organisation inviting")
	}
	if err := outreach.CheckAddress(e.Mailbox); err != nil {
		bad("event.mailbox", "%v", err)
	}
	if e.Staff != "" {
		if err := outreach.CheckAddress(e.Staff); err != nil {
			bad("event.staff", "%v", err)
		}
	}
	if e.RSVPDeadline.IsZero() {
		bad("event.rsvp_deadline", "required, a local date and time such as 2017-10-03T18:00:00")
	} else if !e.FirstDay.IsZero() && loc != nil && !e.RSVPDeadline.In(loc).Before(e.FirstDay.In(loc).AddDate(0, 0, 1)) {
		bad("event.rsvp_deadline", "after the first day of the round")
	}
	for key, v := range map[string]string{"event.title": e.Title, "event.venue": e.Venue, "event.organiser": e.Organiser,
		"event.mailbox_name": e.MailboxName, "event.phone": e.Phone, "event.web": e.Web} {
		if strings.ContainsAny(v, "\r\n") {
			bad(key, "contains a line break")
		}
	}
	return loc
}

// checkSMTP checks [smtp]: the server, how outreach logs in, and the
// sending limits.
func checkSMTP(bad func(string, string, ...any), s *SMTP) {
	checkServer(bad, "smtp", s.Host, s.Port, s.TLS, []string{"starttls", "tls", "plain"})
	checkAuth(bad, "smtp", s.Auth, s.Username, s.Password, s.PasswordFile, s.PasswordEnv)
	if s.TLS == "plain" && s.Username != "" && !loopback.Host(s.Host) {
		bad("smtp.tls", "plain is refused with a username to a non-loopback host: the password would cross the network in clear; use starttls or tls")
	}
	if s.Timeout.D < time.Second {
		bad("smtp.timeout", "at least 1s")
	}
	if s.PerMinute < 1 {
		bad("smtp.per_minute", "at least 1")
	}
	if s.PerDay < s.PerMinute {
		bad("smtp.per_day", "smaller than smtp.per_minute")
	}
	if s.Connections < 1 || s.Connections > 16 {
		bad("smtp.connections", "between 1 and 16")
	}
}

// checkIMAP checks [imap]: the server, how outreach logs in, the folders
// and the timers.
func checkIMAP(bad func(string, string, ...any), m *IMAP) {
	checkServer(bad, "imap", m.Host, m.Port, m.TLS, []string{"tls", "starttls", "plain"})
	checkAuth(bad, "imap", m.Auth, m.Username, m.Password, m.PasswordFile, m.PasswordEnv)
	if m.TLS == "plain" && !loopback.Host(m.Host) {
		bad("imap.tls", "plain is refused to a non-loopback host: the password would cross the network in clear; use tls or starttls")
	}
	if m.Username == "" {
		bad("imap.username", "required")
	}
	for key, f := range map[string]string{"imap.processed_folder": m.Processed, "imap.review_folder": m.Review, "imap.bounces_folder": m.Bounces} {
		if f == m.Mailbox {
			bad(key, "must differ from imap.mailbox %q", m.Mailbox)
		}
	}
	if m.PollInterval.D < time.Second {
		bad("imap.poll_interval", "at least 1s")
	}
	if m.IdleRestart.D < time.Minute || m.IdleRestart.D > 29*time.Minute {
		bad("imap.idle_restart", "between 1m and 29m (RFC 2177)")
	}
}

// checkReminders checks [reminders] and each rule; e and loc (nil when
// unknown) say when the round is, for the daylight-saving check.
func checkReminders(bad func(string, string, ...any), r *Reminders, e *Event, loc *time.Location) {
	if r.Lateness.D < 0 {
		bad("reminders.lateness", "negative")
	}
	if r.Sweep.D < time.Second {
		bad("reminders.sweep", "at least 1s")
	}
	if err := checkCron(r.Digest); err != nil {
		bad("reminders.digest", "%v", err)
	}
	names := map[string]bool{}
	for i, rule := range r.Rules {
		checkRule(bad, fmt.Sprintf("reminders.rule[%d]", i), rule, names, e, loc)
	}
}

// checkRule checks one reminder rule under key; names holds the names of
// the rules before it.
func checkRule(bad func(string, string, ...any), key string, rule Rule, names map[string]bool, e *Event, loc *time.Location) {
	if rule.Name == "" {
		bad(key+".name", "required")
	} else if names[rule.Name] {
		bad(key+".name", "%q used by another rule", rule.Name)
	}
	names[rule.Name] = true
	if strings.Trim(rule.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		bad(key+".name", "%q: use letters, digits, - and _ only", rule.Name)
	}
	if rule.RelativeTo != "event" && rule.RelativeTo != "session" {
		bad(key+".relative_to", "%q, want event or session", rule.RelativeTo)
	}
	if rule.DaysBefore < 0 || rule.DaysBefore > 120 {
		bad(key+".days_before", "%d, want 0 to 120", rule.DaysBefore)
	}
	if h, mi, err := ParseClock(rule.At); err != nil {
		bad(key+".at", "%v", err)
	} else if loc != nil {
		year := time.Now().Year()
		if !e.FirstDay.IsZero() {
			year = e.FirstDay.Year
		}
		if day, what := clockChange(loc, year, h, mi); what != "" {
			bad(key+".at", "%02d:%02d is %s in %s on %s (a daylight-saving change); reminders keep clear of that hour: choose another time",
				h, mi, what, e.TimeZone, day.Format("2 January 2006"))
		}
	}
	switch {
	case rule.Audience == Speakers:
		if rule.RelativeTo == "event" {
			bad(key+".audience", "\"speakers\" are a session's panellists: use it with relative_to = \"session\", not \"event\"")
		}
		if rule.Template != SpeakerTemplate {
			bad(key+".template", "%q: the speakers audience is written to with %s, the only template addressed to a speaker", rule.Template, SpeakerTemplate)
		}
	case !slices.Contains(Audiences, rule.Audience):
		bad(key+".audience", "%q, want one of %s", rule.Audience, strings.Join(append(Audiences[:len(Audiences):len(Audiences)], Speakers), ", "))
	case rule.Template == SpeakerTemplate:
		bad(key+".template", "%s is written to a speaker: use it with audience = \"speakers\", not %q", SpeakerTemplate, rule.Audience)
	}
	if !strings.HasPrefix(rule.Template, "reminder-") {
		bad(key+".template", "%q, want a reminder template such as reminder-noanswer", rule.Template)
	}
}

// checkAdmin checks [admin]: the socket, and the loopback listener with its
// token that the staff desk needs.
func checkAdmin(bad func(string, string, ...any), a *Admin) {
	if a.Socket == "" {
		bad("admin.socket", "required")
	}
	if a.Listen != "" {
		host, _, err := net.SplitHostPort(a.Listen)
		if err != nil {
			bad("admin.listen", "%v", err)
		} else if !loopback.Host(host) {
			bad("admin.listen", "%s is not a loopback address; the admin endpoint is for this machine only", host)
		}
		if a.TokenFile == "" && a.TokenEnv == "" {
			bad("admin.token_file", "admin.listen needs a token (admin.token_file or admin.token_env)")
		}
	} else if a.StaffFile != "" {
		bad("admin.staff_file", "the staff desk is served on admin.listen; set it too (a loopback address, e.g. \"127.0.0.1:8025\")")
	}
}

// checkLog checks [log].
func checkLog(bad func(string, string, ...any), l Log) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q, want debug, info, warn or error", l.Level)
	}
	if l.Format != "text" && l.Format != "json" {
		bad("log.format", "%q, want text or json", l.Format)
	}
}

// checkWeb checks [web]: an absolute https address without query or
// fragment (http only to this machine, for trials), served on loopback.
func checkWeb(bad func(string, string, ...any), w Web) {
	if d := w.FormLifetime.D; d < 10*time.Minute || d > 7*24*time.Hour {
		bad("web.form_lifetime", "%s, want between 10m (time to fill the form in) and 7d", d)
	}
	for _, r := range []struct {
		key      string
		burst    int
		interval time.Duration
	}{{"web.per_address", w.PerAddressBurst, w.PerAddressInterval.D}, {"web.per_token", w.PerTokenBurst, w.PerTokenInterval.D}} {
		if r.burst < 1 || r.burst > 100_000 {
			bad(r.key+"_burst", "%d, want 1 to 100000 requests", r.burst)
		}
		if r.interval < time.Millisecond || r.interval > time.Hour {
			bad(r.key+"_interval", "%s, want between 1ms and 1h", r.interval)
		}
	}
	if w.PublicURL == "" {
		if w.Listen != "" {
			bad("web.public_url", "required with web.listen: the address missions reach the pages at, such as https://rsvp.example.org")
		}
		return
	}
	u, err := url.Parse(w.PublicURL)
	switch {
	case err != nil || u.Host == "" || u.User != nil:
		bad("web.public_url", "%q is not an absolute address such as https://rsvp.example.org", w.PublicURL)
	case u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname())):
		bad("web.public_url", "%q: use https (the link carries the mission's token; http is accepted for localhost only)", w.PublicURL)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(w.PublicURL, "?") || strings.Contains(w.PublicURL, "#"):
		bad("web.public_url", "%q: no query or fragment", w.PublicURL)
	}
	host, _, err := net.SplitHostPort(w.Listen)
	if err != nil {
		bad("web.listen", "%v", err)
	} else if !loopback.Host(host) {
		bad("web.listen", "%s is not a loopback address; serve the pages on this machine and publish them through a TLS reverse proxy (see deploy/OPERATING.md)", host)
	}
}

func checkServer(bad func(string, string, ...any), sect, host string, port int, tls string, modes []string) {
	if host == "" {
		bad(sect+".host", "required")
	} else if strings.ContainsAny(host, " /:") && net.ParseIP(host) == nil {
		bad(sect+".host", "%q is not a host name (give the port in %s.port)", host, sect)
	}
	if port < 1 || port > 65535 {
		bad(sect+".port", "%d, want 1 to 65535", port)
	}
	if !slices.Contains(modes, tls) {
		bad(sect+".tls", "%q, want one of %s", tls, strings.Join(modes, ", "))
	}
}

// checkAuth checks a side's login: its method, and the password source
// when it logs in with a password.
func checkAuth(bad func(string, string, ...any), sect, auth, user, inline, file, env string) {
	switch auth {
	case "password":
		checkSecret(bad, sect, user, inline, file, env)
	case "oauth2":
		if user == "" {
			bad(sect+".username", "required with %s.auth = \"oauth2\": the mailbox the token logs in to", sect)
		}
		if inline != "" || file != "" || env != "" {
			bad(sect+".auth", "\"oauth2\" logs in with a token, not a password: remove %s.password_file and %s.password_env", sect, sect)
		}
	default:
		bad(sect+".auth", "%q, want password or oauth2", auth)
	}
}

// checkOAuth2 checks [oauth2] for a side that logs in with it.
func (c *Config) checkOAuth2(bad func(string, string, ...any)) {
	o := &c.OAuth2
	switch {
	case o.TokenURL == "" && c.Provider == "microsoft365":
		bad("oauth2.tenant", "required with provider = \"microsoft365\": the directory (tenant) ID or domain of the organisation, e.g. \"presessions.onmicrosoft.com\"")
	case o.TokenURL == "":
		bad("oauth2.token_url", "required with auth = \"oauth2\" (or set provider)")
	default:
		u, err := url.Parse(o.TokenURL)
		switch {
		case err != nil || u.Host == "":
			bad("oauth2.token_url", "%q is not an absolute URL", o.TokenURL)
		case u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname())):
			bad("oauth2.token_url", "%q: want https (http only to a loopback address): the client secret travels to it", o.TokenURL)
		}
	}
	if strings.TrimSpace(o.ClientID) == "" {
		bad("oauth2.client_id", "required with auth = \"oauth2\": the application (client) ID of the registered application")
	}
	if o.ClientSecret != "" {
		bad("oauth2.client_secret", "secrets are not kept in the config file; use oauth2.client_secret_file (0600, or a systemd credential) or oauth2.client_secret_env")
	}
	if o.RefreshToken != "" {
		bad("oauth2.refresh_token", "secrets are not kept in the config file; use oauth2.refresh_token_file (0600, or a systemd credential) or oauth2.refresh_token_env")
	}
	if o.ClientSecretFile != "" && o.ClientSecretEnv != "" {
		bad("oauth2.client_secret_env", "give either oauth2.client_secret_file or oauth2.client_secret_env, not both")
	}
	if o.RefreshTokenFile != "" && o.RefreshTokenEnv != "" {
		bad("oauth2.refresh_token_env", "give either oauth2.refresh_token_file or oauth2.refresh_token_env, not both")
	}
	refresh := o.RefreshTokenFile != "" || o.RefreshTokenEnv != ""
	if !refresh && o.ClientSecretFile == "" && o.ClientSecretEnv == "" {
		bad("oauth2.client_secret_file", "no client secret: set oauth2.client_secret_file or oauth2.client_secret_env (the client credentials grant needs one)")
	}
	if !refresh && c.Provider == "google" {
		bad("oauth2.refresh_token_file", "Google Workspace mail needs a refresh token (see deploy/OPERATING.md): set oauth2.refresh_token_file or oauth2.refresh_token_env")
	}
	if o.Mechanism != "xoauth2" && o.Mechanism != "oauthbearer" {
		bad("oauth2.mechanism", "%q, want xoauth2 or oauthbearer", o.Mechanism)
	}
	if !refresh && len(o.Scopes) == 0 {
		bad("oauth2.scopes", "required for the client credentials grant, e.g. [\"https://outlook.office365.com/.default\"]")
	}
}

func checkSecret(bad func(string, string, ...any), sect, user, inline, file, env string) {
	if inline != "" {
		bad(sect+".password", "secrets are not kept in the config file; put it in a file named by %s.password_file (0600, or a systemd credential) or an environment variable named by %s.password_env", sect, sect)
	}
	if user != "" && file == "" && env == "" {
		bad(sect+".password_file", "%s.username is set but no password source: set %s.password_file or %s.password_env", sect, sect, sect)
	}
	if file != "" && env != "" {
		bad(sect+".password_env", "give either %s.password_file or %s.password_env, not both", sect, sect)
	}
}

// clockChange reports the first day, in year or the next, on which the local time h:m is skipped or repeated in loc by a
// daylight-saving change, with "skipped" or "repeated"; what is "" when
// the time is safe every day.
func clockChange(loc *time.Location, year, h, m int) (day time.Time, what string) {
	for d := time.Date(year, 1, 1, 12, 0, 0, 0, loc); d.Year() <= year+1; d = d.AddDate(0, 0, 1) {
		t := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
		if t.Hour() != h || t.Minute() != m {
			return d, "skipped"
		}
		for _, other := range []time.Time{t.Add(-time.Hour), t.Add(time.Hour)} {
			if other.Hour() == h && other.Minute() == m && other.Day() == t.Day() {
				return d, "repeated"
			}
		}
	}
	return time.Time{}, ""
}

// ParseClock reads "HH:MM".
func ParseClock(s string) (h, m int, err error) {
	hs, ms, ok := strings.Cut(s, ":")
	if ok {
		h, err = strconv.Atoi(hs)
		if err == nil {
			m, err = strconv.Atoi(ms)
		}
	}
	if !ok || err != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(ms) != 2 {
		return 0, 0, fmt.Errorf("%q, want a time of day such as 09:30", s)
	}
	return h, m, nil
}

// checkCron checks a five-field cron spec, optionally prefixed with
// CRON_TZ=Zone.
func checkCron(spec string) error {
	fields := strings.Fields(spec)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "CRON_TZ=") {
		if _, err := time.LoadLocation(strings.TrimPrefix(fields[0], "CRON_TZ=")); err != nil {
			return fmt.Errorf("unknown time zone in %q", fields[0])
		}
		fields = fields[1:]
	}
	if len(fields) == 1 && strings.HasPrefix(fields[0], "@") {
		return nil
	}
	if len(fields) != 5 {
		return fmt.Errorf("%q: want five cron fields (minute hour day month weekday), e.g. \"0 8 * * *\"", spec)
	}
	if h := fields[1]; h == "2" || h == "02" {
		return fmt.Errorf("%q runs in the daylight-saving hour (02:00-03:00); choose another hour", spec)
	}
	return nil
}
