package meta

import (
	"errors"
	"fmt"

	"github.com/stella-ops/stella/internal/fault"
)

var (
	// ErrNotFound means the record is absent — or belongs to another tenant.
	ErrNotFound = errors.New("not found")
	// ErrExists means a create-only record is already there.
	ErrExists = errors.New("already exists")
	// ErrNewerSchema means the database was migrated by a newer Stella than this one.
	ErrNewerSchema = errors.New("schema is newer than this stella knows")
	// ErrAppendOnly means an update or delete of evidence was attempted.
	ErrAppendOnly = errors.New("evidence is append-only")
	// ErrPromotionUsed means another deployment of the tenant already carries the promotion id: a
	// promotion approves one deployment.
	ErrPromotionUsed = errors.New("promotion already used by another deployment")
	// ErrBadChain means a packet handed to AppendEvidence does not continue the chain head.
	ErrBadChain = errors.New("packet does not continue the chain")
)

func notFound(what, tenant, id string) error {
	return fault.Wrap(fault.NotFound, fmt.Errorf("%s %s of tenant %s: %w", what, id, tenant, ErrNotFound))
}

func exists(what, tenant, id string) error {
	return fault.Wrap(fault.Exists, fmt.Errorf("%s %s of tenant %s: %w", what, id, tenant, ErrExists))
}
