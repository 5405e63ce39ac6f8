// Package inbox is outreach's IMAP intake: it watches one mailbox of the
// organiser account, hands every new message to a Handler in UID order, and
// files the message on the server only after the Handler has recorded it.
//
// It speaks IMAP4rev1 and IMAP4rev2 (RFC 3501, RFC 9051) through go-imap v2.
// It waits for new mail with IDLE (RFC 2177) and polls when the server has no
// IDLE. It files with MOVE (RFC 6851) when the server offers it; otherwise it
// copies with UID COPY, checks the result (COPYUID, RFC 4315, when present)
// and only then flags the original. It never sets \Deleted and never
// expunges: intake must not lose mail.
//
// The durable bookkeeping belongs to the Handler: it stores the result of each
// message together with the new Checkpoint in one transaction, so after a
// crash or a lost connection the Watcher resumes after the last recorded UID
// and nothing is handed over twice. A UIDVALIDITY change hands every message
// in the mailbox over again; the Handler must recognise messages it has seen.
//
// A message that stays in the watched mailbox once filed (copied to its
// folder, or filed in place) carries FiledKeyword. When the process dies
// after the Handler recorded a message but before it was filed, the
// checkpoint is already past it: on each new connection the Watcher looks
// for messages at or below the checkpoint without FiledKeyword (without
// \Seen on a server that takes no keywords), hands them to the Handler
// again, which recognises them and answers with the folder it chose the
// first time, and files them. With MOVE, recorded messages wait to be
// moved together, one UID MOVE for each folder's 1,000 (or a tenth of the
// messages the sync found, when that is more) and one for what is left
// once the mailbox is read: a Maildir server's MOVE costs in proportion to
// the mailbox. Up to that many can be found so after a crash, and are
// fetched again. Without MOVE, a crash between the COPY and
// the flag leaves the message copied but not flagged; it is then copied
// once more, and its folder holds it twice. That is accepted: nothing is
// lost or counted twice (the Handler knows the message), the original is
// never deleted, and the window is one round trip. Checking the folder by
// Message-ID would mean selecting another mailbox in the middle of a sync.
package inbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"outreach/internal/loopback"
	"outreach/mailer/sasloauth"
)

// Message is one message handed to the Handler.
type Message struct {
	// UID is the message's UID in the watched mailbox.
	UID uint32
	// UIDValidity is the mailbox's UIDVALIDITY when the message was fetched.
	UIDValidity uint32
	// Raw is the whole message (RFC 5322). It is nil when the message is
	// larger than Options.MaxMessageSize: the Handler then sees only Size and
	// should file the message for a person to look at.
	Raw []byte
	// InternalDate is the date the server received the message.
	InternalDate time.Time
	// Size is the message size in octets as the server reports it.
	Size int64
	// MessageID is the message's Message-ID from the server's ENVELOPE,
	// with its angle brackets, read only when Raw is nil (so that the
	// Handler can recognise a message it cannot read); "" when the message
	// has none.
	MessageID string
}

// Checkpoint is the position up to which the mailbox has been recorded.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
}

// Handler records messages durably. The Watcher calls it from one goroutine
// at a time.
type Handler interface {
	// Checkpoint returns the last durably recorded position (zero value when
	// none).
	Checkpoint(ctx context.Context) (Checkpoint, error)
	// Handle records msg's result and the new checkpoint (msg.UIDValidity,
	// msg.UID) in one durable transaction, and returns the folder the message
	// should be filed to ("" leaves it in place, flagged \Seen and
	// FiledKeyword). It must be idempotent: the same message can come again
	// after a crash or a UIDVALIDITY change, and then Handle records nothing
	// and returns the folder it returned the first time. A message at or
	// below the checkpoint comes again when it was recorded but never filed,
	// so the checkpoint must never move backwards within one UIDVALIDITY.
	// An error leaves the message unfiled on the server; the Watcher stops
	// the sync and offers it again later.
	Handle(ctx context.Context, msg Message) (folder string, err error)
}

