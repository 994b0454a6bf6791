package verify_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/verify"
)

// bigSet writes to a new directory the quickstart set carrying one more artifact of size random bytes
// (deploy.stella.sh, as a large deployment script would be) and returns the directory and the key.
// STELLA_BENCH_SET_MB overrides the size (1024 for the 1 GiB case of docs/performance.md);
// STELLA_BENCH_SET_DIR keeps the set there (as acme/d1) and its public key (bench.pub), to time
// `stella verify` on it.
func bigSet(b *testing.B, size int64) (string, *sign.Verifier) {
	b.Helper()
	if mb, err := strconv.Atoi(os.Getenv("STELLA_BENCH_SET_MB")); err == nil && mb > 0 {
		size = int64(mb) << 20
	}
	kr := sign.Keyring{Dir: b.TempDir()}
	s, err := kr.Generate("bench", sign.EdDSA)
	if err != nil {
		b.Fatal(err)
	}
	qdir := b.TempDir()
	if err := quickstart.Write(qdir); err != nil {
		b.Fatal(err)
	}
	in, err := generate.Load(filepath.Join(qdir, "release.yaml"), filepath.Join(qdir, "environment.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	big := make([]byte, size)
	_, _ = rand.Read(big)
	res, err := generate.Generate(context.Background(), generate.Request{Inputs: in, TenantID: "acme", DeploymentID: "d1", Signer: s,
		Now: time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC), Extra: []generate.Artifact{{Name: "deploy.stella.sh", Type: "script", Data: big}}})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if keep := os.Getenv("STELLA_BENCH_SET_DIR"); keep != "" {
		dir = filepath.Join(keep, "acme", "d1")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		pub, err := os.ReadFile(filepath.Join(kr.Dir, "bench.pub"))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(keep, "bench.pub"), pub, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range res.Files {
		os.Remove(filepath.Join(dir, f.Name))
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o444); err != nil {
			b.Fatal(err)
		}
	}
	v, err := kr.Verifier("bench")
	if err != nil {
		b.Fatal(err)
	}
	return dir, v
}

func dirBytes(b *testing.B, dir string) int64 {
	ents, _ := os.ReadDir(dir)
	var n int64
	for _, e := range ents {
		fi, _ := e.Info()
		n += fi.Size()
	}
	return n
}

// BenchmarkSetLarge is verify.Set over a set whose script is 128 MiB (page cache warm): MB/s over the
// set's bytes. Compare with BenchmarkSHA256Files, Go's SHA-256 over the same files.
func BenchmarkSetLarge(b *testing.B) {
	dir, v := bigSet(b, 128<<20)
	fsys := os.DirFS(dir)
	b.SetBytes(dirBytes(b, dir))
	b.ReportAllocs()
	for b.Loop() {
		r, err := verify.Set(fsys, verify.Keys{Given: []*sign.Verifier{v}})
		if err != nil || !r.Valid {
			b.Fatalf("%v %+v", err, r)
		}
	}
}

// BenchmarkSHA256Files is the limit of BenchmarkSetLarge: each file of the same set read and hashed
// with crypto/sha256, one after the other, nothing else checked.
func BenchmarkSHA256Files(b *testing.B) {
	dir, _ := bigSet(b, 128<<20)
	b.SetBytes(dirBytes(b, dir))
	buf := make([]byte, 256<<10)
	ents, _ := os.ReadDir(dir)
	for b.Loop() {
		for _, e := range ents {
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf); err != nil {
				b.Fatal(err)
			}
			f.Close()
			h.Sum(nil)
		}
	}
}

// BenchmarkSHA256Memory is Go's SHA-256 over 128 MiB already in memory: the hash alone.
func BenchmarkSHA256Memory(b *testing.B) {
	data := make([]byte, 128<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sha256.Sum256(data)
	}
}
