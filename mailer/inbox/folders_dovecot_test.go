package inbox

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"outreach/internal/testenv"
)

// byNumber files odd-numbered test messages to "outreach/processed" and
// even ones to "outreach/review".
func byNumber(m Message) string {
	if strings.Contains(string(m.Raw), "Mission 1 ") || strings.Contains(string(m.Raw), "Mission 3 ") {
		return "outreach/processed"
	}
	return "outreach/review"
}

func syncOnce(t *testing.T, w *Watcher) Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := w.SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Folders written "outreach/processed" are built from Dovecot's delimiter
// and personal namespace in each layout: Debian's Maildir++ ("."), "/",
// and an "INBOX." prefix. Replies are filed into the right folders, INBOX
// is left empty, the folders are subscribed, and a second sync files
// nothing and changes nothing.
func TestDovecotFolderLayouts(t *testing.T) {
	for _, layout := range testenv.Layouts {
		for _, drop := range [][]string{nil, {"MOVE"}} {
			name := layout.String()
			if drop != nil {
				name += "-nomove"
			}
			t.Run(name, func(t *testing.T) {
				d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: layout, DropCaps: drop},
					testenv.User{Name: testUser, Password: testPassword})
				rec := newRecorder()
				rec.folder = byNumber
				w, logs := newTestWatcher(t, d.Addr, rec, func(o *Options) {
					o.Folders = []string{"outreach/processed", "outreach/review"}
				})
				var raws [][]byte
				for n := 1; n <= 4; n++ {
					raw := testMessage(n, 500)
					raws = append(raws, raw)
					d.Append(t, testUser, "INBOX", raw)
				}
				st := syncOnce(t, w)
				if st.Fetched != 4 || st.Filed != 4 || st.Unfiled != 0 {
					t.Fatalf("first sync %+v, want 4 fetched and filed\n%s", st, logs)
				}
				processed, review := d.FolderName("outreach/processed"), d.FolderName("outreach/review")
				wantIn := func(folder string, want ...[]byte) {
					t.Helper()
					got := d.Messages(t, testUser, folder)
					var ids, wantIDs []string
					for _, m := range got {
						ids = append(ids, messageID(m.Raw))
					}
					for _, raw := range want {
						wantIDs = append(wantIDs, messageID(raw))
					}
					slices.Sort(ids)
					slices.Sort(wantIDs)
					if !slices.Equal(ids, wantIDs) {
						t.Errorf("%s holds %v, want %v", folder, ids, wantIDs)
					}
				}
				wantIn(processed, raws[0], raws[2])
				wantIn(review, raws[1], raws[3])
				if drop == nil {
					wantIn("INBOX")
				} else {
					// Without MOVE the originals stay, flagged filed.
					for uid, flags := range dovecotFlags(t, d, "INBOX") {
						if !hasFlag(flags, FiledKeyword) {
							t.Errorf("INBOX uid %d flags %v, want %s", uid, flags, FiledKeyword)
						}
					}
				}
				subs := d.Subscribed(t, testUser)
				if !slices.Contains(subs, processed) || !slices.Contains(subs, review) {
					t.Errorf("subscribed %v, want %s and %s", subs, processed, review)
				}
				if s := w.Status(); s.FolderErrors != nil {
					t.Errorf("folder errors %+v", s.FolderErrors)
				}

				before := d.Doveadm(t, "mailbox", "status", "-u", testUser, "all", "*")
				st = syncOnce(t, w)
				if st.Fetched != 0 || st.Filed != 0 || st.Refiled != 0 || st.Unfiled != 0 {
					t.Errorf("second sync %+v, want nothing", st)
				}
				if after := d.Doveadm(t, "mailbox", "status", "-u", testUser, "all", "*"); after != before {
					t.Errorf("second sync changed the mailboxes:\nbefore %s\nafter  %s", before, after)
				}
				rec.assertOnce(t)
			})
		}
	}
}

