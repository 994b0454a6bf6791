package resolve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/resolve/regtest"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/release"
)

var fixed = time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)

func newResolver(t testing.TB, o Options) *Resolver {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return fixed }
	}
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOneRequestPerDistinctReference(t *testing.T) {
	reg := startRegistry(t, nil)
	want := map[string]string{
		"app/api:v1":    regtest.PushImage(t, reg.push, "app/api:v1"),
		"app/api:v2":    regtest.PushImage(t, reg.push, "app/api:v2"),
		"app/worker:v1": regtest.PushImage(t, reg.push, "app/worker:v1"),
		"cache:7":       regtest.PushImage(t, reg.push, "cache:7"),
	}
	h := reg.host
	refs := []string{
		h + "/app/api:v1", h + "/app/api:v2", h + "/app/worker:v1", h + "/cache:7",
		h + "/app/api:v1", h + "/cache:7", h + "/app/api:v2", // the same references again
	}
	var progress []string
	r := newResolver(t, Options{Insecure: []string{h}, Progress: func(n, m int) { progress = append(progress, fmt.Sprintf("%d/%d", n, m)) }})
	got, err := r.Resolve(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	for repoTag, digest := range want {
		res := got[h+"/"+repoTag]
		if res.Digest != digest || res.Registry != h || res.Reference != h+"/"+repoTag || !res.ResolvedAt.Equal(fixed) {
			t.Errorf("%s: got %+v, want digest %s from %s", repoTag, res, digest, h)
		}
		if res.MediaType != string(types.DockerManifestSchema2) {
			t.Errorf("%s: media type %q", repoTag, res.MediaType)
		}
	}
	if len(got) != 4 {
		t.Errorf("got %d resolutions, want 4", len(got))
	}
	reqs := reg.count.list()
	if len(reqs) != 4 {
		t.Fatalf("registry saw %d requests, want one per distinct reference (4): %v", len(reqs), reqs)
	}
	for _, q := range reqs {
		if !strings.HasPrefix(q, "HEAD /v2/") || !strings.Contains(q, "/manifests/") {
			t.Errorf("unexpected request %q (want only manifest HEADs, no /v2/ ping)", q)
		}
	}
	if strings.Join(progress, " ") != "1/4 2/4 3/4 4/4" {
		t.Errorf("progress %v", progress)
	}
}

func TestSpellingsOfOneReferenceShareOneRequest(t *testing.T) {
	reg := startRegistry(t, nil)
	d := regtest.PushImage(t, reg.push, "library/busybox:latest")
	// "HOST/busybox" and "HOST/library/busybox:latest" differ on a private registry: only docker.io has
	// the implicit library/ namespace. So use the default tag for the shared spelling.
	refs := []string{reg.host + "/library/busybox", reg.host + "/library/busybox:latest"}
	r := newResolver(t, Options{Insecure: []string{reg.host}})
	got, err := r.Resolve(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if got[ref].Digest != d || got[ref].Reference != ref {
			t.Errorf("%s: %+v", ref, got[ref])
		}
	}
	if n := reg.count.count(); n != 1 {
		t.Errorf("%d requests for one reference spelt two ways: %v", n, reg.count.list())
	}
}

func TestMultiPlatformIndex(t *testing.T) {
	reg := startRegistry(t, nil)
	idx, children := regtest.PushIndex(t, reg.push, "multi:1", "linux/amd64", "linux/arm64")
	single := regtest.PushImage(t, reg.push, "single:1")
	refs := []string{reg.host + "/multi:1", reg.host + "/single:1"}

	t.Run("index digest by default", func(t *testing.T) {
		reg.count.reset()
		got, err := newResolver(t, Options{Insecure: []string{reg.host}}).Resolve(context.Background(), refs)
		if err != nil {
			t.Fatal(err)
		}
		if r := got[refs[0]]; r.Digest != idx || r.Platform != "" || r.MediaType != string(types.OCIImageIndex) {
			t.Errorf("multi: %+v, want index %s", r, idx)
		}
		if got[refs[1]].Digest != single {
			t.Errorf("single: %+v", got[refs[1]])
		}
		if n := reg.count.count(); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("platform pins its manifest", func(t *testing.T) {
		reg.count.reset()
		got, err := newResolver(t, Options{Insecure: []string{reg.host}, Platform: "linux/arm64"}).Resolve(context.Background(), refs)
		if err != nil {
			t.Fatal(err)
		}
		if r := got[refs[0]]; r.Digest != children["linux/arm64"] || r.Platform != "linux/arm64" {
			t.Errorf("multi: %+v, want arm64 manifest %s", r, children["linux/arm64"])
		}
		if r := got[refs[1]]; r.Digest != single {
			t.Errorf("single: %+v, want its own manifest", r)
		}
		reqs := reg.count.list()
		if len(reqs) != 2 || !strings.HasPrefix(reqs[0], "GET ") || !strings.HasPrefix(reqs[1], "GET ") {
			t.Errorf("requests %v, want one GET per reference", reqs)
		}
	})
	t.Run("platform the index lacks", func(t *testing.T) {
		_, err := newResolver(t, Options{Insecure: []string{reg.host}, Platform: "linux/s390x"}).Resolve(context.Background(), refs[:1])
		if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "resolve "+refs[0]) ||
			!strings.Contains(err.Error(), "no manifest for platform linux/s390x (the index has linux/amd64, linux/arm64)") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("bad platform option", func(t *testing.T) {
		_, err := New(Options{Platform: "arm64"})
		if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "platform") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestUnknownRepositoryOrTagNamesTheReference(t *testing.T) {
	reg := startRegistry(t, nil)
	d := regtest.PushImage(t, reg.push, "app:1")
	refs := []string{reg.host + "/app:1", reg.host + "/app:nope", reg.host + "/absent:1"}
	got, err := newResolver(t, Options{Insecure: []string{reg.host}}).Resolve(context.Background(), refs)
	if got != nil {
		t.Errorf("partial result %v returned with an error", got)
	}
	if !fault.Is(err, fault.Input) || fault.ExitCode(err) != 2 {
		t.Fatalf("kind of %v is %v, want bad input", err, fault.KindOf(err))
	}
	var list *Errors
	if !errors.As(err, &list) || len(list.List) != 2 {
		t.Fatalf("got %v", err)
	}
	for i, ref := range []string{reg.host + "/absent:1", reg.host + "/app:nope"} {
		e := list.List[i]
		if e.Reference != ref || e.Registry != reg.host || e.Reason != Unknown {
			t.Errorf("failure %d: %+v, want %s unknown", i, e, ref)
		}
	}
	if !strings.Contains(err.Error(), "resolve "+reg.host+"/app:nope: registry "+reg.host+": no such repository or tag") {
		t.Errorf("message: %v", err)
	}
	_ = d
}

func TestRetriesOn429And503(t *testing.T) {
	var mu sync.Mutex
	failures := map[string]int{}
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n := failures[r.URL.Path]
			failures[r.URL.Path]++
			mu.Unlock()
			switch {
			case strings.Contains(r.URL.Path, "/always/"):
				w.WriteHeader(http.StatusServiceUnavailable)
			case n == 0:
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
			case n == 1:
				w.WriteHeader(http.StatusServiceUnavailable)
			default:
				h.ServeHTTP(w, r)
			}
		})
	})
	d := regtest.PushImage(t, reg.push, "flaky:1")
	r := newResolver(t, Options{Insecure: []string{reg.host}, Retries: 3})
	got, err := r.Resolve(context.Background(), []string{reg.host + "/flaky:1"})
	if err != nil {
		t.Fatal(err)
	}
	if got[reg.host+"/flaky:1"].Digest != d {
		t.Errorf("got %+v", got)
	}
	if n := reg.count.count(); n != 3 {
		t.Errorf("%d requests, want 3 (429, 503, 200): %v", n, reg.count.list())
	}

	reg.count.reset()
	_, err = r.Resolve(context.Background(), []string{reg.host + "/always/down:1"})
	if !fault.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "registry "+reg.host+": answered 503 Service Unavailable after 4 attempts") {
		t.Fatalf("got %v", err)
	}
	if n := reg.count.count(); n != 4 {
		t.Errorf("%d requests, want 4 (1 + 3 retries)", n)
	}
}

func TestHangingRegistryFailsWithinTimeout(t *testing.T) {
	release := make(chan struct{})
	reg := startRegistry(t, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	defer close(release)
	refs := []string{reg.host + "/a:1", reg.host + "/b:1", reg.host + "/c:1", reg.host + "/d:1"}
	r := newResolver(t, Options{Insecure: []string{reg.host}, Timeout: 300 * time.Millisecond, Concurrency: 2})
	start := time.Now()
	_, err := r.Resolve(context.Background(), refs)
	elapsed := time.Since(start)
	if !fault.Is(err, fault.Unavailable) || fault.ExitCode(err) != 1 {
		t.Fatalf("got %v (kind %v)", err, fault.KindOf(err))
	}
	if !strings.Contains(err.Error(), "resolve "+reg.host+"/a:1: registry "+reg.host+": no answer within 300ms") {
		t.Errorf("message: %v", err)
	}
	var list *Errors
	if !errors.As(err, &list) || len(list.List) != 4 {
		t.Errorf("want all 4 references failed: %v", err)
	}
	// The first request's timeout marks the registry down: the others are not sent, let alone waited for.
	if n := reg.count.count(); n != 1 {
		t.Errorf("%d requests reached the hanging registry, want 1", n)
	}
	if elapsed > 5*time.Second {
		t.Errorf("took %s with a 300ms timeout", elapsed)
	}
}

func TestRegistryThatStartsHangingFailsFast(t *testing.T) {
	var n atomic.Int64
	release := make(chan struct{})
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				h.ServeHTTP(w, r)
				return
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	defer close(release)
	regtest.PushImage(t, reg.push, "a:1")
	refs := []string{reg.host + "/a:1"}
	for i := range 8 {
		refs = append(refs, fmt.Sprintf("%s/b:%d", reg.host, i))
	}
	_, err := newResolver(t, Options{Insecure: []string{reg.host}, Timeout: 200 * time.Millisecond, Concurrency: 2}).Resolve(context.Background(), refs)
	var list *Errors
	if !fault.Is(err, fault.Unavailable) || !errors.As(err, &list) || len(list.List) < 8 {
		t.Fatalf("got %v", err)
	}
	// The first answer, then the two requests in flight when the registry stopped answering; the rest
	// fail without being sent.
	if c := reg.count.count(); c > 3 {
		t.Errorf("%d requests reached a registry that stopped answering, want at most 3", c)
	}
}

func TestDownRegistryNamesIt(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	_, err = newResolver(t, Options{Insecure: []string{host}}).Resolve(context.Background(), []string{host + "/app:1", host + "/db:2"})
	if !fault.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "registry "+host+": unreachable:") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v", err)
	}
}

