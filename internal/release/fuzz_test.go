package release

import (
	"testing"

	"github.com/stella-ops/stella/internal/fault"
)

// FuzzInputs: no release.yaml or environment.yaml, however malformed, makes the loaders panic, and every
// refusal is bad input (exit 2).
func FuzzInputs(f *testing.F) {
	f.Add("id: rel-1\nname: r\ncompose: c.yaml\ncomponents:\n  - {name: api, id: c, image: registry.example.com/a, digest: \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n")
	f.Add("id: env\nname: prod\ntier: production\nvariables: {A: b}\nsecrets: [{name: S, ref: r}]\nreplicas: {api: 2}\ntargets: [{id: t, name: t}]\n")
	f.Add("x: &a\n  <<: *a\n")
	f.Fuzz(func(t *testing.T, doc string) {
		if _, err := ParseRelease("release.yaml", []byte(doc)); err != nil && fault.KindOf(err) != fault.Input {
			t.Fatalf("release: %v is not bad input", err)
		}
		if _, err := ParseEnvironment("environment.yaml", []byte(doc)); err != nil && fault.KindOf(err) != fault.Input {
			t.Fatalf("environment: %v is not bad input", err)
		}
	})
}
