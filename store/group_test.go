package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Calls grouped into one commit each take effect, and one that fails
// changes nothing while the others of its group still commit.
func TestGroupCommits(t *testing.T) {
	s, _ := openTemp(t)
	const n = 40
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Group(func(tx *Tx) error {
				if err := tx.PutState(fmt.Sprint("k", i), i); err != nil {
					return err
				}
				if i%7 == 3 {
					return boom
				}
				return nil
			})
		}()
	}
	wg.Wait()
	err := s.View(func(tx *Tx) error {
		for i := range n {
			var v int
			found, err := tx.GetState(fmt.Sprint("k", i), &v)
			if err != nil {
				return err
			}
			if i%7 == 3 {
				if !errors.Is(errs[i], boom) || found {
					t.Errorf("call %d: error %v, written %v; want boom and nothing written", i, errs[i], found)
				}
				continue
			}
			if errs[i] != nil || !found || v != i {
				t.Errorf("call %d: error %v, written %v (%d)", i, errs[i], found, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
