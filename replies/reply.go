package replies

import (
	"fmt"
	"time"

	"outreach"
)

// Kind is what an inbound message is.
type Kind int

// Kinds of inbound message.
const (
	// Unrelated is mail with nothing to record: a newsletter, a thank-you
	// without an answer, a question. Staff see it in the digest.
	Unrelated Kind = iota
	// RSVP is an answer the caller may record: Mission and Sessions are set.
	RSVP
	// Bounce is a permanent delivery failure of one of our messages.
	Bounce
	// Delayed is a notice that one of our messages is still being retried.
	Delayed
	// AutoReply is an out-of-office message, a read receipt or another
	// automatic answer.
	AutoReply
	// Review is a message a person must look at before anything is
	// recorded; Reason says what to check.
	Review
)

// String returns the kind's name: "rsvp", "bounce", "delayed",
// "auto-reply", "review" or "unrelated".
func (k Kind) String() string {
	switch k {
	case RSVP:
		return "rsvp"
	case Bounce:
		return "bounce"
	case Delayed:
		return "delayed"
	case AutoReply:
		return "auto-reply"
	case Review:
		return "review"
	case Unrelated:
		return "unrelated"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for c := Unrelated; c <= Review; c++ {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("reply: unknown kind %q (want rsvp, bounce, delayed, auto-reply, review or unrelated)", b)
}

// Match says how the mission of a message was found, strongest first.
type Match string

// Ways a message is matched to a mission.
const (
	// MatchUID: the UID of a calendar part is one we sent.
	MatchUID Match = "uid"
	// MatchToken: the message was sent to the mission's reply address
	// (rsvp+TOKEN@domain).
	MatchToken Match = "token"
	// MatchThread: In-Reply-To or References name a message we sent (for a
	// bounce: the Message-ID of the bounced original).
	MatchThread Match = "thread"
	// MatchContact: the sender (for a bounce: the failed recipient) is a
	// known contact address of the mission.
	MatchContact Match = "contact"
	// MatchDomain: the sender writes from the mission's own mail domain.
	MatchDomain Match = "domain"
	// MatchNone: no mission found.
	MatchNone Match = ""
)

// Calendar is what an iMIP reply said (RFC 5546 §3.2.3).
type Calendar struct {
	UID string
	// Sequence and DTStamp are the revision answered; the caller keeps the
	// newest answer per attendee (RFC 5546 §2.1.5).
	Sequence int
	DTStamp  time.Time
	// PartStat is the attendee's PARTSTAT, upper-case (ACCEPTED, ...).
	PartStat string
	// Attendee and SentBy are lower-case e-mail addresses.
	Attendee, SentBy string
	// Method is REPLY, COUNTER or REFRESH.
	Method string
	// Comment is the COMMENT property or Gmail's X-RESPONSE-COMMENT.
	Comment string
	// Guests is Gmail's X-NUM-GUESTS.
	Guests int
}

// Result is what Classify found in one message.
type Result struct {
	Kind Kind
	// Mission is the mission id ("JPN"), or "" when unknown.
	Mission string
	Match   Match
	// Sessions maps a session (the id of its State under Review) to the
	// answer. It is set only when Kind is RSVP, and never empty then; for a
	// Review the reading, if any, is in Reason, so nothing is recorded by
	// mistake.
	Sessions map[string]outreach.Status
	// Calendar is set for an iMIP reply (also a COUNTER or REFRESH sent to
	// Review). A message with several UIDs of one mission carries the
	// first here and every session in Sessions.
	Calendar *Calendar
	// Delegates is the number of delegates announced: a count the text
	// states, else the number of names it gives, else for a calendar reply
	// 1 + X-NUM-GUESTS when guests are announced; 0 when nothing is said.
	Delegates     int
	DelegateNames []string
	// Comment is the mission's own words, short and plain: the calendar
	// COMMENT, or the first lines of a letter.
	Comment string
	// BouncedAddress is, for Bounce and Delayed, the failed recipient
	// (lower-case); BounceStatus its RFC 3463 status ("5.1.1") and
	// BounceDiagnostic the server's words.
	BouncedAddress   string
	BounceStatus     string
	BounceDiagnostic string
	// Reason is always set: one sentence for staff saying why the message
	// was classified so; for Review, what to check.
	Reason string
	// Because holds, for each session in Sessions, the words that decided
	// its answer and the part of the message they come from, in the order
	// read (`rsvp classify --explain`).
	Because map[string][]Because
	// SetAside says which parts of the message were not read for answers
	// (a quoted invitation, quoted or forwarded text, a signature), for
	// the same explanation.
	SetAside []string
	// Header fields of the message. MessageID, InReplyTo and References
	// keep their angle brackets; From is the sender's address, lower-case.
	MessageID  string
	InReplyTo  string
	References []string
	From       string
	Subject    string
	Date       time.Time
	// Excerpt is the start (about 500 characters) of the message's own new
	// text, quoted parts removed, as plain text.
	Excerpt string
}

// Directory is what Classify knows about the round. Implementations must
// be safe to call with any string and return ok=false for what they do not
// know.
type Directory interface {
	// ByUID maps one of our calendar UIDs to its mission and session.
	ByUID(uid string) (mission, session string, ok bool)
	// ByToken maps the token of a reply address (rsvp+TOKEN@domain).
	ByToken(token string) (mission string, ok bool)
	// ByMessageID maps a Message-ID we sent, with its angle brackets.
	ByMessageID(msgid string) (mission string, ok bool)
	// ByAddress maps a known contact address (lower-case).
	ByAddress(addr string) (mission string, ok bool)
	// ByDomain maps a mission's own mail domain (lower-case).
	ByDomain(domain string) (mission string, ok bool)
	// Mailbox is the organiser address, e.g. rsvp@presessions.example.
	Mailbox() string
	// Sessions are the sessions of the round.
	Sessions() []Session
}

// Session is one pre-session as the reader of letters needs it.
type Session struct {
	// SuR is the mission id of the State under Review.
	SuR string
	// Names are every name of the State in English, French and Spanish,
	// with variants; Aliases(SuR) is added to them.
	Names []string
	// Cancelled sessions are left out of "all the pre-sessions".
	Cancelled bool
	// Start is when the session begins, in the time zone of its venue
	// (Geneva), or zero when unknown. A letter naming a pre-session by
	// its date and time ("the pre-session of 12 October at 10:00") is
	// read against it; without it such a letter goes to Review.
	Start time.Time
}

// Where the words behind an answer come from.
const (
	ZoneCalendar = "calendar reply" // the iTIP REPLY: ATTENDEE and PARTSTAT
	ZoneSubject  = "subject"
	ZoneText     = "the sender's own text" // quoted text, signature and invitation set aside
)

// Because is a piece of a message behind an answer.
type Because struct {
	Zone string `json:"zone"`
	Text string `json:"text"`
}
