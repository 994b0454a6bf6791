package lockfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stella-ops/stella/internal/release"
	yaml "go.yaml.in/yaml/v3"
)

// The Compose specification's JSON Schema, exactly as compose-go ships it, compiled once: compose-go's
// own compiled copy (the one its loader validates with) and its service definition from the same
// compiler (third_party's patch: schema.Compiled, schema.Definition). Validating with it directly spares
// compose-go's JSON round trip of the whole model (its validator refuses Go types other than JSON's, which
// toJSON never makes) and lets services be validated in parallel; when the model is invalid, compose-go's
// own Validate words the error, as Docker Compose users know it.
var composeSchema = sync.OnceValues(func() (*compiledSchema, error) {
	whole, err := schema.Compiled()
	if err != nil {
		return nil, err
	}
	service, err := schema.Definition("#/$defs/service")
	if err != nil {
		return nil, err
	}
	return &compiledSchema{whole: whole, service: service}, nil
})

// compiledSchema is the whole Compose schema and its service definition, which the whole schema applies
// to every value of services.
type compiledSchema struct {
	whole, service *jsonschema.Schema
}

// WarmUp compiles the Compose schema in the background (about 15 ms, once per process; the template's
// validation and the loader check share it) so that the first validation does not wait for it; call it
// at the start of a command that will generate.
func WarmUp() {
	go func() { _, _ = composeSchema() }()
}

// validateModel validates the model against the Compose schema. The services — nearly all of the work
// in a large template — are validated one by one against the service definition on every core, and the
// rest of the model with each service replaced by {}: the same rules the whole schema applies. When
// several services are invalid, the error is the first one's in name order, so the message is the same
// on every run; compose-go's own Validate words it, as Docker Compose users know it.
func validateModel(m map[string]any) error {
	s, err := composeSchema()
	if err != nil {
		return fmt.Errorf("compile the Compose schema: %w", err)
	}
	return validateSplit(s, m)
}

func validateSplit(s *compiledSchema, m map[string]any) error {
	services, ok := m["services"].(map[string]any)
	if !ok {
		if err := s.whole.Validate(m); err != nil {
			return word(m, err)
		}
		return nil
	}
	top := make(map[string]any, len(m))
	for k, v := range m {
		top[k] = v
	}
	stubs := make(map[string]any, len(services))
	names := slices.Sorted(maps.Keys(services))
	for _, name := range names {
		stubs[name] = map[string]any{}
	}
	top["services"] = stubs
	if err := s.whole.Validate(top); err != nil {
		return word(top, err)
	}
	workers := min(runtime.GOMAXPROCS(0), len(names))
	first := make([]int, workers) // each worker's first invalid service (workers go in name order)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		first[w] = -1
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				if s.service.Validate(services[names[i]]) != nil {
					first[w] = i
					return
				}
			}
		}(w)
	}
	wg.Wait()
	bad := -1
	for _, i := range first {
		if i >= 0 && (bad < 0 || i < bad) {
			bad = i
		}
	}
	if bad < 0 {
		return nil
	}
	name := names[bad]
	one := map[string]any{"services": map[string]any{name: services[name]}}
	if err := schema.Validate(one); err != nil {
		return err
	}
	return fmt.Errorf("services.%s: %w", name, s.service.Validate(services[name]))
}

// word has compose-go word a schema error; err stays when compose-go finds none.
func word(m map[string]any, err error) error {
	if cerr := schema.Validate(m); cerr != nil {
		return cerr
	}
	return err
}

// toJSON converts a node tree (without aliases) into the values encoding/json would give: maps, slices,
// strings, float64/int64, bools and nil. ok is false for a shape it does not know (then the caller
// decodes the node the general way).
func toJSON(n *yaml.Node) (v any, ok bool) { return toValues(n, false) }

// toMerge is toJSON for values that are merged and encoded again (extends, rebased paths): an unquoted
// timestamp stays a time.Time, which the encoder writes as a timestamp again, so that Compose reads the
// same value from the lock as from the template (`BUILD_DATE: 2026-01-01` in an environment mapping is
// "2026-01-01 00:00:00 +0000 UTC" to Compose, not the string as written).
func toMerge(n *yaml.Node) (v any, ok bool) { return toValues(n, true) }

func toValues(n *yaml.Node, times bool) (v any, ok bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, false
		}
		return toValues(n.Content[0], times)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return nil, false
			}
			v, ok := toValues(n.Content[i+1], times)
			if !ok {
				return nil, false
			}
			m[k.Value] = v
		}
		return m, true
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, ok := toValues(c, times)
			if !ok {
				return nil, false
			}
			s[i] = v
		}
		return s, true
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!timestamp":
			var t time.Time
			if times && n.Decode(&t) == nil {
				return t, true
			}
			return n.Value, true
		case "!!str", "!!binary":
			return n.Value, true
		case "!!null":
			return nil, true
		case "!!bool":
			b, err := strconv.ParseBool(strings.ToLower(n.Value))
			return b, err == nil
		case "!!int":
			v := strings.ReplaceAll(n.Value, "_", "")
			if i, err := strconv.ParseInt(v, 0, 64); err == nil {
				if i == 0 && times && strings.HasPrefix(v, "-") {
					return math.Copysign(0, -1), true // Compose reads -0 as -0, and so writes it again
				}
				return int(i), true // int, as decoding gives it (compose-go's EnforceUnicity reads ports and expose as int)
			}
			// Past int64, as yaml.v3 decodes it: uint64, else a float (12345678901234567890 as a build id).
			if u, err := strconv.ParseUint(v, 0, 64); err == nil {
				return u, true
			}
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil && !math.IsInf(f, 0)
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, false
			}
			return f, true
		}
	}
	return nil, false
}

