// Package desk is the staff's desk: the round at a glance in a browser,
// the review queue resolved in one click, the door list on the morning.
//
// It is served by `outreach run` under /desk/ on the admin TCP listener
// (loopback; publish it through the TLS reverse proxy). Staff log in with
// their own password (the staff file, see AddStaff); the session cookie is
// HttpOnly, Secure and SameSite=Strict; every form carries a CSRF token
// bound to the session; every change is recorded in the audit under the
// staff member's name ("desk:NAME"). The pages are server-rendered
// html/template with a small stylesheet of their own and no script; a
// message under review is shown as its text, never as its HTML.
package desk

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"outreach"
	"outreach/internal/loopback"
	"outreach/jobs"
)

//go:embed files/desk.html
var deskHTML string

//go:embed files/desk.css
var deskCSS []byte

// Backend is what the desk needs of the engine (*jobs.Engine).
type Backend interface {
	Status() (jobs.Status, error)
	SessionDetail(sur string) (jobs.SessionDetail, error)
	Sessions() ([]outreach.Session, error)
	Missions() ([]outreach.Mission, error)
	Mission(id string) (outreach.Mission, error)
	Reviews(state outreach.ReviewState) ([]outreach.ReviewItem, error)
	Review(id uint64) (outreach.ReviewItem, error)
	ResolveReview(id uint64, d jobs.Decision) (outreach.ReviewItem, error)
	SetRSVP(mission, session string, status outreach.Status, note, actor string) (outreach.RSVP, error)
	Event() outreach.Event
	MoveSession(sur string, mv jobs.Move, actor string) (jobs.ChangeReport, error)
	CancelSessionWith(sur string, c jobs.Cancel, actor string) (jobs.ChangeReport, error)
	Outbox() ([]outreach.OutboxItem, error)
	RetryOutbox(id uint64, actor string) (outreach.OutboxItem, error)
}

// Options configure a Server.
type Options struct {
	Backend Backend
	// StaffFile is the file of staff names and password hashes.
	StaffFile string
	Logger    *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// SessionLifetime is how long a login lasts; default 12 hours.
	SessionLifetime time.Duration
	// TrustedHeader, when set, lets a reverse proxy on this machine log
	// staff in with its own login: a request from a loopback address
	// carrying this header (e.g. "X-Remote-User") is the staff member it
	// names, who must be in the staff file. Set it only when the desk's
	// port is reachable through the proxy alone.
	TrustedHeader string
}

// Server serves the desk.
type Server struct {
	b        Backend
	staff    string
	log      *slog.Logger
	now      func() time.Time
	lifetime time.Duration
	header   string // see Options.TrustedHeader
	key      []byte // signs CSRF tokens
	tmpl     *template.Template
	mux      *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*session // by the SHA-256 of the cookie's value
	known    map[string]string   // the staff file as last read
	mtime    time.Time
	failures map[string][]time.Time // failed logins by name, the last quarter hour
}

type session struct {
	name    string
	expires time.Time
}

// securityHeaders are sent with every page.
var securityHeaders = [][2]string{
	{"Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Robots-Tag", "noindex, nofollow"},
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"Cache-Control", "no-store"},
}

const cookieName = "outreach_desk"

