package store

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/stella-ops/stella/internal/fault"
)

// The sentinel errors of every Store. Each carries its fault kind, so a wrapped sentinel maps to the
// right exit code and HTTP status; ErrNotExist and ErrExist also match fs.ErrNotExist and fs.ErrExist.
var (
	// ErrNotExist: the set is absent — or belongs to another tenant, which looks the same (NotFound).
	ErrNotExist error = &fault.Error{Kind: fault.NotFound, Err: sentinel{"does not exist", fs.ErrNotExist}}
	// ErrExist: Create found the set already there (Exists; exit 1, HTTP 409).
	ErrExist error = &fault.Error{Kind: fault.Exists, Err: sentinel{"already exists", fs.ErrExist}}
	// ErrBadName: a tenant id, deployment id or file name is not a safe name (Input; exit 2, HTTP 400).
	ErrBadName error = &fault.Error{Kind: fault.Input, Err: sentinel{"invalid name", nil}}
	// ErrBadSet: the files given to Create do not form a set: none, or a name twice (Input).
	ErrBadSet error = &fault.Error{Kind: fault.Input, Err: sentinel{"invalid set", nil}}
	// ErrLocked: Delete found the set still under the backend's retention (S3 Object Lock) (Conflict).
	ErrLocked error = &fault.Error{Kind: fault.Conflict, Err: sentinel{"still locked", nil}}
)

// LockedError is Delete's refusal of a set whose objects are locked: Until is the latest retain-until
// of its objects. It matches ErrLocked.
type LockedError struct {
	Ref   Ref
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("deployment %s is locked until %s (Object Lock): nothing removed", e.Ref, e.Until.UTC().Format(time.RFC3339))
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

func (e *LockedError) Unwrap() error { return ErrLocked }

// sentinel is an error that also matches a standard library sentinel under errors.Is.
type sentinel struct {
	msg string
	is  error
}

func (s sentinel) Error() string { return s.msg }

func (s sentinel) Is(target error) bool { return s.is != nil && target == s.is }
