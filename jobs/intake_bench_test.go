package jobs

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/internal/testenv"
	"outreach/mailer/inbox"
	"outreach/store"
)

// benchMailbox is how many replies BenchmarkDovecotFirstSync finds waiting;
// OUTREACH_BENCH_MAILBOX changes it for a quick run.
var benchMailbox = func() int {
	if n, err := strconv.Atoi(os.Getenv("OUTREACH_BENCH_MAILBOX")); err == nil && n > 0 {
		return n
	}
	return 10_000
}()

// intakeBench is a round whose 195 invitations went out (to a discarding
// sink), with a private Dovecot holding the organiser mailbox.
type intakeBench struct {
	e        *Engine
	d        *testenv.Dovecot
	missions []outreach.Mission
	sessions []outreach.Session
}

func newIntakeBench(b *testing.B) *intakeBench {
	b.Helper()
	d := testenv.StartDovecot(b, testenv.User{Name: organiserLogin, Password: organiserPassword})
	sink, err := smtptest.Listen("127.0.0.1:0", smtptest.Hooks{}, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Close() })
	// The engine's clock is the round's, so replies dated in the round are
	// neither early nor late; the latency is measured on the wall clock.
	e := benchEngine(b, b.TempDir(), 195, 2, sink.Addr, false, NewManualClock(roundStart))
	if _, err := e.Invite("", "bench"); err != nil {
		b.Fatal(err)
	}
	if rep, err := e.Flush(context.Background(), 0); err != nil || rep.Sent != 195 {
		b.Fatalf("flush: %+v, %v", rep, err)
	}
	ms, err := e.Missions()
	if err != nil {
		b.Fatal(err)
	}
	_, ss, err := directory.Round28()
	if err != nil {
		b.Fatal(err)
	}
	return &intakeBench{e: e, d: d, missions: ms, sessions: ss}
}

// reply is the i-th calendar answer: missions and sessions in turn, so
// later answers replace earlier ones for the same pair (DTSTAMP grows).
func (ib *intakeBench) reply(i int) (raw []byte, mission, session string, status outreach.Status) {
	m := ib.missions[i%len(ib.missions)]
	s := ib.sessions[(i/len(ib.missions))%len(ib.sessions)]
	partStat := [...]string{"ACCEPTED", "DECLINED", "TENTATIVE"}[i%3]
	status = [...]outreach.Status{outreach.Accepted, outreach.Declined, outreach.Tentative}[i%3]
	raw = outlookAnswer{
		from: m.Contacts[0].Email, name: m.Titles.EN, uid: ib.e.UID(m.ID, s.SuR),
		method: "REPLY", partStat: partStat, dtstamp: roundStart.Add(time.Duration(i+1) * time.Second),
		messageID: fmt.Sprintf("<bench.%d.%s.%s@mission.example>", i, m.ID, s.SuR),
	}.raw()
	return raw, m.ID, s.SuR, status
}

// fill puts n replies in the organiser's INBOX: written straight into its
// Maildir's new/ folder, as a delivery agent does, then read in by a
// SELECT, read and moved once (and back), so that Dovecot has indexed and
// cached them before anything is timed.
// (APPENDing them costs each APPEND a scan of new/, which at 50,000 takes
// most of an hour.) OUTREACH_BENCH_FILL=append appends them over four
// connections instead.
func (ib *intakeBench) fill(b *testing.B, n int) {
	b.Helper()
	if os.Getenv("OUTREACH_BENCH_FILL") == "append" {
		ib.appendAll(b, n)
		return
	}
	c := ib.d.Dial(b, organiserLogin)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil { // creates the Maildir
		b.Fatal(err)
	}
	if err := c.Logout().Wait(); err != nil {
		b.Fatal(err)
	}
	vmail, err := user.Lookup("vmail")
	if err != nil {
		b.Fatal(err)
	}
	uid, _ := strconv.Atoi(vmail.Uid)
	gid, _ := strconv.Atoi(vmail.Gid)
	dir := filepath.Join(ib.d.Dir, "mail", strings.ToLower(organiserLogin), "Maildir")
	for i := range n {
		raw, _, _, _ := ib.reply(i)
		name := fmt.Sprintf("%d.M%dP%d.bench,S=%d", 1_500_000_000+i, i, os.Getpid(), len(raw))
		tmp := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.Chown(tmp, uid, gid); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
			b.Fatal(err)
		}
	}
	c = ib.d.Dial(b, organiserLogin)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		b.Fatal(err)
	}
	if sel.NumMessages != uint32(n) {
		b.Fatalf("INBOX holds %d messages, want %d", sel.NumMessages, n)
	}
	if err := c.Create(bareFolder, nil).Wait(); err != nil {
		b.Fatal(err)
	}
	if err := c.Logout().Wait(); err != nil {
		b.Fatal(err)
	}
	// Read and move everything once and put it back, untimed: the first
	// pass over files a delivery agent wrote costs Dovecot about twice as
	// much (it reads each file and works out its size, and moves it from
	// new/ to cur/), and would fall on whichever loop reads first.
	bareSync(b, ib.d, benchWatcherBatch, benchWatcherBytes, benchWatcherMove)
	moveBack(b, ib.d)
}

