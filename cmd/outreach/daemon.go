package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"

	"outreach/admin"
	"outreach/config"
	"outreach/desk"
	"outreach/jobs"
	"outreach/mailer/inbox"
	"outreach/store"
	"outreach/templates"
)

// daemon is `outreach run`: the outbox worker, the intake of replies, the
// reminder sweeps and the admin endpoint, in one process that owns the
// store.
type daemon struct {
	c       *cli
	cfg     *config.Config
	log     *slog.Logger
	clock   jobs.Clock
	st      *store.Store
	e       *jobs.Engine
	watcher *inbox.Watcher
	// smtpGate and imapGate hold logins back after a server refused them.
	smtpGate, imapGate *jobs.LoginGate
	// realClock is false when the daemon runs on an accelerated clock
	// (demo, tests): reminders are then woken by the clock, not by cron.
	realClock bool
	// stopGrace bounds the wait for the SMTP transaction in flight.
	stopGrace time.Duration

	mu       sync.Mutex
	activity string
	flushes  chan flushReq
	// smtpErr and smtpFailing describe consecutive failed outbox runs.
	smtpErr     error
	smtpFailing int
	smtpSince   time.Time
	// lastSend is when an outbox run last sent a message.
	lastSend time.Time
	// storeBad is set while the store cannot be written, as last read
	// (see storeWritability).
	storeBad bool
}

// unhealthyAfter is the number of outbox runs in a row that must fail
// before /healthz reports the daemon unhealthy.
const unhealthyAfter = 3

// outboxResult counts the outbox runs that failed in a row: a run fails
// when it ends in an error (connection, AUTH, store), or when it attempted
// messages and every one was deferred or refused. A run that sent a message,
// or left nothing waiting, ends the series; a run that attempted nothing
// while messages wait (deferred until later) changes nothing.
func (d *daemon) outboxResult(rep jobs.FlushReport, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if rep.Sent > 0 {
		d.lastSend = d.clock.Now()
	}
	attempted := rep.Deferred + rep.Failed
	switch {
	case err == nil && (rep.Sent > 0 || attempted == 0 && rep.Waiting == 0):
		d.smtpErr, d.smtpFailing = nil, 0
		return
	case err == nil && attempted == 0:
		return
	}
	if err == nil {
		err = fmt.Errorf("every message attempted was refused: %d deferred, %d failed", rep.Deferred, rep.Failed)
	}
	if d.smtpFailing == 0 {
		d.smtpSince = d.clock.Now()
	}
	d.smtpErr = err
	d.smtpFailing++
}

type flushReq struct {
	wait  time.Duration
	reply chan flushResult
}

type flushResult struct {
	rep jobs.FlushReport
	err error
}

// notify sends a state line to systemd (a no-op outside systemd).
func (d *daemon) notify(state string) {
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		d.log.Warn("systemd notify", "err", err)
	}
}

func (d *daemon) setActivity(s string) {
	d.mu.Lock()
	d.activity = s
	d.mu.Unlock()
}

