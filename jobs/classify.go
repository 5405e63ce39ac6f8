package jobs

import (
	"outreach/mailer/reply"
	"outreach/store"
)

// Classify reads one raw message against the store as it is now, without
// recording anything (`outreach rsvp classify`).
func (e *Engine) Classify(raw []byte) (reply.Result, error) {
	var res reply.Result
	err := e.st.View(func(tx *store.Tx) error {
		dir, err := e.directory(tx)
		if err != nil {
			return err
		}
		res = reply.Classify(raw, dir)
		return nil
	})
	return res, err
}