func TestPlainHTTPOnlyWhenNamed(t *testing.T) {
	reg := startRegistry(t, nil)
	regtest.PushImage(t, reg.push, "app:1")
	_, err := newResolver(t, Options{}).Resolve(context.Background(), []string{reg.host + "/app:1"})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "--insecure-registry "+reg.host) {
		t.Fatalf("got %v", err)
	}
	for _, q := range reg.count.list() {
		if !strings.HasPrefix(q, "HEAD") {
			t.Errorf("plain-HTTP request reached the registry: %s", q)
		}
	}
	if reg.count.count() != 0 {
		t.Errorf("a plain-HTTP request was made to a registry not named insecure: %v", reg.count.list())
	}
}

func TestOffline(t *testing.T) {
	reg := startRegistry(t, nil)
	refs := []string{reg.host + "/b:1", reg.host + "/a:1", "postgres:16", reg.host + "/pinned@sha256:" + strings.Repeat("a", 64)}
	got, err := newResolver(t, Options{Offline: true}).Resolve(context.Background(), refs)
	if !fault.Is(err, fault.Input) {
		t.Fatalf("got %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"resolve " + reg.host + "/a:1: ", "resolve " + reg.host + "/b:1: ", "resolve postgres:16: "}
	if len(lines) != 3 {
		t.Fatalf("want one line per unpinned reference, got %q", lines)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]) || !strings.Contains(l, "offline") {
			t.Errorf("line %d: %q", i, l)
		}
	}
	if got[refs[3]].Digest != "sha256:"+strings.Repeat("a", 64) {
		t.Errorf("a pinned reference needs no network even offline: %v", got)
	}
	if n := reg.count.count(); n != 0 {
		t.Errorf("offline made %d requests", n)
	}
}

