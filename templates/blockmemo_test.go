package templates

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"outreach"
)

// loadWithoutMemo loads the templates of dir as they were before the
// sessions block was memoised: the reference output.
func loadWithoutMemo(t *testing.T, dir string) *Set {
	t.Helper()
	memoizeBlocks = false
	defer func() { memoizeBlocks = true }()
	return mustLoad(t, dir)
}

// TestSessionsMemoInPlace: the embedded invitations, reminders and summary
// print their list of sessions from the memo, in text and in HTML.
func TestSessionsMemoInPlace(t *testing.T) {
	s := mustLoad(t, "")
	ref := loadWithoutMemo(t, "")
	for _, l := range outreach.Languages {
		kt, before := s.kinds[setKey{l, Invitation}], ref.kinds[setKey{l, Invitation}]
		if n := len(sessionsCalls(textCalls(before.text))); n == 0 {
			t.Fatalf("%s: no {{template %q .Sessions}} in the text to memoise", l, memoBlock)
		}
		if n := len(sessionsCalls(htmlCalls(before.html))); n == 0 {
			t.Fatalf("%s: no {{template %q .Sessions}} in the HTML to memoise", l, memoBlock)
		}
		if n := len(sessionsCalls(textCalls(kt.text))); n != 0 {
			t.Errorf("%s: %d calls of the sessions block left in the text", l, n)
		}
		if n := len(sessionsCalls(htmlCalls(kt.html))); n != 0 {
			t.Errorf("%s: %d calls of the sessions block left in the HTML", l, n)
		}
	}
}

// renderBoth renders kind for d with s and with ref, and fails unless
// they are the same.
func renderBoth(t *testing.T, s, ref *Set, kind Kind, l outreach.Language, d Data, what string) {
	t.Helper()
	got, err := s.Render(kind, l, d)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	want, err := ref.Render(kind, l, d)
	if err != nil {
		t.Fatalf("%s: reference: %v", what, err)
	}
	if got != want {
		t.Fatalf("%s %s/%s differs from the templates without memo:\n%s", what, l, kind, firstDiff(got.Text+got.HTML, want.Text+want.HTML))
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "got  …" + a[from:min(len(a), i+80)] + "\nwant …" + b[from:min(len(b), i+80)]
}

// TestSessionsMemoFollowsTheList: a session renamed, moved, given another
// room, a panel or cancelled between two messages shows in the second,
// and going back to the first list shows it again; every message is the
// one the templates write without the memo.
func TestSessionsMemoFollowsTheList(t *testing.T) {
	s := mustLoad(t, "")
	ref := loadWithoutMemo(t, "")
	r := loadRound(t)
	base := r.data(t, "BEN")
	first := base.Sessions[0].SuR

	variants := map[string]func(d *Data){
		"as loaded": func(*Data) {},
		"renamed": func(d *Data) {
			n := d.SuRNames[first]
			n.EN, n.FR, n.ES = n.EN+" (renamed)", n.FR+" (renommé)", n.ES+" (nuevo)"
			d.SuRNames[first] = n
		},
		"moved": func(d *Data) {
			d.Sessions[0].Start = d.Sessions[0].Start.Add(26 * time.Hour)
			d.Sessions[0].End = d.Sessions[0].End.Add(26 * time.Hour)
		},
		"new room":  func(d *Data) { d.Sessions[1].Room = "Room XVII" },
		"cancelled": func(d *Data) { d.Sessions[2].Status = outreach.Cancelled },
		"panel": func(d *Data) {
			d.Sessions[3].Panel = []outreach.Speaker{{Name: "Ana <Moreno>", Organisation: "A & B", Kind: outreach.CSO, Minutes: 5}}
		},
		"one fewer":   func(d *Data) { d.Sessions = d.Sessions[1:] },
		"answered":    func(d *Data) { d.Answers = map[string]outreach.Status{first: outreach.Accepted} },
		"as loaded 2": func(*Data) {},
	}
	order := []string{"as loaded", "renamed", "as loaded", "moved", "new room", "as loaded 2", "cancelled", "panel", "one fewer", "answered", "as loaded", "renamed"}
	for _, l := range outreach.Languages {
		for _, kind := range []Kind{Invitation, ReminderNoAnswer} {
			for _, name := range order {
				d := base
				d.Sessions = append([]outreach.Session(nil), base.Sessions...)
				d.SuRNames = map[string]outreach.Names{}
				for k, v := range base.SuRNames {
					d.SuRNames[k] = v
				}
				variants[name](&d)
				renderBoth(t, s, ref, kind, l, d, name)
				// Through the views kept for a round, as the engine renders.
				d.Views = NewSessionViews()
				renderBoth(t, s, ref, kind, l, d, name+" (views)")
				renderBoth(t, s, ref, kind, l, d, name+" (views, again)")
			}
		}
	}
}

// TestSessionsMemoGivesUp: lists that differ in every message (a room
// changed each time) are executed each time once the memo gives up, and
// every message is still right.
func TestSessionsMemoGivesUp(t *testing.T) {
	s := mustLoad(t, "")
	ref := loadWithoutMemo(t, "")
	r := loadRound(t)
	for i := range 50 {
		d := r.data(t, "BEN")
		d.Sessions = append([]outreach.Session(nil), d.Sessions...)
		d.Sessions[i%len(d.Sessions)].Room = fmt.Sprintf("Room %d", i)
		renderBoth(t, s, ref, Invitation, outreach.Spanish, d, d.Sessions[i%len(d.Sessions)].Room)
	}
	renderBoth(t, s, ref, Invitation, outreach.Spanish, r.data(t, "BEN"), "as loaded")
}

// TestSessionsMemoOverrides: overrides that call the sessions block from
// elsewhere than plain HTML text, with another value, or that end it in
// another context, write what they wrote without the memo.
func TestSessionsMemoOverrides(t *testing.T) {
	content := func(body string) string {
		return `{{define "content"}}<p>{{.Title}}</p>` + body + `{{template "contact" .}}{{end}}`
	}
	// withBlock is en/common.html.tmpl with another sessions block.
	withBlock := func(block string) string {
		common := readEmbedded(t, "en/common.html.tmpl")
		from := strings.Index(common, `{{- define "sessions"}}`)
		to := strings.Index(common, `{{- define "session-list"}}`)
		return common[:from] + `{{- define "sessions"}}` + block + `{{end}}` + "\n\n" + common[to:]
	}
	plain := `{{range .}}{{.Name}} & {{.Room}}{{if .Cancelled}} (cancelled){{end}}; {{end}}`
	noanswer := content(`<p>{{len .Unanswered}}</p>`)
	for name, files := range map[string]map[string]string{
		"in an attribute": {
			"en/common.html.tmpl":            withBlock(plain),
			"en/invitation.html.tmpl":        content(`<p title="{{template "sessions" .Sessions}}">x</p>{{template "sessions" .Sessions}}`),
			"en/reminder-noanswer.html.tmpl": noanswer,
		},
		"in a script": {
			"en/common.html.tmpl":            withBlock(plain),
			"en/invitation.html.tmpl":        content(`<script>var s = "{{template "sessions" .Sessions}}";</script><a href="/x?{{template "sessions" .Sessions}}">y</a>{{template "sessions" .Sessions}}`),
			"en/reminder-noanswer.html.tmpl": noanswer,
		},
		"in a range": {
			"en/invitation.html.tmpl": content(`{{range .Sessions.Days}}{{template "sessions" .Sessions}}{{end}}{{template "sessions" .Sessions}}`),
			"en/invitation.txt.tmpl":  `{{.Title}}{{range .Sessions.Days}}{{template "sessions" .Sessions}}{{end}}{{template "sessions" .Scheduled}}{{template "sessions" .Sessions}}`,
		},
		"ending in a tag": {
			"en/common.html.tmpl":            withBlock(plain + `<p class="`),
			"en/invitation.html.tmpl":        content(`{{template "sessions" .Sessions}}{{.Title}}">sessions</p>`),
			"en/reminder-noanswer.html.tmpl": noanswer,
		},
		"with $": {
			"en/common.txt.tmpl": strings.Replace(readEmbedded(t, "en/common.txt.tmpl"),
				`{{- $rw := .RoomWidth}}`, `{{- $rw := .RoomWidth}}{{len $}} sessions`, 1),
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, files)
			s := mustLoad(t, dir)
			ref := loadWithoutMemo(t, dir)
			kt, before := s.kinds[setKey{outreach.English, Invitation}], ref.kinds[setKey{outreach.English, Invitation}]
			// Those in plain text are memoised (in HTML: with the block
			// escaped for plain text, the only one the wrapper runs).
			if len(sessionsCalls(textCalls(before.text))) == 0 || len(sessionsCalls(htmlCalls(before.html))) == 0 {
				t.Fatal("no call of the sessions block to memoise")
			}
			if n, m := len(sessionsCalls(textCalls(kt.text))), len(sessionsCalls(htmlCalls(kt.html))); n+m != 0 {
				t.Errorf("%d calls left in the text, %d in the HTML", n, m)
			}
			r := loadRound(t)
			for _, id := range []string{"BEN", "JPN", "FRA"} {
				renderBoth(t, s, ref, Invitation, outreach.English, r.data(t, id), id)
			}
			d := r.data(t, "BEN")
			d.Sessions = d.Sessions[2:]
			renderBoth(t, s, ref, Invitation, outreach.English, d, "fewer")
		})
	}
}

