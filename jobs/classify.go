package jobs

import (
	"outreach/replies"
	"outreach/store"
)

// Classify reads one raw message against the store as it is now, without
// recording anything (`outreach rsvp classify`).
func (e *Engine) Classify(raw []byte) (replies.Result, error) {
	var res replies.Result
	err := e.st.View(func(tx *store.Tx) error {
		dir, err := e.directory(tx)
		if err != nil {
			return err
		}
		res = replies.Classify(raw, dir)
		return nil
	})
	return res, err
}
