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
//
// The work is pipelined by fetched group: while the Handler records one
// group, the previous group is filed and the next group's bodies are
// fetched (and prepared, for a GroupPreparer); a group is handed over once
// the Handler is done with the one before, which is then given to the
// filer. So the server's and the Handler's time overlap, the Handler is
// still handed messages from one goroutine at a time and in UID order
// (PrepareGroup aside), and nothing is filed before it is recorded. At
// most two groups' bodies are held at once. The filer moves recorded messages in groups larger than
// the fetched ones (Watcher.moveGroup, or a tenth of uids when that is
// more) and files what is left once uids are through, or handleUIDs
// stops, whatever its return.
func (s *session) handleUIDs(ctx context.Context, uids []imap.UID, st *Stats, again bool) (err error) {
	w := s.w
	var inFlight *handling
	f := s.newFiler(ctx, st, again, max(w.moveGroup, len(uids)/moveShare))
	defer func() {
		if inFlight != nil {
			if ferr := s.finishGroup(inFlight, f); err == nil {
				err = ferr
			}
		}
		if ferr := f.flush(); err == nil {
			err = ferr
		}
	}()
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
			g, err := s.prepareGroup(ctx, group)
			if err != nil {
				return err
			}
			if _, ok := w.h.(GroupHandler); !ok {
				if err := s.handleEach(ctx, g, f); err != nil {
					return err
				}
				continue
			}
			if p, ok := w.h.(GroupPreparer); ok {
				// Alongside the Handler's recording of the group before.
				p.PrepareGroup(ctx, g.msgs)
			}
			if h := inFlight; h != nil {
				if <-h.done; h.err != nil {
					inFlight = nil
					return s.finishGroup(h, f)
				}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			// The group recorded is filed while the Handler records the
			// next: a MOVE of a full run takes a Maildir server time in
			// proportion to the mailbox.
			prev := inFlight
			inFlight = s.startGroup(ctx, g)
			if prev != nil {
				if err := s.finishGroup(prev, f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// preparedGroup is a fetched group ready to be handed over: each message
// with what is known of it on the server.
type preparedGroup struct {
	metas []meta
	msgs  []Message
}

// handling is a group being handed over in the background; done is closed
// when the Handler is through with it.
type handling struct {
	g       preparedGroup
	done    chan struct{}
	folders []string // of the messages recorded, a prefix of g
	err     error
}

// prepareGroup fetches the bodies of group and makes its Messages.
func (s *session) prepareGroup(ctx context.Context, group []meta) (preparedGroup, error) {
	w := s.w
	bodies, err := s.fetchBodies(ctx, group)
	if err != nil {
		return preparedGroup{}, err
	}
	g := preparedGroup{metas: make([]meta, 0, len(group)), msgs: make([]Message, 0, len(group))}
	for _, m := range group {
		if err := ctx.Err(); err != nil {
			return preparedGroup{}, err
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
					return preparedGroup{}, err
				}
				if !gone {
					return preparedGroup{}, fmt.Errorf("inbox: fetch message %d: server returned no body", m.uid)
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
				return preparedGroup{}, err
			}
		}
		g.metas = append(g.metas, m)
		g.msgs = append(g.msgs, msg)
	}
	return g, nil
}

// startGroup hands g over to the Handler in a goroutine of its own: in
// groups when the Handler takes them, each call recording a prefix of what
// is left, until every message is recorded or one fails.
func (s *session) startGroup(ctx context.Context, g preparedGroup) *handling {
	h := &handling{g: g, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		msgs, grouped := g.msgs, true
		for len(msgs) > 0 {
			if err := ctx.Err(); err != nil {
				h.err = err
				return
			}
			folders, stillGrouped, err := s.handle(ctx, msgs, grouped)
			h.folders = append(h.folders, folders...)
			if err != nil {
				h.err = err
				return
			}
			msgs, grouped = msgs[len(folders):], stillGrouped
		}
	}()
	return h
}

// finishGroup waits for the Handler to be through with h and gives the
// messages it recorded to f. It returns the first filing error, or else the
// Handler's.
func (s *session) finishGroup(h *handling, f *filer) error {
	<-h.done
	for i, folder := range h.folders {
		if err := f.file(h.g.metas[i], h.g.msgs[i], folder); err != nil {
			return err
		}
	}
	return h.err
}

// handleEach hands the messages of g over to a Handler that takes them one
// at a time, giving each to f once it is recorded, before the next is
// handed over.
func (s *session) handleEach(ctx context.Context, g preparedGroup, f *filer) error {
	for i, msg := range g.msgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		folder, err := s.w.h.Handle(ctx, msg)
		if err != nil {
			return fmt.Errorf("inbox: handle message %d: %w", msg.UID, err)
		}
		if err := f.file(g.metas[i], msg, folder); err != nil {
			return err
		}
	}
	return nil
}

// filer files recorded messages. With MOVE, the messages bound for a
// folder wait in that folder's run and are moved together, one UID MOVE for
// limit of them, and the runs left at flush, which the caller
// makes whatever its return: they are recorded, so filing goes on even if
// ctx ends (a command a folder more, bounded by the watchdog). A message
// recorded and not filed when the process dies is found on the next start
// (session.refile). Without MOVE, or filed in place, a message is filed at
// once.
type filer struct {
	s     *session
	ctx   context.Context
	st    *Stats
	again bool
	limit int
	runs  map[string][]meta // folder → recorded messages waiting for a MOVE
	order []string          // the folders of runs, in the order they began
}

func (s *session) newFiler(ctx context.Context, st *Stats, again bool, limit int) *filer {
	return &filer{s: s, ctx: context.WithoutCancel(ctx), st: st, again: again, limit: max(limit, 1), runs: make(map[string][]meta)}
}

// flush moves every run waiting. Once a MOVE fails (the connection is
// lost: fileMany has kept its messages for the next connection), the other
// runs are kept the same way without trying.
func (f *filer) flush() error {
	for len(f.order) > 0 {
		folder := f.order[0]
		f.order = f.order[1:]
		if err := f.flushRun(folder); err != nil {
			f.keep()
			return err
		}
	}
	return nil
}

// keep leaves every run waiting to the next connection (see pend).
func (f *filer) keep() {
	for _, folder := range f.order {
		for _, m := range f.runs[folder] {
			f.s.pend(m.uid, folder, false, nil)
		}
		delete(f.runs, folder)
	}
	f.order = nil
}

// flushRun moves the run waiting for folder, if any.
func (f *filer) flushRun(folder string) error {
	run := f.runs[folder]
	delete(f.runs, folder)
	if len(run) == 0 {
		return nil
	}
	n, err := f.s.fileMany(f.ctx, run, folder)
	if f.again {
		f.st.Refiled += n
	} else {
		f.st.Filed += n
	}
	return err
}

// file counts a message the Handler recorded and files it: with MOVE, it
// joins the run of messages bound for its folder, which is moved once it
// holds limit of them; otherwise it is filed at once.
func (f *filer) file(m meta, msg Message, folder string) error {
	s := f.s
	if !f.again {
		f.st.Fetched++
		f.st.LastUID = msg.UID
	}
	if s.canMove && !s.inPlace(folder) {
		run, ok := f.runs[folder]
		if !ok {
			f.order = append(f.order, folder)
		}
		f.runs[folder] = append(run, m)
		if len(f.runs[folder]) < f.limit {
			return nil
		}
		f.order = slices.DeleteFunc(f.order, func(o string) bool { return o == folder })
		return f.flushRun(folder)
	}
	filed, err := s.file(f.ctx, m, folder)
	switch {
	case filed && f.again:
		f.st.Refiled++
	case filed:
		f.st.Filed++
	}
	return err
}

// handle hands msgs over to the Handler, as a group when it takes groups
// (and grouped is still set), and returns the folders of the messages it
// recorded, a prefix of msgs. A group the Handler refuses is handed over
// again message by message, which records those before the one at fault
// and names it; grouped is then false for the rest of the fetched group.
func (s *session) handle(ctx context.Context, msgs []Message, grouped bool) ([]string, bool, error) {
	if gh, ok := s.w.h.(GroupHandler); ok && grouped && len(msgs) > 1 {
		folders, err := gh.HandleGroup(ctx, msgs)
		switch {
		case err == nil && len(folders) >= 1 && len(folders) <= len(msgs):
			return folders, true, nil
		case err == nil:
			s.w.log.Warn("imap handler recorded a group wrongly; handing messages over one by one",
				slog.Int("messages", len(msgs)), slog.Int("folders", len(folders)))
		case ctx.Err() != nil:
			return nil, false, fmt.Errorf("inbox: handle messages %d to %d: %w", msgs[0].UID, msgs[len(msgs)-1].UID, err)
		}
		grouped = false
	}
	folder, err := s.w.h.Handle(ctx, msgs[0])
	if err != nil {
		return nil, grouped, fmt.Errorf("inbox: handle message %d: %w", msgs[0].UID, err)
	}
	return []string{folder}, grouped, nil
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

// fileTarget is the server's name of folder, to file uid in. When the
// folder does not work (said once, in the log and in Status), uid stays in
// place, unflagged, until it does, and ok is false; a lost connection
// leaves uid to file on the next one (pend) and is returned.
func (s *session) fileTarget(ctx context.Context, uid imap.UID, folder string) (server string, ok bool, err error) {
	server, ok, lost := s.target(ctx, folder)
	switch {
	case lost != nil:
		return "", false, s.pend(uid, folder, false, lost)
	case !ok:
		s.park(folder, uid)
		s.unfiled++
		return "", false, nil
	}
	return server, true, nil
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

	server, ok, err := s.fileTarget(ctx, uid, folder)
	if !ok {
		return false, err
	}
	copied := !s.canMove && hasFlag(m.flags, FiledKeyword)
	if !copied {
		err := s.transfer(ctx, uid, server)
		if isNo(err) && !errors.Is(err, errNotCopied) {
			// The folder may have been deleted while we ran: prepare it
			// again and try once more.
			log.Info("imap filing refused; preparing the folder and trying again", slog.Any("err", err))
			s.forget(folder)
			if server, ok, err = s.fileTarget(ctx, uid, folder); !ok {
				return false, err
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
	// With MOVE they are moved in groups again, as when first filed.
	f := s.newFiler(ctx, &Stats{}, true, w.moveGroup)
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
		if err := f.file(m, Message{}, p.folder); err != nil {
			// The filing that failed is queued again; so are the rest,
			// and those waiting in f.
			f.keep()
			w.pending = append(w.pending, todo[i+1:]...)
			return err
		}
	}
	return f.flush()
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
