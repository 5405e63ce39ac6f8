package templates

import (
	htemplate "html/template"
	"io"
	"slices"
	"strings"
	"sync"
	ttemplate "text/template"
	"text/template/parse"
)

// The list of sessions ({{template "sessions" .Sessions}}) is most of the
// work of executing an invitation, and every invitation of a round in one
// language shows the same list. A call of that form is therefore replaced,
// once the templates are loaded and checked, by an action that prints what
// the block gives for the list, kept per list: the block is executed, in
// the same templates, only for a list it has not been given before. What
// a block prints depends only on its templates and on the value it is
// given (the template functions are pure), so a list equal field for field
// to one already shown gives the same bytes.
//
// In HTML the call is replaced after html/template has escaped the
// templates, and only where the call stands in plain HTML text: the block
// is then executed through a template of its own that calls it from the
// same context ("sessions$memo"), so it is escaped exactly as it was at the
// call. Load renders the samples before and after the replacement and
// keeps it only when every message is the same, byte for byte.

const (
	memoBlock    = "sessions"                // the block whose output is kept
	memoWrapper  = "sessions$memo"           // calls the block from plain HTML text
	memoFunction = "_outreach_sessions_memo" // prints the kept output; defined after parsing, so no template can call it
	// maxMemoLists bounds the lists kept per block: an invitation shows
	// one list per round, a reminder one per answers.
	maxMemoLists = 8
)

// blockMemo keeps what one kind's block printed for the lists it was
// given, in one of its two bodies.
type blockMemo struct {
	exec    func(w io.Writer, data any) error // executes the block
	mu      sync.Mutex
	entries []memoEntry // the most recent first
}

type memoEntry struct {
	of  Sessions
	out string
}

// print returns what the block prints for v.
func (m *blockMemo) print(v any) (string, error) {
	ss, ok := v.(Sessions)
	if !ok {
		// Not a list of sessions: executed each time.
		var b strings.Builder
		err := m.exec(&b, v)
		return b.String(), err
	}
	m.mu.Lock()
	for i, e := range m.entries {
		if sameSessions(e.of, ss) {
			if i > 0 {
				copy(m.entries[1:i+1], m.entries[:i])
				m.entries[0] = e
			}
			m.mu.Unlock()
			return e.out, nil
		}
	}
	m.mu.Unlock()
	var b strings.Builder
	if err := m.exec(&b, ss); err != nil {
		return "", err
	}
	out := b.String()
	m.mu.Lock()
	if len(m.entries) < maxMemoLists {
		m.entries = append(m.entries, memoEntry{})
	}
	copy(m.entries[1:], m.entries)
	m.entries[0] = memoEntry{of: cloneSessions(ss), out: out}
	m.mu.Unlock()
	return out, nil
}

func (m *blockMemo) reset() {
	m.mu.Lock()
	m.entries = nil
	m.mu.Unlock()
}

// sameSessions reports whether a and b are the same list, every field of
// every session equal (a test checks that each field is compared).
func sameSessions(a, b Sessions) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.SuR != y.SuR || x.Name != y.Name || x.The != y.The || x.On != y.On || x.Of != y.Of ||
			x.Date != y.Date || x.ShortDate != y.ShortDate || x.Time != y.Time ||
			x.Start != y.Start || x.End != y.End || x.Room != y.Room ||
			x.Statement != y.Statement || x.Cancelled != y.Cancelled || x.Sequence != y.Sequence || x.Answer != y.Answer ||
			(x.Panel == nil) != (y.Panel == nil) || !slices.Equal(x.Panel, y.Panel) {
			return false
		}
	}
	return true
}

func cloneSessions(ss Sessions) Sessions {
	out := slices.Clone(ss)
	for i := range out {
		out[i].Panel = slices.Clone(out[i].Panel)
	}
	return out
}

// memoCall is one replaced call: where it stood, to put it back.
type memoCall struct {
	list *parse.ListNode
	i    int
	call *parse.TemplateNode
}

// isMemoCall reports whether n is {{template "sessions" .Sessions}}.
func isMemoCall(n *parse.TemplateNode) bool {
	if n.Name != memoBlock || n.Pipe == nil || len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 {
		return false
	}
	args := n.Pipe.Cmds[0].Args
	if len(args) != 1 {
		return false
	}
	f, ok := args[0].(*parse.FieldNode)
	return ok && len(f.Ident) == 1 && f.Ident[0] == "Sessions"
}

