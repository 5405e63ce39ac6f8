package templates

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"
	"unicode"
	"unicode/utf8"

	htemplate "html/template"
)

// The messages of one kind in one language differ, mission to mission, in
// a few fields of the View: the mission's title and designation, its reply
// address, its reply page. Executing the templates for every mission
// repeats every other action (some sixty in an invitation's HTML, each a
// reflective call or two) to print the same text. So where the templates
// only print such a field, the messages are printed once with a marker in
// its place (the skeleton), and each mission's message is the skeleton
// with every marker replaced by the mission's value, escaped as
// html/template escapes it at that place.
//
// What makes this exact:
//   - A field is filled (a hole) only when, read from the parse trees of
//     every template the kind runs, it is a string printed alone, through
//     html/template's escapers and nothing else, and at most tested for
//     being empty ({{if .PageURL}}); every other field the templates read
//     is part of the skeleton's key, compared value by value.
//   - The escaping at each place is html/template's own: the value is
//     printed by a probe template whose escapers, read from its escaped
//     parse tree, are those of the action the marker was printed by. The
//     marker holds characters each escaper writes its own way, so the form
//     it takes in the output says which escapers it went through.
//   - A value is filled in only when it is plain text (valid UTF-8, no
//     control characters, single inner spaces and no other white space),
//     so that making the subject one line and tidying the text, done after
//     filling, treat it as they treat the marker; any other value is
//     executed directly.
//   - Each skeleton is checked once when made: filled with the values it
//     was made for, it must be the message executed directly, byte for
//     byte, or filling stops for the kind. Load checks the samples alike.

// maxHoles bounds the fields filled in per kind; the markers are told
// apart by one letter.
const maxHoles = 26

// fillPlan is how one kind's messages are filled in.
type fillPlan struct {
	holes []fillHole
	keys  [][]int // the other fields read, as index paths from View
	kept  recent[[]reflect.Value, *skeleton]
	off   atomic.Bool // a skeleton did not check: every message is executed
}

// fillHole is one field filled in.
type fillHole struct {
	field int // its index in View
	name  string
	// forms maps the form the field's marker takes in the output to the
	// escaping done there (nil: printed as it is, in a text template).
	forms map[string]*probe
}

// skeleton is a kind's output with the markers cut out.
type skeleton struct {
	subject, text, html []segment
}

// segment is text, then a hole's value (hole ≥ 0) escaped by esc.
type segment struct {
	text string
	hole int
	esc  *probe
}

// markerEdge opens and closes every marker: "QxZ", the hole's letter,
// the characters the escapers treat each their own way, "QxZ".
const markerEdge = "QxZ"

// markerBody is what each escaper is told apart by: html/template's HTML
// escapers write < and ' as entities, its URL normaliser percent-encodes
// them and keeps / and ?, its URL escaper encodes all four.
const markerBody = "<'/?"

func marker(hole int) string {
	return markerEdge + string(rune('a'+hole)) + markerBody + markerEdge
}

// probe prints a value through one list of html/template's escapers: a
// one-action template whose escaped action calls them, with the text
// around the action cut off.
type probe struct {
	t              *htemplate.Template
	prefix, suffix string
	escapers       string // the escapers' names, space-separated
	// done keeps values escaped: most holes hold the same value in
	// every message of a round (its dates, its venue).
	mu   sync.Mutex
	done map[string]string
}

// maxEscaped bounds a probe's values kept; when full it starts again.
const maxEscaped = 1024

func (p *probe) escape(s string) (string, bool) {
	p.mu.Lock()
	e, ok := p.done[s]
	p.mu.Unlock()
	if ok {
		return e, true
	}
	e, ok = p.execute(s)
	if !ok {
		return "", false
	}
	p.mu.Lock()
	if p.done == nil || len(p.done) >= maxEscaped {
		p.done = map[string]string{}
	}
	p.done[s] = e
	p.mu.Unlock()
	return e, true
}

