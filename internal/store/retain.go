package store

import (
	"context"
	"time"
)

// Retaining is a Store that enforces retention: a set it creates cannot be deleted or changed by anyone
// (S3 Object Lock in COMPLIANCE mode) until retainUntil. The local store does not implement it: its sets
// are read-only files that an administrator could still remove.
type Retaining interface {
	Store
	// CreateRetained is Create with every object locked until retainUntil. A zero or past retainUntil
	// means no retention of its own (Create).
	CreateRetained(ctx context.Context, ref Ref, files []File, retainUntil time.Time) error
}

// CreateRetained creates the set and, where s enforces retention, keeps it immutable until retainUntil;
// a store without retention creates it as Create does.
func CreateRetained(ctx context.Context, s Store, ref Ref, files []File, retainUntil time.Time) error {
	if r, ok := s.(Retaining); ok {
		return r.CreateRetained(ctx, ref, files, retainUntil)
	}
	return s.Create(ctx, ref, files)
}
