package inbox

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// groupRecorder is a recorder that takes whole groups, as the engine's
// Intake does: each call records a prefix of the messages given, all or
// nothing, and notes how many it was given and how many it recorded.
type groupRecorder struct {
	*recorder
	gmu sync.Mutex
	// stopAfter, when set, ends a group after the message it names (as a
	// message that changes the directory does).
	stopAfter func(Message) bool
	// failGroup, when set, refuses a group holding the message it names;
	// nothing of the group is recorded.
	failGroup func(Message) bool
	sizes     [][2]int // per call: messages given, recorded
}

func (g *groupRecorder) HandleGroup(ctx context.Context, msgs []Message) ([]string, error) {
	if g.failGroup != nil && slices.ContainsFunc(msgs, g.failGroup) {
		g.note(len(msgs), 0)
		return nil, errors.New("group refused")
	}
	var folders []string
	for _, m := range msgs {
		f, err := g.Handle(ctx, m)
		if err != nil {
			// The test recorder cannot take back what it recorded: the
			// tests that use this make fail refuse the first message.
			return nil, err
		}
		folders = append(folders, f)
		if g.stopAfter != nil && g.stopAfter(m) {
			break
		}
	}
	g.note(len(msgs), len(folders))
	return folders, nil
}

func (g *groupRecorder) note(given, recorded int) {
	g.gmu.Lock()
	g.sizes = append(g.sizes, [2]int{given, recorded})
	g.gmu.Unlock()
}

// A Handler that takes groups gets each fetched group in one call, later
// groups while the earlier are filed; a group it ends early is continued
// in another call (a single message goes to Handle); every message is recorded once, in UID order, and filed
// where the Handler said.
func TestGroupHandlerGetsEachFetchedGroup(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			for i := 1; i <= 7; i++ {
				ts.append(t, "INBOX", testMessage(i, 0))
			}
			g := &groupRecorder{recorder: newRecorder()}
			g.folder = func(m Message) string {
				if m.UID == 4 {
					return "review"
				}
				return "processed"
			}
			g.stopAfter = func(m Message) bool { return m.UID == 5 }
			w, _ := newTestWatcher(t, ts.addr, g, nil)
			w.batchSize = 3
			st, err := w.SyncOnce(context.Background())
			if err != nil || st.Fetched != 7 || st.Filed != 7 || st.LastUID != 7 {
				t.Fatalf("sync: %+v, %v", st, err)
			}
			// Batches of 3 (1–3, 4–6, 7); the second ended after 5; a
			// single message left (6, then 7) goes to Handle.
			if want := [][2]int{{3, 3}, {3, 2}}; !slices.Equal(g.sizes, want) {
				t.Errorf("groups handed over (given, recorded): %v, want %v", g.sizes, want)
			}
			var uids []uint32
			for _, m := range g.messages() {
				uids = append(uids, m.UID)
			}
			if !slices.Equal(uids, []uint32{1, 2, 3, 4, 5, 6, 7}) {
				t.Errorf("recorded in the order %v", uids)
			}
			if ids := messageIDs(ts.contents(t, "review")); !slices.Equal(ids, []string{"<reply-4@mfa.example>"}) {
				t.Errorf("review holds %v", ids)
			}
			if ids := messageIDs(ts.contents(t, "processed")); len(ids) != 6 {
				t.Errorf("processed holds %v, want the 6 others", ids)
			}
			g.assertOnce(t)
		})
	}
}

