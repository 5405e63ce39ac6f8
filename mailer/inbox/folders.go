package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Folder names in Options and from the Handler are written as segments
// joined by "/": "outreach/processed" means the folder "processed" one
// level below "outreach", whatever the server's hierarchy delimiter. Each
// connection reads the delimiter (LIST "" "") and the personal namespace
// (NAMESPACE, RFC 2342) and builds the server's name from them:
// "outreach.processed" on Dovecot's Maildir++ layout, "INBOX.outreach.processed"
// where the personal namespace is "INBOX." (Courier, Cyrus),
// "outreach/processed" on Gmail. A name whose first segment is INBOX is
// placed below INBOX, without the namespace prefix.

// FolderError is a folder that cannot be used: it could not be created, or
// the server refused to file into it. Messages bound for it are recorded and
// stay in the watched mailbox; they are filed once the folder works.
type FolderError struct {
	// Folder is the name as configured ("outreach/processed").
	Folder string `json:"folder"`
	// Server is the name on the server ("INBOX.outreach.processed"), ""
	// when none could be built.
	Server string `json:"server_name,omitempty"`
	// Err is what went wrong, in the server's words.
	Err string `json:"error"`
	// Since is when the folder was first found not working.
	Since time.Time `json:"since"`
	// Waiting is the number of recorded messages left in the watched
	// mailbox for it, as far as this process knows.
	Waiting int `json:"waiting"`
}

// folderProblem is a broken folder's state, owned by the goroutine running
// the Watcher.
type folderProblem struct {
	server  string
	err     string
	since   time.Time
	lastTry time.Time
	// parked are the UIDs (in the UIDVALIDITY parkedIn) recorded and left
	// unfiled because the folder did not work.
	parked   []imap.UID
	parkedIn uint32
}

// DefaultFolderRetry is how often a broken folder is tried again.
const DefaultFolderRetry = time.Minute

// readLayout reads the hierarchy delimiter and the personal namespace's
// prefix. A server without NAMESPACE has no prefix.
func (s *session) readLayout(ctx context.Context, caps imap.CapSet) error {
	var delim rune
	err := s.do(ctx, `list ""`, func(func()) error {
		l, err := s.c.List("", "", nil).Collect()
		for _, m := range l {
			delim = m.Delim
		}
		return err
	})
	if err != nil {
		return err
	}
	s.delim, s.prefix = delim, ""
	if caps.Has(imap.CapNamespace) || caps.Has(imap.CapIMAP4rev2) {
		var ns *imap.NamespaceData
		err := s.do(ctx, "namespace", func(func()) error {
			var err error
			ns, err = s.c.Namespace().Wait()
			return err
		})
		switch {
		case err != nil && !isNo(err):
			return err
		case err == nil && ns != nil && len(ns.Personal) > 0:
			s.prefix = ns.Personal[0].Prefix
			if d := ns.Personal[0].Delim; d != 0 {
				s.delim = d
			}
		}
	}
	s.w.setLayout(s.delim, s.prefix)
	return nil
}

// serverName builds the server's name of a configured folder.
func (s *session) serverName(folder string) (string, error) {
	if sameMailbox(folder, "INBOX") {
		return "INBOX", nil
	}
	segs := strings.Split(folder, "/")
	for _, seg := range segs {
		if seg == "" {
			return "", fmt.Errorf("folder %q has an empty level", folder)
		}
		if s.delim != 0 && s.delim != '/' && strings.ContainsRune(seg, s.delim) {
			return "", fmt.Errorf("folder %q: %q holds the server's hierarchy delimiter %q; write levels with \"/\"", folder, seg, string(s.delim))
		}
	}
	if s.delim == 0 {
		if len(segs) > 1 {
			return "", fmt.Errorf("folder %q has levels but the server has no hierarchy; name it without \"/\"", folder)
		}
		return s.prefix + folder, nil
	}
	d := string(s.delim)
	if strings.EqualFold(segs[0], "INBOX") {
		segs[0] = "INBOX"
		return strings.Join(segs, d), nil
	}
	name := strings.Join(segs, d)
	if s.prefix != "" && !strings.HasPrefix(name, s.prefix) {
		name = s.prefix + name
	}
	return name, nil
}

