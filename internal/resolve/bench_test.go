package resolve

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/stella-ops/stella/internal/resolve/regtest"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stella-ops/stella/internal/testenv"
)

// benchRefs pushes 60 distinct tags (20 repositories × 3 tags) and returns them as the 300 image
// references of a 300-service template: every tag used by five services.
func benchRefs(b *testing.B, pushHost, host string) []string {
	b.Helper()
	prefix := fmt.Sprintf("bench%d", os.Getpid())
	var distinct []string
	for r := range 20 {
		for tg := range 3 {
			rt := fmt.Sprintf("%s/svc%02d:v%d", prefix, r, tg)
			regtest.PushImage(b, pushHost, rt)
			distinct = append(distinct, host+"/"+rt)
		}
	}
	refs := make([]string, 0, 300)
	for i := range 300 {
		refs = append(refs, distinct[i%len(distinct)])
	}
	return refs
}

// runBench builds a new resolver per iteration, as each `stella generate` does, so that connection
// set-up is part of the time.
func runBench(b *testing.B, host string, refs []string, requests func() int64) {
	ctx := context.Background()
	before := requests()
	b.ResetTimer()
	for b.Loop() {
		r := newResolver(b, Options{Insecure: []string{host}})
		got, err := r.Resolve(ctx, refs)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 60 {
			b.Fatalf("%d resolutions", len(got))
		}
	}
	b.ReportMetric(float64(requests()-before)/float64(b.N), "requests/op")
}

// BenchmarkResolve300Refs60Tags resolves 300 references (60 distinct tags) against the in-process
// registry over loopback; target: 60 requests and well under 1 s per resolution.
func BenchmarkResolve300Refs60Tags(b *testing.B) {
	reg := startRegistry(b, nil)
	refs := benchRefs(b, reg.push, reg.host)
	runBench(b, reg.host, refs, func() int64 { return int64(reg.count.count()) })
}

// BenchmarkResolve300Refs60TagsDockerRegistry does the same against Debian's docker-registry
// ($STELLA_TEST_REGISTRY), counting the requests the resolver sends.
func BenchmarkResolve300Refs60TagsDockerRegistry(b *testing.B) {
	host := testenv.Var(b, testenv.Registry)
	refs := benchRefs(b, host, host)
	var count countingTransport
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		count.inner = http.DefaultTransport.(*http.Transport).Clone() // fresh connections, as in one run
		r := newResolver(b, Options{Insecure: []string{host}, Transport: &count})
		if _, err := r.Resolve(ctx, refs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(count.n.Load())/float64(b.N), "requests/op")
}

// BenchmarkNaiveRemoteHead is the baseline the resolver improves on: remote.Head for each distinct
// reference, one after the other, as a straightforward use of go-containerregistry would do.
func BenchmarkNaiveRemoteHead(b *testing.B) {
	reg := startRegistry(b, nil)
	refs := benchRefs(b, reg.push, reg.host)[:60]
	before := reg.count.count()
	b.ResetTimer()
	for b.Loop() {
		for _, s := range refs {
			ref, err := name.NewTag(s, name.Insecure)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := remote.Head(ref); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(reg.count.count()-before)/float64(b.N), "requests/op")
}
