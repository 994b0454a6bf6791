package resolve

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// counter records every request a registry receives.
type counter struct {
	mu   sync.Mutex
	reqs []string // "METHOD /path"
}

func (c *counter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *counter) reset() {
	c.mu.Lock()
	c.reqs = nil
	c.mu.Unlock()
}

func (c *counter) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

func (c *counter) count() int { return len(c.list()) }

// testRegistry is go-containerregistry's in-process registry behind a request counter and an optional
// middleware (faults, auth); pushes bypass the middleware and the counter.
type testRegistry struct {
	host  string
	count *counter
	push  string // host of an unwrapped server over the same storage
}

func startRegistry(t testing.TB, middleware func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	c := &counter{}
	var h http.Handler = reg
	if middleware != nil {
		h = middleware(reg)
	}
	srv := httptest.NewServer(c.wrap(h))
	t.Cleanup(srv.Close)
	direct := httptest.NewServer(reg)
	t.Cleanup(direct.Close)
	return &testRegistry{host: strings.TrimPrefix(srv.URL, "http://"), count: c, push: strings.TrimPrefix(direct.URL, "http://")}
}

// pushImage writes a random single-platform image as repo:tag and returns its digest.
func pushImage(t testing.TB, host, repoTag string, opts ...remote.Option) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushIndex writes a multi-platform index (one random image per platform) and returns the index digest
// and each platform's manifest digest.
func pushIndex(t testing.TB, host, repoTag string, platforms ...string) (string, map[string]string) {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	children := map[string]string{}
	for _, p := range platforms {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
		d, _ := img.Digest()
		children[p] = d.String()
	}
	ref, err := name.NewTag(host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String(), children
}

// dockerConfig points the default keychain at a temporary config.json with credentials for host.
func dockerConfig(t *testing.T, host, user, pass string) {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{"auths": map[string]any{host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
	}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HOME", t.TempDir()) // no ~/.docker/config.json of the machine's user interferes
}
