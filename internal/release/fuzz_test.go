package release

import (
	"os"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
)

// FuzzInputs: no release.yaml or environment.yaml, however malformed, makes the loaders panic; every
// refusal is bad input (exit 2) in one line naming the file; what is accepted has safe ids, and every
// component a digest, when it has one, of the sha256:HEX form.
func FuzzInputs(f *testing.F) {
	f.Add("id: rel-1\nname: r\ncompose: c.yaml\ncomponents:\n  - {name: api, id: c, image: registry.example.com/a, digest: \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n")
	f.Add("id: env\nname: prod\ntier: production\nvariables: {A: b}\nsecrets: [{name: S, ref: r}]\nreplicas: {api: 2}\ntargets: [{id: t, name: t}]\n")
	f.Add("x: &a\n  <<: *a\n")
	for _, name := range []string{"release.yaml", "environment.yaml"} {
		if b, err := os.ReadFile("../../docs/examples/" + name); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"id: \"a\\nb\"\nname: r\n", "id: ../x\n", "id: r\nid: r\n", "components: [{name: api, digest: sha256:zz}]\n",
		"variables: {A: !!binary aGk=}\n", "replicas: {api: -1}\n", "replicas: {api: 99999999999999999999}\n",
		"secrets: [{name: S, ref: r}, {name: S, ref: q}]\n", "tier: \"\\u2028\"\n", "\ufeffid: r\n", "---\n---\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		rel, err := ParseRelease("release.yaml", []byte(doc))
		if err != nil {
			oneLineInput(t, err, "release.yaml")
		} else {
			if !IsSafeName(rel.ID) {
				t.Fatalf("release accepted with id %q", rel.ID)
			}
			for _, c := range rel.Components {
				if c.Digest != "" && !IsDigest(c.Digest) {
					t.Fatalf("component %s accepted with digest %q", c.Name, c.Digest)
				}
			}
		}
		env, err := ParseEnvironment("environment.yaml", []byte(doc))
		if err != nil {
			oneLineInput(t, err, "environment.yaml")
		} else if !IsSafeName(env.ID) {
			t.Fatalf("environment accepted with id %q", env.ID)
		}
	})
}

func oneLineInput(t *testing.T, err error, file string) {
	t.Helper()
	if fault.KindOf(err) != fault.Input {
		t.Fatalf("%s: %v is not bad input", file, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, file) || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("refusal %q is not one line naming %s", msg, file)
	}
}
