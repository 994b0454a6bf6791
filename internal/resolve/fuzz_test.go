package resolve

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stella-ops/stella/internal/fault"
)

// FuzzReference: no image reference makes Resolve panic or reach the network in offline mode; every
// failure is bad input naming the reference as given; what resolves is a reference pinned by a digest,
// to exactly that digest.
func FuzzReference(f *testing.F) {
	d := "sha256:" + strings.Repeat("a", 64)
	for _, s := range []string{
		"registry.example.com/myapp/api:v1", "postgres", "postgres:16", "library/postgres@" + d, "a/b:c@" + d,
		"localhost:5000/x@" + d, "x@sha256:abc", "x@sha512:" + strings.Repeat("a", 128), "X/Y:1", "a//b:1", "a:b:c",
		"@" + d, "", " ", "\nx:1\n", "a/b:" + strings.Repeat("t", 200), "[::1]:5000/x:1", "xn--80ak6aa92e.com/x:1",
		"a/b@" + d + "@" + d, "ünïcode/x:1", "a/b:-tag", "a/b:1\x00",
	} {
		f.Add(s)
	}
	r, err := New(Options{Offline: true, Keychain: authn.NewMultiKeychain(), Transport: noNetwork{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		out, err := r.Resolve(context.Background(), []string{ref})
		if err != nil {
			if fault.KindOf(err) != fault.Input {
				t.Fatalf("%q: %v is not bad input", ref, err)
			}
			var es *Errors
			if !errors.As(err, &es) || len(es.List) != 1 || es.List[0].Reference != ref || (es.List[0].Reason != Invalid && es.List[0].Reason != Offline) {
				t.Fatalf("%q: refusal %#v does not name the reference", ref, err)
			}
			if !strings.HasPrefix(err.Error(), "resolve ") || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("%q: refusal %q is not one line", ref, err)
			}
			return
		}
		res, ok := out[ref]
		_, dig, _ := strings.Cut(strings.TrimSpace(ref), "@")
		if !ok || len(out) != 1 || res.Digest != dig {
			t.Fatalf("%q resolved offline to %+v", ref, out)
		}
		if _, err := v1.NewHash(res.Digest); err != nil {
			t.Fatalf("%q resolved to the malformed digest %q", ref, res.Digest)
		}
	})
}

// noNetwork fails any request: offline resolution must not make one.
type noNetwork struct{}

func (noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	panic("offline resolution made a request: " + r.URL.String())
}

// fuzzSecret is the password of the Docker config's credentials for the fuzzed registry.
const fuzzSecret = "fuzz-s3cret-Pa55word"

