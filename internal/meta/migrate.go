package meta

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads NNNN_name.sql files from dir of fsys, numbered 1, 2, 3 … without gaps.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate brings the database to the newest of ms in one transaction (lock, if not empty, is executed
// first, to keep concurrent starters apart): every pending step commits together or not at all, and a
// new database is created with one commit (one fsync) instead of one per step. A database at a version
// newer than the last of ms is refused with ErrNewerSchema and left untouched.
func Migrate(ctx context.Context, db *sql.DB, ms []Migration, lock string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return err
		}
	}
	var cur int
	var v sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT MAX(version) FROM stella_schema`).Scan(&v)
	if err != nil {
		// Only a missing table means a fresh database; create it and start at 0. Any other error (a file
		// that is not a database, a refused connection) is returned as it is.
		if !isMissingTable(err) {
			return err
		}
		_ = tx.Rollback()
		if tx, err = db.BeginTx(ctx, nil); err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck
		if lock != "" {
			if _, err := tx.ExecContext(ctx, lock); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stella_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)`); err != nil {
			return err
		}
	} else {
		cur = int(v.Int64)
	}
	if cur > len(ms) {
		return fmt.Errorf("%w: the database is at schema version %d, this stella knows up to %d; use a newer stella", ErrNewerSchema, cur, len(ms))
	}
	if cur == len(ms) {
		return tx.Commit()
	}
	now := us(time.Now())
	for _, m := range ms[cur:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stella_schema (version, name, applied_at_us) VALUES ($1, $2, $3)`, m.Version, m.Name, now); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return tx.Commit()
}

func isMissingTable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no such table") || strings.Contains(s, "(SQLSTATE 42P01)")
}
