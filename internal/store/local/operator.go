package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/stella-ops/stella/internal/store"
)

var (
	_ store.TenantLister    = (*Store)(nil)
	_ store.LeftoverCleaner = (*Store)(nil)
)

// tempPrefix starts the name of Create's temp dir: STORE/T/.tmp-D-RANDOM.
const tempPrefix = ".tmp-"

// Tenants lists the tenant directories of the store (directories with a safe name), sorted. A store
// whose root does not exist yet is empty.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out := []string{}
	for _, e := range entries {
		if e.IsDir() && store.CheckName("", e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// Leftovers lists the temp directories that interrupted Creates left in tenant directories.
func (s *Store) Leftovers(ctx context.Context) ([]store.Leftover, error) {
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	out := []store.Leftover{}
	for _, t := range tenants {
		entries, err := os.ReadDir(filepath.Join(s.dir, t))
		if err != nil {
			return nil, fmt.Errorf("list leftovers of %s: %w", t, err)
		}
		for _, e := range entries {
			if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
				continue
			}
			l := store.Leftover{Tenant: t, Name: e.Name(), Deployment: tempDeployment(e.Name())}
			if fi, err := e.Info(); err == nil {
				l.ModTime = fi.ModTime().UTC()
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// tempDeployment is D of .tmp-D-RANDOM ("" if the name is not of that shape).
func tempDeployment(name string) string {
	rest := strings.TrimPrefix(name, tempPrefix)
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return ""
	}
	return rest[:i]
}

// RemoveLeftover removes one temp directory of a tenant. It refuses a name that is not a temp dir's
// (which a set's safe name can never be: sets cannot start with '.') and anything that is not a directory.
func (s *Store) RemoveLeftover(ctx context.Context, l store.Leftover) error {
	if err := store.CheckName("tenant", l.Tenant); err != nil {
		return fmt.Errorf("remove leftover: %w", err)
	}
	if !strings.HasPrefix(l.Name, tempPrefix) || strings.ContainsAny(l.Name, `/\`) || l.Name == tempPrefix {
		return fmt.Errorf("remove leftover %s/%s: %w: not a temp directory", l.Tenant, l.Name, store.ErrBadName)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove leftover %s/%s: %w", l.Tenant, l.Name, err)
	}
	dir := filepath.Join(s.dir, l.Tenant, l.Name)
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("remove leftover %s/%s: %w", l.Tenant, l.Name, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("remove leftover %s/%s: not a directory", l.Tenant, l.Name)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("remove leftover %s/%s: %w", l.Tenant, l.Name, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove leftover %s/%s: %w", l.Tenant, l.Name, err)
	}
	return syncDir(filepath.Join(s.dir, l.Tenant))
}
