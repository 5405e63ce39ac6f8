package desk

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
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

type fixture struct {
	t      *testing.T
	st     *store.Store
	e      *jobs.Engine
	clock  *jobs.ManualClock
	srv    *httptest.Server
	staff  string
	review uint64
}

const password = "correct horse battery"

// newFixture: the 28th round's store on the morning of 10 October, with
// FRA and JPN attending the first session, one message waiting for review
// (its text holding a script), and two staff members.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: jobs.NewManualClock(time.Date(2017, 9, 4, 7, 0, 0, 0, time.UTC))}
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "outreach.db"), store.Options{Now: f.clock.Now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	f.e = jobs.New(jobs.Options{Store: st, Event: ev, Clock: f.clock, Templates: set})
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
	err = st.Update(func(tx *store.Tx) error {
		if _, err := tx.RecordRSVP(outreach.RSVP{Mission: "FRA", Session: "ARG", Status: outreach.Accepted, At: f.clock.Now(),
			Source: outreach.Source{Kind: outreach.FromWeb}, DelegateNames: []string{"Marie Curie", "=HYPERLINK(\"x\")"}}); err != nil {
			return err
		}
		var err error
		if _, err := tx.RecordRSVP(outreach.RSVP{Mission: "JPN", Session: "ARG", Status: outreach.Tentative, At: f.clock.Now(),
			Source: outreach.Source{Kind: outreach.FromEmail, MessageID: "<jpn-letter@jpn.mission.example>"}, DelegateNames: []string{"Kenji Sato"}}); err != nil {
			return err
		}
		f.review, err = tx.AddReview(outreach.ReviewItem{MessageID: "<r1@webmail.example>", From: "someone@webmail.example",
			Subject: "Pre-sessions <b>RSVP</b>", Received: f.clock.Now(), Reason: "unknown sender someone@webmail.example",
			Mission: "PER", Sessions: map[string]outreach.Status{"JPN": outreach.Accepted},
			Excerpt: "The Mission of Peru will attend Japan.<script>document.title='pwned'</script>"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.staff = filepath.Join(dir, "staff")
	for _, n := range []string{"anna", "ben"} {
		if err := AddStaff(f.staff, n, password); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(time.Date(2017, 10, 10, 6, 30, 0, 0, time.UTC)) // 08:30 in Geneva
	d, err := New(Options{Backend: f.e, StaffFile: f.staff, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(d)
	t.Cleanup(f.srv.Close)
	return f
}

// client is a browser's cookie jar; the desk's cookies are Secure, which
// a browser keeps for http://127.0.0.1 (a trustworthy origin), and so does
// this jar.
func (f *fixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (f *fixture) do(c *http.Client, method, path string, form url.Values) (int, string, http.Header) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (f *fixture) login(name, pw string) (*http.Client, int) {
	f.t.Helper()
	c := f.client()
	code, _, _ := f.do(c, "POST", "/desk/login", url.Values{"name": {name}, "password": {pw}})
	return c, code
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

func TestPagesRefuseWithoutALogin(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for _, p := range []string{"/desk/", "/desk/round", "/desk/review", "/desk/mission/FRA", "/desk/today.csv"} {
		code, _, h := f.do(c, "GET", p, nil)
		if code != http.StatusSeeOther || h.Get("Location") != "/desk/login" {
			t.Errorf("GET %s without a login: %d to %q", p, code, h.Get("Location"))
		}
	}
	code, _, _ := f.do(c, "POST", "/desk/review/1", url.Values{"action": {"dismiss"}})
	if code != http.StatusForbidden {
		t.Errorf("POST without a login: %d", code)
	}
	if _, code := f.login("anna", "wrong password!"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", code)
	}
	if _, code := f.login("nobody", password); code != http.StatusUnauthorized {
		t.Errorf("unknown name: %d", code)
	}
	// Five failures hold the name back, even with the right password.
	for range 5 {
		f.login("ben", "not his password")
	}
	if _, code := f.login("ben", password); code != http.StatusUnauthorized {
		t.Errorf("after five failures: %d, want 401", code)
	}
}

func TestLoginCookieAndHeaders(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	req, _ := http.NewRequest("POST", f.srv.URL+"/desk/login", strings.NewReader(url.Values{"name": {"anna"}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	set := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Strict", "Path=/desk/"} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %s", set, want)
		}
	}
	_, _, h := f.do(c, "GET", "/desk/", nil)
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP: %q", csp)
	}
}

// TestMorningOfTheTenth: the Today page lists the day's four sessions with
// rooms, who attends the first with the delegates' names, and the door
// list as CSV, safe to open in a spreadsheet.
func TestMorningOfTheTenth(t *testing.T) {
	f := newFixture(t)
	c, _ := f.login("anna", password)
	code, page, _ := f.do(c, "GET", "/desk/", nil)
	if code != http.StatusOK {
		t.Fatalf("today: %d\n%s", code, page)
	}
	for _, want := range []string{"Tuesday 10 October 2017", "10:00–11:00 · Argentina · Room XXIV", "11:30–12:30 · Benin",
		"15:30–16:30 · Gabon", "1 attending, 1 tentative", "Marie Curie", "Kenji Sato", "1 waiting for review"} {
		if !strings.Contains(page, want) {
			t.Errorf("today does not show %q", want)
		}
	}
	code, csv, h := f.do(c, "GET", "/desk/today.csv", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("door list: %d %s", code, h.Get("Content-Type"))
	}
	for _, want := range []string{"Argentina,10:00,Room XXIV,FRA,France,accepted,Marie Curie\n",
		"Argentina,10:00,Room XXIV,FRA,France,accepted,\"'=HYPERLINK(\"\"x\"\")\"\n", "Argentina,10:00,Room XXIV,JPN,Japan,tentative,Kenji Sato\n"} {
		if !strings.Contains(csv, want) {
			t.Errorf("door list lacks %q:\n%s", want, csv)
		}
	}
}

// TestResolveReviewInOneClick: the message is shown as text (its script
// escaped), intake's reading is preselected, and recording changes the
// store under the staff member's name; a form without its CSRF token, or
// from another session, is refused.
func TestResolveReviewInOneClick(t *testing.T) {
	f := newFixture(t)
	c, _ := f.login("anna", password)
	_, page, _ := f.do(c, "GET", "/desk/review", nil)
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") || strings.Contains(page, "<b>RSVP</b>") {
		t.Errorf("the review page does not escape the message's text")
	}
	if !regexp.MustCompile(`<option value="PER" selected>`).MatchString(page) || !strings.Contains(page, `name="s_JPN"`) {
		t.Errorf("intake's reading is not preselected")
	}
	form := url.Values{"mission": {"PER"}, "s_JPN": {"accepted"}, "action": {"record"}}
	if code, _, _ := f.do(c, "POST", "/desk/review/1", form); code != http.StatusForbidden {
		t.Errorf("a form without its CSRF token: %d, want 403", code)
	}
	other, _ := f.login("ben", password)
	_, otherPage, _ := f.do(other, "GET", "/desk/review", nil)
	form.Set("csrf", csrfOf(t, otherPage))
	if code, _, _ := f.do(c, "POST", "/desk/review/1", form); code != http.StatusForbidden {
		t.Errorf("a form with another session's token: %d, want 403", code)
	}
	form.Set("csrf", csrfOf(t, page))
	code, _, h := f.do(c, "POST", "/desk/review/1", form)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "resolved") {
		t.Fatalf("resolve: %d %s", code, h.Get("Location"))
	}
	var r outreach.RSVP
	var item outreach.ReviewItem
	f.st.View(func(tx *store.Tx) error {
		r, _ = tx.RSVP("PER", "JPN")
		item, _ = tx.Review(f.review)
		return nil
	})
	if r.Status != outreach.Accepted || r.Source.Actor != "desk:anna" {
		t.Errorf("PER's answer for JPN after the desk: %v by %q", r.Status, r.Source.Actor)
	}
	if item.State != outreach.ReviewResolved || item.ResolvedBy != "desk:anna" {
		t.Errorf("the review item: %v by %q", item.State, item.ResolvedBy)
	}
	_, page, _ = f.do(c, "GET", "/desk/review", nil)
	if !strings.Contains(page, "Nothing is waiting for review.") {
		t.Errorf("the resolved item is still listed")
	}
}

// TestPhoneAnswerAndRemovedStaff: a telephone answer recorded from the
// mission's page; a staff member removed from the file is logged out at
// the next request.
func TestPhoneAnswerAndRemovedStaff(t *testing.T) {
	f := newFixture(t)
	c, _ := f.login("ben", password)
	_, page, _ := f.do(c, "GET", "/desk/mission/GHA", nil)
	if !strings.Contains(page, "geneva@gha.mission.example") {
		t.Errorf("the mission page does not show its contact")
	}
	// An answer that came by mail shows the message it came from.
	_, jpn, _ := f.do(c, "GET", "/desk/mission/JPN", nil)
	if !strings.Contains(jpn, "&lt;jpn-letter@jpn.mission.example&gt;") {
		t.Errorf("the mission page does not name the message an answer came from")
	}
	code, _, _ := f.do(c, "POST", "/desk/mission/GHA", url.Values{"csrf": {csrfOf(t, page)}, "session": {"JPN"}, "status": {"declined"}, "note": {"the first secretary, by telephone"}})
	if code != http.StatusSeeOther {
		t.Fatalf("phone answer: %d", code)
	}
	var r outreach.RSVP
	f.st.View(func(tx *store.Tx) error { r, _ = tx.RSVP("GHA", "JPN"); return nil })
	if r.Status != outreach.Declined || r.Source.Kind != outreach.FromStaff || r.Source.Actor != "desk:ben" || r.Note != "the first secretary, by telephone" {
		t.Errorf("GHA JPN: %+v", r)
	}
	time.Sleep(10 * time.Millisecond) // a new modification time
	if ok, err := RemoveStaff(f.staff, "ben"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	now := time.Now().Add(time.Second)
	os.Chtimes(f.staff, now, now)
	if code, _, h := f.do(c, "GET", "/desk/", nil); code != http.StatusSeeOther || h.Get("Location") != "/desk/login" {
		t.Errorf("a removed staff member still sees the desk: %d", code)
	}
}

// TestMoveWithAPreview: moving a session shows first how many missions get
// an update, changing nothing; confirming queues the updates once, and
// confirming the same form twice queues nothing more.
func TestMoveWithAPreview(t *testing.T) {
	f := newFixture(t)
	// Three missions hold JPN (their invitations went); GBR declined it.
	err := f.st.Update(func(tx *store.Tx) error {
		for _, m := range []string{"FRA", "GBR", "BEN"} {
			it, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: m},
				MessageID: "<inv-" + m + "@presessions.example>", Created: f.clock.Now(), Next: f.clock.Now()})
			if err != nil {
				return err
			}
			it.MarkSent(f.clock.Now())
			if err := tx.SaveOutbox(it); err != nil {
				return err
			}
		}
		_, err := tx.RecordRSVP(outreach.RSVP{Mission: "GBR", Session: "JPN", Status: outreach.Declined, At: f.clock.Now(),
			Source: outreach.Source{Kind: outreach.FromStaff}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	updates := func() int {
		items, _ := f.e.Outbox()
		n := 0
		for _, it := range items {
			if it.Key.Kind == outreach.Update && it.Key.Session == "JPN" && it.State == outreach.Queued {
				n++
			}
		}
		return n
	}
	c, _ := f.login("anna", password)
	_, page, _ := f.do(c, "GET", "/desk/sessions", nil)
	form := url.Values{"csrf": {csrfOf(t, page)}, "start": {"2017-10-11T16:00"}, "room": {"Room XXIII"},
		"note": {"the room was needed"}, "action": {"preview"}}
	code, prev, _ := f.do(c, "POST", "/desk/sessions/JPN/move", form)
	if code != http.StatusOK || !strings.Contains(prev, "<strong>2</strong> missions will get a calendar update") ||
		!strings.Contains(prev, "Wed 11 Oct 16:00–17:00, Room XXIII") || !strings.Contains(prev, "Benin, France") {
		t.Fatalf("preview: %d\n%s", code, prev)
	}
	if n := updates(); n != 0 {
		t.Fatalf("the preview queued %d updates", n)
	}
	// The preview shows the update Benin (first) would receive, in French,
	// with the new time and room.
	if !strings.Contains(prev, "What Benin will receive") || !strings.Contains(prev, "16:00") ||
		!strings.Contains(prev, "Salle XXIII") {
		t.Errorf("the preview does not show the message as it would be sent:\n%s", prev)
	}
	ss, _ := f.e.Sessions()
	for _, s := range ss {
		if s.SuR == "JPN" && (s.Room != "Room XXV" || s.Sequence != 0) {
			t.Fatalf("the preview changed the session: %+v", s)
		}
	}
	confirm := url.Values{"csrf": {csrfOf(t, prev)}, "action": {"confirm"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`).FindAllStringSubmatch(prev, -1) {
		if m[1] != "csrf" {
			confirm.Set(m[1], m[2])
		}
	}
	code, _, h := f.do(c, "POST", "/desk/sessions/JPN/move", confirm)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "2+calendar+updates+queued") {
		t.Fatalf("confirm: %d %s", code, h.Get("Location"))
	}
	if n := updates(); n != 2 {
		t.Errorf("updates queued: %d, want 2", n)
	}
	// The same form sent again (a double click): the session is already
	// there; nothing more is queued.
	f.do(c, "POST", "/desk/sessions/JPN/move", confirm)
	if n := updates(); n != 2 {
		t.Errorf("after a second confirm: %d updates queued, want 2", n)
	}
}

// TestOutboxRetryAndFigures: a failed message is shown with its mission
// and the server's words and queued again in one click; the figures page
// gives the round's numbers.
func TestOutboxRetryAndFigures(t *testing.T) {
	f := newFixture(t)
	err := f.st.Update(func(tx *store.Tx) error {
		it, _, err := tx.Enqueue(outreach.OutboxItem{Key: outreach.OutboxKey{Kind: outreach.Invitation, Mission: "BLR"},
			MessageID: "<inv-BLR@presessions.example>", Created: f.clock.Now(), Next: f.clock.Now()})
		if err != nil {
			return err
		}
		it.State, it.Error, it.Attempts = outreach.Failed, "550 5.1.1 <geneva@blr.mission.example>: User unknown", 1
		return tx.SaveOutbox(it)
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("anna", password)
	_, page, _ := f.do(c, "GET", "/desk/outbox", nil)
	if !strings.Contains(page, "Belarus") || !strings.Contains(page, "550 5.1.1 &lt;geneva@blr.mission.example&gt;: User unknown") {
		t.Fatalf("outbox page:\n%s", page)
	}
	action := regexp.MustCompile(`action="(/desk/outbox/\d+/retry)"`).FindStringSubmatch(page)
	if action == nil {
		t.Fatal("no retry button")
	}
	code, _, _ := f.do(c, "POST", action[1], url.Values{"csrf": {csrfOf(t, page)}})
	if code != http.StatusSeeOther {
		t.Fatalf("retry: %d", code)
	}
	items, _ := f.e.Outbox()
	for _, it := range items {
		if it.Key.Mission == "BLR" && (it.State != outreach.Queued || it.Error != "") {
			t.Errorf("BLR's invitation after retry: %v %q", it.State, it.Error)
		}
	}
	_, fig, _ := f.do(c, "GET", "/desk/figures", nil)
	for _, want := range []string{"Pre-sessions held</th><td class=\"n\">14", "Missions attending at least one</th><td class=\"n\">1 "} {
		if !strings.Contains(fig, want) {
			t.Errorf("figures do not show %q", want)
		}
	}
}

// TestTrustedHeader: behind a reverse proxy's own login, the header names
// the staff member, from this machine only and only a name in the staff
// file; a form still needs its token.
func TestTrustedHeader(t *testing.T) {
	f := newFixture(t)
	d, err := New(Options{Backend: f.e, StaffFile: f.staff, Now: f.clock.Now, TrustedHeader: "X-Remote-User"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(remote, user string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/desk/", nil)
		req.RemoteAddr = remote
		if user != "" {
			req.Header.Set("X-Remote-User", user)
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		return w
	}
	if w := get("127.0.0.1:5555", "anna"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), ">anna<") {
		t.Errorf("anna through the proxy: %d", w.Code)
	}
	if w := get("[::1]:5555", "ben"); w.Code != http.StatusOK {
		t.Errorf("ben through the proxy on ::1: %d", w.Code)
	}
	if w := get("192.0.2.7:5555", "anna"); w.Code != http.StatusSeeOther {
		t.Errorf("the header from another machine: %d, want a redirect to the login", w.Code)
	}
	if w := get("127.0.0.1:5555", "mallory"); w.Code != http.StatusSeeOther {
		t.Errorf("a name not in the staff file: %d", w.Code)
	}
	req := httptest.NewRequest("POST", "/desk/review/1", strings.NewReader("action=dismiss"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Remote-User", "anna")
	req.RemoteAddr = "127.0.0.1:5555"
	w := httptest.NewRecorder()
	d.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Errorf("a form without its token through the proxy: %d, want 403", w.Code)
	}
}