// levels lists the server names of a folder and of each level above it,
// top first, without the namespace prefix alone ("INBOX.").
func (s *session) levels(server string) []string {
	if s.delim == 0 {
		return []string{server}
	}
	d := string(s.delim)
	rest := server
	head := ""
	if s.prefix != "" && strings.HasPrefix(server, s.prefix) {
		head, rest = s.prefix, server[len(s.prefix):]
	}
	parts := strings.Split(rest, d)
	var out []string
	for i := range parts {
		name := head + strings.Join(parts[:i+1], d)
		if sameMailbox(name, "INBOX") {
			continue
		}
		out = append(out, name)
	}
	return out
}

// prepareFolder builds folder's server name, creates every missing level,
// subscribes it and checks that it can hold messages. The error is the
// folder's problem (a refusal); a lost connection is returned as lost.
func (s *session) prepareFolder(ctx context.Context, folder string) (server string, problem, lost error) {
	server, err := s.serverName(folder)
	if err != nil {
		return "", err, nil
	}
	for _, level := range s.levels(server) {
		if err := s.ensureFolder(ctx, level); err != nil {
			if isNo(err) {
				return server, err, nil
			}
			return server, nil, err
		}
	}
	var attrs []imap.MailboxAttr
	err = s.do(ctx, "list folder "+server, func(func()) error {
		var opts *imap.ListOptions
		if s.canSpecialUse {
			opts = &imap.ListOptions{ReturnSpecialUse: true}
		}
		l, err := s.c.List("", server, opts).Collect()
		for _, m := range l {
			if m.Mailbox == server {
				attrs = m.Attrs
			}
		}
		return err
	})
	if err != nil && !isNo(err) {
		return server, nil, err
	}
	// \Trash and \Junk are emptied by the server or the mail client:
	// filing there would end in deletion, which intake never does.
	if err := unusable(server, attrs); err != nil {
		return server, err, nil
	}
	err = s.do(ctx, "subscribe "+server, func(func()) error { return s.c.Subscribe(server).Wait() })
	switch {
	case isNo(err):
		s.w.log.Warn("imap folder could not be subscribed", slog.String("folder", server), slog.Any("err", err))
	case err != nil:
		return server, nil, err
	}
	return server, nil, nil
}