func (p *probe) execute(s string) (string, bool) {
	var b strings.Builder
	if err := p.t.Execute(&b, s); err != nil {
		return "", false
	}
	out, ok := strings.CutPrefix(b.String(), p.prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(out, p.suffix)
}

// probes are made once: the contexts the templates print fields in.
var probes = sync.OnceValue(func() []*probe {
	var out []*probe
	for _, around := range [][2]string{
		{"", ""},
		{`<a title="`, `">`},
		{`<a href="`, `">`},
		{`<a href="x`, `">`},
		{`<a href="x?`, `">`},
		{`<title>`, `</title>`},
	} {
		t, err := htemplate.New("probe").Parse(around[0] + "{{.}}" + around[1])
		if err != nil {
			continue
		}
		p := &probe{t: t, prefix: around[0], suffix: around[1]}
		if _, ok := p.escape(""); !ok {
			continue
		}
		// Executed once, the template is escaped: its action now calls
		// the escapers of its context.
		var names []string
		for _, n := range t.Tree.Root.Nodes {
			if a, ok := n.(*parse.ActionNode); ok {
				for _, c := range a.Pipe.Cmds[1:] {
					if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
						names = append(names, id.Ident)
					}
				}
			}
		}
		p.escapers = strings.Join(names, " ")
		out = append(out, p)
	}
	return out
})

// probeFor returns the probe calling exactly the escapers named,
// space-separated.
func probeFor(escapers string) *probe {
	for _, p := range probes() {
		if p.escapers == escapers {
			return p
		}
	}
	return nil
}

// probeSamples are values two probes must escape alike to share a form.
var probeSamples = []string{
	"Côte d'Ivoire", `a+b <c> & "d"`, "mailto:x@example.org?subject=a b&c=d",
	"javascript:alert(1)", "https://example.org/a b/%41%zz", "ÿ\u2028x", "a/b?c#d",
}

// planFill reads kt's templates and makes its fill plan, checked against
// the sample views; kt.fill stays nil when nothing can be filled or a
// sample does not come out the same.
func (kt *kindTemplates) planFill(views []*View) {
	if kt.subject == nil || kt.text == nil || len(views) == 0 {
		return
	}
	a := fillReader{kt: kt, prints: map[int][]string{}, tested: map[int]bool{}, read: map[int]bool{}, seen: map[string]bool{}}
	a.tree(kt.subject.Tree, true, true, formSubject)
	a.tree(kt.text.Tree, true, true, formText)
	if kt.html != nil {
		if t := kt.html.Lookup("layout"); t != nil && t.Tree != nil {
			a.tree(t.Tree, true, true, formHTML)
		} else {
			a.broken = true
		}
	}
	if a.broken {
		return
	}
	p := a.plan()
	if p == nil || !p.checks(kt, views) {
		return
	}
	p.kept.reset()
	kt.fill = p
}

// plan makes the plan of what a read: the fields to fill in, each with the
// forms its marker takes, and the other fields as keys; nil when there is
// nothing to fill in.
func (a *fillReader) plan() *fillPlan {
	p := &fillPlan{}
	for field, pipes := range a.prints {
		if a.read[field] || len(p.holes) == maxHoles {
			continue
		}
		// The subject is printed again wherever .Subject is: its holes
		// are printed there too.
		if slices.Contains(a.subjectHoles, field) {
			pipes = append(pipes, a.subjectPipes...)
		}
		if h, ok := newHole(field, pipes); ok {
			p.holes = append(p.holes, h)
		}
	}
	if len(p.holes) == 0 {
		return nil
	}
	// Fields printed or tested but not filled are keys.
	isHole := func(field int) bool {
		return slices.ContainsFunc(p.holes, func(h fillHole) bool { return h.field == field })
	}
	for field := range a.prints {
		if !isHole(field) {
			a.addKey([]int{field})
		}
	}
	for field := range a.tested {
		if !isHole(field) {
			a.addKey([]int{field})
		}
	}
	p.keys = a.keys
	slices.SortFunc(p.holes, func(x, y fillHole) int { return x.field - y.field })
	// Markers are by position in holes: remake the forms in that order.
	for i := range p.holes {
		h := &p.holes[i]
		forms := map[string]*probe{}
		for _, esc := range h.forms {
			form := marker(i)
			if esc != nil {
				form, _ = esc.escape(form)
			}
			forms[form] = esc
		}
		h.forms = forms
	}
	return p
}

