// Package web serves each mission's reply page: the link in its
// invitation (<public_url>/r/<token>) opens a form, in the mission's
// language with a switch to the other two, where it answers for every
// pre-session at once, names its delegates and leaves a comment.
//
// The pages use net/http and html/template only and no script at all:
// they work without JavaScript, on a phone, with a keyboard and a screen
// reader. They are meant to sit behind a TLS reverse proxy. Security: the
// token is looked up by its hash (store.Tx.MissionByPageToken) and every
// unknown token gets the same 404; a POST needs the form's signed CSRF
// token (an HMAC of the page token and the time the form was issued);
// requests are limited per client address and per token; request bodies
// are capped; every response carries a Content-Security-Policy without
// script, Referrer-Policy: no-referrer and X-Robots-Tag: noindex.
package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"outreach"
	"outreach/internal/loopback"
	"outreach/jobs"
	"outreach/store"
	"outreach/templates"
)

//go:embed files/page.html
var pageHTML string

//go:embed files/page.css
var pageCSS []byte

// Backend is what the pages need of the engine (*jobs.Engine).
type Backend interface {
	PageMission(token string) (string, error)
	Page(mission string) (jobs.Page, error)
	SubmitPage(mission string, a jobs.PageAnswers) (jobs.PageReport, error)
	PageKey() ([]byte, error)
}

// Options configure a Server.
type Options struct {
	Backend Backend
	Logger  *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// PerAddress and PerToken limit requests: Burst at once, then one per
	// Interval ([web] per_address_* and per_token_*). Zero values take the
	// defaults (60 then one a second per address; 30 then one every 10
	// seconds per token); a negative Burst turns the limit off (tests).
	PerAddress, PerToken Rate
	// MaxBody caps a request's body; default 64 KiB.
	MaxBody int64
	// FormLifetime is how long a form stays valid ([web] form_lifetime);
	// default 12 hours.
	FormLifetime time.Duration
}

// Rate is a request budget.
type Rate struct {
	Burst    int
	Interval time.Duration
}

// Server serves the reply pages.
type Server struct {
	b        Backend
	log      *slog.Logger
	now      func() time.Time
	key      []byte
	byAddr   *limiter
	byToken  *limiter
	maxBody  int64
	lifetime time.Duration
	tmpl     *template.Template
	mux      *http.ServeMux
}

// Headers every response carries.
var securityHeaders = [][2]string{
	{"Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Robots-Tag", "noindex, nofollow"},
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
	{"Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"},
}

// New returns a Server.
func New(o Options) (*Server, error) {
	if o.Backend == nil {
		return nil, errors.New("web: no backend")
	}
	key, err := o.Backend.PageKey()
	if err != nil {
		return nil, fmt.Errorf("web: form key: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PerAddress == (Rate{}) {
		o.PerAddress = Rate{Burst: 60, Interval: time.Second}
	}
	if o.PerToken == (Rate{}) {
		o.PerToken = Rate{Burst: 30, Interval: 10 * time.Second}
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	if o.FormLifetime <= 0 {
		o.FormLifetime = 12 * time.Hour
	}
	tmpl, err := template.New("web").Parse(pageHTML)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &Server{b: o.Backend, log: o.Logger, now: o.Now, key: key, maxBody: o.MaxBody, lifetime: o.FormLifetime, tmpl: tmpl,
		byAddr: newLimiter(o.PerAddress.Burst, o.PerAddress.Interval, 100_000), byToken: newLimiter(o.PerToken.Burst, o.PerToken.Interval, 100_000)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /r/{token}", s.get)
	mux.HandleFunc("POST /r/{token}", s.post)
	mux.HandleFunc("GET /static/page.css", s.css)
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "User-agent: *\nDisallow: /\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w) })
	s.mux = mux
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for _, kv := range securityHeaders {
		h.Set(kv[0], kv[1])
	}
	h.Set("Cache-Control", "no-store")
	if !s.byAddr.allow(clientAddr(r), s.now()) {
		s.tooMany(w, s.byAddr.interval)
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	}
	s.mux.ServeHTTP(w, r)
}

// clientAddr is the address requests are limited by: the peer's, or, when
// the peer is a proxy on this machine, the last address it added to
// X-Forwarded-For (the one it saw; earlier ones the client may have
// written itself).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if loopback.Host(host) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
				return last
			}
		}
		if real := strings.TrimSpace(r.Header.Get("X-Real-IP")); net.ParseIP(real) != nil {
			return real
		}
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		// An IPv6 client usually holds a whole /64.
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return host
}

func (s *Server) css(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(pageCSS)
}

// plain is a page with a title and lines, in the three languages when the
// mission is unknown.
type plain struct {
	Lang  string
	Title string
	Lines []string
}

