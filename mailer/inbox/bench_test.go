package inbox

import (
	"context"
	"testing"
	"time"
)

// BenchmarkIdleLatency measures, while the watcher idles, the time from
// another client's APPEND to the Handler receiving the message.
func BenchmarkIdleLatency(b *testing.B) {
	ts := startServer(b, serverOpts{})
	rec := newRecorder()
	rec.folder = toFolder("processed")
	// A short IDLE restart bounds the rare imapmemserver miss (an update
	// queued in the instant before IDLE begins); Dovecot has no such gap.
	w, _ := newTestWatcher(b, ts.addr, rec, func(o *Options) { o.IdleRestart = time.Second })
	runWatcher(b, w)
	appender := ts.client(b)
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

// BenchmarkSyncBacklog measures SyncOnce over a backlog of 1,000 messages
// (each fetched, handed over and moved), in messages per second.
func BenchmarkSyncBacklog(b *testing.B) {
	const n = 1000
	raw := testMessage(1, 4000)
	b.ReportAllocs()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ts := startServer(b, serverOpts{})
		c := ts.client(b)
		for range n {
			appendMsg(b, c, "INBOX", raw)
		}
		rec := newRecorder()
		rec.got = nil
		rec.folder = toFolder("processed")
		w, _ := newTestWatcher(b, ts.addr, rec, nil)
		b.StartTimer()
		start := time.Now()
		st, err := w.SyncOnce(context.Background())
		elapsed += time.Since(start)
		if err != nil || st.Fetched != n || st.Filed != n {
			b.Fatalf("%+v, %v", st, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
}
