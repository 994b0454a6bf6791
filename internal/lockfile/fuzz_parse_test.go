package lockfile

import (
	"os"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
)

// FuzzParse: a Compose template is outside input. No template makes Parse or Validate (after interpolation) panic, and every
// refusal of either is bad input (exit 2) naming the file. (FuzzRender goes on to pin and render what
// is accepted.)
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../docs/examples/compose.yaml"); err == nil {
		f.Add(string(b))
	}
	for _, tpl := range spliceTemplates {
		f.Add(tpl)
	}
	for _, s := range []string{
		"services:\n  api: {image: a, deploy: {x: 1}}\n", "services:\n  api:\n    image: a\n    image: b\n",
		"services: []\n", "services: {api: null}\n", "services:\n  api: {image: a, ports: [\"99999:1\"]}\n",
		"x-stella-checksum: sha256:00\nservices: {api: {image: a}}\n", "services:\n  \"a\\nb\": {image: a}\n",
		"version: '3'\nservices: {api: {image: \"${X:?\\n}\"}}\n", "a: &a [*a, *a, *a]\n", "", "---\n---\n", "\t",
	} {
		f.Add(s)
	}
	// As at generation: some variables known, the others unknown (a secret, say).
	lookup := func(name string) (string, bool) {
		switch name {
		case "TAG", "PORT":
			return "1", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, tpl string) {
		tp, err := Parse("compose.yaml", []byte(tpl))
		if err == nil {
			err = tp.Validate(lookup)
		}
		if err == nil {
			return
		}
		if fault.KindOf(err) != fault.Input {
			t.Fatalf("%v is not bad input", err)
		}
		if !strings.HasPrefix(err.Error(), "compose.yaml") {
			t.Fatalf("refusal %q does not name the file", err)
		}
	})
}