// newHole makes the hole of field, printed through each of pipes; false
// when an escaping has no probe, or two escape differently into one form.
func newHole(field int, pipes []string) (fillHole, bool) {
	h := fillHole{field: field, name: viewType.Field(field).Name, forms: map[string]*probe{}}
	for _, pipe := range pipes {
		var esc *probe
		form := marker(0)
		if pipe != "text" {
			if esc = probeFor(pipe); esc == nil {
				return h, false
			}
			var ok bool
			if form, ok = esc.escape(form); !ok {
				return h, false
			}
		}
		if prev, dup := h.forms[form]; dup && !sameEscaping(prev, esc) {
			return h, false
		}
		h.forms[form] = esc
	}
	return h, len(h.forms) > 0
}

// checks reports whether every sample view comes out filled in as the
// templates print it executed, from a new skeleton and from a kept one.
func (p *fillPlan) checks(kt *kindTemplates, views []*View) bool {
	for _, v := range views {
		want, err := kt.renderDirect(copyView(v))
		if err != nil {
			return false
		}
		for range 2 { // the first makes the skeleton, the second fills it
			got, ok := p.render(kt, copyView(v))
			if !ok || got != want {
				return false
			}
		}
	}
	return true
}

func copyView(v *View) *View { c := *v; return &c }

// sameEscaping reports whether a and b escape the samples alike.
func sameEscaping(a, b *probe) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	for _, s := range probeSamples {
		x, ok1 := a.escape(s)
		y, ok2 := b.escape(s)
		if !ok1 || !ok2 || x != y {
			return false
		}
	}
	return true
}

// render fills v's message in; ok is false when it must be executed
// directly (a value not plain, filling stopped, or its skeleton failed).
func (p *fillPlan) render(kt *kindTemplates, v *View) (Message, bool) {
	if p.off.Load() || p.kept.isOff() {
		// Stopped, or the keys change in every message (a reminder
		// listing each mission's own answers): executed directly.
		return Message{}, false
	}
	rv := reflect.ValueOf(v).Elem()
	values := make([]string, len(p.holes))
	key := make([]reflect.Value, 0, len(p.keys)+1)
	var empty uint32
	for i, h := range p.holes {
		s := rv.Field(h.field).String()
		if !plain(s) {
			return Message{}, false
		}
		values[i] = s
		if s == "" {
			empty |= 1 << i
		}
	}
	key = append(key, reflect.ValueOf(empty))
	for _, path := range p.keys {
		f, ok := fieldAt(rv, path)
		if !ok {
			return Message{}, false
		}
		key = append(key, f)
	}
	sk, hit := p.kept.find(func(k []reflect.Value) bool { return sameKey(k, key) })
	if !hit {
		var ok bool
		if sk, ok = p.skeleton(kt, v); !ok {
			return Message{}, false
		}
		msg, ok := p.fill(kt, sk, values)
		want, err := kt.renderDirect(copyView(v))
		if !ok || err != nil || msg != want {
			p.off.Store(true)
			return Message{}, false
		}
		p.kept.keep(copyValues(key), sk)
		v.Subject = msg.Subject
		return msg, true
	}
	msg, ok := p.fill(kt, sk, values)
	if ok {
		v.Subject = msg.Subject
	}
	return msg, ok
}

var sessionsType = reflect.TypeFor[Sessions]()