// open reads the configuration and opens everything the daemon needs. A
// problem here ends the daemon before it reports ready.
func (d *daemon) open() error {
	cfg, err := config.Load(d.c.configPath)
	if err != nil {
		return err
	}
	d.cfg = cfg
	set, err := templates.Load(cfg.TemplatesDir())
	if err != nil {
		return err
	}
	sender, err := d.c.newSender(cfg)
	if err != nil {
		return err
	}
	path := cfg.StorePath()
	if d.c.storePath != "" {
		path = d.c.storePath
	}
	st, err := d.c.openStore(cfg, path, store.Options{Now: d.clock.Now})
	if err != nil {
		return err
	}
	d.st = st
	opts := d.c.engineOptions(cfg)
	if opts.Event, err = roundEvent(st, opts.Event); err != nil {
		st.Close()
		return err
	}
	d.log.Info("acting on round", "round", st.Round())
	opts.Store, opts.Templates, opts.TemplatesErr, opts.Sender, opts.Clock, opts.Logger = st, set, nil, sender, d.clock, d.log
	d.e = jobs.New(opts)
	// Logins the servers refused are held back for a while, across
	// restarts, unless the credentials changed since.
	smtpPW := loginSecret(cfg, cfg.SMTP.Auth, cfg.SMTPPassword)
	imapPW := loginSecret(cfg, cfg.IMAP.Auth, cfg.IMAPPassword)
	if d.smtpGate, err = d.e.NewLoginGate("smtp", cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port), cfg.SMTP.Username, smtpPW); err != nil {
		st.Close()
		return err
	}
	if d.imapGate, err = d.e.NewLoginGate("imap", cfg.IMAP.Host, strconv.Itoa(cfg.IMAP.Port), cfg.IMAP.Username, imapPW); err != nil {
		st.Close()
		return err
	}
	d.e.SetSMTPGate(d.smtpGate)
	w, err := d.c.newWatcher(cfg, d.e, d.imapGate)
	if err != nil {
		st.Close()
		return err
	}
	d.watcher = w
	return nil
}

// reload re-reads the configuration, templates and reminder rules. Work in
// progress is untouched; a bad new configuration is refused and the old
// one kept.
func (d *daemon) reload() error {
	cfg, err := config.Load(d.c.configPath)
	if err != nil {
		return err
	}
	set, err := templates.Load(cfg.TemplatesDir())
	if err != nil {
		return err
	}
	d.e.SetTemplates(set)
	d.e.SetSchedule(jobs.ScheduleFrom(cfg.Reminders))
	if later := needRestart(d.cfg, cfg); len(later) > 0 {
		d.log.Warn("these sections changed and take effect at the next restart", "sections", strings.Join(later, " "))
	}
	if d.cfg.FirstRound() != cfg.FirstRound() {
		d.log.Warn("[event]'s title, upr_session, venue, time_zone, days, rsvp_deadline and provisional no longer change a round the store holds; stop the daemon and use `outreach round set` (or `round new` for the next round)",
			"round", d.st.Round())
	}
	d.cfg = cfg
	return nil
}

// needRestart lists the sections of the configuration that a reload does
// not apply: the connections, the store, the endpoint, the round itself.
func needRestart(old, cfg *config.Config) []string {
	var later []string
	for _, s := range []struct {
		name     string
		old, new any
	}{
		{"[event]", old.Event, cfg.Event},
		{"[smtp]", old.SMTP, cfg.SMTP},
		{"[imap]", old.IMAP, cfg.IMAP},
		{"[store]", old.Store, cfg.Store},
		{"[admin]", old.Admin, cfg.Admin},
		{"[web]", old.Web, cfg.Web},
		{"[log]", old.Log, cfg.Log},
		{"reminders.sweep", old.Reminders.Sweep, cfg.Reminders.Sweep},
	} {
		if !reflect.DeepEqual(s.old, s.new) {
			later = append(later, s.name)
		}
	}
	return later
}

