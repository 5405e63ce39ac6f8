package templates

import (
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"outreach"
)

// TestBlockPaths: the blocks kept are those that read only fields of the
// View holding their own content, through pure functions, without ranges,
// other templates or variables but $.
func TestBlockPaths(t *testing.T) {
	pure := map[string]bool{"printf": true, "ordinal": true, "len": true, "and": true, "not": true}
	for src, want := range map[string]bool{
		`For {{.Event.Organiser}}{{if .Event.Phone}} on {{.Event.Phone}}{{end}} at {{.Mailbox}}.`:    true,
		`{{.Dates}} {{.Venue}} {{printf "%s" $.Title}} {{ordinal .Event.UPRSession}} {{len .Today}}`: true,
		`{{if and .Provisional (not .Covered)}}x{{else if .Deadline}}{{.Deadline}}{{end}}`:           true,
		`{{.Now}} {{.Event.First}} {{.Event.Mailbox}}`:                                               true,
		`{{.Session.Name}}`:                   true,
		`{{range .Sessions}}{{.Name}}{{end}}`: false, // a range
		`{{with .Session}}{{.Name}}{{end}}`:   false, // with
		`{{template "other" .}}`:              false, // another template
		`{{.Sessions.Days}}`:                  false, // a slice, and a method
		`{{.Session}}`:                        false, // a pointer
		`{{.Mission.Contacts}}`:               false, // a slice
		`{{.Event.Location}}`:                 false, // a pointer
		`{{.Changed.Any}}`:                    false, // a method
		`{{.Mission.Names.In .Lang}}`:         false, // a method
		`{{.}}`:                               false, // the whole View
		`{{$}}`:                               false,
		`{{$x := .Title}}{{$x}}`:              false, // a variable
		`{{call .Title}}`:                     false, // call
		`{{clock .Now}}`:                      false, // not in pure (here)
		`{{.Nope}}`:                           false,
		`{{(index .Scheduled 0).Name}}`:       false,
	} {
		tree, err := parse.Parse("t", src, "{{", "}}", map[string]any{"printf": 0, "ordinal": 0, "len": 0, "and": 0, "not": 0, "call": 0, "clock": 0, "index": 0})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, got := blockPaths(tree["t"].Root, pure); got != want {
			t.Errorf("%s: kept %v, want %v", src, got, want)
		}
	}
}

// TestViewMemoFollowsTheView: a field a kept block reads that changes
// between two messages (the organiser's phone, web site, name and address,
// the venue and dates, the mission) shows in the second, and going back
// shows the first again: every message is the one the templates write
// without the memo.
func TestViewMemoFollowsTheView(t *testing.T) {
	s := mustLoad(t, "")
	ref := loadWithoutMemo(t, "")
	for _, l := range outreach.Languages {
		kt := s.kinds[setKey{l, Invitation}]
		for _, c := range append(textCalls(kt.text), htmlCalls(kt.html)...) {
			if c.call.Name != "content" {
				t.Errorf("%s: {{template %q}} is not kept", l, c.call.Name)
			}
		}
	}
	r := loadRound(t)
	variants := map[string]func(d *Data){
		"as loaded": func(*Data) {},
		"no phone":  func(d *Data) { d.Event.Phone = "" },
		"no web":    func(d *Data) { d.Event.Web = "" },
		"other web": func(d *Data) { d.Event.Web = "https://example.org/<a>&b" },
		"organiser": func(d *Data) { d.Event.Organiser = "UPR Info & <Co>" },
		"mailbox":   func(d *Data) { d.Event.Mailbox.Email = "other@presessions.example"; d.ReplyTo = "" },
		"venue":     func(d *Data) { d.Event.Venue = "Maison de la paix, Geneva" },
		"dates": func(d *Data) {
			d.Event.First, d.Event.Last = d.Event.First.Add(24*time.Hour), d.Event.Last.Add(48*time.Hour)
		},
		"later":     func(d *Data) { d.Now = d.Now.Add(40 * 24 * time.Hour) },
		"confirmed": func(d *Data) { d.Confirmed = true },
	}
	order := []string{"as loaded", "no phone", "as loaded", "no web", "other web", "organiser", "as loaded", "mailbox",
		"venue", "dates", "as loaded", "later", "confirmed", "no phone", "as loaded"}
	for _, l := range outreach.Languages {
		for _, id := range []string{"BEN", "JPN", "FRA"} {
			for _, name := range order {
				d := r.data(t, id)
				d.Views = NewSessionViews()
				variants[name](&d)
				renderBoth(t, s, ref, Invitation, l, d, id+" "+name)
				c := d
				c.Session = &r.sessions[2]
				renderBoth(t, s, ref, Confirmation, l, c, id+" "+name+" (confirmation)")
			}
		}
	}
	// The closing names the mission, different in every message: its memo
	// gives up, and every message is still right.
	for i, m := range r.all {
		if i >= 80 {
			break
		}
		renderBoth(t, s, ref, Invitation, outreach.French, r.data(t, m.ID), m.ID)
	}
}

// TestViewMemoOverrides: blocks given the View that read something else
// than fields holding their content, or that are not blocks of that kind,
// write what they wrote without the memo.
func TestViewMemoOverrides(t *testing.T) {
	common := readEmbedded(t, "en/common.txt.tmpl")
	contact := `{{- define "contact"}}`
	i := strings.Index(common, contact)
	j := strings.Index(common[i:], `{{- define "closing"}}`) + i
	withContact := func(block string) string { return common[:i] + contact + block + "{{end}}\n\n" + common[j:] }
	for name, c := range map[string]struct {
		block string
		kept  bool
	}{
		"a range":       {`{{range .Scheduled}}{{.Name}} {{end}}{{.Mailbox}}`, false},
		"a method":      {`{{len .Sessions.Days}} days, {{.Mailbox}}`, false},
		"a pointer":     {`{{if .Session}}{{.Session.Name}}{{end}}{{.Event.Organiser}}`, false},
		"$ and printf":  {`{{printf "%s <%s>" $.Event.Organiser .Mailbox}} {{$.Title}}`, true},
		"another block": {`{{template "signature" .}}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"en/common.txt.tmpl": withContact(c.block)})
			s := mustLoad(t, dir)
			ref := loadWithoutMemo(t, dir)
			kept := true
			for _, call := range textCalls(s.kinds[setKey{outreach.English, Invitation}].text) {
				kept = kept && call.call.Name != "contact"
			}
			if kept != c.kept {
				t.Errorf("contact kept: %v, want %v", kept, c.kept)
			}
			r := loadRound(t)
			for _, id := range []string{"BEN", "JPN", "FRA", "BEN"} {
				d := r.data(t, id)
				renderBoth(t, s, ref, Invitation, outreach.English, d, id)
				d.Event.Phone = ""
				renderBoth(t, s, ref, Invitation, outreach.English, d, id+" no phone")
			}
		})
	}
}