// findCalls appends the calls to memo under n, and the names of the
// templates n calls.
func findCalls(n parse.Node, calls []memoCall, called []string) ([]memoCall, []string) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return calls, called
		}
		for i, c := range n.Nodes {
			if t, ok := c.(*parse.TemplateNode); ok && isMemoCall(t) {
				calls = append(calls, memoCall{list: n, i: i, call: t})
				continue
			}
			calls, called = findCalls(c, calls, called)
		}
	case *parse.TemplateNode:
		called = append(called, n.Name)
	case *parse.IfNode:
		calls, called = findCalls(n.List, calls, called)
		calls, called = findCalls(n.ElseList, calls, called)
	case *parse.RangeNode:
		calls, called = findCalls(n.List, calls, called)
		calls, called = findCalls(n.ElseList, calls, called)
	case *parse.WithNode:
		calls, called = findCalls(n.List, calls, called)
		calls, called = findCalls(n.ElseList, calls, called)
	}
	return calls, called
}

// replaceCalls puts in place of each call an action printing its pipeline's
// value through the memo function: {{.Sessions | _outreach_sessions_memo}}.
func replaceCalls(calls []memoCall) {
	for _, c := range calls {
		t := c.call
		fn := parse.NewIdentifier(memoFunction).SetPos(t.Pos)
		cmds := append(slices.Clone(t.Pipe.Cmds), &parse.CommandNode{NodeType: parse.NodeCommand, Pos: t.Pos, Args: []parse.Node{fn}})
		pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: t.Pipe.Pos, Line: t.Line, Cmds: cmds}
		c.list.Nodes[c.i] = &parse.ActionNode{NodeType: parse.NodeAction, Pos: t.Pos, Line: t.Line, Pipe: pipe}
	}
}

// restoreCalls puts the calls back.
func restoreCalls(calls []memoCall) {
	for _, c := range calls {
		c.list.Nodes[c.i] = c.call
	}
}

// textCalls finds the calls in every template of t's set.
func textCalls(t *ttemplate.Template) []memoCall {
	var calls []memoCall
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			calls, _ = findCalls(tt.Tree.Root, calls, nil)
		}
	}
	return calls
}

// htmlCalls finds the calls in the templates the layout runs in plain
// HTML text: after escaping, a template called from another context is
// called by another name (a copy escaped for that context), so those found
// by their own name from the layout down are the ones escaped as text.
func htmlCalls(t *htemplate.Template) []memoCall {
	var calls []memoCall
	seen := map[string]bool{}
	next := []string{"layout"}
	for len(next) > 0 {
		name := next[len(next)-1]
		next = next[:len(next)-1]
		if seen[name] {
			continue
		}
		seen[name] = true
		tt := t.Lookup(name)
		if tt == nil || tt.Tree == nil {
			continue
		}
		var called []string
		calls, called = findCalls(tt.Tree.Root, calls, nil)
		next = append(next, called...)
	}
	return calls
}

// memoize replaces the calls of the sessions block in kt's bodies, and
// keeps the replacement only if the samples render the same with it.
func (kt *kindTemplates) memoize(views []*View) {
	if len(views) == 0 {
		return
	}
	var calls []memoCall
	var memos []*blockMemo
	if kt.text != nil {
		if c := textCalls(kt.text); len(c) > 0 {
			m := &blockMemo{exec: func(w io.Writer, data any) error { return kt.text.ExecuteTemplate(w, memoBlock, data) }}
			kt.text.Funcs(ttemplate.FuncMap{memoFunction: m.print})
			calls, memos = append(calls, c...), append(memos, m)
		}
	}
	// The wrapper is escaped here, once; the HTML is left as it is if it
	// does not escape or fails.
	if kt.html != nil && kt.html.Lookup(memoWrapper) != nil &&
		kt.html.ExecuteTemplate(io.Discard, memoWrapper, views[0].Sessions) == nil {
		if c := htmlCalls(kt.html); len(c) > 0 {
			m := &blockMemo{exec: func(w io.Writer, data any) error { return kt.html.ExecuteTemplate(w, memoWrapper, data) }}
			kt.html.Funcs(htemplate.FuncMap{memoFunction: m.print})
			calls, memos = append(calls, c...), append(memos, m)
		}
	}
	if len(calls) == 0 {
		return
	}
	var before []Message
	for _, v := range views {
		msg, err := kt.render(v)
		if err != nil {
			return
		}
		before = append(before, msg)
	}
	replaceCalls(calls)
	same := true
	for i, v := range views {
		// Twice: the first fills the memo, the second prints from it.
		for range 2 {
			if msg, err := kt.render(v); err != nil || msg != before[i] {
				same = false
			}
		}
	}
	if !same {
		restoreCalls(calls)
	}
	for _, m := range memos {
		m.reset()
	}
}

// wrapperSource calls the sessions block from plain HTML text.
const wrapperSource = `{{template "` + memoBlock + `" .}}`
