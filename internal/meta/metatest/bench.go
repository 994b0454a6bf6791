package metatest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
)

// LargeSwitch turns on the 100,000-row sizes: STELLA_BENCH_LARGE=1 go test -bench . ./internal/meta/...
const LargeSwitch = "STELLA_BENCH_LARGE"

// BenchOpener opens a fresh, empty database for a benchmark.
type BenchOpener func(b *testing.B) meta.DB

// Bench runs the metadata benchmarks: one deployment per transaction, one signed evidence packet per
// transaction, and listing a tenant's latest 50 deployments at 1k, 10k (and, with LargeSwitch, 100k)
// rows.
func Bench(b *testing.B, open BenchOpener) {
	ctx := context.Background()
	b.Run("InsertDeployment", func(b *testing.B) {
		db := open(b)
		Seed(b, db, "acme", "d-seed", T0)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			err := db.Update(ctx, "acme", func(tx meta.Tx) error {
				return tx.CreateDeployment(ctx, meta.Deployment{ID: fmt.Sprintf("d%09d", i), ReleaseID: "rel-1", EnvironmentID: "env-prod", Status: meta.StatusGenerated, CreatedAt: T0.Add(time.Duration(i) * time.Millisecond)},
					[]meta.Task{{TargetID: "host-a", Type: "deploy"}})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deployments/s")
	})
	b.Run("AppendEvidence", func(b *testing.B) {
		db := open(b)
		Seed(b, db, "acme", "d1", T0)
		s := signer(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := db.Update(ctx, "acme", func(tx meta.Tx) error {
				_, err := evidence.Append(ctx, tx, s, benchDraft("d1", T0.Add(time.Duration(i)*time.Millisecond)))
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	})
	sizes := []int{1000, 10000}
	if os.Getenv(LargeSwitch) == "1" {
		sizes = append(sizes, 100000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("ListLatest50/rows=%d", n), func(b *testing.B) {
			db := open(b)
			fill(b, db, "acme", n)
			fill(b, db, "globex", 1000) // another tenant's rows in the same tables
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := db.View(ctx, "acme", func(tx meta.Tx) error {
					ds, err := tx.Deployments(ctx, 50)
					if err == nil && len(ds) != 50 {
						err = fmt.Errorf("listed %d", len(ds))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if os.Getenv(LargeSwitch) == "1" {
		b.Run("Fill100k", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				db := open(b)
				Seed(b, db, "acme", "d1", T0)
				s := signer(b)
				start := time.Now()
				for j := 0; j < 100000; j++ {
					if err := db.Update(ctx, "acme", func(tx meta.Tx) error {
						return tx.CreateDeployment(ctx, meta.Deployment{ID: fmt.Sprintf("f%09d", j), ReleaseID: "rel-1", EnvironmentID: "env-prod", Status: meta.StatusGenerated, CreatedAt: T0.Add(time.Duration(j) * time.Millisecond)}, nil)
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(100000/time.Since(start).Seconds(), "deployments/s")
				start = time.Now()
				for j := 0; j < 100000; j++ {
					if err := db.Update(ctx, "acme", func(tx meta.Tx) error {
						_, err := evidence.Append(ctx, tx, s, benchDraft(fmt.Sprintf("f%09d", j), T0.Add(time.Duration(j)*time.Millisecond)))
						return err
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(100000/time.Since(start).Seconds(), "packets/s")
				lat := time.Now()
				const reps = 200
				for j := 0; j < reps; j++ {
					if err := db.View(ctx, "acme", func(tx meta.Tx) error { _, err := tx.Deployments(ctx, 50); return err }); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(lat).Microseconds())/reps, "µs/list50")
			}
		})
	}
}

func signer(b *testing.B) *sign.Signer {
	key, err := sign.Generate(sign.EdDSA)
	if err != nil {
		b.Fatal(err)
	}
	s, err := sign.NewSigner("bench/key", key)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchDraft(dep string, at time.Time) evidence.Draft {
	return evidence.Draft{Type: evidence.TypeDeployment, PromotionID: "promo-1", GeneratedAt: at, Content: evidence.Content{
		Release:     evidence.Release{ID: "rel-1", Name: "myapp-v1", CreatedAt: T0, Components: []evidence.Component{{ID: "c", Name: "api", Digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}}},
		Environment: evidence.Environment{ID: "env-prod", Name: "production", Tier: "production"},
		Actors:      evidence.Actors{Requester: evidence.Person{ID: "u-1", Name: "Jane"}},
		Decision:    evidence.Decision{Result: "allow"},
		Execution:   &evidence.Execution{DeploymentJobID: dep, Artifacts: []evidence.Artifact{{Type: "manifest", Name: "manifest.json", ContentHash: "sha256:00"}}},
	}}
}

// fill records n deployments for tenant, 5,000 per transaction.
func fill(b *testing.B, db meta.DB, tenant string, n int) {
	Seed(b, db, tenant, "d-seed", T0)
	ctx := context.Background()
	for start := 1; start < n; start += 5000 {
		err := db.Update(ctx, tenant, func(tx meta.Tx) error {
			for i := start; i < start+5000 && i < n; i++ {
				if err := tx.CreateDeployment(ctx, meta.Deployment{ID: fmt.Sprintf("d%09d", i), ReleaseID: "rel-1", EnvironmentID: "env-prod", Status: meta.StatusGenerated, CreatedAt: T0.Add(time.Duration(i) * time.Second)}, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
