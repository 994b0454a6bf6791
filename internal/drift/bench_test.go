package drift_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
)

// BenchmarkDrift10000Targets is one drift evaluation of 10,000 targets' stickers on the server: each
// target's issued sticker (signed, its own target id) against the one its agent read — the same bytes
// for most, another release's for every tenth — on all cores. One op is all 10,000; the first op
// verifies every signature (cold), later ones find the issued stickers verified before (a schedule's
// steady state).
func BenchmarkDrift10000Targets(b *testing.B) { benchDrift(b, false) }

// BenchmarkDrift10000TargetsCold is the same with nothing verified before: every signature checked.
func BenchmarkDrift10000TargetsCold(b *testing.B) { benchDrift(b, true) }

func benchDrift(b *testing.B, cold bool) {
	const targets = 10000
	f := newFixture(b, sign.EdDSA)
	exp := make([][]byte, targets)
	act := make([][]byte, targets)
	for i := range targets {
		id := fmt.Sprintf("tgt-%05d", i)
		exp[i] = f.resign(b, func(s *sticker.Sticker) { s.Deployment.TargetID = id })
		act[i] = exp[i]
		if i%10 == 0 {
			act[i] = f.resign(b, func(s *sticker.Sticker) { s.Deployment.TargetID = id; s.Release.ID = "rel-other" })
		}
	}
	c := &drift.Checker{Keys: f.keys}
	evaluate := func() {
		var next, drifted atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= targets {
						return
					}
					r, err := c.Check(drift.Input{Name: "issued", Data: exp[i]}, drift.Input{Name: "read", Data: act[i]}, fmt.Sprintf("tgt-%05d", i))
					if err != nil {
						b.Error(err)
						return
					}
					if r.DriftDetected {
						drifted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if drifted.Load() != targets/10 {
			b.Fatalf("%d drifted, want %d", drifted.Load(), targets/10)
		}
	}
	evaluate() // the first evaluation of a schedule
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if cold {
			c = &drift.Checker{Keys: f.keys}
		}
		evaluate()
	}
}
