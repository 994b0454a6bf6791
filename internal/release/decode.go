package release

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	yaml "go.yaml.in/yaml/v3"
)

// FieldError is a bad-input error that names file, line and field: "release.yaml:7: components[1].digest:
// ...". A line of 0 or an empty field is left out.
func FieldError(file string, line int, field, format string, args ...any) error {
	return fault.Wrap(fault.Input, &FieldErr{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// FieldErr is the error FieldError makes, for callers that show the field another way (the API: a JSON
// pointer).
type FieldErr struct {
	File  string
	Line  int
	Field string // "components[1].digest"
	Msg   string
}

func (e *FieldErr) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		return loc + ": " + e.Field + ": " + e.Msg
	}
	return loc + ": " + e.Msg
}

// Pointer is the field as an RFC 6901 JSON pointer: components[1].digest → /components/1/digest.
func (e *FieldErr) Pointer() string {
	if e.Field == "" {
		return ""
	}
	path := strings.NewReplacer("[", ".", "]", "").Replace(e.Field)
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, part := range strings.Split(path, ".") {
		if part != "" {
			b.WriteString("/" + esc.Replace(part))
		}
	}
	return b.String()
}

var (
	yamlLineErr   = lazyRegexp(`^yaml: line (\d+): (.*)$`)
	typeLineErr   = lazyRegexp(`^line (\d+): (.*)$`)
	timeErr       = lazyRegexp(`parsing time "([^"]*)"`)
	unknownField  = lazyRegexp(`^field (\S+) not found in type \S+$`)
	cannotConvert = lazyRegexp("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// readFile reads an input file; a missing or unreadable file is bad input naming it.
func readFile(flag, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fault.Inputf("%s: cannot read %s: %v", flag, path, pe.Err)
		}
		return nil, fault.Inputf("%s: %v", flag, err)
	}
	return data, nil
}

// Lines maps the field paths of a decoded file ("approvers[1].action") to their lines.
type Lines map[string]int

// Near is the line of path, or of its nearest enclosing field that is in the file (a required field that
// is missing is reported on its parent's line); 0 when none is.
func (l Lines) Near(path string) int {
	for path != "" {
		if n, ok := l[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// DecodeStrict decodes one YAML document (a mapping) into out, a pointer to a struct, refusing unknown
// and duplicate fields; every error is bad input naming file, line and field. It returns the line of
// every field path and the document's node, for checks made after decoding.
func DecodeStrict(file string, data []byte, out any) (Lines, *yaml.Node, error) {
	return decodeStrict(file, data, out)
}

// decodeStrict decodes one YAML document into out, refusing unknown fields, and returns the node tree and
// the line of every field path for later errors.
func decodeStrict(file string, data []byte, out any) (Lines, *yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, yamlErr(file, nil, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, nil, FieldError(file, 0, "", "empty document")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, nil, FieldError(file, doc.Line, "", "must be a mapping of fields")
	}
	lines := Lines{}
	var keyAt = map[int][]string{} // line -> paths of keys on it
	walkPaths(doc, "", lines, keyAt)
	valueAt := map[string]string{} // scalar value -> path of its key
	walkValues(doc, "", valueAt)
	if err := DuplicateKeys(file, doc, ""); err != nil {
		return nil, nil, err
	}
	// Unknown fields are found on the tree already parsed (yaml.v3's KnownFields needs a second parse).
	if err := knownFields(file, doc, reflect.TypeOf(out), ""); err != nil {
		return nil, nil, err
	}
	if err := doc.Decode(out); err != nil {
		if m := timeErr().FindStringSubmatch(err.Error()); m != nil {
			if p, ok := valueAt[m[1]]; ok {
				return nil, nil, FieldError(file, lines[p], p, "%q is not a time (RFC 3339, e.g. 2026-01-10T14:00:00Z)", m[1])
			}
		}
		return nil, nil, yamlErr(file, keyAt, err)
	}
	return lines, doc, nil
}

func yamlErr(file string, keyAt map[int][]string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		m := typeLineErr().FindStringSubmatch(te.Errors[0])
		if m == nil {
			return FieldError(file, 0, "", "%s", te.Errors[0])
		}
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if u := unknownField().FindStringSubmatch(msg); u != nil {
			return FieldError(file, line, pathOn(keyAt, line, u[1]), "unknown field")
		}
		if c := cannotConvert().FindStringSubmatch(msg); c != nil {
			return FieldError(file, line, pathOn(keyAt, line, ""), "%q is not a valid %s", c[2], goTypeName(c[3]))
		}
		return FieldError(file, line, pathOn(keyAt, line, ""), "%s", msg)
	}
	if m := yamlLineErr().FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return FieldError(file, line, "", "malformed YAML: %s", m[2])
	}
	return FieldError(file, 0, "", "malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

func goTypeName(t string) string {
	switch {
	case t == "time.Time":
		return "time (RFC 3339, e.g. 2026-01-10T14:00:00Z)"
	case strings.HasPrefix(t, "map["):
		return "mapping"
	case strings.HasPrefix(t, "[]"):
		return "list"
	case t == "int":
		return "integer"
	case t == "string":
		return "string"
	}
	if i := strings.LastIndex(t, "."); i >= 0 {
		return strings.ToLower(t[i+1:]) + " mapping"
	}
	return t
}

// pathOn finds the field path of a key on line (named name, if given).
func pathOn(keyAt map[int][]string, line int, name string) string {
	for _, p := range keyAt[line] {
		if name == "" || strings.HasSuffix(p, name) {
			return p
		}
	}
	return name
}

func walkPaths(n *yaml.Node, prefix string, lines map[string]int, keyAt map[int][]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			lines[p] = k.Line
			keyAt[k.Line] = append(keyAt[k.Line], p)
			walkPaths(n.Content[i+1], p, lines, keyAt)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			lines[p] = c.Line
			walkPaths(c, p, lines, keyAt)
		}
	}
}

// DuplicateKeys reports the first mapping key that appears twice (YAML forbids it; yaml.v3's node
// decoder lets it pass), naming file, line and the key's path under prefix.
func DuplicateKeys(file string, n *yaml.Node, prefix string) error {
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			if seen[k.Value] {
				return FieldError(file, k.Line, p, "duplicate key")
			}
			seen[k.Value] = true
			if err := DuplicateKeys(file, n.Content[i+1], p); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := DuplicateKeys(file, c, fmt.Sprintf("%s[%d]", prefix, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func walkValues(n *yaml.Node, prefix string, out map[string]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if prefix != "" {
				p = prefix + "." + p
			}
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
				if _, ok := out[v.Value]; !ok {
					out[v.Value] = p
				}
			} else {
				walkValues(v, p, out)
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkValues(c, fmt.Sprintf("%s[%d]", prefix, i), out)
		}
	}
}

// knownFields refuses a mapping key that the Go type it decodes into has no field for, naming file,
// line and the field's path — what yaml.v3's KnownFields does, on a tree already parsed.
func knownFields(file string, n *yaml.Node, t reflect.Type, prefix string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}):
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				return FieldError(file, k.Line, p, "unknown field")
			}
			if err := knownFields(file, n.Content[i+1], ft, p); err != nil {
				return err
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := knownFields(file, n.Content[i+1], t.Elem(), prefix+"."+n.Content[i].Value); err != nil {
				return err
			}
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i, c := range n.Content {
			if err := knownFields(file, c, t.Elem(), fmt.Sprintf("%s[%d]", prefix, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// yamlFields maps the YAML names of a struct's fields (inline structs flattened) to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}
