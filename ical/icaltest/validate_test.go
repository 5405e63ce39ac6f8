package icaltest

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateLimitsItsReport(t *testing.T) {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nPRODID:x\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n")
	for i := 0; i < 300; i++ {
		b.WriteString("BEGIN:VEVENT\r\nUID:u\r\nSUMMARY:a,b\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	err := Validate([]byte(b.String()))
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != maxProblems+1 || !strings.Contains(err.Error(), "more problems") {
		t.Fatalf("report not limited: %d problems", len(joined.Unwrap()))
	}
}
