package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// meta is what is known of a message before its body is fetched.
type meta struct {
	uid   imap.UID
	size  int64
	date  time.Time
	flags []imap.Flag
}

// body is one fetched message body; raw is nil when it was too big.
type body struct {
	raw    []byte
	size   int64
	tooBig bool
}

// sync hands every message after the checkpoint to the Handler, in UID
// order, and files each one after the Handler has recorded it. The first sync
// of a connection first files the recorded messages left unfiled.
func (s *session) sync(ctx context.Context) (st Stats, err error) {
	w := s.w
	st = Stats{UIDValidity: s.uidValidity}
	unfiled := s.unfiled
	defer func() { st.Unfiled = s.unfiled - unfiled }()
	cp, err := w.h.Checkpoint(ctx)
	if err != nil {
		return st, fmt.Errorf("inbox: read checkpoint: %w", err)
	}
	after := cp.LastUID
	if cp.UIDValidity != s.uidValidity {
		if cp != (Checkpoint{}) {
			st.UIDValidityChanged = true
			w.log.Warn("imap UIDVALIDITY changed; handing every message in the mailbox over again",
				slog.Uint64("recorded_uidvalidity", uint64(cp.UIDValidity)),
				slog.Uint64("uidvalidity", uint64(s.uidValidity)),
				slog.Uint64("recorded_last_uid", uint64(cp.LastUID)))
		}
		after = 0
	}
	st.LastUID = after

	if !s.refiled {
		// After a UIDVALIDITY change every message is handed over below,
		// and filed: nothing to look for.
		if after > 0 {
			if err := s.refile(ctx, after, &st); err != nil {
				return st, err
			}
		}
		s.refiled = true
	}

	if err := s.retryFolders(ctx, &st); err != nil {
		return st, err
	}
	uids, err := s.searchAfter(ctx, after)
	if err != nil {
		return st, err
	}
	return st, s.handleUIDs(ctx, uids, &st, false)
}

// refile hands the messages at or below upTo that are still in the mailbox
// unfiled to the Handler again and files them where it says. They were
// recorded (the checkpoint is past them) but the process died, or the
// connection was lost for good, before they were filed. The Handler
// recognises them, records nothing and names the folder it chose the first
// time. The search is bounded by the checkpoint and by the flag that filing
// sets, so only such messages are fetched.
func (s *session) refile(ctx context.Context, upTo uint32, st *Stats) error {
	w := s.w
	uids, err := s.searchUnfiled(ctx, upTo)
	if err != nil || len(uids) == 0 {
		return err
	}
	// Messages waiting for a broken folder are not tried message by
	// message: retryFolders files them once the folder works.
	parked := s.parkedSet()
	uids = slices.DeleteFunc(uids, func(u imap.UID) bool { return parked[u] })
	if len(uids) == 0 {
		return nil
	}
	w.log.Warn("imap recorded messages found unfiled; filing them now",
		slog.Int("count", len(uids)), slog.Uint64("first_uid", uint64(uids[0])), slog.Uint64("last_uid", uint64(uids[len(uids)-1])))
	return s.handleUIDs(ctx, uids, st, true)
}

