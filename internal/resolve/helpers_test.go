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

	"github.com/google/go-containerregistry/pkg/registry"
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
