package jobs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"outreach"
	"outreach/store"
)

// Reviews returns the review items in state ("" for all).
func (e *Engine) Reviews(state outreach.ReviewState) ([]outreach.ReviewItem, error) {
	var items []outreach.ReviewItem
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		items, err = tx.Reviews(state)
		return err
	})
	return items, err
}

// Review returns one review item.
func (e *Engine) Review(id uint64) (outreach.ReviewItem, error) {
	var item outreach.ReviewItem
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		item, err = tx.Review(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return item, inputErr("no review item %d (see `outreach review list`)", id)
	}
	return item, err
}

// Decision is what a person decided about a review item: the mission the
// message speaks for and its answers, or nothing to record (dismiss).
type Decision struct {
	Mission  string
	Answers  map[string]outreach.Status
	Dismiss  bool
	Note     string
	Actor    string
	Delegate int
	// AddContact makes the message's sender an address of the mission:
	// staff confirm that it writes for the mission, so the next messages,
	// and the next rounds' invitations, go to it too.
	AddContact bool
}

// ResolveReview closes a review item. Answers are recorded as staff
// decisions that point at the reviewed message.
func (e *Engine) ResolveReview(id uint64, d Decision) (outreach.ReviewItem, error) {
	defer e.Wake() // it may have queued messages
	var item outreach.ReviewItem
	err := e.st.Update(func(tx *store.Tx) error {
		var err error
		item, err = tx.Review(id)
		if errors.Is(err, store.ErrNotFound) {
			return inputErr("no review item %d (see `outreach review list`)", id)
		} else if err != nil {
			return err
		}
		if item.State == outreach.ReviewResolved {
			return inputErr("review item %d was already resolved by %s: %s", id, item.ResolvedBy, item.Resolution)
		}
		if d.Dismiss == (len(d.Answers) > 0) {
			return inputErr("say either which answers to record (--accept/--decline/--tentative) or --dismiss")
		}
		if d.Dismiss && d.AddContact {
			return inputErr("--add-contact needs the answers the message gives: a dismissed message confirms no address")
		}
		var parts []string
		if !d.Dismiss {
			mission := strings.ToUpper(d.Mission)
			if mission == "" {
				mission = item.Mission
			}
			if mission == "" {
				return inputErr("the message's mission is unknown: give --mission ID")
			}
			if _, err := tx.Mission(mission); err != nil {
				return inputErr("no mission %q in the directory", mission)
			}
			keys := make([]string, 0, len(d.Answers))
			for k := range d.Answers {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, key := range keys {
				// The status is read under the caller's key: the API takes
				// session ids in any case.
				status, sur := d.Answers[key], strings.ToUpper(key)
				if _, err := tx.Session(sur); err != nil {
					return inputErr("no session on %q", sur)
				}
				r := outreach.RSVP{Mission: mission, Session: sur, Status: status, Note: d.Note, At: e.now(),
					Delegates: d.Delegate,
					Source:    outreach.Source{Kind: outreach.FromStaff, MessageID: item.MessageID, Actor: d.Actor}}
				if _, err := e.recordAnswer(tx, r); err != nil {
					return err
				}
				parts = append(parts, sur+" "+status.String())
			}
			item.Resolution = fmt.Sprintf("recorded for %s: %s", mission, strings.Join(parts, ", "))
			if d.AddContact {
				added, err := addContact(tx, mission, item.From)
				if err != nil {
					return err
				}
				item.Resolution += "; " + added
			}
		} else {
			item.Resolution = "dismissed"
		}
		if d.Note != "" {
			item.Resolution += " (" + d.Note + ")"
		}
		item.State = outreach.ReviewResolved
		item.ResolvedBy = d.Actor
		item.ResolvedAt = e.now()
		if err := tx.SaveReview(item); err != nil {
			return err
		}
		return tx.Audit(d.Actor, "review.resolve", fmt.Sprintf("%d: %s", id, item.Resolution))
	})
	return item, err
}

// addContact makes addr, the sender of a message staff confirmed as the
// mission's, one of its contacts: added when new, usable again when a
// bounce had set it aside (it has since written for the mission). It
// says what it did.
func addContact(tx *store.Tx, mission, addr string) (string, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if err := outreach.CheckAddress(addr); err != nil {
		return "", inputErr("the message's sender %q cannot be a contact: %v", addr, err)
	}
	m, err := tx.Mission(mission)
	if err != nil {
		return "", err
	}
	if c, ok := m.Contact(addr); ok {
		if !c.Undeliverable {
			return addr + " already a contact", nil
		}
		c.Undeliverable, c.Bounce, c.BouncedAt = false, "", time.Time{}
		if err := tx.PutMission(m); err != nil {
			return "", err
		}
		return addr + " usable again (it had bounced)", nil
	}
	m.Contacts = append(m.Contacts, outreach.Contact{Email: addr})
	if err := tx.PutMission(m); err != nil {
		return "", err
	}
	return addr + " added to " + mission + "'s contacts", nil
}
