// Package admin is outreach's local API: JSON over HTTP, served by the
// daemon on a unix socket (its file permissions decide who may use it) and
// optionally on a loopback TCP address with a bearer token. The CLI always
// speaks this API: to the daemon's socket when it runs, and to an
// in-process handler over the store when it does not — one service layer,
// two ways in.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/jobs"
	"outreach/mailer/inbox"
	"outreach/replies"
	"outreach/store"
)

// Hooks connect the API to what only the process serving it has.
type Hooks struct {
	// Flush sends what is due. In the daemon it wakes the outbox worker;
	// in the CLI it sends itself.
	Flush func(ctx context.Context, wait time.Duration) (jobs.FlushReport, error)
	// Sync reads the mailbox once.
	Sync func(ctx context.Context) (inbox.Stats, error)
	// Health reports the process's state for /healthz; nil reports only
	// that the store answers.
	Health func() Health
	// Metrics serves /metrics; nil for none.
	Metrics http.Handler
	// Token, when set, is required as "Authorization: Bearer TOKEN".
	Token string
}

// Health is the daemon's state.
type Health struct {
	OK     bool   `json:"ok"`
	Daemon bool   `json:"daemon"`
	Store  string `json:"store"`
	IMAP   string `json:"imap,omitempty"`
	// SMTP is "ok", or what has failed since when: the outbox worker's
	// last attempts all failed at the connection (server down, TLS or
	// AUTH refused). Three failures in a row make the daemon unhealthy.
	SMTP string `json:"smtp,omitempty"`
	// StoreWrite says whether the store can be written: false after a
	// write was refused (disk full, I/O error) until space comes back or a
	// write succeeds, and while its file system is nearly full. A store
	// that cannot be written makes the daemon unhealthy.
	StoreWrite *store.Writability `json:"store_write,omitempty"`
	// LastSend is when the outbox last handed a message to the SMTP
	// server; zero when not since the daemon started.
	LastSend time.Time `json:"last_send,omitzero"`
	// LastSync is when the mailbox was last read completely.
	LastSync time.Time `json:"last_imap_sync,omitzero"`
	// FolderErrors are the IMAP folders that do not work (cannot be
	// created, filing refused): the replies for them are recorded and stay
	// in the mailbox until they do. Any makes the daemon unhealthy.
	FolderErrors []inbox.FolderError `json:"imap_folder_errors,omitempty"`
	// IMAPDelimiter and IMAPPrefix are the server's hierarchy delimiter
	// and personal namespace, from which folder names are built.
	IMAPDelimiter string `json:"imap_delimiter,omitempty"`
	IMAPPrefix    string `json:"imap_prefix,omitempty"`
	// LoginHeld lists the servers whose login is held back after they
	// refused the credentials: when, how often, their words, and the next
	// attempt. Any makes the daemon unhealthy.
	LoginHeld   []jobs.LoginHold `json:"login_held,omitempty"`
	LastError   string           `json:"last_error,omitempty"`
	OutboxDepth int              `json:"outbox_depth"`
	ReviewOpen  int              `json:"review_open"`
	NextDue     time.Time        `json:"next_reminder,omitzero"`
	Status      string           `json:"status,omitempty"`
	// CPUSeconds is the CPU time, user and system, the daemon has used
	// since it started (its own getrusage).
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
}

type errorBody struct {
	Error string `json:"error"`
	Input bool   `json:"input,omitempty"`
}

