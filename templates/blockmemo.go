package templates

import (
	"fmt"
	htemplate "html/template"
	"io"
	"slices"
	"strings"
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
	memoWrapper  = "sessions$memo"           // calls the block from plain HTML text (wrapperName)
	memoFunction = "_outreach_sessions_memo" // prints the kept output; defined after parsing, so no template can call it
	// maxMemoLists bounds the lists kept per block: an invitation shows
	// one list per round, a reminder one per answers.
	maxMemoLists = 8
)

// blockMemo keeps what one kind's block printed for the lists it was
// given, in one of its two bodies.
type blockMemo struct {
	exec func(w io.Writer, data any) error // executes the block
	// kept is by list; it goes off when the lists keep changing (answers
	// differ): the block is then executed each time.
	kept recent[Sessions, string]
}

// print returns what the block prints for v.
func (m *blockMemo) print(v any) (string, error) {
	ss, ok := v.(Sessions)
	if ok {
		if out, hit := m.kept.find(func(of Sessions) bool { return sameSessions(of, ss) }); hit {
			return out, nil
		}
	}
	var b strings.Builder
	if err := m.exec(&b, v); err != nil {
		return "", err
	}
	out := b.String()
	if ok {
		m.kept.keep(cloneSessions(ss), out)
	}
	return out, nil
}

func (m *blockMemo) reset() { m.kept.reset() }

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

// memoCall is one template call: where it stands, to replace it and to
// put it back.
type memoCall struct {
	list *parse.ListNode
	i    int
	call *parse.TemplateNode
	fn   string // the function that prints it
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

// findCalls appends the template calls under n, and the names of the
// templates they call.
func findCalls(n parse.Node, calls []memoCall, called []string) ([]memoCall, []string) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return calls, called
		}
		for i, c := range n.Nodes {
			if t, ok := c.(*parse.TemplateNode); ok {
				calls = append(calls, memoCall{list: n, i: i, call: t})
				called = append(called, t.Name)
				continue
			}
			calls, called = findCalls(c, calls, called)
		}
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

// sessionsCalls are the calls of the sessions block among calls.
func sessionsCalls(calls []memoCall) []memoCall {
	var out []memoCall
	for _, c := range calls {
		if isMemoCall(c.call) {
			c.fn = memoFunction
			out = append(out, c)
		}
	}
	return out
}

