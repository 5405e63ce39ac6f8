package store

import (
	"errors"
	"io"
	"os"
)

// ErrOldSchema means a store opened read-only has an older schema: it
// must be opened read-write once to be migrated.
var ErrOldSchema = errors.New("store: older schema")

// JournalPending reports whether the send journal beside the store at path
// holds deliveries, written before an unclean stop, that opening the store
// read-write would record in it. A store without them reads the same
// opened read-only as read-write.
func JournalPending(path string) bool {
	f, err := os.Open(journalPath(path))
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < journalHeader || fi.Size() > journalMax {
		return false
	}
	buf := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, buf); err != nil {
		return false
	}
	j := &journal{path: journalPath(path), size: fi.Size()}
	return len(j.read(buf)) > 0
}
