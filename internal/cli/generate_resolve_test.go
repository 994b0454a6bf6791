package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stella-ops/stella/internal/resolve/regtest"

	"github.com/google/go-containerregistry/pkg/registry"
)

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

// TestGenerateResolvesAgainstRegistry runs `stella generate` end to end against go-containerregistry's
// in-process registry: a release component without digest, a template image by tag, and a Docker Hub
// image through the environment's mirror are each resolved once; the lock pins them and keeps the tag,
// the manifest and --output json record the resolutions, and the set verifies.
func TestGenerateResolvesAgainstRegistry(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	apiDigest, _ := regtest.PushIndex(t, host, "myapp/api:v2.3.1", "linux/amd64", "linux/arm64")
	cacheDigest := regtest.PushImage(t, host, "cache:7")
	pgDigest := regtest.PushImage(t, host, "library/postgres:16")
	requests.Store(0)

	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", `services:
  api:
    image: `+host+`/myapp/api:v2.3.1
  worker:
    image: `+host+`/myapp/api:v2.3.1
    command: ["worker"]
  cache:
    image: `+host+`/cache:7
  db:
    image: postgres:16
`)
	write("release.yaml", `id: rel-1
name: myapp-v2.3.1
createdAt: 2026-01-10T14:00:00Z
compose: compose.yaml
components:
  - name: api
    id: comp-api
    image: `+host+`/myapp/api
    tag: v2.3.1
`)
	write("environment.yaml", `id: env-dev
name: development
tier: development
registries:
  mirrors: {docker.io: "`+host+`"}
  insecure: ["`+host+`"]
`)
	keys := filepath.Join(dir, "keys")
	store := filepath.Join(dir, "artifacts")
	if _, e, code := run(t, "keys", "generate", "stella/signing/test", "--alg", "EdDSA", "--keyring", keys); code != 0 {
		t.Fatalf("keys generate: %s", e)
	}
	base := []string{"generate", "--release", filepath.Join(dir, "release.yaml"), "--environment", filepath.Join(dir, "environment.yaml"),
		"--tenant", "acme", "--key", "stella/signing/test", "--keyring", keys, "--store", store, "--data", filepath.Join(dir, "data"), "--now", "2026-01-10T15:00:00Z"}

	out, errOut, code := run(t, append(base, "--deployment-id", "d1", "--output", "json")...)
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "resolving images") {
		t.Errorf("progress drawn on a stderr that is not a terminal: %q", errOut)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d registry requests, want 3 (one per distinct reference)", n)
	}
	var res struct {
		Location    string
		Resolutions []struct{ Reference, Digest, Registry, ResolvedAt string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]string{host + "/myapp/api:v2.3.1": apiDigest, host + "/cache:7": cacheDigest, "postgres:16": pgDigest}
	if len(res.Resolutions) != len(want) {
		t.Fatalf("resolutions %+v", res.Resolutions)
	}
	for _, r := range res.Resolutions {
		if want[r.Reference] != r.Digest || r.Registry != host || r.ResolvedAt != "2026-01-10T15:00:00Z" {
			t.Errorf("resolution %+v", r)
		}
	}

	setDir := filepath.Join(store, "acme", "d1")
	lock, err := os.ReadFile(filepath.Join(setDir, "compose.stella.lock.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{host + "/myapp/api@" + apiDigest, host + "/cache@" + cacheDigest, "postgres@" + pgDigest, "# Original tag: 16", "# Original tag: v2.3.1", "# Original tag: 7"} {
		if !bytes.Contains(lock, []byte(w)) {
			t.Errorf("lock lacks %q:\n%s", w, lock)
		}
	}
	var m struct {
		Resolutions []struct{ Reference, Digest string }
	}
	mdata, _ := os.ReadFile(filepath.Join(setDir, "manifest.json"))
	if err := json.Unmarshal(mdata, &m); err != nil || len(m.Resolutions) != 3 {
		t.Errorf("manifest resolutions: %v %+v", err, m.Resolutions)
	}
	if _, e, code := run(t, "verify", setDir, "--keyring", keys); code != 0 {
		t.Errorf("verify: exit %d: %s", code, e)
	}
	// The deployment's evidence records the resolutions too.
	list, e, code := run(t, "evidence", "list", "--data", filepath.Join(dir, "data"), "--tenant", "acme", "--output", "json")
	if code != 0 {
		t.Fatalf("evidence list: exit %d: %s", code, e)
	}
	var packets []struct{ ID string }
	if err := json.Unmarshal([]byte(list), &packets); err != nil || len(packets) == 0 {
		t.Fatalf("evidence list: %v %s", err, list)
	}
	exported := filepath.Join(dir, "packet.json")
	if _, e, code := run(t, "evidence", "export", packets[0].ID, "--data", filepath.Join(dir, "data"), "--format", "json", "-o", exported); code != 0 {
		t.Fatalf("evidence export: exit %d: %s", code, e)
	}
	var pk struct {
		Content struct {
			Execution struct {
				Resolutions []struct{ Reference, Digest, Registry string }
			}
		}
	}
	pdata, _ := os.ReadFile(exported)
	if err := json.Unmarshal(pdata, &pk); err != nil || len(pk.Content.Execution.Resolutions) != 3 || pk.Content.Execution.Resolutions[0].Registry == "" {
		t.Errorf("evidence resolutions: %v %+v", err, pk.Content.Execution.Resolutions)
	}

	t.Run("platform pins the arm64 manifest", func(t *testing.T) {
		out, e, code := run(t, append(base, "--deployment-id", "d-arm", "--platform", "linux/arm64", "--output", "json")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e)
		}
		if strings.Contains(out, apiDigest) || !strings.Contains(out, `"platform": "linux/arm64"`) {
			t.Errorf("want the arm64 manifest, not the index: %s", out)
		}
	})
	t.Run("offline lists every unpinned image", func(t *testing.T) {
		requests.Store(0)
		_, e, code := run(t, append(base, "--deployment-id", "d2", "--offline")...)
		if code != 2 {
			t.Fatalf("exit %d: %s", code, e)
		}
		for _, w := range []string{"resolve " + host + "/cache:7 (service cache)", "resolve " + host + "/myapp/api:v2.3.1 (service api, worker)", "resolve postgres:16 (service db)", "--offline"} {
			if !strings.Contains(e, w) {
				t.Errorf("stderr lacks %q: %s", w, e)
			}
		}
		if requests.Load() != 0 {
			t.Errorf("offline made %d requests", requests.Load())
		}
		if _, err := os.Stat(filepath.Join(store, "acme", "d2")); !os.IsNotExist(err) {
			t.Errorf("a set was written for a failed generation")
		}
	})
	t.Run("unknown tag names service and reference", func(t *testing.T) {
		write("compose.yaml", "services:\n  api:\n    image: "+host+"/myapp/api:v2.3.1\n  db:\n    image: postgres:99\n")
		_, e, code := run(t, append(base, "--deployment-id", "d3")...)
		if code != 2 || !strings.Contains(e, "resolve postgres:99 (service db): registry "+host+": no such repository or tag") {
			t.Errorf("exit %d: %s", code, e)
		}
	})
	t.Run("all pinned: no request, resolutions is []", func(t *testing.T) {
		write("compose.yaml", "services:\n  api:\n    image: "+host+"/myapp/api:v2.3.1\n")
		write("release.yaml", "id: rel-2\nname: r\ncompose: compose.yaml\ncomponents:\n  - {name: api, id: comp-api, image: "+host+"/myapp/api, tag: v2.3.1, digest: "+apiDigest+"}\n")
		requests.Store(0)
		out, e, code := run(t, append(base, "--deployment-id", "d5", "--output", "json")...)
		if code != 0 || !strings.Contains(out, `"resolutions": []`) || requests.Load() != 0 {
			t.Errorf("exit %d, %d requests: %s %s", code, requests.Load(), out, e)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for flag, want := range map[string]string{
			"--platform=arm64":             "--platform",
			"--insecure-registry=http://x": "--insecure-registry",
			"--resolve-concurrency=0":      "--resolve-concurrency",
			"--registry-timeout=-1s":       "--registry-timeout",
		} {
			_, e, code := run(t, append(base, "--deployment-id", "d4", flag)...)
			if code != 2 || !strings.Contains(e, want) {
				t.Errorf("%s: exit %d: %s", flag, code, e)
			}
		}
	})
}
