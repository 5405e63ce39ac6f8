package store

import (
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDeliveryRecord compares the two ways a delivery is made durable
// before the next message's end of data: an entry in the send journal, and
// a store commit recording it (the outbox item rewritten, two flushes).
//
//	go test -run '^$' -bench DeliveryRecord ./store
func BenchmarkDeliveryRecord(b *testing.B) {
	b.Run("journal", func(b *testing.B) {
		s, err := Open(filepath.Join(b.TempDir(), "outreach.db"), Options{JournalSize: 64 << 20})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for i := range b.N {
			if err := s.JournalSent(JournalEntry{Item: uint64(i + 1), Claim: uint64(i + 1), Delivered: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store", func(b *testing.B) {
		s, err := Open(filepath.Join(b.TempDir(), "outreach.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		items := claimed(b, s, missionIDs(2000)...)
		b.ResetTimer()
		for i := range b.N {
			it := items[i%len(items)]
			err := s.Update(func(tx *Tx) error {
				it.MarkSent(time.Now())
				return tx.SaveOutbox(it)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