// replaceCalls puts in place of each call an action printing its pipeline's
// value through its memo function: {{.Sessions | _outreach_sessions_memo}}.
func replaceCalls(calls []memoCall) {
	for _, c := range calls {
		t := c.call
		fn := parse.NewIdentifier(c.fn).SetPos(t.Pos)
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

// memoize replaces the calls of the sessions block, and of the blocks
// given the View that can be kept (viewmemo.go), in kt's bodies, and keeps
// the replacements only if the samples render the same with them.
func (kt *kindTemplates) memoize(views []*View, pure map[string]bool) {
	if len(views) == 0 {
		return
	}
	var calls []memoCall
	var resets []func()
	nfn := 0
	// viewCalls keeps the blocks given the View among found, each with a
	// memo of its own, executed by exec.
	viewCalls := func(found []memoCall, tree func(name string) *parse.Tree, exec func(name string) func(io.Writer, any) error,
		addFunc func(name string, f func(any) (string, error))) {
		memos := map[string]string{} // block → its function, "" if not kept
		for _, c := range found {
			name := c.call.Name
			if name == memoBlock || !isViewCall(c.call) {
				continue
			}
			fn, ok := memos[name]
			if !ok {
				memos[name] = ""
				t := tree(name)
				if t == nil || t.Root == nil {
					continue
				}
				paths, keep := blockPaths(t.Root, pure)
				if !keep {
					continue
				}
				run := exec(name)
				if run == nil {
					continue
				}
				nfn++
				fn = fmt.Sprintf("_outreach_block_memo_%d", nfn)
				m := &viewMemo{exec: run, paths: paths}
				addFunc(fn, m.print)
				kt.noteMemo(fn, name)
				resets = append(resets, m.reset)
				memos[name] = fn
			}
			if fn != "" {
				c.fn = fn
				calls = append(calls, c)
			}
		}
	}
	if kt.text != nil {
		found := textCalls(kt.text)
		if c := sessionsCalls(found); len(c) > 0 {
			m := &blockMemo{exec: func(w io.Writer, data any) error { return kt.text.ExecuteTemplate(w, memoBlock, data) }}
			kt.text.Funcs(ttemplate.FuncMap{memoFunction: m.print})
			calls, resets = append(calls, c...), append(resets, m.reset)
		}
		viewCalls(found, func(name string) *parse.Tree {
			if t := kt.text.Lookup(name); t != nil {
				return t.Tree
			}
			return nil
		}, func(name string) func(io.Writer, any) error {
			return func(w io.Writer, data any) error { return kt.text.ExecuteTemplate(w, name, data) }
		}, func(name string, f func(any) (string, error)) { kt.text.Funcs(ttemplate.FuncMap{name: f}) })
	}
	if kt.html != nil {
		// A wrapper is escaped here, once; a block is left as it is if
		// its wrapper does not escape or fails.
		found := htmlCalls(kt.html)
		if c := sessionsCalls(found); len(c) > 0 && wrapperOf(kt.html, memoBlock) != "" &&
			kt.html.ExecuteTemplate(io.Discard, memoWrapper, views[0].Sessions) == nil {
			m := &blockMemo{exec: func(w io.Writer, data any) error { return kt.html.ExecuteTemplate(w, memoWrapper, data) }}
			kt.html.Funcs(htemplate.FuncMap{memoFunction: m.print})
			calls, resets = append(calls, c...), append(resets, m.reset)
		}
		viewCalls(found, func(name string) *parse.Tree {
			if t := kt.html.Lookup(name); t != nil {
				return t.Tree
			}
			return nil
		}, func(name string) func(io.Writer, any) error {
			w := wrapperOf(kt.html, name)
			if w == "" || kt.html.ExecuteTemplate(io.Discard, w, views[0]) != nil {
				return nil
			}
			return func(out io.Writer, data any) error { return kt.html.ExecuteTemplate(out, w, data) }
		}, func(name string, f func(any) (string, error)) { kt.html.Funcs(htemplate.FuncMap{name: f}) })
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
	for _, r := range resets {
		r()
	}
}

// noteMemo notes that the memo function fn prints block (see
// kindTemplates.memoBlocks).
func (kt *kindTemplates) noteMemo(fn, block string) {
	if kt.memoBlocks == nil {
		kt.memoBlocks = map[string]string{}
	}
	kt.memoBlocks[fn] = block
}

// wrapperName names the template that calls block from plain HTML text.
func wrapperName(block string) string { return block + "$memo" }

// addWrappers adds to t, before it is first executed, a wrapper for each
// block it defines but main (see memoize): {{template "block" .}}. A name
// already taken is left as it is.
func addWrappers(t *htemplate.Template, main string) error {
	for _, b := range t.Templates() {
		name := b.Name()
		if name == main || strings.HasSuffix(name, "$memo") || t.Lookup(wrapperName(name)) != nil {
			continue
		}
		src := `{{template "` + strings.ReplaceAll(name, `"`, `\"`) + `" .}}`
		if _, err := t.New(wrapperName(name)).Parse(src); err != nil {
			return err
		}
	}
	return nil
}

// wrapperOf returns the wrapper of block in t, unless the name is taken by
// something else.
func wrapperOf(t *htemplate.Template, block string) string {
	w := t.Lookup(wrapperName(block))
	if w == nil || w.Tree == nil || len(w.Tree.Root.Nodes) != 1 {
		return ""
	}
	n, ok := w.Tree.Root.Nodes[0].(*parse.TemplateNode)
	if !ok || n.Name != block || !isViewCall(n) {
		return ""
	}
	return w.Name()
}
