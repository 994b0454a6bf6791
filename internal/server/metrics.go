package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

// latencyBuckets are the upper bounds of stella_http_request_duration_seconds, in seconds.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// serverMetrics are what /metrics shows, in Prometheus's text format (VictoriaMetrics/metrics: no work
// at package initialisation beyond a few maps, where client_golang's default registry, Go and process
// collectors and protobuf descriptors cost every command ~1 ms of start-up; docs/decisions.md). Every
// label value comes from a bounded set (route patterns, known methods, status codes, safe ids).
type serverMetrics struct {
	set *metrics.Set
	// Per-request series, by key: looked up without building the series name after the first request.
	requests sync.Map // requestKey → *metrics.Counter
	latency  sync.Map // latencyKey → *metrics.PrometheusHistogram
}

type requestKey struct {
	method, route string
	code          int
}

type latencyKey struct{ method, route string }

func newServerMetrics(set *metrics.Set) *serverMetrics {
	if set == nil {
		set = metrics.NewSet()
	}
	metrics.ExposeMetadata(true) // # TYPE lines, so that scrapers know the histogram for one
	return &serverMetrics{set: set}
}

// request counts one answered request and its time.
func (m *serverMetrics) request(method, route string, code int, seconds float64) {
	rk := requestKey{method, route, code}
	c, ok := m.requests.Load(rk)
	if !ok {
		c, _ = m.requests.LoadOrStore(rk, m.set.GetOrCreateCounter(series("stella_http_requests_total", "code", strconv.Itoa(code), "method", method, "route", route)))
	}
	c.(*metrics.Counter).Inc()
	lk := latencyKey{method, route}
	h, ok := m.latency.Load(lk)
	if !ok {
		h, _ = m.latency.LoadOrStore(lk, m.set.GetOrCreatePrometheusHistogramExt(series("stella_http_request_duration_seconds", "method", method, "route", route), latencyBuckets))
	}
	h.(*metrics.PrometheusHistogram).Update(seconds)
}

// drift sets stella_target_drift{tenant, target, state} (1 for the state a target's last check found).
func (m *serverMetrics) drift(tenant, target, state string, v float64) {
	m.set.GetOrCreateGauge(series("stella_target_drift", "state", state, "target", target, "tenant", tenant), nil).Set(v)
}

// ServeHTTP is GET /metrics: the server's series, then the Go runtime's and the process's.
func (m *serverMetrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.set.WritePrometheus(w)
	metrics.WriteProcessMetrics(w)
	metrics.WriteFDMetrics(w)
}

// series is name{k1="v1",k2="v2",...} with the values escaped as the text format asks (\\, \", \n);
// pairs are given sorted by label name.
func series(name string, pairs ...string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		labelEscaper.WriteString(&b, pairs[i+1])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