// searchUnfiled lists the UIDs at or below upTo that filing has not marked:
// without FiledKeyword, or without \Seen when the server takes no keywords.
func (s *session) searchUnfiled(ctx context.Context, upTo uint32) ([]imap.UID, error) {
	var set imap.UIDSet
	set.AddRange(1, imap.UID(upTo))
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{set}, NotFlag: []imap.Flag{imap.FlagSeen}}
	if s.canKeyword {
		crit.NotFlag = []imap.Flag{imap.Flag(FiledKeyword)}
	}
	var data *imap.SearchData
	err := s.do(ctx, "search unfiled messages", func(func()) error {
		var err error
		data, err = s.c.UIDSearch(crit, nil).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	var uids []imap.UID
	for _, u := range data.AllUIDs() {
		if uint32(u) <= upTo {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// handleUIDs hands uids over in batches and files each message. again says
// the messages were recorded before (see refile).
func (s *session) handleUIDs(ctx context.Context, uids []imap.UID, st *Stats, again bool) error {
	w := s.w
	for len(uids) > 0 {
		n := min(len(uids), w.batchSize)
		batch := uids[:n]
		uids = uids[n:]
		if err := ctx.Err(); err != nil {
			return err
		}
		metas, err := s.fetchMeta(ctx, batch)
		if err != nil {
			return err
		}
		for len(metas) > 0 {
			// Bodies are fetched in groups of at most batchBytes (at
			// least one message), so memory stays bounded however big
			// the mailbox.
			k, total := 0, int64(0)
			for k < len(metas) {
				size := metas[k].size
				if size > w.opts.MaxMessageSize {
					size = 0
				}
				if k > 0 && total+size > w.batchBytes {
					break
				}
				total += size
				k++
			}
			group := metas[:k]
			metas = metas[k:]
			if err := s.handleGroup(ctx, group, st, again); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *session) handleGroup(ctx context.Context, group []meta, st *Stats, again bool) (err error) {
	w := s.w
	bodies, err := s.fetchBodies(ctx, group)
	if err != nil {
		return err
	}
	// Messages recorded and bound for the same folder are moved together,
	// one MOVE for the run, before anything else is filed and before
	// returning, whatever the return: they are recorded, so filing goes on
	// even if ctx ends (one command more, bounded by the watchdog).
	var run []meta
	var runFolder string
	fileRun := func() error {
		if len(run) == 0 {
			return nil
		}
		n, err := s.fileMany(context.WithoutCancel(ctx), run, runFolder)
		if again {
			st.Refiled += n
		} else {
			st.Filed += n
		}
		run = nil
		return err
	}
	defer func() {
		if ferr := fileRun(); err == nil {
			err = ferr
		}
	}()
	for _, m := range group {
		if err := ctx.Err(); err != nil {
			return err
		}
		msg := Message{
			UID:          uint32(m.uid),
			UIDValidity:  s.uidValidity,
			InternalDate: m.date,
			Size:         m.size,
		}
		if m.size <= w.opts.MaxMessageSize {
			b, ok := bodies[m.uid]
			if !ok {
				// The server sent no body. Skip the message only if it is
				// really gone; otherwise stop and try again later.
				gone, err := s.vanished(ctx, m.uid)
				if err != nil {
					return err
				}
				if !gone {
					return fmt.Errorf("inbox: fetch message %d: server returned no body", m.uid)
				}
				w.log.Info("imap message expunged by another client before it was read", slog.Uint64("uid", uint64(m.uid)))
				continue
			}
			delete(bodies, m.uid)
			msg.Raw = b.raw
			if msg.Size == 0 {
				msg.Size = b.size
			}
		}
		if msg.Raw == nil {
			w.log.Warn("imap message larger than the limit; handed over without its body",
				slog.Uint64("uid", uint64(m.uid)), slog.Int64("size", m.size), slog.Int64("limit", w.opts.MaxMessageSize))
			if msg.MessageID, err = s.envelopeID(ctx, m.uid); err != nil {
				return err
			}
		}
		folder, err := w.h.Handle(ctx, msg)
		if err != nil {
			return fmt.Errorf("inbox: handle message %d: %w", m.uid, err)
		}
		if !again {
			st.Fetched++
			st.LastUID = msg.UID
		}
		if s.canMove && !s.inPlace(folder) {
			if len(run) > 0 && folder != runFolder {
				if err := fileRun(); err != nil {
					return err
				}
			}
			run, runFolder = append(run, m), folder
			continue
		}
		if err := fileRun(); err != nil {
			return err
		}
		// Filing goes on even if ctx ends now: the message is recorded and
		// one command more is bounded by the watchdog.
		filed, err := s.file(context.WithoutCancel(ctx), m, folder)
		switch {
		case filed && again:
			st.Refiled++
		case filed:
			st.Filed++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// searchAfter lists the UIDs greater than after, ascending.
func (s *session) searchAfter(ctx context.Context, after uint32) ([]imap.UID, error) {
	if after == math.MaxUint32 {
		return nil, nil
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(after+1), 0)
	var data *imap.SearchData
	err := s.do(ctx, "search new messages", func(func()) error {
		var err error
		data, err = s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	var uids []imap.UID
	// "n:*" always matches the highest UID, even when it is not above n
	// (RFC 3501 6.4.8): filter.
	for _, u := range data.AllUIDs() {
		if uint32(u) > after {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetchMeta returns the size, date and flags of uids, in UID order. UIDs the
// server does not return are skipped when they are gone from the mailbox.
func (s *session) fetchMeta(ctx context.Context, uids []imap.UID) ([]meta, error) {
	var bufs []*imapclient.FetchMessageBuffer
	err := s.do(ctx, "fetch message sizes", func(func()) error {
		var err error
		bufs, err = s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
			UID: true, RFC822Size: true, InternalDate: true, Flags: true,
		}).Collect()
		return err
	})
	if err != nil {
		return nil, err
	}
	byUID := make(map[imap.UID]*imapclient.FetchMessageBuffer, len(bufs))
	for _, b := range bufs {
		if b.UID != 0 {
			byUID[b.UID] = b
		}
	}
	metas := make([]meta, 0, len(uids))
	for _, u := range uids {
		b, ok := byUID[u]
		if !ok {
			gone, err := s.vanished(ctx, u)
			if err != nil {
				return nil, err
			}
			if !gone {
				return nil, fmt.Errorf("inbox: fetch message %d: server returned nothing", u)
			}
			continue
		}
		size := b.RFC822Size
		if size <= 0 {
			size = 0 // unknown: the body fetch enforces the limit
		}
		metas = append(metas, meta{uid: u, size: size, date: b.InternalDate, flags: b.Flags})
	}
	return metas, nil
}

// envelopeID returns uid's Message-ID from its ENVELOPE, with angle
// brackets; "" when it has none.
func (s *session) envelopeID(ctx context.Context, uid imap.UID) (string, error) {
	var bufs []*imapclient.FetchMessageBuffer
	err := s.do(ctx, "fetch message envelope", func(func()) error {
		var err error
		bufs, err = s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, Envelope: true}).Collect()
		return err
	})
	if err != nil {
		return "", err
	}
	for _, b := range bufs {
		if b.UID == uid && b.Envelope != nil {
			if id := strings.TrimSpace(b.Envelope.MessageID); id != "" {
				return "<" + id + ">", nil
			}
		}
	}
	return "", nil
}

// vanished reports whether uid is no longer in the mailbox.
func (s *session) vanished(ctx context.Context, uid imap.UID) (bool, error) {
	var data *imap.SearchData
	err := s.do(ctx, "look for message", func(func()) error {
		var err error
		data, err = s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uid)}}, nil).Wait()
		return err
	})
	if err != nil {
		return false, err
	}
	return !slices.Contains(data.AllUIDs(), uid), nil
}

// fetchBodies fetches BODY.PEEK[] (nothing gets \Seen before it is recorded)
// of the messages within the size limit.
func (s *session) fetchBodies(ctx context.Context, group []meta) (map[imap.UID]body, error) {
	limit := s.w.opts.MaxMessageSize
	var set imap.UIDSet
	for _, m := range group {
		if m.size <= limit {
			set.AddNum(m.uid)
		}
	}
	out := make(map[imap.UID]body, len(group))
	if len(set) == 0 {
		return out, nil
	}
	err := s.do(ctx, "fetch messages", func(kick func()) error {
		cmd := s.c.Fetch(set, &imap.FetchOptions{
			UID:         true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}},
		})
		for {
			msg := cmd.Next()
			if msg == nil {
				break
			}
			kick()
			var (
				uid imap.UID
				b   body
				got bool
			)
			for {
				item := msg.Next()
				if item == nil {
					break
				}
				switch item := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = item.UID
				case imapclient.FetchItemDataBodySection:
					got = true
					if item.Literal == nil {
						b.raw = []byte{}
						continue
					}
					var err error
					if b, err = readBody(kickReader{item.Literal, kick}, item.Literal.Size(), limit); err != nil {
						// The connection broke mid-literal. Do not drain
						// the command: go-imap's reader has moved on, and
						// reading the literal again would race with it.
						return err
					}
				}
			}
			if uid != 0 && got {
				out[uid] = b
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func readBody(r io.Reader, size, limit int64) (body, error) {
	if size > limit {
		_, err := io.Copy(io.Discard, r)
		return body{size: size, tooBig: true}, err
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return body{}, err
	}
	return body{raw: raw, size: size}, nil
}

// kickReader resets the watchdog on every read, so that a big message on a
// slow link is not taken for a stalled server.
type kickReader struct {
	r    io.Reader
	kick func()
}

func (k kickReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 {
		k.kick()
	}
	return n, err
}

// file files a recorded message: folder "" (or the watched mailbox) flags it
// \Seen and FiledKeyword in place; otherwise MOVE when the server has it, or
// COPY, check, then flag \Seen and FiledKeyword (FiledKeyword is set only
// once the COPY succeeded: a message is never marked filed that is not in
// its folder). Never \Deleted, never EXPUNGE. It reports
// whether the message was filed; the error is a lost connection (the filing
// is then retried on the next connection). A folder that cannot be created
// leaves the message in place with a warning: it is recorded, nothing is
// lost.
func (s *session) file(ctx context.Context, m meta, folder string) (bool, error) {
	w := s.w
	uid := m.uid
	log := w.log.With(slog.Uint64("uid", uint64(uid)), slog.String("folder", folder))
	flags := []imap.Flag{imap.FlagSeen}
	if s.canKeyword {
		flags = append(flags, imap.Flag(FiledKeyword))
	}
	if s.inPlace(folder) {
		if err := s.flag(ctx, uid, flags...); err != nil {
			if isNo(err) {
				log.Warn("imap could not flag message", slog.Any("err", err))
				return false, nil
			}
			return false, s.pend(uid, folder, true, err)
		}
		return true, nil
	}

	server, ok, lost := s.target(ctx, folder)
	switch {
	case lost != nil:
		return false, s.pend(uid, folder, false, lost)
	case !ok:
		// The folder does not work: said once, in the log and in
		// Status. The message stays in place, unflagged, until it does.
		s.park(folder, uid)
		s.unfiled++
		return false, nil
	}
	copied := !s.canMove && hasFlag(m.flags, FiledKeyword)
	if !copied {
		err := s.transfer(ctx, uid, server)
		if isNo(err) && !errors.Is(err, errNotCopied) {
			// The folder may have been deleted while we ran: prepare it
			// again and try once more.
			log.Info("imap filing refused; preparing the folder and trying again", slog.Any("err", err))
			s.forget(folder)
			var ok bool
			server, ok, lost = s.target(ctx, folder)
			switch {
			case lost != nil:
				return false, s.pend(uid, folder, false, lost)
			case !ok:
				s.park(folder, uid)
				s.unfiled++
				return false, nil
			}
			err = s.transfer(ctx, uid, server)
		}
		switch {
		case errors.Is(err, errNotCopied):
			log.Warn("imap message left in place: the server copied nothing (it is recorded)", slog.Any("err", err))
			return false, nil
		case isNo(err):
			s.forget(folder)
			s.w.folderBroken(folder, server, err)
			s.park(folder, uid)
			s.unfiled++
			return false, nil
		case err != nil:
			return false, s.pend(uid, folder, false, err)
		}
		s.w.folderWorks(folder)
		if s.canMove {
			return true, nil
		}
	}
	if err := s.flag(ctx, uid, flags...); err != nil {
		if isNo(err) {
			log.Warn("imap message copied but could not be flagged", slog.Any("err", err))
			return true, nil
		}
		return false, s.pend(uid, folder, true, err)
	}
	return true, nil
}

// inPlace reports whether filing to folder leaves the message in the
// watched mailbox, flagged.
func (s *session) inPlace(folder string) bool {
	return folder == "" || sameMailbox(folder, s.w.opts.Mailbox)
}

// fileMany files recorded messages bound for the same folder, on a server
// with MOVE: one UID MOVE for them all. When the server refuses it (the
// folder was deleted meanwhile, say), each is filed on its own, which
// creates the folder or leaves the message in place with a warning. A lost
// connection leaves them all to be filed on the next one. It returns how
// many were filed.
func (s *session) fileMany(ctx context.Context, ms []meta, folder string) (int, error) {
	if len(ms) == 1 {
		filed, err := s.file(ctx, ms[0], folder)
		if filed {
			return 1, err
		}
		return 0, err
	}
	server, ok, lost := s.target(ctx, folder)
	switch {
	case lost != nil:
		for _, m := range ms {
			s.pend(m.uid, folder, false, nil)
		}
		return 0, lost
	case !ok:
		for _, m := range ms {
			s.park(folder, m.uid)
			s.unfiled++
		}
		return 0, nil
	}
	uids := make([]imap.UID, len(ms))
	for i, m := range ms {
		uids[i] = m.uid
	}
	err := s.do(ctx, "move messages to "+server, func(func()) error {
		_, err := s.c.Move(imap.UIDSetNum(uids...), server).Wait()
		return err
	})
	switch {
	case err == nil:
		s.w.folderWorks(folder)
		return len(ms), nil
	case !isNo(err):
		for _, m := range ms {
			s.pend(m.uid, folder, false, nil)
		}
		return 0, err
	}
	n := 0
	for i, m := range ms {
		filed, err := s.file(ctx, m, folder)
		if filed {
			n++
		}
		if err != nil {
			// file has kept this one for the next connection; the
			// rest too.
			for _, r := range ms[i+1:] {
				s.pend(r.uid, folder, false, nil)
			}
			return n, err
		}
	}
	return n, nil
}

// errNotCopied is a UID COPY that succeeded but copied nothing: the message
// is gone, the folder is fine.
var errNotCopied = errors.New("inbox: server copied nothing")

// transfer moves uid to folder, or copies it when the server has no MOVE.
// It never calls Client.Move without MOVE: go-imap's fallback expunges even
// when the COPY failed.
func (s *session) transfer(ctx context.Context, uid imap.UID, folder string) error {
	set := imap.UIDSetNum(uid)
	if s.canMove {
		return s.do(ctx, "move message to "+folder, func(func()) error {
			_, err := s.c.Move(set, folder).Wait()
			return err
		})
	}
	var data *imap.CopyData
	err := s.do(ctx, "copy message to "+folder, func(func()) error {
		var err error
		data, err = s.c.Copy(set, folder).Wait()
		return err
	})
	if err != nil {
		return err
	}
	// With COPYUID (UIDPLUS) the server says what it copied; a UID COPY
	// of a message that is gone succeeds and copies nothing.
	if data != nil && len(data.SourceUIDs) > 0 && !data.SourceUIDs.Contains(uid) {
		return fmt.Errorf("COPYUID does not list message %d: %w", uid, errNotCopied)
	}
	return nil
}

func (s *session) flag(ctx context.Context, uid imap.UID, flags ...imap.Flag) error {
	return s.do(ctx, "flag message", func(func()) error {
		return s.c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{
			Op: imap.StoreFlagsAdd, Silent: true, Flags: flags,
		}, nil).Close()
	})
}

// pend remembers a filing cut off by a lost connection and returns err.
func (s *session) pend(uid imap.UID, folder string, copied bool, err error) error {
	w := s.w
	if len(w.pending) >= maxPending {
		w.log.Warn("imap too many unfiled messages; the oldest stays in place (it is recorded)",
			slog.Uint64("uid", uint64(w.pending[0].uid)))
		w.pending = w.pending[1:]
	}
	w.pending = append(w.pending, pendingFiling{uidValidity: s.uidValidity, uid: uint32(uid), folder: folder, copied: copied})
	return err
}

// filePending retries the filings that a lost connection cut off.
func (s *session) filePending(ctx context.Context) error {
	w := s.w
	todo := w.pending
	w.pending = nil
	var uids []imap.UID
	for _, p := range todo {
		if p.uidValidity != s.uidValidity {
			w.log.Warn("imap UIDVALIDITY changed; an unfiled message stays in place", slog.Uint64("uid", uint64(p.uid)))
			continue
		}
		uids = append(uids, imap.UID(p.uid))
	}
	if len(uids) == 0 {
		return nil
	}
	var bufs []*imapclient.FetchMessageBuffer
	err := s.do(ctx, "fetch unfiled messages", func(func()) error {
		var err error
		bufs, err = s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, Flags: true}).Collect()
		return err
	})
	if err != nil {
		w.pending = todo
		return err
	}
	present := make(map[imap.UID][]imap.Flag, len(bufs))
	for _, b := range bufs {
		present[b.UID] = b.Flags
	}
	for i, p := range todo {
		if p.uidValidity != s.uidValidity {
			continue
		}
		flags, ok := present[imap.UID(p.uid)]
		if !ok {
			continue // moved after all, or expunged by someone else
		}
		m := meta{uid: imap.UID(p.uid), flags: flags}
		if p.copied && p.folder != "" {
			// COPY went through; only the flags are missing.
			m.flags = append(m.flags, imap.Flag(FiledKeyword))
		}
		if _, err := s.file(ctx, m, p.folder); err != nil {
			// file has re-queued this one; keep the rest.
			w.pending = append(w.pending, todo[i+1:]...)
			return err
		}
	}
	return nil
}

// sameMailbox compares mailbox names: INBOX is case-insensitive (RFC 3501
// 5.1), every other name is not.
func sameMailbox(a, b string) bool {
	return a == b || strings.EqualFold(a, "INBOX") && strings.EqualFold(b, "INBOX")
}

func hasFlag(flags []imap.Flag, want string) bool {
	for _, f := range flags {
		if strings.EqualFold(string(f), want) {
			return true
		}
	}
	return false
}
