package fsck_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fsck"
	"github.com/stella-ops/stella/internal/verify"
)

// BenchmarkRun100 checks a store of 100 recorded sets (the quickstart example, EdDSA) and their
// evidence chain in SQLite: one op is a whole fsck.
func BenchmarkRun100(b *testing.B) {
	e := newEnvB(b)
	for i := range 100 {
		e.deploy(b, e.db, "acme", fmt.Sprintf("d%03d", i), t0.Add(time.Duration(i)*time.Minute), true)
	}
	o := fsck.Options{Store: e.store, DB: e.db, DBName: "bench", SetKeys: verify.Keys{Keyring: &e.kr}, EvidenceKeys: evidence.KeySet{Keyring: &e.kr}}
	b.ReportAllocs()
	for b.Loop() {
		r, err := fsck.Run(ctx, o)
		if err != nil || !r.Clean || len(r.Sets) != 100 {
			b.Fatalf("%v %+v", err, r)
		}
	}
}
