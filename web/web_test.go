package web

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/jobs"
	"outreach/store"
	"outreach/templates"
)

// roundStart is five weeks before the 28th round, the deadline ahead.
var roundStart = time.Date(2017, 9, 4, 7, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	st    *store.Store
	e     *jobs.Engine
	clock *jobs.ManualClock
	srv   *Server
	event outreach.Event
	// tokens holds each mission's link token.
	tokens map[string]string
}

// newFixture opens a store with the 195 missions and 14 sessions of the
// 28th round, an engine serving reply pages, and a Server; opts may set
// the limits (turned off by default).
func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: jobs.NewManualClock(roundStart), tokens: map[string]string{}}
	st, err := store.Open(filepath.Join(t.TempDir(), "outreach.db"), store.Options{Now: f.clock.Now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	f.event = ev
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	f.e = jobs.New(jobs.Options{Store: st, Event: ev, Clock: f.clock, Templates: set, PageURL: "https://rsvp.example.org"})
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.ImportMissions(ms, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.ImportSessions(ss, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.EnsurePageTokens("test"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"FRA", "JPN", "PER", "BEN", "GBR"} {
		link, err := f.e.PageLink(id, false, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[id] = strings.TrimPrefix(link, "https://rsvp.example.org/r/")
	}
	opts.Backend = f.e
	opts.Now = f.clock.Now
	if opts.PerAddress == (Rate{}) {
		opts.PerAddress = Rate{Burst: -1}
	}
	if opts.PerToken == (Rate{}) {
		opts.PerToken = Rate{Burst: -1}
	}
	f.srv, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type response struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(req *http.Request) response {
	f.t.Helper()
	if req.RemoteAddr == "" || req.RemoteAddr == "192.0.2.1:1234" {
		req.RemoteAddr = "198.51.100.7:40000"
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return response{w.Code, w.Result().Header, string(b)}
}

func (f *fixture) get(path string) response {
	f.t.Helper()
	return f.do(httptest.NewRequest("GET", path, nil))
}

func (f *fixture) post(path string, form url.Values) response {
	f.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(req)
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// form returns the page's form as a browser would send it untouched: the
// hidden fields and every checked radio.
func (f *fixture) form(mission string) url.Values {
	f.t.Helper()
	r := f.get("/r/" + f.tokens[mission])
	if r.status != 200 {
		f.t.Fatalf("GET page of %s: %d", mission, r.status)
	}
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(r.body, -1) {
		v.Set(m[1], m[2])
	}
	for _, m := range regexp.MustCompile(`name="(a-[A-Z]{3})" value="(\w+)" checked`).FindAllStringSubmatch(r.body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

func (f *fixture) rsvp(mission, session string) outreach.RSVP {
	f.t.Helper()
	var r outreach.RSVP
	f.st.View(func(tx *store.Tx) error {
		var err error
		r, err = tx.RSVP(mission, session)
		return err
	})
	return r
}

func (f *fixture) history(mission string) []outreach.RSVP {
	f.t.Helper()
	var h []outreach.RSVP
	f.st.View(func(tx *store.Tx) error {
		var err error
		h, err = tx.History(mission, "")
		return err
	})
	return h
}

func (f *fixture) outbox(kind outreach.MessageKind, mission string) []outreach.OutboxItem {
	f.t.Helper()
	items, err := f.e.Outbox()
	if err != nil {
		f.t.Fatal(err)
	}
	var out []outreach.OutboxItem
	for _, it := range items {
		if it.Key.Kind == kind && it.Key.Mission == mission {
			out = append(out, it)
		}
	}
	return out
}

func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy allows script or inline content: %q", csp)
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestPageInEachLanguage(t *testing.T) {
	f := newFixture(t, Options{})
	for _, c := range []struct {
		mission, query, lang, title, attend string
	}{
		{"GBR", "", "en", "Reply to the invitation", "Will attend"},
		{"FRA", "", "fr", "Réponse à l'invitation", "Participera"},
		{"PER", "", "es", "Respuesta a la invitación", "Asistirá"},
		{"FRA", "?lang=es", "es", "Respuesta a la invitación", "Asistirá"},
		{"PER", "?lang=en", "en", "Reply to the invitation", "Will attend"},
		{"GBR", "?lang=xx", "en", "Reply to the invitation", "Will attend"},
	} {
		r := f.get("/r/" + f.tokens[c.mission] + c.query)
		if r.status != 200 {
			t.Fatalf("%s%s: status %d", c.mission, c.query, r.status)
		}
		checkHeaders(t, r.header)
		if !strings.Contains(r.body, `<html lang="`+c.lang+`">`) || r.header.Get("Content-Language") != c.lang {
			t.Errorf("%s%s: not in %s", c.mission, c.query, c.lang)
		}
		if !strings.Contains(r.body, html.EscapeString(c.title)) || strings.Count(r.body, "> "+c.attend+"</label>") != 14 {
			t.Errorf("%s%s: title or the 14 answers missing", c.mission, c.query)
		}
		if n := strings.Count(r.body, "<fieldset"); n != 14 || strings.Count(r.body, "<legend>") != 14 {
			t.Errorf("%s%s: %d fieldsets, want 14 each with a legend", c.mission, c.query, n)
		}
		for _, l := range []string{"en", "fr", "es"} {
			if l != c.lang && !strings.Contains(r.body, `?lang=`+l+`" lang="`+l+`"`) {
				t.Errorf("%s%s: no switch to %s", c.mission, c.query, l)
			}
		}
		for _, must := range []string{`name="viewport"`, `<meta name="robots" content="noindex, nofollow">`, `<label for="comment">`, `<label for="d-name-1">`} {
			if !strings.Contains(r.body, must) {
				t.Errorf("%s%s: page lacks %s", c.mission, c.query, must)
			}
		}
		if strings.Contains(strings.ToLower(r.body), "<script") || strings.Contains(r.body, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(r.body) {
			t.Errorf("%s%s: the page has script", c.mission, c.query)
		}
	}
	// The days and times, Geneva time: Japan on Wednesday 11 October, 14:00.
	r := f.get("/r/" + f.tokens["GBR"])
	if !strings.Contains(r.body, "Wednesday 11 October 2017") || !strings.Contains(r.body, "Japan <span class=\"when\">14:00–15:00") {
		t.Errorf("the session on Japan is not shown by day with its Geneva time:\n%s", r.body)
	}
	css := f.get("/static/page.css")
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, "@media") {
		t.Errorf("stylesheet: %d %q", css.status, css.header.Get("Content-Type"))
	}
}

func TestUnknownTokensGetTheSame404(t *testing.T) {
	f := newFixture(t, Options{})
	good := f.tokens["FRA"]
	var first string
	for i, path := range []string{"/r/" + strings.Repeat("A", store.PageTokenLen), "/r/" + good[:len(good)-1] + "B", "/r/x",
		"/r/" + good + "x", "/r/" + strings.ToLower(good), "/r/" + url.PathEscape("<script>"), "/admin", "/r/"} {
		if path == "/r/"+good {
			continue
		}
		r := f.get(path)
		if r.status != 404 {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
		checkHeaders(t, r.header)
		if i == 0 {
			first = r.body
		} else if r.body != first {
			t.Errorf("%s: a different 404 from the others", path)
		}
		p := f.post(path, url.Values{"a-JPN": {"yes"}})
		if path != "/admin" && path != "/r/" && p.status != 404 {
			t.Errorf("POST %s: %d, want 404", path, p.status)
		}
	}
}

func TestSubmitRecordsAndConfirms(t *testing.T) {
	f := newFixture(t, Options{})
	form := f.form("FRA")
	form.Set("a-JPN", "yes")
	form.Set("a-GHA", "yes")
	form.Set("a-PER", "no")
	form.Set("d-name-1", "Marie Curie")
	form.Set("d-email-1", "marie@fra.mission.example")
	form.Set("comment", "Deux délégués.")
	r := f.post("/r/"+f.tokens["FRA"], form)
	if r.status != 200 || !strings.Contains(r.body, "Merci. Vos réponses ont été enregistrées.") {
		t.Fatalf("submit: %d\n%s", r.status, r.body)
	}
	if !strings.Contains(r.body, "Japon – mercredi 11 octobre 2017, 14:00–15:00") || !strings.Contains(r.body, "récapitulatif") {
		t.Errorf("confirmation page does not list the requests or the summary:\n%s", r.body)
	}
	if got := f.rsvp("FRA", "JPN"); got.Status != outreach.Accepted || got.Source.Kind != outreach.FromWeb || got.Note != "Deux délégués." {
		t.Errorf("FRA/JPN: %+v", got)
	}
	if got := f.rsvp("FRA", "PER"); got.Status != outreach.Declined {
		t.Errorf("FRA/PER: %+v", got)
	}
	if got := f.rsvp("FRA", "ARG"); !got.At.IsZero() {
		t.Errorf("FRA/ARG recorded without an answer: %+v", got)
	}
	if n := len(f.outbox(outreach.Confirmation, "FRA")); n != 2 {
		t.Errorf("%d calendar requests queued, want 2", n)
	}
	// The page shows the answers as recorded, the delegate kept.
	p := f.get("/r/" + f.tokens["FRA"])
	if !strings.Contains(p.body, `name="a-JPN" value="yes" checked`) || !strings.Contains(p.body, `value="Marie Curie"`) {
		t.Errorf("the page does not show the answers recorded")
	}
	// A change of mind: JPN given up, GHA left as it is.
	form = f.form("FRA")
	form.Set("a-JPN", "no")
	r = f.post("/r/"+f.tokens["FRA"], form)
	if r.status != 200 || f.rsvp("FRA", "JPN").Status != outreach.Declined || f.rsvp("FRA", "GHA").Status != outreach.Accepted {
		t.Fatalf("change of mind: %d", r.status)
	}
	if n := len(f.history("FRA")); n != 4 {
		t.Errorf("history: %d entries, want 4 (three answers and the change)", n)
	}
}

func TestForgedPostsRecordNothing(t *testing.T) {
	f := newFixture(t, Options{})
	good := f.form("JPN")
	path := "/r/" + f.tokens["JPN"]
	for name, mutate := range map[string]func(url.Values){
		"no csrf":       func(v url.Values) { v.Del("csrf") },
		"no issued":     func(v url.Values) { v.Del("issued") },
		"forged":        func(v url.Values) { v.Set("csrf", strings.Repeat("A", 43)) },
		"other time":    func(v url.Values) { v.Set("issued", "1504500000") },
		"future":        func(v url.Values) { v.Set("issued", "4102444800") },
		"other mission": func(v url.Values) { o := f.form("PER"); v.Set("csrf", o.Get("csrf")); v.Set("issued", o.Get("issued")) },
	} {
		v := url.Values{}
		for k, vs := range good {
			v[k] = append([]string(nil), vs...)
		}
		v.Set("a-JPN", "yes")
		mutate(v)
		r := f.post(path, v)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "This form has expired") {
			t.Errorf("%s: %d, want 403 with the form shown again", name, r.status)
		}
	}
	// An old form is refused too.
	old := f.form("JPN")
	f.clock.Advance(13 * time.Hour)
	old.Set("a-JPN", "yes")
	if r := f.post(path, old); r.status != http.StatusForbidden {
		t.Errorf("a form 13 hours old: %d", r.status)
	}
	// A form posted as multipart or JSON is refused.
	req := httptest.NewRequest("POST", path, strings.NewReader(`{"a-JPN":"yes"}`))
	req.Header.Set("Content-Type", "application/json")
	if r := f.do(req); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON post: %d", r.status)
	}
	if h := f.history("JPN"); len(h) != 0 {
		t.Fatalf("a forged post recorded %d answers", len(h))
	}
}

func TestFieldErrorsInThePagesLanguage(t *testing.T) {
	f := newFixture(t, Options{})
	form := f.form("PER")
	form.Set("a-JPN", "yes")
	form.Set("a-GHA", "maybe")
	form.Set("d-name-1", "Ana")
	form.Set("d-email-1", "ana at mision")
	form.Set("d-name-2", strings.Repeat("n", 200))
	form.Set("d-email-3", "solo@mision.example")
	form.Set("comment", strings.Repeat("x", 2001))
	r := f.post("/r/"+f.tokens["PER"], form)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	for _, want := range []string{
		`<p class="error" id="e-GHA">Elija una de las tres respuestas.</p>`,
		`aria-invalid="true" aria-describedby="e-d-email-1"`,
		`<p class="error" id="e-d-email-1">No es una dirección de correo`,
		`<p class="error" id="e-d-name-2">El nombre es demasiado largo`,
		`<p class="error" id="e-d-name-3">Indique el nombre del delegado`,
		`<p class="error" id="e-comment">El comentario es demasiado largo`,
		`<a href="#d-email-1">`, `Algunas respuestas deben corregirse`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if !strings.Contains(r.body, `value="ana at mision"`) {
		t.Error("the value sent is not shown again for correction")
	}
	if h := f.history("PER"); len(h) != 0 {
		t.Fatalf("a form with errors recorded %d answers", len(h))
	}
	// In English when the page was switched to English.
	form.Set("lang", "en")
	r = f.post("/r/"+f.tokens["PER"], form)
	if !strings.Contains(r.body, "Choose one of the three answers.") {
		t.Error("errors not in the page's language")
	}
}

// TestMarkupInNamesIsEscaped: what a mission types is text everywhere it
// is shown again.
func TestMarkupInNamesIsEscaped(t *testing.T) {
	f := newFixture(t, Options{})
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	form := f.form("GBR")
	form.Set("a-JPN", "yes")
	form.Set("d-name-1", evil)
	form.Set("comment", `</textarea><script>alert(2)</script>`)
	r := f.post("/r/"+f.tokens["GBR"], form)
	if r.status != 200 {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	for _, page := range []string{r.body, f.get("/r/" + f.tokens["GBR"]).body} {
		if strings.Contains(page, "<script>") || strings.Contains(page, "<img") || strings.Contains(page, "</textarea><script") {
			t.Fatalf("markup from the form reached the page unescaped")
		}
		if !strings.Contains(page, "&lt;script&gt;") {
			t.Errorf("the name is not shown escaped")
		}
	}
	if got := f.rsvp("GBR", "JPN"); len(got.DelegateNames) != 1 || got.DelegateNames[0] != evil {
		t.Errorf("the name is not kept as typed: %+v", got.DelegateNames)
	}
}

func TestRateLimits(t *testing.T) {
	f := newFixture(t, Options{PerAddress: Rate{Burst: 60, Interval: time.Second}, PerToken: Rate{Burst: 30, Interval: 10 * time.Second}})
	ok, limited := 0, 0
	for i := 0; i < 10000; i++ {
		path := "/r/" + strings.Repeat("A", store.PageTokenLen)
		if i%2 == 0 {
			path = "/r/" + f.tokens["FRA"]
		}
		switch r := f.get(path); r.status {
		case http.StatusTooManyRequests:
			limited++
			if i == 9999 && r.header.Get("Retry-After") != "1" {
				t.Errorf("429 with Retry-After %q, want 1 (one interval of the address's budget)", r.header.Get("Retry-After"))
			}
		default:
			ok++
		}
	}
	if ok > 60 || limited < 9940 {
		t.Errorf("10,000 requests from one address: %d served, %d refused; want at most 60 served", ok, limited)
	}
	// Another address is served; the token, hammered, is limited for it too.
	req := httptest.NewRequest("GET", "/r/"+f.tokens["JPN"], nil)
	req.RemoteAddr = "203.0.113.9:5555"
	if r := f.do(req); r.status != 200 {
		t.Errorf("another address: %d", r.status)
	}
	served := 0
	for i := 0; i < 100; i++ {
		req := httptest.NewRequest("GET", "/r/"+f.tokens["PER"], nil)
		req.RemoteAddr = fmt.Sprintf("203.0.113.%d:1", 10+i%10)
		if f.do(req).status == 200 {
			served++
		}
	}
	if served > 30 {
		t.Errorf("one token from ten addresses: %d served, want at most 30", served)
	}
	// Time restores the budget.
	f.clock.Advance(time.Minute)
	if r := f.get("/r/" + f.tokens["FRA"]); r.status != 200 {
		t.Errorf("after a minute: %d", r.status)
	}
}

func TestClientAddressBehindProxy(t *testing.T) {
	for _, c := range []struct{ remote, xff, want string }{
		{"198.51.100.7:1", "", "198.51.100.7"},
		{"198.51.100.7:1", "203.0.113.5", "198.51.100.7"}, // not from a proxy here: ignored
		{"127.0.0.1:1", "10.0.0.1, 203.0.113.5", "203.0.113.5"},
		{"[::1]:1", "203.0.113.6", "203.0.113.6"},
		{"127.0.0.1:1", "", "127.0.0.1"},
		{"[2001:db8:1:2:3:4:5:6]:1", "", "2001:db8:1:2::"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientAddr(req); got != c.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestTenMegabyteBody(t *testing.T) {
	f := newFixture(t, Options{})
	form := f.form("BEN")
	body := form.Encode() + "&a-JPN=yes&comment=" + strings.Repeat("x", 10<<20)
	req := httptest.NewRequest("POST", "/r/"+f.tokens["BEN"], bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := f.do(req); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MB body: %d, want 413", r.status)
	}
	if h := f.history("BEN"); len(h) != 0 {
		t.Fatalf("a 10 MB body recorded %d answers", len(h))
	}
}

func TestAfterTheDeadline(t *testing.T) {
	f := newFixture(t, Options{})
	form := f.form("JPN")
	form.Set("a-GHA", "yes")
	form.Set("d-name-1", "Taro Yamada")
	if r := f.post("/r/"+f.tokens["JPN"], form); r.status != 200 {
		t.Fatal(r.status)
	}
	late := f.form("JPN")
	f.clock.Set(f.event.RSVPDeadline.Add(time.Second))
	r := f.get("/r/" + f.tokens["JPN"])
	if r.status != 200 || strings.Contains(r.body, "<form") || !strings.Contains(r.body, "The deadline for answers has passed") ||
		!strings.Contains(r.body, "staff@presessions.example") || !strings.Contains(r.body, "Taro Yamada") {
		t.Fatalf("closed page: %d\n%s", r.status, r.body)
	}
	if !regexp.MustCompile(`Ghana</th><td>Will attend`).MatchString(r.body) {
		t.Error("the closed page does not show the answers as recorded")
	}
	late.Set("a-GHA", "no")
	late.Set("a-PER", "yes")
	p := f.post("/r/"+f.tokens["JPN"], late)
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "Your answers were not changed") {
		t.Errorf("post after the deadline: %d", p.status)
	}
	if f.rsvp("JPN", "GHA").Status != outreach.Accepted || !f.rsvp("JPN", "PER").At.IsZero() {
		t.Error("a post after the deadline changed the answers")
	}
}
