package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"outreach"
)

// Storage faults: a full disk, a failed write, an old schema, a damaged
// file. RELIABILITY.md lists them.

// bulkyMission is a mission whose record is about size bytes, so that a
// few of them make the file grow.
func bulkyMission(i, size int) outreach.Mission {
	m := japan()
	m.ID = fmt.Sprintf("Q%c%c", 'A'+i/26%26, 'A'+i%26)
	m.Names.EN = strings.Repeat("x", size)
	return m
}

// consistent checks the file page by page (bbolt's own check) and returns
// the ids of the missions it holds.
func consistent(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("store check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(tx *Tx) error {
		ms, err := tx.Missions()
		for _, m := range ms {
			ids[m.ID] = true
		}
		return err
	}); err != nil {
		t.Fatalf("read missions: %v", err)
	}
	return ids
}

// fillUntilRefused writes bulky missions, one transaction each, until the
// store refuses one; it returns the ids committed and the refusal.
func fillUntilRefused(t *testing.T, s *Store, from int) (committed []string, refusal error) {
	t.Helper()
	for i := from; i < from+2000; i++ {
		m := bulkyMission(i, 64<<10)
		m.ID = fmt.Sprintf("%c%c%c", 'A'+i/676%26, 'A'+i/26%26, 'A'+i%26)
		err := s.Update(func(tx *Tx) error { return tx.PutMission(m) })
		if err != nil {
			return committed, err
		}
		committed = append(committed, m.ID)
	}
	t.Fatal("the store took 2000 writes of 64 KiB without a refusal; the fault is not in place")
	return nil, nil
}

// checkRefusal checks that a refused write says what happened and what to
// do, in words an operator can act on.
func checkRefusal(t *testing.T, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("refusal %v is not %v", err, want)
	}
	msg := err.Error()
	for _, w := range []string{"store: write", "nothing was changed", "free disk space"} {
		if !strings.Contains(msg, w) {
			t.Errorf("refusal %q does not say %q", msg, w)
		}
	}
}

// TestFullDiskStopsWritesAndResumes runs the store on a 4 MiB tmpfs, fills
// the file system, and checks that writes are refused with ENOSPC and a
// clear message, that what was committed stays readable, that the file
// stays consistent, and that writes resume once space is freed. Mounting
// needs root; without it the test is skipped (failed when
// OUTREACH_INTEGRATION=require).
func TestFullDiskStopsWritesAndResumes(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, bytes.TrimSpace(out))
		// A container may refuse mounts even to root: that is the
		// environment, not outreach (TestFailedWriteStopsAndResumes covers
		// failed writes without a mount). Only a root that may mount and
		// still fails is an error under OUTREACH_INTEGRATION=require.
		denied := bytes.Contains(bytes.ToLower(out), []byte("permission denied")) ||
			bytes.Contains(bytes.ToLower(out), []byte("must be superuser")) ||
			bytes.Contains(bytes.ToLower(out), []byte("not permitted"))
		if os.Getenv("OUTREACH_INTEGRATION") == "require" && os.Geteuid() == 0 && !denied {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	path := filepath.Join(dir, "outreach.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(japan()) }); err != nil {
		t.Fatal(err)
	}

	// The store itself fills the disk: a filler file takes what is left
	// but 1 MiB, then the store grows until the file system is full.
	filler := filepath.Join(dir, "filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filler, make([]byte, max(free-1<<20, 0)), 0o600); err != nil {
		t.Fatal(err)
	}
	committed, refusal := fillUntilRefused(t, s, 0)
	t.Logf("disk full after %d writes of 64 KiB: %v", len(committed), refusal)
	checkRefusal(t, refusal, syscall.ENOSPC)

	// Refused again while the disk stays full, and what was committed is
	// still there.
	err = s.Update(func(tx *Tx) error { return tx.PutMission(bulkyMission(1, 256<<10)) })
	if err == nil {
		t.Fatal("a 256 KiB write went through on a full disk")
	}
	checkRefusal(t, err, syscall.ENOSPC)
	ids := consistent(t, s)
	for _, id := range append(committed, "JPN") {
		if !ids[id] {
			t.Errorf("mission %s, committed before the disk filled, is gone", id)
		}
	}
	if ids["QAB"] {
		t.Error("the refused write is visible")
	}

	// Space returns: writes resume without reopening.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(bulkyMission(1, 256<<10)) }); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
	s.Close()

	// Reopened, the file is consistent and holds exactly what was
	// committed.
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after a full disk: %v", err)
	}
	ids = consistent(t, s)
	for _, id := range append(committed, "JPN", "QAB") {
		if !ids[id] {
			t.Errorf("mission %s is missing after reopening", id)
		}
	}
	if len(ids) != len(committed)+2 {
		t.Errorf("%d missions after reopening, want %d", len(ids), len(committed)+2)
	}
}

