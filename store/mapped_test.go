package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// DropMapped lets go of the map's pages, not of what they hold: every
// record reads the same afterwards, also while other transactions read
// and write (and the file grows and is mapped anew) at the same time.
func TestDropMappedKeepsEveryRecord(t *testing.T) {
	s, _ := openTemp(t)
	value := func(i int) string { return fmt.Sprintf("%d:%s", i, strings.Repeat("x", i%9000)) }
	const n = 400
	put := func(from, to int) error {
		return s.Update(func(tx *Tx) error {
			for i := from; i < to; i++ {
				if err := tx.PutState(fmt.Sprint("k", i), value(i)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := put(0, n/2); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for from := n / 2; from < n; from += 20 {
			if err := put(from, from+20); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 50 {
			if err := s.DropMapped(); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := s.DropMapped(); err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		for i := range n {
			var got string
			if ok, err := tx.GetState(fmt.Sprint("k", i), &got); err != nil || !ok || got != value(i) {
				t.Fatalf("record %d after DropMapped: found %v, %v, %d bytes", i, ok, err, len(got))
			}
		}
		return nil
	})
}
