package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
)

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) metatest.Harness {
		path := filepath.Join(t.TempDir(), "stella.db")
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return metatest.Harness{DB: db, Raw: raw, Reopen: func() (meta.DB, error) { return sqlite.Open(context.Background(), path) }}
	})
}

func BenchmarkSQLite(b *testing.B) {
	metatest.Bench(b, func(b *testing.B) meta.DB {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "stella.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