// A group the Handler refuses is handed over message by message: those
// before the one at fault are recorded and filed, the sync stops at it,
// and the next sync starts from it.
func TestGroupRefusedIsHandedOverOneByOne(t *testing.T) {
	ts := startServer(t, serverOpts{})
	for i := 1; i <= 4; i++ {
		ts.append(t, "INBOX", testMessage(i, 0))
	}
	g := &groupRecorder{recorder: newRecorder()}
	g.folder = func(Message) string { return "processed" }
	g.failGroup = func(m Message) bool { return m.UID == 3 }
	broken := true
	g.fail = func(m Message) error {
		if m.UID == 3 && broken {
			return errors.New("cannot record message 3")
		}
		return nil
	}
	w, _ := newTestWatcher(t, ts.addr, g, nil)
	st, err := w.SyncOnce(context.Background())
	if err == nil || st.Fetched != 2 || st.Filed != 2 || st.LastUID != 2 {
		t.Fatalf("sync: %+v, %v; want messages 1 and 2 recorded and filed, then the error", st, err)
	}
	broken = false
	g.failGroup = nil
	st, err = w.SyncOnce(context.Background())
	if err != nil || st.Fetched != 2 || st.Filed != 2 || st.LastUID != 4 {
		t.Fatalf("second sync: %+v, %v", st, err)
	}
	wantHeld(t, ts, "processed", 4)
	g.assertOnce(t)
}

// A crash after a group was recorded and before it was filed: the next
// process files every message of it where the Handler first said, and
// records nothing twice.
func TestGroupRecordedThenCrashFilesOnRestart(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{caps: kind.caps})
			p := startProxy(t, ts.addr)
			ts.append(t, "INBOX", testMessage(1, 0), testMessage(2, 0), testMessage(3, 0))
			g := &groupRecorder{recorder: newRecorder()}
			g.folder = func(m Message) string {
				if m.UID == 2 {
					return "review"
				}
				return "processed"
			}
			g.after = func(m Message) {
				if m.UID == 3 {
					p.cutAll() // the process dies before filing
				}
			}
			w1, _ := newTestWatcher(t, p.addr(), g, nil)
			if _, err := w1.SyncOnce(context.Background()); err == nil {
				t.Fatal("SyncOnce survived a cut connection")
			}
			g.after = nil
			w2, _ := newTestWatcher(t, p.addr(), g, nil)
			st, err := w2.SyncOnce(context.Background())
			if err != nil || st.Fetched != 0 || st.Refiled != 3 || st.LastUID != 3 {
				t.Fatalf("after restart: %+v, %v; want the 3 recorded messages filed", st, err)
			}
			if len(g.recorded) != 3 || !askedAgain(g.repeats, []string{"<reply-1@mfa.example>", "<reply-2@mfa.example>", "<reply-3@mfa.example>"}) {
				t.Errorf("recorded %v, repeats %v", g.recorded, g.repeats)
			}
			if ids := messageIDs(ts.contents(t, "review")); !slices.Equal(ids, []string{"<reply-2@mfa.example>"}) {
				t.Errorf("review holds %v", ids)
			}
			if ids := messageIDs(ts.contents(t, "processed")); len(ids) != 2 {
				t.Errorf("processed holds %v", ids)
			}
			if ids := messageIDs(ts.contents(t, "INBOX")); kind.move && len(ids) != 0 {
				t.Errorf("INBOX still holds %v", ids)
			}
		})
	}
}

// Recorded messages wait to be moved until their folder has moveGroup of
// them, across fetched groups; what is left is moved once the mailbox is
// read, a MOVE a folder.
func TestRecordedMessagesMovedInGroupsOfMoveGroup(t *testing.T) {
	ts, p := proxiedInbox(t, 12)
	g := &groupRecorder{recorder: newRecorder()}
	g.folder = func(m Message) string {
		if m.UID == 7 {
			return "review"
		}
		return "processed"
	}
	w, _ := newTestWatcher(t, p.addr(), g, nil)
	w.batchSize, w.moveGroup = 3, 5
	st, err := w.SyncOnce(context.Background())
	if err != nil || st.Fetched != 12 || st.Filed != 12 || st.LastUID != 12 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	// Fetched in groups of 3; processed moved at 5 and 10 of its own,
	// then review's one and processed's last.
	want := []string{`1:5 "processed"`, `6,8:11 "processed"`, `7 "review"`, `12 "processed"`}
	if got := p.commandArgs(" UID MOVE "); !slices.Equal(got, want) {
		t.Errorf("UID MOVE commands %q, want %q", got, want)
	}
	wantHeld(t, ts, "processed", 11)
	wantHeld(t, ts, "INBOX", 0)
	g.assertOnce(t)
}

