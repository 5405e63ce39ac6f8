package inbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestNewWatcherReportsEveryProblem(t *testing.T) {
	_, err := NewWatcher(Options{
		Addr:           "mail.example.org:143",
		TLS:            Plain,
		Mailbox:        "INBOX",
		Folders:        []string{"processed", "INBOX", "re*view", "processed"},
		IdleRestart:    30 * time.Minute,
		CommandTimeout: -time.Second,
		MaxMessageSize: -1,
	}, nil)
	if err == nil {
		t.Fatal("NewWatcher accepted bad options")
	}
	for _, want := range []string{
		"handler is nil",
		`plain-text IMAP to "mail.example.org" refused`,
		"username is empty",
		"password is empty",
		`folder "INBOX" is the watched mailbox`,
		`name "re*view" holds a wildcard`,
		`folder "processed" listed twice`,
		"IDLE restart 30m0s exceeds 29m0s",
		"command timeout -1s is negative",
		"maximum message size -1 is negative",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "failed to") || !strings.HasPrefix(err.Error(), "inbox: ") {
		t.Errorf("error style: %v", err)
	}
}

func TestNewWatcherDefaults(t *testing.T) {
	for _, tc := range []struct {
		addr string
		mode TLSMode
		want string
	}{
		{"imap.example.org", ImplicitTLS, "imap.example.org:993"},
		{"imap.example.org", StartTLS, "imap.example.org:143"},
		{"127.0.0.1", Plain, "127.0.0.1:143"},
		{"[::1]", Plain, "[::1]:143"},
		{"localhost:1143", Plain, "localhost:1143"},
	} {
		w, err := NewWatcher(Options{Addr: tc.addr, TLS: tc.mode, Username: "u", Password: "p"}, newRecorder())
		if err != nil {
			t.Fatalf("%s %v: %v", tc.addr, tc.mode, err)
		}
		o := w.opts
		if o.Addr != tc.want || o.Mailbox != "INBOX" || o.PollInterval != 30*time.Second ||
			o.IdleRestart != 5*time.Minute || o.CommandTimeout != time.Minute || o.MaxMessageSize != 25<<20 {
			t.Errorf("%s %v: defaults not applied: %v", tc.addr, tc.mode, o)
		}
	}
}

func TestDefaultBackoffGrowsToTwoMinutes(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 7: 64 * time.Second, 8: 2 * time.Minute, 1000: 2 * time.Minute} {
		for range 50 {
			d := DefaultBackoff(attempt)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
}

// Messages already in the mailbox are all handed over, in UID order, with
// their exact bytes, and each is filed where the Handler said.
func TestSyncOnceHandsOverBacklogInUIDOrderAndFiles(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			var msgs [][]byte
			for i := 1; i <= 7; i++ {
				msgs = append(msgs, testMessage(i, 300*i))
			}
			ts.append(t, "INBOX", msgs...)

			rec := newRecorder()
			// Every third message stays in place, the others go to
			// processed or review.
			rec.folder = func(m Message) string {
				return [...]string{"", "processed", "review"}[m.UID%3]
			}
			w, _ := newTestWatcher(t, ts.addr, rec, nil)
			w.batchSize, w.batchBytes = 3, 1000 // several metadata and body batches

			st, err := w.SyncOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Fetched != 7 || st.Filed != 7 || st.LastUID != 7 || st.UIDValidityChanged {
				t.Errorf("stats = %+v", st)
			}
			got := rec.messages()
			if len(got) != 7 {
				t.Fatalf("handled %d messages, want 7", len(got))
			}
			for i, m := range got {
				if m.UID != uint32(i+1) || m.UIDValidity != st.UIDValidity || !bytes.Equal(m.Raw, msgs[i]) ||
					m.Size != int64(len(msgs[i])) || m.InternalDate.IsZero() {
					t.Errorf("message %d: uid %d size %d, raw intact %v", i+1, m.UID, m.Size, bytes.Equal(m.Raw, msgs[i]))
				}
			}

			wantIDs := func(ns ...int) []string {
				var ids []string
				for _, n := range ns {
					ids = append(ids, fmt.Sprintf("<reply-%d@mfa.example>", n))
				}
				return ids
			}
			if ids := messageIDs(ts.contents(t, "processed")); !slices.Equal(ids, wantIDs(1, 4, 7)) {
				t.Errorf("processed holds %v", ids)
			}
			if ids := messageIDs(ts.contents(t, "review")); !slices.Equal(ids, wantIDs(2, 5)) {
				t.Errorf("review holds %v", ids)
			}
			inbox := ts.contents(t, "INBOX")
			for _, m := range inbox {
				// Filed in place or copied: \Seen and the keyword that says
				// so, never \Deleted.
				if !m.has(`\Seen`) || !m.has(FiledKeyword) || m.has(`\Deleted`) {
					t.Errorf("INBOX uid %d flags %v", m.UID, m.Flags)
				}
			}
			if kind.move {
				if ids := messageIDs(inbox); !slices.Equal(ids, wantIDs(3, 6)) {
					t.Errorf("INBOX holds %v, want only the messages left in place", ids)
				}
			} else {
				// Without MOVE nothing leaves INBOX: copied, flagged, never
				// deleted.
				if len(inbox) != 7 {
					t.Fatalf("INBOX holds %d messages, want all 7", len(inbox))
				}
			}

			// Nothing new: nothing handed over again.
			st, err = w.SyncOnce(context.Background())
			if err != nil || st.Fetched != 0 || st.Refiled != 0 || st.LastUID != 7 {
				t.Errorf("second sync: %+v, %v", st, err)
			}
			rec.assertOnce(t)
		})
	}
}

