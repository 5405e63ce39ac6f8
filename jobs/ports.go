package jobs

import (
	"outreach/jobs/outbox"
	"outreach/store"
)

// The ports of package jobs: what the operations (invite, lifecycle,
// intake, reminders, digest, review) need of the adapters, declared here
// and nowhere else. cmd/outreach wires the concrete types through Options.

// Store is what the operations use of the store: read and write
// transactions. *store.Store is one. The Engine also keeps the concrete
// *store.Store it was given, for what the admin API does with the store as
// a whole (Backup, metrics: see Engine.Store), and hands it to the outbox
// worker, whose own port (outbox.Store) adds the send journal.
type Store interface {
	View(fn func(*store.Tx) error) error
	Update(fn func(*store.Tx) error) error
}

// Sender opens SMTP connections for the outbox worker; outbox.SMTP
// adapts *mailer.Sender (Options.Sender) to it.
type Sender = outbox.Sender

// Composer is what the outbox worker calls back to compose a queued item:
// the engine's compose and supersede, as outboxComposer.
type Composer = outbox.Composer

// Clock is the engine's sense of time, the same as the outbox worker's.
// Every wait goes through it, so tests and the demo can run weeks of a
// round in seconds.
type Clock = outbox.Clock

// Limits throttle sending: at most PerMinute messages in any rolling
// minute and PerDay in any rolling 24 hours. Zero means no limit.
type Limits = outbox.Limits

// The engine is the outbox's composer.
var _ Composer = outboxComposer{}