func sameKey(a, b []reflect.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type() != b[i].Type() {
			return false
		}
		if a[i].Type() == sessionsType {
			if !sameSessions(a[i].Interface().(Sessions), b[i].Interface().(Sessions)) {
				return false
			}
			continue
		}
		if a[i].Kind() != reflect.Pointer && a[i].Comparable() && b[i].Comparable() {
			if !a[i].Equal(b[i]) {
				return false
			}
			continue
		}
		// Slices, maps and pointers by what they hold: a View's are
		// made for it and not changed after.
		if !reflect.DeepEqual(a[i].Interface(), b[i].Interface()) {
			return false
		}
	}
	return true
}

// plain reports whether s can be filled in: see above.
func plain(s string) bool {
	if !utf8.ValidString(s) || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") || strings.Contains(s, "  ") {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || (unicode.IsSpace(r) && r != ' ') {
			return false
		}
	}
	return true
}

// skeleton executes the templates for v with every non-empty hole's
// marker in place of its value, and cuts the markers out.
func (p *fillPlan) skeleton(kt *kindTemplates, v *View) (*skeleton, bool) {
	sv := copyView(v)
	rv := reflect.ValueOf(sv).Elem()
	for i, h := range p.holes {
		if rv.Field(h.field).String() != "" {
			rv.Field(h.field).SetString(marker(i))
		}
	}
	out, err := kt.execute(sv)
	if err != nil {
		return nil, false
	}
	sk := &skeleton{}
	var ok bool
	if sk.subject, ok = p.cut(out.subject); !ok {
		return nil, false
	}
	if sk.text, ok = p.cut(out.text); !ok {
		return nil, false
	}
	if sk.html, ok = p.cut(out.html); !ok {
		return nil, false
	}
	return sk, true
}

// cut splits s at the markers; false when a marker is in a form no
// escaping of its hole gives.
func (p *fillPlan) cut(s string) ([]segment, bool) {
	var segs []segment
	for {
		i := strings.Index(s, markerEdge)
		if i < 0 {
			return append(segs, segment{text: s, hole: -1}), true
		}
		rest := s[i+len(markerEdge):]
		j := strings.Index(rest, markerEdge)
		if j < 1 {
			return nil, false
		}
		hole := int(rest[0] - 'a')
		if hole < 0 || hole >= len(p.holes) {
			return nil, false
		}
		form := s[i : i+len(markerEdge)+j+len(markerEdge)]
		esc, known := p.holes[hole].forms[form]
		if !known {
			return nil, false
		}
		segs = append(segs, segment{text: s[:i], hole: hole, esc: esc})
		s = s[i+len(form):]
	}
}

// fill makes the message of sk with values in its holes.
func (p *fillPlan) fill(kt *kindTemplates, sk *skeleton, values []string) (Message, bool) {
	join := func(segs []segment) (string, bool) {
		var b strings.Builder
		n := 0
		for _, s := range segs {
			n += len(s.text)
			if s.hole >= 0 {
				n += 2 * len(values[s.hole])
			}
		}
		b.Grow(n)
		for _, s := range segs {
			b.WriteString(s.text)
			if s.hole < 0 {
				continue
			}
			if s.esc == nil {
				b.WriteString(values[s.hole])
				continue
			}
			e, ok := s.esc.escape(values[s.hole]) // kept by the probe
			if !ok {
				return "", false
			}
			b.WriteString(e)
		}
		return b.String(), true
	}
	var out printed
	var ok bool
	if out.subject, ok = join(sk.subject); !ok {
		return Message{}, false
	}
	if out.text, ok = join(sk.text); !ok {
		return Message{}, false
	}
	if kt.html != nil {
		if out.html, ok = join(sk.html); !ok {
			return Message{}, false
		}
	}
	msg, err := kt.finish(out)
	return msg, err == nil
}

// Where a field is printed: in the subject, the text or the HTML.
const (
	formSubject = iota
	formText
	formHTML
)

// fillReader reads a kind's parse trees: which View fields are printed
// alone (and through which escapers), and which are read otherwise.
type fillReader struct {
	kt *kindTemplates
	// prints are the fields printed alone, each with the escapers of
	// every place ("text" in a text template).
	prints map[int][]string
	// tested are fields tested for being empty, and nothing else.
	tested map[int]bool
	// read are the fields read otherwise (their top-level index).
	read map[int]bool
	keys [][]int
	seen map[string]bool // trees walked, with what dot and $ were
	// subjectHoles are the fields the subject prints; subjectPipes the
	// escapers .Subject is printed through.
	subjectHoles []int
	subjectPipes []string
	broken       bool
}

