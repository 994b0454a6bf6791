package server_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
)

func benchClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4 * runtime.GOMAXPROCS(0)
	return &http.Client{Transport: tr}
}

func get(b *testing.B, c *http.Client, url, token string) int64 {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return n
}

// BenchmarkManifest is requests per second for GET …/artifacts/manifest over loopback HTTP/1.1 with
// keep-alive, parallel clients, with stella serve's lookup cache: token and artifact records found in
// the cache, the file opened, its identity checked against the digest kept, sent.
func BenchmarkManifest(b *testing.B) {
	f := newFixture(b)
	f.cacheTTL = 5 * time.Second // as stella serve
	base, _, _ := f.serve(b, f.store)
	url, tok := base+"/api/v1/deployment-jobs/d1/artifacts/manifest", f.tokens["acme/auditor"]
	c := benchClient()
	get(b, c, url, tok)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get(b, c, url, tok)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkDownload is the throughput of one client downloading a 16 MiB artifact (hashed against the
// record at the first request, then sent from the file while its identity holds).
func BenchmarkDownload(b *testing.B) {
	f := newFixture(b)
	f.cacheTTL = 5 * time.Second // as stella serve
	big := make([]byte, 16<<20)
	_, _ = rand.Read(big)
	f.putBig(b, big)
	base, _, _ := f.serve(b, f.store)
	url, tok := base+"/api/v1/deployment-jobs/big/artifacts/big.bin", f.tokens["acme/auditor"] // an agent sees only its target's jobs
	c := benchClient()
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n := get(b, c, url, tok); n != int64(len(big)) {
			b.Fatalf("%d bytes", n)
		}
	}
}

// BenchmarkManifestHandler is the handler's own cost of GET …/artifacts/manifest (no network): lookup
// cache hit, the file opened and its identity checked, the answer written, the request logged (to a
// discarding text handler, as serve logs) and counted — what net/http's own work comes on top of.
func BenchmarkManifestHandler(b *testing.B) {
	f := newFixture(b)
	db, err := connect.Open(context.Background(), f.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	h := server.New(server.Config{DB: db, Store: local.New(f.store), Keys: verify.Keys{Keyring: &sign.Keyring{Dir: f.keys}},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), LookupCacheTTL: 5 * time.Second})
	req := httptest.NewRequest("GET", "/api/v1/deployment-jobs/d1/artifacts/manifest", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["acme/auditor"])
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != 200 || w.n == 0 {
		b.Fatalf("manifest: %d, %d bytes", w.status, w.n)
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, req.Clone(req.Context()))
	}
}

// discardWriter is a ResponseWriter that keeps the status and counts the body.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	w.n += len(p)
	return len(p), nil
}

// ReadFrom is there as net/http's response has one (io.Discard's pooled buffers, not a new one a call).
func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := io.Copy(io.Discard, r)
	w.n += int(n)
	return n, err
}