// A folder that refuses filing (its Maildir directories are not writable)
// is one error, logged once and shown in Status, however many messages
// and syncs; its messages are recorded, stay in INBOX and are not handed
// over again at every sync; once the folder works they are all filed, and
// the error is gone.
func TestDovecotFolderRefusedThenFiled(t *testing.T) {
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: testenv.LayoutDebian},
		testenv.User{Name: testUser, Password: testPassword})
	var mu sync.Mutex
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rec := newRecorder()
	rec.folder = toFolder("outreach/processed")
	w, logs := newTestWatcher(t, d.Addr, rec, func(o *Options) {
		o.Folders = []string{"outreach/processed"}
		o.FolderRetry = time.Hour
		o.Now = clock
	})
	// The folder exists, but the server cannot write into it.
	chmod := processedFolderModes(t, d)
	chmod(0o500)

	messagesWaitForRefusedFolder(t, d, w, rec, logs)

	// The folder works again; the next try files them all at once.
	chmod(0o700)
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	checkRepairedFolderFilesAll(t, d, w, logs)
	st := syncOnce(t, w)
	if st != (Stats{UIDValidity: st.UIDValidity, LastUID: st.LastUID}) {
		t.Errorf("last sync %+v, want nothing", st)
	}
	// Each was recorded once and handed over once more to be filed.
	if got := len(rec.messages()); got != 14 {
		t.Errorf("handler called %d times, want 14 (7 recorded, 7 filed after the repair)", got)
	}
}