// Without MOVE the watcher copies, checks, flags, and never expunges: the
// message is in INBOX (flagged) and in the folder.
func TestWithoutMoveCopiesThenFlagsNeverExpunges(t *testing.T) {
	ts := startServer(t, serverOpts{caps: imap.CapSet{imap.CapIMAP4rev1: {}}})
	raw := testMessage(1, 0)
	ts.append(t, "INBOX", raw)
	rec := newRecorder()
	rec.folder = toFolder("processed")
	w, _ := newTestWatcher(t, ts.addr, rec, nil)
	for range 2 {
		if _, err := w.SyncOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	inbox := ts.contents(t, "INBOX")
	if len(inbox) != 1 || !bytes.Equal(inbox[0].Raw, raw) {
		t.Fatalf("INBOX = %+v, want the original", inbox)
	}
	if m := inbox[0]; !m.has(`\Seen`) || !m.has(FiledKeyword) || m.has(`\Deleted`) {
		t.Errorf("INBOX flags %v", m.Flags)
	}
	processed := ts.contents(t, "processed")
	if len(processed) != 1 || !bytes.Equal(processed[0].Raw, raw) {
		t.Errorf("processed = %d messages, want one copy", len(processed))
	}
}

func TestIdleNewMessageReachesHandler(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			rec := newRecorder()
			rec.folder = toFolder("processed")
			// A long IDLE restart: only the EXISTS notification can bring
			// the message in before the test's deadline.
			w, _ := newTestWatcher(t, ts.addr, rec, func(o *Options) { o.IdleRestart = 10 * time.Minute })
			stop := runWatcher(t, w)
			waitUntil(t, "IDLE", func() bool { return w.Status().Idling })

			ts.append(t, "INBOX", testMessage(1, 0))
			rec.waitFor(t, 1)
			waitUntil(t, "message moved to processed", func() bool {
				return len(ts.contents(t, "processed")) == 1
			})
			waitUntil(t, "IDLE again", func() bool { return w.Status().Idling })

			ts.append(t, "INBOX", testMessage(2, 0), testMessage(3, 0))
			rec.waitFor(t, 3)
			if err := stop(); err != nil {
				t.Fatalf("Run = %v, want nil after cancel", err)
			}
			var uids []uint32
			for _, m := range rec.messages() {
				uids = append(uids, m.UID)
			}
			if !slices.Equal(uids, []uint32{1, 2, 3}) {
				t.Errorf("handled uids %v", uids)
			}
			st := w.Status()
			if st.Connected || st.Idling || st.LastSync.IsZero() || st.LastError != "" {
				t.Errorf("status after stop = %+v", st)
			}
		})
	}
}

// The watcher polls a server without IDLE.
func TestPollsWithoutIdle(t *testing.T) {
	ts := startServer(t, serverOpts{caps: imap.CapSet{imap.CapIMAP4rev1: {}}})
	p := startProxy(t, ts.addr)
	p.hideIdleFromNext()
	rec := newRecorder()
	w, _ := newTestWatcher(t, p.addr(), rec, nil)
	runWatcher(t, w)
	waitUntil(t, "first sync", func() bool { return !w.Status().LastSync.IsZero() })
	ts.append(t, "INBOX", testMessage(1, 0))
	rec.waitFor(t, 1)
	if w.Status().Idling {
		t.Error("watcher idles on a server without IDLE")
	}
}

var errStoreBusy = errors.New("store: database busy")

