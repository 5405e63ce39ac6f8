package message

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// corpusSeeds are the reply corpus's messages (replies/testdata/corpus:
// calendar replies, letters, bounces, auto-replies from real clients'
// shapes) and a few broken ones.
func corpusSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "replies", "testdata", "corpus", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus to seed from: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"From: a@b\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a--\r\n",
		"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n",
		"Content-Type: text/html\r\n\r\n<script><!--</script><table><tr><td>Peru</td><td>yes</td></tr></table>",
	} {
		f.Add([]byte(s))
	}
}

// treeDepth is the depth of the tree below n, attached messages included.
func treeDepth(n *Part) int {
	if n == nil {
		return 0
	}
	d := 0
	for _, k := range n.Parts {
		d = max(d, treeDepth(k))
	}
	d = max(d, treeDepth(n.Inner))
	return d + 1
}

// FuzzMIMEWalk: the MIME walk stays within its limits, every body it
// returns lies inside the input, and every text part decodes to valid
// UTF-8 within its limit.
func FuzzMIMEWalk(f *testing.F) {
	corpusSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var w Walker
		root := w.ParseMessage(raw, 0, 0)
		if root == nil {
			t.Fatal("nil root")
		}
		if w.parts > MaxParts {
			t.Fatalf("%d parts, limit %d", w.parts, MaxParts)
		}
		if d := treeDepth(root); d > MaxDepth+1 {
			t.Fatalf("depth %d, limit %d", d, MaxDepth)
		}
		nodes := 0
		Walk(root, func(n *Part) {
			nodes++
			if n.MediaType == "" {
				t.Errorf("node without a media type")
			}
			if n.Embedded == 0 && len(n.Body) > 0 && !within(n.Body, raw) {
				t.Errorf("a body of %d bytes outside the input", len(n.Body))
			}
			if n.IsMultipart() || n.Inner != nil {
				return
			}
			const limit = 4 << 10
			if d := DecodeCTE(n.Header.Get("content-transfer-encoding"), n.Body, limit); len(d) > limit {
				t.Errorf("decoded %d bytes, limit %d", len(d), limit)
			}
			if s := n.Text(limit); !utf8.ValidString(s) {
				t.Errorf("text of a %s part is not UTF-8: %q", n.MediaType, s)
			}
			if n.MediaType == "text/html" {
				if s := HTMLToText(n.Text(limit)); !utf8.ValidString(s) {
					t.Errorf("HTML text is not UTF-8: %q", s)
				}
			}
		})
		if nodes > MaxParts+1 {
			t.Fatalf("walk visited %d nodes, limit %d", nodes, MaxParts)
		}
		for _, h := range []Header{root.Header} {
			if len(h) > MaxFields {
				t.Fatalf("%d header fields, limit %d", len(h), MaxFields)
			}
			for _, fl := range h {
				if len(fl.Value) > MaxField+1 {
					t.Fatalf("a header field of %d bytes, limit %d", len(fl.Value), MaxField)
				}
			}
		}
	})
}

// within reports whether b is a sub-slice of s (shares its memory).
func within(b, s []byte) bool {
	off := cap(s) - cap(b)
	if len(b) == 0 || off < 0 || off+len(b) > len(s) {
		return false
	}
	return &s[off] == &b[0]
}
