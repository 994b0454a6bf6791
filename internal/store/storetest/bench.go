package storetest

import (
	"bytes"
	"context"
	"io/fs"
	"strconv"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/store"
)

// TypicalSet has the sizes of a generated set: lock file, sticker, manifest, checksums and signature.
func TypicalSet() []store.File {
	return []store.File{
		{Name: "compose.stella.lock.yml", Data: bytes.Repeat([]byte("x"), 6<<10)},
		{Name: "stella.version.json", Data: bytes.Repeat([]byte("x"), 2<<10)},
		{Name: "manifest.json", Data: bytes.Repeat([]byte("x"), 4<<10)},
		{Name: "checksums.sha256", Data: bytes.Repeat([]byte("x"), 400)},
		{Name: "checksums.sha256.sig", Data: bytes.Repeat([]byte("x"), 96)},
	}
}

// Bench runs the same benchmarks on every backend: Create (one typical set per iteration, retained 7
// years where the backend keeps a retention), OpenRead (open a set and read every file) and List (a
// tenant of 1000 sets).
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	ctx := context.Background()
	b.Run("Create", func(b *testing.B) {
		s := newStore(b)
		files := TypicalSet()
		until := time.Now().Add(7 * 365 * 24 * time.Hour)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := store.CreateRetained(ctx, s, store.Ref{Tenant: "acme", Deployment: "d-" + strconv.Itoa(i)}, files, until); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("OpenRead", func(b *testing.B) {
		s := newStore(b)
		ref := store.Ref{Tenant: "acme", Deployment: "d"}
		files := TypicalSet()
		if err := store.CreateRetained(ctx, s, ref, files, time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			fsys, err := s.Open(ctx, ref)
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				if _, err := fs.ReadFile(fsys, f.Name); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("List", func(b *testing.B) {
		s := newStore(b)
		for i := range 1000 {
			if err := s.Create(ctx, store.Ref{Tenant: "acme", Deployment: "d-" + strconv.Itoa(i)}, TypicalSet()[:1]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			refs, err := s.List(ctx, "acme")
			if err != nil || len(refs) != 1000 {
				b.Fatal(len(refs), err)
			}
		}
	})
}