// New returns a desk Server.
func New(o Options) (*Server, error) {
	if o.Backend == nil || o.StaffFile == "" {
		return nil, errors.New("desk: a backend and a staff file are needed")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	tmpl, err := template.New("desk").Funcs(template.FuncMap{
		"clock": func(t time.Time) string { return t.Format("15:04") },
		"day":   func(t time.Time) string { return t.Format("Mon 2 Jan") },
		"stamp": func(t time.Time) string { return t.Format("Mon 2 Jan 15:04") },
		"age": func(t, now time.Time) string {
			switch d := int(now.Sub(t) / (24 * time.Hour)); d {
			case 0:
				return "today"
			case 1:
				return "1 day ago"
			default:
				return strconv.Itoa(d) + " days ago"
			}
		},
		"pct": func(n, of int) int {
			if of == 0 {
				return 0
			}
			return n * 100 / of
		},
		"lines":   func(s string) []string { return strings.Split(s, "\n") },
		"bar":     bar,
		"answers": func() []string { return []string{"accepted", "tentative", "declined"} },
		// guess is intake's reading of a review item for a session.
		"guess": func(it outreach.ReviewItem, sur string) string {
			if st, ok := it.Sessions[sur]; ok {
				return st.String()
			}
			return ""
		},
	}).Parse(deskHTML)
	if err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	s := &Server{b: o.Backend, staff: o.StaffFile, log: o.Logger, now: o.Now, lifetime: o.SessionLifetime, header: o.TrustedHeader, key: key, tmpl: tmpl,
		sessions: map[string]*session{}, failures: map[string][]time.Time{}}
	if _, err := s.staffNames(); err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /desk/login", s.loginPage)
	mux.HandleFunc("POST /desk/login", s.login)
	mux.HandleFunc("GET /desk/desk.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write(deskCSS)
	})
	mux.HandleFunc("POST /desk/logout", s.staffOnly(s.logout))
	mux.HandleFunc("GET /desk/{$}", s.staffOnly(s.today))
	mux.HandleFunc("GET /desk/today.csv", s.staffOnly(s.todayCSV))
	mux.HandleFunc("GET /desk/round", s.staffOnly(s.round))
	mux.HandleFunc("GET /desk/review", s.staffOnly(s.reviewList))
	mux.HandleFunc("POST /desk/review/{id}", s.staffOnly(s.resolve))
	mux.HandleFunc("GET /desk/mission/{id}", s.staffOnly(s.mission))
	mux.HandleFunc("POST /desk/mission/{id}", s.staffOnly(s.answer))
	mux.HandleFunc("GET /desk/sessions", s.staffOnly(s.sessionsPage))
	mux.HandleFunc("POST /desk/sessions/{sur}/move", s.staffOnly(s.move))
	mux.HandleFunc("POST /desk/sessions/{sur}/cancel", s.staffOnly(s.cancel))
	mux.HandleFunc("GET /desk/outbox", s.staffOnly(s.outbox))
	mux.HandleFunc("POST /desk/outbox/{id}/retry", s.staffOnly(s.retry))
	mux.HandleFunc("GET /desk/figures", s.staffOnly(s.figures))
	s.mux = mux
	return s, nil
}

// ServeHTTP serves the desk's pages under /desk/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, h := range securityHeaders {
		w.Header().Set(h[0], h[1])
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	s.mux.ServeHTTP(w, r)
}

// staffNames returns the staff file's names and hashes, read again when
// the file changed.
func (s *Server) staffNames() (map[string]string, error) {
	fi, err := os.Stat(s.staff)
	var mt time.Time
	if err == nil {
		mt = fi.ModTime()
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known != nil && mt.Equal(s.mtime) {
		return s.known, nil
	}
	known, err := ReadStaff(s.staff)
	if err != nil {
		return nil, err
	}
	s.known, s.mtime = known, mt
	return known, nil
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// who returns the staff member the request's cookie logs in, "" when none
// (no cookie, expired, or no longer in the staff file).
func (s *Server) who(r *http.Request) (name, sid string) {
	if s.header != "" {
		if n := strings.TrimSpace(r.Header.Get(s.header)); n != "" {
			known, err := s.staffNames()
			if _, ok := known[n]; ok && err == nil && fromLoopback(r) {
				return n, "header:" + n
			}
			return "", ""
		}
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return "", ""
	}
	known, err := s.staffNames()
	if err != nil {
		s.log.Error("desk: staff file", "err", err)
		return "", ""
	}
	h := hashID(c.Value)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[h]
	if !ok {
		return "", ""
	}
	if _, still := known[ss.name]; !still || !s.now().Before(ss.expires) {
		delete(s.sessions, h)
		return "", ""
	}
	return ss.name, c.Value
}

// csrf is the form token of a session: an HMAC of its cookie.
func (s *Server) csrf(sid string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf:" + sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

type handler func(w http.ResponseWriter, r *http.Request, p *page)

// page is what every template gets.
type page struct {
	Title, Name, CSRF, Flash, Error string
	Nav                             string
	Data                            any
}

// staffOnly serves h to a logged-in staff member; a POST also needs the
// session's CSRF token. Others go to the login page (GET) or get 403.
func (s *Server) staffOnly(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, sid := s.who(r)
		if name == "" {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "log in first", http.StatusForbidden)
			return
		}
		p := &page{Name: name, CSRF: s.csrf(sid), Flash: r.URL.Query().Get("done")}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(p.CSRF)) != 1 {
				http.Error(w, "the form has expired or was not sent from the desk; reload the page", http.StatusForbidden)
				return
			}
		}
		h(w, r, p)
	}
}

