package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// The transports below are stacked per registry, innermost first:
//
//	base (shared connection pool) → timeout (one bound per attempt) → retry (429/5xx, backoff) →
//	scheme (https, or http for a named insecure host) → auth (challenge-driven, one handshake per registry)
//
// and the result is handed to go-containerregistry wrapped in a transport.Wrapper, which tells remote
// that the handshake is ours: remote then sends no /v2/ ping of its own per repository.

// timeoutError is a request that got no complete answer within the per-request timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("no answer within %s", e.d) }

var errTimeout = errors.New("request timeout")

type timeoutTransport struct {
	inner http.RoundTripper
	d     time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeoutCause(req.Context(), t.d, errTimeout)
	resp, err := t.inner.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if req.Context().Err() == nil && errors.Is(context.Cause(ctx), errTimeout) {
			return nil, &timeoutError{t.d}
		}
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody releases the request's timeout when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// retryTransport retries an attempt that was refused with 429 or a 5xx status, or whose connection was
// reset, with exponential backoff (honouring Retry-After up to maxWait). A timeout is not retried: a
// registry that hangs fails within one timeout.
type retryTransport struct {
	inner   http.RoundTripper
	retries int
	backoff time.Duration
	maxWait time.Duration
	log     *slog.Logger
}

func retryStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func transient(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	wait := t.backoff
	for attempt := 0; ; attempt++ {
		resp, err := t.inner.RoundTrip(req)
		again := false
		pause := wait
		switch {
		case err != nil:
			again = transient(err)
		case retryStatus(resp.StatusCode):
			again = true
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && time.Duration(s)*time.Second > pause {
				pause = time.Duration(s) * time.Second
			}
		}
		if !again || attempt >= t.retries {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		pause = min(pause, t.maxWait)
		pause += time.Duration(rand.Int64N(int64(pause)/10 + 1)) // up to 10% jitter
		status := ""
		if resp != nil {
			status = resp.Status
		} else {
			status = err.Error()
		}
		t.log.Debug("registry retry", "method", req.Method, "url", req.URL.Redacted(), "answer", status, "attempt", attempt+1, "wait", pause)
		timer := time.NewTimer(pause)
		select {
		case <-timer.C:
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		}
		wait *= 2
	}
}

// schemeTransport sends requests for host over https, or over http when the host is named insecure. The
// name package would otherwise guess http for loopback and private addresses; here only the user decides.
type schemeTransport struct {
	inner  http.RoundTripper
	host   string
	scheme string
}

func (t *schemeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == t.host && req.URL.Scheme != t.scheme {
		r := req.Clone(req.Context())
		r.URL.Scheme = t.scheme
		req = r
	}
	return t.inner.RoundTrip(req)
}

// authTransport learns a registry's authentication from its first answer instead of a /v2/ ping: the
// first request goes alone; if the registry answers 401 with a challenge, the handshake happens once
// (Basic credentials, or one bearer token covering every repository this run needs) and the request is
// sent again. Requests that arrive meanwhile wait for the first and then use what it learned. An
// anonymous registry thus costs exactly one request per reference.
type authTransport struct {
	inner  http.RoundTripper
	reg    name.Registry
	scheme string
	auth   authn.Authenticator
	scopes []string

	mu     sync.Mutex
	probed chan struct{} // closed once the first request has its answer
	authed http.RoundTripper
	err    error // set when the registry cannot be used: unreachable, or the handshake failed
}

func (a *authTransport) current() (http.RoundTripper, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	if a.authed != nil {
		return a.authed, nil
	}
	return a.inner, nil
}

func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	a.mu.Lock()
	first := a.probed == nil
	if first {
		a.probed = make(chan struct{})
	}
	probed := a.probed
	a.mu.Unlock()
	if !first {
		select {
		case <-probed:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		rt, err := a.current()
		if err != nil {
			return nil, err
		}
		resp, err := rt.RoundTrip(req)
		a.markDown(req, err)
		return resp, err
	}
	defer close(probed)

	resp, err := a.inner.RoundTrip(req)
	if err != nil {
		a.markDown(req, err)
		return nil, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	ch := parseChallenge(resp.Header.Get("WWW-Authenticate"))
	if ch == nil {
		return resp, nil // a 401 without a challenge: let the caller report it
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()

	rt, err := a.handshake(req.Context(), ch)
	a.mu.Lock()
	a.authed, a.err = rt, err
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return rt.RoundTrip(req)
}

// markDown records a registry that timed out or refused a connection, so that every later request to
// it fails at once instead of waiting out its own timeout.
func (a *authTransport) markDown(req *http.Request, err error) {
	if err == nil || req.Context().Err() != nil {
		return
	}
	var te *timeoutError
	var oe *net.OpError
	if errors.As(err, &te) || errors.As(err, &oe) {
		a.mu.Lock()
		if a.err == nil {
			a.err = err
		}
		a.mu.Unlock()
	}
}

// errNoCredentials is a challenge from a registry for which the Docker config has no credentials.
var errNoCredentials = errors.New("requires credentials, and the Docker config has none for it")

func (a *authTransport) handshake(ctx context.Context, ch *transport.Challenge) (http.RoundTripper, error) {
	ch.Insecure = a.scheme == "http"
	switch strings.ToLower(ch.Scheme) {
	case "bearer":
		tok, err := transport.Exchange(ctx, a.reg, a.auth, a.inner, a.scopes, ch)
		if err != nil {
			return nil, &authError{err}
		}
		return transport.FromToken(a.reg, a.auth, a.inner, ch, tok)
	case "basic":
		if a.auth == authn.Anonymous {
			return nil, &authError{errNoCredentials}
		}
		return transport.FromToken(a.reg, a.auth, a.inner, ch, &transport.Token{})
	}
	return nil, &authError{fmt.Errorf("unsupported authentication scheme %q", ch.Scheme)}
}

// authError is a failed authentication handshake.
type authError struct{ err error }

func (e *authError) Error() string { return "authentication: " + e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// parseChallenge reads the first challenge of a WWW-Authenticate header:
// `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"`.
func parseChallenge(h string) *transport.Challenge {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	ch := &transport.Challenge{Scheme: scheme, Parameters: map[string]string{}}
	for rest = strings.TrimSpace(rest); rest != ""; {
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		after = strings.TrimSpace(after)
		var val string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' && i+1 < len(after) {
					i++
				}
				b.WriteByte(after[i])
			}
			val, rest = b.String(), after[min(i+1, len(after)):]
		} else {
			val, rest, _ = strings.Cut(after, ",")
			val = strings.TrimSpace(val)
			rest = "," + rest
		}
		ch.Parameters[key] = val
		rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ","))
	}
	return ch
}