// GroupHandler is a Handler that can record several messages at once.
// The Watcher hands it each fetched group (at most a batch) and files the
// messages it recorded; without it, each message goes to Handle.
type GroupHandler interface {
	Handler
	// HandleGroup records the results of the first n of msgs, n ≥ 1, in
	// order, with the checkpoint of the n-th, in one durable transaction,
	// and returns the folder of each of them (len n), under Handle's rules.
	// It may stop before the end of msgs (e.g. when a message changed
	// what the next ones are read against): the Watcher hands the rest
	// over in another call. On error nothing of msgs is recorded, and the
	// Watcher hands the group over to Handle, message by message.
	HandleGroup(ctx context.Context, msgs []Message) (folders []string, err error)
}

// GroupPreparer is a GroupHandler that does part of its work on a group
// ahead of HandleGroup. The Watcher calls PrepareGroup with each fetched
// group once its bodies are read, before handing it to HandleGroup — while
// the Handler may still be recording the group before, so PrepareGroup
// runs alongside HandleGroup, from another goroutine; it may also return
// at once and go on with its work while the Watcher fetches the next
// group. It must record nothing and may do nothing: HandleGroup records
// each message whatever PrepareGroup did with it.
type GroupPreparer interface {
	GroupHandler
	PrepareGroup(ctx context.Context, msgs []Message)
}

// TLSMode says how the connection to the server is protected.
type TLSMode int

const (
	// ImplicitTLS connects with TLS from the first byte (port 993).
	ImplicitTLS TLSMode = iota
	// StartTLS connects in clear text and upgrades with STARTTLS before
	// logging in (port 143). A server without STARTTLS is refused.
	StartTLS
	// Plain sends everything, the password included, in clear text. It is
	// refused unless the server address is a loopback address.
	Plain
)

// Defaults used for zero Options fields.
const (
	DefaultMailbox        = "INBOX"
	DefaultPollInterval   = 30 * time.Second
	DefaultIdleRestart    = 5 * time.Minute
	DefaultCommandTimeout = 60 * time.Second
	DefaultMaxMessageSize = 25 << 20

	// maxIdleRestart is the longest IDLE allowed: RFC 2177 lets servers drop
	// a client idle for 30 minutes.
	maxIdleRestart = 29 * time.Minute
	// maxLogoutTimeout bounds the goodbye (IDLE DONE, LOGOUT) when the
	// context is cancelled, so that shutting down stays prompt.
	maxLogoutTimeout = 5 * time.Second
)

// FiledKeyword is the keyword set on a message that was filed and stays in
// the watched mailbox: copied to its folder because the server has no MOVE,
// or filed in place (folder ""). Such a message is flagged \Seen and
// FiledKeyword, and is never deleted. A message recorded by the Handler
// without it is taken for one whose filing was cut off.
const FiledKeyword = "$Outreach-Filed"

// Options configures a Watcher. Addr, Username and Password are required.
type Options struct {
	// Addr is the server's host:port. Without a port, 993 is used for
	// ImplicitTLS and 143 otherwise.
	Addr string
	// TLS is the connection's protection; the zero value is ImplicitTLS.
	TLS TLSMode
	// TLSConfig is used for ImplicitTLS and StartTLS; nil means the system
	// roots and the host name of Addr.
	TLSConfig *tls.Config
	// Username and Password log in with LOGIN. The password is never logged.
	Username, Password string
	// OAuth2, instead of Password, logs in as Username with AUTHENTICATE
	// XOAUTH2 or OAUTHBEARER (RFC 7628) and an access token from its
	// source, taken anew for each connection (so a token that expired
	// during a run is replaced). A token refused by the server or the
	// token endpoint is a refused login (ErrLoginRefused), carrying their
	// words.
	OAuth2 *sasloauth.Login
	// Mailbox is the watched mailbox; default "INBOX".
	Mailbox string
	// Folders are created at start-up if missing (e.g. processed, review,
	// bounces), level by level, and subscribed. Levels are separated by
	// "/" whatever the server's delimiter (see FolderError).
	Folders []string
	// FolderRetry is how often a folder that does not work is tried
	// again; default DefaultFolderRetry.
	FolderRetry time.Duration
	// PollInterval is the time between syncs when the server has no IDLE;
	// default 30s.
	PollInterval time.Duration
	// IdleRestart is the longest an IDLE command runs before it is re-issued
	// (and the mailbox synced); default 5m, at most 29m (RFC 2177).
	IdleRestart time.Duration
	// CommandTimeout is the watchdog: a command, or the end of an IDLE, that
	// gets no answer for this long closes the connection, and Run
	// reconnects. Default 60s.
	CommandTimeout time.Duration
	// MaxMessageSize is the largest message fetched. A bigger message is
	// handed over with Raw nil and Size set. Default 25 MiB.
	MaxMessageSize int64
	// Backoff returns the delay before reconnection attempt number attempt
	// (1, 2, ...); default exponential from 1s to 2m with jitter.
	Backoff func(attempt int) time.Duration
	// Gate, when set, holds logins back after the server refused the
	// credentials: Run asks it before each connection and tells it how
	// each login went. SyncOnce, an operator's single attempt, tells it
	// the outcome but does not wait for it.
	Gate LoginGate
	// Logger receives state changes and warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock used for Status; default time.Now.
	Now func() time.Time
}

