package inbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// FolderInfo is a configured folder as the server names it.
type FolderInfo struct {
	// Folder is the name as configured ("outreach/processed").
	Folder string `json:"folder"`
	// Server is its name on the server ("INBOX.outreach.processed"); ""
	// when none can be built (see Problem).
	Server string `json:"server_name,omitempty"`
	// Exists says whether the server has it (after creating it, with
	// create).
	Exists bool `json:"exists"`
	// Created is set when Inspect created it (or a level above it).
	Created bool `json:"created,omitempty"`
	// Attributes are the server's LIST attributes, SPECIAL-USE ones
	// included when the server has SPECIAL-USE.
	Attributes []string `json:"attributes,omitempty"`
	// Problem says why outreach cannot file into it; "" when it can (or
	// will, once created).
	Problem string `json:"problem,omitempty"`
}

// Inspection is what Inspect found.
type Inspection struct {
	// Delimiter is the hierarchy delimiter ("" for none); Prefix the
	// personal namespace's prefix.
	Delimiter string `json:"delimiter"`
	Prefix    string `json:"prefix"`
	// Capabilities are the server's capabilities after login, sorted.
	Capabilities []string `json:"capabilities"`
	// Mailbox is the watched mailbox's name on the server, and Folders the
	// configured folders, in the order of Options.Folders.
	Mailbox string       `json:"mailbox"`
	Folders []FolderInfo `json:"folders"`
	// Auth is how the session logged in: "LOGIN", "XOAUTH2" or
	// "OAUTHBEARER".
	Auth string `json:"auth"`
	// TLS is the connection's TLS state; nil in clear text.
	TLS *tls.ConnectionState `json:"-"`
}

// Inspect logs in, reads the server's folder layout and reports the name on
// the server of the watched mailbox and of every configured folder, whether
// it exists and whether outreach can file into it. It creates (and
// subscribes) missing folders only when create is set. It is for checking a
// configuration; it excludes Run and SyncOnce (ErrBusy).
func (w *Watcher) Inspect(ctx context.Context, create bool) (Inspection, error) {
	if !w.running.TryLock() {
		return Inspection{}, ErrBusy
	}
	defer w.running.Unlock()
	s, err := w.openSession(ctx, true)
	if err != nil {
		return Inspection{}, err
	}
	defer s.close()
	var in Inspection
	if s.delim != 0 {
		in.Delimiter = string(s.delim)
	}
	in.Prefix = s.prefix
	in.Auth = s.mech
	if in.Auth == "" {
		in.Auth = "LOGIN"
	}
	in.TLS = s.tlsState
	for c := range s.caps {
		in.Capabilities = append(in.Capabilities, string(c))
	}
	slices.Sort(in.Capabilities)
	if in.Mailbox, err = s.serverName(w.opts.Mailbox); err != nil {
		return in, fmt.Errorf("inbox: mailbox: %w", err)
	}
	for _, f := range w.opts.Folders {
		fi := FolderInfo{Folder: f}
		server, err := s.serverName(f)
		if err != nil {
			fi.Problem = err.Error()
			in.Folders = append(in.Folders, fi)
			continue
		}
		fi.Server = server
		exists, attrs, err := s.lookFolder(ctx, server)
		if err != nil {
			return in, err
		}
		if !exists && create {
			_, problem, lost := s.prepareFolder(ctx, f)
			if lost != nil {
				return in, lost
			}
			if problem != nil {
				fi.Problem = problem.Error()
			}
			if exists, attrs, err = s.lookFolder(ctx, server); err != nil {
				return in, err
			}
			fi.Created = exists
		}
		fi.Exists = exists
		for _, a := range attrs {
			fi.Attributes = append(fi.Attributes, string(a))
		}
		if fi.Problem == "" && exists {
			if err := unusable(server, attrs); err != nil {
				fi.Problem = err.Error()
			}
		}
		in.Folders = append(in.Folders, fi)
	}
	return in, nil
}

// lookFolder lists server by its exact name. The error is a lost
// connection; a refusal is taken for "not there".
func (s *session) lookFolder(ctx context.Context, server string) (bool, []imap.MailboxAttr, error) {
	var (
		found bool
		attrs []imap.MailboxAttr
	)
	err := s.do(ctx, "list folder "+server, func(func()) error {
		var opts *imap.ListOptions
		if s.caps.Has(imap.CapSpecialUse) {
			opts = &imap.ListOptions{ReturnSpecialUse: true}
		}
		l, err := s.c.List("", server, opts).Collect()
		for _, m := range l {
			if m.Mailbox == server && !hasAttr(m.Attrs, imap.MailboxAttrNonExistent) {
				found, attrs = true, m.Attrs
			}
		}
		return err
	})
	if err != nil && !isNo(err) {
		return false, nil, err
	}
	return found, attrs, nil
}

// unusable says why a folder with attrs cannot be filed into.
func unusable(server string, attrs []imap.MailboxAttr) error {
	switch {
	case hasAttr(attrs, imap.MailboxAttrNoSelect), hasAttr(attrs, imap.MailboxAttrNonExistent):
		return fmt.Errorf("folder %q cannot hold messages (\\Noselect)", server)
	case hasAttr(attrs, imap.MailboxAttrTrash):
		return fmt.Errorf("folder %q is the server's \\Trash folder, whose mail is deleted in time; choose another", server)
	case hasAttr(attrs, imap.MailboxAttrJunk):
		return fmt.Errorf("folder %q is the server's \\Junk folder, whose mail is deleted in time; choose another", server)
	}
	return nil
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if strings.EqualFold(string(a), string(want)) {
			return true
		}
	}
	return false
}
