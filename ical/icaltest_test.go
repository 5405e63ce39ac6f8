package ical_test

import (
	"os"
	"testing"

	"outreach/ical"
	"outreach/ical/icaltest"
)

func TestMain(m *testing.M) {
	ical.Validate = icaltest.Validate
	os.Exit(m.Run())
}
