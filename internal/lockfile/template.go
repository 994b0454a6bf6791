// Package lockfile turns a Compose template into compose.stella.lock.yml: every image pinned to a digest
// with its original tag in a comment, Stella's labels on every service, replicas from the environment,
// and the x-stella block with the file's own checksum. Everything else in the template — variable
// references, $$ escapes, healthchecks, secrets, x- fields, comments — is kept as written; nothing is
// interpolated. The template is parsed once into a yaml.v3 node tree, validated against the Compose
// specification's JSON Schema (compose-go's, the one Docker Compose uses), edited in place and encoded
// once.
package lockfile

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/override"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/release"
	yaml "go.yaml.in/yaml/v3"
)

// Template is a parsed Compose template.
type Template struct {
	File     string
	src      []byte
	textOK   bool          // the text editor may render it (no anchors, one document)
	decoded  chan struct{} // closed once a concurrent Validator has decoded its copy of the tree
	doc      *yaml.Node    // document node
	root     *yaml.Node    // top-level mapping
	services []service
	// sources are the template and every file it includes or extends, as read.
	sources []Source
	// origin names the file a resolved service came from (an included one), for errors.
	origin map[string]string
	// lookup is the variables the checks interpolate with, for their errors; secrets are the names of
	// the environment's secrets among them (Environment), checked with the placeholder.
	lookup  Lookup
	secrets map[string]bool
}

// Source is one input file of a template.
type Source struct {
	Name string
	Data []byte
}

// Sources returns the template file and every file resolution read (include:, extends: file:), in the
// order they were first read.
func (t *Template) Sources() []Source { return t.sources }

type service struct {
	name string
	key  *yaml.Node
	node *yaml.Node // the service's mapping
}

// inputErr is a bad-input error naming file, line and field.
var inputErr = release.FieldError

var (
	yamlLine = lazyRegexp(`^yaml: line (\d+): (.*)$`)
	typeLine = lazyRegexp(`^line (\d+): (.*)$`)
)

// Parse reads a Compose template given as bytes. file names it in errors. It reads no other file: an
// include: or extends: {file:} is refused (a template that came as bytes — through the API, say — must not
// make Stella read files on its host). ParseFile is the CLI's form.
func Parse(file string, data []byte) (*Template, error) {
	return parse(file, data, false)
}

// ParseFile reads the Compose template read from the file named file: the files it includes or extends
// are read relative to its directory, as Compose reads them (see resolve.go).
func ParseFile(file string, data []byte) (*Template, error) {
	return parse(file, data, true)
}

func parse(file string, data []byte, readFiles bool) (*Template, error) {
	orig := data
	data = normalize(data)
	doc, err := decodeRoot(file, data)
	if err != nil {
		return nil, err
	}
	root := doc.Content[0]
	if l := ChecksumLines(data, 1); l != nil {
		n := bytes.Count(data[:l[0].Start], []byte("\n")) + 1
		return nil, inputErr(file, n, "", "a line with key sha256 and a 64-hex value is reserved for the lock's own checksum (x-stella.checksums.sha256); quote the key or move the value")
	}
	t := &Template{File: file, doc: doc, root: root, src: data, textOK: true, sources: []Source{{Name: file, Data: orig}}}
	aliased := root.Kind == yaml.MappingNode && hasAlias(root)
	expanded, err := mappingRoot(file, data, root)
	if err != nil {
		return nil, err
	}
	if aliased {
		doc.Content[0] = expanded
		root = expanded
		t.root, t.textOK = root, false
	}
	if root.Style&yaml.FlowStyle != 0 || bytes.Contains(data, []byte("\n---")) || bytes.Contains(data, []byte("\n...")) || bytes.ContainsRune(data, '\r') {
		t.textOK = false
	}
	if err := t.resolve(readFiles); err != nil {
		return nil, err
	}
	root = t.root
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.src = append(data[:len(data):len(data)], '\n')
	}
	var servicesNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		switch k.Value {
		case "x-stella":
			return nil, inputErr(file, k.Line, "x-stella", "reserved for Stella's metadata; remove it from the template")
		case "services":
			servicesNode = root.Content[i+1]
		}
	}
	if servicesNode == nil || servicesNode.Kind != yaml.MappingNode || len(servicesNode.Content) == 0 {
		line := root.Line
		if servicesNode != nil {
			line = servicesNode.Line
		}
		return nil, inputErr(file, line, "services", "required: at least one service")
	}
	for i := 0; i+1 < len(servicesNode.Content); i += 2 {
		k, v := servicesNode.Content[i], servicesNode.Content[i+1]
		if v.Kind != yaml.MappingNode {
			return nil, inputErr(file, k.Line, "services."+k.Value, "must be a mapping")
		}
		t.services = append(t.services, service{name: k.Value, key: k, node: v})
	}
	if err := t.checkUnpinned(); err != nil {
		return nil, err
	}
	return t, nil
}