func TestHandleErrorLeavesMessageAndRetriesOnNextSync(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			ts.append(t, "INBOX", testMessage(1, 0), testMessage(2, 0), testMessage(3, 0))
			rec := newRecorder()
			rec.folder = toFolder("processed")
			failed := false
			rec.fail = func(m Message) error {
				if m.UID == 2 && !failed {
					failed = true
					return errStoreBusy
				}
				return nil
			}
			w, _ := newTestWatcher(t, ts.addr, rec, nil)

			st, err := w.SyncOnce(context.Background())
			if !errors.Is(err, errStoreBusy) {
				t.Fatalf("SyncOnce = %v, want the Handler's error", err)
			}
			if st.Fetched != 1 || st.LastUID != 1 {
				t.Errorf("stats = %+v", st)
			}
			if !strings.Contains(w.Status().LastError, "database busy") {
				t.Errorf("status error %q", w.Status().LastError)
			}
			inbox := ts.contents(t, "INBOX")
			for _, m := range inbox {
				if m.UID > 1 && m.has(`\Seen`) {
					t.Errorf("unrecorded message uid %d is flagged %v", m.UID, m.Flags)
				}
			}
			if kind.move && len(inbox) != 2 {
				t.Errorf("INBOX holds %d, want messages 2 and 3", len(inbox))
			}

			st, err = w.SyncOnce(context.Background())
			if err != nil || st.Fetched != 2 || st.LastUID != 3 {
				t.Fatalf("retry: %+v, %v", st, err)
			}
			if ids := messageIDs(ts.contents(t, "processed")); len(ids) != 3 || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 3 {
				t.Errorf("processed holds %v, want each message once", ids)
			}
			rec.assertOnce(t)
		})
	}
}

// A crash after the Handler recorded a message and before it was filed: the
// next process starts from the Handler's checkpoint, records nothing twice,
// and files the message where the Handler first said.
func TestCrashBetweenHandleAndFilingFilesOnRestart(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			p := startProxy(t, ts.addr)
			ts.append(t, "INBOX", testMessage(1, 0), testMessage(2, 0), testMessage(3, 0))
			rec := newRecorder()
			// The folder depends on the message, so that filing in the
			// wrong one shows.
			rec.folder = func(m Message) string {
				if m.UID == 2 {
					return "review"
				}
				return "processed"
			}
			rec.after = func(m Message) {
				if m.UID == 2 {
					p.cutAll() // the process dies before filing
				}
			}
			w1, _ := newTestWatcher(t, p.addr(), rec, nil)
			if _, err := w1.SyncOnce(context.Background()); err == nil {
				t.Fatal("SyncOnce survived a cut connection")
			}
			rec.after = nil
			// The store says the first folder again; a Handler asked anew
			// would say otherwise.
			rec.folder = func(m Message) string {
				if m.UID == 2 {
					return "bounces"
				}
				return "processed"
			}

			withBounces := func(o *Options) { o.Folders = append(o.Folders, "bounces") }
			w2, logs := newTestWatcher(t, p.addr(), rec, withBounces) // the restarted process
			st, err := w2.SyncOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// With MOVE, the messages recorded since the last MOVE are
			// moved together: all three were waiting.
			unfiled, read := unfiledAtCut(kind.move)
			if st.Fetched != read || st.Filed != read || st.Refiled != len(unfiled) || st.LastUID != 3 {
				t.Errorf("after restart: %+v, want %d read and %v filed", st, read, unfiled)
			}
			if !strings.Contains(logs.String(), "recorded messages found unfiled") {
				t.Errorf("the late filing is not logged:\n%s", logs)
			}
			if len(rec.recorded) != 3 || !askedAgain(rec.repeats, unfiled) {
				t.Errorf("recorded %v, repeats %v: want each message recorded once, %v asked again once", rec.recorded, rec.repeats, unfiled)
			}
			if cp, _ := rec.Checkpoint(context.Background()); cp.LastUID != 3 {
				t.Errorf("checkpoint %+v moved back", cp)
			}
			if ids := messageIDs(ts.contents(t, "review")); !slices.Equal(ids, []string{"<reply-2@mfa.example>"}) {
				t.Errorf("review holds %v, want message 2 once", ids)
			}
			if ids := messageIDs(ts.contents(t, "processed")); !slices.Equal(ids, []string{"<reply-1@mfa.example>", "<reply-3@mfa.example>"}) {
				t.Errorf("processed holds %v", ids)
			}
			if n := len(ts.contents(t, "bounces")); n != 0 {
				t.Errorf("bounces holds %d: message 2 was filed by a new answer, not the recorded one", n)
			}
			inbox := ts.contents(t, "INBOX")
			if kind.move && len(inbox) != 0 {
				t.Errorf("INBOX still holds %v", messageIDs(inbox))
			}
			for _, m := range inbox {
				if kind.move || !m.has(`\Seen`) || !m.has(FiledKeyword) || m.has(`\Deleted`) {
					t.Errorf("INBOX uid %d flags %v", m.UID, m.Flags)
				}
			}

			// Once filed, nothing is asked again.
			calls := len(rec.messages())
			w3, _ := newTestWatcher(t, p.addr(), rec, nil)
			st, err = w3.SyncOnce(context.Background())
			if err != nil || st.Fetched != 0 || st.Refiled != 0 || len(rec.messages()) != calls {
				t.Errorf("third sync: %+v, %v, %d calls (was %d)", st, err, len(rec.messages()), calls)
			}
		})
	}
}

