package generate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/lockfile"
)

// writeBenchInputs writes the benchmark's inputs into dir: a 300-service Compose template using 60
// distinct images (healthchecks, environment with references, deploy, labels, depends_on), a release
// whose 60 components give every digest, and an environment with replicas for every service.
func writeBenchInputs(tb testing.TB, dir string) {
	tb.Helper()
	var c, r, e strings.Builder
	c.WriteString("services:\n")
	for i := 0; i < 300; i++ {
		img := i % 60
		fmt.Fprintf(&c, "  svc%d:\n    image: registry.example.com/team/app%d:v1.%d\n", i, img, img)
		c.WriteString("    environment:\n      - DATABASE_URL=${DATABASE_URL}\n      - LOG_LEVEL=${LOG_LEVEL:-info}\n")
		c.WriteString("    healthcheck:\n      test: [\"CMD\", \"wget\", \"-q\", \"http://localhost:8080/health\"]\n      interval: 10s\n")
		c.WriteString("    deploy:\n      replicas: 1\n      resources: {limits: {cpus: '0.5', memory: 256M}}\n")
		fmt.Fprintf(&c, "    labels:\n      team: t%d\n", i%7)
		if i > 0 && i%10 != 0 {
			fmt.Fprintf(&c, "    depends_on: [svc%d]\n", i-1)
		}
	}
	r.WriteString("id: rel-bench\nname: bench-v1\ncreatedAt: 2026-01-10T14:00:00Z\ncompose: compose.yaml\ncomponents:\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&r, "  - {name: svc%d, id: comp-%d, image: registry.example.com/team/app%d, tag: v1.%d, digest: \"sha256:%s\", semver: 1.%d.0}\n",
			i, i, i, i, checksum.Sum([]byte(fmt.Sprint(i))), i)
	}
	// The other 240 services are not release components: their template references carry the digest.
	tpl := c.String()
	for i := 0; i < 60; i++ {
		tag := fmt.Sprintf("app%d:v1.%d\n", i, i)
		tpl = strings.ReplaceAll(tpl, tag, fmt.Sprintf("app%d:v1.%d@sha256:%s\n", i, i, checksum.Sum([]byte(fmt.Sprint(i)))))
	}
	e.WriteString("id: env-prod\nname: production\ntier: production\nrequirePromotion: false\nvariables: {LOG_LEVEL: warn}\nsecrets:\n  - {name: DATABASE_URL, ref: \"vault://kv/prod/db#url\"}\nreplicas:\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&e, "  svc%d: %d\n", i, 1+i%3)
	}
	for name, data := range map[string]string{"compose.yaml": tpl, "release.yaml": r.String(), "environment.yaml": e.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkGenerate300 is the in-process pipeline on the 300-service template: load the three inputs,
// validate, pin, render, sticker, manifest, checksums and three signatures (EdDSA).
func BenchmarkGenerate300(b *testing.B) {
	dir := b.TempDir()
	writeBenchInputs(b, dir)
	s := testKey(b)
	b.ReportAllocs()
	for b.Loop() {
		in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(context.Background(), Request{Inputs: in, TenantID: "acme", DeploymentID: "d", Signer: s, Now: goldenNow}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcess300 is the whole process: `stella generate` on the 300-service template, storing the
// set in a local store (fsync included), exec'd once per iteration. It reports the peak resident memory
// of the child as max-rss-MB.
//
// STELLA_BENCH_DIR=DIR keeps the inputs, the binary and the keyring in DIR, for timing the same command
// with other tools (docs/performance.md shows hyperfine).
func BenchmarkProcess300(b *testing.B) {
	dir := os.Getenv("STELLA_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		os.RemoveAll(filepath.Join(dir, "keys"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	writeBenchInputs(b, dir)
	bin := filepath.Join(dir, "stella")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/stella")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	kr := filepath.Join(dir, "keys")
	if out, err := exec.Command(bin, "keys", "generate", "bench", "--alg", "EdDSA", "--keyring", kr).CombinedOutput(); err != nil {
		b.Fatalf("keys: %v\n%s", err, out)
	}
	var maxRSS int64
	start0 := time.Now().UnixNano() // deployment ids unique across runs that share STELLA_BENCH_DIR
	i := 0
	var wall time.Duration
	for b.Loop() {
		i++
		cmd := exec.Command(bin, "generate", "--release", filepath.Join(dir, "release.yaml"), "--environment", filepath.Join(dir, "environment.yaml"),
			"--tenant", "acme", "--deployment-id", fmt.Sprintf("d%d-%d", start0, i), "--key", "bench", "--keyring", kr,
			"--store", filepath.Join(dir, "store"), "--data", filepath.Join(dir, "data"), "--now", "2026-01-10T14:30:00Z")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("generate: %v\n%s", err, out)
		}
		wall += time.Since(start)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss
		}
	}
	b.ReportMetric(float64(maxRSS)/1024, "max-rss-MB")
}

// BenchmarkCheckLock300 is the compose-go loader check of the 300-service lock alone (what a template
// not seen before adds to a generation).
func BenchmarkCheckLock300(b *testing.B) {
	dir := b.TempDir()
	writeBenchInputs(b, dir)
	in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := Generate(context.Background(), Request{Inputs: in, TenantID: "acme", DeploymentID: "d", Signer: testKey(b), Now: goldenNow})
	if err != nil {
		b.Fatal(err)
	}
	lock := file(res, lockfile.FileName)
	tpl, err := in.template()
	if err != nil {
		b.Fatal(err)
	}
	lookup := lockfile.EnvLookup(in.Environment)
	b.ReportAllocs()
	for b.Loop() {
		if err := tpl.CheckLock(context.Background(), lock, lookup); err != nil {
			b.Fatal(err)
		}
	}
}