// model is the template as JSON-shaped values, for the schema. A mapping key that is not a string is
// refused at its line, as Compose refuses it.
func (t *Template) model() (map[string]any, error) {
	if v, ok := toJSON(t.root); ok {
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
	}
	if k := nonStringKey(t.root, ""); k != nil {
		file, _ := t.locate(strings.Split(k.path, "."))
		return nil, inputErr(file, k.node.Line, k.path, "a mapping key must be a string (Compose refuses %s keys); quote it", strings.TrimPrefix(k.node.ShortTag(), "!!"))
	}
	var m map[string]any
	if err := t.root.Decode(&m); err != nil {
		return nil, inputErr(t.File, 0, "", "%v", err)
	}
	// compose-go's own path: decoded, then through JSON (a timestamp becomes its string, as the schema
	// wants it; the sweep's BUILD_DATE: 2024-01-01 beside a number toJSON refused was reported as no
	// JSON type). A value JSON has no form for (.inf) is left to the schema.
	if b, err := json.Marshal(m); err == nil {
		var back map[string]any
		if json.Unmarshal(b, &back) == nil {
			return back, nil
		}
	}
	return m, nil
}

type keyAt struct {
	node *yaml.Node
	path string
}

func nonStringKey(n *yaml.Node, path string) *keyAt {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := joinPath(path, k.Value)
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return &keyAt{k, p}
			}
			if r := nonStringKey(n.Content[i+1], p); r != nil {
				return r
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if r := nonStringKey(c, joinPath(path, strconv.Itoa(i))); r != nil {
				return r
			}
		}
	}
	return nil
}

// ValidCache remembers templates that passed the schema, by ValidKey, so that generating the same template
// again (for the next environment, the next deployment) skips compiling and running the schema.
type ValidCache interface {
	Valid(key string) bool
	Remember(key string)
}

var schemaSum = sync.OnceValue(func() [32]byte { return sha256.Sum256([]byte(schema.Schema)) })

// checkVersion names the checks a ValidKey vouches for: Stella's (change the number when they change)
// and compose-go's loader, by the module version this binary was built with.
var checkVersion = sync.OnceValue(func() string {
	v := "stella-compose-checks/3"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/compose-spec/compose-go/v2" {
				v += " compose-go/" + d.Version
				if d.Replace != nil { // third_party's patched copy (same checks, faster)
					v += "+stella-patch"
				}
			}
		}
	}
	return v
})

// ValidKey names what the checks of a template depend on: this build's Compose schema and checks, every
// file of the template (its own and those it includes or extends) and what the environment gives Compose
// (variables, secret names, replicas) — SHA-256 over all of them, each length-prefixed.
func (t *Template) ValidKey(env *release.Environment) string {
	h := sha256.New()
	s := schemaSum()
	h.Write(s[:])
	field := func(v string) { fmt.Fprintf(h, "%d:%s", len(v), v) }
	field(checkVersion())
	for _, src := range t.sources {
		field(src.Name)
		field(string(src.Data))
	}
	if env != nil {
		for _, k := range slices.Sorted(maps.Keys(env.Variables)) {
			field("var " + k)
			field(env.Variables[k])
		}
		for _, sr := range env.Secrets {
			field("secret " + sr.Name)
		}
		for _, k := range slices.Sorted(maps.Keys(env.Replicas)) {
			field("replicas " + k)
			field(strconv.Itoa(env.Replicas[k]))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DirCache is a ValidCache of empty marker files in a directory (the data directory's
// cache/compose-valid). A marker is written only after the template validated; a missing or unwritable
// directory only means no cache.
type DirCache struct{ Dir string }

// Valid reports whether key was remembered.
func (c DirCache) Valid(key string) bool {
	_, err := os.Stat(filepath.Join(c.Dir, key))
	return err == nil
}

// Empty reports whether nothing was ever remembered (no directory, or nothing in it).
func (c DirCache) Empty() bool {
	d, err := os.Open(c.Dir)
	if err != nil {
		return true
	}
	defer d.Close()
	names, _ := d.Readdirnames(1)
	return len(names) == 0
}

// Remember records key.
func (c DirCache) Remember(key string) {
	if os.MkdirAll(c.Dir, 0o755) != nil {
		return
	}
	if f, err := os.OpenFile(filepath.Join(c.Dir, key), os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		f.Close()
	}
}