// The daemon dies after the Handler recorded a message; the restarted
// daemon (Run, idling afterwards) files it before it reads new mail.
func TestRunFilesMessageRecordedBeforeCrash(t *testing.T) {
	ts := startServer(t, serverOpts{})
	p := startProxy(t, ts.addr)
	ts.append(t, "INBOX", testMessage(1, 0))
	rec := newRecorder()
	rec.folder = toFolder("processed")
	p.cutWhenClientSends("MOVE") // dies just before filing
	w1, _ := newTestWatcher(t, p.addr(), rec, nil)
	if _, err := w1.SyncOnce(context.Background()); err == nil {
		t.Fatal("SyncOnce survived a cut connection")
	}
	if n := len(ts.contents(t, "INBOX")); n != 1 {
		t.Fatalf("INBOX holds %d, want the recorded, unfiled message", n)
	}

	w2, _ := newTestWatcher(t, p.addr(), rec, nil)
	runWatcher(t, w2)
	waitUntil(t, "the recorded message filed", func() bool { return len(ts.contents(t, "processed")) == 1 })
	waitUntil(t, "IDLE", func() bool { return w2.Status().Idling })
	ts.append(t, "INBOX", testMessage(2, 0))
	waitUntil(t, "the new message filed", func() bool { return len(ts.contents(t, "processed")) == 2 })
	if len(rec.recorded) != 2 || rec.repeats["<reply-1@mfa.example>"] != 1 {
		t.Errorf("recorded %v, repeats %v", rec.recorded, rec.repeats)
	}
	if n := len(ts.contents(t, "INBOX")); n != 0 {
		t.Errorf("INBOX holds %d", n)
	}
}

// Without MOVE, a crash between the COPY and the flag: the restarted
// watcher copies the message again, so its folder holds it twice. That is
// the documented cost (see the package comment): the message is recorded
// once, and the original stays, flagged, never deleted.
func TestCrashBetweenCopyAndFlagCopiesAgain(t *testing.T) {
	ts := startServer(t, serverOpts{caps: imap.CapSet{imap.CapIMAP4rev1: {}}})
	p := startProxy(t, ts.addr)
	ts.append(t, "INBOX", testMessage(1, 0), testMessage(2, 0))
	rec := newRecorder()
	rec.folder = toFolder("processed")
	p.cutWhenClientSends("STORE") // the COPY of message 1 went through
	w1, _ := newTestWatcher(t, p.addr(), rec, nil)
	if _, err := w1.SyncOnce(context.Background()); err == nil {
		t.Fatal("SyncOnce survived a cut connection")
	}
	if n := len(ts.contents(t, "processed")); n != 1 {
		t.Fatalf("processed holds %d before the restart, want the one copy", n)
	}

	w2, _ := newTestWatcher(t, p.addr(), rec, nil)
	st, err := w2.SyncOnce(context.Background())
	if err != nil || st.Refiled != 1 || st.Fetched != 1 {
		t.Fatalf("after restart: %+v, %v", st, err)
	}
	ids := messageIDs(ts.contents(t, "processed"))
	slices.Sort(ids)
	if want := []string{"<reply-1@mfa.example>", "<reply-1@mfa.example>", "<reply-2@mfa.example>"}; !slices.Equal(ids, want) {
		t.Errorf("processed holds %v, want %v", ids, want)
	}
	if len(rec.recorded) != 2 {
		t.Errorf("recorded %v", rec.recorded)
	}
	for _, m := range ts.contents(t, "INBOX") {
		if !m.has(`\Seen`) || !m.has(FiledKeyword) || m.has(`\Deleted`) {
			t.Errorf("INBOX uid %d flags %v", m.UID, m.Flags)
		}
	}
}