// Validate checks the template against the Compose specification's JSON Schema (as compose-go ships
// it) after interpolating it with lookup's values, as Compose does (see Validator).
func (t *Template) Validate(lookup Lookup) error {
	v, err := t.Validator(lookup)
	if err != nil {
		return err
	}
	return t.SchemaError(v())
}

// Validator returns a function that validates a decoded copy of the template, so that validation may
// run concurrently with Render. The copy is interpolated first — variables take lookup's values, a
// required one without a value a placeholder — so typed fields written with a variable
// (pull_policy: ${PULL_POLICY:-always}) are checked as Compose checks them. Where Render will edit the
// text (the tree stays untouched), the copy is decoded inside that function, off the caller's path;
// renderTree, the fallback that does edit the tree, waits until the copy is taken. Elsewhere the copy is
// decoded now. The function's error goes through SchemaError once the tree is no longer being edited.
func (t *Template) Validator(lookup Lookup) (func() error, error) {
	t.lookup = lookup
	check := func(m map[string]any) error {
		m, err := interpolate(m, lookup)
		if err != nil {
			return interpolationError{err}
		}
		return validateModel(unique(m))
	}
	if !t.textOK {
		m, err := t.model()
		if err != nil {
			return nil, err
		}
		return func() error { return check(m) }, nil
	}
	t.decoded = make(chan struct{})
	return func() error {
		m, err := t.model()
		close(t.decoded)
		if err != nil {
			return err
		}
		return check(m)
	}, nil
}

// unique keeps one of equal list items (the same port, TZ=… twice), as Compose does before it validates
// where the schema asks for unique items; the lock keeps them as written and Compose does the same. Each
// service and top-level section is done on its own copy, so that one with an item EnforceUnicity cannot
// read (the volume ":/data", an empty port) is left as it is — to the schema and the loader check, which
// name its line — and the others are done whatever the map order.
func unique(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		svcs, ok := v.(map[string]any)
		if k != "services" || !ok {
			out[k] = dedupe(k, v)
			continue
		}
		done := make(map[string]any, len(svcs))
		for n, svc := range svcs {
			done[n] = dedupe("services", map[string]any{n: svc}).(map[string]any)[n]
		}
		out[k] = done
	}
	return out
}

// dedupe is EnforceUnicity of the top-level section key holding v, on a copy; v itself where it fails.
func dedupe(key string, v any) any {
	if u, err := override.EnforceUnicity(map[string]any{key: deepCopy(v)}); err == nil {
		return u[key]
	}
	return v
}

type interpolationError struct{ error }

func (e interpolationError) Unwrap() error { return e.error }

var schemaPath = lazyRegexp(`^(\S+) (.*)$`)

// SchemaError turns compose-go's "services.api.deploy additional properties 'x' not allowed" into a
// bad-input error naming the file and line; nil stays nil.
func (t *Template) SchemaError(err error) error {
	if err == nil {
		return nil
	}
	var ie interpolationError
	if errors.As(err, &ie) {
		return t.pathError("", ie.error)
	}
	if fault.KindOf(err) == fault.Input {
		return err
	}
	msg := err.Error()
	if m := schemaPath().FindStringSubmatch(msg); m != nil && strings.Contains(m[1], ".") || m != nil && m[1] == "services" {
		if file, line := t.locate(strings.Split(m[1], ".")); line > 0 {
			why := m[2]
			if why == "false schema" { // the schema's word for a property its additionalProperties: false refuses
				why = "unknown field: the Compose specification has no such attribute"
			}
			return inputErr(file, line, m[1], "%s%s", why, t.placeholderHint(strings.Split(m[1], ".")))
		}
	}
	var target *yaml.TypeError
	if errors.As(err, &target) {
		return inputErr(t.File, 0, "", "%v", err)
	}
	return inputErr(t.File, 0, "", "invalid Compose file: %s", msg)
}

// locate finds the file and line of a dotted path: a resource imported by include: is in its own file.
func (t *Template) locate(path []string) (string, int) {
	file := t.File
	if len(path) >= 2 {
		file = t.originOf(t.File, path[0]+"."+path[1])
	}
	return file, t.lineOf(path)
}