// run runs the daemon until ctx ends, then stops in two phases: it stops
// taking work, lets the SMTP transaction in flight finish (within
// stopGrace), and closes the store.
func (d *daemon) run(ctx context.Context) error {
	if err := d.open(); err != nil {
		return err
	}
	defer d.st.Close()
	if n, err := d.e.RecoverSending(); err != nil {
		return err
	} else if n > 0 {
		d.log.Warn("re-queued messages caught in sending by the last stop; they go again with their Message-IDs", "count", n)
	}

	sock, err := admin.ListenSocket(d.cfg.SocketPath())
	if err != nil {
		return err
	}
	defer os.Remove(d.cfg.SocketPath())
	adm, err := d.adminServers(sock)
	if err != nil {
		return err
	}

	srvWeb, webLn, err := d.startWeb()
	if err != nil {
		return err
	}

	work, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	var wg sync.WaitGroup
	d.flushes = make(chan flushReq)
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); d.outboxLoop(ctx, work) }()
	wg.Add(1)
	go func() { defer wg.Done(); d.intakeLoop(intakeCtx) }()
	stopReminders := d.startReminders(ctx)
	go d.watchStore(ctx)
	adm.serve()
	if srvWeb != nil {
		go srvWeb.Serve(webLn)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	d.serve(ctx, hup)

	// Phase one: stop taking work; the send in flight completes.
	d.notify(sddaemon.SdNotifyStopping + "\nSTATUS=stopping: finishing the message in flight")
	d.log.Info("stopping: finishing the message in flight")
	stopReminders()
	stopIntake()
	d.e.Drain()
	grace := time.NewTimer(d.stopGrace)
	select {
	case <-outboxDone:
		grace.Stop()
	case <-grace.C:
		d.log.Warn("the SMTP server did not answer in time; the message in flight will be sent again with its Message-ID")
		stopWork()
		<-outboxDone
	}
	wg.Wait()
	// Phase two: close the endpoint and the store.
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	adm.shutdown(shut)
	if srvWeb != nil {
		srvWeb.Shutdown(shut)
	}
	d.log.Info("stopped")
	return nil
}

// adminEndpoint is the admin API: on the unix socket always, on the
// loopback TCP listener (with the token, and the staff desk) when
// configured.
type adminEndpoint struct {
	sock, tcp       net.Listener
	srvSock, srvTCP *http.Server
}

