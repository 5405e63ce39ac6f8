package jobs

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"outreach"
	"outreach/mailer/inbox"
	"outreach/replies"
	"outreach/store"
)

// Folders are where intake files messages on the IMAP server.
type Folders struct {
	Processed string // recorded answers, auto-replies, delayed notices
	Review    string // review items and unrelated mail, for a person
	Bounces   string // bounces
}

// Intake records what inbound messages say. It implements inbox.Handler:
// each message's result and the new checkpoint are committed in one
// transaction, and only then is the message filed on the server.
type Intake struct {
	e       *Engine
	mailbox string
	folders Folders
	// sinceDrop counts the messages recorded since the Intake last let go
	// of the store's map (see HandleGroup).
	sinceDrop atomic.Int64
	// prepared holds the last two groups PrepareGroup was given, until
	// HandleGroup takes their messages or passes them by. A sync that
	// stops leaves at most those two, until the next one prepares its own.
	mu       sync.Mutex
	prepared [2]*preparedGroup
}

var _ inbox.GroupPreparer = (*Intake)(nil)

// preparedGroup is a group PrepareGroup is classifying, or has.
type preparedGroup struct {
	uids map[uint32]uint32 // the group's UIDs, to their UIDVALIDITY
	done chan struct{}     // closed once msgs is filled
	// msgs holds the messages classified, by UID; once done is closed,
	// guarded by Intake.mu.
	msgs map[uint32]preparedMessage
}

// isDone reports whether g's classification is over.
func (g *preparedGroup) isDone() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// preparedMessage is a message PrepareGroup classified.
type preparedMessage struct {
	uidValidity uint32
	raw         []byte
	c           classified
}

// Intake returns the handler for the IMAP mailbox named mailbox.
func (e *Engine) Intake(mailbox string, folders Folders) *Intake {
	return &Intake{e: e, mailbox: mailbox, folders: folders}
}

// Checkpoint returns the last recorded position in the mailbox.
func (in *Intake) Checkpoint(ctx context.Context) (inbox.Checkpoint, error) {
	var c store.Checkpoint
	err := in.e.st.View(func(tx *store.Tx) error {
		var err error
		c, err = tx.Checkpoint(in.mailbox)
		return err
	})
	return inbox.Checkpoint{UIDValidity: c.UIDValidity, LastUID: c.LastUID}, err
}

// Handle classifies msg and records the result with the checkpoint: a
// group of one.
func (in *Intake) Handle(ctx context.Context, msg inbox.Message) (string, error) {
	folders, err := in.HandleGroup(ctx, []inbox.Message{msg})
	if err != nil {
		return "", err
	}
	return folders[0], nil
}

// HandleGroup classifies msgs in order and records their results with the
// checkpoint of the last one recorded, in one transaction: one durable
// commit for a fetched group instead of one per message. A message that
// changes the directory (a bounce marking an address undeliverable) ends
// the group, so the next ones are classified against the directory as
// committed. On error nothing is recorded; the Watcher then hands the
// messages over one by one (Handle).
//
// The messages are classified before the write transaction (see ahead);
// the transaction uses each result only if it was read against what the
// transaction holds, and classifies the message again otherwise.
func (in *Intake) HandleGroup(ctx context.Context, msgs []inbox.Message) ([]string, error) {
	return in.record(msgs, in.ahead(msgs))
}

// PrepareGroup starts classifying msgs ahead of HandleGroup, and returns:
// the Watcher fetches the next group meanwhile, and the group before may be
// being recorded (inbox.GroupPreparer). HandleGroup waits for what it
// needs of it.
func (in *Intake) PrepareGroup(ctx context.Context, msgs []inbox.Message) {
	if ctx.Err() != nil || len(msgs) == 0 {
		return
	}
	g := &preparedGroup{uids: make(map[uint32]uint32, len(msgs)), done: make(chan struct{})}
	raws := make([][]byte, len(msgs))
	for i, msg := range msgs {
		g.uids[msg.UID] = msg.UIDValidity
		raws[i] = msg.Raw
	}
	msgs = slices.Clone(msgs)
	go func() {
		defer close(g.done)
		cs := in.e.classifyAhead(raws)
		g.msgs = make(map[uint32]preparedMessage, len(msgs))
		for i, msg := range msgs {
			if cs[i].done {
				g.msgs[msg.UID] = preparedMessage{uidValidity: msg.UIDValidity, raw: msg.Raw, c: cs[i]}
			}
		}
	}()
	in.mu.Lock()
	in.prepared[0], in.prepared[1] = g, in.prepared[0]
	in.mu.Unlock()
}

