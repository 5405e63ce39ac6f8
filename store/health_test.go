package store

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallTmpfs mounts a tmpfs of size bytes on a temporary folder, as
// TestFullDiskStopsWritesAndResumes does, and unmounts it at the end.
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, bytes.TrimSpace(out))
		low := bytes.ToLower(out)
		denied := bytes.Contains(low, []byte("permission denied")) || bytes.Contains(low, []byte("must be superuser")) ||
			bytes.Contains(low, []byte("not permitted"))
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
	return dir
}

// fillTo writes a filler file leaving about leave bytes free in dir.
func fillTo(t *testing.T, dir string, leave int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, max(free-leave, 0)), 0o600); err != nil {
		t.Fatal(err)
	}
	return filler
}

// The store says it cannot be written once a write is refused for want of
// space, and says so without writing; it notices that space came back
// without waiting for a write; a file system nearly full is reported before
// a write fails.
func TestWritabilityFullDiskAndRecovery(t *testing.T) {
	dir := smallTmpfs(t, "4m")
	s, err := Open(filepath.Join(dir, "outreach.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(japan()) }); err != nil {
		t.Fatal(err)
	}
	w := s.Writability()
	if !w.Writable || w.Problem != "" || w.LastWrite.IsZero() || w.FreeBytes <= MinFreeBytes {
		t.Fatalf("fresh store: %+v, want writable with a last write", w)
	}

	// Nearly full: reported before any write fails.
	filler := fillTo(t, dir, MinFreeBytes/2)
	w = s.Writability()
	if w.Writable || !strings.Contains(w.Problem, "KiB free") || w.Since.IsZero() {
		t.Errorf("nearly full: %+v, want not writable, with the free space", w)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if w = s.Writability(); !w.Writable {
		t.Errorf("after freeing space: %+v", w)
	}

	// Full: the store grows until a write is refused.
	filler = fillTo(t, dir, 1<<20)
	_, refusal := fillUntilRefused(t, s, 0)
	checkRefusal(t, refusal, syscall.ENOSPC)
	w = s.Writability()
	if w.Writable || !strings.Contains(w.Problem, "no space left") || w.Since.IsZero() {
		t.Errorf("after a refused write: %+v, want not writable, saying why", w)
	}
	if again := s.Writability(); again.Writable || !again.Since.Equal(w.Since) {
		t.Errorf("asked again: %+v, want the same problem since %v", again, w.Since)
	}

	// Space comes back: seen at once, without a write.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if w = s.Writability(); !w.Writable || w.Problem != "" {
		t.Errorf("after space came back: %+v, want writable", w)
	}
	before := w.LastWrite
	if err := s.Update(func(tx *Tx) error { return tx.PutMission(bulkyMission(1, 64<<10)) }); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
	if w = s.Writability(); !w.Writable || !w.LastWrite.After(before) && !w.LastWrite.Equal(before) {
		t.Errorf("after a write: %+v", w)
	}
}
