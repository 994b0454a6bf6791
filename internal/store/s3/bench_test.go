package s3_test

import (
	"bytes"
	"io/fs"
	"strconv"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/store"
)

// typicalSet is the size of a generated set: lock file, sticker, manifest, checksums and signature (the
// same as the local store's benchmark).
func typicalSet() []store.File {
	return []store.File{
		{Name: "compose.stella.lock.yml", Data: bytes.Repeat([]byte("x"), 6<<10)},
		{Name: "stella.version.json", Data: bytes.Repeat([]byte("x"), 2<<10)},
		{Name: "manifest.json", Data: bytes.Repeat([]byte("x"), 4<<10)},
		{Name: "checksums.sha256", Data: bytes.Repeat([]byte("x"), 400)},
		{Name: "checksums.sha256.sig", Data: bytes.Repeat([]byte("x"), 96)},
	}
}

// BenchmarkCreate stores one typical set per iteration, locked for 7 years: a HEAD of the marker, five
// create-only PUTs (at once) and the marker's PUT, against versitygw in this process over loopback TCP.
func BenchmarkCreate(b *testing.B) {
	s := openStore(b, newBucket(b, true), "bench")
	files := typicalSet()
	until := time.Now().Add(7 * 365 * 24 * time.Hour)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.CreateRetained(ctx, store.Ref{Tenant: "acme", Deployment: "d-" + strconv.Itoa(i)}, files, until); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpenRead opens a set (GET of the marker) and reads every file (one GET each, checked).
func BenchmarkOpenRead(b *testing.B) {
	s := openStore(b, newBucket(b, true), "bench")
	ref := store.Ref{Tenant: "acme", Deployment: "d"}
	files := typicalSet()
	if err := s.CreateRetained(ctx, ref, files, time.Now().Add(time.Hour)); err != nil {
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

// BenchmarkList lists a tenant of 1000 sets (one ListObjectsV2 page of markers).
func BenchmarkList(b *testing.B) {
	s := openStore(b, newBucket(b, true), "bench")
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
