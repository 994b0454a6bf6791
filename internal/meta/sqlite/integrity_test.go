package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
)

// The open reads only the header and schema; IntegrityCheck (PRAGMA quick_check, for fsck) reads every
// page and finds a data page that was overwritten.
func TestIntegrityCheck(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stella.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		metatest.Seed(t, db, "acme", "d"+strings.Repeat("x", i), metatest.T0)
	}
	if probs, err := db.IntegrityCheck(ctx); err != nil || len(probs) != 0 {
		t.Fatalf("clean database: %q, %v", probs, err)
	}
	db.Close() // checkpoints the WAL into the file

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(data) < 8*page {
		t.Fatalf("database of %d bytes is too small to damage a data page", len(data))
	}
	// The last page holds table or index data (the schema is page 1).
	last := len(data) - page
	for i := last; i < len(data); i++ {
		data[i] = 0x5a
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("the open should not read data pages: %v", err)
	}
	defer db.Close()
	var ic meta.IntegrityChecker = db
	probs, err := ic.IntegrityCheck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) == 0 {
		t.Fatal("quick_check found nothing on an overwritten page")
	}
	t.Logf("quick_check: %q", probs)
}