func (s *Server) plainPage(w http.ResponseWriter, status int, p plain) {
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, "plain", p); err != nil {
		s.log.Error("web: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// notFound is the one answer to any unknown token or address.
func (s *Server) notFound(w http.ResponseWriter) {
	var lines []string
	for _, l := range outreach.Languages {
		lines = append(lines, textIn(l).NotFound)
	}
	s.plainPage(w, http.StatusNotFound, plain{Lang: "en", Title: "Not found – Page introuvable – Página no encontrada", Lines: lines})
}

// tooMany refuses a request over its limit; Retry-After is when the
// limit serves one again (one interval, in whole seconds).
func (s *Server) tooMany(w http.ResponseWriter, interval time.Duration) {
	var lines []string
	for _, l := range outreach.Languages {
		lines = append(lines, textIn(l).TooMany)
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, interval+time.Second-1)/time.Second)))
	s.plainPage(w, http.StatusTooManyRequests, plain{Lang: "en", Title: "Too many requests – Trop de requêtes – Demasiadas solicitudes", Lines: lines})
}

// mission resolves the request's token, applying the per-token limit; it
// writes the response itself and returns "" when there is nothing to
// serve.
func (s *Server) mission(w http.ResponseWriter, r *http.Request) (string, string) {
	token := r.PathValue("token")
	// Every token, known or not, is hashed and looked up: the same path
	// and the same answer for any that opens nothing.
	m, err := s.b.PageMission(token)
	if err != nil {
		if !errors.Is(err, jobs.ErrNoPage) {
			s.log.Error("web: token lookup", "err", err)
		}
		s.notFound(w)
		return "", ""
	}
	if !s.byToken.allow(store.HashPageToken(token), s.now()) {
		s.tooMany(w, s.byToken.interval)
		return "", ""
	}
	return m, token
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	mission, token := s.mission(w, r)
	if mission == "" {
		return
	}
	p, err := s.b.Page(mission)
	if err != nil {
		s.fail(w, err)
		return
	}
	lang := pickLang(r.URL.Query().Get("lang"), p.Mission.Language)
	v := s.view(p, lang, token)
	s.render(w, http.StatusOK, v)
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, jobs.ErrNoPage) {
		s.notFound(w)
		return
	}
	s.log.Error("web: page", "err", err)
	http.Error(w, "The page cannot be shown right now; please try again later.", http.StatusInternalServerError)
}

func pickLang(q string, def outreach.Language) outreach.Language {
	if l, err := outreach.ParseLanguage(q); err == nil && q != "" {
		return l
	}
	if def == "" {
		return outreach.English
	}
	return def
}

