// Package pgtest gives a test a PostgreSQL schema of its own on the server .ci/run starts.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
	"github.com/stella-ops/stella/internal/testenv"
)

// FreshSchema creates a schema of its own for one test (dropped at cleanup) and returns a DSN whose
// search_path is it, so runs and parallel tests never collide. It skips (or, under CI, fails) the test
// when STELLA_TEST_POSTGRES_DSN is unset.
func FreshSchema(t testing.TB) string {
	t.Helper()
	dsn := testenv.Var(t, testenv.PostgresDSN)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "stella_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
