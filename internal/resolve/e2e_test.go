package resolve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stella-ops/stella/internal/resolve/regtest"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/testenv"
)

// countingTransport counts the requests the resolver sends, for registries we cannot instrument.
type countingTransport struct {
	inner http.RoundTripper
	n     atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.inner.RoundTrip(r)
}

func uniqueRepo(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "e2e-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + hex.EncodeToString(b)
}

// TestDockerRegistry resolves against Debian's docker-registry (distribution 2.8) over plain HTTP.
func TestDockerRegistry(t *testing.T) {
	host := testenv.Var(t, testenv.Registry)
	repo := uniqueRepo(t)
	app := regtest.PushImage(t, host, repo+"/app:v1")
	idx, children := regtest.PushIndex(t, host, repo+"/multi:v1", "linux/amd64", "linux/arm64")
	refs := []string{host + "/" + repo + "/app:v1", host + "/" + repo + "/multi:v1", host + "/" + repo + "/app:v1"}

	count := &countingTransport{inner: http.DefaultTransport}
	got, err := newResolver(t, Options{Insecure: []string{host}, Transport: count}).Resolve(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	if r := got[refs[0]]; r.Digest != app || r.Registry != host {
		t.Errorf("app: %+v, want %s", r, app)
	}
	if r := got[refs[1]]; r.Digest != idx || r.MediaType != string(types.OCIImageIndex) {
		t.Errorf("multi: %+v, want index %s", r, idx)
	}
	if n := count.n.Load(); n != 2 {
		t.Errorf("%d requests for 2 distinct references", n)
	}

	got, err = newResolver(t, Options{Insecure: []string{host}, Platform: "linux/arm64"}).Resolve(context.Background(), refs[1:2])
	if err != nil {
		t.Fatal(err)
	}
	if r := got[refs[1]]; r.Digest != children["linux/arm64"] || r.Platform != "linux/arm64" {
		t.Errorf("arm64: %+v, want %s", r, children["linux/arm64"])
	}

	missing := host + "/" + repo + "/app:v9"
	_, err = newResolver(t, Options{Insecure: []string{host}}).Resolve(context.Background(), []string{missing, host + "/" + repo + "/nothing:v1"})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "resolve "+missing+": registry "+host+": no such") ||
		!strings.Contains(err.Error(), "nothing:v1") {
		t.Errorf("unknown tag: %v", err)
	}
}

// TestDockerRegistryHtpasswd resolves against an htpasswd-protected docker-registry with credentials
// from a Docker config.json, the path real users take.
func TestDockerRegistryHtpasswd(t *testing.T) {
	host := testenv.Var(t, testenv.RegistryAuth)
	user := testenv.Var(t, testenv.RegistryUser)
	pass := testenv.Var(t, testenv.RegistryPass)
	repo := uniqueRepo(t)
	d := regtest.PushImage(t, host, repo+"/app:v1", remote.WithAuth(&authn.Basic{Username: user, Password: pass}))
	d2 := regtest.PushImage(t, host, repo+"/app:v2", remote.WithAuth(&authn.Basic{Username: user, Password: pass}))
	refs := []string{host + "/" + repo + "/app:v1", host + "/" + repo + "/app:v2"}

	t.Run("good credentials", func(t *testing.T) {
		dockerConfig(t, host, user, pass)
		count := &countingTransport{inner: http.DefaultTransport}
		got, err := newResolver(t, Options{Insecure: []string{host}, Transport: count}).Resolve(context.Background(), refs)
		if err != nil {
			t.Fatal(err)
		}
		if got[refs[0]].Digest != d || got[refs[1]].Digest != d2 {
			t.Errorf("got %+v", got)
		}
		// The first HEAD learns the Basic challenge; it is sent again with credentials.
		if n := count.n.Load(); n != 3 {
			t.Errorf("%d requests, want 3 (one challenge + one per reference)", n)
		}
	})
	t.Run("bad credentials", func(t *testing.T) {
		dockerConfig(t, host, user, pass+"x")
		_, err := newResolver(t, Options{Insecure: []string{host}}).Resolve(context.Background(), refs)
		if !fault.Is(err, fault.Unauthenticated) || !strings.Contains(err.Error(), "registry "+host+": the registry rejected the credentials") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		dockerConfig(t, "elsewhere.example", user, pass)
		_, err := newResolver(t, Options{Insecure: []string{host}}).Resolve(context.Background(), refs)
		if !fault.Is(err, fault.Unauthenticated) || !strings.Contains(err.Error(), "requires credentials, and the Docker config has none") {
			t.Errorf("got %v", err)
		}
	})
}
