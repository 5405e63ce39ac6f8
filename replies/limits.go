package replies

// Limits on what one message may cost the reader, beyond those of the MIME
// walk (package message).
const (
	maxTextPart    = 1 << 20 // decoded bytes of a text part read
	maxCalendar    = 1 << 20 // the ical reader's own limit
	maxDSNPart     = 64 << 10
	maxTextRead    = 256 << 10 // text of a message searched for its own part
	maxLetter      = 32 << 10  // the sender's own text read for answers
	maxSentences   = 500       // sentences of it read
	maxOriginalTxt = 2 << 20   // a bounced original quoted as text
)