// A server that takes no keywords: filing marks \Seen only, and a recorded
// message that is not \Seen is the one left unfiled.
func TestUnfiledFoundWithoutKeywords(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			p := startProxy(t, ts.addr)
			p.hideKeywordsFromNext()
			ts.append(t, "INBOX", testMessage(1, 0), testMessage(2, 0), testMessage(3, 0))
			rec := newRecorder()
			rec.folder = func(m Message) string {
				if m.UID == 1 {
					return "" // stays in place, \Seen
				}
				return "processed"
			}
			rec.after = func(m Message) {
				if m.UID == 2 {
					p.cutAll()
				}
			}
			w1, _ := newTestWatcher(t, p.addr(), rec, nil)
			if _, err := w1.SyncOnce(context.Background()); err == nil {
				t.Fatal("SyncOnce survived a cut connection")
			}
			rec.after = nil
			w2, _ := newTestWatcher(t, p.addr(), rec, nil)
			st, err := w2.SyncOnce(context.Background())
			// Message 1 stays in place, flagged at once. With MOVE,
			// message 3, fetched with message 2, was recorded before the
			// MOVE of both found the connection cut.
			unfiled, fetched := []string{"<reply-2@mfa.example>"}, 1
			if kind.move {
				unfiled, fetched = append(unfiled, "<reply-3@mfa.example>"), 0
			}
			if err != nil || st.Refiled != len(unfiled) || st.Fetched != fetched {
				t.Fatalf("after restart: %+v, %v", st, err)
			}
			if !askedAgain(rec.repeats, unfiled) {
				t.Errorf("asked again for %v, want only %v", rec.repeats, unfiled)
			}
			ids := messageIDs(ts.contents(t, "processed"))
			slices.Sort(ids)
			if !slices.Equal(ids, []string{"<reply-2@mfa.example>", "<reply-3@mfa.example>"}) {
				t.Errorf("processed holds %v", ids)
			}
			for _, m := range ts.contents(t, "INBOX") {
				if !m.has(`\Seen`) || m.has(FiledKeyword) {
					t.Errorf("INBOX uid %d flags %v: want \\Seen, and no keyword the server did not offer", m.UID, m.Flags)
				}
			}
		})
	}
}

// A connection lost between recording and filing: the same Watcher files the
// message on its next connection.
func TestFilingCutOffIsRetriedOnReconnect(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			p := startProxy(t, ts.addr)
			ts.append(t, "INBOX", testMessage(1, 0), testMessage(2, 0), testMessage(3, 0))
			rec := newRecorder()
			rec.folder = toFolder("processed")
			rec.after = func(m Message) {
				if m.UID == 2 {
					p.cutAll()
				}
			}
			w, _ := newTestWatcher(t, p.addr(), rec, nil)
			if _, err := w.SyncOnce(context.Background()); err == nil {
				t.Fatal("SyncOnce survived a cut connection")
			}
			rec.after = nil
			st, err := w.SyncOnce(context.Background())
			// With MOVE, message 3 (fetched with message 2) was recorded
			// before the MOVE of all three found the connection cut.
			fetched := 1
			if kind.move {
				fetched = 0
			}
			if err != nil || st.Fetched != fetched {
				t.Fatalf("second sync: %+v, %v", st, err)
			}
			rec.assertOnce(t)
			if ids := messageIDs(ts.contents(t, "processed")); len(ids) != 3 {
				t.Errorf("processed holds %v, want all three", ids)
			}
			for _, m := range ts.contents(t, "INBOX") {
				if kind.move || !m.has(FiledKeyword) || !m.has(`\Seen`) {
					t.Errorf("INBOX uid %d flags %v", m.UID, m.Flags)
				}
			}
		})
	}
}

