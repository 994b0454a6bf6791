// Package postgres is the PostgreSQL engine of the metadata database (github.com/jackc/pgx/v5 through
// database/sql). Appending evidence locks the tenant's chain-head row (SELECT … FOR UPDATE), so
// concurrent writers of one tenant keep one linear chain; migrations hold an advisory lock.
package postgres

import (
	"context"
	"embed"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stella-ops/stella/internal/meta"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the embedded schema steps.
func Migrations() ([]meta.Migration, error) { return meta.LoadMigrations(migrationFS, "migrations") }

// migrationLock is the advisory lock key migrations hold ("stella" in ASCII).
const migrationLock = `SELECT pg_advisory_xact_lock(126875934928993)`

func code(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Dialect is PostgreSQL's.
var Dialect = meta.Dialect{
	Name:         "postgres",
	LockHead:     "FOR UPDATE",
	IsUnique:     func(err error) bool { return code(err) == "23505" },
	IsAppendOnly: func(err error) bool { return code(err) == "P0001" && strings.Contains(err.Error(), "append-only") },
}

// Open connects to the database at dsn (postgres://…) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*meta.SQL, error) {
	cfg, err := pgxConfig(dsn)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	ms, err := Migrations()
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := meta.Migrate(ctx, db, ms, migrationLock); err != nil {
		db.Close()
		return nil, err
	}
	return &meta.SQL{W: db, R: db, D: Dialect}, nil
}
