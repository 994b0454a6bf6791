package evidence_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/sign"
)

// BenchmarkVerifyChain300 is evidence.VerifyChain over a chain of 1,000 deployment packets of a
// 300-component release (SQLite, EdDSA key from the keyring): packets/s is the figure of
// docs/performance.md.
func BenchmarkVerifyChain300(b *testing.B) {
	kr := sign.Keyring{Dir: b.TempDir()}
	s, err := kr.Generate("stella/signing/bench", sign.EdDSA)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "stella.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	metatest.Seed(b, db, "acme", "d1", metatest.T0)
	d := draft("acme", "d1", now)
	d.Content.Release.Components = nil
	for i := range 300 {
		d.Content.Release.Components = append(d.Content.Release.Components, evidence.Component{ID: fmt.Sprintf("comp-%d", i), Name: fmt.Sprintf("svc%d", i),
			Digest: digestAPI, Semver: "1.0.0", Tag: "v1.0.0", Role: "primary", ImageRepository: fmt.Sprintf("registry.example.com/team/app%d", i)})
	}
	const packets = 1000
	err = db.Update(ctx, "acme", func(tx meta.Tx) error {
		for i := range packets {
			d.GeneratedAt = now.Add(time.Duration(i) * time.Second)
			d.ID = fmt.Sprintf("ev-%d", i)
			if _, err := evidence.Append(ctx, tx, s, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	keys := evidence.KeySet{Keyring: &kr}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		rep, err := evidence.VerifyChain(ctx, db, "acme", keys)
		if err != nil || rep.Packets != packets || len(rep.Problems) != 0 {
			b.Fatalf("%v %d %v", err, rep.Packets, rep.Problems)
		}
	}
	b.ReportMetric(float64(b.N*packets)/time.Since(start).Seconds(), "packets/s")
}