// adminServers sets up the admin API on sock and, when configured, on its
// loopback TCP listener; nothing is served until serve.
func (d *daemon) adminServers(sock net.Listener) (*adminEndpoint, error) {
	a := &adminEndpoint{sock: sock}
	token, err := d.cfg.AdminToken()
	if err != nil {
		return nil, err
	}
	if d.cfg.Admin.Listen != "" {
		if a.tcp, err = admin.ListenTCP(d.cfg.Admin.Listen); err != nil {
			return nil, err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(admin.NewCollector(d.e, d.watcher.Status), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hooks := admin.Hooks{
		Flush:   d.requestFlush,
		Sync:    d.syncStatus,
		Health:  d.health,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}
	a.srvSock = &http.Server{Handler: admin.Handler(d.e, hooks), ReadHeaderTimeout: 10 * time.Second}
	if a.tcp == nil {
		return a, nil
	}
	h := hooks
	h.Token = token
	var handler http.Handler = admin.Handler(d.e, h)
	if staff := d.cfg.StaffPath(); staff != "" {
		// The staff desk logs staff in itself; the rest of the
		// listener is the token-protected admin API.
		dk, err := desk.New(desk.Options{Backend: d.e, StaffFile: staff, Logger: d.log, TrustedHeader: d.cfg.Admin.StaffHeader})
		if err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("/desk/", dk)
		mux.Handle("/", handler)
		handler = mux
		d.log.Info("staff desk served", "url", "http://"+a.tcp.Addr().String()+"/desk/", "staff_file", staff)
	}
	a.srvTCP = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	return a, nil
}

func (a *adminEndpoint) serve() {
	go a.srvSock.Serve(a.sock)
	if a.srvTCP != nil {
		go a.srvTCP.Serve(a.tcp)
	}
}

func (a *adminEndpoint) shutdown(ctx context.Context) {
	a.srvSock.Shutdown(ctx)
	if a.srvTCP != nil {
		a.srvTCP.Shutdown(ctx)
	}
}

// serve tells systemd the daemon is ready, then until ctx ends reloads on
// hup (SIGHUP) and pings the watchdog with a status line.
func (d *daemon) serve(ctx context.Context, hup <-chan os.Signal) {
	d.notify(sddaemon.SdNotifyReady)
	d.notify("STATUS=ready: " + d.statusLine())
	d.log.Info("outreach running", "store", d.st.Path(), "socket", d.cfg.SocketPath(), "smtp", d.cfg.SMTP.Host, "imap", d.cfg.IMAP.Host)

	interval, _ := sddaemon.SdWatchdogEnabled(false)
	ping := time.NewTicker(statusEvery(interval))
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			// MONOTONIC_USEC lets systemd match this reload to its request
			// (required by Type=notify-reload, harmless before).
			d.notify(sddaemon.SdNotifyReloading + "\n" + sddaemon.SdNotifyMonotonicUsec())
			if err := d.reload(); err != nil {
				d.log.Error("reload refused; keeping the running configuration", "err", err)
				d.notify("STATUS=reload refused: " + err.Error())
			} else {
				d.log.Info("configuration, templates and reminder rules reloaded")
				d.e.Wake()
			}
			d.notify(sddaemon.SdNotifyReady)
		case <-ping.C:
			// The status line reads the store first: a daemon whose store
			// no longer answers stops pinging, and the watchdog restarts it.
			status := "STATUS=" + d.statusLine()
			if interval > 0 {
				d.notify(sddaemon.SdNotifyWatchdog)
			}
			d.notify(status)
		}
	}
}

func statusEvery(watchdog time.Duration) time.Duration {
	if watchdog > 0 && watchdog/2 < 30*time.Second {
		return watchdog / 2
	}
	return 30 * time.Second
}

// outboxLoop sends whatever is due, then waits for new messages, for the
// next due time, or for a flush request. ctx ends taking work; work ends a
// send in flight (only past the stop grace).
func (d *daemon) outboxLoop(ctx, work context.Context) {
	failures := 0
	for {
		d.setActivity("sending")
		rep, err := d.e.Flush(work, 0)
		if ctx.Err() != nil {
			return
		}
		d.outboxResult(rep, err)
		next := time.Minute
		if err != nil {
			failures++
			next = min(time.Duration(failures)*30*time.Second, 10*time.Minute)
			if until, why := d.smtpGate.Held(); why != nil {
				// Woken or not, nothing is sent before the hold ends.
				next = max(until.Sub(d.clock.Now()), 10*time.Millisecond)
			}
			d.log.Error("outbox", "err", err, "retry_in", next)
		} else {
			failures = 0
			if !rep.Retry.IsZero() {
				if until := rep.Retry.Sub(d.clock.Now()); until < next {
					next = max(until, 10*time.Millisecond)
				}
			}
		}
		d.setActivity("idle")
		sleep, cancel := context.WithCancel(ctx)
		slept := make(chan error, 1)
		go func() { slept <- d.clock.Sleep(sleep, next) }()
		var req *flushReq
		select {
		case <-ctx.Done():
			cancel()
			return
		case <-d.e.Woken():
		case <-slept:
		case r := <-d.flushes:
			req = &r
		}
		cancel()
		if req != nil {
			rep, err := d.e.Flush(work, req.wait)
			d.outboxResult(rep, err)
			req.reply <- flushResult{rep, err}
		}
	}
}

// requestFlush serves `outreach outbox flush` while the daemon runs: the
// worker sends what is due now and reports.
func (d *daemon) requestFlush(ctx context.Context, wait time.Duration) (jobs.FlushReport, error) {
	r := flushReq{wait: wait, reply: make(chan flushResult, 1)}
	select {
	case d.flushes <- r:
	case <-ctx.Done():
		return jobs.FlushReport{}, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res.rep, res.err
	case <-ctx.Done():
		return jobs.FlushReport{}, ctx.Err()
	}
}

// syncStatus serves `outreach inbox sync` while the daemon runs: intake
// reads the mailbox continuously, so it reports where it stands.
func (d *daemon) syncStatus(ctx context.Context) (inbox.Stats, error) {
	st := d.watcher.Status()
	if st.LastError != "" && !st.Connected {
		return inbox.Stats{}, fmt.Errorf("the daemon reads the mailbox continuously; it is reconnecting: %s", st.LastError)
	}
	return inbox.Stats{}, nil
}

// intakeLoop runs the IMAP watcher until ctx ends.
func (d *daemon) intakeLoop(ctx context.Context) {
	if err := d.watcher.Run(ctx); err != nil && ctx.Err() == nil {
		d.log.Error("intake stopped", "err", err)
	}
}

// startReminders wakes the reminder sweep: with the wall clock through
// cron (every reminders.sweep and at the digest's time, in the event's
// time zone, recovering from panics, never overlapping); with an
// accelerated clock by sleeping on that clock. It returns a stop function.
func (d *daemon) startReminders(ctx context.Context) func() {
	sweep := func() {
		rep, err := d.e.Sweep()
		if err != nil {
			d.log.Error("reminder sweep", "err", err)
			return
		}
		if rep.Queued > 0 || len(rep.Missed) > 0 || rep.Digest {
			d.log.Info("reminders", "queued", rep.Queued, "fired", len(rep.Fired), "missed", len(rep.Missed), "digest", rep.Digest)
		}
	}
	sweep() // catch up at once after downtime
	every := d.cfg.Reminders.Sweep.D
	if !d.realClock {
		done := make(chan struct{})
		ctx, cancel := context.WithCancel(ctx)
		go func() {
			defer close(done)
			for d.clock.Sleep(ctx, every) == nil {
				sweep()
			}
		}()
		return func() { cancel(); <-done }
	}
	logger := cron.PrintfLogger(slog.NewLogLogger(d.log.Handler(), slog.LevelInfo))
	c := cron.New(cron.WithLocation(d.cfg.Location()),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	c.AddFunc(fmt.Sprintf("@every %s", every), sweep)
	if _, err := c.AddFunc(d.cfg.Reminders.Digest, sweep); err != nil {
		d.log.Error("digest schedule", "err", err)
	}
	c.Start()
	return func() { <-c.Stop().Done() }
}

// statusLine says what the daemon is doing, for systemd's STATUS.
func (d *daemon) statusLine() string {
	q, err := d.e.Queue()
	return d.statusText(q, err)
}

// statusText is the status line for the engine's Queue q (read with err).
func (d *daemon) statusText(q jobs.Queue, err error) string {
	if err != nil {
		return "store unreadable: " + err.Error()
	}
	ws := d.watcher.Status()
	imap := "imap disconnected"
	switch {
	case ws.Idling:
		imap = "imap idle"
	case ws.Connected:
		imap = "imap connected"
	}
	d.mu.Lock()
	act := d.activity
	if d.smtpErr != nil {
		act += fmt.Sprintf(" (smtp failing, %d attempts)", d.smtpFailing)
	}
	d.mu.Unlock()
	return fmt.Sprintf("%s; outbox %d waiting; review %d; %s", act, q.Depth, q.ReviewOpen, imap)
}

// How often the daemon looks whether the store can be written (free
// space, last write: a statfs, no write): every storeProbeBad while it
// cannot, so the outbox and the intake resume within a second of space
// coming back; every storeProbe while it can, where a disk filling up is
// seen within that time (health and status look at once, and a failed
// write is known at once) and an idle daemon is not woken every second.
const (
	storeProbe    = 15 * time.Second
	storeProbeBad = time.Second
)

// watchStore probes the store's writability (see storeWritability).
func (d *daemon) watchStore(ctx context.Context) {
	t := time.NewTimer(storeProbeBad)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := storeProbe
		if !d.storeWritability().Writable {
			next = storeProbeBad
		}
		t.Reset(next)
	}
}

// storeWritability reads whether the store can be written. It logs once
// when the store stops being writable, and once when it can be written
// again, and then wakes the outbox worker and the intake at once rather
// than letting them wait out their backoff.
func (d *daemon) storeWritability() store.Writability {
	w := d.st.Writability()
	d.mu.Lock()
	was := !d.storeBad
	d.storeBad = !w.Writable
	d.mu.Unlock()
	switch {
	case was && !w.Writable:
		d.log.Error("store cannot be written", "problem", w.Problem, "free_bytes", w.FreeBytes)
	case !was && w.Writable:
		d.log.Info("store can be written again; resuming the outbox and the intake now", "free_bytes", w.FreeBytes)
		d.e.Wake()
		d.watcher.Wake()
	}
	return w
}

// cpuSeconds is the CPU time the process has used, from its own rusage.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func (d *daemon) health() admin.Health {
	q, err := d.e.Queue()
	h := admin.Health{OK: true, Daemon: true, Store: "ok", Status: d.statusText(q, err), CPUSeconds: cpuSeconds()}
	if err != nil {
		h.OK, h.Store = false, err.Error()
		return h
	}
	h.OutboxDepth, h.ReviewOpen, h.NextDue = q.Depth, q.ReviewOpen, q.NextReminder
	w := d.storeWritability()
	h.StoreWrite = &w
	if !w.Writable {
		h.OK = false
	}
	d.mu.Lock()
	h.LastSend = d.lastSend
	h.SMTP = "ok"
	if d.smtpErr != nil {
		h.SMTP = fmt.Sprintf("failing since %s (%d attempts): %v", d.smtpSince.UTC().Format(time.RFC3339), d.smtpFailing, d.smtpErr)
		if d.smtpFailing >= unhealthyAfter {
			h.OK = false
		}
	}
	d.mu.Unlock()
	for _, g := range []*jobs.LoginGate{d.smtpGate, d.imapGate} {
		if h0 := g.Hold(); h0.Failures > 0 {
			h.LoginHeld = append(h.LoginHeld, h0)
			h.OK = false
		}
	}
	ws := d.watcher.Status()
	h.LastSync, h.LastError = ws.LastSync, ws.LastError
	h.FolderErrors, h.IMAPDelimiter, h.IMAPPrefix = ws.FolderErrors, ws.Delimiter, ws.Prefix
	if len(ws.FolderErrors) > 0 {
		h.OK = false
	}
	switch {
	case ws.Idling:
		h.IMAP = "idle"
	case ws.Connected:
		h.IMAP = "connected"
	default:
		h.IMAP = "disconnected"
	}
	return h
}

