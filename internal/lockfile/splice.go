package lockfile

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// The text editor: for the common shape of template — block style, no anchors or merge keys, no build
// sections — the lock is the template's own text with a few edits at positions the parser recorded:
// each image value replaced, a few lines inserted (labels, replicas, the tag comment), and the header and
// x-stella block added. That keeps every byte of the template the user wrote (comments, quoting, key
// order, blank lines) and costs a fraction of re-encoding the whole tree. Any shape it does not handle
// sends Render to the tree encoder instead; both give the same Compose model (TestSpliceMatchesEncode).

type edit struct {
	at   int    // byte offset in the template
	del  int    // bytes to delete from at
	text string // to insert at at
	seq  int    // order of edits at the same offset
}

type splicer struct {
	src   []byte
	lines []int // byte offset of the start of each line (1-based line n at lines[n-1])
	edits []edit
}

func newSplicer(src []byte) *splicer {
	lines := make([]int, 1, bytes.Count(src, []byte("\n"))+2)
	for i, c := range src {
		if c == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &splicer{src: src, lines: lines}
}

// offset is the byte offset of a node's line and column, or -1 when the column cannot be trusted to be
// a byte column (non-ASCII before it).
func (s *splicer) offset(line, col int) int {
	if line < 1 || line > len(s.lines) {
		return -1
	}
	start := s.lines[line-1]
	off := start + col - 1
	if off > len(s.src) {
		return -1
	}
	for _, c := range s.src[start:off] {
		if c >= 0x80 || c == '\t' {
			return -1
		}
	}
	return off
}

// lineEnd is the offset of the newline ending line (or the end of the text).
func (s *splicer) lineEnd(line int) int {
	if line < len(s.lines) {
		return s.lines[line] - 1
	}
	return len(s.src)
}

// afterLine is where text inserted after line goes.
func (s *splicer) afterLine(line int) int {
	if line < len(s.lines) {
		return s.lines[line]
	}
	return len(s.src)
}

func (s *splicer) indentOf(line int) int {
	i := s.lines[line-1]
	n := 0
	for i+n < len(s.src) && s.src[i+n] == ' ' {
		n++
	}
	return n
}

func (s *splicer) add(at, del int, text string) {
	s.edits = append(s.edits, edit{at: at, del: del, text: text, seq: len(s.edits)})
}

func (s *splicer) apply(prefix, suffix string) []byte {
	sort.SliceStable(s.edits, func(i, j int) bool {
		if s.edits[i].at != s.edits[j].at {
			return s.edits[i].at < s.edits[j].at
		}
		return s.edits[i].seq < s.edits[j].seq
	})
	size := len(prefix) + len(s.src) + len(suffix)
	for _, e := range s.edits {
		size += len(e.text)
	}
	out := make([]byte, 0, size+1)
	out = append(out, prefix...)
	pos := 0
	for _, e := range s.edits {
		out = append(out, s.src[pos:e.at]...)
		out = append(out, e.text...)
		pos = e.at + e.del
	}
	out = append(out, s.src[pos:]...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, suffix...)
}

// rawScalar is the exact text a single-line scalar node occupies at off, when it can be known.
func rawScalar(n *yaml.Node) (string, bool) {
	switch n.Style {
	case 0:
		return n.Value, true
	case yaml.DoubleQuotedStyle:
		return `"` + n.Value + `"`, !strings.ContainsAny(n.Value, "\"\\")
	case yaml.SingleQuotedStyle:
		return "'" + n.Value + "'", !strings.Contains(n.Value, "'")
	}
	return "", false
}

// quote renders a string as a YAML double-quoted scalar. JSON strings are valid YAML double-quoted
// scalars (YAML 1.2 is a superset of JSON); the values quoted here are ids, digests and references.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func isBlock(n *yaml.Node) bool { return n != nil && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0 }

// spliceService records the edits of one service; false means the text editor cannot do it.
func (s *splicer) spliceService(svc service, p Pin, labels [][2]string, replicas int, hasReplicas bool) bool {
	if !isBlock(svc.node) {
		return false
	}
	if k, _ := get(svc.node, "build"); k != nil {
		return false
	}
	if k, _ := get(svc.node, "scale"); k != nil && hasReplicas {
		return false
	}
	ik, iv := get(svc.node, "image")
	if iv == nil || iv.Kind != yaml.ScalarNode || iv.Line != ik.Line {
		return false
	}
	raw, ok := rawScalar(iv)
	off := s.offset(iv.Line, iv.Column)
	if !ok || off < 0 || !bytes.HasPrefix(s.src[off:], []byte(raw)) {
		return false
	}
	indent := strings.Repeat(" ", ik.Column-1)
	step := ik.Column - svc.key.Column
	if step <= 0 {
		return false
	}
	child := indent + strings.Repeat(" ", step)

	// The image, and its original tag in a comment on the same line (or the next, where the line has a
	// comment of its own).
	comment := "# Original tag: " + p.Tag
	if p.Tag == "" {
		comment = "# Original tag: none (pinned by digest)"
	}
	s.add(off, len(raw), p.Image())
	rest := s.src[off+len(raw) : s.lineEnd(iv.Line)]
	if len(bytes.TrimSpace(rest)) == 0 {
		s.add(off+len(raw), len(rest), " "+comment)
	} else {
		s.add(s.afterLine(iv.Line), 0, indent+comment+"\n")
	}
	afterImage := s.afterLine(iv.Line)

	// Labels: added first in an existing block mapping or sequence, or as a new mapping after the image.
	lk, lv := get(svc.node, "labels")
	var text strings.Builder
	switch {
	case lk == nil:
		text.WriteString(indent + "labels:\n")
		for _, kv := range labels {
			text.WriteString(child + kv[0] + ": " + quote(kv[1]) + "\n")
		}
		s.add(afterImage, 0, text.String())
	case isBlock(lv) && lv.Content[0].Line > lk.Line && lv.Kind == yaml.MappingNode:
		for i := 0; i < len(lv.Content); i += 2 {
			if strings.HasPrefix(lv.Content[i].Value, "stella.") {
				return false
			}
		}
		ci := strings.Repeat(" ", s.indentOf(lv.Content[0].Line))
		for _, kv := range labels {
			text.WriteString(ci + kv[0] + ": " + quote(kv[1]) + "\n")
		}
		s.add(s.afterLine(lk.Line), 0, text.String())
	case isBlock(lv) && lv.Content[0].Line > lk.Line && lv.Kind == yaml.SequenceNode:
		for _, it := range lv.Content {
			if strings.HasPrefix(it.Value, "stella.") {
				return false
			}
		}
		ci := strings.Repeat(" ", s.indentOf(lv.Content[0].Line))
		for _, kv := range labels {
			text.WriteString(ci + "- " + quote(kv[0]+"="+kv[1]) + "\n")
		}
		s.add(s.afterLine(lk.Line), 0, text.String())
	default:
		return false
	}

	// Replicas from the environment.
	if hasReplicas {
		n := strconv.Itoa(replicas)
		dk, dv := get(svc.node, "deploy")
		switch {
		case dk == nil:
			s.add(afterImage, 0, indent+"deploy:\n"+child+"replicas: "+n+"\n")
		case isBlock(dv) && dv.Kind == yaml.MappingNode && dv.Content[0].Line > dk.Line:
			rk, rv := get(dv, "replicas")
			if rk == nil {
				ci := strings.Repeat(" ", s.indentOf(dv.Content[0].Line))
				s.add(s.afterLine(dk.Line), 0, ci+"replicas: "+n+"\n")
				break
			}
			roff := s.offset(rv.Line, rv.Column)
			if rv.Kind != yaml.ScalarNode || rv.Style != 0 || roff < 0 || !bytes.HasPrefix(s.src[roff:], []byte(rv.Value)) {
				return false
			}
			s.add(roff, len(rv.Value), n)
		default:
			return false
		}
	}

	return true
}
