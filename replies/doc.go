// Package replies classifies one inbound message of the RSVP intake: a
// delivery failure, a calendar answer, an automatic reply, a letter from a
// Permanent Mission saying which pre-sessions it will attend, or something
// unrelated. Classify is a pure function of the raw message and a
// Directory: it records nothing, touches no clock and does no I/O, so the
// caller applies the Result to its store in one transaction.
//
// Order of the checks, strongest evidence first (a bounce often carries
// Auto-Submitted, and a DSN quotes our own REQUEST, so the order matters):
//
//  1. delivery status notifications (RFC 3464 and RFC 6522
//     multipart/report, RFC 6533 message/global-delivery-status) and the
//     non-standard bounces of Exchange/Microsoft 365, Gmail, Postfix, Exim
//     and qmail; an Action of delayed or a 4.x.x status (RFC 3463) is a
//     delay, not a failure;
//  2. iMIP replies (RFC 6047, RFC 5546 REPLY, COUNTER and REFRESH) in any
//     text/calendar, application/ics or *.ics part, with or without a
//     method parameter;
//  3. automatic replies (RFC 3834 Auto-Submitted, and the headers and
//     subjects of Exchange, Gmail and iCloud out-of-office messages) and
//     read receipts (RFC 8098);
//  4. letters in English, French and Spanish, read sentence by sentence
//     after the quoted text is removed, negations before affirmations; our
//     own invitation is recognised by its content (its sentences in the
//     three languages and its schedule of times and rooms), whatever
//     header, client or conversion it came through, and is never read;
//  5. everything else.
//
// A letter is read in stages, each in its own file and testable alone:
// the MIME walk gives the message's readable text (mime.go, with
// html.go for HTML bodies); findZones separates the sender's answer
// from our invitation, quoted and forwarded text, earlier headers and
// the signature (zones.go, with invitation.go recognising the
// invitation by its content); sentences splits the answer, its tables
// and lists first written as sentences (sentences.go, table.go);
// cuesOf finds each sentence's clauses and answer words (cues.go, over
// the phrases of lexicon.txt and the word lists of words.txt), and the
// reader finds the States and dates each sentence names (letter.go,
// dates.go, names.go, with the names and variants of the directory's
// states.csv); statusOf gives
// each mention its answer, and conclude turns what the sentences said
// into one answer per pre-session, or problems for staff (decide.go).
// classify.go then decides whether the reading may be recorded.
//
// Messages are parsed leniently (RFC 5322 headers with RFC 2047 encoded
// words, RFC 2045–2049 MIME with RFC 2231 parameters, base64 and
// quoted-printable, any charset golang.org/x/text knows, LF or CRLF line
// ends, RFC 3676 format=flowed) and within fixed limits on nesting, part
// count and size, so hostile input costs bounded time and never panics.
//
// The rule behind every choice: a wrong "accepted" is worse than a review
// item. Anything uncertain — an unknown sender, a proposal for a new time,
// a mission answering for another, a letter whose answer is unclear —
// becomes Kind Review with a Reason saying what a person should check.
package replies