// ahead returns msgs classified ahead of the transaction that records them:
// as PrepareGroup classified them (waiting for it), when it did so at the
// directory generation now committed; otherwise now, in parallel, when
// they are several (a message alone is classified in the transaction).
func (in *Intake) ahead(msgs []inbox.Message) []classified {
	out := make([]classified, len(msgs))
	if len(msgs) == 0 {
		return out
	}
	var wait []*preparedGroup
	in.mu.Lock()
	for _, g := range in.prepared {
		if g == nil {
			continue
		}
		for _, msg := range msgs {
			if v, ok := g.uids[msg.UID]; ok && v == msg.UIDValidity {
				wait = append(wait, g)
				break
			}
		}
	}
	in.mu.Unlock()
	for _, g := range wait {
		<-g.done
	}
	in.mu.Lock()
	groups := append(wait, in.prepared[:]...) // those waited for, even if let go since
	for i, msg := range msgs {
		for _, g := range groups {
			if g == nil || !g.isDone() {
				continue
			}
			if p, ok := g.msgs[msg.UID]; ok && p.uidValidity == msg.UIDValidity && bytes.Equal(p.raw, msg.Raw) {
				out[i] = p.c
				delete(g.msgs, msg.UID)
				break
			}
		}
	}
	in.letGoPassed(msgs[0])
	in.mu.Unlock()
	var gen uint64
	_ = in.e.st.View(func(tx *store.Tx) error { gen = tx.DirectoryGeneration(); return nil })
	var redo []int
	for i, msg := range msgs {
		if msg.Raw != nil && (!out[i].done || out[i].gen != gen) {
			redo = append(redo, i)
		}
	}
	if len(redo) < 2 {
		return out
	}
	raws := make([][]byte, len(redo))
	for j, i := range redo {
		raws[j] = msgs[i].Raw
	}
	for j, c := range in.e.classifyAhead(raws) {
		out[redo[j]] = c
	}
	return out
}

// letGoPassed drops what was prepared before first, with in.mu held.
// Messages are handed over in UID order: what was prepared before them is
// not asked for again (a message refiled comes in a pass of its own,
// prepared anew). A group with nothing left is let go, even while it is
// still being classified.
func (in *Intake) letGoPassed(first inbox.Message) {
	for k, g := range in.prepared {
		if g == nil {
			continue
		}
		passed := func(uid, validity uint32) bool { return uid < first.UID || validity != first.UIDValidity }
		if g.isDone() {
			for uid, p := range g.msgs {
				if passed(uid, p.uidValidity) {
					delete(g.msgs, uid)
				}
			}
			if len(g.msgs) == 0 {
				in.prepared[k] = nil
			}
			continue
		}
		left := false
		for uid, v := range g.uids {
			if !passed(uid, v) {
				left = true
				break
			}
		}
		if !left {
			in.prepared[k] = nil
		}
	}
}

// record is HandleGroup with msgs classified ahead in ahead (nil: none).
func (in *Intake) record(msgs []inbox.Message, ahead []classified) ([]string, error) {
	defer in.e.Wake() // an answer may have queued a confirmation
	var folders []string
	err := in.e.st.Update(func(tx *store.Tx) error {
		folders = folders[:0]
		var last inbox.Message
		for i, msg := range msgs {
			var pre *classified
			if ahead != nil {
				pre = &ahead[i]
			}
			where := "imap " + in.mailbox + " uid " + strconv.FormatUint(uint64(msg.UID), 10)
			folder, err := in.e.apply(tx, msg.Raw, msg.Size, where, oversizeKey(in.mailbox, msg), in.folders, pre)
			if err != nil {
				return err
			}
			folders, last = append(folders, folder), msg
			if tx.DirectoryChanged() {
				break
			}
		}
		return tx.SetCheckpoint(in.mailbox, store.Checkpoint{UIDValidity: last.UIDValidity, LastUID: last.UID})
	})
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	// Recording touches store pages all over the file (each message's
	// Message-ID lands in a leaf of its own, and each commit writes the
	// pages it changed anew): a first sync of 50,000 replies held 37 MB
	// of a 48 MB store resident letting go once a second, 18 MB every
	// 200 messages, 6 MB every 50.
	if in.sinceDrop.Add(int64(len(folders))) >= dropMappedEvery {
		in.sinceDrop.Store(0)
		in.e.dropMapped(true)
	} else {
		in.e.dropMapped(false)
	}
	return folders, nil
}