// When the mailbox is recreated (new UIDVALIDITY), every message is handed
// over again and the Watcher says so.
func TestUIDValidityChangeHandsEverythingAgain(t *testing.T) {
	ts := startServer(t, serverOpts{})
	msgs := [][]byte{testMessage(1, 0), testMessage(2, 0), testMessage(3, 0)}
	ts.append(t, "INBOX", msgs...)
	rec := newRecorder() // files nothing: messages stay, flagged \Seen
	w, logs := newTestWatcher(t, ts.addr, rec, nil)
	first, err := w.SyncOnce(context.Background())
	if err != nil || first.Fetched != 3 {
		t.Fatalf("first sync: %+v, %v", first, err)
	}

	// The server rebuilds the mailbox: same mail, new UIDVALIDITY.
	if err := ts.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := ts.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts.append(t, "INBOX", msgs...)

	st, err := w.SyncOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.UIDValidityChanged || st.UIDValidity == first.UIDValidity || st.Fetched != 3 || st.LastUID != 3 {
		t.Errorf("after UIDVALIDITY change: %+v (before %+v)", st, first)
	}
	if !strings.Contains(logs.String(), "UIDVALIDITY changed") {
		t.Errorf("no warning logged:\n%s", logs)
	}
	got := rec.messages()
	if len(got) != 6 {
		t.Fatalf("handled %d, want 6", len(got))
	}
	for i := range 3 {
		if messageID(got[i].Raw) != messageID(got[i+3].Raw) || got[i+3].UIDValidity != st.UIDValidity {
			t.Errorf("message %d not handed again under the new UIDVALIDITY", i+1)
		}
	}
	rec.assertOnce(t) // once per (UIDVALIDITY, UID)
}

func TestMissingTargetFolderIsCreated(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			rec := newRecorder()
			rec.folder = func(m Message) string {
				if m.UID == 1 {
					return "bounces/2017" // never configured
				}
				return "processed"
			}
			w, logs := newTestWatcher(t, ts.addr, rec, nil)
			ts.append(t, "INBOX", testMessage(1, 0))
			if _, err := w.SyncOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(ts.contents(t, "bounces/2017")); n != 1 {
				t.Errorf("bounces/2017 holds %d", n)
			}

			// Someone deletes processed while the daemon runs; two
			// messages bound for it are refused as one MOVE, then filed
			// one by one, the folder created for the first.
			if err := ts.user.Delete("processed"); err != nil {
				t.Fatal(err)
			}
			ts.append(t, "INBOX", testMessage(2, 0), testMessage(3, 0))
			st, err := w.SyncOnce(context.Background())
			if err != nil || st.Filed != 2 {
				t.Fatalf("%+v, %v", st, err)
			}
			if ids := messageIDs(ts.contents(t, "processed")); !slices.Equal(ids, []string{"<reply-2@mfa.example>", "<reply-3@mfa.example>"}) {
				t.Errorf("processed holds %v", ids)
			}
			if n := len(ts.contents(t, "INBOX")); kind.move && n != 0 {
				t.Errorf("INBOX still holds %d", n)
			}
			if !strings.Contains(logs.String(), "folder=processed") {
				t.Errorf("folder creation not logged:\n%s", logs)
			}
		})
	}
}

func TestTooLargeMessageHandedWithoutBody(t *testing.T) {
	ts := startServer(t, serverOpts{})
	small, big := testMessage(1, 0), testMessage(2, 5000)
	ts.append(t, "INBOX", small, big)
	rec := newRecorder()
	rec.folder = func(m Message) string {
		if m.Raw == nil {
			return "review"
		}
		return "processed"
	}
	w, _ := newTestWatcher(t, ts.addr, rec, func(o *Options) { o.MaxMessageSize = 1000 })
	if _, err := w.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.messages()
	if len(got) != 2 || !bytes.Equal(got[0].Raw, small) || got[1].Raw != nil || got[1].Size != int64(len(big)) {
		t.Fatalf("handled %+v", got)
	}
	// The Message-ID comes from the envelope, only for the message that was
	// not read.
	if got[0].MessageID != "" || got[1].MessageID != "<reply-2@mfa.example>" {
		t.Errorf("Message-IDs %q and %q, want none and <reply-2@mfa.example>", got[0].MessageID, got[1].MessageID)
	}
	review := ts.contents(t, "review")
	if len(review) != 1 || !bytes.Equal(review[0].Raw, big) {
		t.Errorf("review does not hold the big message intact")
	}
}

// A connection cut in the middle of a FETCH: Run reconnects and continues
// from the checkpoint; every message is handed over once, in order, and
// filed.
func TestConnectionCutMidFetchLosesNothing(t *testing.T) {
	ts := startServer(t, serverOpts{})
	p := startProxy(t, ts.addr)
	const n = 8
	for i := 1; i <= n; i++ {
		ts.append(t, "INBOX", testMessage(i, 20000))
	}
	p.cutNextAfter(70000) // inside the second batch of bodies
	rec := newRecorder()
	rec.folder = toFolder("processed")
	w, logs := newTestWatcher(t, p.addr(), rec, nil)
	w.batchSize = 2
	runWatcher(t, w)
	rec.waitFor(t, n)
	waitUntil(t, "all filed", func() bool { return len(ts.contents(t, "processed")) == n })

	rec.assertOnce(t)
	for i, m := range rec.messages() {
		if m.UID != uint32(i+1) {
			t.Errorf("message %d has uid %d: out of order", i+1, m.UID)
		}
	}
	if p.connections() < 2 || !strings.Contains(logs.String(), "reconnecting") {
		t.Errorf("no reconnection: %d connections", p.connections())
	}
	if len(ts.contents(t, "INBOX")) != 0 {
		t.Error("messages left in INBOX")
	}
}

