package local_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/storetest"
)

// A leftover temp dir (read-only, as a crash after the chmod leaves it) is found with its deployment,
// removed by RemoveLeftover, and a set is never taken for one.
func TestLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := local.New(dir)
	set := store.Ref{Tenant: "acme", Deployment: "d1"}
	if err := s.Create(ctx, set, storetest.Set("x")); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, "acme", ".tmp-d-2-123456")
	if err := os.Mkdir(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(leftover, "manifest.json"), []byte("half"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(leftover, 0o555); err != nil {
		t.Fatal(err)
	}
	ls, err := s.Leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].Tenant != "acme" || ls[0].Name != ".tmp-d-2-123456" || ls[0].Deployment != "d-2" || ls[0].ModTime.IsZero() {
		t.Fatalf("Leftovers = %+v", ls)
	}
	for _, bad := range []store.Leftover{
		{Tenant: "acme", Name: "d1"},
		{Tenant: "acme", Name: ".tmp-/../d1"},
		{Tenant: "..", Name: ".tmp-x"},
		{Tenant: "acme", Name: ".tmp-"},
	} {
		if err := s.RemoveLeftover(ctx, bad); err == nil {
			t.Errorf("RemoveLeftover(%+v) succeeded", bad)
		}
	}
	storetest.Check(t, s, set, storetest.Set("x"))
	if err := s.RemoveLeftover(ctx, ls[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover still there: %v", err)
	}
	if ls, err := s.Leftovers(ctx); err != nil || len(ls) != 0 {
		t.Errorf("Leftovers after removal = %+v, %v", ls, err)
	}
	storetest.Check(t, s, set, storetest.Set("x"))
}

func TestTenantsOfAbsentRoot(t *testing.T) {
	s := local.New(filepath.Join(t.TempDir(), "none"))
	if ts, err := s.Tenants(ctx); err != nil || len(ts) != 0 {
		t.Errorf("Tenants = %v, %v", ts, err)
	}
	if ls, err := s.Leftovers(ctx); err != nil || len(ls) != 0 {
		t.Errorf("Leftovers = %v, %v", ls, err)
	}
}