// dropMappedEvery is how many messages the Intake records between two
// lettings go of the store's map, at most (HandleGroup).
const dropMappedEvery = 50

// messageKey identifies an inbound message for de-duplication: its
// Message-ID, or a digest of its bytes when it has none.
func messageKey(id string, raw []byte) string {
	if id = strings.TrimSpace(id); id != "" {
		return id
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// oversizeKey identifies a message too large to read: its Message-ID from
// the server's envelope, which holds across a UIDVALIDITY change; without
// one, its place in the mailbox under this UIDVALIDITY (the same UID under
// another UIDVALIDITY is another message).
func oversizeKey(mailbox string, msg inbox.Message) string {
	if id := strings.TrimSpace(msg.MessageID); id != "" {
		return "oversize:" + id
	}
	return fmt.Sprintf("oversize:imap %s uidvalidity %d uid %d", mailbox, msg.UIDValidity, msg.UID)
}

// maxExcerpt bounds the text kept with a review item.
const maxExcerpt = 2000

// apply records what one message says, within tx, and returns the folder it
// belongs in. The same message applied twice records nothing the second
// time and returns the folder of the first. A message too large to read
// (raw nil) is known by oversize. pre, when not nil, is raw classified
// ahead of tx (see classifyIn).
func (e *Engine) apply(tx *store.Tx, raw []byte, size int64, where, oversize string, folders Folders, pre *classified) (string, error) {
	now := e.now()
	if raw == nil {
		// Too large to fetch: a person looks at it.
		key := oversize
		if p, seen, err := tx.Processed(key); err != nil {
			return "", err
		} else if seen {
			e.log.Info("message already recorded", "message_id", key, "kind", p.Kind)
			return cmp.Or(p.Folder, folders.Review), nil
		}
		id, err := tx.AddReview(outreach.ReviewItem{MessageID: key, Received: now,
			Reason: fmt.Sprintf("message of %d bytes is too large to read automatically (%s)", size, where)})
		if err != nil {
			return "", err
		}
		return folders.Review, tx.MarkProcessed(store.Processed{MessageID: key, Kind: "review", Review: id, Folder: folders.Review})
	}
	res, err := e.classifyIn(tx, raw, pre)
	if err != nil {
		return "", err
	}
	key := messageKey(res.MessageID, raw)
	if p, seen, err := tx.Processed(key); err != nil {
		return "", err
	} else if seen {
		e.log.Info("message already recorded", "message_id", key, "kind", p.Kind)
		return p.Folder, nil
	}
	rec := store.Processed{MessageID: key, Kind: res.Kind.String(), Mission: res.Mission}
	switch res.Kind {
	case replies.RSVP:
		if err := e.recordAnswers(tx, res, key); err != nil {
			return "", err
		}
		rec.Folder = folders.Processed
	case replies.Bounce:
		if res.BouncedAddress != "" {
			why := strings.TrimSpace(res.BounceStatus + " " + res.BounceDiagnostic)
			if why == "" {
				why = res.Reason
			}
			if err := e.markUndeliverable(tx, res.Mission, res.BouncedAddress, why); err != nil {
				return "", err
			}
			if res.Mission == "" {
				if err := e.markUndeliverableAnywhere(tx, res.BouncedAddress, why); err != nil {
					return "", err
				}
			}
		}
		rec.Folder = folders.Bounces
	case replies.Delayed:
		rec.Folder = folders.Bounces
	case replies.AutoReply:
		rec.Folder = folders.Processed
	case replies.Review:
		id, err := tx.AddReview(reviewItem(res, key, now))
		if err != nil {
			return "", err
		}
		rec.Review = id
		rec.Folder = folders.Review
	default:
		rec.Folder = folders.Review
	}
	e.log.Info("reply recorded", "message_id", key, "kind", rec.Kind, "mission", res.Mission, "match", string(res.Match), "reason", res.Reason)
	return rec.Folder, tx.MarkProcessed(rec)
}

func reviewItem(res replies.Result, key string, now time.Time) outreach.ReviewItem {
	excerpt := res.Excerpt
	if len(excerpt) > maxExcerpt {
		excerpt = excerpt[:maxExcerpt]
	}
	return outreach.ReviewItem{MessageID: key, From: outreach.HeaderText(res.From), Subject: outreach.HeaderText(res.Subject), Reason: res.Reason,
		Mission: res.Mission, Sessions: res.Sessions, Excerpt: excerpt, Received: now}
}

// markUndeliverableAnywhere marks addr on whichever mission lists it.
func (e *Engine) markUndeliverableAnywhere(tx *store.Tx, addr, why string) error {
	ms, err := tx.Missions()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, ok := m.Contact(addr); ok {
			if err := e.markUndeliverable(tx, m.ID, addr, why); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordAnswers records an RSVP result: one answer per session named. An
// answer given by letter or by staff is confirmed with a calendar request
// for the session; a calendar reply needs none.
func (e *Engine) recordAnswers(tx *store.Tx, res replies.Result, key string) error {
	if res.Mission == "" {
		return errors.New("rsvp without a mission")
	}
	src := outreach.Source{Kind: outreach.FromEmail, MessageID: key, Actor: res.From}
	if res.Calendar != nil {
		src.Kind = outreach.FromCalendar
		src.Sequence = res.Calendar.Sequence
		src.DTStamp = res.Calendar.DTStamp
		if src.DTStamp.IsZero() {
			// Exchange at times leaves DTSTAMP out of a REPLY. Without a
			// stamp the answer would lose to any earlier one of the same
			// SEQUENCE: date it by the message, else by its arrival.
			src.DTStamp = res.Date.UTC()
			if res.Date.IsZero() {
				src.DTStamp = e.now().UTC()
			}
		}
		if res.Calendar.Attendee != "" {
			src.Actor = res.Calendar.Attendee
		}
	}
	var changed []string
	for _, sur := range sortedKeys(res.Sessions) {
		r := outreach.RSVP{Mission: res.Mission, Session: sur, Status: res.Sessions[sur], Delegates: res.Delegates,
			DelegateNames: res.DelegateNames, Note: res.Comment, At: e.now(), Source: src}
		ok, err := e.recordAnswer(tx, r)
		if err != nil {
			return err
		}
		if ok {
			changed = append(changed, sur)
		}
	}
	if src.Kind != outreach.FromEmail || len(changed) < 2 {
		return nil
	}
	// One letter answering several Pre-sessions: one summary of what was
	// recorded, and each calendar request only carries its invitation.
	m, err := tx.Mission(res.Mission)
	if err != nil || len(m.Usable()) == 0 {
		return err
	}
	sum := sha256.Sum256([]byte(key))
	summary := outreach.OutboxKey{Kind: outreach.PageSummary, Mission: res.Mission, Revision: letterSummary + hex.EncodeToString(sum[:8])}
	if _, _, err := e.enqueue(tx, summary, "", e.now()); err != nil {
		return err
	}
	return coverConfirmations(tx, res.Mission, changed)
}

// letterSummary begins the revision of a summary that follows a letter
// rather than a reply page.
const letterSummary = "letter-"

// coveredKey names the mark of a confirmation sent with a summary of the
// answers it follows.
func coveredKey(k outreach.OutboxKey) string { return "covered:" + k.String() }

// coverConfirmations marks the confirmations of mission's sessions still
// to be sent for the first time as covered by a summary queued with them:
// each then carries its calendar invitation and refers to the summary.
func coverConfirmations(tx *store.Tx, mission string, sessions []string) error {
	for _, sur := range sessions {
		pending, err := pendingCalendar(tx, mission, sur)
		if err != nil {
			return err
		}
		for _, it := range pending[outreach.Confirmation] {
			if it.State != outreach.Queued || it.Attempts > 0 {
				continue // its first attempt may have gone: it stays as it was
			}
			if err := tx.PutState(coveredKey(it.Key), true); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordAnswer records one answer: a reply to a cancelled session or to an
// older revision of a calendar event is kept in history only. It reports
// whether the current answer changed.
func (e *Engine) recordAnswer(tx *store.Tx, r outreach.RSVP) (bool, error) {
	changed, _, err := e.recordAnswerCalendar(tx, r)
	return changed, err
}

// calendarChange says what an answer queued for the mission's calendar.
type calendarChange struct {
	// request: the session's request goes to the mission (queued now, or
	// queued before and not yet sent); cancel: a CANCEL was queued.
	request, cancel bool
}

// recordAnswerCalendar is recordAnswer, keeping the mission's calendar in
// step with an answer given by letter, to staff or on the reply page (a
// calendar answer was made in the calendar itself):
//   - accepting (or tentative) gets the calendar request it could not
//     click; accepting again after a CANCEL went requests the session
//     anew, as a newer revision; a CANCEL not yet sent is superseded;
//   - giving the session up after its request went queues one CANCEL; a
//     request not yet sent is superseded instead. Declining gives it up;
//     so does "not yet decided" on the reply page, where it is how an
//     acceptance is taken back (staff setting "none" corrects a record).
func (e *Engine) recordAnswerCalendar(tx *store.Tx, r outreach.RSVP) (bool, calendarChange, error) {
	var cc calendarChange
	s, err := e.session(tx, r.Session)
	if err != nil {
		return false, cc, err
	}
	if s.Status == outreach.Cancelled {
		r.Stale = "the session was cancelled"
	}
	if r.Source.Kind != outreach.FromCalendar {
		// A letter or a staff decision answers the session as it is now.
		r.Source.Sequence = s.Sequence
	}
	keep := r.Source.Kind != outreach.FromCalendar && s.Status != outreach.Cancelled
	var held bool // the mission's calendar holds the session before this answer
	var cur outreach.RSVP
	if keep {
		if cur, err = tx.RSVP(r.Mission, r.Session); err != nil {
			return false, cc, err
		}
		if held, err = calendarHeld(tx, r.Mission, r.Session, cur); err != nil {
			return false, cc, err
		}
	}
	changed, err := tx.RecordRSVP(r)
	if err != nil || !changed {
		return changed, cc, err
	}
	if r.Source.Kind != outreach.FromCalendar && attends(r.Status) {
		if err := e.confirmAnswer(tx, r, s); err != nil {
			return true, cc, err
		}
	}
	if !keep {
		return true, cc, nil
	}
	cc, err = e.keepCalendar(tx, r, s, cur, held)
	return true, cc, err
}

// attends reports whether an answer means coming (accepted or tentative).
func attends(st outreach.Status) bool { return st == outreach.Accepted || st == outreach.Tentative }

// confirmAnswer queues the calendar request a plain answer (a letter,
// staff, the reply page) could not click.
func (e *Engine) confirmAnswer(tx *store.Tx, r outreach.RSVP, s outreach.Session) error {
	key := outreach.OutboxKey{Kind: outreach.Confirmation, Mission: r.Mission, Session: r.Session, Revision: strconv.Itoa(s.Sequence)}
	it, added, err := e.enqueue(tx, key, "", e.now())
	if err != nil {
		return err
	}
	if !added && it.State == outreach.Superseded {
		// Accepted, declined before the request went, accepted again:
		// the same request (same Message-ID, never sent) is due again.
		it.State, it.Next, it.Error = outreach.Queued, e.now(), ""
		if err := tx.SaveOutbox(it); err != nil {
			return err
		}
	}
	return nil
}

// keepCalendar keeps the mission's calendar in step with r, an answer
// given other than in the calendar: cur is the answer before it, held
// whether the calendar held the session then.
func (e *Engine) keepCalendar(tx *store.Tx, r outreach.RSVP, s outreach.Session, cur outreach.RSVP, held bool) (calendarChange, error) {
	var cc calendarChange
	how := map[outreach.SourceKind]string{outreach.FromWeb: "on the reply page", outreach.FromEmail: "by letter",
		outreach.FromStaff: "through staff"}[r.Source.Kind]
	pending, err := pendingCalendar(tx, r.Mission, r.Session)
	if err != nil {
		return cc, err
	}
	givenUp := r.Status == outreach.Declined || r.Status == outreach.None && r.Source.Kind == outreach.FromWeb
	switch {
	case attends(r.Status):
		if err := supersedeItems(tx, pending[outreach.Withdrawal], "answered "+r.Status.String()+" again "+how+" before the cancellation was sent"); err != nil {
			return cc, err
		}
		if !held && len(pending[outreach.Confirmation]) == 0 {
			// The request went, then its cancellation: the calendar
			// needs the request again, as a newer revision.
			if _, err := e.enqueueAgain(tx, outreach.Confirmation, r.Mission, s, e.now()); err != nil {
				return cc, err
			}
		}
		cc.request = !held || len(pending[outreach.Confirmation]) > 0
	case givenUp && attends(cur.Status):
		verb := "declined"
		if r.Status == outreach.None {
			verb = "taken back"
		}
		if err := supersedeItems(tx, pending[outreach.Confirmation], verb+" "+how+" before the request was sent"); err != nil {
			return cc, err
		}
		if held && len(pending[outreach.Withdrawal]) == 0 {
			// The request is in the mission's calendar: take it out.
			if _, err := e.enqueueAgain(tx, outreach.Withdrawal, r.Mission, s, e.now()); err != nil {
				return cc, err
			}
			cc.cancel = true
		}
	}
	return cc, nil
}

// storeDirectory is what replies.Classify knows of the round, read from the
// store in the transaction that records the result: the index of missions
// and sessions (cached by directory generation) and the outbox of tx.
type storeDirectory struct {
	*dirIndex
	e  *Engine
	tx *store.Tx
}

func (e *Engine) directory(tx *store.Tx) (*storeDirectory, error) {
	ix, err := e.dirIndex(tx)
	if err != nil {
		return nil, err
	}
	return &storeDirectory{dirIndex: ix, e: e, tx: tx}, nil
}

// ByUID maps one of our calendar UIDs to its mission and session: only a
// UID some copy was given (keyed, or readable for the copies sent before
// UIDs were keyed), never one merely well formed.
func (d *storeDirectory) ByUID(uid string) (string, string, bool) {
	p, ok := d.uids[strings.ToLower(strings.TrimSpace(uid))]
	if !ok || !d.missions[p[0]] || !d.sessIDs[p[1]] {
		return "", "", false
	}
	return p[0], p[1], true
}

// ByToken maps a reply-address token to its mission.
func (d *storeDirectory) ByToken(token string) (string, bool) {
	m, ok := d.tokens[strings.ToLower(token)]
	return m, ok
}

// ByMessageID maps a Message-ID we sent to its mission.
func (d *storeDirectory) ByMessageID(id string) (string, bool) { return byMessageID(d.tx, id) }

func byMessageID(tx *store.Tx, id string) (string, bool) {
	it, err := tx.OutboxByMessageID(strings.TrimSpace(id))
	if err != nil || it.Key.Mission == "" {
		return "", false
	}
	return it.Key.Mission, true
}

// ByAddress maps a known contact address to its mission.
func (d *storeDirectory) ByAddress(addr string) (string, bool) {
	m, ok := d.addresses[strings.ToLower(addr)]
	return m, ok
}

// ByDomain maps a mission's mail domain to the mission.
func (d *storeDirectory) ByDomain(domain string) (string, bool) {
	m, ok := d.domains[strings.ToLower(domain)]
	return m, ok
}

// Mailbox is the organiser mailbox.
func (d *storeDirectory) Mailbox() string { return d.mailbox }

// Sessions lists the round's sessions with every name of their State.
func (d *storeDirectory) Sessions() []replies.Session { return d.sessions }