// A server that stops answering: the watchdog closes the connection and Run
// reconnects.
func TestStalledServerIsClosedByWatchdog(t *testing.T) {
	ts := startServer(t, serverOpts{})
	p := startProxy(t, ts.addr)
	rec := newRecorder()
	w, logs := newTestWatcher(t, p.addr(), rec, func(o *Options) {
		o.IdleRestart = 200 * time.Millisecond
		o.CommandTimeout = 300 * time.Millisecond
	})
	runWatcher(t, w)
	waitUntil(t, "IDLE", func() bool { return w.Status().Idling })
	p.stallAll()
	ts.append(t, "INBOX", testMessage(1, 0)) // only a new connection can see it
	rec.waitFor(t, 1)
	if p.connections() < 2 {
		t.Errorf("%d connections, want a reconnection", p.connections())
	}
	if !strings.Contains(logs.String(), `err="inbox: stop IDLE: no answer from server within 300ms`) {
		t.Errorf("watchdog not logged:\n%s", logs)
	}
	if w.Status().Reconnects < 1 {
		t.Errorf("status %+v", w.Status())
	}
}

func TestWatchdogErrorMatchesErrTimeout(t *testing.T) {
	ts := startServer(t, serverOpts{})
	p := startProxy(t, ts.addr)
	p.stallNext()
	w, _ := newTestWatcher(t, p.addr(), newRecorder(), func(o *Options) { o.CommandTimeout = 100 * time.Millisecond })
	_, err := w.SyncOnce(context.Background())
	if !errors.Is(err, ErrTimeout) || !strings.HasPrefix(err.Error(), "inbox: read greeting: no answer") {
		t.Fatalf("SyncOnce against a silent server = %v", err)
	}
}

func TestConnectionCutWhileIdlingReconnects(t *testing.T) {
	ts := startServer(t, serverOpts{})
	p := startProxy(t, ts.addr)
	rec := newRecorder()
	// The append races with the new connection's first IDLE, which
	// imapmemserver may not notify (see TestIdleNewMessageReachesHandler):
	// the IDLE restart is the safety net.
	w, _ := newTestWatcher(t, p.addr(), rec, func(o *Options) { o.IdleRestart = time.Second })
	runWatcher(t, w)
	waitUntil(t, "IDLE", func() bool { return w.Status().Idling })
	p.cutAll()
	ts.append(t, "INBOX", testMessage(1, 0))
	rec.waitFor(t, 1)
	if p.connections() < 2 {
		t.Errorf("%d connections", p.connections())
	}
}

