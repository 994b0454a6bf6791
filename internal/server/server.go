// Package server is Stella's HTTP API (net/http, Go 1.22 patterns): deployment jobs, their artifact
// sets (list, download, manifest, per-artifact verification) and evidence packets, for callers holding a
// bearer token. The token names the tenant and the role; every query is scoped to that tenant, so another
// tenant's ids answer 404 exactly like ids that do not exist. Errors are one JSON envelope,
// {"error": {"code", "message"}}, with the status and code of internal/fault's table.
//
// Roles: admin, deployer and auditor may read everything of their tenant; an agent may read deployment
// jobs and their artifacts (what it needs to deploy and verify) but not evidence.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stella-ops/stella/internal/deploy"
	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

// Config is what the server reads from.
type Config struct {
	DB    meta.DB
	Store store.Store
	// Keys check signatures for the verify endpoint (given public keys, or a keyring by signerKeyRef).
	Keys verify.Keys
	Log  *slog.Logger
	// Now is the clock for token expiry (default time.Now).
	Now func() time.Time
	// Signer signs what the server writes: artifact sets of deployment jobs and decision evidence. Without
	// one those endpoints answer 503.
	Signer *sign.Signer
	// Resolver pins image tags without a digest when a job is generated (nil: every image must be pinned).
	Resolver release.Resolver
	// Registry receives the server's metrics and is what /metrics serves (default: a new registry with
	// the Go and process collectors).
	Registry *prometheus.Registry
	// LookupCacheTTL, when positive, keeps what the lookups of a token and of a deployment's artifact
	// records (for downloads) found for that long (token.go, lookupCache): a token or agent revoked in
	// the database is refused within it. Zero looks everything up on every request.
	LookupCacheTTL time.Duration
}

// Server is the API's http.Handler.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	routes []string // the API's patterns, as registered ("GET /api/v1/…")
	// trust are the keys a stored set or sticker must verify with: the configured ones, and the server's
	// own signing key when keys are given explicitly (a keyring already has it).
	trust verify.Keys
	// deploy is the one deployment pipeline, the command line's too.
	deploy   *deploy.Service
	tokens   *lookupCache[meta.Token]
	records  *lookupCache[artifactRecords] // download.go
	sums     sumCache                      // download.go
	drift    *prometheus.GaugeVec
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// tasks wakes the long polls of agents when a task is queued on this replica.
	tasks wakeup
	// stickers checks drift, remembering the stickers whose signature it verified; locks what each
	// deployment's lock says should run.
	stickers *drift.Checker
	locks    lockServices
}

