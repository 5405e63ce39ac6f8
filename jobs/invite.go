package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"outreach"
	"outreach/message"
	"outreach/store"
)

// InviteReport says what Invite queued.
type InviteReport struct {
	Queued []string `json:"queued"`
	// Already lists missions whose invitation was queued before.
	Already []string `json:"already"`
	// Unreachable lists missions with no usable address: nothing can be
	// sent to them until staff add one (`outreach missions check`).
	Unreachable []string `json:"unreachable"`
}

// Invite queues the round's invitation for every mission (or only for
// mission), each with one calendar request per session. It is idempotent:
// a mission whose invitation was queued before gets nothing new. Missions
// with no usable address are reported, never skipped silently.
func (e *Engine) Invite(mission, actor string) (InviteReport, error) {
	defer e.Wake() // it may have queued messages
	rep := InviteReport{Queued: []string{}, Already: []string{}, Unreachable: []string{}}
	if _, err := e.templates(); err != nil {
		return rep, err
	}
	err := e.st.Update(func(tx *store.Tx) error {
		rep = InviteReport{Queued: []string{}, Already: []string{}, Unreachable: []string{}}
		ss, err := tx.Sessions()
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			return inputErr("no sessions yet; import them with `outreach sessions import FILE.csv`")
		}
		var ms []outreach.Mission
		if mission != "" {
			m, err := tx.Mission(strings.ToUpper(mission))
			if err != nil {
				return inputErr("no mission %q in the directory", mission)
			}
			ms = []outreach.Mission{m}
		} else if ms, err = tx.Missions(); err != nil {
			return err
		}
		if len(ms) == 0 {
			return inputErr("the directory is empty; import it with `outreach missions import FILE.csv`")
		}
		now := e.now()
		for _, m := range ms {
			if len(m.Usable()) == 0 {
				rep.Unreachable = append(rep.Unreachable, m.ID)
				continue
			}
			if e.pageURL != "" {
				// The letter links to the mission's reply page.
				if _, err := ensurePageToken(tx, m.ID); err != nil {
					return err
				}
			}
			_, added, err := e.enqueue(tx, outreach.OutboxKey{Kind: outreach.Invitation, Mission: m.ID}, "", now)
			if err != nil {
				return err
			}
			if added {
				rep.Queued = append(rep.Queued, m.ID)
			} else {
				rep.Already = append(rep.Already, m.ID)
			}
		}
		if len(rep.Queued) == 0 {
			return nil
		}
		return tx.Audit(actor, "invite", fmt.Sprintf("queued %d invitations, %d unreachable", len(rep.Queued), len(rep.Unreachable)))
	})
	return rep, err
}

// Preview renders mission's invitation as it would be sent now, without
// queueing anything (`outreach invite --dry-run`).
func (e *Engine) Preview(kind outreach.MessageKind, mission, session string) (*message.Message, error) {
	var msg *message.Message
	err := e.st.View(func(tx *store.Tx) error {
		key := outreach.OutboxKey{Kind: kind, Mission: mission, Session: session}
		id := "<preview." + strings.ToLower(string(kind)) + "." + strings.ToLower(mission) + "@" + e.domain() + ">"
		var err error
		msg, _, err = e.compose(tx, outreach.OutboxItem{Key: key, MessageID: id})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("preview %s for %s: %w", kind, mission, err)
	}
	return msg, nil
}

// Outbox returns every outbox item, oldest first.
func (e *Engine) Outbox() ([]outreach.OutboxItem, error) {
	var items []outreach.OutboxItem
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		items, err = tx.Outbox(nil)
		return err
	})
	return items, err
}

// PreviewEML is Preview as the RFC 5322 bytes that would be sent.
func (e *Engine) PreviewEML(kind outreach.MessageKind, mission, session string) ([]byte, error) {
	if kind == "" {
		kind = outreach.Invitation
	}
	msg, err := e.Preview(kind, strings.ToUpper(mission), strings.ToUpper(session))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// RetryOutbox queues a failed message again, due now (after its cause was
// corrected: an address, the server). It is composed again when it goes,
// for the mission's addresses as they are then.
func (e *Engine) RetryOutbox(id uint64, actor string) (outreach.OutboxItem, error) {
	defer e.Wake()
	var it outreach.OutboxItem
	err := e.st.Update(func(tx *store.Tx) error {
		var err error
		it, err = tx.OutboxItem(id)
		if errors.Is(err, store.ErrNotFound) {
			return inputErr("no outbox item %d", id)
		} else if err != nil {
			return err
		}
		if it.State != outreach.Failed {
			return inputErr("outbox item %d is %s, not failed: nothing to retry", id, it.State)
		}
		was := it.Error
		it.State, it.Next, it.Error = outreach.Queued, e.now(), ""
		if err := tx.SaveOutbox(it); err != nil {
			return err
		}
		return tx.Audit(actor, "outbox.retry", fmt.Sprintf("%d %s (failed: %s)", id, it.Key, was))
	})
	return it, err
}