func (s *Server) render(w http.ResponseWriter, name string, p *page, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, p); err != nil {
		s.log.Error("desk: render", "page", name, "err", err)
	}
}

func (s *Server) fail(w http.ResponseWriter, p *page, err error) {
	s.log.Error("desk", "err", err)
	p.Title, p.Error = "Error", err.Error()
	s.render(w, "error", p, http.StatusInternalServerError)
}

func (s *Server) actor(p *page) string { return "desk:" + p.Name }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if name, _ := s.who(r); name != "" {
		http.Redirect(w, r, "/desk/", http.StatusSeeOther)
		return
	}
	s.render(w, "login", &page{Title: "Log in"}, http.StatusOK)
}

// login checks a staff member's password. Five failures for a name within
// a quarter of an hour hold that name back for the rest of it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	name, pw := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password")
	known, err := s.staffNames()
	if err != nil {
		http.Error(w, "the staff file cannot be read", http.StatusInternalServerError)
		return
	}
	now := s.now()
	hash, ok := known[name]
	s.mu.Lock()
	recent := slices.DeleteFunc(s.failures[name], func(t time.Time) bool { return now.Sub(t) > 15*time.Minute })
	if ok {
		s.failures[name] = recent
	}
	s.mu.Unlock()
	if len(recent) >= 5 || !ok || !checkPassword(hash, pw) {
		if !ok {
			checkPassword("pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", pw) // same time for unknown names
		}
		if ok { // unknown names always fail: nothing to count, nothing to grow
			s.mu.Lock()
			s.failures[name] = append(s.failures[name], now)
			s.mu.Unlock()
		}
		s.log.Warn("desk: login refused", "name", name, "from", r.RemoteAddr)
		s.render(w, "login", &page{Title: "Log in", Error: "Unknown name or wrong password."}, http.StatusUnauthorized)
		return
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	sid := base64.RawURLEncoding.EncodeToString(raw)
	s.mu.Lock()
	s.sessions[hashID(sid)] = &session{name: name, expires: now.Add(s.lifetime)}
	delete(s.failures, name)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: "/desk/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.lifetime.Seconds())})
	s.log.Info("desk: login", "name", name)
	http.Redirect(w, r, "/desk/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *page) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, hashID(c.Value))
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/desk/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
}

// attendee is one mission at a session, for the door list.
type attendee struct {
	Mission, Name, Status, Source string
	Delegates                     []string
}

// todaySession is one of today's sessions with who comes.
type todaySession struct {
	outreach.SessionTally
	Attending []attendee
}

type todayData struct {
	Day      string
	Sessions []todaySession
	Next     *outreach.SessionTally
	Reviews  int
	Failed   int
}

func (s *Server) todayData() (todayData, error) {
	st, err := s.b.Status()
	if err != nil {
		return todayData{}, err
	}
	d := todayData{Reviews: st.Review, Failed: len(st.Failed)}
	if day, err := time.Parse(time.DateOnly, st.Today); err == nil {
		d.Day = day.Format("Monday 2 January 2006")
	}
	for _, i := range st.TodaySessions {
		t := todaySession{SessionTally: st.Sessions[i]}
		det, err := s.b.SessionDetail(t.SuR)
		if err != nil {
			return d, err
		}
		for _, l := range det.Missions {
			if l.Status == outreach.Accepted.String() || l.Status == outreach.Tentative.String() {
				t.Attending = append(t.Attending, attendee{Mission: l.Mission, Name: l.Name, Status: l.Status, Source: l.Source, Delegates: l.Delegates})
			}
		}
		sort.Slice(t.Attending, func(a, b int) bool { return t.Attending[a].Name < t.Attending[b].Name })
		d.Sessions = append(d.Sessions, t)
	}
	if len(d.Sessions) == 0 && st.Next >= 0 {
		n := st.Sessions[st.Next]
		d.Next = &n
	}
	return d, nil
}

func (s *Server) today(w http.ResponseWriter, r *http.Request, p *page) {
	d, err := s.todayData()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Today", "today", d
	s.render(w, "today", p, http.StatusOK)
}

// todayCSV is the door list: one row per delegate (or per mission without
// names) of each of today's sessions.
func (s *Server) todayCSV(w http.ResponseWriter, r *http.Request, p *page) {
	d, err := s.todayData()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="door-list.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"session", "start", "room", "mission", "mission_name", "answer", "delegate"})
	for _, t := range d.Sessions {
		for _, a := range t.Attending {
			names := a.Delegates
			if len(names) == 0 {
				names = []string{""}
			}
			for _, n := range names {
				cw.Write([]string{t.Name, t.Start.Format("15:04"), t.Room, a.Mission, csvSafe(a.Name), a.Status, csvSafe(n)})
			}
		}
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) round(w http.ResponseWriter, r *http.Request, p *page) {
	st, err := s.b.Status()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Round", "round", st
	s.render(w, "round", p, http.StatusOK)
}

type reviewData struct {
	Items    []outreach.ReviewItem
	Sessions []outreach.Session
	Missions []outreach.Mission
	Names    map[string]string // mission or State id → English name
	Now      time.Time
}

func (s *Server) reviewList(w http.ResponseWriter, r *http.Request, p *page) {
	items, err := s.b.Reviews(outreach.ReviewOpen)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Received.Before(items[j].Received) })
	ss, err := s.b.Sessions()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	ms, names, err := s.missions()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Review", "review", reviewData{Items: items, Sessions: ss, Missions: ms, Names: names, Now: s.now()}
	s.render(w, "review", p, http.StatusOK)
}