// Stats reports one sync.
type Stats struct {
	// Fetched is the number of messages handed to the Handler successfully.
	Fetched int
	// Filed is the number of those that were then moved, or copied and
	// flagged, or flagged in place.
	Filed int
	// Refiled is the number of messages at or below the checkpoint, recorded
	// before but found unfiled (the process died between recording and
	// filing), that were handed over again and filed. They are not counted
	// in Fetched or Filed.
	Refiled int
	// Unfiled is the number of messages recorded and left in the watched
	// mailbox because their folder does not work (see Status.FolderErrors).
	Unfiled int
	// UIDValidity is the mailbox's current UIDVALIDITY.
	UIDValidity uint32
	// LastUID is the UID of the last message recorded (the checkpoint).
	LastUID uint32
	// UIDValidityChanged is true when the recorded checkpoint belonged to
	// another UIDVALIDITY, so every message in the mailbox was handed over
	// again.
	UIDValidityChanged bool
}

// Status is the Watcher's state, for health checks and metrics.
type Status struct {
	Connected bool
	Idling    bool
	// LastSync is when the last sync completed without error.
	LastSync time.Time
	// LastError is the last error, "" once a sync succeeds again.
	LastError string
	// Reconnects counts connections lost or refused since the Watcher
	// started.
	Reconnects int
	// Delimiter is the server's hierarchy delimiter ("" for none) and
	// Prefix its personal namespace's prefix, as last read.
	Delimiter, Prefix string
	// FolderErrors lists the folders that do not work (could not be
	// created, or filing into them was refused), sorted by name; nil when
	// all work.
	FolderErrors []FolderError
}

// LoginGate holds logins back after the server refused the credentials,
// so that a wrong password does not become a stream of attempts that locks
// the account (see jobs.LoginGate, which keeps the wait across restarts).
type LoginGate interface {
	// Held returns until when logins are held back and why; a zero time
	// when a login may be tried now.
	Held() (until time.Time, why error)
	// Wait returns once a login may be tried, or with ctx's error.
	Wait(ctx context.Context) error
	// Refused records that the server refused the credentials.
	Refused(err error)
	// Accepted records a successful login.
	Accepted()
}

// ErrLoginRefused is wrapped by the error of a login the server refused
// (a NO to LOGIN or AUTHENTICATE), as opposed to one that failed on the way
// (timeout, connection cut).
var ErrLoginRefused = errors.New("inbox: the server refused the login")

// ErrBusy is returned when Run or SyncOnce is called while another call of
// either is running on the same Watcher.
var ErrBusy = errors.New("inbox: watcher is already running")

// ErrTimeout is wrapped by errors of commands that got no answer within
// Options.CommandTimeout; the connection was closed.
var ErrTimeout = errors.New("inbox: no answer from server")

