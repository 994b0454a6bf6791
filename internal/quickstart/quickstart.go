// Package quickstart holds the example release that `stella quickstart` writes out: a Compose template,
// a release and an environment that generate and verify with no server and no network.
package quickstart

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