// Handler serves the API over e.
func Handler(e Operations, h Hooks) http.Handler {
	mux := http.NewServeMux()
	s := &server{e: e, h: h}
	route := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(w, r)
			if err != nil {
				writeError(w, err)
				return
			}
			if v == nil {
				return // fn wrote the response
			}
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.Encode(v)
		})
	}
	route("GET /v1/missions", s.missions)
	route("POST /v1/missions/import", s.importMissions)
	route("GET /v1/sessions", s.sessions)
	route("POST /v1/sessions/import", s.importSessions)
	route("GET /v1/sessions/{sur}", s.session)
	route("POST /v1/sessions/{sur}/move", s.move)
	route("POST /v1/sessions/{sur}/cancel", s.cancel)
	route("POST /v1/panels/import", s.importPanels)
	route("GET /v1/status", s.status)
	route("POST /v1/invite", s.invite)
	route("GET /v1/preview", s.preview)
	route("GET /v1/outbox", s.outbox)
	route("POST /v1/outbox/flush", s.flush)
	route("POST /v1/inbox/sync", s.sync)
	route("POST /v1/rsvp", s.setRSVP)
	route("GET /v1/page/{mission}", s.page)
	route("POST /v1/page/{mission}/link", s.pageLink)
	route("POST /v1/classify", s.classify)
	route("GET /v1/review", s.reviews)
	route("GET /v1/review/{id}", s.review)
	route("POST /v1/review/{id}/resolve", s.resolve)
	route("GET /v1/reminders", s.reminders)
	route("GET /v1/figures", s.figures)
	route("GET /v1/rounds", s.rounds)
	route("GET /v1/calendar.ics", s.calendar)
	route("GET /v1/backup", s.backup)
	route("GET /healthz", s.health)
	if h.Metrics != nil {
		mux.Handle("GET /metrics", h.Metrics)
	}
	var handler http.Handler = jsonErrors(mux)
	if h.Token != "" {
		handler = requireToken(h.Token, handler)
	}
	return handler
}

// jsonErrors answers requests no route takes (an unknown path, a wrong
// method) with a JSON error like every other, instead of the mux's plain
// text.
func jsonErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := newResponse()
		mux.ServeHTTP(rec, r)
		msg := fmt.Sprintf("admin: no endpoint %s", r.URL.Path)
		if rec.status() == http.StatusMethodNotAllowed {
			allow := rec.Header().Get("Allow")
			w.Header().Set("Allow", allow)
			msg = fmt.Sprintf("admin: %s does not take %s (allowed: %s)", r.URL.Path, r.Method, allow)
		}
		writeJSON(w, rec.status(), errorBody{Error: msg})
	})
}