// TestFailedWriteStopsAndResumes makes every write past the file's size
// fail (RLIMIT_FSIZE, in a child process so the limit touches nothing
// else): writes are refused with EFBIG and a clear message, and resume when
// the limit is lifted. Works without root.
func TestFailedWriteStopsAndResumes(t *testing.T) {
	if path := os.Getenv("OUTREACH_FSIZE_CHILD"); path != "" {
		fsizeChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "outreach.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(japan()) }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestFailedWriteStopsAndResumes$", "-test.v")
	cmd.Env = append(os.Environ(), "OUTREACH_FSIZE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var committed []string
	var refusal string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "committed "); ok {
			committed = strings.Fields(v)
		}
		if v, ok := strings.CutPrefix(line, "refusal "); ok {
			refusal = v
		}
	}
	if refusal == "" {
		t.Fatalf("the child reported no refusal:\n%s", out)
	}
	t.Logf("write refused after %d writes of 64 KiB: %s", len(committed), refusal)
	for _, w := range []string{"file too large", "nothing was changed", "free disk space"} {
		if !strings.Contains(refusal, w) {
			t.Errorf("refusal %q does not say %q", refusal, w)
		}
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after failed writes: %v", err)
	}
	defer s.Close()
	ids := consistent(t, s)
	for _, id := range append(committed, "JPN", "QAB") {
		if !ids[id] {
			t.Errorf("mission %s is missing after reopening", id)
		}
	}
	if len(ids) != len(committed)+2 {
		t.Errorf("%d missions after reopening, want %d", len(ids), len(committed)+2)
	}
}

// fsizeChild is the child of TestFailedWriteStopsAndResumes: it limits
// file sizes to what the store has now plus 256 KiB, writes until refused,
// checks the refusal in place, lifts the limit, writes once more, and
// reports on stdout. It exits non-zero on any surprise.
func fsizeChild(path string) {
	fail := func(format string, args ...any) {
		fmt.Printf("child: "+format+"\n", args...)
		os.Exit(1)
	}
	// The kernel sends SIGXFSZ on a write past the limit; ignored, the
	// write fails with EFBIG instead.
	signal.Ignore(syscall.SIGXFSZ)
	fi, err := os.Stat(path)
	if err != nil {
		fail("%v", err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fail("getrlimit: %v", err)
	}
	lim := syscall.Rlimit{Cur: uint64(fi.Size()) + 256<<10, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail("setrlimit: %v", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		fail("open under the limit: %v", err)
	}
	var committed []string
	var refusal error
	for i := 0; i < 2000 && refusal == nil; i++ {
		m := bulkyMission(i, 64<<10)
		m.ID = fmt.Sprintf("%c%c%c", 'A'+i/676%26, 'A'+i/26%26, 'A'+i%26)
		if err := s.Update(func(tx *Tx) error { return tx.PutMission(m) }); err != nil {
			refusal = err
			break
		}
		committed = append(committed, m.ID)
	}
	if refusal == nil {
		fail("no write was refused under RLIMIT_FSIZE")
	}
	if !strings.Contains(refusal.Error(), "file too large") {
		fail("refusal %v is not EFBIG (file too large)", refusal)
	}
	// Still refused while the limit holds; reads still work.
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(bulkyMission(1, 256<<10)) }); err == nil {
		fail("a 256 KiB write went through under the limit")
	}
	if err := s.View(func(tx *Tx) error { _, err := tx.Mission("JPN"); return err }); err != nil {
		fail("read while writes fail: %v", err)
	}
	// The limit lifted: writes resume on the same open store.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fail("setrlimit: %v", err)
	}
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(bulkyMission(1, 256<<10)) }); err != nil {
		fail("write after the limit was lifted: %v", err)
	}
	if err := s.Close(); err != nil {
		fail("close: %v", err)
	}
	fmt.Println("committed " + strings.Join(committed, " "))
	fmt.Println("refusal " + strings.ReplaceAll(refusal.Error(), "\n", " "))
	os.Exit(0)
}