func (a *fillReader) addKey(path []int) {
	if !slices.ContainsFunc(a.keys, func(p []int) bool { return slices.Equal(p, path) }) {
		a.keys = append(a.keys, path)
	}
}

func (a *fillReader) lookup(name string, form int) *parse.Tree {
	switch form {
	case formSubject:
		if t := a.kt.subject.Lookup(name); t != nil {
			return t.Tree
		}
	case formText:
		if t := a.kt.text.Lookup(name); t != nil {
			return t.Tree
		}
	case formHTML:
		if t := a.kt.html.Lookup(name); t != nil {
			return t.Tree
		}
	}
	return nil
}

func (a *fillReader) tree(t *parse.Tree, dotView, dollarView bool, form int) {
	if t == nil || t.Root == nil {
		a.broken = true
		return
	}
	k := t.Name + "\x00" + string(rune('0'+form))
	if dotView {
		k += "d"
	}
	if dollarView {
		k += "$"
	}
	if a.seen[k] {
		return
	}
	a.seen[k] = true
	a.list(t.Root, dotView, dollarView, form)
}

func (a *fillReader) list(l *parse.ListNode, dotView, dollarView bool, form int) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		a.node(n, dotView, dollarView, form)
	}
}

func (a *fillReader) node(n parse.Node, dotView, dollarView bool, form int) {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	case *parse.ActionNode:
		if field, pipe, ok := a.printAlone(n.Pipe, dotView, dollarView, form); ok {
			if field == subjectField {
				a.subjectPipes = append(a.subjectPipes, pipe)
				return
			}
			a.prints[field] = append(a.prints[field], pipe)
			if form == formSubject {
				a.subjectHoles = append(a.subjectHoles, field)
			}
			return
		}
		a.pipe(n.Pipe, dotView, dollarView, form)
	case *parse.IfNode:
		if field, ok := a.testAlone(n.Pipe, dotView, dollarView); ok && field != subjectField {
			a.tested[field] = true
		} else {
			a.pipe(n.Pipe, dotView, dollarView, form)
		}
		a.list(n.List, dotView, dollarView, form)
		a.list(n.ElseList, dotView, dollarView, form)
	case *parse.RangeNode:
		a.pipe(n.Pipe, dotView, dollarView, form)
		a.list(n.List, false, dollarView, form)
		a.list(n.ElseList, dotView, dollarView, form)
	case *parse.WithNode:
		a.pipe(n.Pipe, dotView, dollarView, form)
		a.list(n.List, false, dollarView, form)
		a.list(n.ElseList, dotView, dollarView, form)
	case *parse.TemplateNode:
		passesView := false
		if n.Pipe != nil {
			passesView = a.pipe(n.Pipe, dotView, dollarView, form)
		}
		t := a.lookup(n.Name, form)
		a.tree(t, passesView, passesView, form)
	default:
		a.broken = true
	}
}

// subjectField is the index of View.Subject, printed from the subject.
var subjectField = func() int {
	f, _ := viewType.FieldByName("Subject")
	return f.Index[0]
}()

// printAlone reports whether p prints a top-level string field of the
// View alone, through html/template's escapers only; pipe names them.
func (a *fillReader) printAlone(p *parse.PipeNode, dotView, dollarView bool, form int) (field int, pipe string, ok bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 || len(p.Cmds[0].Args) != 1 {
		return 0, "", false
	}
	field, ok = a.topField(p.Cmds[0].Args[0], dotView, dollarView)
	if !ok {
		return 0, "", false
	}
	var names []string
	for _, c := range p.Cmds[1:] {
		if len(c.Args) != 1 {
			return 0, "", false
		}
		id, isID := c.Args[0].(*parse.IdentifierNode)
		if !isID || !strings.HasPrefix(id.Ident, "_html_template_") {
			return 0, "", false
		}
		names = append(names, id.Ident)
	}
	switch {
	case form != formHTML && len(names) == 0:
		return field, "text", true
	case form == formHTML && len(names) > 0:
		return field, strings.Join(names, " "), true
	}
	return 0, "", false
}

