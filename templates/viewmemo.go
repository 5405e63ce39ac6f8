package templates

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template/parse"
	"time"
)

// The same goes for a block called with the View ({{template "contact" .}})
// whose output can depend only on a few of its fields: the block is kept
// per value of those fields when, read from its parse tree, it holds only
// text, actions and conditions on fields of the View (no ranges, no other
// templates, no variables but $), calls only pure functions (the
// templates' own, text/template's and html/template's escapers), and every
// field it names is a value that compares by its content (text, numbers,
// times, structs of them). The contact note, the facts and the footer are
// the same in every message of a round; a block that differs in every
// message (the closing names the mission) stops being kept.

// maxViewPaths bounds the fields a kept block may read.
const maxViewPaths = 16

// viewMemo keeps what one block printed, by the values of the fields it
// reads.
type viewMemo struct {
	exec  func(w io.Writer, data any) error // executes the block
	paths [][]int                           // each field read: the indexes from View down
	// kept is by copies of the fields' values; it goes off when it keeps
	// nothing worth keeping: the block is then executed each time.
	kept recent[[]reflect.Value, string]
}

// print returns what the block prints for v.
func (m *viewMemo) print(v any) (string, error) {
	off := m.kept.isOff()
	view, ok := v.(*View)
	var vals [maxViewPaths]reflect.Value
	if ok && view != nil && !off {
		rv := reflect.ValueOf(view).Elem()
		for i, p := range m.paths {
			if vals[i], ok = fieldAt(rv, p); !ok {
				break
			}
		}
	}
	if !ok || view == nil || off {
		return m.direct(v)
	}
	key := vals[:len(m.paths)]
	if out, hit := m.kept.find(func(k []reflect.Value) bool { return sameKey(k, key) }); hit {
		return out, nil
	}
	out, err := m.direct(v)
	if err != nil {
		return "", err
	}
	m.kept.keep(copyValues(key), out)
	return out, nil
}

// copyValues copies the values of key, so that what is kept is not the
// View's fields themselves.
func copyValues(key []reflect.Value) []reflect.Value {
	kept := make([]reflect.Value, len(key))
	for i, k := range key {
		c := reflect.New(k.Type()).Elem()
		c.Set(k)
		kept[i] = c
	}
	return kept
}

func (m *viewMemo) direct(v any) (string, error) {
	var b strings.Builder
	err := m.exec(&b, v)
	return b.String(), err
}

func (m *viewMemo) reset() { m.kept.reset() }

// fieldAt is the field at path (one index list per name) from v, false
// past a nil pointer.
func fieldAt(v reflect.Value, path []int) (reflect.Value, bool) {
	for _, i := range path {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

var (
	viewType = reflect.TypeFor[View]()
	timeType = reflect.TypeFor[time.Time]()
)

// isViewCall reports whether n is {{template "name" .}}.
func isViewCall(n *parse.TemplateNode) bool {
	if n.Pipe == nil || len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
		return false
	}
	_, ok := n.Pipe.Cmds[0].Args[0].(*parse.DotNode)
	return ok
}

// blockPaths returns the fields block reads, as index paths from View, and
// false when the block is not one to keep (see above). pure names the
// functions it may call besides html/template's escapers.
func blockPaths(root *parse.ListNode, pure map[string]bool) ([][]int, bool) {
	a := blockReader{pure: pure, seen: map[string]bool{}}
	if !a.node(root) || len(a.paths) > maxViewPaths {
		return nil, false
	}
	return a.paths, true
}

type blockReader struct {
	pure  map[string]bool
	seen  map[string]bool
	paths [][]int
}

func (a *blockReader) node(n parse.Node) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *parse.ListNode:
		if n == nil {
			return true
		}
		for _, c := range n.Nodes {
			if !a.node(c) {
				return false
			}
		}
		return true
	case *parse.TextNode, *parse.CommentNode:
		return true
	case *parse.ActionNode:
		return a.pipe(n.Pipe)
	case *parse.IfNode:
		return a.pipe(n.Pipe) && a.node(n.List) && a.node(n.ElseList)
	}
	return false
}

func (a *blockReader) pipe(p *parse.PipeNode) bool {
	if p == nil || len(p.Decl) > 0 {
		return false
	}
	for _, c := range p.Cmds {
		for _, arg := range c.Args {
			if !a.arg(arg) {
				return false
			}
		}
	}
	return true
}

func (a *blockReader) arg(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		return true
	case *parse.IdentifierNode:
		return a.pure[n.Ident] || strings.HasPrefix(n.Ident, "_html_template_")
	case *parse.PipeNode:
		return a.pipe(n)
	case *parse.FieldNode:
		return a.field(n.Ident)
	case *parse.VariableNode:
		// $ is the View the block is given.
		return len(n.Ident) > 1 && n.Ident[0] == "$" && a.field(n.Ident[1:])
	}
	return false
}

// field records the field at names from View, which must be fields (not
// methods, not map keys) down to a value that compares by its content.
func (a *blockReader) field(names []string) bool {
	path, t, ok := viewPath(names)
	if !ok {
		return false
	}
	if !contentType(t) {
		return false
	}
	if k := fmt.Sprint(path); !a.seen[k] {
		a.seen[k] = true
		a.paths = append(a.paths, path)
	}
	return true
}

// viewPath follows names from View through fields (not methods, not
// promoted or unexported fields) as far as they go: it returns the index
// path walked, the type reached, and whether every name was such a field.
func viewPath(names []string) ([]int, reflect.Type, bool) {
	t := viewType
	var path []int
	for _, name := range names {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return path, t, false
		}
		if _, ok := reflect.PointerTo(t).MethodByName(name); ok {
			return path, t, false
		}
		f, ok := t.FieldByName(name)
		if !ok || !f.IsExported() || len(f.Index) != 1 {
			return path, t, false
		}
		path = append(path, f.Index[0])
		t = f.Type
	}
	return path, t, true
}

// contentType reports whether values of t are equal exactly when == says
// so and hold nothing shared that could change: text, numbers, booleans,
// times, and arrays and structs of them.
func contentType(t reflect.Type) bool {
	if t == timeType {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Array:
		return contentType(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !contentType(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}
