// Package ical writes and reads the iCalendar objects of the invitation flow.
//
// It builds the METHOD:REQUEST and METHOD:CANCEL objects sent to each
// Permanent Mission (one VEVENT per mission and session) and the
// METHOD:PUBLISH feed for staff; it reads the REPLY and COUNTER objects that
// Outlook/Exchange, Gmail, Apple Calendar and Thunderbird send back. The
// strict validator the tests run on every object is ical/icaltest.
//
// Standards followed:
//   - RFC 5545 (iCalendar): content lines ending in CRLF, folding at 75
//     octets without splitting a UTF-8 sequence, TEXT escaping of \ ; , and
//     newlines, DQUOTE-d parameter values, VTIMEZONE for every TZID used.
//   - RFC 5546 (iTIP): the properties each method requires (§3.2), one UID per
//     REQUEST/CANCEL object, no ATTENDEE in PUBLISH.
//   - RFC 6868: ^n, ^' and ^^ encoding of newlines, DQUOTEs and carets in
//     parameter values.
//
// The serializer is this package's own, not github.com/arran4/golang-ical:
// that library (v0.3.4) backslash-escapes parameter values (CN=O\'Brien,
// CN=Korea\, Republic of), which no other client reads back correctly, writes
// DTSTART in UTC even with a TZID and has no VTIMEZONE generator. Mission
// names are full of commas, apostrophes and parentheses, so parameter quoting
// has to be right, and a few hundred lines of writer are easier to prove
// correct than a library to work around.
//
// The reader is lenient where clients differ (LF or CRLF, folds inside
// parameters, any case of names and of mailto:, Windows TZIDs, no ORGANIZER)
// and strict where data is damaged (unbalanced BEGIN/END, a line without a
// value, oversized input): damaged input is an error, never a guess.
package ical
