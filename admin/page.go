package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"outreach/jobs"
	"outreach/store"
)

// PageAnswer is one session's answer as a mission's reply page shows it.
type PageAnswer struct {
	Session string `json:"session"`
	Name    string `json:"name"`
	Start   string `json:"start"`
	Status  string `json:"status"`
	Source  string `json:"source,omitempty"`
}

// PageInfo is what a mission gave on its reply page, for staff.
type PageInfo struct {
	Mission   string               `json:"mission"`
	Open      bool                 `json:"open"`
	Deadline  time.Time            `json:"deadline"`
	Answers   []PageAnswer         `json:"answers"`
	Delegates []store.PageDelegate `json:"delegates"`
	Comment   string               `json:"comment,omitempty"`
	Submitted time.Time            `json:"submitted,omitzero"`
	// Submissions counts the times the page was sent.
	Submissions int `json:"submissions"`
}

// PageLinkRequest asks for a mission's reply page link; Renew replaces
// the token, and the old link stops working.
type PageLinkRequest struct {
	Renew bool   `json:"renew,omitempty"`
	Actor string `json:"actor,omitempty"`
}

// PageLink is a mission's reply page link.
type PageLink struct {
	Mission string `json:"mission"`
	Link    string `json:"link"`
}

func (s *server) page(w http.ResponseWriter, r *http.Request) (any, error) {
	m := strings.ToUpper(r.PathValue("mission"))
	p, err := s.e.Page(m)
	if errors.Is(err, jobs.ErrNoPage) {
		return nil, fmt.Errorf("%w: no mission %q in the directory", jobs.ErrInput, m)
	} else if err != nil {
		return nil, err
	}
	info := PageInfo{Mission: m, Open: p.Open, Deadline: p.Deadline, Answers: []PageAnswer{}, Delegates: p.State.Delegates,
		Comment: p.State.Comment, Submitted: p.State.Submitted, Submissions: p.State.Submissions}
	if info.Delegates == nil {
		info.Delegates = []store.PageDelegate{}
	}
	for _, ps := range p.Sessions {
		a := PageAnswer{Session: ps.SuR, Name: ps.SuRNames.EN, Start: ps.Start.Format(time.RFC3339), Status: ps.Answer.String()}
		if ps.Status.String() == "cancelled" {
			a.Status = "cancelled"
		}
		if !ps.At.IsZero() {
			a.Source = string(ps.Source)
		}
		info.Answers = append(info.Answers, a)
	}
	return info, nil
}

func (s *server) pageLink(w http.ResponseWriter, r *http.Request) (any, error) {
	var req PageLinkRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	m := strings.ToUpper(r.PathValue("mission"))
	link, err := s.e.PageLink(m, req.Renew, req.Actor)
	if err != nil {
		return nil, err
	}
	return PageLink{Mission: m, Link: link}, nil
}

// Page returns what mission gave on its reply page.
func (c *Client) Page(ctx context.Context, mission string) (PageInfo, error) {
	var p PageInfo
	return p, c.call(ctx, "GET", "/v1/page/"+url.PathEscape(mission), nil, &p)
}

// PageLink returns mission's reply page link, renewing it when asked.
func (c *Client) PageLink(ctx context.Context, mission string, req PageLinkRequest) (PageLink, error) {
	var l PageLink
	return l, c.call(ctx, "POST", "/v1/page/"+url.PathEscape(mission)+"/link", req, &l)
}
