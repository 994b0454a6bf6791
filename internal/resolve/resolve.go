// Package resolve turns image tags into digests by asking OCI registries, with go-containerregistry.
//
// One Resolve call asks each registry once per distinct reference — a manifest HEAD, or a GET where a
// registry does not answer HEAD or where a platform's manifest must be picked from an index — with
// bounded concurrency, retries with backoff on 429 and 5xx, a timeout per request, credentials from the
// Docker config file and its credential helpers, plain HTTP only for hosts named insecure, and registry
// mirrors. Authentication is learnt from the first answer of each registry rather than a /v2/ ping, so
// an anonymous registry sees exactly one request per reference.
package resolve

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/release"
)

// Defaults for Options.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 30 * time.Second
	DefaultRetries     = 3
	DefaultBackoff     = 250 * time.Millisecond
	maxRetryWait       = 10 * time.Second
)

// Options configure a Resolver. The zero value asks registries over https with the Docker config's
// credentials, 8 at a time.
type Options struct {
	// Keychain supplies credentials per registry; nil means authn.DefaultKeychain (the Docker config
	// file, $DOCKER_CONFIG, and the credential helpers it names).
	Keychain authn.Keychain
	// Insecure names registries reached over plain HTTP ("host:port", or "host" for any port).
	Insecure []string
	// Mirrors rewrites a registry host to another ("docker.io" → "mirror.internal:5000"). The repository
	// path is kept; the resolution records the registry that answered.
	Mirrors map[string]string
	// Concurrency bounds the requests in flight (default 8).
	Concurrency int
	// Timeout bounds each request attempt (default 30 s). A registry that does not answer in time fails
	// the references it serves.
	Timeout time.Duration
	// Retries is how many times a 429/5xx answer is retried (default 3; negative for none), waiting
	// Backoff (default 250 ms) and doubling, or the registry's Retry-After when longer.
	Retries int
	Backoff time.Duration
	// Platform ("linux/arm64", "linux/arm/v7") pins a multi-platform image to that platform's manifest;
	// empty pins the index digest, which deploys on every platform.
	Platform string
	// Offline forbids the network: every reference without a digest is an error, all listed at once.
	Offline bool
	// Progress, when set, is called after each distinct reference is resolved (done of total).
	Progress func(done, total int)
	// Now stamps resolutions (default time.Now).
	Now func() time.Time
	// Log receives diagnostics (retries, a given digest that differs from the registry's).
	Log *slog.Logger
	// Transport is the base HTTP transport (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
}

// Resolver resolves references to digests. It is safe for concurrent use; each Resolve call starts
// with fresh credentials and connections per registry.
type Resolver struct {
	o        Options
	platform *v1.Platform
	mirrors  map[string]string // normalized registry → mirror host
	base     http.RoundTripper
}

var _ release.Resolver = (*Resolver)(nil)

