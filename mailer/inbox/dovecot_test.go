package inbox

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"outreach/internal/testenv"
)

// dovecotFlags returns the flags of every message in mailbox, by UID.
func dovecotFlags(t *testing.T, d *testenv.Dovecot, mailbox string) map[imap.UID][]imap.Flag {
	t.Helper()
	c := d.Dial(t, testUser)
	defer func() { c.Logout().Wait() }()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[imap.UID][]imap.Flag)
	if sel.NumMessages == 0 {
		return out
	}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bufs {
		out[b.UID] = b.Flags
	}
	return out
}

// A reply delivered to Dovecot while the watcher idles is handed over and
// filed to processed: moved when Dovecot offers MOVE, copied and flagged
// when it does not.
func TestDovecotAppendIsHandledAndFiled(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop []string
	}{
		{"move", nil},
		{"nomove", []string{"MOVE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testenv.StartDovecotWith(t, testenv.DovecotOptions{DropCaps: tc.drop},
				testenv.User{Name: testUser, Password: testPassword})
			rec := newRecorder()
			rec.folder = toFolder("processed")
			w, logs := newTestWatcher(t, d.Addr, rec, func(o *Options) { o.IdleRestart = 10 * time.Minute })
			stop := runWatcher(t, w)
			waitUntil(t, "IDLE", func() bool { return w.Status().Idling })

			raw := testMessage(1, 3000)
			uid := d.Append(t, testUser, "INBOX", raw)
			rec.waitFor(t, 1)
			got := rec.messages()[0]
			if got.UID != uint32(uid) || !bytes.Equal(got.Raw, raw) {
				t.Errorf("handled uid %d (appended %d), raw intact %v", got.UID, uid, bytes.Equal(got.Raw, raw))
			}

			processed := d.WaitMessages(t, testUser, "processed", 1)
			if len(processed) != 1 || !bytes.Equal(processed[0].Raw, raw) {
				t.Errorf("processed holds %d messages", len(processed))
			}
			inbox := dovecotFlags(t, d, "INBOX")
			if tc.drop == nil {
				if len(inbox) != 0 {
					t.Errorf("INBOX still holds %v after MOVE", inbox)
				}
			} else {
				flags, ok := inbox[uid]
				if !ok || !slices.Contains(flags, imap.FlagSeen) || slices.Contains(flags, imap.FlagDeleted) ||
					!slices.ContainsFunc(flags, func(f imap.Flag) bool { return strings.EqualFold(string(f), FiledKeyword) }) {
					t.Errorf("INBOX uid %d flags %v, want \\Seen and %s, never \\Deleted", uid, flags, FiledKeyword)
				}
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if want := `move=` + map[bool]string{true: "true", false: "false"}[tc.drop == nil]; !strings.Contains(logs.String(), want) {
				t.Errorf("log does not say %s:\n%s", want, logs)
			}
		})
	}
}

// Dovecot restarts while the watcher idles: Run reconnects, and mail
// delivered after the restart is handled; nothing is handed over twice.
func TestDovecotRestartDuringIdle(t *testing.T) {
	d := testenv.StartDovecot(t, testenv.User{Name: testUser, Password: testPassword})
	rec := newRecorder()
	rec.folder = toFolder("processed")
	w, _ := newTestWatcher(t, d.Addr, rec, func(o *Options) {
		o.IdleRestart = 10 * time.Minute
		o.Backoff = func(int) time.Duration { return 100 * time.Millisecond }
	})
	runWatcher(t, w)
	waitUntil(t, "IDLE", func() bool { return w.Status().Idling })
	d.Append(t, testUser, "INBOX", testMessage(1, 0))
	rec.waitFor(t, 1)
	waitUntil(t, "IDLE", func() bool { return w.Status().Idling })

	d.Restart(t)
	waitUntil(t, "reconnection", func() bool { return w.Status().Reconnects > 0 && w.Status().Idling })
	d.Append(t, testUser, "INBOX", testMessage(2, 0))
	rec.waitFor(t, 2)

	rec.assertOnce(t)
	if got := rec.messages(); got[0].UIDValidity != got[1].UIDValidity {
		t.Errorf("UIDVALIDITY changed across the restart: %d → %d", got[0].UIDValidity, got[1].UIDValidity)
	}
	d.WaitMessages(t, testUser, "processed", 2)
}

