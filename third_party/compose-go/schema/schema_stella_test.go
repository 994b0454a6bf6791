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
