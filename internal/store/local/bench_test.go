package local_test

import (
	"bytes"
	"io/fs"
	"strconv"
	"testing"

	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
)

// typicalSet is the size of a generated set: lock file, sticker, manifest, checksums and signature.
func typicalSet() []store.File {
	return []store.File{
		{Name: "compose.stella.lock.yml", Data: bytes.Repeat([]byte("x"), 6<<10)},
		{Name: "stella.version.json", Data: bytes.Repeat([]byte("x"), 2<<10)},
		{Name: "manifest.json", Data: bytes.Repeat([]byte("x"), 4<<10)},
		{Name: "checksums.sha256", Data: bytes.Repeat([]byte("x"), 400)},
		{Name: "checksums.sha256.sig", Data: bytes.Repeat([]byte("x"), 96)},
	}
}

// BenchmarkCreate writes one typical set per iteration (durably: every file and directory fsynced).
func BenchmarkCreate(b *testing.B) {
	s := local.New(b.TempDir())
	files := typicalSet()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Create(ctx, store.Ref{Tenant: "acme", Deployment: "d-" + strconv.Itoa(i)}, files); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpenRead opens a set and reads every file of it.
func BenchmarkOpenRead(b *testing.B) {
	s := local.New(b.TempDir())
	ref := store.Ref{Tenant: "acme", Deployment: "d"}
	files := typicalSet()
	if err := s.Create(ctx, ref, files); err != nil {
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
}

// BenchmarkList lists a tenant of 1000 sets.
func BenchmarkList(b *testing.B) {
	s := local.New(b.TempDir())
	for i := range 1000 {
		if err := s.Create(ctx, store.Ref{Tenant: "acme", Deployment: "d-" + strconv.Itoa(i)}, typicalSet()[:1]); err != nil {
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
}
