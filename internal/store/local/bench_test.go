package local_test

import (
	"testing"

	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/storetest"
)

// BenchmarkStore runs the backends' shared benchmarks; Create is durable (every file and directory
// fsynced).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return local.New(b.TempDir()) })
}
