package lockfile

import (
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/release"
)

// FuzzRender: no template, however malformed, makes Parse, Pins or Render panic; whatever renders has a
// self-checksum that holds. Seeds run with go test; go test -fuzz FuzzRender explores further.
func FuzzRender(f *testing.F) {
	for _, tpl := range spliceTemplates {
		f.Add(tpl)
	}
	f.Add("services:\n  api: {image: registry.example.com/myapp/api:v1}\n")
	f.Add("x-a: &a\n  image: registry.example.com/myapp/api:v1\nservices:\n  api:\n    <<: *a\n")
	f.Add("services:\n  api:\n    image: registry.example.com/myapp/api:v1\n    labels: [a]\n    environment: {A: null}\n")
	rel := &release.Release{ID: "rel-1", Name: "r", Components: []release.Component{
		{Name: "api", ID: "comp-api", Image: "registry.example.com/myapp/api", Tag: "v1", Digest: digest("api")},
	}}
	env := &release.Environment{ID: "env", Name: "prod", Tier: "production",
		Secrets: []release.SecretRef{{Name: "DATABASE_URL", Ref: "vault://x"}}, Replicas: map[string]int{"api": 2}}
	f.Fuzz(func(t *testing.T, tpl string) {
		tp, err := Parse("compose.yaml", []byte(tpl))
		if err != nil {
			return
		}
		pins, err := tp.Pins(rel)
		if err != nil {
			return
		}
		for i := range pins {
			if pins[i].Digest == "" {
				pins[i].Digest = digest(pins[i].Reference)
			}
		}
		out, err := tp.Render(pins, Meta{Release: rel, Environment: env, TenantID: "t", DeploymentID: "d", Now: time.Unix(0, 0), Generator: "g"})
		if err != nil {
			return
		}
		if rec, got := SelfChecksum(out); rec == "" || rec != got {
			t.Fatalf("self checksum %q, recomputed %q:\n%s", rec, got, out)
		}
	})
}
