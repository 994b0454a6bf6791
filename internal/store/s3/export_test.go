package s3

import (
	"context"
	"time"

	"github.com/stella-ops/stella/internal/store"
)

// For the external tests (they import storeurl, which imports this package).

type Marker = marker

var NewAttempt = newAttempt

func (s *Store) Upload(ctx context.Context, ref store.Ref, files []store.File, until *time.Time, attempt string) (*Marker, error) {
	return s.upload(ctx, ref, files, until, attempt)
}

func (s *Store) Commit(ctx context.Context, ref store.Ref, m *Marker, until *time.Time) error {
	return s.commit(ctx, ref, m, until)
}

func (s *Store) FileKey(ref store.Ref, attempt, name string) string {
	return s.fileKey(ref, attempt, name)
}

func (s *Store) ReadMarker(ctx context.Context, ref store.Ref) (*Marker, error) {
	return s.readMarker(ctx, ref)
}

func (s *Store) Prefix() string { return s.prefix }

type FileEntry = fileEntry
