package meta

import (
	"context"
	"errors"
	"fmt"
)

// IntegrityChecker is a DB that can check its own storage, page by page. It is optional (found by type
// assertion) and slow, as it reads everything: it is for `stella fsck`, never for an ordinary open.
type IntegrityChecker interface {
	// IntegrityCheck returns the problems found (none: an empty list), or an error wrapping
	// errors.ErrUnsupported where the engine has no such check.
	IntegrityCheck(ctx context.Context) ([]string, error)
}

var _ IntegrityChecker = (*SQL)(nil)

// IntegrityCheck runs the dialect's IntegrityCheck statement. A check that stops because the file is
// damaged (SQLite answers some damage with an error instead of rows) is a problem found, not an error.
func (s *SQL) IntegrityCheck(ctx context.Context) (probs []string, err error) {
	if s.D.IntegrityCheck == "" {
		return nil, fmt.Errorf("integrity check of a %s database: %w", s.D.Name, errors.ErrUnsupported)
	}
	defer func() {
		if err != nil && s.D.IsCorrupt != nil && s.D.IsCorrupt(err) {
			probs, err = append(probs, errors.Unwrap(err).Error()), nil
		}
	}()
	rows, err := s.R.QueryContext(ctx, s.D.IntegrityCheck)
	if err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			out = append(out, line)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	return out, nil
}
