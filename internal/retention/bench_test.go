package retention_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/store/local"
)

// benchSets stores and records n development sets of one tenant in a local store and SQLite; the two
// newest stay (current and previous), the others are past their retention at the returned time.
func benchSets(b *testing.B, n int) (*env, time.Time) {
	b.Helper()
	e := newEnv(b, nil, local.New(b.TempDir()))
	created := day("2026-01-10T14:30:00Z")
	for i := range n {
		e.deploy(b, "acme", fmt.Sprintf("d%04d", i), "development", created.Add(time.Duration(i)*time.Minute), nil)
	}
	return e, created.AddDate(0, 2, 0)
}

// BenchmarkSweepDryRun: judging 200 sets (read each manifest, check it against its record, the
// deployments, tasks and stickers of the tenant).
func BenchmarkSweepDryRun(b *testing.B) {
	e, now := benchSets(b, 200)
	o := e.opts(now, true)
	b.ResetTimer()
	for b.Loop() {
		rep, err := retention.Sweep(ctx, o)
		if err != nil || rep.Would != 198 {
			b.Fatalf("%v %+v", err, rep)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/200, "µs/set")
}

// BenchmarkSweepRemove: removing 198 of 200 sets, each with its set_removed packet (one iteration per
// store: -benchtime=1x).
func BenchmarkSweepRemove(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e, now := benchSets(b, 200)
		o := e.opts(now, false)
		b.StartTimer()
		rep, err := retention.Sweep(ctx, o)
		if err != nil || rep.Removed != 198 {
			b.Fatalf("%v %+v", err, rep)
		}
	}
}
