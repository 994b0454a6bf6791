package script

import (
	"context"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/internal/workflow"
)

// BenchmarkShell measures generating, parsing and printing deploy.stella.sh for the example workflow
// (without shellcheck, which runs as its own process).
func BenchmarkShell(b *testing.B) {
	wf, err := workflow.Load("../../docs/examples/workflow.yaml")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{noLint: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Shell(context.Background(), wf, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileCSharp measures compiling the SDK and the spec's example with mcs (two processes).
func BenchmarkCompileCSharp(b *testing.B) {
	mcs := testenv.Command(b, "mcs")
	wf, err := workflow.Parse("testdata/csharp/workflow.yaml", []byte("script: deploy.stella.csx\n"))
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{CSXCompiler: mcs}
	for b.Loop() {
		if _, err := Build(context.Background(), wf, opts); err != nil {
			b.Fatal(err)
		}
	}
}
