package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/jobs"
	"outreach/mailer/inbox"
)

// Client speaks the API, to a daemon's socket or to an in-process handler.
type Client struct {
	hc     *http.Client
	base   string
	token  string
	Remote bool // true when talking to a running daemon
}

// ErrNoDaemon means no daemon answers on the socket.
var ErrNoDaemon = errors.New("admin: no daemon running")

// DialSocket returns a client for the daemon listening on the unix socket
// at path, after checking that it answers. It returns ErrNoDaemon when the
// socket is absent or nobody listens on it.
func DialSocket(ctx context.Context, path string) (*Client, error) {
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("%w (%s): %v", ErrNoDaemon, path, err)
	}
	conn.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}
	return &Client{hc: &http.Client{Transport: tr}, base: "http://outreach", Remote: true}, nil
}

// NewLocal returns a client that calls h in process, for when no daemon
// runs: the CLI then serves itself with the same API.
func NewLocal(h http.Handler) *Client {
	return &Client{hc: &http.Client{Transport: handlerTransport{h}}, base: "http://local"}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := newResponse()
	t.h.ServeHTTP(rec, r)
	return rec.result(), nil
}

// APIError is an error the API returned.
type APIError struct {
	Status int
	Msg    string
	Input  bool
}

func (e *APIError) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, jobs.ErrInput) work across the API.
func (e *APIError) Unwrap() error {
	if e.Input {
		return jobs.ErrInput
	}
	return nil
}