func TestMirrorAnswersForDockerHub(t *testing.T) {
	reg := startRegistry(t, nil)
	d := regtest.PushImage(t, reg.push, "library/postgres:16")
	r := newResolver(t, Options{Mirrors: map[string]string{"docker.io": reg.host}, Insecure: []string{reg.host}})
	got, err := r.Resolve(context.Background(), []string{"postgres:16", "docker.io/library/postgres:16"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"postgres:16", "docker.io/library/postgres:16"} {
		if res := got[ref]; res.Digest != d || res.Registry != reg.host || res.Reference != ref {
			t.Errorf("%s: %+v", ref, res)
		}
	}
	if n := reg.count.count(); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestGetWhereHeadIsNotAnswered(t *testing.T) {
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d := regtest.PushImage(t, reg.push, "app:1")
	got, err := newResolver(t, Options{Insecure: []string{reg.host}}).Resolve(context.Background(), []string{reg.host + "/app:1"})
	if err != nil {
		t.Fatal(err)
	}
	if got[reg.host+"/app:1"].Digest != d {
		t.Errorf("got %+v", got)
	}
	if reqs := reg.count.list(); len(reqs) != 2 || !strings.HasPrefix(reqs[1], "GET ") {
		t.Errorf("requests %v, want HEAD then GET", reqs)
	}
}

func TestGivenDigestWinsAndIsReported(t *testing.T) {
	reg := startRegistry(t, nil)
	d := regtest.PushImage(t, reg.push, "app:1")
	other := "sha256:" + strings.Repeat("b", 64)
	var logs bytes.Buffer
	r := newResolver(t, Options{Insecure: []string{reg.host}, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	refs := []string{reg.host + "/app:1@" + other, reg.host + "/app:1@" + d}
	got, err := r.Resolve(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	if got[refs[0]].Digest != other || got[refs[1]].Digest != d {
		t.Errorf("got %+v", got)
	}
	if !strings.Contains(logs.String(), "differs from the registry's") || !strings.Contains(logs.String(), d) || strings.Count(logs.String(), "differs") != 1 {
		t.Errorf("log: %s", logs.String())
	}
	if n := reg.count.count(); n != 1 {
		t.Errorf("%d requests for one tag written with two digests", n)
	}
}

func TestBadReference(t *testing.T) {
	_, err := newResolver(t, Options{}).Resolve(context.Background(), []string{"UPPER/Case:1", "ok:1@sha256:zz"})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "resolve UPPER/Case:1: ") || !strings.Contains(err.Error(), "resolve ok:1@sha256:zz: ") {
		t.Fatalf("got %v", err)
	}
}

func TestBearerTokenOncePerRegistry(t *testing.T) {
	// A token service in the style of Docker Hub/GHCR: the registry challenges with Bearer, the token
	// endpoint checks Basic credentials and grants the scopes asked. One token must cover every
	// repository of the run.
	var mu sync.Mutex
	var tokenScopes [][]string
	var host string
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				mu.Lock()
				tokenScopes = append(tokenScopes, r.URL.Query()["scope"])
				mu.Unlock()
				fmt.Fprint(w, `{"token":"tok-1"}`)
				return
			}
			if r.Header.Get("Authorization") != "Bearer tok-1" {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, host))
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	host = reg.host
	a := regtest.PushImage(t, reg.push, "team/a:1")
	b := regtest.PushImage(t, reg.push, "team/b:1")
	refs := []string{reg.host + "/team/a:1", reg.host + "/team/b:1"}

	dockerConfig(t, reg.host, "alice", "s3cret")
	got, err := newResolver(t, Options{Insecure: []string{reg.host}}).Resolve(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	if got[refs[0]].Digest != a || got[refs[1]].Digest != b {
		t.Errorf("got %+v", got)
	}
	// 401 on the first HEAD, one token, then one HEAD per reference.
	if n := reg.count.count(); n != 4 {
		t.Errorf("%d requests, want 4: %v", n, reg.count.list())
	}
	if len(tokenScopes) != 1 || len(tokenScopes[0]) != 2 {
		t.Errorf("token requests %v, want one with both repositories' scopes", tokenScopes)
	}

	dockerConfig(t, reg.host, "alice", "wrong")
	_, err = newResolver(t, Options{Insecure: []string{reg.host}}).Resolve(context.Background(), refs)
	if !fault.Is(err, fault.Unauthenticated) || !strings.Contains(err.Error(), "rejected the credentials") || !strings.Contains(err.Error(), "registry "+reg.host) {
		t.Fatalf("bad credentials: %v", err)
	}
}

func TestContextCancelled(t *testing.T) {
	reg := startRegistry(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newResolver(t, Options{Insecure: []string{reg.host}}).Resolve(ctx, []string{reg.host + "/a:1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

var _ release.Resolver = (*Resolver)(nil)