// resolve records a person's decision on a review item: the mission and
// the answer for each session chosen, or dismiss.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := r.PostForm
	d := jobs.Decision{Actor: s.actor(p), Note: strings.TrimSpace(f.Get("note")), Answers: map[string]outreach.Status{}}
	if f.Get("action") == "dismiss" {
		d.Dismiss = true
	} else {
		d.Mission = strings.ToUpper(strings.TrimSpace(f.Get("mission")))
		for k, v := range f {
			sur, ok := strings.CutPrefix(k, "s_")
			if !ok || len(v) == 0 || v[0] == "" {
				continue
			}
			st, err := outreach.ParseStatus(v[0])
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			d.Answers[strings.ToUpper(sur)] = st
		}
		if d.Mission == "" || len(d.Answers) == 0 {
			http.Redirect(w, r, "/desk/review?done="+urlText("Choose the mission and at least one answer, or dismiss."), http.StatusSeeOther)
			return
		}
	}
	item, err := s.b.ResolveReview(id, d)
	if err != nil {
		http.Redirect(w, r, "/desk/review?done="+urlText("Not recorded: "+err.Error()), http.StatusSeeOther)
		return
	}
	msg := fmt.Sprintf("Review item %d resolved: %s.", item.ID, item.Resolution)
	http.Redirect(w, r, "/desk/review?done="+urlText(msg), http.StatusSeeOther)
}

type missionData struct {
	Mission outreach.Mission
	Lines   []missionLine
}

type missionLine struct {
	Session outreach.Session
	Name    string
	Line    jobs.MissionLine
}

func (s *Server) mission(w http.ResponseWriter, r *http.Request, p *page) {
	m, err := s.b.Mission(strings.ToUpper(r.PathValue("id")))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ss, err := s.b.Sessions()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	d := missionData{Mission: m}
	for _, se := range ss {
		det, err := s.b.SessionDetail(se.SuR)
		if err != nil {
			s.fail(w, p, err)
			return
		}
		for _, l := range det.Missions {
			if l.Mission == m.ID {
				d.Lines = append(d.Lines, missionLine{Session: se, Name: det.Name, Line: l})
			}
		}
	}
	p.Title, p.Nav, p.Data = m.Names.EN, "", d
	s.render(w, "mission", p, http.StatusOK)
}