func requireToken(token string, next http.Handler) http.Handler {
	want := "Bearer " + token
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !constantTimeEqual(r.Header.Get("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: "admin: missing or wrong token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	body := errorBody{Error: err.Error()}
	if errors.Is(err, jobs.ErrInput) {
		code = http.StatusBadRequest
		body.Input = true
		body.Error = strings.TrimPrefix(body.Error, jobs.ErrInput.Error()+": ")
	}
	writeJSON(w, code, body)
}

type server struct {
	e Operations
	h Hooks
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", jobs.ErrInput, err)
	}
	return nil
}

// ImportMissionsRequest is the body of POST /v1/missions/import.
type ImportMissionsRequest struct {
	Missions []outreach.Mission `json:"missions"`
	Actor    string             `json:"actor"`
}

// ImportSessionsRequest is the body of POST /v1/sessions/import.
type ImportSessionsRequest struct {
	Sessions []outreach.Session `json:"sessions"`
	Actor    string             `json:"actor"`
}

// ImportPanelsRequest is the body of POST /v1/panels/import.
type ImportPanelsRequest struct {
	Panels []directory.Panel `json:"panels"`
	Actor  string            `json:"actor"`
}

// MoveRequest is the body of POST /v1/sessions/{sur}/move.
type MoveRequest struct {
	Start           *time.Time `json:"start,omitempty"`
	End             *time.Time `json:"end,omitempty"`
	Room            *string    `json:"room,omitempty"`
	Note            string     `json:"note,omitempty"`
	NoteFR          string     `json:"note_fr,omitempty"`
	NoteES          string     `json:"note_es,omitempty"`
	IncludeDeclined bool       `json:"include_declined,omitempty"`
	Actor           string     `json:"actor"`
}

// CancelRequest is the body of POST /v1/sessions/{sur}/cancel.
type CancelRequest struct {
	Reason   string `json:"reason"`
	ReasonFR string `json:"reason_fr,omitempty"`
	ReasonES string `json:"reason_es,omitempty"`
	Actor    string `json:"actor"`
}

// InviteRequest is the body of POST /v1/invite.
type InviteRequest struct {
	Mission string `json:"mission,omitempty"`
	Actor   string `json:"actor"`
}

// FlushRequest is the body of POST /v1/outbox/flush.
type FlushRequest struct {
	Wait time.Duration `json:"wait"`
}

// RSVPRequest is the body of POST /v1/rsvp.
type RSVPRequest struct {
	Mission string          `json:"mission"`
	Session string          `json:"session"`
	Status  outreach.Status `json:"status"`
	Note    string          `json:"note,omitempty"`
	Actor   string          `json:"actor"`
}

// ResolveRequest is the body of POST /v1/review/{id}/resolve.
type ResolveRequest struct {
	Mission   string                     `json:"mission,omitempty"`
	Answers   map[string]outreach.Status `json:"answers,omitempty"`
	Dismiss   bool                       `json:"dismiss,omitempty"`
	Note      string                     `json:"note,omitempty"`
	Delegates int                        `json:"delegates,omitempty"`
	Actor     string                     `json:"actor"`
	// AddContact makes the sender one of the mission's contacts.
	AddContact bool `json:"add_contact,omitempty"`
}

// Classification is the answer of POST /v1/classify.
type Classification struct {
	Kind           string            `json:"kind"`
	Mission        string            `json:"mission,omitempty"`
	Match          string            `json:"match,omitempty"`
	Sessions       map[string]string `json:"sessions"`
	Delegates      int               `json:"delegates,omitempty"`
	DelegateNames  []string          `json:"delegate_names,omitempty"`
	BouncedAddress string            `json:"bounced_address,omitempty"`
	Reason         string            `json:"reason"`
	// Because and SetAside explain the reading (see replies.Result).
	Because  map[string][]replies.Because `json:"because,omitempty"`
	SetAside []string                     `json:"set_aside,omitempty"`
}

func (s *server) missions(w http.ResponseWriter, r *http.Request) (any, error) {
	ms, err := s.e.Missions()
	if ms == nil {
		ms = []outreach.Mission{}
	}
	return ms, err
}

func (s *server) importMissions(w http.ResponseWriter, r *http.Request) (any, error) {
	var req ImportMissionsRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.ImportMissions(req.Missions, req.Actor)
}

func (s *server) sessions(w http.ResponseWriter, r *http.Request) (any, error) {
	ss, err := s.e.Sessions()
	if ss == nil {
		ss = []outreach.Session{}
	}
	return ss, err
}

func (s *server) importSessions(w http.ResponseWriter, r *http.Request) (any, error) {
	var req ImportSessionsRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.ImportSessions(req.Sessions, req.Actor)
}

func (s *server) importPanels(w http.ResponseWriter, r *http.Request) (any, error) {
	var req ImportPanelsRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.ImportPanels(req.Panels, req.Actor)
}

func (s *server) session(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.e.SessionDetail(r.PathValue("sur"))
}

func (s *server) move(w http.ResponseWriter, r *http.Request) (any, error) {
	var req MoveRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.MoveSession(r.PathValue("sur"), jobs.Move{Start: req.Start, End: req.End, Room: req.Room,
		Note: req.Note, NoteFR: req.NoteFR, NoteES: req.NoteES, IncludeDeclined: req.IncludeDeclined}, req.Actor)
}

func (s *server) cancel(w http.ResponseWriter, r *http.Request) (any, error) {
	var req CancelRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.CancelSessionWith(r.PathValue("sur"), jobs.Cancel{Reason: req.Reason, ReasonFR: req.ReasonFR, ReasonES: req.ReasonES}, req.Actor)
}

func (s *server) status(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.e.Status()
}

func (s *server) invite(w http.ResponseWriter, r *http.Request) (any, error) {
	var req InviteRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.Invite(req.Mission, req.Actor)
}

func (s *server) preview(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	kind := outreach.MessageKind(q.Get("kind"))
	var raw []byte
	var err error
	switch asOf := q.Get("as_of"); {
	case asOf != "":
		at, perr := time.Parse(time.RFC3339, asOf)
		if perr != nil {
			return nil, fmt.Errorf("as_of: %w", perr)
		}
		raw, err = s.e.PreviewEMLAt(kind, q.Get("mission"), q.Get("session"), at)
	case kind == "" || kind == outreach.Invitation:
		// The invitation as it will be on the day it is sent.
		raw, err = s.e.PreviewEMLAt(kind, q.Get("mission"), q.Get("session"), time.Time{})
	default:
		raw, err = s.e.PreviewEML(kind, q.Get("mission"), q.Get("session"))
	}
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Write(raw)
	return nil, nil
}

func (s *server) outbox(w http.ResponseWriter, r *http.Request) (any, error) {
	items, err := s.e.Outbox()
	if items == nil {
		items = []outreach.OutboxItem{}
	}
	return items, err
}

func (s *server) flush(w http.ResponseWriter, r *http.Request) (any, error) {
	var req FlushRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if s.h.Flush == nil {
		return nil, errors.New("admin: this process cannot send mail")
	}
	return s.h.Flush(r.Context(), req.Wait)
}

func (s *server) sync(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.h.Sync == nil {
		return nil, errors.New("admin: this process cannot read the mailbox")
	}
	return s.h.Sync(r.Context())
}

func (s *server) setRSVP(w http.ResponseWriter, r *http.Request) (any, error) {
	var req RSVPRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.SetRSVP(req.Mission, req.Session, req.Status, req.Note, req.Actor)
}

func (s *server) classify(w http.ResponseWriter, r *http.Request) (any, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	res, err := s.e.Classify(raw)
	if err != nil {
		return nil, err
	}
	c := Classification{Kind: res.Kind.String(), Mission: res.Mission, Match: string(res.Match), Sessions: map[string]string{},
		Delegates: res.Delegates, DelegateNames: res.DelegateNames, BouncedAddress: res.BouncedAddress, Reason: res.Reason,
		Because: res.Because, SetAside: res.SetAside}
	for k, v := range res.Sessions {
		c.Sessions[k] = v.String()
	}
	return c, nil
}

func (s *server) reviews(w http.ResponseWriter, r *http.Request) (any, error) {
	items, err := s.e.Reviews(outreach.ReviewState(r.URL.Query().Get("state")))
	if items == nil {
		items = []outreach.ReviewItem{}
	}
	return items, err
}

func reviewID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a review id", jobs.ErrInput, r.PathValue("id"))
	}
	return id, nil
}