// New checks the options and returns a Resolver. Errors are bad input naming the option.
func New(o Options) (*Resolver, error) {
	r := &Resolver{o: o, mirrors: map[string]string{}}
	if r.o.Keychain == nil {
		r.o.Keychain = authn.DefaultKeychain
	}
	if r.o.Concurrency == 0 {
		r.o.Concurrency = DefaultConcurrency
	}
	if r.o.Concurrency < 0 {
		return nil, fault.Inputf("resolve concurrency: %d is not a positive number", r.o.Concurrency)
	}
	if r.o.Timeout == 0 {
		r.o.Timeout = DefaultTimeout
	}
	if r.o.Timeout < 0 {
		return nil, fault.Inputf("registry timeout: %s is not positive", r.o.Timeout)
	}
	if r.o.Retries == 0 {
		r.o.Retries = DefaultRetries
	}
	if r.o.Retries < 0 {
		r.o.Retries = 0
	}
	if r.o.Backoff <= 0 {
		r.o.Backoff = DefaultBackoff
	}
	if r.o.Now == nil {
		r.o.Now = time.Now
	}
	if r.o.Log == nil {
		r.o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Platform != "" {
		p, err := v1.ParsePlatform(o.Platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, fault.Inputf("platform: %q is not os/arch[/variant] (e.g. linux/arm64)", o.Platform)
		}
		r.platform = p
	}
	for from, to := range o.Mirrors {
		src, err := name.NewRegistry(from)
		if err != nil {
			return nil, fault.Inputf("registry mirror %q: %v", from, err)
		}
		dst, err := name.NewRegistry(to)
		if err != nil {
			return nil, fault.Inputf("registry mirror %s: target %q: %v", from, to, err)
		}
		r.mirrors[src.RegistryStr()] = dst.RegistryStr()
	}
	for _, h := range o.Insecure {
		if !release.IsRegistryHost(h) {
			return nil, fault.Inputf("insecure registry %q: not a host or host:port", h)
		}
	}
	if r.o.Transport != nil {
		r.base = r.o.Transport
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = r.o.Concurrency
		r.base = t
	}
	return r, nil
}

// item is one distinct reference to resolve.
type item struct {
	key    string            // normalized: registry/repo:tag[@digest]
	inputs []string          // the caller's spellings of it
	tag    name.Tag          // as written (before mirroring)
	target name.Tag          // what is asked (after mirroring)
	given  map[string]string // input → a digest written in it, which wins over the registry's
}

// Resolve resolves every reference once; the result maps each given reference to its resolution. On
// failure it returns an error listing every reference that failed (a *Errors, kind-wrapped).
func (r *Resolver) Resolve(ctx context.Context, refs []string) (map[string]release.Resolution, error) {
	out := map[string]release.Resolution{}
	var fails []*Error
	items := map[string]*item{}
	var order []*item
	for _, in := range refs {
		if _, seen := out[in]; seen {
			continue
		}
		it, res, err := r.parse(in)
		if err != nil {
			fails = append(fails, err)
			continue
		}
		if res != nil {
			out[in] = *res
			continue
		}
		if have := items[it.key]; have != nil {
			if !contains(have.inputs, in) {
				have.inputs = append(have.inputs, in)
				maps.Copy(have.given, it.given)
			}
			continue
		}
		items[it.key] = it
		order = append(order, it)
	}
	if len(fails) > 0 {
		return nil, asFault(fails)
	}
	if r.o.Offline {
		for _, it := range order {
			for _, in := range it.inputs {
				fails = append(fails, &Error{Reference: in, Reason: Offline, Err: ErrOffline})
			}
		}
		return out, asFault(fails)
	}
	if len(order) == 0 {
		return out, nil
	}

	clients, err := r.clients(ctx, order)
	if err != nil {
		return nil, err
	}

	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
		work = make(chan *item)
	)
	for range min(r.o.Concurrency, len(order)) {
		wg.Go(func() {
			for it := range work {
				res, ferr := r.resolveOne(ctx, clients[it.target.RegistryStr()], it)
				mu.Lock()
				if ferr != nil {
					for _, in := range it.inputs {
						e := *ferr
						e.Reference = in
						fails = append(fails, &e)
					}
				} else {
					for _, in := range it.inputs {
						out[in] = r.given(it, in, res)
					}
				}
				done++
				if r.o.Progress != nil {
					r.o.Progress(done, len(order))
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, it := range order {
		select {
		case work <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("resolve images: %w", err)
	}
	if len(fails) > 0 {
		return nil, asFault(fails)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parse reads one reference: repo[:tag][@digest]. A reference with a digest and no tag needs no registry
// and is returned as its own resolution.
func (r *Resolver) parse(in string) (*item, *release.Resolution, *Error) {
	bad := func(err error) *Error { return &Error{Reference: in, Reason: Invalid, Err: err} }
	base, dig, hasDigest := strings.Cut(strings.TrimSpace(in), "@")
	if hasDigest {
		if _, err := v1.NewHash(dig); err != nil {
			return nil, nil, bad(fmt.Errorf("digest %q: %v", dig, err))
		}
	}
	if base == "" {
		return nil, nil, bad(errors.New("empty image reference"))
	}
	if hasDigest && !hasTag(base) {
		if _, err := name.NewRepository(base); err != nil {
			return nil, nil, bad(err)
		}
		return nil, &release.Resolution{Reference: in, Digest: dig}, nil
	}
	tag, err := name.NewTag(base)
	if err != nil {
		return nil, nil, bad(err)
	}
	target := tag
	if m, ok := r.mirrors[tag.RegistryStr()]; ok {
		target, err = name.NewTag(m + "/" + tag.RepositoryStr() + ":" + tag.TagStr())
		if err != nil {
			return nil, nil, bad(fmt.Errorf("through mirror %s: %v", m, err))
		}
	}
	it := &item{key: tag.Name(), inputs: []string{in}, tag: tag, target: target, given: map[string]string{}}
	if hasDigest {
		it.given[in] = dig
	}
	return it, nil, nil
}

// hasTag reports whether repo[:tag] has a tag (a colon after the last slash).
func hasTag(s string) bool {
	return strings.Contains(s[strings.LastIndex(s, "/")+1:], ":")
}

// client is one registry's stack of transports and its go-containerregistry puller.
type client struct {
	host   string
	scheme string
	auth   *authTransport
	puller *remote.Puller
}

// clients builds one client per registry asked, with one bearer scope per repository asked.
func (r *Resolver) clients(ctx context.Context, items []*item) (map[string]*client, error) {
	scopes := map[string][]string{}
	for _, it := range items {
		host := it.target.RegistryStr()
		s := it.target.Repository.Scope(transport.PullScope)
		if !contains(scopes[host], s) {
			scopes[host] = append(scopes[host], s)
		}
	}
	out := map[string]*client{}
	hosts := make([]string, 0, len(scopes))
	for h := range scopes {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, host := range hosts {
		reg, err := name.NewRegistry(host)
		if err != nil {
			return nil, fault.Inputf("registry %s: %v", host, err)
		}
		auth, err := authn.Resolve(ctx, r.o.Keychain, reg)
		if err != nil {
			return nil, fmt.Errorf("read credentials for registry %s: %w", host, err)
		}
		scheme := "https"
		if r.insecure(host) {
			scheme = "http"
		}
		var rt http.RoundTripper = &timeoutTransport{inner: r.base, d: r.o.Timeout}
		rt = &retryTransport{inner: rt, retries: r.o.Retries, backoff: r.o.Backoff, maxWait: min(maxRetryWait, r.o.Timeout), log: r.o.Log}
		rt = &schemeTransport{inner: rt, host: host, scheme: scheme}
		at := &authTransport{inner: rt, reg: reg, scheme: scheme, auth: auth, scopes: scopes[host]}
		// A transport.Wrapper tells remote the handshake is done: it adds no ping, retry or logging layer.
		wrapped, err := transport.FromToken(reg, authn.Anonymous, at, &transport.Challenge{Scheme: "none"}, &transport.Token{})
		if err != nil {
			return nil, err
		}
		p, err := remote.NewPuller(remote.WithTransport(wrapped), remote.WithAuth(authn.Anonymous))
		if err != nil {
			return nil, err
		}
		out[host] = &client{host: host, scheme: scheme, auth: at, puller: p}
	}
	return out, nil
}

func (r *Resolver) insecure(host string) bool {
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	for _, x := range r.o.Insecure {
		if x == host || x == hostname {
			return true
		}
	}
	return false
}

// resolveOne asks the registry for one reference: a HEAD for the digest of whatever the tag names (an
// index stays an index), or a GET when a platform must be picked from an index or HEAD goes unanswered.
func (r *Resolver) resolveOne(ctx context.Context, c *client, it *item) (release.Resolution, *Error) {
	res := release.Resolution{Registry: c.host}
	fail := func(err error) (release.Resolution, *Error) {
		reason, cause := r.classify(c, err)
		return res, &Error{Registry: c.host, Reason: reason, Err: cause}
	}
	if r.platform == nil {
		desc, err := c.puller.Head(ctx, it.target)
		if err == nil {
			res.Digest, res.MediaType = desc.Digest.String(), string(desc.MediaType)
			return r.finish(it, res), nil
		}
		if !headUnanswered(err) {
			return fail(err)
		}
		r.o.Log.Debug("registry does not answer HEAD; using GET", "registry", c.host, "reference", it.target.String(), "error", err)
	}
	d, err := c.puller.Get(ctx, it.target)
	if err != nil {
		return fail(err)
	}
	res.Digest, res.MediaType = d.Digest.String(), string(d.MediaType)
	if r.platform != nil && d.MediaType.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
		if err != nil {
			return fail(fmt.Errorf("read index manifest: %w", err))
		}
		var have []string
		for _, m := range idx.Manifests {
			if m.Platform == nil {
				continue
			}
			if m.Platform.Satisfies(*r.platform) {
				res.Digest, res.MediaType, res.Platform = m.Digest.String(), string(m.MediaType), m.Platform.String()
				return r.finish(it, res), nil
			}
			have = append(have, m.Platform.String())
		}
		return res, &Error{Registry: c.host, Reason: NoPlatform,
			Err: fmt.Errorf("no manifest for platform %s (the index has %s)", r.platform, orNone(have))}
	}
	return r.finish(it, res), nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// finish stamps the resolution.
func (r *Resolver) finish(_ *item, res release.Resolution) release.Resolution {
	res.ResolvedAt = r.o.Now().UTC()
	return res
}

// given is the resolution of one spelling of a reference: a digest written in it wins over the
// registry's, and a difference is logged (shown with --verbose).
func (r *Resolver) given(it *item, in string, res release.Resolution) release.Resolution {
	res.Reference = in
	if d := it.given[in]; d != "" && d != res.Digest {
		r.o.Log.Info("the reference's digest differs from the registry's; the reference's digest wins",
			"reference", in, "registry", res.Registry, "registry_digest", res.Digest)
		res.Digest, res.MediaType, res.Platform = d, "", ""
	}
	return res
}

// headUnanswered reports whether a HEAD failed in a way a GET may not: the method is not allowed, or
// the answer lacks the headers that carry the digest.
func headUnanswered(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusBadRequest:
			return true
		}
		return false
	}
	return strings.Contains(err.Error(), "response did not include")
}

// classify turns a transport or registry failure into a reason and a message that names the cause.
func (r *Resolver) classify(c *client, err error) (Reason, error) {
	var (
		te   *transport.Error
		to   *timeoutError
		ae   *authError
		rhe  tls.RecordHeaderError
		nerr net.Error
	)
	switch {
	case errors.As(err, &to):
		return Unreachable, to
	case errors.As(err, &ae):
		if errors.Is(ae, errNoCredentials) {
			return Unauthorized, ae.err
		}
		var tte *transport.Error
		if errors.As(ae, &tte) && (tte.StatusCode == http.StatusUnauthorized || tte.StatusCode == http.StatusForbidden) {
			return Unauthorized, errors.New("the token service rejected the credentials from the Docker config")
		}
		return Unauthorized, ae
	case errors.As(err, &te):
		switch {
		case te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
			what := "no such repository or tag"
			if hasCode(te, transport.NameUnknownErrorCode) {
				what = "no such repository"
			} else if hasCode(te, transport.ManifestUnknownErrorCode) {
				what = "no such tag"
			}
			return Unknown, errors.New(what)
		case te.StatusCode == http.StatusUnauthorized:
			if c.auth.auth == authn.Anonymous {
				return Unauthorized, errNoCredentials
			}
			return Unauthorized, errors.New("the registry rejected the credentials from the Docker config")
		case te.StatusCode == http.StatusForbidden:
			return Unauthorized, errors.New("access denied for these credentials")
		case retryStatus(te.StatusCode):
			return Unreachable, fmt.Errorf("answered %d %s after %d attempts", te.StatusCode, http.StatusText(te.StatusCode), r.o.Retries+1)
		}
		return Failed, fmt.Errorf("answered %d %s", te.StatusCode, http.StatusText(te.StatusCode))
	case errors.As(err, &rhe) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return Invalid, errors.New("speaks plain HTTP; allow it with --insecure-registry " + c.host + " (or the environment's registries.insecure)")
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return Unreachable, fmt.Errorf("unreachable: %v", oe.Err)
	}
	if errors.As(err, &nerr) && nerr.Timeout() {
		return Unreachable, fmt.Errorf("unreachable: %v", nerr)
	}
	return Failed, err
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}
