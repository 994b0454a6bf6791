// Package quickstart holds the example release that `stella quickstart` writes out: a Compose template,
// a release and an environment that generate and verify with no server and no network.
package quickstart

import (
	"context"
	"time"

	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/sign"
)

//go:embed example
var example embed.FS

// Files are the example's file names, in the order they are written.
var Files = []string{"compose.yaml", "release.yaml", "environment.yaml", "promotion.yaml"}

// Write puts the example files into dir, which must be new or empty.
func Write(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("quickstart %s: directory is not empty; give a new or empty directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("quickstart %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range Files {
		data, err := example.ReadFile("example/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Generate writes the example into dir (new or empty) and generates its set for tenant and deployment
// with the signer at now, with a sticker for each target (prod-web-01, prod-web-02): the set tests and
// benchmarks of other packages work on.
func Generate(ctx context.Context, dir string, s *sign.Signer, tenant, deployment string, now time.Time, targets ...string) (*generate.Result, error) {
	if err := Write(dir); err != nil {
		return nil, err
	}
	in, err := generate.Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
	if err != nil {
		return nil, err
	}
	return generate.Generate(ctx, generate.Request{
		Inputs: in, TenantID: tenant, DeploymentID: deployment, Signer: s, Now: now, TargetNames: targets,
	})
}