// The process dies as it files the first group of moveGroup recorded
// messages: the next process finds every recorded message unfiled, files
// each where the Handler said the first time, records nothing twice, and
// reads on.
func TestCrashBeforeMovingRecordedGroupsFilesOnRestart(t *testing.T) {
	ts, p := proxiedInbox(t, 12)
	g := &groupRecorder{recorder: newRecorder()}
	g.folder = func(m Message) string {
		if m.UID == 2 {
			return "review"
		}
		return "processed"
	}
	p.cutWhenClientSends(" UID MOVE ")
	w1, _ := newTestWatcher(t, p.addr(), g, nil)
	w1.batchSize, w1.moveGroup = 3, 5
	if _, err := w1.SyncOnce(context.Background()); err == nil {
		t.Fatal("SyncOnce survived a cut connection")
	}
	// Processed has 5 waiting at message 6, filed once 7–9 are handed
	// over: its MOVE is cut. 10–12 are not handed over.
	if n := len(g.messages()); n != 9 {
		t.Fatalf("%d messages recorded before the cut, want 9", n)
	}
	if ids := messageIDs(ts.contents(t, "INBOX")); len(ids) != 12 {
		t.Fatalf("INBOX holds %d messages after the cut, want all 12", len(ids))
	}

	w2, logs := newTestWatcher(t, p.addr(), g, nil) // the restarted process
	w2.batchSize, w2.moveGroup = 3, 5
	st, err := w2.SyncOnce(context.Background())
	if err != nil || st.Refiled != 9 || st.Fetched != 3 || st.Filed != 3 || st.LastUID != 12 {
		t.Fatalf("after restart: %+v, %v; want 9 refiled, 10–12 read and filed", st, err)
	}
	if !strings.Contains(logs.String(), "recorded messages found unfiled") {
		t.Errorf("the late filing is not logged:\n%s", logs)
	}
	var again []string
	for i := 1; i <= 9; i++ {
		again = append(again, messageID(testMessage(i, 0)))
	}
	if len(g.recorded) != 12 || !askedAgain(g.repeats, again) {
		t.Errorf("recorded %v, repeats %v: want 12 recorded once, 1–9 asked again once", g.recorded, g.repeats)
	}
	if ids := messageIDs(ts.contents(t, "review")); !slices.Equal(ids, []string{"<reply-2@mfa.example>"}) {
		t.Errorf("review holds %v", ids)
	}
	wantHeld(t, ts, "processed", 11)
	wantHeld(t, ts, "INBOX", 0)
}

// A sync cancelled between recording and filing files nothing it did not
// record: the cancel closes the connection as a command runs, so what was
// recorded is filed then or, kept for the next connection, by the next
// sync, which reads the rest; nothing is handed over twice.
func TestCancelledSyncLosesNothingRecorded(t *testing.T) {
	ts, p := proxiedInbox(t, 9)
	g := &groupRecorder{recorder: newRecorder()}
	g.folder = toFolder("processed")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g.after = func(m Message) {
		if m.UID == 4 {
			cancel()
		}
	}
	w, _ := newTestWatcher(t, p.addr(), g, nil)
	w.batchSize, w.moveGroup = 3, 100
	st, err := w.SyncOnce(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SyncOnce = %+v, %v; want it cancelled", st, err)
	}
	// The Handler took 4–6 as one group; 7–9 were not handed over.
	if n := len(g.messages()); n != 6 || st.Fetched != 6 || st.LastUID != 6 {
		t.Fatalf("cancelled sync: %+v, %d recorded; want 6", st, n)
	}
	for _, id := range messageIDs(ts.contents(t, "processed")) {
		if _, ok := g.recorded[id]; !ok {
			t.Errorf("%s filed, never recorded", id)
		}
	}
	g.after = nil
	st, err = w.SyncOnce(context.Background())
	if err != nil || st.Fetched != 3 || st.Filed != 3 || st.LastUID != 9 {
		t.Fatalf("next sync: %+v, %v", st, err)
	}
	wantHeld(t, ts, "processed", 9)
	wantHeld(t, ts, "INBOX", 0)
	g.assertOnce(t)
}

