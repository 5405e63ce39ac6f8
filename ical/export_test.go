package ical

// Validate is icaltest.Validate, set by icaltest_test.go: icaltest imports
// ical, so the package's own tests reach it through this variable.
var Validate func(data []byte) error
