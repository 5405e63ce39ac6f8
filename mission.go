package outreach

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Language is a mission's working language for correspondence.
type Language string

// The three languages the invitations are written in.
const (
	English Language = "en"
	French  Language = "fr"
	Spanish Language = "es"
)

// Languages lists the supported languages in a stable order.
var Languages = [...]Language{English, French, Spanish}

// ParseLanguage returns the Language for s ("en", "fr" or "es", any case).
func ParseLanguage(s string) (Language, error) {
	switch l := Language(strings.ToLower(strings.TrimSpace(s))); l {
	case English, French, Spanish:
		return l, nil
	}
	return "", fmt.Errorf("unknown language %q (want en, fr or es)", s)
}

// MissionKind tells a Member State's mission from an observer State's.
type MissionKind int

// Mission kinds.
const (
	Member MissionKind = iota
	Observer
)

func (k MissionKind) String() string {
	if k == Observer {
		return "observer"
	}
	return "member"
}

// MarshalText implements encoding.TextMarshaler.
func (k MissionKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *MissionKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "member":
		*k = Member
	case "observer":
		*k = Observer
	default:
		return fmt.Errorf("unknown mission kind %q", b)
	}
	return nil
}

// observerIDs are the two non-member observer States invited with the
// Member States: the Holy See and the State of Palestine.
func isObserverID(id string) bool { return id == "VAT" || id == "PSE" }

// KindOf returns the kind of mission for an ISO 3166-1 alpha-3 id.
func KindOf(id string) MissionKind {
	if isObserverID(id) {
		return Observer
	}
	return Member
}

// Names holds one text in each of the three languages.
type Names struct {
	EN string `json:"en"`
	FR string `json:"fr"`
	ES string `json:"es"`
}

// In returns the text in language l, falling back to English.
func (n Names) In(l Language) string {
	switch l {
	case French:
		if n.FR != "" {
			return n.FR
		}
	case Spanish:
		if n.ES != "" {
			return n.ES
		}
	}
	return n.EN
}

// Contact is one address of a mission.
type Contact struct {
	Email string `json:"email"`
	// Undeliverable is set when a bounce showed that mail to Email cannot be
	// delivered; Bounce holds the reason and BouncedAt when it was seen.
	Undeliverable bool      `json:"undeliverable,omitempty"`
	Bounce        string    `json:"bounce,omitempty"`
	BouncedAt     time.Time `json:"bounced_at,omitzero"`
}

// Mission is one Permanent Mission in Geneva, invited to every session.
type Mission struct {
	// ID is the State's ISO 3166-1 alpha-3 code (VAT and PSE for the observers).
	ID   string      `json:"id"`
	Kind MissionKind `json:"kind"`
	// Names are the UN short names of the State; Titles the mission's formal
	// title with the right article ("Mission permanente du Japon").
	Names    Names     `json:"names"`
	Titles   Names     `json:"titles"`
	Language Language  `json:"language"`
	Contacts []Contact `json:"contacts"`
	// Domains are mail domains the mission writes from.
	Domains []string `json:"domains"`
}

// Name returns the State's short name in the mission's own language.
func (m *Mission) Name() string { return m.Names.In(m.Language) }

// Title returns the mission's formal title in its own language.
func (m *Mission) Title() string { return m.Titles.In(m.Language) }

// Usable returns the contacts mail can be sent to.
func (m *Mission) Usable() []Contact {
	var out []Contact
	for _, c := range m.Contacts {
		if !c.Undeliverable {
			out = append(out, c)
		}
	}
	return out
}

// Contact returns the contact with address email (case-insensitive).
func (m *Mission) Contact(email string) (*Contact, bool) {
	for i := range m.Contacts {
		if strings.EqualFold(m.Contacts[i].Email, email) {
			return &m.Contacts[i], true
		}
	}
	return nil, false
}

// IsMissionID reports whether id has the shape of a mission id: three
// upper-case ASCII letters.
func IsMissionID(id string) bool {
	if len(id) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if id[i] < 'A' || id[i] > 'Z' {
			return false
		}
	}
	return true
}

// CheckAddress reports whether s is a bare, usable e-mail address
// ("name@domain", no display name, no spaces or control characters).
func CheckAddress(s string) error {
	if s == "" {
		return errors.New("empty address")
	}
	if strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return fmt.Errorf("address %q: must be a bare address such as mission@example.org", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return fmt.Errorf("address %q: not a valid e-mail address", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !strings.Contains(s[at+1:], ".") {
		return fmt.Errorf("address %q: domain must be fully qualified", s)
	}
	return nil
}

// CheckDomain reports whether s looks like a mail domain ("mfa.example").
func CheckDomain(s string) error {
	if s == "" || strings.ContainsAny(s, " \t\r\n@<>,;\"") || !strings.Contains(s, ".") ||
		strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return fmt.Errorf("domain %q: not a mail domain such as mfa.example", s)
	}
	return nil
}

// Validate checks a mission's fields and returns every problem found.
func (m *Mission) Validate() error {
	var errs []error
	if !IsMissionID(m.ID) {
		errs = append(errs, fmt.Errorf("id %q: want an ISO 3166-1 alpha-3 code such as JPN", m.ID))
	}
	for _, f := range []struct{ name, v string }{
		{"name_en", m.Names.EN}, {"name_fr", m.Names.FR}, {"name_es", m.Names.ES},
	} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, fmt.Errorf("%s: empty", f.name))
		}
	}
	for _, f := range []struct{ name, v string }{
		{"name_en", m.Names.EN}, {"name_fr", m.Names.FR}, {"name_es", m.Names.ES},
		{"title_en", m.Titles.EN}, {"title_fr", m.Titles.FR}, {"title_es", m.Titles.ES},
	} {
		if err := CheckDisplayName(f.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if _, err := ParseLanguage(string(m.Language)); err != nil {
		errs = append(errs, fmt.Errorf("language: %w", err))
	}
	seen := map[string]bool{}
	for _, c := range m.Contacts {
		if err := CheckAddress(c.Email); err != nil {
			errs = append(errs, fmt.Errorf("emails: %w", err))
		}
		k := strings.ToLower(c.Email)
		if seen[k] {
			errs = append(errs, fmt.Errorf("emails: %s listed twice", c.Email))
		}
		seen[k] = true
	}
	for _, d := range m.Domains {
		if err := CheckDomain(d); err != nil {
			errs = append(errs, fmt.Errorf("domains: %w", err))
		}
	}
	return errors.Join(errs...)
}

// DefaultTitles fills empty titles from the short names ("Permanent Mission
// of X"). Imported files may leave titles empty; a formal title with the right
// article is better, so the embedded directory always carries one.
func (m *Mission) DefaultTitles() {
	if m.Titles.EN == "" {
		if m.Kind == Observer {
			m.Titles.EN = "Permanent Observer Mission of " + m.Names.EN
		} else {
			m.Titles.EN = "Permanent Mission of " + m.Names.EN
		}
	}
	if m.Titles.FR == "" {
		if m.Kind == Observer {
			m.Titles.FR = "Mission permanente d'observation : " + m.Names.FR
		} else {
			m.Titles.FR = "Mission permanente : " + m.Names.FR
		}
	}
	if m.Titles.ES == "" {
		if m.Kind == Observer {
			m.Titles.ES = "Misión Permanente de Observación: " + m.Names.ES
		} else {
			m.Titles.ES = "Misión Permanente: " + m.Names.ES
		}
	}
}
