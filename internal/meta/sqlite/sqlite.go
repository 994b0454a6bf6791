// Package sqlite is the embedded engine of the metadata database: one SQLite file (modernc.org/sqlite,
// pure Go) in the data directory, in WAL mode with full fsync on commit. Write transactions are BEGIN
// IMMEDIATE on a single connection, so writers — in this process and in others — take turns, and the
// evidence chain of a tenant stays linear.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/stella-ops/stella/internal/meta"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the embedded schema steps.
func Migrations() ([]meta.Migration, error) { return meta.LoadMigrations(migrationFS, "migrations") }

// Dialect is SQLite's.
var Dialect = meta.Dialect{
	Name:     "sqlite",
	LockHead: "",
	IsUnique: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
	},
	IsAppendOnly:   func(err error) bool { return err != nil && strings.Contains(err.Error(), "evidence is append-only") },
	IntegrityCheck: `PRAGMA quick_check`,
	IsCorrupt: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_CORRUPT || e.Code()&0xff == sqlite3.SQLITE_NOTADB)
	},
}

// Open opens (creating if absent) the database file at path and brings its schema up to date.
func Open(ctx context.Context, path string) (*meta.SQL, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
	}
	pragmas := "_pragma=foreign_keys(1)&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	dsn := func(lock string) string {
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas + "&_txlock=" + lock
	}
	w, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	db := &meta.SQL{W: w, R: r, D: Dialect}
	if err := check(ctx, path, w); err != nil {
		db.Close()
		return nil, err
	}
	ms, err := Migrations()
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := meta.Migrate(ctx, w, ms, ""); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// check refuses a file that is not an SQLite database, or one whose schema cannot be read, before anything
// is written. It reads the header and the schema pages only: a full PRAGMA quick_check reads every page
// of the file, which would make every command as slow as the database is large (that belongs to fsck).
func check(ctx context.Context, path string, db *sql.DB) error {
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		return nil // a new database
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return fmt.Errorf("not a usable SQLite database: %w", err)
	}
	return nil
}