// answer records an answer given by telephone or in person.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, p *page) {
	id := strings.ToUpper(r.PathValue("id"))
	f := r.PostForm
	st, err := outreach.ParseStatus(f.Get("status"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sur := strings.ToUpper(f.Get("session"))
	note := strings.TrimSpace(f.Get("note"))
	if note == "" {
		note = "recorded at the desk"
	}
	if _, err := s.b.SetRSVP(id, sur, st, note, s.actor(p)); err != nil {
		http.Redirect(w, r, "/desk/mission/"+id+"?done="+urlText("Not recorded: "+err.Error()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/desk/mission/"+id+"?done="+urlText(fmt.Sprintf("Recorded: %s %s for %s.", id, st, sur)), http.StatusSeeOther)
}

func urlText(s string) string { return url.QueryEscape(s) }

// segment is one coloured part of a session's bar.
type segment struct {
	X, W int
	Fill string
}

// bar draws a session's answers among the missions invited, 200 pixels
// wide: accepted, tentative, declined; the rest is no answer.
func bar(t outreach.SessionTally) []segment {
	if t.Invited == 0 {
		return nil
	}
	var out []segment
	x := 0
	for _, p := range []struct {
		n    int
		fill string
	}{{t.Accepted, "#1d6b2f"}, {t.Tentative, "#c98a00"}, {t.Declined, "#a4001d"}} {
		w := p.n * 200 / t.Invited
		out = append(out, segment{X: x, W: w, Fill: p.fill})
		x += w
	}
	return out
}

// sessionsData is the sessions page, or a preview of a change to one.
type sessionsData struct {
	Sessions []outreach.Session
	Names    map[string]string
	// Preview is set on a preview: what the change would queue, the form
	// to confirm it and the session it changes.
	Preview *preview
}

type preview struct {
	Action  string // "move" or "cancel"
	Session outreach.Session
	Report  jobs.ChangeReport
	Names   []string
	Form    [][2]string // the fields to send again to confirm
}

func (s *Server) sessionsData() (sessionsData, error) {
	ss, err := s.b.Sessions()
	if err != nil {
		return sessionsData{}, err
	}
	_, names, err := s.missions()
	if err != nil {
		return sessionsData{}, err
	}
	return sessionsData{Sessions: ss, Names: names}, nil
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request, p *page) {
	d, err := s.sessionsData()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Sessions", "sessions", d
	s.render(w, "sessions", p, http.StatusOK)
}

// showPreview renders what a change would send, with a button to confirm.
func (s *Server) showPreview(w http.ResponseWriter, p *page, action string, rep jobs.ChangeReport, form [][2]string) {
	d, err := s.sessionsData()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	pv := &preview{Action: action, Session: rep.Session, Report: rep, Form: form}
	for _, m := range rep.Missions {
		pv.Names = append(pv.Names, d.Names[m])
	}
	d.Preview = pv
	p.Title, p.Nav, p.Data = "Check before sending", "sessions", d
	s.render(w, "sessions", p, http.StatusOK)
}

// move previews a move (action=preview) or makes it (action=confirm).
func (s *Server) move(w http.ResponseWriter, r *http.Request, p *page) {
	sur := strings.ToUpper(r.PathValue("sur"))
	f := r.PostForm
	loc := s.b.Event().Location
	if loc == nil {
		loc = time.UTC
	}
	mv := jobs.Move{Note: strings.TrimSpace(f.Get("note")), NoteFR: strings.TrimSpace(f.Get("note_fr")),
		NoteES: strings.TrimSpace(f.Get("note_es")), IncludeDeclined: f.Get("include_declined") == "on"}
	var form [][2]string
	for _, k := range []string{"start", "end", "room", "note", "note_fr", "note_es", "include_declined"} {
		if v := f.Get(k); v != "" {
			form = append(form, [2]string{k, v})
		}
	}
	for _, k := range []string{"start", "end"} {
		v := strings.TrimSpace(f.Get(k))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		if err != nil {
			http.Redirect(w, r, "/desk/sessions?done="+urlText(fmt.Sprintf("Not moved: %s %q is not a date and time (YYYY-MM-DDTHH:MM).", k, v)), http.StatusSeeOther)
			return
		}
		if k == "start" {
			mv.Start = &t
		} else {
			mv.End = &t
		}
	}
	if room := strings.TrimSpace(f.Get("room")); room != "" {
		mv.Room = &room
	}
	mv.DryRun = f.Get("action") != "confirm"
	rep, err := s.b.MoveSession(sur, mv, s.actor(p))
	if err != nil {
		http.Redirect(w, r, "/desk/sessions?done="+urlText("Not moved: "+err.Error()), http.StatusSeeOther)
		return
	}
	if rep.DryRun {
		s.showPreview(w, p, "move", rep, form)
		return
	}
	http.Redirect(w, r, "/desk/sessions?done="+urlText(fmt.Sprintf("%s moved to %s, %s: %d calendar updates queued.",
		sur, rep.Session.Start.Format("Mon 2 Jan 15:04"), rep.Session.Room, rep.Queued)), http.StatusSeeOther)
}

// cancel previews a cancellation or makes it.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request, p *page) {
	sur := strings.ToUpper(r.PathValue("sur"))
	f := r.PostForm
	c := jobs.Cancel{Reason: strings.TrimSpace(f.Get("reason")), ReasonFR: strings.TrimSpace(f.Get("reason_fr")),
		ReasonES: strings.TrimSpace(f.Get("reason_es")), DryRun: f.Get("action") != "confirm"}
	var form [][2]string
	for _, k := range []string{"reason", "reason_fr", "reason_es"} {
		if v := f.Get(k); v != "" {
			form = append(form, [2]string{k, v})
		}
	}
	rep, err := s.b.CancelSessionWith(sur, c, s.actor(p))
	if err != nil {
		http.Redirect(w, r, "/desk/sessions?done="+urlText("Not cancelled: "+err.Error()), http.StatusSeeOther)
		return
	}
	if rep.DryRun {
		s.showPreview(w, p, "cancel", rep, form)
		return
	}
	http.Redirect(w, r, "/desk/sessions?done="+urlText(fmt.Sprintf("%s cancelled: %d calendar cancellations queued.", sur, rep.Queued)), http.StatusSeeOther)
}

type outboxData struct {
	Counts  map[string]int
	Failed  []outreach.OutboxItem
	Waiting []outreach.OutboxItem // deferred: the server asked to wait
	Names   map[string]string
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request, p *page) {
	items, err := s.b.Outbox()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	_, names, err := s.missions()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	d := outboxData{Counts: map[string]int{}, Names: names}
	for _, it := range items {
		d.Counts[it.State.String()]++
		switch it.State {
		case outreach.Failed:
			d.Failed = append(d.Failed, it)
		case outreach.Deferred:
			d.Waiting = append(d.Waiting, it)
		}
	}
	p.Title, p.Nav, p.Data = "Outbox", "outbox", d
	s.render(w, "outbox", p, http.StatusOK)
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	it, err := s.b.RetryOutbox(id, s.actor(p))
	if err != nil {
		http.Redirect(w, r, "/desk/outbox?done="+urlText("Not queued: "+err.Error()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/desk/outbox?done="+urlText(fmt.Sprintf("%s queued again; it goes with the next run of the outbox.", it.Key)), http.StatusSeeOther)
}

// figuresData are the round's numbers as published after a round.
type figuresData struct {
	Held, Cancelled    int
	Invited, Attending int // missions invited; attending at least one pre-session
	AveragePerSession  float64
	SuROwn, SuR        int // States under Review at their own pre-session, of those held
	Sessions           []outreach.SessionTally
	NeverAttending     []string
	AttendingOfInvited int // percent
}

func (s *Server) figures(w http.ResponseWriter, r *http.Request, p *page) {
	st, err := s.b.Status()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	d := figuresData{Sessions: st.Sessions}
	attending := map[string]bool{}
	total := 0
	for _, t := range st.Sessions {
		if t.Status == outreach.Cancelled.String() {
			d.Cancelled++
			continue
		}
		d.Held++
		d.SuR++
		if t.SuRAnswer == outreach.Accepted.String() {
			d.SuROwn++
		}
		total += t.Accepted
		det, err := s.b.SessionDetail(t.SuR)
		if err != nil {
			s.fail(w, p, err)
			return
		}
		for _, l := range det.Missions {
			if l.Status == outreach.Accepted.String() {
				attending[l.Mission] = true
			}
		}
	}
	if len(st.Sessions) > 0 {
		d.Invited = st.Sessions[0].Invited
	}
	d.Attending = len(attending)
	if d.Held > 0 {
		d.AveragePerSession = float64(total) / float64(d.Held)
	}
	if d.Invited > 0 {
		d.AttendingOfInvited = d.Attending * 100 / d.Invited
	}
	ms, err := s.b.Missions()
	if err != nil {
		s.fail(w, p, err)
		return
	}
	for _, m := range ms {
		if !attending[m.ID] {
			d.NeverAttending = append(d.NeverAttending, m.Names.EN)
		}
	}
	p.Title, p.Nav, p.Data = "Figures", "figures", d
	s.render(w, "figures", p, http.StatusOK)
}

// fromLoopback reports whether the request comes from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	return loopback.Host(host)
}

// missions returns the directory and each mission's (and State's) English
// name by id.
func (s *Server) missions() ([]outreach.Mission, map[string]string, error) {
	ms, err := s.b.Missions()
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(ms))
	for _, m := range ms {
		names[m.ID] = m.Names.EN
	}
	return ms, names, nil
}
