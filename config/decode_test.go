package config

import (
	"strings"
	"testing"
)

// TestTypeErrorsReportedWithTheRest: values of the wrong type do not stop
// reading at the first; each is reported by its key in outreach's words,
// in the file's order, together with every other problem.
func TestTypeErrorsReportedWithTheRest(t *testing.T) {
	text := strings.Replace(Example, "port = 993", `port = "993"`, 1)
	text = strings.Replace(text, `timeout = "30s"`, `timeout = "30 seconds"`, 1)
	text = strings.Replace(text, "per_minute = 30 ", "per_minute = 0 ", 1)
	text = strings.Replace(text, "connections = 1 ", "connections = true ", 1)
	text = strings.Replace(text, "days_before = 7\n", "days_before = \"7\"\n", 1)
	text += "\n[bogus]\nkey = 1\n"
	_, err := Parse(text)
	if err == nil {
		t.Fatal("accepted")
	}
	got := err.Error()
	for _, want := range []string{
		`smtp.timeout: "30 seconds" is not a duration such as 30s, 5m, 36h or 2d`,
		`smtp.connections: true is a boolean; want a whole number without quotes`,
		`imap.port: "993" is text in quotes; want a whole number without quotes: 993`,
		"smtp.per_minute: ",
		"bogus: unknown key",
		// In an array of tables the library names the key's last line;
		// the report names the rule that holds the bad value.
		`reminders.rule[1].days_before: "7" is text in quotes; want a whole number`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	for _, not := range []string{"toml:", "incompatible types", "destination has type", "smtp.connections: between",
		"rule[0].days_before", "rule[2].days_before"} {
		if strings.Contains(got, not) {
			t.Errorf("%q in:\n%s", not, got)
		}
	}
	if strings.Index(got, "smtp.timeout") > strings.Index(got, "imap.port") {
		t.Errorf("not in the file's order:\n%s", got)
	}
}
