package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"outreach"
)

// The send journal records that a claimed outbox message was delivered,
// in one small write and one flush, where recording it in the store takes
// a commit of several pages and two flushes. The outbox writes an entry
// after each delivery and before the next message's end of data, and
// records the deliveries in the store later, several per commit; Open
// replays the entries the store does not have yet. So a delivery is never
// forgotten, and the store is written once per batch instead of once per
// message.
//
// The file (the store's path with ".journal" added) is written full of
// zeros once, so that an entry overwrites space the file system has
// already allocated and a flush has no metadata to write. It starts with a
// header naming the current epoch; entries follow, each with the epoch and
// a checksum. Reading stops at the first entry that does not check or
// belongs to another epoch. The journal is emptied by starting a new epoch
// (one header write) once every entry in it is recorded in the store.

const (
	journalMagic   = "outreach-sent-v1"
	journalHeader  = 32
	journalEntry   = 36 // crc 4, epoch 8, item 8, claim 8, delivered 8
	journalDefault = 1 << 20
	journalMax     = 64 << 20 // the largest JournalSize taken
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrJournalFull means the send journal has no room left until the
// deliveries in it are recorded in the store: record the delivery in the
// store instead.
var ErrJournalFull = errors.New("store: send journal full")

// JournalEntry is one delivery: the outbox item, the claim it was sent
// under (OutboxItem.Claim), and when the server accepted it.
type JournalEntry struct {
	Item      uint64
	Claim     uint64
	Delivered time.Time
}

type journal struct {
	path   string
	noSync bool
	size   int64

	mu          sync.Mutex // guards f, epoch, off, outstanding
	f           *os.File
	epoch       uint64
	off         int64 // where the next entry goes
	outstanding int   // entries written and not yet recorded in the store
	// broken is set when starting a new epoch failed: the header on disk
	// may name an epoch the entries written after would not match, so no
	// entry is taken until the next open.
	broken error

	syncMu sync.Mutex // one flush at a time; waiters share the next
	synced int64      // offset up to which entries are durable (under syncMu)
	// failSync, set by tests, replaces the flush.
	failSync func() error
}

func journalPath(storePath string) string { return storePath + ".journal" }

// openJournal opens the journal beside the store, creating it full of
// zeros when it is missing or shorter than size, and returns its entries.
func openJournal(storePath string, size int64, noSync bool) (*journal, []JournalEntry, error) {
	if size <= 0 {
		size = journalDefault
	}
	size = min(max(size, journalHeader+journalEntry), journalMax)
	j := &journal{path: journalPath(storePath), noSync: noSync, size: size}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("store: open send journal: %w", err)
	}
	j.f = f
	fail := func(err error) (*journal, []JournalEntry, error) {
		f.Close()
		return nil, nil, fmt.Errorf("store: send journal %s: %w", j.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	switch {
	case fi.Size() > journalMax:
		return fail(fmt.Errorf("%d bytes, more than any send journal (%d at most): not written by outreach; move it aside", fi.Size(), journalMax))
	case fi.Size() < size:
		if err := j.fill(fi.Size(), size); err != nil {
			return fail(err)
		}
	default:
		j.size = fi.Size()
	}
	buf := make([]byte, j.size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, j.size), buf); err != nil {
		return fail(err)
	}
	entries := j.read(buf)
	j.synced = j.off
	return j, entries, nil
}

// fill writes zeros from off to size and makes the file's new length
// durable.
func (j *journal) fill(off, size int64) error {
	zeros := make([]byte, 64<<10)
	for off < size {
		n := min(int64(len(zeros)), size-off)
		if _, err := j.f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		off += n
	}
	if j.noSync {
		return nil
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(j.path))
}

// read parses the file's content: the epoch and the entries of it, in
// order, up to the first that does not check. It sets j.epoch and j.off.
func (j *journal) read(buf []byte) []JournalEntry {
	j.off = journalHeader
	if string(buf[:len(journalMagic)]) != journalMagic {
		// New, or never written: epoch 0, no entries.
		j.epoch = 0
		return nil
	}
	j.epoch = binary.BigEndian.Uint64(buf[16:24])
	var out []JournalEntry
	for off := int64(journalHeader); off+journalEntry <= int64(len(buf)); off += journalEntry {
		e := buf[off : off+journalEntry]
		if crc32.Checksum(e[4:], crcTable) != binary.BigEndian.Uint32(e[:4]) ||
			binary.BigEndian.Uint64(e[4:12]) != j.epoch {
			break
		}
		out = append(out, JournalEntry{
			Item:      binary.BigEndian.Uint64(e[12:20]),
			Claim:     binary.BigEndian.Uint64(e[20:28]),
			Delivered: time.Unix(0, int64(binary.BigEndian.Uint64(e[28:36]))),
		})
		j.off = off + journalEntry
	}
	return out
}

// append writes e and returns once it is durable. Entries written while a
// flush is in progress share the next flush.
func (j *journal) append(e JournalEntry) error {
	end, err := j.write(e)
	if err != nil {
		return err
	}
	return j.durable(end)
}

// durable returns once the entry ending at end is durable. When the flush
// fails, the entry counts as recorded: the caller records the delivery in
// the store instead.
func (j *journal) durable(end int64) error {
	if err := j.syncTo(end); err != nil {
		j.recorded(1)
		return err
	}
	return nil
}

// write writes e, not yet flushed, and returns where it ends.
func (j *journal) write(e JournalEntry) (int64, error) {
	var rec [journalEntry]byte
	j.mu.Lock()
	if j.f == nil {
		j.mu.Unlock()
		return 0, errors.New("store: send journal closed")
	}
	if j.broken != nil {
		j.mu.Unlock()
		return 0, j.broken
	}
	if j.off+journalEntry > j.size {
		j.mu.Unlock()
		return 0, ErrJournalFull
	}
	binary.BigEndian.PutUint64(rec[4:12], j.epoch)
	binary.BigEndian.PutUint64(rec[12:20], e.Item)
	binary.BigEndian.PutUint64(rec[20:28], e.Claim)
	binary.BigEndian.PutUint64(rec[28:36], uint64(e.Delivered.UnixNano()))
	binary.BigEndian.PutUint32(rec[:4], crc32.Checksum(rec[4:], crcTable))
	off := j.off
	if _, err := j.f.WriteAt(rec[:], off); err != nil {
		j.mu.Unlock()
		return 0, fmt.Errorf("store: write send journal %s: %w", j.path, err)
	}
	j.off += journalEntry
	j.outstanding++
	j.mu.Unlock()
	return off + journalEntry, nil
}

// syncTo returns once the file is durable up to end.
func (j *journal) syncTo(end int64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= end {
		return nil
	}
	j.mu.Lock()
	target, f := j.off, j.f
	j.mu.Unlock()
	if f == nil {
		return errors.New("store: send journal closed")
	}
	if err := j.flush(f); err != nil {
		return fmt.Errorf("store: flush send journal %s: %w", j.path, err)
	}
	j.synced = target
	return nil
}

func (j *journal) flush(f *os.File) error {
	switch {
	case j.failSync != nil:
		return j.failSync()
	case j.noSync:
		return nil
	}
	return datasync(f)
}

// recorded notes that n entries are now durably recorded in the store;
// when none is left outstanding, a new epoch empties the journal.
func (j *journal) recorded(n int) error {
	if n == 0 {
		return nil
	}
	j.syncMu.Lock() // no flush may run while the epoch changes
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.outstanding = max(0, j.outstanding-n)
	if j.outstanding > 0 || j.off == journalHeader || j.f == nil {
		return nil
	}
	return j.resetLocked()
}

// resetLocked starts a new epoch: the entries written so far are no longer
// read. Called with mu and syncMu held.
func (j *journal) resetLocked() error {
	var h [journalHeader]byte
	copy(h[:], journalMagic)
	binary.BigEndian.PutUint64(h[16:24], j.epoch+1)
	if _, err := j.f.WriteAt(h[:], 0); err != nil {
		j.broken = fmt.Errorf("store: write send journal %s: %w", j.path, err)
		return j.broken
	}
	if err := j.flush(j.f); err != nil {
		j.broken = fmt.Errorf("store: flush send journal %s: %w", j.path, err)
		return j.broken
	}
	j.epoch++
	j.off, j.synced = journalHeader, journalHeader
	return nil
}

func (j *journal) close() error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// JournalSent records durably that the item claimed under claim was
// delivered at t. It returns ErrJournalFull when the journal has no room,
// and an error when the entry may not be durable; either way the caller
// records the delivery in the store before anything depends on it. Call
// JournalRecorded once the delivery is recorded in the store.
func (s *Store) JournalSent(e JournalEntry) error {
	if s.journal == nil {
		return errors.New("store: no send journal (read-only store)")
	}
	return s.journal.append(e)
}

// JournalWritten is a delivery written to the send journal and not yet
// known to be durable (Store.JournalWrite).
type JournalWritten struct{ end int64 }

// JournalWrite writes e to the send journal without waiting for it to be
// durable: call JournalDurable before anything depends on it. Entries
// written by several connections between two flushes share the later
// one. It returns ErrJournalFull when the journal has no room, and an
// error when the entry was not written; either way the caller records
// the delivery in the store instead, and must not call JournalDurable.
func (s *Store) JournalWrite(e JournalEntry) (JournalWritten, error) {
	if s.journal == nil {
		return JournalWritten{}, errors.New("store: no send journal (read-only store)")
	}
	end, err := s.journal.write(e)
	return JournalWritten{end}, err
}

// JournalDurable returns once the entry p is durable, or an error when it
// may not be: the caller then records the delivery in the store before
// anything depends on it (the entry then counts as recorded). Call it once
// for each entry JournalWrite wrote.
func (s *Store) JournalDurable(p JournalWritten) error {
	if s.journal == nil {
		return errors.New("store: no send journal (read-only store)")
	}
	return s.journal.durable(p.end)
}

// JournalRecorded tells the journal that n of its entries are now recorded
// in the store by a committed transaction. When none is left, the journal
// is emptied.
func (s *Store) JournalRecorded(n int) error {
	if s.journal == nil {
		return nil
	}
	return s.journal.recorded(n)
}

// replayJournal records in the store the deliveries of entries it does not
// have yet: an item still in sending under the entry's claim is marked
// sent. An entry for an item since recorded, or claimed again, changes
// nothing. Then the journal is emptied.
func (s *Store) replayJournal(entries []JournalEntry) error {
	if len(entries) > 0 {
		err := s.Update(func(tx *Tx) error {
			n := 0
			for _, e := range entries {
				// The delivery may be of another round than the one
				// this process is bound to: ids are unique across rounds.
				rtx := tx.roundOfOutbox(e.Item)
				if rtx == nil {
					continue
				}
				it, err := rtx.OutboxItem(e.Item)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if it.State != outreach.Sending || it.Claim != e.Claim {
					continue
				}
				it.MarkSent(e.Delivered)
				if err := rtx.SaveOutbox(it); err != nil {
					return err
				}
				n++
			}
			if n == 0 {
				return nil
			}
			return tx.Audit("outbox", "journal", fmt.Sprintf("%d deliveries recorded from the send journal after an unclean stop", n))
		})
		if err != nil {
			return err
		}
	}
	j := s.journal
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(entries) == 0 && j.off == journalHeader && j.epoch > 0 {
		return nil
	}
	return j.resetLocked()
}