// lineOf finds the line of a dotted path of mapping keys (and list indexes).
func (t *Template) lineOf(path []string) int {
	n, line := t.root, 0
	for _, p := range path {
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

// HasService reports whether the template defines service.
func (t *Template) HasService(name string) bool {
	for _, s := range t.services {
		if s.name == name {
			return true
		}
	}
	return false
}

func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func del(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// maxExpanded bounds the nodes alias expansion may produce (a "billion laughs" template refers to an
// anchor that refers to an anchor…, doubling at every level).
const maxExpanded = 1 << 20

// expander replaces aliases by copies of their anchors' nodes.
type expander struct {
	file   string
	active map[*yaml.Node]bool // anchored nodes being expanded: an alias to one of them is a cycle
	budget int
	path   []string // keys from the document's root to the node being expanded ("[]" for a list item)
}

func (e *expander) fail(n *yaml.Node, format string, args ...any) error {
	return inputErr(e.file, n.Line, "", format, args...)
}

// expand returns a copy of n with every alias replaced by a copy of its anchor's node and every merge key
// (<<) folded into its mapping, keys given in the mapping itself winning. Anchors are dropped. An alias
// inside the node it refers to, or an expansion beyond maxExpanded nodes, is an error.
func (e *expander) expand(n *yaml.Node) (*yaml.Node, error) {
	if e.budget--; e.budget < 0 {
		return nil, e.fail(n, "aliases expand to more than %d nodes", maxExpanded)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || e.active[n.Alias] {
			return nil, e.fail(n, "alias *%s refers to the node that contains it", n.Value)
		}
		return e.expand(n.Alias)
	}
	if n.Anchor != "" {
		e.active[n] = true
		defer delete(e.active, n)
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	if n.Kind != yaml.MappingNode {
		e.path = append(e.path, "[]")
		defer func() { e.path = e.path[:len(e.path)-1] }()
		for _, x := range n.Content {
			y, err := e.expand(x)
			if err != nil {
				return nil, err
			}
			c.Content = append(c.Content, y)
		}
		return &c, nil
	}
	var own, merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			v, err := e.expand(v)
			if err != nil {
				return nil, err
			}
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				if s.Kind != yaml.MappingNode {
					return nil, e.fail(k, "a merge key (<<) takes a mapping or a list of mappings")
				}
				for j := 0; j+1 < len(s.Content); j += 2 {
					merged = append(merged, s.Content[j], s.Content[j+1])
				}
			}
			continue
		}
		ek, err := e.expand(k)
		if err != nil {
			return nil, err
		}
		e.path = append(e.path, ek.Value)
		ev, err := e.expand(v)
		e.path = e.path[:len(e.path)-1]
		if err != nil {
			return nil, err
		}
		own = append(own, ek, ev)
	}
	// A key of the mapping's own tagged !reset, where a merge gives it, takes the merged value:
	// Compose's parser removes the key it finds tagged !reset while it reads the mapping and the merge
	// fills it in (`<<: *base` with `environment: !reset {}` keeps base's environment). On a service's
	// attribute the reset still stops extends: from adding to it, which is what !override means there;
	// deeper, the service's own value wins over its base's anyway. Kept as written, the tag would drop
	// the key from the lock, which has no merge left to fill it.
	attr := len(e.path) == 2 && e.path[0] == "services"
	if len(merged) > 0 {
		fromMerge := map[string]*yaml.Node{}
		for i := 0; i+1 < len(merged); i += 2 {
			if _, ok := fromMerge[merged[i].Value]; !ok {
				fromMerge[merged[i].Value] = merged[i+1]
			}
		}
		for i := 0; i+1 < len(own); i += 2 {
			if m := fromMerge[own[i].Value]; m != nil && own[i+1].Tag == "!reset" {
				v := *m
				v.Style &^= yaml.TaggedStyle
				if attr {
					v.Tag = "!override"
				}
				own[i+1] = &v
			}
		}
	}
	seen := map[string]bool{}
	for i := 0; i < len(own); i += 2 {
		seen[own[i].Value] = true
	}
	c.Content = own
	for i := 0; i+1 < len(merged); i += 2 {
		if !seen[merged[i].Value] {
			seen[merged[i].Value] = true
			kc := *merged[i]
			c.Content = append(c.Content, &kc, merged[i+1])
		}
	}
	return &c, nil
}
