package store

// bOutboxBody holds, per outbox item (keyed like bOutbox), the bytes of
// the message as composed when it was claimed: what the SMTP server was
// sent, so that a message sent again (deferred, or caught in sending by a
// crash) goes out the same, byte for byte — Date, MIME boundaries and the
// calendar's DTSTAMP included. A body is kept while the message is
// pending and dropped when it is sent, fails or is superseded.
var bOutboxBody = []byte("outbox_body")

// PutOutboxBody keeps the composed bytes of outbox item id, in place of any
// kept before.
func (t *Tx) PutOutboxBody(id uint64, body []byte) error {
	return t.bucket(bOutboxBody).Put(itob(id), body)
}

// OutboxBody returns a copy of the bytes kept for outbox item id, or nil
// when none are.
func (t *Tx) OutboxBody(id uint64) []byte {
	b := t.bucket(bOutboxBody)
	if b == nil {
		// A store opened read-only before its migration.
		return nil
	}
	v := b.Get(itob(id))
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

// dropOutboxBody forgets the bytes of outbox item id.
func (t *Tx) dropOutboxBody(id uint64) error {
	b := t.bucket(bOutboxBody)
	if b == nil {
		return nil
	}
	return b.Delete(itob(id))
}