// send makes one request, with the token when there is one.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, ctype string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	return resp, nil
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, ctype string) (*http.Response, error) {
	resp, err := c.send(ctx, method, path, body, ctype)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var eb errorBody
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = fmt.Sprintf("admin: %s %s: %s", method, path, resp.Status)
		}
		return nil, &APIError{Status: resp.StatusCode, Msg: eb.Error, Input: eb.Input}
	}
	return resp, nil
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	resp, err := c.do(ctx, method, path, body, ctype)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin: %s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) raw(ctx context.Context, method, path string, body io.Reader) ([]byte, error) {
	resp, err := c.do(ctx, method, path, body, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// Missions lists the directory.
func (c *Client) Missions(ctx context.Context) ([]outreach.Mission, error) {
	var ms []outreach.Mission
	return ms, c.call(ctx, "GET", "/v1/missions", nil, &ms)
}

// ImportMissions adds or updates missions.
func (c *Client) ImportMissions(ctx context.Context, ms []outreach.Mission, actor string) (jobs.ImportReport, error) {
	var rep jobs.ImportReport
	return rep, c.call(ctx, "POST", "/v1/missions/import", ImportMissionsRequest{Missions: ms, Actor: actor}, &rep)
}

// Sessions lists the sessions.
func (c *Client) Sessions(ctx context.Context) ([]outreach.Session, error) {
	var ss []outreach.Session
	return ss, c.call(ctx, "GET", "/v1/sessions", nil, &ss)
}

// ImportSessions adds or updates sessions.
func (c *Client) ImportSessions(ctx context.Context, ss []outreach.Session, actor string) (jobs.ImportReport, error) {
	var rep jobs.ImportReport
	return rep, c.call(ctx, "POST", "/v1/sessions/import", ImportSessionsRequest{Sessions: ss, Actor: actor}, &rep)
}

// ImportPanels replaces the panels of the sessions given.
func (c *Client) ImportPanels(ctx context.Context, panels []directory.Panel, actor string) (jobs.PanelReport, error) {
	var rep jobs.PanelReport
	return rep, c.call(ctx, "POST", "/v1/panels/import", ImportPanelsRequest{Panels: panels, Actor: actor}, &rep)
}

// Session returns one session with every mission's state.
func (c *Client) Session(ctx context.Context, sur string) (jobs.SessionDetail, error) {
	var d jobs.SessionDetail
	return d, c.call(ctx, "GET", "/v1/sessions/"+url.PathEscape(sur), nil, &d)
}

// Move moves a session.
func (c *Client) Move(ctx context.Context, sur string, req MoveRequest) (jobs.ChangeReport, error) {
	var rep jobs.ChangeReport
	return rep, c.call(ctx, "POST", "/v1/sessions/"+url.PathEscape(sur)+"/move", req, &rep)
}

// Cancel cancels a session.
func (c *Client) Cancel(ctx context.Context, sur string, req CancelRequest) (jobs.ChangeReport, error) {
	var rep jobs.ChangeReport
	return rep, c.call(ctx, "POST", "/v1/sessions/"+url.PathEscape(sur)+"/cancel", req, &rep)
}

// Status returns the round at a glance.
func (c *Client) Status(ctx context.Context) (jobs.Status, error) {
	var st jobs.Status
	return st, c.call(ctx, "GET", "/v1/status", nil, &st)
}

// Invite queues invitations.
func (c *Client) Invite(ctx context.Context, req InviteRequest) (jobs.InviteReport, error) {
	var rep jobs.InviteReport
	return rep, c.call(ctx, "POST", "/v1/invite", req, &rep)
}

// Preview returns a message as it would be sent now (RFC 5322 bytes); an
// invitation as it would be on its planned send date (jobs.PlannedSend).
func (c *Client) Preview(ctx context.Context, kind outreach.MessageKind, mission, session string) ([]byte, error) {
	return c.PreviewAt(ctx, kind, mission, session, time.Time{})
}

// PreviewAt is Preview as the message would be composed at at (zero: as
// Preview).
func (c *Client) PreviewAt(ctx context.Context, kind outreach.MessageKind, mission, session string, at time.Time) ([]byte, error) {
	q := url.Values{"kind": {string(kind)}, "mission": {mission}, "session": {session}}
	if !at.IsZero() {
		q.Set("as_of", at.Format(time.RFC3339))
	}
	return c.raw(ctx, "GET", "/v1/preview?"+q.Encode(), nil)
}

// Outbox lists the outbox.
func (c *Client) Outbox(ctx context.Context) ([]outreach.OutboxItem, error) {
	var items []outreach.OutboxItem
	return items, c.call(ctx, "GET", "/v1/outbox", nil, &items)
}

// Flush sends what is due.
func (c *Client) Flush(ctx context.Context, wait time.Duration) (jobs.FlushReport, error) {
	var rep jobs.FlushReport
	return rep, c.call(ctx, "POST", "/v1/outbox/flush", FlushRequest{Wait: wait}, &rep)
}

// Sync reads the mailbox once.
func (c *Client) Sync(ctx context.Context) (inbox.Stats, error) {
	var st inbox.Stats
	return st, c.call(ctx, "POST", "/v1/inbox/sync", nil, &st)
}

// SetRSVP records an answer taken by staff.
func (c *Client) SetRSVP(ctx context.Context, req RSVPRequest) (outreach.RSVP, error) {
	var r outreach.RSVP
	return r, c.call(ctx, "POST", "/v1/rsvp", req, &r)
}

// Classify classifies one raw message without recording anything.
func (c *Client) Classify(ctx context.Context, raw []byte) (Classification, error) {
	var cl Classification
	resp, err := c.do(ctx, "POST", "/v1/classify", bytes.NewReader(raw), "message/rfc822")
	if err != nil {
		return cl, err
	}
	defer resp.Body.Close()
	return cl, json.NewDecoder(resp.Body).Decode(&cl)
}

// Reviews lists review items in state ("" for all).
func (c *Client) Reviews(ctx context.Context, state outreach.ReviewState) ([]outreach.ReviewItem, error) {
	var items []outreach.ReviewItem
	return items, c.call(ctx, "GET", "/v1/review?state="+url.QueryEscape(string(state)), nil, &items)
}

// Review returns one review item.
func (c *Client) Review(ctx context.Context, id uint64) (outreach.ReviewItem, error) {
	var it outreach.ReviewItem
	return it, c.call(ctx, "GET", "/v1/review/"+strconv.FormatUint(id, 10), nil, &it)
}

// Resolve closes a review item.
func (c *Client) Resolve(ctx context.Context, id uint64, req ResolveRequest) (outreach.ReviewItem, error) {
	var it outreach.ReviewItem
	return it, c.call(ctx, "POST", "/v1/review/"+strconv.FormatUint(id, 10)+"/resolve", req, &it)
}

// Reminders lists the reminder instances of the round and their state.
func (c *Client) Reminders(ctx context.Context) ([]jobs.ReminderLine, error) {
	var ls []jobs.ReminderLine
	return ls, c.call(ctx, "GET", "/v1/reminders", nil, &ls)
}

// Figures returns the figures of every round in the store.
func (c *Client) Figures(ctx context.Context) (jobs.Figures, error) {
	var f jobs.Figures
	return f, c.call(ctx, "GET", "/v1/figures", nil, &f)
}

// Rounds lists the rounds in the store.
func (c *Client) Rounds(ctx context.Context) ([]jobs.RoundSummary, error) {
	var rs []jobs.RoundSummary
	return rs, c.call(ctx, "GET", "/v1/rounds", nil, &rs)
}

// Calendar returns the staff calendar feed.
func (c *Client) Calendar(ctx context.Context, sur string) ([]byte, error) {
	return c.raw(ctx, "GET", "/v1/calendar.ics?session="+url.QueryEscape(sur), nil)
}

// Backup streams a consistent copy of the store to w.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := c.do(ctx, "GET", "/v1/backup", nil, "")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return io.Copy(w, resp.Body)
}

// Health returns the daemon's state. An unhealthy daemon (503) returns
// its state and an *APIError.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	resp, err := c.send(ctx, "GET", "/healthz", nil, "")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return h, fmt.Errorf("admin: GET /healthz: %w", err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusServiceUnavailable {
		if err := json.Unmarshal(data, &h); err != nil {
			return h, fmt.Errorf("admin: GET /healthz: reading the answer: %w", err)
		}
		if resp.StatusCode == http.StatusOK {
			return h, nil
		}
	}
	return h, &APIError{Status: resp.StatusCode, Msg: fmt.Sprintf("admin: GET /healthz: %s", resp.Status)}
}
