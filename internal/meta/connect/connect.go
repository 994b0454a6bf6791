// Package connect opens the metadata database named by a URL: sqlite://PATH (the embedded engine) or
// postgres://… (also postgresql://…). It is the one place that knows both engines.
package connect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/postgres"
	"github.com/stella-ops/stella/internal/meta/sqlite"
)

// FileName is the SQLite file in a data directory.
const FileName = "stella.db"

// DefaultDataDir is $STELLA_DATA, else ./stella-data.
func DefaultDataDir() string {
	if d := os.Getenv("STELLA_DATA"); d != "" {
		return d
	}
	return "stella-data"
}

// URL is the database a command uses: database when given, else the SQLite file in the data directory
// (data, else DefaultDataDir).
func URL(data, database string) string {
	if database != "" {
		return database
	}
	if data == "" {
		data = DefaultDataDir()
	}
	return "sqlite://" + filepath.Join(data, FileName)
}

// Redact hides the password of a database URL, for messages.
func Redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			}
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	// A keyword DSN ("host=… password=…").
	return keywordPassword().ReplaceAllString(raw, "${1}xxxxx")
}

var keywordPassword = lazyRegexp(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Open opens the database at rawURL, applying migrations. Errors read "open database URL: cause" with
// the password hidden, kinded for exit codes: a bad URL is bad input, an unreachable server unavailable.
func Open(ctx context.Context, rawURL string) (meta.DB, error) {
	db, err := open(ctx, rawURL)
	if err != nil {
		kind := fault.Operational
		switch {
		case errors.Is(err, errBadURL):
			kind = fault.Input
		case errors.Is(err, errUnreachable):
			kind = fault.Unavailable
		}
		return nil, fault.Wrap(kind, fmt.Errorf("open database %s: %w", Redact(rawURL), err))
	}
	return db, nil
}

var (
	errBadURL      = errors.New("want sqlite://PATH or postgres://USER@HOST:PORT/DB")
	errUnreachable = errors.New("unreachable")
)

func open(ctx context.Context, raw string) (meta.DB, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		p := strings.TrimPrefix(raw, "sqlite://")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			return nil, fmt.Errorf("%w: no options are taken after the path", errBadURL)
		}
		if p == "" {
			return nil, errBadURL
		}
		return sqlite.Open(ctx, p)
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		db, err := postgres.Open(cctx, raw)
		if err != nil && isConnectErr(err) {
			return nil, fmt.Errorf("%w: %v", errUnreachable, err)
		}
		return db, err
	}
	return nil, errBadURL
}

func isConnectErr(err error) bool {
	s := err.Error()
	return strings.Contains(s, "failed to connect") || strings.Contains(s, "dial") || errors.Is(err, context.DeadlineExceeded)
}