func readEmbedded(t *testing.T, name string) string {
	t.Helper()
	b, err := embedded.ReadFile("files/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSameSessionsEveryField: two lists that differ in any one field of a
// session are not the same list, so the memo never shows a list for
// another.
func TestSameSessionsEveryField(t *testing.T) {
	r := loadRound(t)
	s := mustLoad(t, "")
	loc := r.ev.Location
	base := Sessions{s.g.sessionView(outreach.English, loc, r.sessions[0], r.names[r.sessions[0].SuR])}
	base[0].Panel = []SpeakerView{{Name: "A", Organisation: "B", Kind: "CSO", Minutes: 5, Order: 1}}
	if !sameSessions(base, cloneSessions(base)) {
		t.Fatal("a list differs from its copy")
	}
	typ := reflect.TypeOf(SessionView{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		other := cloneSessions(base)
		v := reflect.ValueOf(&other[0]).Elem().Field(i)
		switch f.Type.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Slice:
			other[0].Panel[0].Minutes++
		default:
			switch f.Type {
			case reflect.TypeOf(time.Time{}):
				v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Minute)))
			case reflect.TypeOf(outreach.Status(0)):
				v.Set(reflect.ValueOf(outreach.Accepted))
			default:
				t.Fatalf("field %s of type %s: teach this test to change it", f.Name, f.Type)
			}
		}
		if sameSessions(base, other) {
			t.Errorf("lists differing in %s are the same to the memo", f.Name)
		}
	}
	noPanel, emptyPanel := cloneSessions(base), cloneSessions(base)
	noPanel[0].Panel, emptyPanel[0].Panel = nil, []SpeakerView{}
	if sameSessions(noPanel, emptyPanel) {
		t.Error("a nil panel and an empty one are the same to the memo")
	}
}