// New builds the handler.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), trust: cfg.Keys, tokens: &lookupCache[meta.Token]{ttl: cfg.LookupCacheTTL}, records: &lookupCache[artifactRecords]{ttl: cfg.LookupCacheTTL}}
	if cfg.Signer != nil && len(cfg.Keys.Given) > 0 {
		s.trust.Given = append(slices.Clone(cfg.Keys.Given), cfg.Signer.Verifier())
	}
	s.stickers = &drift.Checker{Keys: s.trust}
	s.deploy = &deploy.Service{
		DB:     func(context.Context) (meta.DB, error) { return cfg.DB, nil },
		Store:  cfg.Store,
		Trust:  s.trust,
		Now:    cfg.Now,
		Log:    cfg.Log,
		Locate: func(ref store.Ref) string { return ref.String() },
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stella_http_requests_total",
		Help: "HTTP requests answered, by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "stella_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method and route pattern.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method", "route"})
	s.drift = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "stella_target_drift",
		Help: "1 for the drift state a target's last check found (none, missing, corrupted, mismatch), by tenant and target.",
	}, []string{"tenant", "target", "state"})
	cfg.Registry.MustRegister(s.requests, s.latency, s.drift)

	all := []string{meta.RoleAdmin, meta.RoleDeployer, meta.RoleAuditor, meta.RoleAgent}
	people := []string{meta.RoleAdmin, meta.RoleDeployer, meta.RoleAuditor}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	s.handle("GET /api/v1/deployment-jobs", all, s.listJobs)
	s.handle("GET /api/v1/deployment-jobs/{id}", all, s.getJob)
	s.handle("GET /api/v1/deployment-jobs/{id}/artifacts", all, s.listArtifacts)
	s.handle("GET /api/v1/deployment-jobs/{id}/artifacts/manifest", all, s.getManifest)
	s.handle("GET /api/v1/deployment-jobs/{id}/artifacts/{name}", all, s.getArtifact)
	s.handle("POST /api/v1/deployment-jobs/{id}/artifacts/{name}/verify", all, s.verifyArtifact)
	s.handle("GET /api/v1/evidence", people, s.listEvidence)
	s.handle("GET /api/v1/evidence/{id}", people, s.getEvidence)
	writers := []string{meta.RoleAdmin, meta.RoleDeployer}
	s.handle("POST /api/v1/deployment-jobs", writers, s.idempotent(s.createJob))
	s.handle("PUT /api/v1/releases/{id}", writers, s.putRelease)
	s.handle("GET /api/v1/releases", people, s.listDocuments(meta.DocRelease))
	s.handle("GET /api/v1/releases/{id}", people, s.getDocument(meta.DocRelease))
	s.handle("PUT /api/v1/environments/{id}", writers, s.putEnvironment)
	s.handle("PUT /api/v1/environments/{id}/targets/{targetId}", writers, s.putTarget)
	s.handle("GET /api/v1/environments", people, s.listDocuments(meta.DocEnvironment))
	s.handle("GET /api/v1/environments/{id}", people, s.getDocument(meta.DocEnvironment))
	s.handle("POST /api/v1/promotions", writers, s.idempotent(s.createPromotion))
	s.handle("GET /api/v1/promotions", people, s.listDocuments(meta.DocPromotion))
	s.handle("GET /api/v1/promotions/{id}", people, s.getPromotion)
	s.handle("POST /api/v1/promotions/{id}/decisions", writers, s.idempotent(s.decide))
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	s.routes = append(s.routes, "POST /api/v1/agents/register", "POST /api/v1/agents/token")
	s.mux.HandleFunc("POST /api/v1/agents/register", s.register)
	s.mux.HandleFunc("POST /api/v1/agents/token", s.agentToken)
	s.handle("POST /api/v1/agents/heartbeat", []string{meta.RoleAgent}, s.heartbeat)
	s.handle("POST /api/v1/deployment-jobs/{id}/sticker", []string{meta.RoleAgent}, s.issueSticker)
	s.handle("POST /api/v1/targets/{id}/tasks", writers, s.idempotent(s.createTask))
	s.handle("GET /api/v1/targets/{id}/tasks/{taskId}", people, s.getTask)
	s.handle("GET /api/v1/agents/tasks/next", []string{meta.RoleAgent}, s.nextTask)
	s.handle("POST /api/v1/agents/tasks/{id}/result", []string{meta.RoleAgent}, s.taskResult)
	s.handle("POST /api/v1/agents/tasks/{id}/logs", []string{meta.RoleAgent}, s.taskLog)
	s.handle("POST /api/v1/targets/{id}/offline-results", writers, s.idempotent(s.importResult))
	s.handle("POST /api/v1/environments/{id}/drift-check", writers, s.environmentDriftCheck)
	s.handle("POST /api/v1/targets/{id}/drift-check", writers, s.driftCheckNow)
	s.handle("POST /api/v1/environments/{id}/rollback", writers, s.idempotent(s.rollback))
	s.handle("DELETE /api/v1/environments/{id}/blocked-releases/{releaseId}", writers, s.unblock)
	s.handle("GET /api/v1/deployment-jobs/{id}/hold", people, s.getHold)
	s.handle("PUT /api/v1/deployment-jobs/{id}/hold", []string{meta.RoleAdmin}, s.putHold)
	s.handle("DELETE /api/v1/deployment-jobs/{id}/hold", []string{meta.RoleAdmin}, s.deleteHold)
	s.handle("GET /api/v1/environments/{id}/drift", people, s.environmentDrift)
	s.handle("GET /api/v1/targets/{id}/drift", people, s.targetDrift)
	return s
}

// ServeHTTP counts, times and logs every request, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, req: r}
	s.mux.ServeHTTP(rec, r)
	route := r.Pattern // set by the mux on r; empty when nothing matched
	if route == "" {
		route = "unmatched"
	}
	d := time.Since(start)
	// Labels only from a bounded set: the route patterns and the known methods. A caller's own method
	// string (of any length) would grow /metrics without bound.
	method := r.Method
	if !knownMethods[method] {
		method = "OTHER"
	}
	s.requests.WithLabelValues(method, route, strconv.Itoa(rec.status)).Inc()
	s.latency.WithLabelValues(method, route).Observe(d.Seconds())
	// Never the Authorization header, nor the query string (it is not needed to follow a request).
	attrs := []slog.Attr{slog.String("method", capText(r.Method, 16)), slog.String("path", capText(r.URL.Path, 512)), slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes), slog.Duration("duration", d), slog.String("remote", r.RemoteAddr)}
	if rec.principal != nil {
		attrs = append(attrs, slog.String("tenant", rec.principal.TenantID), slog.String("token", rec.principal.ID))
	}
	s.cfg.Log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true, "OPTIONS": true}

// capText cuts s to at most n bytes for a log line or a message.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d bytes)", len(s))
}

