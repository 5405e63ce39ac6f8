package mailer

import "errors"

// IsTemporary reports whether err carries an *Error that is temporary.
func IsTemporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}