// processedFolderModes creates outreach/processed on the server and
// returns a function that sets the mode of its Maildir directories.
func processedFolderModes(t *testing.T, d *testenv.Dovecot) func(os.FileMode) {
	t.Helper()
	c := d.Dial(t, testUser)
	for _, f := range []string{"outreach", "outreach.processed"} {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	c.Logout().Wait()
	dir := filepath.Join(d.Dir, "mail", strings.ToLower(testUser), "Maildir", ".outreach.processed")
	return func(mode os.FileMode) {
		for _, sub := range []string{"tmp", "new", "cur"} {
			p := filepath.Join(dir, sub)
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// messagesWaitForRefusedFolder: five messages, then two more, are
// recorded and wait in INBOX for the folder that refuses them; the
// status says how many wait, the error is logged once and each message
// is handed over once.
func messagesWaitForRefusedFolder(t *testing.T, d *testenv.Dovecot, w *Watcher, rec *recorder, logs *logBuffer) {
	t.Helper()
	for n := 1; n <= 5; n++ {
		d.Append(t, testUser, "INBOX", testMessage(n, 400))
	}
	st := syncOnce(t, w)
	if st.Fetched != 5 || st.Filed != 0 || st.Unfiled != 5 {
		t.Fatalf("first sync %+v, want 5 fetched, 0 filed, 5 unfiled\n%s", st, logs)
	}
	fe := w.Status().FolderErrors
	if len(fe) != 1 || fe[0].Folder != "outreach/processed" || fe[0].Server != "outreach.processed" || fe[0].Waiting != 5 || fe[0].Err == "" {
		t.Fatalf("folder errors %+v, want one for outreach/processed with 5 waiting", fe)
	}

	for n := 6; n <= 7; n++ {
		d.Append(t, testUser, "INBOX", testMessage(n, 400))
	}
	st = syncOnce(t, w)
	if st.Fetched != 2 || st.Filed != 0 || st.Refiled != 0 || st.Unfiled != 2 {
		t.Fatalf("second sync %+v, want the 2 new ones recorded and waiting", st)
	}
	if got := len(rec.messages()); got != 7 {
		t.Errorf("handler called %d times, want 7: waiting messages must not be handed over at every sync", got)
	}
	if n := strings.Count(logs.String(), "imap folder does not work"); n != 1 {
		t.Errorf("folder error logged %d times, want once\n%s", n, logs)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 0 {
		t.Errorf("%d warnings, want none (one error for the folder)\n%s", n, logs)
	}
	if got := len(d.Messages(t, testUser, "INBOX")); got != 7 {
		t.Errorf("INBOX holds %d, want 7", got)
	}
	if fe := w.Status().FolderErrors; len(fe) != 1 || fe[0].Waiting != 7 {
		t.Errorf("folder errors %+v, want 7 waiting", fe)
	}
}

// checkRepairedFolderFilesAll: once the folder works, the next sync files
// the seven waiting, clears the error and logs the recovery.
func checkRepairedFolderFilesAll(t *testing.T, d *testenv.Dovecot, w *Watcher, logs *logBuffer) {
	t.Helper()
	st := syncOnce(t, w)
	if st.Refiled != 7 || st.Fetched != 0 || st.Unfiled != 0 {
		t.Errorf("sync after repair %+v, want 7 refiled", st)
	}
	if got := len(d.Messages(t, testUser, "INBOX")); got != 0 {
		t.Errorf("INBOX holds %d after repair, want 0", got)
	}
	if got := len(d.Messages(t, testUser, "outreach.processed")); got != 7 {
		t.Errorf("outreach.processed holds %d, want 7", got)
	}
	if fe := w.Status().FolderErrors; fe != nil {
		t.Errorf("folder errors %+v after repair", fe)
	}
	if !strings.Contains(logs.String(), "imap folder works again") {
		t.Errorf("no recovery in the log\n%s", logs)
	}
}

// Folders that cannot be used are refused before anything is filed, each
// one error: a folder the server marks \Trash (SPECIAL-USE: its mail is
// deleted in time, and intake never deletes), and a level holding the
// server's own delimiter ("pro.cessed" on Maildir++). Their messages are
// recorded and stay in INBOX, unflagged; nothing lands in Trash.
func TestDovecotUnusableFoldersRefused(t *testing.T) {
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: testenv.LayoutDebian, SpecialUse: map[string]string{"Trash": `\Trash`}},
		testenv.User{Name: testUser, Password: testPassword})
	rec := newRecorder()
	rec.folder = func(m Message) string {
		if strings.Contains(string(m.Raw), "Mission 1 ") || strings.Contains(string(m.Raw), "Mission 3 ") {
			return "Trash"
		}
		return "outreach/pro.cessed"
	}
	w, logs := newTestWatcher(t, d.Addr, rec, func(o *Options) {
		o.Folders = []string{"Trash", "outreach/pro.cessed"}
	})
	c := d.Dial(t, testUser)
	if err := c.Create("Trash", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	for n := 1; n <= 4; n++ {
		d.Append(t, testUser, "INBOX", testMessage(n, 300))
	}
	st := syncOnce(t, w)
	if st.Fetched != 4 || st.Filed != 0 || st.Unfiled != 4 {
		t.Fatalf("sync %+v, want 4 recorded and left unfiled\n%s", st, logs)
	}
	fe := w.Status().FolderErrors
	if len(fe) != 2 || fe[0].Folder != "Trash" || !strings.Contains(fe[0].Err, `\Trash`) ||
		fe[1].Folder != "outreach/pro.cessed" || !strings.Contains(fe[1].Err, "hierarchy delimiter") {
		t.Fatalf("folder errors %+v, want Trash (\\Trash) and outreach/pro.cessed (delimiter)", fe)
	}
	if fe[0].Waiting != 2 || fe[1].Waiting != 2 {
		t.Errorf("waiting %d and %d, want 2 each", fe[0].Waiting, fe[1].Waiting)
	}
	if got := len(d.Messages(t, testUser, "Trash")); got != 0 {
		t.Errorf("Trash holds %d messages", got)
	}
	for uid, flags := range dovecotFlags(t, d, "INBOX") {
		if hasFlag(flags, FiledKeyword) || hasFlag(flags, `\Deleted`) {
			t.Errorf("INBOX uid %d flags %v: marked filed or deleted", uid, flags)
		}
	}
	if got := len(d.Messages(t, testUser, "INBOX")); got != 4 {
		t.Errorf("INBOX holds %d, want 4", got)
	}
	if n := strings.Count(logs.String(), "imap folder does not work"); n != 2 {
		t.Errorf("%d folder errors logged, want 2 (one per folder)\n%s", n, logs)
	}
}

// While the watcher idles with no new mail, a repaired folder is noticed at
// the next try (FolderRetry, not the IDLE restart) and its waiting messages
// are filed.
func TestDovecotFolderRepairedWhileIdling(t *testing.T) {
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: testenv.LayoutINBOXPrefix},
		testenv.User{Name: testUser, Password: testPassword})
	rec := newRecorder()
	rec.folder = toFolder("outreach/processed")
	w, logs := newTestWatcher(t, d.Addr, rec, func(o *Options) {
		o.Folders = []string{"outreach/processed"}
		o.FolderRetry = 300 * time.Millisecond
		o.IdleRestart = 10 * time.Minute
	})
	c := d.Dial(t, testUser)
	for _, f := range []string{"INBOX.outreach", "INBOX.outreach.processed"} {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	c.Logout().Wait()
	dir := filepath.Join(d.Dir, "mail", strings.ToLower(testUser), "Maildir", ".outreach.processed")
	chmod := func(mode os.FileMode) {
		for _, sub := range []string{"tmp", "new", "cur"} {
			p := filepath.Join(dir, sub)
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	chmod(0o500)
	for n := 1; n <= 3; n++ {
		d.Append(t, testUser, "INBOX", testMessage(n, 300))
	}
	stop := runWatcher(t, w)
	defer stop()
	waitUntil(t, "the folder error with 3 waiting", func() bool {
		fe := w.Status().FolderErrors
		return len(fe) == 1 && fe[0].Waiting == 3 && fe[0].Server == "INBOX.outreach.processed"
	})
	waitUntil(t, "IDLE", func() bool { return w.Status().Idling })
	chmod(0o700)
	waitUntil(t, "the waiting messages to be filed", func() bool {
		return w.Status().FolderErrors == nil && len(d.Messages(t, testUser, "INBOX")) == 0
	})
	if got := len(d.Messages(t, testUser, "INBOX.outreach.processed")); got != 3 {
		t.Errorf("INBOX.outreach.processed holds %d, want 3", got)
	}
	if n := strings.Count(logs.String(), "imap folder does not work"); n != 1 {
		t.Errorf("folder error logged %d times, want once\n%s", n, logs)
	}
}

// Inspect reports the layout and each folder's server name, creates nothing
// unless asked, and names the folders outreach cannot file into.
func TestDovecotInspect(t *testing.T) {
	d := testenv.StartDovecotWith(t, testenv.DovecotOptions{Layout: testenv.LayoutINBOXPrefix, SpecialUse: map[string]string{"Trash": `\Trash`}},
		testenv.User{Name: testUser, Password: testPassword})
	c := d.Dial(t, testUser)
	if err := c.Create("INBOX.Trash", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	w, _ := newTestWatcher(t, d.Addr, newRecorder(), func(o *Options) {
		o.Folders = []string{"outreach/processed", "Trash", "a/b.c"}
	})
	ctx := context.Background()
	in, err := w.Inspect(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if in.Delimiter != "." || in.Prefix != "INBOX." || in.Mailbox != "INBOX" || !slices.Contains(in.Capabilities, "IDLE") || !slices.Contains(in.Capabilities, "MOVE") {
		t.Errorf("inspection %+v", in)
	}
	if len(in.Folders) != 3 {
		t.Fatalf("folders %+v", in.Folders)
	}
	if f := in.Folders[0]; f.Server != "INBOX.outreach.processed" || f.Exists || f.Created || f.Problem != "" {
		t.Errorf("before creating: %+v", f)
	}
	if f := in.Folders[1]; f.Server != "INBOX.Trash" || !f.Exists || !strings.Contains(f.Problem, `\Trash`) {
		t.Errorf("Trash: %+v", f)
	}
	if f := in.Folders[2]; f.Server != "" || !strings.Contains(f.Problem, "hierarchy delimiter") {
		t.Errorf("a/b.c: %+v", f)
	}
	if subs := d.Subscribed(t, testUser); slices.Contains(subs, "INBOX.outreach.processed") || slices.Contains(subs, "INBOX.outreach") {
		t.Errorf("Inspect without create changed the server: subscribed %v", subs)
	}
	c = d.Dial(t, testUser)
	l, _ := c.List("", "INBOX.outreach*", nil).Collect()
	c.Logout().Wait()
	if len(l) != 0 {
		t.Errorf("Inspect without create created %v", l)
	}

	in, err = w.Inspect(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if f := in.Folders[0]; !f.Exists || !f.Created || f.Problem != "" {
		t.Errorf("with create: %+v", f)
	}
	if subs := d.Subscribed(t, testUser); !slices.Contains(subs, "INBOX.outreach.processed") {
		t.Errorf("created folder not subscribed: %v", subs)
	}
	in, err = w.Inspect(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if f := in.Folders[0]; !f.Exists || f.Created {
		t.Errorf("after creating: %+v", f)
	}
}
