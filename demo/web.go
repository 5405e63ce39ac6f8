package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"outreach"
	"outreach/jobs"
	"outreach/web"
)

// pages serves the missions' reply pages on loopback, as `outreach run`
// does behind its proxy.
type pages struct {
	srv  *http.Server
	ln   net.Listener
	base string // http://127.0.0.1:PORT
}

func startPages(ln net.Listener, e *jobs.Engine, now func() time.Time) (*pages, error) {
	// Every simulated mission comes from 127.0.0.1: the limit per address
	// is for the world, not for the demo.
	h, err := web.New(web.Options{Backend: e, Now: now, PerAddress: web.Rate{Burst: -1}})
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &pages{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, ln: ln, base: "http://" + ln.Addr().String()}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *pages) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

var (
	pageLinkRe = regexp.MustCompile(`https?://[^\s<>"]+/r/[A-Za-z0-9_-]{22}`)
	hiddenRe   = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)
)

// pageLink is the reply page link in a letter's text, "" when none.
func pageLink(text string) string { return pageLinkRe.FindString(text) }

// webClient is how a simulated mission opens its page: a browser without
// cookies or script, 10 seconds at most.
var webClient = &http.Client{Timeout: 20 * time.Second}

// submitPage opens link, answers as given (sessions left out keep their
// answer) and sends the form, as a person with a browser would; when the
// page does not answer in time (a loaded machine), the person loads it
// again and sends the same answers, which the page takes once.
func submitPage(link string, answers map[string]outreach.Status, delegates []string, comment string) error {
	var err error
	for try := 0; try < 3; try++ {
		if err = submitPageOnce(link, answers, delegates, comment); err == nil {
			return nil
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			return err
		}
	}
	return err
}

func submitPageOnce(link string, answers map[string]outreach.Status, delegates []string, comment string) error {
	resp, err := webClient.Get(link)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET the reply page: %s", resp.Status)
	}
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], m[2])
	}
	for sur, st := range answers {
		switch st {
		case outreach.Accepted:
			form.Set("a-"+sur, "yes")
		case outreach.Declined:
			form.Set("a-"+sur, "no")
		default:
			form.Set("a-"+sur, "undecided")
		}
	}
	for i, d := range delegates {
		form.Set(fmt.Sprintf("d-name-%d", i+1), d)
	}
	form.Set("comment", comment)
	resp, err = webClient.PostForm(link, form)
	if err != nil {
		return err
	}
	body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `class="done"`) {
		return fmt.Errorf("send the reply page: %s", resp.Status)
	}
	return nil
}

// pageAnswer is a mission's answer on its reply page: what it plans, all
// at once. It writes no mail.
func (w *world) pageAnswer(t time.Time, p *persona) []byte {
	link := pageLink(p.invitation.Text)
	if link == "" {
		return nil
	}
	answers := map[string]outreach.Status{}
	for _, s := range w.sessions {
		switch st := p.plan[s.SuR]; {
		case p.declineAll:
			answers[s.SuR] = outreach.Declined
		case st == outreach.Accepted || st == outreach.Declined:
			answers[s.SuR] = st
		}
	}
	if err := submitPage(link, answers, p.delegates, ""); err != nil {
		w.log(t, "%s could not answer on its reply page: %v", p.m.ID, err)
		return nil
	}
	for sur, st := range answers {
		p.said[sur] = st
	}
	w.sent["reply page"]++
	w.log(t, "%s answers on its reply page: %d pre-sessions", p.m.ID, len(answers))
	return nil
}

// pageChange is a change of mind on the reply page: one session given up.
func (w *world) pageChange(t time.Time, p *persona, sur string) []byte {
	link := pageLink(p.invitation.Text)
	if link == "" {
		return nil
	}
	if err := submitPage(link, map[string]outreach.Status{sur: outreach.Declined}, p.delegates, ""); err != nil {
		w.log(t, "%s could not change its answer on its reply page: %v", p.m.ID, err)
		return nil
	}
	p.said[sur] = outreach.Declined
	w.sent["reply page"]++
	return nil
}
