package admin

import (
	"time"

	"outreach"
	"outreach/directory"
	"outreach/jobs"
	"outreach/replies"
	"outreach/store"
)

// Operations are what the API serves: the engine's operations, under the
// names staff know them by. The handlers depend on nothing else of the
// engine; *jobs.Engine implements them, and Client calls each over HTTP
// (TestClientCallsEveryOperation keeps the two in step, so an operation
// added here without its call, or a call left without its operation, fails
// the tests).
type Operations interface {
	Missions() ([]outreach.Mission, error)
	ImportMissions(ms []outreach.Mission, actor string) (jobs.ImportReport, error)
	Sessions() ([]outreach.Session, error)
	ImportSessions(ss []outreach.Session, actor string) (jobs.ImportReport, error)
	ImportPanels(panels []directory.Panel, actor string) (jobs.PanelReport, error)
	SessionDetail(sur string) (jobs.SessionDetail, error)
	MoveSession(sur string, mv jobs.Move, actor string) (jobs.ChangeReport, error)
	CancelSessionWith(sur string, c jobs.Cancel, actor string) (jobs.ChangeReport, error)
	Status() (jobs.Status, error)
	Invite(mission, actor string) (jobs.InviteReport, error)
	PreviewEML(kind outreach.MessageKind, mission, session string) ([]byte, error)
	PreviewEMLAt(kind outreach.MessageKind, mission, session string, at time.Time) ([]byte, error)
	Outbox() ([]outreach.OutboxItem, error)
	SetRSVP(mission, session string, status outreach.Status, note, actor string) (outreach.RSVP, error)
	Classify(raw []byte) (replies.Result, error)
	Reviews(state outreach.ReviewState) ([]outreach.ReviewItem, error)
	Review(id uint64) (outreach.ReviewItem, error)
	ResolveReview(id uint64, d jobs.Decision) (outreach.ReviewItem, error)
	Reminders() ([]jobs.ReminderLine, error)
	Figures() (jobs.Figures, error)
	Rounds() ([]jobs.RoundSummary, error)
	CalendarFeed(sur string) ([]byte, error)
	Page(mission string) (jobs.Page, error)
	PageLink(mission string, renew bool, actor string) (string, error)
	// Snapshot is the state the metrics report.
	Snapshot() (jobs.Snapshot, error)
	// Store is the store, for a backup and the health of its disk.
	Store() *store.Store
}

var _ Operations = (*jobs.Engine)(nil)
