package jobs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/wneessen/go-mail/smtp"

	"outreach"
	"outreach/directory"
	"outreach/internal/smtptest"
	"outreach/mailer"
	"outreach/store"
	"outreach/templates"
)

// benchInvitations is how many invitations BenchmarkInvitations sends per
// iteration: 10,000, the daily limit of a Microsoft 365 mailbox.
// OUTREACH_BENCH_INVITATIONS changes it for a quick run.
var benchInvitations = func() int {
	if n, err := strconv.Atoi(os.Getenv("OUTREACH_BENCH_INVITATIONS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}()

// syntheticMissions returns n missions: the 195 of the directory, then
// copies of them under unused three-letter ids (any A–Z triple passes
// Mission.Validate), each with its own addresses and domain, so that every
// invitation is a distinct message with 14 calendar attachments.
func syntheticMissions(tb testing.TB, n int) []outreach.Mission {
	tb.Helper()
	real, err := directory.Missions()
	if err != nil {
		tb.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range real {
		used[m.ID] = true
	}
	out := make([]outreach.Mission, 0, n)
	out = append(out, real[:min(n, len(real))]...)
	next := 0
	for i := 0; len(out) < n; i++ {
		var id string
		for {
			id = string([]byte{byte('A' + next/676), byte('A' + next/26%26), byte('A' + next%26)})
			next++
			if !used[id] {
				break
			}
		}
		if next > 26*26*26 {
			tb.Fatalf("only %d three-letter ids", len(out))
		}
		m := real[i%len(real)]
		dom := strings.ToLower(id) + ".mission.example"
		m.ID = id
		m.Domains = []string{dom}
		m.Contacts = nil
		for j, c := range real[i%len(real)].Contacts {
			local := c.Email[:strings.IndexByte(c.Email, '@')]
			m.Contacts = append(m.Contacts, outreach.Contact{Email: fmt.Sprintf("%s%d@%s", local, j, dom)})
		}
		out = append(out, m)
	}
	return out
}

// benchEngine opens a durable store (fsync on every commit, as in
// production) with n missions and the 14 sessions of the 28th round, and
// an engine (noSync skips fsync, to show what durability costs) sending over conns connections to addr with no throttle: the
// production default (30 a minute, 10,000 a day) would make the run last
// days, and is lifted here to measure what the outbox itself costs.
func benchEngine(tb testing.TB, dir string, n, conns int, addr string, noSync bool, clock Clock) *Engine {
	tb.Helper()
	ev, ss, err := directory.Round28()
	if err != nil {
		tb.Fatal(err)
	}
	if clock == nil {
		clock = RealClock{}
	}
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{NoSync: noSync, Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	set, err := templates.Load("")
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	sender, err := mailer.New(mailer.Options{Host: host, Port: p, TLS: mailer.Plain, Timeout: 30 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	e := New(Options{Store: st, Event: ev, Clock: clock, Templates: set, Sender: sender, Connections: conns, Limits: Limits{}})
	if _, err := e.ImportMissions(syntheticMissions(tb, n), "bench"); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.ImportSessions(ss, "bench"); err != nil {
		tb.Fatal(err)
	}
	return e
}

// preRendered is one message rendered ahead of time for the baseline.
type preRendered struct {
	path    string
	stuffed string // the content dot-stuffed, with the end of data
	from    string
	to      []string
}

// preRender writes every mission's invitation, as the outbox would send
// it, to a file: the baseline then pays only for reading and sending.
func preRender(tb testing.TB, e *Engine, dir string) []preRendered {
	tb.Helper()
	ms, err := e.Missions()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]preRendered, 0, len(ms))
	var buf bytes.Buffer
	for i, m := range ms {
		msg, err := e.Preview(outreach.Invitation, m.ID, "")
		if err != nil {
			tb.Fatal(err)
		}
		buf.Reset()
		if _, err := msg.WriteTo(&buf); err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%05d.eml", i))
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			tb.Fatal(err)
		}
		ps := filepath.Join(dir, fmt.Sprintf("%05d.stuffed", i))
		if err := os.WriteFile(ps, dotStuff(buf.Bytes()), 0o600); err != nil {
			tb.Fatal(err)
		}
		from := msg.EnvelopeFrom
		if from == "" {
			from = msg.From.Email
		}
		to := make([]string, len(msg.To))
		for j, a := range msg.To {
			to[j] = a.Email
		}
		out = append(out, preRendered{path: p, stuffed: ps, from: from, to: to})
	}
	return out
}

// sendBare is the first baseline: go-mail's SMTP client, one goroutine per
// connection, sending n of the pre-rendered messages (in turn) with MAIL,
// RCPT and DATA and nothing else — no store, no rendering, no retries.
// Each command waits for its reply, and go-mail writes the content through
// net/textproto's dot-writer, byte by byte.
func sendBare(tb testing.TB, addr string, conns, n int, msgs []preRendered) {
	tb.Helper()
	onConnections(tb, "bare loop", conns, func(next *atomic.Int64) error { return bareLoop(addr, n, msgs, next) })
}

// onConnections runs loop on conns goroutines at once, sharing next (the
// index of the next message to send), and fails tb with the first error.
func onConnections(tb testing.TB, what string, conns int, loop func(next *atomic.Int64) error) {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- loop(&next)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
	}
}

// bareLoop is one connection of sendBare.
func bareLoop(addr string, n int, msgs []preRendered, next *atomic.Int64) error {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("bench.example"); err != nil {
		return err
	}
	for {
		i := int(next.Add(1)) - 1
		if i >= n {
			return c.Quit()
		}
		m := msgs[i%len(msgs)]
		data, err := os.ReadFile(m.path)
		if err == nil {
			err = c.Mail("<" + m.from + ">")
		}
		for _, r := range m.to {
			if err == nil {
				err = c.Rcpt("<" + r + ">")
			}
		}
		var w interface {
			Write([]byte) (int, error)
			Close() error
		}
		if err == nil {
			w, err = c.Data()
		}
		if err == nil {
			_, err = w.Write(data)
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
}

// memPeak samples the Go heap while a run lasts and reads the process's
// peak resident set (VmHWM, reset through /proc/self/clear_refs) at the end.
type memPeak struct {
	stop    chan struct{}
	done    chan struct{}
	heap    uint64 // peak HeapInuse
	sys     uint64 // peak Sys (all memory the runtime holds)
	rssOK   bool
	rssPeak uint64
	// anon and file are the peaks of the resident set's anonymous part
	// (the Go heap, stacks, buffers) and its file-backed part (mostly the
	// store's memory map), sampled with the heap.
	anon, file uint64
}

func startMemPeak() *memPeak {
	runtime.GC()
	debug.FreeOSMemory()
	p := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	// "5" resets the peak RSS to the current RSS (Linux ≥ 4.0).
	p.rssOK = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	go func() {
		defer close(p.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		// runtime/metrics, not runtime.ReadMemStats: ReadMemStats stops
		// the world, and a hundred pauses a second would slow the outbox
		// (sampled) against the raw and bare loops (not sampled).
		ms := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/unused:bytes"}, // with objects: HeapInuse
			{Name: "/memory/classes/total:bytes"},       // Sys
		}
		for {
			metrics.Read(ms)
			p.heap = max(p.heap, ms[0].Value.Uint64()+ms[1].Value.Uint64())
			p.sys = max(p.sys, ms[2].Value.Uint64())
			if anon, file, ok := rssParts(); ok {
				p.anon, p.file = max(p.anon, anon), max(p.file, file)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *memPeak) finish() {
	close(p.stop)
	<-p.done
	if !p.rssOK {
		return
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		p.rssOK = false
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			p.rssPeak = kb << 10
			return
		}
	}
	p.rssOK = false
}

// rssParts reads the resident set's anonymous and file-backed parts from
// /proc/self/status.
func rssParts() (anon, file uint64, ok bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "RssAnon:":
			anon = kb << 10
		case "RssFile:":
			file = kb << 10
		}
	}
	return anon, file, true
}

const mib = 1 << 20

// profileOutbox writes a CPU profile of the outbox run alone (not the
// set-up, not the bare loop) to $OUTREACH_BENCH_CPUPROFILE, and an
// execution trace of it to $OUTREACH_BENCH_TRACE, when they are set.
func profileOutbox(tb testing.TB) (stop func()) {
	var stops []func()
	if path := os.Getenv("OUTREACH_BENCH_CPUPROFILE"); path != "" {
		f := createFile(tb, path)
		if err := pprof.StartCPUProfile(f); err != nil {
			tb.Fatal(err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if path := os.Getenv("OUTREACH_BENCH_TRACE"); path != "" {
		f := createFile(tb, path)
		if err := trace.Start(f); err != nil {
			tb.Fatal(err)
		}
		stops = append(stops, func() { trace.Stop(); f.Close() })
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

func createFile(tb testing.TB, path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkInvitations sends 10,000 invitations, each with its text and
// HTML parts and 14 .ics attachments, to a go-smtp sink on loopback, three
// times per iteration over the same number of connections:
//
//   - bare: go-mail's SMTP client sends the same invitations rendered
//     beforehand (read from files), nothing else (sendBare);
//   - raw: the protocol's own limit, MAIL/RCPT/DATA pipelined and the
//     content written dot-stuffed in one block (sendRaw);
//   - outbox: jobs.Engine.Flush, the real path: messages claimed in
//     batches in durable (fsynced) bbolt transactions, composed from the
//     store and templates, rendered by mailer, sent, each delivery written
//     to the send journal before the next end of data, the outcomes
//     recorded in the store with the next claim.
//
// Reported: msgs/s of each, outbox/raw and outbox/bare from the same
// iteration, and for the outbox run the peak Go heap in use and the
// process's peak RSS. The sink runs in a process of its own, as a mail
// server would: its buffers and its garbage collection are not the
// outbox's (it shares the machine's cores with every run alike).
//
// With OUTREACH_BENCH_INVITATIONS above the number of three-letter mission
// ids (17,576, or OUTREACH_BENCH_MISSIONS), every mission gets its invitation and further invitations
// are queued under other keys (InvitationCopies), composed alike; the
// baselines send the pre-rendered invitations in turn.
//
// The nosync case opens the store without fsync: not a production setting,
// it shows how much of the gap is the disk's commit latency.
//
//	go test -run '^$' -bench 'Invitations/conns=[14]' -skip 'Invitations/conns=4/nosync' -benchtime 1x -count 5 -timeout 120m ./jobs/
func BenchmarkInvitations(b *testing.B) {
	for _, tc := range []struct {
		conns  int
		noSync bool
	}{{1, false}, {4, false}, {4, true}} {
		name := fmt.Sprintf("conns=%d", tc.conns)
		if tc.noSync {
			name += "/nosync"
		}
		conns := tc.conns
		b.Run(name, func(b *testing.B) {
			var bareTime, rawTime, outboxTime time.Duration
			var bareCPU, rawCPU, outboxCPU cpuSpent
			var heapPeak, sysPeak, rssPeak, anonPeak, filePeak uint64
			rssOK := true
			var size int64
			n := benchInvitations
			for range b.N {
				b.StopTimer()
				sink := startBenchSink(b)
				dir := b.TempDir()
				e := benchEngine(b, dir, min(n, maxMissionIDs), conns, sink.Addr, tc.noSync, nil)
				emlDir := filepath.Join(dir, "eml")
				if err := os.Mkdir(emlDir, 0o700); err != nil {
					b.Fatal(err)
				}
				pre := preRender(b, e, emlDir)
				if fi, err := os.Stat(pre[0].path); err == nil {
					size = fi.Size()
				}
				queueInvitations(b, e, n)

				b.StartTimer()
				start := time.Now()
				c := sink.measureCPU(func() { sendBare(b, sink.Addr, conns, n, pre) })
				bareTime += time.Since(start)
				b.StopTimer()
				bareCPU.add(c)
				if got := sink.Count(); got != n {
					b.Fatalf("sink received %d messages from the bare loop", got)
				}

				b.StartTimer()
				start = time.Now()
				c = sink.measureCPU(func() { sendRaw(b, sink.Addr, conns, n, pre) })
				rawTime += time.Since(start)
				b.StopTimer()
				rawCPU.add(c)
				if got := sink.Count(); got != 2*n {
					b.Fatalf("sink received %d messages from the raw loop", got-n)
				}

				mem := startMemPeak()
				stopProfile := profileOutbox(b)
				b.StartTimer()
				start = time.Now()
				var rep FlushReport
				var err error
				c = sink.measureCPU(func() { rep, err = e.Flush(context.Background(), 0) })
				outboxTime += time.Since(start)
				b.StopTimer()
				outboxCPU.add(c)
				stopProfile()
				mem.finish()
				if err != nil || rep.Sent != n || rep.Failed+rep.Deferred+rep.Waiting != 0 {
					b.Fatalf("flush: %+v, %v", rep, err)
				}
				checkBenchDelivery(b, e, n, sink.MessageIDs()[2*n:])
				heapPeak, sysPeak = max(heapPeak, mem.heap), max(sysPeak, mem.sys)
				rssPeak = max(rssPeak, mem.rssPeak)
				anonPeak, filePeak = max(anonPeak, mem.anon), max(filePeak, mem.file)
				rssOK = rssOK && mem.rssOK
				sink.close()
			}
			total := float64(n * b.N)
			bare, raw, outbox := total/bareTime.Seconds(), total/rawTime.Seconds(), total/outboxTime.Seconds()
			b.ReportMetric(bare, "bare-msgs/s")
			b.ReportMetric(raw, "raw-msgs/s")
			b.ReportMetric(outbox, "outbox-msgs/s")
			b.ReportMetric(outbox/raw, "outbox/raw")
			b.ReportMetric(outbox/bare, "outbox/bare")
			b.ReportMetric(float64(heapPeak)/mib, "peak-heap-MB")
			b.ReportMetric(float64(sysPeak)/mib, "peak-gosys-MB")
			if rssOK {
				b.ReportMetric(float64(rssPeak)/mib, "peak-rss-MB")
				b.ReportMetric(float64(anonPeak)/mib, "peak-rss-anon-MB")
				b.ReportMetric(float64(filePeak)/mib, "peak-rss-file-MB")
			}
			b.ReportMetric(float64(size)/1024, "KB/msg")
			// CPU per message: of the sending process in each loop, and of
			// the sink while it received the outbox's and the raw loop's.
			perMsg := func(d time.Duration) float64 { return float64(d.Microseconds()) / total }
			b.ReportMetric(perMsg(outboxCPU.self), "outbox-cpu-µs/msg")
			b.ReportMetric(perMsg(rawCPU.self), "raw-cpu-µs/msg")
			b.ReportMetric(perMsg(bareCPU.self), "bare-cpu-µs/msg")
			if outboxCPU.sink > 0 {
				b.ReportMetric(perMsg(outboxCPU.sink), "sink-cpu-µs/msg")
				b.ReportMetric(perMsg(rawCPU.sink), "sink-raw-cpu-µs/msg")
			}
		})
	}
}

// maxMissionIDs is how many missions BenchmarkInvitations puts in the
// directory at most: every three-letter id there is, or fewer with
// OUTREACH_BENCH_MISSIONS.
var maxMissionIDs = func() int {
	if n, err := strconv.Atoi(os.Getenv("OUTREACH_BENCH_MISSIONS")); err == nil && n > 0 {
		return min(n, 26*26*26)
	}
	return 26 * 26 * 26
}()

// queueInvitations queues n invitations: one per mission, then, past the
// number of missions, copies (InvitationCopies) in turn.
func queueInvitations(b *testing.B, e *Engine, n int) {
	b.Helper()
	rep, err := e.Invite("", "bench")
	if err != nil {
		b.Fatal(err)
	}
	queued := len(rep.Queued)
	ms, err := e.Missions()
	if err != nil {
		b.Fatal(err)
	}
	for copy := 1; queued < n; copy++ {
		for start := 0; start < len(ms) && queued < n; {
			err := e.st.Update(func(tx *store.Tx) error {
				for ; start < len(ms) && queued < n; start++ {
					key := outreach.OutboxKey{Kind: outreach.Invitation, Mission: ms[start].ID, Revision: "copy-" + strconv.Itoa(copy)}
					if _, added, err := e.enqueue(tx, key, "", e.now()); err != nil {
						return err
					} else if !added {
						return fmt.Errorf("%s queued twice", key)
					}
					queued++
					if queued%2000 == 0 {
						start++
						return nil
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if queued != n {
		b.Fatalf("queued %d invitations, want %d", queued, n)
	}
}

// checkBenchDelivery checks what the outbox delivered: one message per
// mission, each with the Message-ID stored for it, every item sent.
func checkBenchDelivery(b *testing.B, e *Engine, n int, got []string) {
	b.Helper()
	if len(got) != n {
		b.Fatalf("sink received %d messages from the outbox", len(got))
	}
	items, err := e.Outbox()
	if err != nil {
		b.Fatal(err)
	}
	want := map[string]bool{}
	for _, it := range items {
		if it.State != outreach.Sent {
			b.Fatalf("%s is %v", it.Key, it.State)
		}
		want[it.MessageID] = true
	}
	for _, id := range got {
		if !want[id] {
			b.Fatalf("sink received %q, not in the outbox or twice", id)
		}
		delete(want, id)
	}
}

// BenchmarkComposeInvitation renders one invitation from the store as the
// outbox does for each message (templates, 14 calendar requests, MIME),
// and lets go of it as the outbox does (Shed once rendered, Release once
// sent): the CPU part of the outbox's cost per message, without SMTP or
// fsync.
func BenchmarkComposeInvitation(b *testing.B) {
	e := benchEngine(b, b.TempDir(), 195, 1, "127.0.0.1:25", true, nil)
	ms, err := e.Missions()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg, err := e.Preview(outreach.Invitation, ms[i%len(ms)].ID, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := msg.Prepare(); err != nil {
			b.Fatal(err)
		}
		msg.Shed()
		msg.Release()
	}
}

// BenchmarkDurableCommit is one small fsynced bbolt transaction on this
// machine's disk, the floor under the outbox's per-message cost (a claim
// is one such commit).
func BenchmarkDurableCommit(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "outreach.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ResetTimer()
	for i := range b.N {
		if err := st.Update(func(tx *store.Tx) error { return tx.PutState("bench", i) }); err != nil {
			b.Fatal(err)
		}
	}
}

// The benchmark's SMTP sink runs in a child process: this test binary run
// again with benchSinkEnv set. It prints "addr HOST:PORT", then answers
// "count" with the number of messages accepted and "ids" with the
// Message-ID of each, in order, one per line, and "end"; it exits at the
// end of its input.
const benchSinkEnv = "OUTREACH_BENCH_SINK"

func TestMain(m *testing.M) {
	if os.Getenv(benchSinkEnv) != "" {
		os.Exit(runBenchSink())
	}
	os.Exit(m.Run())
}

func runBenchSink() int {
	sink, err := smtptest.Listen("127.0.0.1:0", smtptest.Hooks{}, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sink.Close()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "addr %s\n", sink.Addr)
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "count":
			fmt.Fprintln(out, sink.Count())
		case "ids":
			for _, m := range sink.Messages() {
				fmt.Fprintln(out, m.MessageID)
			}
			fmt.Fprintln(out, "end")
		}
		out.Flush()
	}
	return 0
}

// cpuTime returns the CPU time, user and system, this process and the
// sink's process have used so far (the sink's read from /proc in clock
// ticks, 10 ms; zero when the sink runs in this process or /proc cannot
// be read).
func (s *benchSink) cpuTime() (self, sink time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if s.cmd == nil || s.cmd.Process == nil {
		return self, 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return self, 0
	}
	// After the command name in parentheses: state is field 3, utime
	// field 14 and stime field 15.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return self, 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return self, time.Duration(ut+st) * (time.Second / 100)
}

// cpuSpent is the CPU time each process spent over one loop.
type cpuSpent struct{ self, sink time.Duration }

func (c *cpuSpent) add(d cpuSpent) { c.self += d.self; c.sink += d.sink }

// measureCPU runs f and returns the CPU time this process and the sink
// spent while it ran.
func (s *benchSink) measureCPU(f func()) cpuSpent {
	self0, sink0 := s.cpuTime()
	f()
	self1, sink1 := s.cpuTime()
	return cpuSpent{self1 - self0, sink1 - sink0}
}

// benchSink is the parent's handle on the sink process.
type benchSink struct {
	tb    testing.TB
	Addr  string
	local *smtptest.Server // set when the sink runs in this process
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
}

func startBenchSink(tb testing.TB) *benchSink {
	tb.Helper()
	if os.Getenv("OUTREACH_BENCH_SINK_INPROCESS") != "" {
		// For comparison: the sink in the benchmark's own process, sharing
		// its garbage collector and scheduler with what is measured.
		srv, err := smtptest.Listen("127.0.0.1:0", smtptest.Hooks{}, true)
		if err != nil {
			tb.Fatal(err)
		}
		return &benchSink{tb: tb, Addr: srv.Addr, local: srv}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchSinkEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &benchSink{tb: tb, cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	s.out.Buffer(make([]byte, 4096), 1<<20)
	addr, ok := strings.CutPrefix(s.line(), "addr ")
	if !ok {
		tb.Fatal("the sink process did not say its address")
	}
	s.Addr = addr
	return s
}

func (s *benchSink) line() string {
	if !s.out.Scan() {
		s.tb.Fatalf("the sink process stopped: %v", s.out.Err())
	}
	return s.out.Text()
}

func (s *benchSink) ask(cmd string) {
	if _, err := io.WriteString(s.in, cmd+"\n"); err != nil {
		s.tb.Fatal(err)
	}
}

// Count returns how many messages the sink accepted.
func (s *benchSink) Count() int {
	if s.local != nil {
		return s.local.Count()
	}
	s.ask("count")
	n, err := strconv.Atoi(s.line())
	if err != nil {
		s.tb.Fatal(err)
	}
	return n
}

// MessageIDs returns the Message-ID of every message accepted, in order.
func (s *benchSink) MessageIDs() []string {
	if s.local != nil {
		var ids []string
		for _, m := range s.local.Messages() {
			ids = append(ids, m.MessageID)
		}
		return ids
	}
	s.ask("ids")
	var ids []string
	for {
		l := s.line()
		if l == "end" {
			return ids
		}
		ids = append(ids, l)
	}
}

func (s *benchSink) close() {
	if s.local != nil {
		s.local.Close()
		return
	}
	s.in.Close()
	s.cmd.Wait()
}
