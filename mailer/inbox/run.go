package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// SyncOnce connects, selects the mailbox, hands over every message after the
// checkpoint (all of them when UIDVALIDITY differs), files each, and
// disconnects.
func (w *Watcher) SyncOnce(ctx context.Context) (Stats, error) {
	if !w.running.TryLock() {
		return Stats{}, ErrBusy
	}
	defer w.running.Unlock()

	s, err := w.connect(ctx)
	if err != nil {
		w.loginRefused(err)
		w.recordError(err, false)
		return Stats{}, err
	}
	defer w.disconnect(s)
	st, err := s.sync(ctx)
	w.logSync(st)
	if err != nil {
		w.recordError(err, false)
		return st, err
	}
	w.recordSync()
	return st, nil
}

// Run watches the mailbox until ctx is cancelled, then returns nil. It
// connects, syncs, waits with IDLE (or polls), syncs again as soon as the
// server announces new mail, and reconnects with Options.Backoff after any
// error. It returns an error only when called while the Watcher is busy.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.running.TryLock() {
		return ErrBusy
	}
	defer w.running.Unlock()

	attempt := 0
	for {
		if !w.waitForGate(ctx) {
			w.log.Info("imap watcher stopped")
			return nil
		}
		err := w.runSession(ctx, &attempt)
		if ctx.Err() != nil {
			w.log.Info("imap watcher stopped")
			return nil
		}
		w.recordError(err, true)
		if w.loginRefused(err) {
			continue // the gate says how long to wait
		}
		attempt++
		delay := w.opts.Backoff(attempt)
		w.log.Warn("imap intake interrupted; reconnecting",
			slog.Any("err", err), slog.Int("attempt", attempt), slog.Duration("delay", delay))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			w.log.Info("imap watcher stopped")
			return nil
		case <-t.C:
		case <-w.kick:
			t.Stop()
			w.log.Info("imap reconnecting now: woken during the backoff")
		}
	}
}

// loginRefused tells the gate when err is a refused login, and reports
// whether it was.
func (w *Watcher) loginRefused(err error) bool {
	if w.opts.Gate == nil || !errors.Is(err, ErrLoginRefused) {
		return false
	}
	w.opts.Gate.Refused(err)
	return true
}

// waitForGate waits while the gate holds logins back (Wake does not cut
// this wait short: only the gate's time does); false when ctx ended.
func (w *Watcher) waitForGate(ctx context.Context) bool {
	if w.opts.Gate == nil {
		return ctx.Err() == nil
	}
	if until, why := w.opts.Gate.Held(); why != nil {
		w.setLastError(why)
		w.log.Warn("imap login held back after the server refused it",
			slog.Any("reason", why), slog.Time("next_attempt", until))
	}
	return w.opts.Gate.Wait(ctx) == nil
}

// Wake cuts short the wait before the next reconnection, e.g. once the
// store can be written again after a full disk. It does nothing while
// connected.
func (w *Watcher) Wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// runSession is one connection's life: it returns when the connection fails
// (the error) or ctx ends.
func (w *Watcher) runSession(ctx context.Context, attempt *int) error {
	s, err := w.connect(ctx)
	if err != nil {
		return err
	}
	defer w.disconnect(s)
	for {
		select {
		case <-s.wake:
		default:
		}
		st, err := s.sync(ctx)
		w.logSync(st)
		if err != nil {
			return err
		}
		*attempt = 0
		w.recordSync()
		select {
		case <-s.wake:
			continue // new mail arrived while syncing
		default:
		}
		if s.canIdle {
			err = s.idle(ctx)
		} else {
			err = s.poll(ctx)
		}
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
}

func (w *Watcher) connect(ctx context.Context) (*session, error) {
	s, err := w.open(ctx)
	if err != nil {
		return nil, err
	}
	w.setConnected(true)
	if len(w.pending) > 0 {
		if err := s.filePending(ctx); err != nil {
			w.disconnect(s)
			return nil, err
		}
	}
	return s, nil
}

func (w *Watcher) disconnect(s *session) {
	s.close()
	w.setConnected(false)
	w.log.Debug("imap disconnected")
}

func (w *Watcher) logSync(st Stats) {
	if st.Fetched == 0 {
		return
	}
	w.log.Info("imap sync",
		slog.Int("fetched", st.Fetched), slog.Int("filed", st.Filed),
		slog.Uint64("uidvalidity", uint64(st.UIDValidity)), slog.Uint64("last_uid", uint64(st.LastUID)))
}

// idle waits in IDLE until the server announces new mail, IdleRestart
// passes, or ctx ends, then ends the IDLE command. The caller syncs next:
// syncing after every restart also catches mail that arrived just before the
// IDLE began.
func (s *session) idle(ctx context.Context) error {
	w := s.w
	var cmd *imapclient.IdleCommand
	err := s.do(ctx, "start IDLE", func(func()) error {
		var err error
		cmd, err = s.c.Idle()
		return err
	})
	if err != nil {
		return err
	}
	w.setIdling(true)
	w.log.Debug("imap idling")
	restart := w.opts.IdleRestart
	if len(w.broken) > 0 {
		// A folder that does not work is tried again at the next sync.
		restart = min(restart, w.opts.FolderRetry)
	}
	t := time.NewTimer(restart)
	defer t.Stop()
	var lost bool
	select {
	case <-ctx.Done():
	case <-s.wake:
		w.log.Debug("imap new mail announced")
	case <-t.C:
	case <-s.c.Closed():
		lost = true
	}
	w.setIdling(false)
	if lost {
		return errors.New("inbox: connection closed by the server while idling")
	}

	stopCtx, timeout := ctx, w.opts.CommandTimeout
	if ctx.Err() != nil {
		stopCtx, timeout = context.Background(), min(timeout, maxLogoutTimeout)
	}
	return guard(stopCtx, s.c, timeout, "stop IDLE", func(func()) error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
}

// poll waits PollInterval on a server without IDLE.
func (s *session) poll(ctx context.Context) error {
	t := time.NewTimer(s.w.opts.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.wake:
	case <-t.C:
	case <-s.c.Closed():
		return fmt.Errorf("inbox: connection closed by the server")
	}
	return nil
}
