package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/postgres"
	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"
)

func open(t *testing.T) metatest.Harness {
	dsn := pgtest.FreshSchema(t)
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return metatest.Harness{DB: db, Raw: raw, Reopen: func() (meta.DB, error) { return postgres.Open(context.Background(), dsn) }}
}

func TestConformance(t *testing.T) { metatest.Run(t, open) }

// The service role may insert and read evidence but not change it, whatever the triggers say.
func TestServiceRoleInsertSelectOnly(t *testing.T) {
	h := open(t)
	ctx := context.Background()
	metatest.Seed(t, h.DB, "t1", "d1", metatest.T0)
	conn, err := h.Raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET ROLE stella_service`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `RESET ROLE`) //nolint:errcheck
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM evidence`).Scan(&n); err != nil {
		t.Fatalf("service role cannot read evidence: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO evidence (tenant_id, id, seq, type, deployment_id, generated_at_us, packet_hash, prev_hash, packet)
		VALUES ('t1', 'ev-role', 1, 'deployment', 'd1', 0, 'h', '', '{}')`); err != nil {
		t.Fatalf("service role cannot insert evidence: %v", err)
	}
	for _, q := range []string{`UPDATE evidence SET packet = '{}'`, `DELETE FROM evidence`, `TRUNCATE evidence`} {
		_, err := conn.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as stella_service: %v, want permission denied", q, err)
		}
	}
	// Other tables stay writable for it.
	if _, err := conn.ExecContext(ctx, `UPDATE deployments SET status = 'deploying' WHERE tenant_id = 't1'`); err != nil {
		t.Errorf("service role cannot update deployments: %v", err)
	}
}

func BenchmarkPostgres(b *testing.B) {
	metatest.Bench(b, func(b *testing.B) meta.DB {
		db, err := postgres.Open(context.Background(), pgtest.FreshSchema(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