// A sync that finds many messages moves at least a tenth of them at once:
// on a Maildir server each MOVE costs in proportion to the mailbox.
func TestMoveGroupGrowsWithTheBacklog(t *testing.T) {
	_, p := proxiedInbox(t, 40)
	g := &groupRecorder{recorder: newRecorder()}
	g.folder = toFolder("processed")
	w, _ := newTestWatcher(t, p.addr(), g, nil)
	w.batchSize, w.moveGroup = 5, 2
	st, err := w.SyncOnce(context.Background())
	if err != nil || st.Fetched != 40 || st.Filed != 40 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	if got := p.commandArgs(" UID MOVE "); len(got) != 10 || got[0] != `1:4 "processed"` {
		t.Errorf("UID MOVE commands %q, want 10 of 4 messages", got)
	}
	g.assertOnce(t)
}

// proxiedInbox starts a server whose INBOX holds test messages 1 to n, and
// a proxy in front of it that records the commands and can cut the
// connection.
func proxiedInbox(t *testing.T, n int) (*testServer, *faultProxy) {
	t.Helper()
	ts := startServer(t, serverOpts{})
	p := startProxy(t, ts.addr)
	for i := 1; i <= n; i++ {
		ts.append(t, "INBOX", testMessage(i, 0))
	}
	return ts, p
}

// wantHeld checks that mailbox holds n messages.
func wantHeld(t *testing.T, ts *testServer, mailbox string, n int) {
	t.Helper()
	if ids := messageIDs(ts.contents(t, mailbox)); len(ids) != n {
		t.Errorf("%s holds %v, want %d", mailbox, ids, n)
	}
}

// preparingRecorder is a groupRecorder that notes the groups it is given
// to prepare, and what it had been handed by then.
type preparingRecorder struct {
	*groupRecorder
	pmu      sync.Mutex
	prepared [][]uint32 // per call: the UIDs given
	handed   []int      // per call: messages recorded by then
}

func (p *preparingRecorder) PrepareGroup(ctx context.Context, msgs []Message) {
	var uids []uint32
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	n := len(p.messages())
	p.pmu.Lock()
	p.prepared = append(p.prepared, uids)
	p.handed = append(p.handed, n)
	p.pmu.Unlock()
}

// A GroupPreparer is given each fetched group, whole and with its bodies,
// before the group is handed over, and none twice.
func TestGroupPreparerGetsEachGroupFirst(t *testing.T) {
	ts := startServer(t, serverOpts{})
	for i := 1; i <= 7; i++ {
		ts.append(t, "INBOX", testMessage(i, 0))
	}
	p := &preparingRecorder{groupRecorder: &groupRecorder{recorder: newRecorder()}}
	p.folder = func(Message) string { return "processed" }
	w, _ := newTestWatcher(t, ts.addr, p, nil)
	w.batchSize = 3
	st, err := w.SyncOnce(context.Background())
	if err != nil || st.Fetched != 7 || st.Filed != 7 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	want := [][]uint32{{1, 2, 3}, {4, 5, 6}, {7}}
	if !slices.EqualFunc(p.prepared, want, slices.Equal) {
		t.Fatalf("groups prepared: %v, want %v", p.prepared, want)
	}
	for i, n := range p.handed {
		if first := int(want[i][0]); n >= first {
			t.Errorf("group %v prepared after %d messages were recorded", want[i], n)
		}
	}
	for _, m := range p.messages() {
		if len(m.Raw) == 0 {
			t.Errorf("message %d handed over without its body", m.UID)
		}
	}
	p.assertOnce(t)
}