// csrf signs (token, issued) under the server's key.
func (s *Server) csrf(token string, issued int64) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(store.HashPageToken(token)))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(issued, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether the form's CSRF fields were issued by this
// server for token, within the form's lifetime.
func (s *Server) checkCSRF(token, issuedField, sig string) bool {
	issued, err := strconv.ParseInt(issuedField, 10, 64)
	if err != nil || len(sig) > 64 {
		return false
	}
	now := s.now()
	at := time.Unix(issued, 0)
	if at.After(now.Add(time.Minute)) || now.Sub(at) > s.lifetime {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(s.csrf(token, issued)))
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	mission, token := s.mission(w, r)
	if mission == "" {
		return
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(strings.ToLower(ct)) != "application/x-www-form-urlencoded" {
		http.Error(w, "unsupported form encoding", http.StatusUnsupportedMediaType)
		return
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	p, err := s.b.Page(mission)
	if err != nil {
		s.fail(w, err)
		return
	}
	f := r.PostForm
	lang := pickLang(f.Get("lang"), p.Mission.Language)
	t := textIn(lang)
	if !p.Open {
		v := s.view(p, lang, token)
		v.Notice = t.ClosedPost
		s.render(w, http.StatusForbidden, v)
		return
	}
	in, v := s.read(p, lang, token, f)
	if !s.checkCSRF(token, f.Get("issued"), f.Get("csrf")) {
		// Nothing is recorded: the page comes back with what was sent, and a
		// fresh form token, to be sent again by the person.
		v.Notice = t.ErrForm
		s.render(w, http.StatusForbidden, v)
		return
	}
	if len(v.Errors) > 0 {
		s.render(w, http.StatusUnprocessableEntity, v)
		return
	}
	in.From = clientAddr(r)
	rep, err := s.b.SubmitPage(mission, in)
	switch {
	case errors.Is(err, jobs.ErrPageClosed):
		p.Open = false
		v := s.view(p, lang, token)
		v.Notice = t.ClosedPost
		s.render(w, http.StatusForbidden, v)
		return
	case errors.Is(err, jobs.ErrInput):
		// The page's own checks passed but the engine's did not.
		s.log.Warn("web: submission refused", "mission", mission, "err", err)
		v.Notice = t.ErrForm
		s.render(w, http.StatusUnprocessableEntity, v)
		return
	case err != nil:
		s.fail(w, err)
		return
	}
	s.log.Info("web: reply page submitted", "mission", mission, "changed", len(rep.Changed), "requests", len(rep.Requests), "cancels", len(rep.Cancels))
	p, err = s.b.Page(mission)
	if err != nil {
		s.fail(w, err)
		return
	}
	done := s.view(p, lang, token)
	names := map[string]string{}
	for _, ps := range p.Sessions {
		names[ps.SuR] = ps.SuRNames.In(lang) + " – " + templates.FullDate(lang, ps.Start) + ", " + templates.TimeRange(ps.Start, ps.End)
	}
	d := &doneView{Summary: rep.Summary, Nothing: len(rep.Changed) == 0 && !rep.Summary}
	for _, sur := range rep.Requests {
		d.Requests = append(d.Requests, names[sur])
	}
	for _, sur := range rep.Cancels {
		d.Cancels = append(d.Cancels, names[sur])
	}
	done.Done = d
	s.render(w, http.StatusOK, done)
}

// read takes the submitted form: the answers for the engine, and the view
// to show again with an error next to each field that needs one.
func (s *Server) read(p jobs.Page, lang outreach.Language, token string, f url.Values) (jobs.PageAnswers, *view) {
	t := textIn(lang)
	v := s.view(p, lang, token)
	in := jobs.PageAnswers{Answers: map[string]outreach.Status{}}
	for di := range v.Days {
		for si := range v.Days[di].Sessions {
			sv := &v.Days[di].Sessions[si]
			if sv.Cancelled {
				continue
			}
			vals := f["a-"+sv.ID]
			if len(vals) == 0 {
				// Left unanswered by the browser (no radio checked): kept.
				continue
			}
			switch {
			case len(vals) == 1 && vals[0] == "yes":
				in.Answers[sv.ID] = outreach.Accepted
			case len(vals) == 1 && vals[0] == "no":
				in.Answers[sv.ID] = outreach.Declined
			case len(vals) == 1 && vals[0] == "undecided":
				in.Answers[sv.ID] = outreach.None
			default:
				sv.Error = t.ErrAnswer
				v.Errors = append(v.Errors, fieldError{Field: "s-" + sv.ID, Label: sv.Name, Message: t.ErrAnswer})
				continue
			}
			sv.Choice = vals[0]
		}
	}
	rows := make([]delegateView, 0, jobs.MaxPageDelegates)
	for i := 0; i < jobs.MaxPageDelegates; i++ {
		d := delegateView{Index: i + 1, NameLabel: fmt.Sprintf(t.Name, i+1), EmailLabel: fmt.Sprintf(t.Email, i+1),
			Name: strings.TrimSpace(f.Get(fmt.Sprintf("d-name-%d", i+1))), Email: strings.TrimSpace(f.Get(fmt.Sprintf("d-email-%d", i+1)))}
		switch {
		case d.Name == "":
		case !utf8.ValidString(d.Name) || utf8.RuneCountInString(d.Name) > jobs.MaxDelegateName || len(d.Name) > 4*jobs.MaxDelegateName:
			d.NameError = t.ErrNameLong
		case outreach.CheckDisplayName(d.Name) != nil || d.Name != outreach.HeaderText(d.Name):
			d.NameError = t.ErrName
		}
		if d.Email != "" {
			if len(d.Email) > 254 || outreach.CheckAddress(d.Email) != nil {
				d.EmailError = t.ErrEmail
			} else if d.Name == "" {
				d.NameError = t.ErrEmailNoName
			}
		}
		if d.NameError != "" {
			v.Errors = append(v.Errors, fieldError{Field: fmt.Sprintf("d-name-%d", i+1), Label: d.NameLabel, Message: d.NameError})
		}
		if d.EmailError != "" {
			v.Errors = append(v.Errors, fieldError{Field: fmt.Sprintf("d-email-%d", i+1), Label: d.EmailLabel, Message: d.EmailError})
		}
		if d.Name != "" && d.NameError == "" && d.EmailError == "" {
			in.Delegates = append(in.Delegates, store.PageDelegate{Name: d.Name, Email: d.Email})
		}
		rows = append(rows, d)
	}
	// Show as many rows as the form had filled, at least as many as usual.
	n := max(len(v.Delegates), lastFilled(rows))
	v.Delegates = rows[:min(n, len(rows))]
	comment := strings.ReplaceAll(f.Get("comment"), "\r\n", "\n")
	v.Comment = comment
	if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > jobs.MaxPageComment ||
		outreach.CheckHeaderText(strings.ReplaceAll(comment, "\n", " "), jobs.MaxPageComment) != nil {
		v.CommentError = t.ErrComment
		v.Errors = append(v.Errors, fieldError{Field: "comment", Label: t.Comment, Message: t.ErrComment})
	}
	in.Comment = strings.TrimSpace(comment)
	return in, v
}

func lastFilled(rows []delegateView) int {
	n := 0
	for i, d := range rows {
		if d.Name != "" || d.Email != "" {
			n = i + 1
		}
	}
	return n
}

func (s *Server) render(w http.ResponseWriter, status int, v *view) {
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, "page", v); err != nil {
		s.log.Error("web: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