func (s *server) review(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := reviewID(r)
	if err != nil {
		return nil, err
	}
	return s.e.Review(id)
}

func (s *server) resolve(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := reviewID(r)
	if err != nil {
		return nil, err
	}
	var req ResolveRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.e.ResolveReview(id, jobs.Decision{Mission: req.Mission, Answers: req.Answers, Dismiss: req.Dismiss,
		Note: req.Note, Actor: req.Actor, Delegate: req.Delegates, AddContact: req.AddContact})
}

func (s *server) reminders(w http.ResponseWriter, r *http.Request) (any, error) {
	ls, err := s.e.Reminders()
	if ls == nil {
		ls = []jobs.ReminderLine{}
	}
	return ls, err
}

func (s *server) figures(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.e.Figures()
}

func (s *server) rounds(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.e.Rounds()
}

func (s *server) calendar(w http.ResponseWriter, r *http.Request) (any, error) {
	feed, err := s.e.CalendarFeed(strings.ToUpper(r.URL.Query().Get("session")))
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Write(feed)
	return nil, nil
}

func (s *server) backup(w http.ResponseWriter, r *http.Request) (any, error) {
	w.Header().Set("Content-Type", "application/octet-stream")
	if _, err := s.e.Store().Backup(w); err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *server) health(w http.ResponseWriter, r *http.Request) (any, error) {
	h := Health{OK: true, Store: "ok"}
	if s.h.Health != nil {
		h = s.h.Health()
	} else if st := s.e.Store(); st != nil {
		w := st.Writability()
		h.StoreWrite, h.OK = &w, w.Writable
	}
	if !h.OK {
		writeJSON(w, http.StatusServiceUnavailable, h)
		return nil, nil
	}
	return h, nil
}
