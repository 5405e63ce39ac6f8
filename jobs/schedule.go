package jobs

import "outreach/config"

// ScheduleFrom converts the configuration's [reminders] section, already
// validated by config (a rule time that does not parse is left at 00:00).
func ScheduleFrom(r config.Reminders) Schedule {
	s := Schedule{Lateness: r.Lateness.D, Digest: r.Digest}
	for _, rule := range r.Rules {
		h, m, _ := config.ParseClock(rule.At)
		s.Rules = append(s.Rules, Rule{Name: rule.Name, PerSession: rule.RelativeTo == "session", DaysBefore: rule.DaysBefore,
			Hour: h, Min: m, Audience: rule.Audience, Template: rule.Template})
	}
	return s
}