// TestMigratesPartialOlderSchema opens a store left half-way through the
// first migration by an older build (some buckets, no secret, no schema
// number): it is brought to the current schema, and a read-only open
// before that is refused with what to do.
func TestMigratesPartialOlderSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bMissions, bSessions} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		m := japan()
		return (&Tx{tx: tx}).PutMission(m)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = Open(path, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "open it once read-write to migrate") {
		t.Fatalf("read-only open of an old schema: %v, want a refusal saying to migrate", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open old store: %v", err)
	}
	defer s.Close()
	if v, _ := s.Version(); v != SchemaVersion() {
		t.Fatalf("schema %d after migration, want %d", v, SchemaVersion())
	}
	if err := s.Update(func(tx *Tx) error {
		if len(tx.Secret()) != 32 {
			t.Errorf("no reply-token secret after migration")
		}
		if _, err := tx.Mission("JPN"); err != nil {
			t.Errorf("a mission written before the migration is gone: %v", err)
		}
		_, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "JPN"}, MessageID: "<m@x>"})
		return err
	}); err != nil {
		t.Fatalf("write to buckets the migration added: %v", err)
	}
	consistent(t, s)
}

// TestDamagedStoreRefused damages a store in the ways a disk or a careless
// copy does, and checks that each is refused at open with ErrDamaged and a
// message naming `outreach backup`, never opened to fail or panic later.
func TestDamagedStoreRefused(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.db")
	s, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		m := bulkyMission(i, 2000)
		if err := s.Update(func(tx *Tx) error { return tx.PutMission(m) }); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	// dataPage finds a leaf page holding mission records (past the two
	// meta pages).
	dataPage := func() int {
		for off := 2 * pageSize; off+pageSize <= len(raw); off += pageSize {
			if bytes.Contains(raw[off:off+pageSize], []byte(`"id":"Q`)) {
				return off
			}
		}
		t.Fatal("no page holds mission records")
		return 0
	}()

	cases := map[string]func([]byte) []byte{
		"truncated to one page": func(b []byte) []byte { return b[:pageSize] },
		"truncated in the middle": func(b []byte) []byte {
			return b[:len(b)/2]
		},
		"both meta pages zeroed": func(b []byte) []byte {
			clear(b[:2*pageSize])
			return b
		},
		"all zeros": func(b []byte) []byte {
			clear(b)
			return b
		},
		"leaf page overwritten": func(b []byte) []byte {
			for i := dataPage; i < dataPage+pageSize; i++ {
				b[i] = byte(i*7 + 3)
			}
			return b
		},
		"leaf page header zeroed": func(b []byte) []byte {
			clear(b[dataPage : dataPage+16])
			return b
		},
	}
	for name, damage := range cases {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "damaged.db")
			if err := os.WriteFile(path, damage(bytes.Clone(raw)), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("a damaged store was opened")
			}
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "outreach backup") || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want ErrDamaged naming the file and `outreach backup`", err)
			}
		})
	}
	// One intact meta page is enough: bbolt keeps two for this.
	t.Run("one_meta_page_zeroed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "one-meta.db")
		b := bytes.Clone(raw)
		// Zero the older of the two meta pages (the one with the lower
		// transaction id, at offset 64 of its page): the newer one then
		// holds the last commit, and every mission must read back.
		older := 0
		if binary.LittleEndian.Uint64(b[pageSize+64:]) < binary.LittleEndian.Uint64(b[64:]) {
			older = pageSize
		}
		clear(b[older : older+pageSize])
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("open with one meta page intact: %v", err)
		}
		defer s.Close()
		if err := s.Update(func(tx *Tx) error {
			ms, err := tx.Missions()
			if len(ms) != 40 {
				t.Errorf("%d missions read back, want 40", len(ms))
			}
			if err != nil {
				return err
			}
			return tx.PutMission(japan())
		}); err != nil {
			t.Fatalf("write with one meta page intact: %v", err)
		}
	})
}