// Watcher watches one mailbox. Status may be called at any time from any
// goroutine; Run and SyncOnce exclude each other (the second gets ErrBusy).
type Watcher struct {
	opts Options
	h    Handler
	log  *slog.Logger

	// batchSize and batchBytes bound one UID FETCH of metadata and of
	// bodies; fields so that tests can make batches small.
	batchSize  int
	batchBytes int64
	// moveGroup is how many recorded messages bound for one folder wait
	// to be filed with one UID MOVE (see filer).
	moveGroup int

	running sync.Mutex // held by Run and SyncOnce

	// Owned by the goroutine holding running.
	pending []pendingFiling
	broken  map[string]*folderProblem // configured name → problem
	// ready holds the folders prepared (created, subscribed, checked) under
	// the layout preparedIn: configured name → server name. A new
	// connection reuses them instead of creating them again.
	ready      map[string]string
	preparedIn string

	mu     sync.Mutex
	status Status
	kick   chan struct{} // see Wake
}

// pendingFiling is a message recorded by the Handler whose filing was cut
// off by a lost connection; it is retried on the next connection. It saves
// a second COPY where only the flags are missing; the search for unfiled
// messages on each connection (session.refile) files what this list lost.
type pendingFiling struct {
	uidValidity uint32
	uid         uint32
	folder      string
	copied      bool // COPY succeeded, only the flags are missing
}

// maxPending bounds the pending list; older entries are dropped (the
// messages stay recorded, and are filed by session.refile).
const maxPending = 1000

const (
	defaultBatchSize  = 50
	defaultBatchBytes = 16 << 20
	// defaultMoveGroup: a Maildir server (Dovecot 2.3) reads the whole
	// cur/ folder of the mailbox again after each MOVE out of it, so a
	// MOVE costs it time in proportion to the messages left. Reading
	// 50,000 messages in fetches of 50, a bare go-imap loop moved 408
	// messages a second moving every 50, 2,024 every 250, 5,057–6,157
	// every 1,000, 7,052–7,306 every 2,500 or 5,000. A message recorded
	// and not yet filed when the process dies is fetched again on the next
	// start (session.refile): at most this many, or a tenth of the
	// messages the sync found (moveShare), and a group in flight, per
	// folder.
	defaultMoveGroup = 1000
	// moveShare: a sync moves at least a tenth of the messages it found
	// at once, so that the MOVEs' cost per message (their number times
	// the mailbox's size, over the mailbox's size) does not grow with
	// the mailbox.
	moveShare = 10
)

// NewWatcher checks opts and returns a Watcher that hands messages to h. It
// does not connect. Every problem in opts is reported at once.
func NewWatcher(opts Options, h Handler) (*Watcher, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("inbox: "+format, args...))
	}
	if h == nil {
		bad("handler is nil")
	}
	opts.checkServer(bad)
	opts.checkFolders(bad)
	opts.checkLimits(bad)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Folders = append([]string(nil), opts.Folders...)
	return &Watcher{
		opts:       opts,
		h:          h,
		log:        opts.Logger.With(slog.String("addr", opts.Addr), slog.String("mailbox", opts.Mailbox)),
		batchSize:  defaultBatchSize,
		batchBytes: defaultBatchBytes,
		moveGroup:  defaultMoveGroup,
		broken:     make(map[string]*folderProblem),
		kick:       make(chan struct{}, 1),
	}, nil
}

// checkServer checks, and completes with its port, where and how the
// watcher logs in.
func (o *Options) checkServer(bad func(format string, args ...any)) {
	switch o.TLS {
	case ImplicitTLS, StartTLS, Plain:
	default:
		bad("unknown TLS mode %d", int(o.TLS))
	}
	if o.Addr == "" {
		bad("server address is empty")
	} else if addr, err := withPort(o.Addr, o.TLS); err != nil {
		bad("server address %q: %v", o.Addr, err)
	} else {
		o.Addr = addr
		host, _, _ := net.SplitHostPort(addr)
		if o.TLS == Plain && !loopback.Host(host) {
			bad("plain-text IMAP to %q refused: use TLS or STARTTLS unless the server is on a loopback address", host)
		}
	}
	if o.Username == "" {
		bad("username is empty")
	}
	switch {
	case o.OAuth2 != nil && o.Password != "":
		bad("both a password and OAuth2 are set; give one way to log in")
	case o.OAuth2 != nil:
		if err := o.OAuth2.Check(); err != nil {
			bad("%v", err)
		}
	case o.Password == "":
		bad("password is empty")
	}
}