// testAlone reports whether p is a top-level string field alone, as in
// {{if .PageURL}}.
func (a *fillReader) testAlone(p *parse.PipeNode, dotView, dollarView bool) (int, bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return 0, false
	}
	return a.topField(p.Cmds[0].Args[0], dotView, dollarView)
}

// topField is the View's field n names, when n is .F on the View or $.F
// and F a field of type string.
func (a *fillReader) topField(n parse.Node, dotView, dollarView bool) (int, bool) {
	var names []string
	switch n := n.(type) {
	case *parse.FieldNode:
		if !dotView {
			return 0, false
		}
		names = n.Ident
	case *parse.VariableNode:
		if !dollarView || len(n.Ident) != 2 || n.Ident[0] != "$" {
			return 0, false
		}
		names = n.Ident[1:]
	default:
		return 0, false
	}
	if len(names) != 1 {
		return 0, false
	}
	f, ok := viewType.FieldByName(names[0])
	if !ok || len(f.Index) != 1 || f.Type != reflect.TypeFor[string]() {
		return 0, false
	}
	return f.Index[0], true
}

// pipe records the fields p reads, and reports whether its value is the
// View itself.
func (a *fillReader) pipe(p *parse.PipeNode, dotView, dollarView bool, form int) (isView bool) {
	if p == nil {
		return false
	}
	for i, c := range p.Cmds {
		fn := ""
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
			fn = id.Ident
		}
		if i > 0 && isView {
			// The View handed on to a function: it may read any field,
			// unless it is a memo function whose fields are known.
			a.viewGiven(fn, form)
		}
		isView = false
		for _, arg := range c.Args {
			if a.arg(arg, dotView, dollarView, form) {
				if fn != "" || len(c.Args) > 1 {
					a.viewGiven(fn, form)
				} else {
					isView = true
				}
			}
		}
	}
	return isView
}

// viewGiven notes that the View goes whole to fn: only a memo function
// may have it, and it prints what its block prints (see memoize).
func (a *fillReader) viewGiven(fn string, form int) {
	block, ok := a.kt.memoBlocks[fn]
	if !ok {
		a.broken = true
		return
	}
	a.tree(a.lookup(block, form), true, true, form)
}

// arg records the fields n reads and reports whether n is the View.
func (a *fillReader) arg(n parse.Node, dotView, dollarView bool, form int) bool {
	switch n := n.(type) {
	case *parse.DotNode:
		return dotView
	case *parse.FieldNode:
		if dotView {
			a.readNames(n.Ident)
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" && dollarView {
			if len(n.Ident) == 1 {
				return true
			}
			a.readNames(n.Ident[1:])
		}
	case *parse.ChainNode:
		if a.arg(n.Node, dotView, dollarView, form) {
			// (.).Field: read as .Field, through a chain.
			a.readNames(n.Field)
		}
	case *parse.PipeNode:
		return a.pipe(n, dotView, dollarView, form)
	case *parse.IdentifierNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
	default:
		a.broken = true
	}
	return false
}

// readNames records the field at names from the View as read, down to
// the last field (a method or a map ends the path there).
func (a *fillReader) readNames(names []string) {
	path, _, _ := viewPath(names)
	if len(path) == 0 {
		// A method of the View, or no field: it may read anything.
		a.broken = true
		return
	}
	a.readPath(path)
}

func (a *fillReader) readPath(path []int) {
	if path[0] == subjectField {
		// The subject printed, read otherwise than printed: it holds
		// the subject's holes.
		a.broken = true
		return
	}
	a.read[path[0]] = true
	a.addKey(slices.Clone(path))
}
