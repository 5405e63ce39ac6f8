package admin

import (
	"github.com/prometheus/client_golang/prometheus"

	"outreach/mailer/inbox"
)

// Metrics the daemon exposes on /metrics. They are read from the store at
// each scrape, so they survive restarts and agree with `outreach status`.
var (
	descOutbox   = prometheus.NewDesc("outreach_outbox_messages", "Messages in the outbox by kind and state (queued, sending, sent, deferred, failed).", []string{"kind", "state"}, nil)
	descDepth    = prometheus.NewDesc("outreach_outbox_depth", "Messages still to send.", nil, nil)
	descReplies  = prometheus.NewDesc("outreach_replies_total", "Inbound messages recorded, by kind.", []string{"kind"}, nil)
	descReview   = prometheus.NewDesc("outreach_review_open", "Review items waiting for a person.", nil, nil)
	descUnreach  = prometheus.NewDesc("outreach_missions_unreachable", "Missions with no usable address.", nil, nil)
	descLastSync = prometheus.NewDesc("outreach_imap_last_sync_timestamp_seconds", "When the mailbox was last read completely (0: never).", nil, nil)
	descIMAPUp   = prometheus.NewDesc("outreach_imap_connected", "1 when connected to the IMAP server.", nil, nil)
	descNext     = prometheus.NewDesc("outreach_next_reminder_timestamp_seconds", "When the next reminder is due (0: none).", nil, nil)
	descMissed   = prometheus.NewDesc("outreach_reminders_missed", "Reminders reported missed (past the lateness limit).", nil, nil)
	descWritable = prometheus.NewDesc("outreach_store_writable", "1 when the store can be written (no write refused, enough free space).", nil, nil)
	descFolders  = prometheus.NewDesc("outreach_imap_folders_not_working", "IMAP folders that cannot be created or refuse filing; their replies wait in the mailbox.", nil, nil)
)

// NewCollector returns a Prometheus collector of e's state: the outbox by
// kind and state, replies by kind, the review queue, the next reminder due
// and, through intake (nil when there is none), the IMAP connection and the
// last successful sync.
func NewCollector(e Operations, intake func() inbox.Status) prometheus.Collector {
	return &collector{e: e, intake: intake}
}

type collector struct {
	e      Operations
	intake func() inbox.Status
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutbox, descDepth, descReplies, descReview, descUnreach, descLastSync, descIMAPUp, descNext, descMissed, descWritable, descFolders} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	sn, err := c.e.Snapshot()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descDepth, err)
		return
	}
	for kind, states := range sn.Outbox {
		for state, n := range states {
			ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(n), string(kind), state)
		}
	}
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(sn.Depth))
	for kind, n := range sn.Replies {
		ch <- prometheus.MustNewConstMetric(descReplies, prometheus.CounterValue, float64(n), kind)
	}
	ch <- prometheus.MustNewConstMetric(descReview, prometheus.GaugeValue, float64(sn.ReviewOpen))
	ch <- prometheus.MustNewConstMetric(descUnreach, prometheus.GaugeValue, float64(sn.Unreachable))
	if c.intake != nil {
		ws := c.intake()
		last := 0.0
		if !ws.LastSync.IsZero() {
			last = float64(ws.LastSync.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descLastSync, prometheus.GaugeValue, last)
		up := 0.0
		if ws.Connected {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descIMAPUp, prometheus.GaugeValue, up)
		ch <- prometheus.MustNewConstMetric(descFolders, prometheus.GaugeValue, float64(len(ws.FolderErrors)))
	}
	if st := c.e.Store(); st != nil {
		writable := 0.0
		if st.Writability().Writable {
			writable = 1
		}
		ch <- prometheus.MustNewConstMetric(descWritable, prometheus.GaugeValue, writable)
	}
	next := 0.0
	if !sn.NextReminder.IsZero() {
		next = float64(sn.NextReminder.Unix())
	}
	ch <- prometheus.MustNewConstMetric(descNext, prometheus.GaugeValue, next)
	ch <- prometheus.MustNewConstMetric(descMissed, prometheus.GaugeValue, float64(sn.MissedReminders))
}