// FuzzRegistry: registries are outside input. A registry (an httptest server) answers every request
// with the fuzzed status, headers and body; a token endpoint, when it challenges for one, answers with
// the fuzzed body too. No answer makes Resolve panic or hang past its timeout; a failure names the
// reference and the registry in one line per reference and never shows the credentials; a success is a
// well-formed digest, and the digest of the body itself when the registry sent no digest header.
func FuzzRegistry(f *testing.F) {
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":7,"platform":{"architecture":"arm64","os":"linux"}}]}`
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:` + strings.Repeat("c", 64) + `","size":2},"layers":[]}`
	d := "sha256:" + strings.Repeat("d", 64)
	for _, s := range []struct {
		mode   uint8
		status uint16
		ctype  string
		digest string
		body   string
	}{
		{0, 200, "application/vnd.oci.image.manifest.v1+json", "", manifest},
		{0, 200, "application/vnd.oci.image.manifest.v1+json", d, manifest},
		{1, 200, "application/vnd.oci.image.index.v1+json", "", index},
		{1, 200, "application/vnd.oci.image.index.v1+json", "", strings.Replace(index, "arm64", "amd64", 1)},
		{1, 200, "application/vnd.oci.image.index.v1+json", "", `{"manifests":[{"platform":null}]}`},
		{0, 200, "text/html", "sha256:zz", "<html>"},
		{0, 200, "", "sha512:" + strings.Repeat("e", 128), ""},
		{0, 404, "application/json", "", `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"` + fuzzSecret + `"}]}`},
		{0, 401, "application/json", "", `{"errors":[{"code":"UNAUTHORIZED"}]}`},
		{2, 401, "", "", `{"token":"t"}`},
		{2, 401, "", "", `{"access_token":` + `"` + fuzzSecret + `"}`},
		{3, 401, "", "", "{}"},
		{0, 429, "", "", ""}, {0, 503, "", "", "down"}, {0, 302, "", "", ""}, {0, 204, "", "", ""},
		{0, 200, "application/vnd.docker.distribution.manifest.v2+json", "", "{\"schemaVersion\": 1e400}"},
	} {
		f.Add(s.mode, s.status, s.ctype, s.digest, []byte(s.body))
	}
	// One registry for the whole run answers with the current input (a worker runs one input at a time);
	// a server per input would spend the run starting and closing servers.
	type answer struct {
		mode          uint8
		code          int
		ctype, digest string
		body          []byte
	}
	var (
		mu  sync.Mutex
		cur answer
		srv *httptest.Server
	)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := cur
		mu.Unlock()
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200 + int(a.mode)%2*200) // 200, or 400 for odd modes
			_, _ = w.Write(a.body)
			return
		}
		h := w.Header()
		if validHeader(a.ctype) {
			h.Set("Content-Type", a.ctype)
		}
		if validHeader(a.digest) {
			h.Set("Docker-Content-Digest", a.digest)
		}
		switch a.mode % 4 {
		case 2:
			if r.Header.Get("Authorization") == "" {
				h.Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="fuzz",scope="repository:app:pull"`)
			}
		case 3:
			h.Set("WWW-Authenticate", `Basic realm="fuzz"`)
		}
		w.WriteHeader(a.code)
		if r.Method != http.MethodHead {
			_, _ = w.Write(a.body)
		}
	}))
	f.Cleanup(srv.Close)
	base := &http.Transport{DisableKeepAlives: true}
	f.Fuzz(func(t *testing.T, mode uint8, status uint16, ctype, digest string, body []byte) {
		code := 200 + int(status)%400 // 200–599: informational answers are the HTTP library's business
		mu.Lock()
		cur = answer{mode: mode, code: code, ctype: ctype, digest: digest, body: body}
		mu.Unlock()
		host := strings.TrimPrefix(srv.URL, "http://")
		o := Options{Insecure: []string{host}, Retries: -1, Timeout: 2 * time.Second, Keychain: staticKeychain{}, Transport: base}
		if mode%4 == 1 {
			o.Platform = "linux/arm64"
		}
		r, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		ref := host + "/app:1"
		start := time.Now()
		out, err := r.Resolve(context.Background(), []string{ref})
		if time.Since(start) > 4*o.Timeout {
			t.Fatalf("Resolve took %s", time.Since(start))
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "resolve "+ref+": registry "+host+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("failure %q does not name the reference and registry in one line", msg)
			}
			b64 := base64.StdEncoding.EncodeToString([]byte("fuzz:" + fuzzSecret))
			if strings.Contains(msg, fuzzSecret) || strings.Contains(msg, b64) {
				t.Fatalf("failure %q shows the credentials", msg)
			}
			if fault.KindOf(err) == fault.Input && code/100 == 2 && mode%4 == 0 {
				var es *Errors
				if errors.As(err, &es) && es.List[0].Reason == Invalid {
					t.Fatalf("a registry's answer reported as a bad reference: %v", err)
				}
			}
			return
		}
		res := out[ref]
		if _, err := v1.NewHash(res.Digest); err != nil || !strings.HasPrefix(res.Digest, "sha256:") {
			t.Fatalf("resolved to the malformed digest %q", res.Digest)
		}
		if res.Registry != host {
			t.Fatalf("resolution names registry %q, want %q", res.Registry, host)
		}
		if !validHeader(digest) && r.platform == nil {
			sum := sha256.Sum256(body)
			if want := "sha256:" + hex.EncodeToString(sum[:]); res.Digest != want {
				t.Fatalf("no digest header, resolved to %s, body is %s", res.Digest, want)
			}
		}
	})
}

// validHeader reports whether s can be sent as a header value (net/http drops the others).
func validHeader(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(s) == s
}

// staticKeychain holds the fuzzed registry's credentials, as a Docker config would.
type staticKeychain struct{}

func (staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return &authn.Basic{Username: "fuzz", Password: fuzzSecret}, nil
}
