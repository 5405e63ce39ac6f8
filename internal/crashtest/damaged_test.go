package crashtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDamagedStoreRefusedByCLI damages the store file as a failing disk
// would (one data page overwritten) and checks what an operator sees: the
// CLI and the daemon refuse it, naming the file and `outreach backup`; the
// daemon stops before it reports ready; and a copy made earlier with
// `outreach backup` brings everything back.
func TestDamagedStoreRefusedByCLI(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", "127.0.0.1:1", 1, secret())
	backup := filepath.Join(e.dir, "before.db")
	e.mustCLI("backup", backup)
	before := e.mustCLI("missions", "list", "--json")

	raw, err := os.ReadFile(e.storePath())
	if err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	off := -1
	for o := 2 * page; o+page <= len(raw); o += page {
		if bytes.Contains(raw[o:o+page], []byte(`"id":"JPN"`)) {
			off = o
			break
		}
	}
	if off < 0 {
		t.Fatal("no page of the store holds the mission JPN")
	}
	for i := off; i < off+page; i++ {
		raw[i] = byte(i*13 + 5)
	}
	if err := os.WriteFile(e.storePath(), raw, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{{"status"}, {"missions", "list"}, {"run"}} {
		out, errs, err := e.cli(args...)
		if err == nil {
			t.Errorf("outreach %s on a damaged store succeeded:\n%s", strings.Join(args, " "), out)
			continue
		}
		if !strings.Contains(errs, "damaged") || !strings.Contains(errs, "outreach backup") || !strings.Contains(errs, e.storePath()) {
			t.Errorf("outreach %s on a damaged store: the error does not name the file and `outreach backup`:\n%s", strings.Join(args, " "), errs)
		}
		if strings.Contains(errs, "outreach running") || strings.Contains(errs, "goroutine ") {
			t.Errorf("outreach %s: started or crashed instead of refusing:\n%s", strings.Join(args, " "), errs)
		}
	}

	// Restore: the copy replaces the damaged file.
	if err := os.Rename(backup, e.storePath()); err != nil {
		t.Fatal(err)
	}
	if after := e.mustCLI("missions", "list", "--json"); after != before {
		t.Error("the directory read from the restored copy differs from before the damage")
	}
	d := e.start()
	e.waitReady(d)
	time.Sleep(100 * time.Millisecond)
	e.stop(d)
}