func TestRunReturnsNilOnCancel(t *testing.T) {
	t.Run("idling", func(t *testing.T) {
		ts := startServer(t, serverOpts{})
		w, _ := newTestWatcher(t, ts.addr, newRecorder(), nil)
		stop := runWatcher(t, w)
		waitUntil(t, "IDLE", func() bool { return w.Status().Idling })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if w.Status().Connected {
			t.Error("still connected after Run returned")
		}
	})
	t.Run("waiting to reconnect", func(t *testing.T) {
		ts := startServer(t, serverOpts{})
		p := startProxy(t, ts.addr)
		p.close() // nothing listens any more
		w, _ := newTestWatcher(t, p.addr(), newRecorder(), func(o *Options) {
			o.Backoff = func(int) time.Duration { return time.Hour }
		})
		stop := runWatcher(t, w)
		waitUntil(t, "a refused connection", func() bool { return w.Status().Reconnects > 0 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRunAndSyncOnceAreExclusive(t *testing.T) {
	ts := startServer(t, serverOpts{})
	w, _ := newTestWatcher(t, ts.addr, newRecorder(), nil)
	runWatcher(t, w)
	waitUntil(t, "IDLE", func() bool { return w.Status().Idling })
	if _, err := w.SyncOnce(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("SyncOnce during Run = %v", err)
	}
	if err := w.Run(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("second Run = %v", err)
	}
}

func TestPasswordNeverLogged(t *testing.T) {
	ts := startServer(t, serverOpts{})
	ts.append(t, "INBOX", testMessage(1, 0))

	// A wrong password first: the refusal is logged, the password is not.
	wrong := "Wrong-" + testPassword
	bad, badLogs := newTestWatcher(t, ts.addr, newRecorder(), func(o *Options) { o.Password = wrong })
	stopBad := runWatcher(t, bad)
	waitUntil(t, "a refused login", func() bool { return bad.Status().Reconnects > 0 })
	stopBad()

	rec := newRecorder()
	good, goodLogs := newTestWatcher(t, ts.addr, rec, nil)
	stop := runWatcher(t, good)
	rec.waitFor(t, 1)
	stop()

	all := badLogs.String() + goodLogs.String()
	if !strings.Contains(badLogs.String(), "log in") || !strings.Contains(goodLogs.String(), "imap connected") {
		t.Fatalf("logs miss the login failure or the connection:\n%s", all)
	}
	for _, secret := range []string{testPassword, wrong} {
		if strings.Contains(all, secret) {
			t.Errorf("password in logs:\n%s", all)
		}
		if strings.Contains(bad.Status().LastError, secret) {
			t.Errorf("password in status: %s", bad.Status().LastError)
		}
	}
}

func TestTLSModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  serverOpts
		mode TLSMode
	}{
		{"implicit", serverOpts{implicitTLS: true}, ImplicitTLS},
		{"starttls", serverOpts{startTLS: true}, StartTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.srv)
			ts.append(t, "INBOX", testMessage(1, 0))
			rec := newRecorder()
			w, _ := newTestWatcher(t, ts.addr, rec, func(o *Options) {
				o.TLS = tc.mode
				o.TLSConfig = ts.clientTLS
			})
			st, err := w.SyncOnce(context.Background())
			if err != nil || st.Fetched != 1 {
				t.Fatalf("%+v, %v", st, err)
			}
			// Inspect reports the certificate the server showed.
			in, err := w.Inspect(context.Background(), false)
			if err != nil || in.TLS == nil || len(in.TLS.PeerCertificates) == 0 || in.Auth != "LOGIN" {
				t.Fatalf("Inspect: %+v, %v", in, err)
			}
			if cn := in.TLS.PeerCertificates[0].Subject.CommonName; cn != "imap.test" {
				t.Fatalf("certificate subject %q, want imap.test", cn)
			}
		})
	}
	t.Run("starttls refused by server", func(t *testing.T) {
		ts := startServer(t, serverOpts{}) // no STARTTLS
		w, _ := newTestWatcher(t, ts.addr, newRecorder(), func(o *Options) { o.TLS = StartTLS })
		if _, err := w.SyncOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("SyncOnce = %v, want a STARTTLS error", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		ts := startServer(t, serverOpts{implicitTLS: true})
		w, _ := newTestWatcher(t, ts.addr, newRecorder(), func(o *Options) { o.TLS = ImplicitTLS })
		if _, err := w.SyncOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "TLS handshake") {
			t.Fatalf("SyncOnce = %v, want a certificate error", err)
		}
	})
}

// Recorded messages bound for the same folder are moved with one MOVE: a
// first sync of a full mailbox is not one round trip per message. Each
// folder has its own group, so each message lands where the Handler said.
func TestRecordedMessagesMovedTogether(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			p := startProxy(t, ts.addr)
			for i := 1; i <= 5; i++ {
				ts.append(t, "INBOX", testMessage(i, 0))
			}
			rec := newRecorder()
			rec.folder = func(m Message) string {
				if m.UID == 3 {
					return "review"
				}
				return "processed"
			}
			w, _ := newTestWatcher(t, p.addr(), rec, nil)
			st, err := w.SyncOnce(context.Background())
			if err != nil || st.Fetched != 5 || st.Filed != 5 {
				t.Fatalf("sync: %+v, %v", st, err)
			}
			wantMoves := 0
			if kind.move {
				wantMoves = 2 // 1, 2, 4 and 5; 3
			}
			if n := p.commands(" UID MOVE "); n != wantMoves {
				t.Errorf("%d UID MOVE commands, want %d", n, wantMoves)
			}
			want := map[string][]string{
				"processed": {"<reply-1@mfa.example>", "<reply-2@mfa.example>", "<reply-4@mfa.example>", "<reply-5@mfa.example>"},
				"review":    {"<reply-3@mfa.example>"},
			}
			for folder, ids := range want {
				got := messageIDs(ts.contents(t, folder))
				slices.Sort(got)
				if !slices.Equal(got, ids) {
					t.Errorf("%s holds %v, want %v", folder, got, ids)
				}
			}
			rec.assertOnce(t)
		})
	}
}
