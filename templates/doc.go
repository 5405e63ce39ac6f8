// Package templates writes the emails outreach sends: the invitation (in
// the register of a note verbale), the confirmation, update and
// cancellation that carry a calendar request, the reminders, the staff
// digest, and the two notes that follow a mission's answers on its reply
// page (the withdrawal of a session it gave up and the summary of its
// answers). Each is written in English, French and Spanish (the digest in
// English only), as plain text and as HTML (the two reply page notes as
// plain text only, since they quote what the mission typed); it also
// writes the title and
// description of each session's calendar event and the name of its .ics
// attachment.
//
// The templates are embedded (files/) and an operator may replace any of
// them with a file of the same name in a directory given to Load. Every
// template, embedded or replaced, is parsed and executed against sample
// data when loaded, so a mistake fails at start-up with the file's name,
// not as a blank in a message a diplomat reads.
//
// Text parts use text/template and HTML parts html/template, which escapes
// every value. The HTML follows what mail clients render (Outlook, Gmail,
// Apple Mail): tables and inline styles only, no <style>, no scripts, no
// remote images. Message bodies follow RFC 5322 and RFC 2045–2049
// conventions (one-line subjects, UTF-8 text); calendar titles are meant
// for the SUMMARY and DESCRIPTION properties of RFC 5545.
package templates
