// Package local is the filesystem Store: STORE/{tenant}/{deployment}/, one directory per set, written
// to a dot-prefixed temp directory beside it, fsynced, made read-only and renamed into place without
// replacing anything.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/store"
)

// Store is a store.Store on a local directory. The directory and tenant directories are created on first
// Create.
type Store struct {
	dir string
}

var _ store.Store = (*Store)(nil)

// New returns the store rooted at dir. It touches nothing until used.
func New(dir string) *Store { return &Store{dir: dir} }

// Dir is the root directory of the store.
func (s *Store) Dir() string { return s.dir }

// Path is the directory of a set (which need not exist).
func (s *Store) Path(ref store.Ref) string { return filepath.Join(s.dir, ref.Tenant, ref.Deployment) }

// Create writes the set: temp dir STORE/T/.tmp-D-*, each file written, fsynced and made 0444, the dir
// made 0555 and fsynced, then renamed to STORE/T/D with RENAME_NOREPLACE and STORE/T fsynced.
func (s *Store) Create(ctx context.Context, ref store.Ref, files []store.File) (err error) {
	if err := store.CheckCreate(ctx, ref, files); err != nil {
		return err
	}
	defer func() {
		if err != nil && !errors.Is(err, store.ErrExist) {
			err = fmt.Errorf("create deployment %s: %w", ref, err)
		}
	}()
	tenantDir := filepath.Join(s.dir, ref.Tenant)
	final := filepath.Join(tenantDir, ref.Deployment)
	if _, err := os.Lstat(final); err == nil {
		return store.ExistsError(ref)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := mkdirAll(tenantDir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(tenantDir, ".tmp-"+ref.Deployment+"-")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			removeTemp(tmp)
		}
	}()
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(ctx, filepath.Join(tmp, f.Name), f); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o555); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := renameNoReplace(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return store.ExistsError(ref)
		}
		return err
	}
	committed = true
	if err := syncDir(tenantDir); err != nil {
		// The set is visible but may not survive a crash: take it back so that nothing is left.
		if tmp2, terr := os.MkdirTemp(tenantDir, ".tmp-"+ref.Deployment+"-"); terr == nil {
			_ = os.Remove(tmp2)
			if os.Rename(final, tmp2) == nil {
				removeTemp(tmp2)
			}
		}
		return err
	}
	return nil
}

// writeFile creates name (which must not exist), writes src's bytes (a streamed file through one buffer,
// checked against its size and SHA-256 as it is copied), fsyncs and makes it read-only.
func writeFile(ctx context.Context, name string, src store.File) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if src.Streamed() {
		err = copyChecked(ctx, f, src)
	} else {
		_, err = f.Write(src.Data)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o444)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyChecked copies a streamed file into w; ctx is checked between buffers.
func copyChecked(ctx context.Context, w io.Writer, src store.File) error {
	r, err := src.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := checksum.Copy(w, ctxReader{ctx, r}); err != nil {
		return fmt.Errorf("write %s: %w", src.Name, err)
	}
	return nil
}

// ctxReader fails a read once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// removeTemp deletes a temp set dir, which is read-only once complete.
func removeTemp(dir string) {
	_ = os.Chmod(dir, 0o700)
	_ = os.RemoveAll(dir)
}

// mkdirAll creates dir and missing parents, fsyncing the parent of each directory it creates so that the
// new entries survive a crash.
func mkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) { // made meanwhile by a racing Create
			return nil
		}
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Open returns the set's files as an fs.FS confined to the set directory.
func (s *Store) Open(ctx context.Context, ref store.Ref) (fs.FS, error) {
	if err := ref.Check(); err != nil {
		return nil, fmt.Errorf("open deployment: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open deployment %s: %w", ref, err)
	}
	dir := s.Path(ref)
	fi, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, store.NotExistError(ref)
		}
		return nil, fmt.Errorf("open deployment %s: %w", ref, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open deployment %s: %s is not a directory", ref, dir)
	}
	return setFS(dir), nil
}

// List returns the tenant's sets, sorted; temp dirs (dot-prefixed) and anything that is not a directory
// with a safe name are skipped.
func (s *Store) List(ctx context.Context, tenant string) ([]store.Ref, error) {
	if err := store.CheckName("tenant", tenant); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list deployments of %s: %w", tenant, err)
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, tenant))
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("list deployments of %s: %w", tenant, err)
	}
	refs := []store.Ref{}
	for _, e := range entries {
		if e.IsDir() && store.CheckName("", e.Name()) == nil {
			refs = append(refs, store.Ref{Tenant: tenant, Deployment: e.Name()})
		}
	}
	slices.SortFunc(refs, func(a, b store.Ref) int {
		switch {
		case a.Deployment < b.Deployment:
			return -1
		case a.Deployment > b.Deployment:
			return 1
		}
		return 0
	})
	return refs, nil
}

// Delete removes the set: it is first renamed, in one step, to a temp dir (STORE/T/.tmp-D-…, the name
// an interrupted Create leaves, which List never shows and fsck's leftover cleaning removes), the tenant
// dir is fsynced, and only then is the temp dir made writable and removed. Open and List see the whole
// set or nothing.
func (s *Store) Delete(ctx context.Context, ref store.Ref) (err error) {
	if err := ref.Check(); err != nil {
		return fmt.Errorf("delete deployment: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	tenantDir := filepath.Join(s.dir, ref.Tenant)
	final := filepath.Join(tenantDir, ref.Deployment)
	fi, err := os.Lstat(final)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return store.NotExistError(ref)
		}
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("delete deployment %s: %s is not a directory", ref, final)
	}
	tomb, err := os.MkdirTemp(tenantDir, tempPrefix+ref.Deployment+"-")
	if err != nil {
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	// The placeholder only reserved a fresh random name; the set moves there in one step, never over
	// anything.
	if err := os.Remove(tomb); err != nil {
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	if err := renameNoReplace(final, tomb); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return store.NotExistError(ref) // deleted meanwhile
		}
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	if err := syncDir(tenantDir); err != nil {
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	if err := os.Chmod(tomb, 0o700); err != nil {
		return fmt.Errorf("delete deployment %s: the set is gone but %s is left (stella fsck --repair removes it): %w", ref, tomb, err)
	}
	if err := os.RemoveAll(tomb); err != nil {
		return fmt.Errorf("delete deployment %s: the set is gone but %s is left (stella fsck --repair removes it): %w", ref, tomb, err)
	}
	return syncDir(tenantDir)
}
