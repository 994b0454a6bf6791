package store

import (
	"context"
	"time"
)

// The optional abilities of a Store, found by type assertion (as fs.ReadDirFS is for fs.FS). Operator
// commands (fsck) use them where a backend has them.

// TenantLister is a Store that can list the tenants it holds sets of.
type TenantLister interface {
	// Tenants lists every tenant with a set (or a tenant directory), sorted; none is an empty list.
	Tenants(ctx context.Context) ([]string, error)
}

// Leftover is what an interrupted Create left behind: a partial, never visible set. It is never a set.
type Leftover struct {
	Tenant string `json:"tenant"`
	// Name is the backend's name for it (for the local backend, the temp directory's name).
	Name string `json:"name"`
	// Deployment is the deployment the interrupted Create was writing, where the backend knows it.
	Deployment string    `json:"deployment,omitempty"`
	ModTime    time.Time `json:"modTime"`
}

// LeftoverCleaner is a Store that can find and remove what interrupted Creates left behind.
type LeftoverCleaner interface {
	// Leftovers lists them, sorted by tenant and name.
	Leftovers(ctx context.Context) ([]Leftover, error)
	// RemoveLeftover removes one; it refuses anything that is not a leftover (never a set).
	RemoveLeftover(ctx context.Context, l Leftover) error
}

// LockReader is a Store whose sets carry a lock of their own (S3 Object Lock): fsck compares it with
// the manifest's retainUntil.
type LockReader interface {
	// LockedUntil is the earliest retain-until among the set's objects (zero: some object is not
	// locked at all).
	LockedUntil(ctx context.Context, ref Ref) (time.Time, error)
	// RemovableAt is when Delete stops refusing the set: the latest retain-until among every object
	// it would remove (zero: nothing is locked).
	RemovableAt(ctx context.Context, ref Ref) (time.Time, error)
}

// LegalHolder is a Store that can put its own legal hold on a set (S3 Object Lock legal hold): while it
// is on, the store refuses to delete the set whatever its retention. Stella's legal holds
// (internal/retention) set it where the store has it.
type LegalHolder interface {
	SetLegalHold(ctx context.Context, ref Ref, on bool) error
}