// statusRecorder notes the status and size of an answer for metrics and the log. It also turns the
// mux's own plain-text 404 and 405 (no pattern matched the path, or none the method), and its 400 for
// a request for "*", into the JSON envelope, keeping the mux's Allow header.
type statusRecorder struct {
	http.ResponseWriter
	req       *http.Request
	status    int
	bytes     int64
	wrote     bool
	muxError  bool
	principal *meta.Token
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.wrote {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status, w.wrote = code, true
	if w.req.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed || code == http.StatusBadRequest) {
		w.muxError = true
		var e envelope
		e.Error.Code, e.Error.Message = "not_found", fmt.Sprintf("%s %s: no such endpoint", capText(w.req.Method, 16), capText(w.req.URL.Path, 256))
		if code == http.StatusBadRequest { // the mux's answer to a request for "*"
			e.Error.Code, e.Error.Message = "bad_input", fmt.Sprintf("%s %s: not a path", capText(w.req.Method, 16), capText(w.req.RequestURI, 256))
		}
		if code == http.StatusMethodNotAllowed {
			e.Error.Code, e.Error.Message = "method_not_allowed", fmt.Sprintf("%s %s: method not allowed (allowed: %s)", capText(w.req.Method, 16), capText(w.req.URL.Path, 256), w.Header().Get("Allow"))
		}
		b, _ := json.Marshal(e)
		w.Header().Set("Content-Type", "application/json")
		w.ResponseWriter.WriteHeader(code)
		n, _ := w.ResponseWriter.Write(append(b, '\n'))
		w.bytes += int64(n)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.muxError {
		return len(b), nil // the mux's plain-text body; the envelope is already written
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom passes a body copied from a file (http.ServeContent over an *os.File, download.go) to the
// connection's ReadFrom, which sends it with sendfile; without it the bytes would go through a buffer.
func (w *statusRecorder) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if w.muxError || !ok {
		return io.Copy(struct{ io.Writer }{w}, r)
	}
	n, err := rf.ReadFrom(r)
	w.bytes += n
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// handlerFunc is an API handler: it answers or returns an error, which becomes the envelope.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p meta.Token) error

func (s *Server) handle(pattern string, roles []string, h handlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="stella"`)
			s.writeError(w, r, err)
			return
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.principal = &p
		}
		if !allowed(roles, p.Role) {
			s.writeError(w, r, fault.Wrap(fault.Forbidden, fmt.Errorf("%s %s: role %s may not do this", r.Method, r.URL.Path, p.Role)))
			return
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func allowed(roles []string, role string) bool {
	for _, x := range roles {
		if x == role {
			return true
		}
	}
	return false
}

var errUnauthenticated = errors.New("a valid bearer token is required (Authorization: Bearer TOKEN)")

// authenticate finds the token of the request. Unknown, expired and revoked tokens are all 401 with the
// same message, so an answer tells nothing about tokens the caller does not hold.
func (s *Server) authenticate(r *http.Request) (meta.Token, error) {
	tok, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return meta.Token{}, fault.Wrap(fault.Unauthenticated, errUnauthenticated)
	}
	return s.authenticateCached(r.Context(), HashToken(tok))
}

// envelope is the one error shape of the API.
type envelope struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		// Field is the JSON pointer of the request body's bad field, when one is to blame.
		Field string `json:"field,omitempty"`
	} `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := fault.HTTPStatus(err)
	var e envelope
	e.Error.Code = fault.Code(err)
	e.Error.Message = capText(err.Error(), 1024)
	var fe *fieldInput
	if errors.As(err, &fe) {
		e.Error.Field = fe.pointer
	}
	if status == http.StatusInternalServerError || status == http.StatusServiceUnavailable && !errors.As(err, new(*publicUnavailable)) {
		// Operational details (paths, SQL, the store's endpoint and keys) stay in the log.
		s.cfg.Log.ErrorContext(r.Context(), "request failed", "method", capText(r.Method, 16), "path", capText(r.URL.Path, 512), "err", err)
		e.Error.Message = "internal error; see the server log"
		if status == http.StatusServiceUnavailable {
			e.Error.Message = "a service the server depends on is unavailable; see the server log"
		}
		if errors.Is(err, context.Canceled) {
			return
		}
	}
	w.Header().Del("ETag")
	w.Header().Del("Digest")
	w.Header().Del("Repr-Digest")
	w.Header().Del("Content-Digest")
	writeJSON(w, status, e)
}

// publicUnavailable is a 503 whose message may be shown (it names no endpoint or key).
type publicUnavailable struct{ msg string }

func (e *publicUnavailable) Error() string { return e.msg }

func unavailable(msg string) error { return fault.Wrap(fault.Unavailable, &publicUnavailable{msg}) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"operational","message":"encode response"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.cfg.DB.SchemaVersion(ctx); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "health check", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
