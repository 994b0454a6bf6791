package s3_test

import (
	"testing"

	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/storetest"
)

// BenchmarkStore runs the backends' shared benchmarks against versitygw in this process over loopback
// TCP: Create is a HEAD of the marker, five create-only PUTs (at once) locked for 7 years and the
// marker's PUT; OpenRead a GET of the marker and one checked GET per file; List one ListObjectsV2 page.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openStore(b, newBucket(b, true), "bench") })
}