// prepareFolders prepares every configured folder not known to work on this
// connection (all of them on the first), and tries broken ones again when
// they are due.
func (s *session) prepareFolders(ctx context.Context) error {
	w := s.w
	layout := s.layoutKey()
	if w.preparedIn != layout {
		// Another server layout than last time: prepare everything again.
		w.ready, w.preparedIn = make(map[string]string), layout
	}
	for f, server := range w.ready {
		s.names[f] = server
	}
	for _, f := range w.opts.Folders {
		if _, ok := s.names[f]; ok {
			continue
		}
		if p := w.broken[f]; p != nil && w.opts.Now().Sub(p.lastTry) < w.opts.FolderRetry {
			continue
		}
		if _, err := s.tryFolder(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// tryFolder prepares folder f and reports whether it works; a folder the
// server refuses is noted broken (Watcher.folderBroken). The error is the
// connection's loss.
func (s *session) tryFolder(ctx context.Context, f string) (bool, error) {
	server, problem, lost := s.prepareFolder(ctx, f)
	if lost != nil {
		return false, lost
	}
	if problem != nil {
		s.w.folderBroken(f, server, problem)
		return false, nil
	}
	s.prepared(f, server)
	return true, nil
}

// layoutKey identifies the server's layout, to reuse the folders prepared
// on an earlier connection.
func (s *session) layoutKey() string {
	return fmt.Sprintf("%q %q", s.delim, s.prefix)
}

// prepared records that folder works under its server name, for this
// connection and the next ones (with the same layout).
func (s *session) prepared(folder, server string) {
	s.names[folder] = server
	s.w.ready[folder] = server
}

// forget drops folder's server name after a refusal: it is prepared again
// before the next filing.
func (s *session) forget(folder string) {
	delete(s.names, folder)
	delete(s.w.ready, folder)
}

// target returns the server name to file into for folder, or ok false when
// the folder does not work (the message then stays in place, recorded).
func (s *session) target(ctx context.Context, folder string) (server string, ok bool, lost error) {
	if server, ok := s.names[folder]; ok {
		return server, true, nil
	}
	w := s.w
	if p := w.broken[folder]; p != nil && w.opts.Now().Sub(p.lastTry) < w.opts.FolderRetry {
		return "", false, nil
	}
	server, problem, lost := s.prepareFolder(ctx, folder)
	if lost != nil {
		return "", false, lost
	}
	if problem != nil {
		w.folderBroken(folder, server, problem)
		return "", false, nil
	}
	s.prepared(folder, server)
	return server, true, nil
}

// folderBroken records that folder does not work. The log says so once,
// when it stops working, not for every message.
func (w *Watcher) folderBroken(folder, server string, err error) {
	now := w.opts.Now()
	p := w.broken[folder]
	if p == nil {
		p = &folderProblem{since: now}
		w.broken[folder] = p
		w.log.Error("imap folder does not work; replies are recorded and stay in the mailbox until it does",
			slog.String("folder", folder), slog.String("server_name", server), slog.Any("err", err))
	}
	p.server, p.err, p.lastTry = server, err.Error(), now
	w.publishFolders()
}

// folderWorks records that filing into folder succeeded.
func (w *Watcher) folderWorks(folder string) {
	p := w.broken[folder]
	if p == nil {
		return
	}
	delete(w.broken, folder)
	w.log.Info("imap folder works again", slog.String("folder", folder), slog.String("server_name", p.server),
		slog.Duration("broken_for", w.opts.Now().Sub(p.since)))
	w.publishFolders()
}

// park remembers a recorded message left unfiled because its folder does
// not work.
func (s *session) park(folder string, uid imap.UID) {
	p := s.w.broken[folder]
	if p == nil {
		return
	}
	if p.parkedIn != s.uidValidity {
		p.parked, p.parkedIn = nil, s.uidValidity
	}
	if !slices.Contains(p.parked, uid) && len(p.parked) < maxPending {
		p.parked = append(p.parked, uid)
	}
	s.w.publishFolders()
}

// parkedSet lists the UIDs waiting for a broken folder that is not due for
// another try: the search for unfiled messages leaves them alone.
func (s *session) parkedSet() map[imap.UID]bool {
	w := s.w
	out := make(map[imap.UID]bool)
	for _, p := range w.broken {
		if p.parkedIn != s.uidValidity || w.opts.Now().Sub(p.lastTry) >= w.opts.FolderRetry {
			continue
		}
		for _, u := range p.parked {
			out[u] = true
		}
	}
	return out
}

// retryFolders tries broken folders that are due again and, when one works,
// files the messages that waited for it. It runs once per sync, so a broken
// folder costs a few commands a minute, not one per message.
func (s *session) retryFolders(ctx context.Context, st *Stats) error {
	w := s.w
	var uids []imap.UID
	for f, p := range w.broken {
		if w.opts.Now().Sub(p.lastTry) < w.opts.FolderRetry {
			continue
		}
		if ok, err := s.tryFolder(ctx, f); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		// Try filing; the first success clears the problem.
		p.lastTry = time.Time{}
		if p.parkedIn == s.uidValidity {
			uids = append(uids, p.parked...)
		}
		p.parked = nil
	}
	if len(uids) == 0 {
		return nil
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	w.log.Info("imap filing the recorded messages that waited for a folder", slog.Int("count", len(uids)))
	return s.handleUIDs(ctx, uids, st, true)
}

func (w *Watcher) setLayout(delim rune, prefix string) {
	w.mu.Lock()
	w.status.Delimiter = ""
	if delim != 0 {
		w.status.Delimiter = string(delim)
	}
	w.status.Prefix = prefix
	w.mu.Unlock()
}

// publishFolders copies the broken folders into Status.
func (w *Watcher) publishFolders() {
	var list []FolderError
	for f, p := range w.broken {
		list = append(list, FolderError{Folder: f, Server: p.server, Err: p.err, Since: p.since, Waiting: len(p.parked)})
	}
	slices.SortFunc(list, func(a, b FolderError) int { return strings.Compare(a.Folder, b.Folder) })
	w.mu.Lock()
	w.status.FolderErrors = list
	w.mu.Unlock()
}
