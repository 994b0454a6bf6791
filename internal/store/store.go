// Package store keeps deployment artifact sets: the immutable files of STORE/{tenant}/{deployment}/.
// A Store writes a whole set at once and never changes it afterwards; every backend passes the
// conformance suite in storetest. Backends live in subpackages (local) and are picked by URL in
// storeurl.
package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/stella-ops/stella/internal/checksum"
)

// Ref names one artifact set: a deployment of a tenant.
type Ref struct {
	Tenant, Deployment string
}

// String is "tenant/deployment".
func (r Ref) String() string { return r.Tenant + "/" + r.Deployment }

// Check reports whether both ids are safe names (see CheckName).
func (r Ref) Check() error {
	if err := CheckName("tenant", r.Tenant); err != nil {
		return err
	}
	return CheckName("deployment id", r.Deployment)
}

// File is one file of a set: a safe name (no directories) and its exact bytes — in Data, or, for a file
// too large to hold in memory (a deployment script of any size), read from Open while it is stored.
type File struct {
	Name string
	Data []byte
	// Open, when not nil, gives the file's bytes instead of Data (which must then be nil). A Create reads
	// it from the start, streaming through one buffer, and stores it only if it yields exactly Size bytes
	// with SHA-256 SHA256 (lowercase hex): a stream that ends short, runs long or hashes differently
	// (a file changed after it was hashed) fails the Create, and nothing is stored. Open may be called
	// more than once (a retried upload reads it again).
	Open   func() (io.ReadCloser, error)
	Size   int64
	SHA256 string
}

// Streamed reports whether the file's bytes come from Open.
func (f File) Streamed() bool { return f.Open != nil }

// Sum is the file's size and lowercase hex SHA-256: the given ones of a streamed file, else Data's.
func (f File) Sum() (int64, string) {
	if f.Open != nil {
		return f.Size, f.SHA256
	}
	return int64(len(f.Data)), checksum.Sum(f.Data)
}

// Reader opens the file's bytes. A streamed file's reader is a checksum.Exact: it yields exactly Size
// bytes with SHA-256 SHA256 or fails, withholding the last bytes, so that even a consumer that reads
// only Size bytes (an upload of that Content-Length) never gets a whole stream that is not the one
// hashed.
func (f File) Reader() (io.ReadCloser, error) {
	if f.Open == nil {
		return io.NopCloser(bytes.NewReader(f.Data)), nil
	}
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Name, err)
	}
	return checkedReader{checksum.NewExact(r, f.SHA256, f.Size), r}, nil
}

type checkedReader struct {
	*checksum.Exact
	io.Closer
}

// Store keeps artifact sets. Errors wrap ErrNotExist, ErrExist, ErrBadName or ErrBadSet where those apply
// (test with errors.Is); any other error is operational.
type Store interface {
	// Create writes a whole set atomically and create-only: an ErrExist error (message
	// "deployment T/D already exists") if the set exists, also when two processes race; nothing partial
	// is ever visible; on any error nothing is left.
	Create(ctx context.Context, ref Ref, files []File) error
	// Open returns the files of a set; ErrNotExist if it is absent (or another tenant's).
	Open(ctx context.Context, ref Ref) (fs.FS, error)
	// List returns the tenant's sets sorted by deployment id; none is an empty list, not an error.
	List(ctx context.Context, tenant string) ([]Ref, error)
	// Delete removes a whole set: ErrNotExist if it is absent (or another tenant's); ErrLocked (a
	// *LockedError saying until when) if the backend still enforces its retention, and then nothing is
	// removed. Once Delete starts removing, the set is no longer visible to Open and List (never a half
	// set); an interrupted Delete leaves at most what LeftoverCleaner or the next Delete removes.
	// Whether a set may go (its retention, holds, current deployments) is the caller's decision
	// (internal/retention): a store only refuses what its own locks forbid.
	Delete(ctx context.Context, ref Ref) error
}

// MaxName is the longest safe name.
const MaxName = 128

// CheckName returns an ErrBadName error naming what (e.g. "tenant", "file name") unless s is a safe name:
// 1 to 128 ASCII letters, digits, '.', '_' or '-', not starting with '.'. Safe names cannot hold a path
// separator, "..", NUL or anything a shell or URL would treat specially.
func CheckName(what, s string) error {
	why := ""
	switch {
	case s == "":
		why = "empty"
	case len(s) > MaxName:
		why = "longer than " + strconv.Itoa(MaxName) + " characters"
	case s[0] == '.':
		why = "starts with '.'"
	default:
		for i := 0; i < len(s); i++ {
			if c := s[i]; !safe(c) {
				why = fmt.Sprintf("character %q at offset %d is not allowed (letters, digits, '.', '_', '-' only)", rune(c), i)
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	shown := s
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	return fmt.Errorf("%s %q: %w: %s", what, shown, ErrBadName, why)
}

func safe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// CheckFiles reports whether files form a set: at least one file, each a safe, distinct name.
func CheckFiles(files []File) error {
	if len(files) == 0 {
		return fmt.Errorf("%w: no files", ErrBadSet)
	}
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if err := CheckName("file name", f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("%w: file name %q given twice", ErrBadSet, f.Name)
		}
		if f.Open != nil {
			if f.Data != nil {
				return fmt.Errorf("%w: file %s has both Data and Open", ErrBadSet, f.Name)
			}
			if _, err := hex.DecodeString(f.SHA256); err != nil || len(f.SHA256) != 64 || strings.ToLower(f.SHA256) != f.SHA256 || f.Size < 0 {
				return fmt.Errorf("%w: file %s is streamed without a valid size and lowercase hex SHA-256", ErrBadSet, f.Name)
			}
		}
		seen[f.Name] = true
	}
	return nil
}

// ExistsError is the error Create returns for a set that is already there.
func ExistsError(ref Ref) error { return fmt.Errorf("deployment %s %w", ref, ErrExist) }

// NotExistError is the error Open returns for an absent set.
func NotExistError(ref Ref) error { return fmt.Errorf("deployment %s %w", ref, ErrNotExist) }

// CheckCreate is what every backend checks before it writes anything of a set: safe names, a valid set
// of files and a live context. Errors read "create deployment T/D: …".
func CheckCreate(ctx context.Context, ref Ref, files []File) error {
	if err := ref.Check(); err != nil {
		return fmt.Errorf("create deployment: %w", err)
	}
	if err := CheckFiles(files); err != nil {
		return fmt.Errorf("create deployment %s: %w", ref, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create deployment %s: %w", ref, err)
	}
	return nil
}