// Against Dovecot, the process dies after the Handler recorded a message
// and before it was filed; Dovecot restarts too. The restarted watcher files
// the message where the Handler first said, records nothing twice, and
// reads on.
func TestDovecotCrashBeforeFilingFilesOnRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop []string
	}{
		{"move", nil},
		{"nomove", []string{"MOVE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testenv.StartDovecotWith(t, testenv.DovecotOptions{DropCaps: tc.drop},
				testenv.User{Name: testUser, Password: testPassword})
			for i := 1; i <= 3; i++ {
				d.Append(t, testUser, "INBOX", testMessage(i, 0))
			}
			p := startProxy(t, d.Addr)
			rec := newRecorder()
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
			d.Restart(t)

			w2, _ := newTestWatcher(t, p.addr(), rec, nil)
			st, err := w2.SyncOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			unfiled, read := unfiledAtCut(tc.drop == nil)
			if st.UIDValidityChanged || st.Fetched != read || st.Refiled != len(unfiled) || st.LastUID != 3 {
				t.Errorf("after restart: %+v, want %d read and %v filed", st, read, unfiled)
			}
			if len(rec.recorded) != 3 || !askedAgain(rec.repeats, unfiled) {
				t.Errorf("recorded %v, repeats %v: want each recorded once, %v asked again", rec.recorded, rec.repeats, unfiled)
			}
			ids := func(mailbox string) []string {
				var out []string
				for _, m := range d.Messages(t, testUser, mailbox) {
					out = append(out, messageID(m.Raw))
				}
				slices.Sort(out)
				return out
			}
			if got := ids("review"); !slices.Equal(got, []string{"<reply-2@mfa.example>"}) {
				t.Errorf("review holds %v", got)
			}
			if got := ids("processed"); !slices.Equal(got, []string{"<reply-1@mfa.example>", "<reply-3@mfa.example>"}) {
				t.Errorf("processed holds %v", got)
			}
			inbox := dovecotFlags(t, d, "INBOX")
			if tc.drop == nil && len(inbox) != 0 {
				t.Errorf("INBOX still holds %v", inbox)
			}
			for uid, flags := range inbox {
				if tc.drop == nil || !slices.Contains(flags, imap.FlagSeen) || slices.Contains(flags, imap.FlagDeleted) ||
					!slices.ContainsFunc(flags, func(f imap.Flag) bool { return strings.EqualFold(string(f), FiledKeyword) }) {
					t.Errorf("INBOX uid %d flags %v, want \\Seen and %s, never \\Deleted", uid, flags, FiledKeyword)
				}
			}

			// A third run finds nothing to read or file.
			calls := len(rec.messages())
			w3, _ := newTestWatcher(t, p.addr(), rec, nil)
			if st, err := w3.SyncOnce(context.Background()); err != nil || st.Fetched != 0 || st.Refiled != 0 || len(rec.messages()) != calls {
				t.Errorf("third sync: %+v, %v", st, err)
			}
		})
	}
}

// BenchmarkDovecotIdleLatency is BenchmarkIdleLatency against Dovecot.
func BenchmarkDovecotIdleLatency(b *testing.B) {
	d := testenv.StartDovecot(b, testenv.User{Name: testUser, Password: testPassword})
	rec := newRecorder()
	rec.folder = toFolder("processed")
	w, _ := newTestWatcher(b, d.Addr, rec, nil)
	runWatcher(b, w)
	appender := d.Dial(b, testUser)
	raw := testMessage(1, 2000)

	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		waitUntil(b, "IDLE", func() bool { return w.Status().Idling })
		b.StartTimer()
		start := time.Now()
		appendMsg(b, appender, "INBOX", raw)
		<-rec.got
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/append-to-handle")
}

// BenchmarkDovecotSyncNothingNew measures a SyncOnce that finds nothing to
// do (connect, look for recorded messages left unfiled, look for new ones,
// log out) on a Dovecot mailbox without MOVE, where every original stays in
// INBOX: 5,000 messages, all recorded and filed.
func BenchmarkDovecotSyncNothingNew(b *testing.B) {
	const n = 5000
	d := testenv.StartDovecotWith(b, testenv.DovecotOptions{DropCaps: []string{"MOVE"}},
		testenv.User{Name: testUser, Password: testPassword})
	c := d.Dial(b, testUser)
	raw := testMessage(1, 2000)
	for range n {
		appendMsg(b, c, "INBOX", raw)
	}
	c.Logout().Wait()
	rec := newRecorder()
	rec.got = nil
	rec.folder = toFolder("processed")
	w, _ := newTestWatcher(b, d.Addr, rec, nil)
	if st, err := w.SyncOnce(context.Background()); err != nil || st.Filed != n {
		b.Fatalf("first sync: %+v, %v", st, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := w.SyncOnce(context.Background())
		if err != nil || st.Fetched != 0 || st.Refiled != 0 {
			b.Fatalf("%+v, %v", st, err)
		}
	}
}
