package lockfile

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stella-ops/stella/internal/release"
)

func digest(s string) string { return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s))) }

var spliceTemplates = map[string]string{
	"mapping-labels": `services:
  api:
    image: registry.example.com/myapp/api:v1
    labels:
      team: a
    deploy:
      replicas: 4
`,
	"list-labels-compact": `services:
  api:
    image: "registry.example.com/myapp/api:v1"
    labels:
    - a=b
    environment:
    - DATABASE_URL
    - LOG_LEVEL
`,
	"no-labels-no-deploy": `# head
services:

  api:
    image: registry.example.com/myapp/api   # no tag
    command: ["serve"]
  db:
    image: postgres:16@` + digest("pg") + `
    environment:
      PGDATA: /data
x-other:
  a: 1`,
	"deploy-without-replicas": `services:
  api:
      image: registry.example.com/myapp/api:v1
      deploy:
          resources:
              limits: {cpus: "1"}
`,
	"document-start-and-comments": `---
# services below
services:
  # the API
  api:

    image: registry.example.com/myapp/api:v1

    # its labels
    labels:
      # owner
      team: a
    command: |
      run --flag
      --other
`,
	"quoted-keys": `services:
  "api":
    "image": registry.example.com/myapp/api:v1
    'environment':
      - "LOG_LEVEL=1"
`,
	// yaml.v3 writes a folded scalar with a more-indented line back with an extra line break; the tree
	// encoder must keep every block scalar's value (the sweep's grafana/loki minio-init entrypoint).
	"block-scalars": `services:
  api:
    image: registry.example.com/myapp/api:v1
    entrypoint: >
      /bin/sh -c "
        echo one &&
        echo two
      "
    environment:
      FOLD_MORE: >
        a
          b
        c
      FOLD_BLANK: >
        a

        b
      FOLD_LEAD: >2
          lead
        x
      LIT_KEEP: |+
        keep

      LIT_STRIP: |-
        strip
      LIT_LEAD: |2
          indented first
        second
`,
	"existing-comment-on-image": `services:
  api:
    image: registry.example.com/myapp/api:v1 # the api
`,
}

func renderBoth(t *testing.T, tpl string) (text, tree []byte) {
	t.Helper()
	rel := &release.Release{ID: "rel-1", Name: "r", Components: []release.Component{
		{Name: "api", ID: "comp-api", Image: "registry.example.com/myapp/api", Tag: "v1", Digest: digest("api")},
	}}
	env := &release.Environment{ID: "env", Name: "prod", Tier: "production",
		Secrets: []release.SecretRef{{Name: "DATABASE_URL", Ref: "vault://x"}}, Replicas: map[string]int{"api": 2}}
	meta := Meta{Release: rel, Environment: env, TenantID: "t", DeploymentID: "d", Now: time.Unix(0, 0), Generator: "g"}
	for i, force := range []bool{false, true} {
		tp, err := Parse("compose.yaml", []byte(tpl))
		if err != nil {
			t.Fatal(err)
		}
		if err := tp.Validate(nil); err != nil {
			t.Fatal(err)
		}
		pins, err := tp.Pins(rel)
		if err != nil {
			t.Fatal(err)
		}
		if force {
			tp.textOK = false
		}
		out, err := tp.Render(pins, meta)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			text = out
		} else {
			tree = out
		}
	}
	return text, tree
}

func load(t *testing.T, lock []byte) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "compose.stella.lock.yml", Content: lock}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SkipInterpolation = true
		o.SkipResolveEnvironment = true
		o.SetProjectName("x", true)
	})
	if err != nil {
		t.Fatalf("compose-go: %v\n%s", err, lock)
	}
	return p
}

// The text editor and the tree encoder give the same Compose model, and the text editor keeps the
// template's own lines.
func TestSpliceMatchesEncode(t *testing.T) {
	for name, tpl := range spliceTemplates {
		t.Run(name, func(t *testing.T) {
			text, tree := renderBoth(t, tpl)
			if string(text) == string(tree) {
				t.Fatal("both paths gave the same bytes: the text editor was not used")
			}
			a, b := load(t, text), load(t, tree)
			if !reflect.DeepEqual(a.Services, b.Services) {
				t.Errorf("services differ:\n--- text\n%s\n--- tree\n%s", text, tree)
			}
			// The checksums differ with the bytes; everything else of x-stella is the same.
			for _, p := range []*types.Project{a, b} {
				delete(p.Extensions["x-stella"].(map[string]any), "checksums")
			}
			if !reflect.DeepEqual(a.Extensions, b.Extensions) {
				t.Errorf("extensions differ: %v vs %v", a.Extensions, b.Extensions)
			}
			for _, line := range strings.Split(tpl, "\n") {
				if strings.Contains(line, "image") || strings.Contains(line, "replicas") || strings.TrimSpace(line) == "- DATABASE_URL" {
					continue
				}
				if !strings.Contains(string(text), line) {
					t.Errorf("template line %q not kept", line)
				}
			}
			if rec, got := SelfChecksum(text); rec != got || rec == "" {
				t.Errorf("self checksum %s, recomputed %s", rec, got)
			}
			api := a.Services["api"]
			if api.Image != "registry.example.com/myapp/api@"+digest("api") || api.Labels["stella.component.id"] != "comp-api" || *api.Deploy.Replicas != 2 {
				t.Errorf("api = %s %v %v", api.Image, api.Labels, api.Deploy)
			}
		})
	}
}

// Shapes the text editor leaves to the tree encoder.
func TestSpliceFallsBack(t *testing.T) {
	for name, tpl := range map[string]string{
		"flow-service": "services:\n  api: {image: registry.example.com/myapp/api:v1}\n",
		"flow-labels":  "services:\n  api:\n    image: registry.example.com/myapp/api:v1\n    labels: {a: b}\n",
		"anchors":      "x-a: &a\n  restart: always\nservices:\n  api:\n    <<: *a\n    image: registry.example.com/myapp/api:v1\n",
		"build":        "services:\n  api:\n    image: registry.example.com/myapp/api:v1\n    build: .\n",
	} {
		t.Run(name, func(t *testing.T) {
			text, tree := renderBoth(t, tpl)
			if string(text) != string(tree) {
				t.Errorf("the text editor took a shape it should leave to the encoder:\n%s", text)
			}
			load(t, text)
		})
	}
}
