package outbox

import (
	"context"
	"time"

	"outreach"
	"outreach/message"
	"outreach/store"
)

// The worker's ports: what it needs of the rest of outreach, and nothing
// more. *store.Store is the Store; SMTP (smtp.go) adapts *mailer.Sender to
// Sender; package jobs implements Composer (it composes every message) and
// passes its Clock and its SMTP LoginGate. Transactions stay the concrete
// *store.Tx: the outbox's claims are store transactions.

// Store is the part of *store.Store the worker uses: transactions (Group
// shares one commit among the connections' claims), the send journal, and
// letting go of the pages the store mapped into memory.
type Store interface {
	View(fn func(*store.Tx) error) error
	Update(fn func(*store.Tx) error) error
	Group(fn func(*store.Tx) error) error
	JournalWrite(e store.JournalEntry) (store.JournalWritten, error)
	JournalDurable(p store.JournalWritten) error
	JournalRecorded(n int) error
	DropMapped() error
}

// Sender opens SMTP connections.
type Sender interface {
	// Dial connects and logs in; on error the Conn is nil.
	Dial(ctx context.Context) (Conn, error)
}

// Conn is one SMTP connection (see mailer.Conn).
type Conn interface {
	// Begin transmits m, all but its end of data; on error the Pending
	// is nil.
	Begin(ctx context.Context, m *message.Message) (Pending, error)
	Broken() bool
	Close() error
}

// Pending is a message transmitted but its end of data (see
// mailer.Pending): exactly one of Finish, FinishThen and Abandon is called.
type Pending interface {
	Finish() error
	// FinishThen is Finish, with next's transaction opened in the same
	// round trip; the Opened is nil when next did not go out.
	FinishThen(ctx context.Context, next *message.Message) (Opened, error)
	Abandon()
}

// Opened is a transaction opened behind the end of data of the message
// before it (see mailer.Opened): exactly one of Begin and Abandon is
// called.
type Opened interface {
	Begin() (Pending, error)
	Abandon()
}

// Composer turns a queued item into the message to send.
type Composer interface {
	// Compose composes it as of tx, returning the calendar revisions the
	// message carries (kept with the item to tell a resend that changed).
	Compose(tx *store.Tx, it outreach.OutboxItem) (*message.Message, map[string]int, error)
	// ComposedAhead reports whether it depends only on the directory
	// (missions, sessions and the revisions kept with them) and the item,
	// so that it may be composed before it is claimed; otherwise it is
	// composed in the claim's transaction, from what is committed then.
	ComposedAhead(it outreach.OutboxItem) bool
	// Supersede marks it superseded, within tx, when it no longer
	// concerns its recipient (a reminder, a confirmation), reporting
	// whether it did: the worker then does not send it.
	Supersede(tx *store.Tx, it outreach.OutboxItem) (bool, error)
}

// Clock is the worker's sense of time (and the engine's: jobs.Clock is
// this one). Every wait goes through it, so tests and the demo can run
// weeks of a round in seconds.
type Clock interface {
	Now() time.Time
	// Sleep waits d of this clock's time, or until ctx ends (returning its
	// error).
	Sleep(ctx context.Context, d time.Duration) error
}

// LoginGate holds SMTP logins back after the server refused the
// credentials (see jobs.LoginGate).
type LoginGate interface {
	// Held returns until when logins are held back and why; a nil error
	// when a login may be tried now.
	Held() (time.Time, error)
	Accepted()
	Refused(err error)
}

// *store.Store is the worker's Store.
var _ Store = (*store.Store)(nil)
