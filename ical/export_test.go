package ical

// Validate is icaltest.Validate, set by icaltest_test.go: icaltest imports
// ical, so the package's own tests reach it through this variable.
var Validate func(data []byte) error

// WithProdID sets the VCALENDAR's PRODID (RFC 5545 §3.7.3).
func WithProdID(id string) Option {
	return func(c *config) { c.prodID = id }
}
