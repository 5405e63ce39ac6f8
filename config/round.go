package config

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/BurntSushi/toml"

	"outreach"
)

// RoundFile is a round's own settings, as `outreach round new N --from
// FILE` reads them: the keys of [event] that change from one round to the
// next, at the top of the file.
//
//	title = "UPR Pre-sessions: 29th UPR Working Group session"
//	upr_session = 29          # optional; must be N when given
//	venue = "Palais des Nations, Geneva"
//	time_zone = "Europe/Zurich"
//	first_day = 2018-01-09
//	last_day = 2018-01-12
//	rsvp_deadline = 2018-01-05T18:00:00
//	provisional = true
type RoundFile struct {
	Title        string        `toml:"title"`
	UPRSession   int           `toml:"upr_session"`
	Venue        string        `toml:"venue"`
	TimeZone     string        `toml:"time_zone"`
	FirstDay     LocalDate     `toml:"first_day"`
	LastDay      LocalDate     `toml:"last_day"`
	RSVPDeadline LocalDateTime `toml:"rsvp_deadline"`
	Provisional  bool          `toml:"provisional"`
	// Defined lists the keys the file sets.
	Defined map[string]bool `toml:"-"`
}

// LoadRound reads a round file, reporting every problem at once with its
// key: unknown keys and values of the wrong type.
func LoadRound(path string) (*RoundFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("round file: %w", err)
	}
	var rf RoundFile
	md, typeErrs, err := decode(string(data), &rf)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("round file %s: line %d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("round file %s: %w", path, err)
	}
	errs := typeErrs
	var unknown []string
	for _, k := range md.Undecoded() {
		unknown = append(unknown, k.String())
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown key (a round file has title, upr_session, venue, time_zone, first_day, last_day, rsvp_deadline, provisional)", k))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("round file %s: %w", path, errors.Join(errs...))
	}
	rf.Defined = map[string]bool{}
	for _, k := range md.Keys() {
		rf.Defined[k.String()] = true
	}
	return &rf, nil
}

// Round returns the file's settings as a round numbered n (empty where the
// file says nothing).
func (rf *RoundFile) Round(n int) outreach.Round {
	r := outreach.Round{Number: n, Title: rf.Title, Venue: rf.Venue, TimeZone: rf.TimeZone, Provisional: rf.Provisional}
	if !rf.FirstDay.IsZero() {
		r.FirstDay = rf.FirstDay.String()
	}
	if !rf.LastDay.IsZero() {
		r.LastDay = rf.LastDay.String()
	}
	if !rf.RSVPDeadline.IsZero() {
		r.RSVPDeadline = fmt.Sprintf("%sT%02d:%02d", rf.RSVPDeadline.LocalDate, rf.RSVPDeadline.Hour, rf.RSVPDeadline.Minute)
	}
	return r
}

// FirstRound returns the round the configuration's [event] describes: the
// round a store written before rounds were kept becomes, and the first
// round of a new store.
func (c *Config) FirstRound() outreach.Round {
	return outreach.RoundOf(c.OutreachEvent())
}
