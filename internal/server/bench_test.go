package server_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
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
