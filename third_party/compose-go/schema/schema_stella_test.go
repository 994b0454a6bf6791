package schema

import (
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The embedded schema is compiled without metaschema validation (Stella's patch in compileSchema):
// it must pass that validation here.
func TestEmbeddedSchemaIsValid(t *testing.T) {
	c := jsonschema.NewCompiler()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("compose-spec.json", doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile("compose-spec.json"); err != nil {
		t.Fatalf("the embedded Compose schema does not validate against its metaschema: %v", err)
	}
	if err := Validate(map[string]any{"services": map[string]any{"web": map[string]any{"image": "nginx", "colour": "blue"}}}); err == nil {
		t.Fatal("the skipped validation compiled a schema that accepts an unknown service field")
	}
}

// Definition (Stella's patch) compiles a part of the schema Validate uses with the same compiler: the
// service definition accepts a service and refuses an unknown field, also while Validate runs.
func TestDefinitionSharesTheCompiledSchema(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		done <- Validate(map[string]any{"services": map[string]any{"web": map[string]any{"image": "nginx"}}})
	}()
	svc, err := Definition("#/$defs/service")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Validate(map[string]any{"image": "nginx", "ports": []any{"80:80"}}); err != nil {
		t.Errorf("a valid service: %v", err)
	}
	if err := svc.Validate(map[string]any{"image": "nginx", "colour": "blue"}); err == nil {
		t.Error("the service definition accepts an unknown field")
	}
	if err := <-done; err != nil {
		t.Errorf("Validate beside Definition: %v", err)
	}
	whole, err := Compiled()
	if err != nil || whole == nil {
		t.Fatalf("Compiled: %v, %v", whole, err)
	}
	if _, err := Definition("#/$defs/nothing-here"); err == nil {
		t.Error("a reference to no definition compiled")
	}
}
