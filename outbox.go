package outreach

import (
	"fmt"
	"time"
)

// MessageKind is what an outgoing message is for.
type MessageKind string

// Kinds of outgoing messages.
const (
	Invitation   MessageKind = "invitation"   // the round's invitation, one per mission
	Confirmation MessageKind = "confirmation" // calendar request after an answer by letter or by staff
	Update       MessageKind = "update"       // a session moved: REQUEST with SEQUENCE+1
	Cancellation MessageKind = "cancel"       // a session dropped: METHOD:CANCEL
	Reminder     MessageKind = "reminder"     // a scheduled reminder rule
	Digest       MessageKind = "digest"       // the daily note to staff
	// Withdrawal is a METHOD:CANCEL of one mission's copy of a session it
	// gave up on its reply page, after a calendar request had gone to it.
	Withdrawal MessageKind = "withdrawal"
	// PageSummary is the summary of a mission's answers sent after it
	// submitted its reply page.
	PageSummary MessageKind = "page-summary"
)

// OutboxState is where a message is in its life.
type OutboxState int

// Outbox states: queued → sending → sent | deferred (retried) | failed.
// Superseded marks a message replaced before it went out (a session moved
// twice: only the latest revision is sent).
const (
	Queued OutboxState = iota
	Sending
	Sent
	Deferred
	Failed
	Superseded
)

var outboxStateNames = [...]string{"queued", "sending", "sent", "deferred", "failed", "superseded"}

func (s OutboxState) String() string {
	if int(s) < len(outboxStateNames) {
		return outboxStateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s OutboxState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *OutboxState) UnmarshalText(b []byte) error {
	for i, n := range outboxStateNames {
		if n == string(b) {
			*s = OutboxState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown outbox state %q", b)
}

// Pending reports whether the message still has to be sent.
func (s OutboxState) Pending() bool { return s == Queued || s == Sending || s == Deferred }

// OutboxKey is the stable identity of an outgoing message: the same key is
// never queued twice.
type OutboxKey struct {
	Kind    MessageKind `json:"kind"`
	Mission string      `json:"mission,omitempty"`
	Session string      `json:"session,omitempty"`
	// Revision is the session's SEQUENCE for updates and cancellations, the
	// rule name's revision for reminders, the day for digests.
	Revision string `json:"revision,omitempty"`
	// Speaker is the address, in lower case, of the panellist a reminder
	// is written to; Mission is then empty. Messages to missions have none.
	Speaker string `json:"speaker,omitempty"`
	// Day is the local date ("2017-10-10") of a reminder about a mission's
	// sessions on one day; Session is then empty.
	Day string `json:"day,omitempty"`
}

// String is the key as the store indexes it: kind/mission/session/revision,
// with /speaker after it for a message to a speaker and /day after it for
// a reminder about one day (so every other key of a message to a mission
// reads as it always has).
func (k OutboxKey) String() string {
	s := string(k.Kind) + "/" + k.Mission + "/" + k.Session + "/" + k.Revision
	if k.Speaker != "" {
		s += "/" + k.Speaker
	}
	if k.Day != "" {
		s += "/" + k.Day
	}
	return s
}

// OutboxItem is one message in the durable outbox.
type OutboxItem struct {
	ID  uint64    `json:"id"`
	Key OutboxKey `json:"key"`
	// MessageID is fixed before the first attempt and kept across retries,
	// so a copy sent again after a crash can be recognised by receivers.
	MessageID string      `json:"message_id"`
	State     OutboxState `json:"state"`
	To        []string    `json:"to"`
	Subject   string      `json:"subject,omitempty"`
	Attempts  int         `json:"attempts"`
	Created   time.Time   `json:"created"`
	Next      time.Time   `json:"next_attempt,omitzero"`
	Sent      time.Time   `json:"sent,omitzero"`
	// Error is the last failure in the server's words; Code its SMTP reply
	// code and Enhanced its enhanced status code.
	Error    string `json:"error,omitempty"`
	Code     int    `json:"code,omitempty"`
	Enhanced string `json:"enhanced,omitempty"`
	// Rule is the reminder rule for reminders.
	Rule string `json:"rule,omitempty"`
	// Revisions records, per session, the SEQUENCE of the calendar data
	// the last attempt carried.
	Revisions map[string]int `json:"revisions,omitempty"`
	// Claim numbers the attempt: a delivery written to the send journal
	// names the claim it was sent under.
	Claim uint64 `json:"claim,omitempty"`
	// Composed is the time the last attempt was composed as of (its Date,
	// its calendars' DTSTAMP): an attempt to the same recipients with the
	// same calendar data is composed as of it again, and so goes out the
	// same, byte for byte. It is cleared once the message is sent, fails
	// or is superseded.
	Composed time.Time `json:"composed,omitzero"`
}

// MarkSent records that the server accepted the message at t.
func (it *OutboxItem) MarkSent(t time.Time) {
	it.State, it.Sent, it.Next = Sent, t, time.Time{}
	it.Error, it.Code, it.Enhanced = "", 0, ""
}
