package outreach

import "time"

// ReviewState is whether a person has dealt with a review item.
type ReviewState string

// Review states.
const (
	ReviewOpen     ReviewState = "open"
	ReviewResolved ReviewState = "resolved"
)

// ReviewItem is an inbound message a person must look at before anything is
// recorded: an unknown sender, a proposal for a new time, a mission answering
// for another, anything ambiguous.
type ReviewItem struct {
	ID        uint64    `json:"id"`
	MessageID string    `json:"message_id"`
	From      string    `json:"from"`
	Subject   string    `json:"subject"`
	Received  time.Time `json:"received"`
	Reason    string    `json:"reason"`
	// Mission and Sessions are what intake thought the message said, to help
	// the person decide; nothing of it is recorded until resolved.
	Mission  string            `json:"mission,omitempty"`
	Sessions map[string]Status `json:"sessions,omitempty"`
	// Excerpt is the start of the message text, for display (never HTML).
	Excerpt    string      `json:"excerpt,omitempty"`
	State      ReviewState `json:"state"`
	Resolution string      `json:"resolution,omitempty"`
	ResolvedBy string      `json:"resolved_by,omitempty"`
	ResolvedAt time.Time   `json:"resolved_at,omitzero"`
}

// AuditEntry is one line of the store's audit log: who changed what, when.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}