func cmdRun(c *cli, args []string) error {
	fs := c.flags("run", "[--clock TIME --speed N]", "Run the daemon: send the outbox, read replies as they arrive (IMAP IDLE), send\nreminders on schedule, and serve the admin socket the CLI uses meanwhile.\nUnder systemd (Type=notify) it reports READY, WATCHDOG, STATUS and STOPPING;\nSIGHUP reloads the configuration, templates and reminder rules; SIGTERM stops\ncleanly. --clock and --speed run it on an accelerated clock (rehearsals, tests).")
	clockStart := fs.String("clock", "", "start the daemon's clock at this RFC 3339 time")
	speed := fs.Float64("speed", 1, "with --clock: how many times faster than real time")
	grace := fs.Duration("stop-grace", 20*time.Second, "how long SIGTERM waits for the SMTP transaction in flight")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	d := &daemon{c: c, log: c.daemonLogger(), clock: jobs.RealClock{}, realClock: true, stopGrace: *grace}
	// The SMTP client and the IMAP watcher log through the daemon's logger,
	// at the configured level and format.
	c.log = d.log
	if *clockStart != "" {
		t, err := time.Parse(time.RFC3339, *clockStart)
		if err != nil {
			return usagef("run: --clock: %v", err)
		}
		d.clock, d.realClock = jobs.NewScaledClock(t, *speed), false
	}
	c.clock = d.clock
	return d.run(c.ctx)
}

// daemonLogger logs for the journal: text or JSON per [log], at its level.
func (c *cli) daemonLogger() *slog.Logger {
	level, format := slog.LevelInfo, "text"
	if cfg, err := config.Load(c.configPath); err == nil {
		level.UnmarshalText([]byte(cfg.Log.Level))
		format = cfg.Log.Format
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(c.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(c.stderr, opts))
}
