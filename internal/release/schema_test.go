package release_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/release"
)

// The JSON Schemas in docs/schemas describe the input files that LoadRelease and LoadEnvironment read.
// These tests keep them honest: each example validates against its schema (and loads), a mutated
// example is refused by the schema (and, for release and environment, by the loader too), and every
// field of the Go model is a property of the schema and the other way round.

const (
	schemaDir  = "../../docs/schemas"
	exampleDir = "../../docs/examples"
)

func compile(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	path, err := filepath.Abs(filepath.Join(schemaDir, name+".schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

// example returns the example file's bytes and its YAML decoded as JSON values (strings, float64,
// bool, []any, map[string]any), which is what a JSON Schema validates.
func example(t *testing.T, name string) ([]byte, any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(exampleDir, name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return data, toJSON(t, data)
}

func toJSON(t *testing.T, yamlData []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(yamlData, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// loaders parse a document of each kind with its loader.
var loaders = map[string]func(file string, data []byte) error{
	"release": func(file string, data []byte) error {
		_, err := release.ParseRelease(file, data)
		return err
	},
	"environment": func(file string, data []byte) error {
		_, err := release.ParseEnvironment(file, data)
		return err
	},
	"promotion": func(file string, data []byte) error {
		_, err := evidence.ParsePromotion(file, data)
		return err
	},
}

func TestExamplesValidate(t *testing.T) {
	for _, name := range []string{"release", "environment", "promotion"} {
		t.Run(name, func(t *testing.T) {
			sch := compile(t, name)
			data, doc := example(t, name)
			if err := sch.Validate(doc); err != nil {
				t.Errorf("docs/examples/%s.yaml does not match its schema: %v", name, err)
			}
			if load := loaders[name]; load != nil {
				if err := load(filepath.Join(exampleDir, name+".yaml"), data); err != nil {
					t.Errorf("the loader refuses docs/examples/%s.yaml: %v", name, err)
				}
			}
		})
	}
	// The release names a Compose template that is there.
	r, err := release.LoadRelease(filepath.Join(exampleDir, "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.ComposePath); err != nil {
		t.Errorf("the example release's compose file: %v", err)
	}
}

// mutation changes the example at a path ("components.0.id"): sets the value, or deletes the key when
// the value is del.
type mutation struct {
	why   string
	path  string
	value any
}

var del = new(int)

var mutations = map[string][]mutation{
	"release": {
		{"unknown top-level field", "colour", "blue"},
		{"unknown component field", "components.0.colour", "blue"},
		{"unknown sourceRef field", "sourceRef.colour", "blue"},
		{"missing id", "id", del},
		{"missing name", "name", del},
		{"missing compose", "compose", del},
		{"missing component id", "components.1.id", del},
		{"missing component name", "components.0.name", del},
		{"missing component image", "components.0.image", del},
		{"id not a safe name", "id", "../rel"},
		{"id starting with '-'", "id", "-rel"},
		{"id too long", "id", strings.Repeat("r", 129)},
		{"bad digest", "components.0.digest", "sha256:abc"},
		{"bad role", "components.0.role", "leader"},
		{"createdAt not a time", "createdAt", "yesterday"},
		{"components not a list", "components", "api"},
	},
	"environment": {
		{"unknown top-level field", "colour", "blue"},
		{"unknown registries field", "registries.colour", "blue"},
		{"unknown target field", "targets.0.colour", "blue"},
		{"unknown secret field", "secrets.0.value", "hunter2"},
		{"missing id", "id", del},
		{"missing name", "name", del},
		{"missing tier", "tier", del},
		{"missing secret ref", "secrets.0.ref", del},
		{"missing target name", "targets.1.name", del},
		{"bad tier", "tier", "qa"},
		{"bad variable name", "variables.1BAD", "x"},
		{"bad secret name", "secrets.0.name", "db-url"},
		{"negative replicas", "replicas.api", -1},
		{"fractional replicas", "replicas.api", 1.5},
		{"bad deployTimeout", "deployTimeout", "ten minutes"},
		{"bad driftCorrection", "driftCorrection", "fix-it"},
		{"bad driftInterval", "driftInterval", "5 minutes"},
		{"empty mirror", "registries.mirrors.docker\\.io", ""},
		{"empty insecure host", "registries.insecure.0", ""},
		{"target id not a safe name", "targets.0.id", "tgt/1"},
	},
	"promotion": {
		{"unknown top-level field", "colour", "blue"},
		{"unknown requester field", "requester.phone", "555"},
		{"unknown approver field", "approvers.0.role", "boss"},
		{"unknown gate field", "gates.0.colour", "blue"},
		{"missing id", "id", del},
		{"missing requester", "requester", del},
		{"missing decision", "decision", del},
		{"missing requester id", "requester.id", del},
		{"missing approver action", "approvers.0.action", del},
		{"missing gate status", "gates.0.status", del},
		{"bad decision", "decision", "maybe"},
		{"bad approver action", "approvers.0.action", "shrugged"},
		{"approver time not a time", "approvers.0.at", "noon"},
		{"bad email", "requester.email", "jane"},
	},
}

func TestSchemasRefuse(t *testing.T) {
	for name, ms := range mutations {
		sch := compile(t, name)
		for _, m := range ms {
			t.Run(name+"/"+m.why, func(t *testing.T) {
				_, doc := example(t, name)
				mutate(t, doc, m.path, m.value)
				if err := sch.Validate(doc); err == nil {
					t.Errorf("the %s schema accepts the example with %s", name, m.why)
				}
				load := loaders[name]
				if load == nil {
					return
				}
				y, err := yaml.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				err = load(filepath.Join(exampleDir, name+".yaml"), y)
				if err == nil {
					t.Errorf("the %s loader accepts the example with %s:\n%s", name, m.why, y)
				}
			})
		}
	}
}

// mutate applies one mutation to a decoded document. Path elements are map keys or list indexes;
// "\." escapes a dot inside a key.
func mutate(t *testing.T, doc any, path string, value any) {
	t.Helper()
	parts := strings.Split(strings.ReplaceAll(path, `\.`, "\x00"), ".")
	for i := range parts {
		parts[i] = strings.ReplaceAll(parts[i], "\x00", ".")
	}
	cur := doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if value == del {
					if _, ok := c[p]; !ok {
						t.Fatalf("mutate %s: no %q to delete", path, p)
					}
					delete(c, p)
				} else {
					c[p] = value
				}
				return
			}
			next, ok := c[p]
			if !ok {
				t.Fatalf("mutate %s: no %q", path, p)
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n >= len(c) {
				t.Fatalf("mutate %s: bad index %q", path, p)
			}
			if last {
				if value == del {
					t.Fatalf("mutate %s: cannot delete a list element", path)
				}
				c[n] = value
				return
			}
			cur = c[n]
		default:
			t.Fatalf("mutate %s: %q is inside a %T", path, p, cur)
		}
	}
}

// Every YAML field of the model is a property of the schema, and every property is a field: the schema
// and the loader (which refuses unknown fields) accept the same names.
func TestSchemasMatchModel(t *testing.T) {
	for _, c := range []struct {
		schema string
		at     []string // path to a "properties" object in the schema
		typ    any
	}{
		{"release", []string{"properties"}, release.Release{}},
		{"release", []string{"$defs", "component", "properties"}, release.Component{}},
		{"release", []string{"properties", "sourceRef", "properties"}, release.SourceRef{}},
		{"environment", []string{"properties"}, release.Environment{}},
		{"environment", []string{"properties", "secrets", "items", "properties"}, release.SecretRef{}},
		{"environment", []string{"properties", "registries", "properties"}, release.Registries{}},
		{"environment", []string{"properties", "targets", "items", "properties"}, release.Target{}},
	} {
		raw, err := os.ReadFile(filepath.Join(schemaDir, c.schema+".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		var node any
		if err := json.Unmarshal(raw, &node); err != nil {
			t.Fatal(err)
		}
		for _, k := range c.at {
			node = node.(map[string]any)[k]
		}
		var props []string
		for k := range node.(map[string]any) {
			props = append(props, k)
		}
		slices.Sort(props)
		var fields []string
		rt := reflect.TypeOf(c.typ)
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				fields = append(fields, tag)
			}
		}
		slices.Sort(fields)
		if !slices.Equal(props, fields) {
			t.Errorf("%s schema %s has properties %q; the model %s has fields %q", c.schema, strings.Join(c.at, "."), props, rt, fields)
		}
	}
}

// The example `stella quickstart` writes matches the schemas too.
func TestQuickstartExampleValidates(t *testing.T) {
	for _, name := range []string{"release", "environment", "promotion"} {
		sch := compile(t, name)
		data, err := os.ReadFile(filepath.Join("..", "quickstart", "example", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(toJSON(t, data)); err != nil {
			t.Errorf("internal/quickstart/example/%s.yaml does not match its schema: %v", name, err)
		}
	}
}