// appendAll appends n replies to the organiser's INBOX over four
// connections.
func (ib *intakeBench) appendAll(b *testing.B, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		c := ib.d.Dial(b, organiserLogin)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				raw, _, _, _ := ib.reply(i)
				if err := appendRaw(c, raw); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

func appendRaw(c *imapclient.Client, raw []byte) error {
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

func benchWatcher(b *testing.B, addr string, h inbox.Handler) *inbox.Watcher {
	b.Helper()
	w, err := inbox.NewWatcher(inbox.Options{
		Addr: addr, TLS: inbox.Plain, Username: organiserLogin, Password: organiserPassword,
		Folders:        []string{intakeFolders.Processed, intakeFolders.Review, intakeFolders.Bounces},
		CommandTimeout: time.Minute,
	}, h)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

func (ib *intakeBench) rsvp(b *testing.B, mission, session string) outreach.RSVP {
	var r outreach.RSVP
	if err := ib.e.Store().View(func(tx *store.Tx) error {
		var err error
		r, err = tx.RSVP(mission, session)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkDovecotFirstSync: a private Dovecot (internal/testenv) holds
// 10,000 calendar replies in the organiser's INBOX, read twice per
// iteration:
//
//   - bare: go-imap v2's client alone (bareSync) logs in, lists the new
//     UIDs, FETCHes them in the Watcher's batches with the Watcher's items
//     (UID, RFC822.SIZE, INTERNALDATE and FLAGS, then UID and BODY.PEEK[])
//     and MOVEs what it read to a folder in the Watcher's MOVE groups,
//     without classifying or recording anything; the messages are then
//     moved back to INBOX;
//   - sync: `outreach inbox sync`'s path — the Watcher's SyncOnce handing
//     each fetched group to the engine's Intake, which classifies every
//     message and records the group with the checkpoint in the durable
//     store; the Watcher moves the recorded messages to processed, 1,000
//     at a time (or a tenth of the mailbox, when that is more).
//
// Reported: messages per second of both, sync/bare from the same
// iteration, the CPU time per message the benchmark process spent in each
// (the client side only: steadier than the rates on a shared machine),
// and the peak Go heap and process RSS during the sync, with the peaks of
// its anonymous part (the Go runtime's memory) and of its
// file-backed part (mostly the store's memory map), sampled every 10 ms
// (the Dovecot processes are not counted; the benchmark process holds only
// the client side).
//
//	go test -run '^$' -bench DovecotFirstSync -benchtime 1x -count 5 -timeout 30m ./jobs/
func BenchmarkDovecotFirstSync(b *testing.B) {
	var elapsed, bareElapsed, cpu, bareCPU time.Duration
	var heap, gosys, rss, anon, file uint64
	for range b.N {
		b.StopTimer()
		ib := newIntakeBench(b)
		ib.fill(b, benchMailbox)
		if os.Getenv("OUTREACH_BENCH_FILL") == "append" {
			c := ib.d.Dial(b, organiserLogin)
			if err := c.Create(bareFolder, nil).Wait(); err != nil {
				b.Fatal(err)
			}
			if err := c.Logout().Wait(); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start, startCPU := time.Now(), processCPU(b)
		if got := bareSync(b, ib.d, benchWatcherBatch, benchWatcherBytes, benchWatcherMove); got != benchMailbox {
			b.Fatalf("bare loop read %d messages", got)
		}
		bareElapsed += time.Since(start)
		bareCPU += processCPU(b) - startCPU
		b.StopTimer()
		moveBack(b, ib.d)

		in := ib.e.Intake("INBOX", intakeFolders)
		w := benchWatcher(b, ib.d.Addr, in)
		mem := startMemPeak()
		b.StartTimer()
		start, startCPU = time.Now(), processCPU(b)
		st, err := w.SyncOnce(context.Background())
		elapsed += time.Since(start)
		cpu += processCPU(b) - startCPU
		b.StopTimer()
		mem.finish()
		if err != nil || st.Fetched != benchMailbox || st.Filed != benchMailbox {
			b.Fatalf("sync: %+v, %v", st, err)
		}
		heap, rss = max(heap, mem.heap), max(rss, mem.rssPeak)
		gosys, anon, file = max(gosys, mem.sys), max(anon, mem.anon), max(file, mem.file)
		// The last answer of each pair is the one on record.
		for i := benchMailbox - 1; i >= max(0, benchMailbox-50); i-- {
			_, m, s, ps := ib.reply(i)
			if r := ib.rsvp(b, m, s); r.Source.MessageID != fmt.Sprintf("<bench.%d.%s.%s@mission.example>", i, m, s) || r.Status != ps {
				b.Fatalf("%s/%s on record: %+v, want reply %d (%s)", m, s, r, i, ps)
			}
		}
		if left := ib.d.Messages(b, organiserLogin, "INBOX"); len(left) != 0 {
			b.Fatalf("%d messages left in INBOX", len(left))
		}
	}
	bare := float64(benchMailbox*b.N) / bareElapsed.Seconds()
	sync := float64(benchMailbox*b.N) / elapsed.Seconds()
	b.ReportMetric(bare, "bare-msgs/s")
	b.ReportMetric(sync, "msgs/s")
	b.ReportMetric(sync/bare, "sync/bare")
	perMsg := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(benchMailbox*b.N) }
	b.ReportMetric(perMsg(bareCPU), "bare-cpu-us/msg")
	b.ReportMetric(perMsg(cpu), "sync-cpu-us/msg")
	b.ReportMetric(float64(heap)/mib, "peak-heap-MB")
	b.ReportMetric(float64(gosys)/mib, "peak-gosys-MB")
	b.ReportMetric(float64(rss)/mib, "peak-rss-MB")
	b.ReportMetric(float64(anon)/mib, "peak-rss-anon-MB")
	b.ReportMetric(float64(file)/mib, "peak-rss-file-MB")
}

// processCPU is the CPU time the benchmark process has used, user and
// system: unlike the rates it barely moves when other work shares the
// machine (the Dovecot processes are not counted).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareFolder is where bareSync moves what it read.
const bareFolder = "bare"

// The Watcher's batches (mailer/inbox: defaultBatchSize, defaultBatchBytes,
// defaultMoveGroup, moveShare): UIDs per metadata FETCH, bytes per body
// FETCH, and messages read per MOVE, or a tenth of the mailbox when that
// is more.
const (
	benchWatcherBatch = 50
	benchWatcherBytes = 16 << 20
	benchWatcherMove  = 1000
	benchMoveShare    = 10
)

// bareSync is BenchmarkDovecotFirstSync's baseline: it reads every message
// in INBOX as the Watcher does on the wire and moves it to bareFolder, one
// UID MOVE once moveGroup messages (or a tenth of the mailbox, when that is
// more) are read and one for the rest at the end, and returns how many it
// read. Bodies are read into memory, as the
// Watcher reads them, and dropped.
func bareSync(b *testing.B, d *testenv.Dovecot, batch int, batchBytes int64, moveGroup int) int {
	b.Helper()
	c := d.Dial(b, organiserLogin)
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{all}}, nil).Wait()
	if err != nil {
		b.Fatal(err)
	}
	uids := data.AllUIDs()
	moveGroup = max(moveGroup, len(uids)/benchMoveShare)
	read := 0
	var toMove imap.UIDSet
	nMove := 0
	for len(uids) > 0 {
		n := min(len(uids), batch)
		metas, err := c.Fetch(imap.UIDSetNum(uids[:n]...), &imap.FetchOptions{
			UID: true, RFC822Size: true, InternalDate: true, Flags: true,
		}).Collect()
		if err != nil {
			b.Fatal(err)
		}
		uids = uids[n:]
		slices.SortFunc(metas, func(x, y *imapclient.FetchMessageBuffer) int { return cmp.Compare(x.UID, y.UID) })
		for len(metas) > 0 {
			k, total := 0, int64(0)
			for k < len(metas) && (k == 0 || total+metas[k].RFC822Size <= batchBytes) {
				total += metas[k].RFC822Size
				k++
			}
			var set imap.UIDSet
			for _, m := range metas[:k] {
				set.AddNum(m.UID)
			}
			metas = metas[k:]
			cmd := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
			for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
				for item := msg.Next(); item != nil; item = msg.Next() {
					if body, ok := item.(imapclient.FetchItemDataBodySection); ok && body.Literal != nil {
						raw := make([]byte, body.Literal.Size())
						if _, err := io.ReadFull(body.Literal, raw); err != nil {
							b.Fatal(err)
						}
						read++
					}
				}
			}
			if err := cmd.Close(); err != nil {
				b.Fatal(err)
			}
			toMove.AddSet(set)
			nMove += k
			if nMove >= moveGroup {
				if _, err := c.Move(toMove, bareFolder).Wait(); err != nil {
					b.Fatal(err)
				}
				toMove, nMove = nil, 0
			}
		}
	}
	if nMove > 0 {
		if _, err := c.Move(toMove, bareFolder).Wait(); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Logout().Wait(); err != nil {
		b.Fatal(err)
	}
	return read
}

// moveBack puts the messages bareSync moved back in INBOX, unread.
func moveBack(b *testing.B, d *testenv.Dovecot) {
	b.Helper()
	c := d.Dial(b, organiserLogin)
	defer c.Close()
	if _, err := c.Select(bareFolder, nil).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Move(imap.SeqSet{{Start: 1, Stop: 0}}, "INBOX").Wait(); err != nil {
		b.Fatal(err)
	}
	if err := c.Logout().Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDovecotIdleLatency: with the daemon's Watcher idling on a
// private Dovecot, another client APPENDs a calendar reply; measured is the
// wall-clock time from the APPEND's start to the RSVP being in the store,
// 50 times per iteration. Reported: median, p90 and max in milliseconds,
// and the median of the two parts: APPEND to the message handed to the
// Intake (Dovecot's IDLE notice — it waits 500 ms to gather changes before
// telling an idling client, a constant compiled into Dovecot — and the
// FETCH), and handed to recorded (classify, record, fsync).
//
//	go test -run '^$' -bench DovecotIdleLatency -benchtime 1x ./jobs/
func BenchmarkDovecotIdleLatency(b *testing.B) {
	const rounds = 50
	var lat, notice, work []time.Duration
	for range b.N {
		b.StopTimer()
		ib := newIntakeBench(b)
		h := &timedIntake{Intake: ib.e.Intake("INBOX", intakeFolders)}
		w := benchWatcher(b, ib.d.Addr, h)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		appender := ib.d.Dial(b, organiserLogin)
		for i := range rounds {
			benchWait(b, "the watcher to idle", func() bool { return w.Status().Idling })
			// Let the IDLE settle, as between two real replies.
			time.Sleep(100 * time.Millisecond)
			raw, m, s, _ := ib.reply(i)
			want := fmt.Sprintf("<bench.%d.%s.%s@mission.example>", i, m, s)
			b.StartTimer()
			start := time.Now()
			if err := appendRaw(appender, raw); err != nil {
				b.Fatal(err)
			}
			benchWait(b, "the reply to be recorded", func() bool { return ib.rsvp(b, m, s).Source.MessageID == want })
			end := time.Now()
			b.StopTimer()
			lat = append(lat, end.Sub(start))
			notice = append(notice, h.handedAt().Sub(start))
			work = append(work, end.Sub(h.handedAt()))
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(lat)
	slices.Sort(notice)
	slices.Sort(work)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(notice[len(notice)/2]), "median-to-handed-ms")
	b.ReportMetric(ms(work[len(work)/2]), "median-handed-to-recorded-ms")
	b.ReportMetric(ms(lat[len(lat)/2]), "median-ms")
	b.ReportMetric(ms(lat[len(lat)*9/10]), "p90-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// timedIntake notes when the Watcher hands a message over: the split of
// the delay between the mail server's notice and outreach's own work.
type timedIntake struct {
	*Intake
	mu     sync.Mutex
	handed time.Time
}

func (h *timedIntake) Handle(ctx context.Context, msg inbox.Message) (string, error) {
	h.mu.Lock()
	h.handed = time.Now()
	h.mu.Unlock()
	return h.Intake.Handle(ctx, msg)
}

func (h *timedIntake) handedAt() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.handed
}

// benchWait polls cond every millisecond; the limit catches a hang.
func benchWait(b *testing.B, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