// checkFolders checks the watched mailbox (INBOX when empty) and the
// folders replies are filed in.
func (o *Options) checkFolders(bad func(format string, args ...any)) {
	if o.Mailbox == "" {
		o.Mailbox = DefaultMailbox
	} else if err := checkMailboxName(o.Mailbox); err != nil {
		bad("mailbox: %v", err)
	}
	seen := make(map[string]bool)
	for _, f := range o.Folders {
		if err := checkMailboxName(f); err != nil {
			bad("folder: %v", err)
		} else if sameMailbox(f, o.Mailbox) {
			bad("folder %q is the watched mailbox", f)
		} else if seen[f] {
			bad("folder %q listed twice", f)
		}
		seen[f] = true
	}
}

// checkLimits checks the timers and the message size limit, giving each
// left at zero its default.
func (o *Options) checkLimits(bad func(format string, args ...any)) {
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"poll interval", &o.PollInterval, DefaultPollInterval},
		{"IDLE restart", &o.IdleRestart, DefaultIdleRestart},
		{"command timeout", &o.CommandTimeout, DefaultCommandTimeout},
		{"folder retry", &o.FolderRetry, DefaultFolderRetry},
	}
	for _, d := range durations {
		switch {
		case *d.v < 0:
			bad("%s %v is negative", d.name, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	if o.IdleRestart > maxIdleRestart {
		bad("IDLE restart %v exceeds %v (RFC 2177: servers may drop a client idle for 30 minutes)", o.IdleRestart, maxIdleRestart)
	}
	switch {
	case o.MaxMessageSize < 0:
		bad("maximum message size %d is negative", o.MaxMessageSize)
	case o.MaxMessageSize == 0:
		o.MaxMessageSize = DefaultMaxMessageSize
	}
}

// DefaultBackoff is the default reconnection delay: 1s doubling up to 2m,
// each drawn at random between half and all of that (jitter spreads the
// reconnections of many clients after a server restart).
func DefaultBackoff(attempt int) time.Duration {
	attempt = max(attempt, 1)
	d := 2 * time.Minute
	if attempt <= 7 {
		d = min(time.Second<<(attempt-1), d)
	}
	return d/2 + rand.N(d/2+1)
}

// Status returns the Watcher's current state.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

func (w *Watcher) setConnected(v bool) {
	w.mu.Lock()
	w.status.Connected = v
	if !v {
		w.status.Idling = false
	}
	w.mu.Unlock()
}

func (w *Watcher) setIdling(v bool) {
	w.mu.Lock()
	w.status.Idling = v
	w.mu.Unlock()
}

func (w *Watcher) recordSync() {
	now := w.opts.Now()
	w.mu.Lock()
	w.status.LastSync = now
	w.status.LastError = ""
	w.mu.Unlock()
}

func (w *Watcher) setLastError(err error) {
	w.mu.Lock()
	w.status.LastError = err.Error()
	w.mu.Unlock()
}

func (w *Watcher) recordError(err error, lost bool) {
	w.mu.Lock()
	w.status.LastError = err.Error()
	if lost {
		w.status.Reconnects++
	}
	w.mu.Unlock()
}

func withPort(addr string, mode TLSMode) (string, error) {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if host == "" || strings.ContainsAny(host, "/ ") {
		return "", errors.New("want host or host:port")
	}
	port := "143"
	if mode == ImplicitTLS {
		port = "993"
	}
	joined := net.JoinHostPort(host, port)
	if _, _, err := net.SplitHostPort(joined); err != nil {
		return "", err
	}
	return joined, nil
}

func checkMailboxName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case strings.ContainsAny(name, "*%\r\n\x00"):
		return fmt.Errorf("name %q holds a wildcard or control character", name)
	}
	return nil
}
