package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
)

// Migration 8 rebuilds the evidence table (SQLite cannot change a CHECK in place): a database at
// version 7 with a chain keeps every packet byte for byte, in order, with its head, and the rebuilt
// table still refuses UPDATE and DELETE.
func TestMigration8KeepsEvidence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stella.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 8 || ms[7].Version != 8 {
		t.Fatalf("migrations: %d", len(ms))
	}
	if err := meta.Migrate(ctx, raw, ms[:7], ""); err != nil {
		t.Fatal(err)
	}
	// A version-7 database with a tenant, a deployment and three packets, written in plain SQL.
	for _, q := range []string{
		`INSERT INTO tenants VALUES ('t1', 1)`,
		`INSERT INTO releases VALUES ('t1', 'rel-1', 'r', 1, '{}')`,
		`INSERT INTO environments VALUES ('t1', 'env', 'e', 'production', '{}')`,
		`INSERT INTO deployments VALUES ('t1', 'd1', 'rel-1', 'env', '', 'generated', 1, 1, 't1/d1')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	prev := ""
	for i := 1; i <= 3; i++ {
		hash := fmt.Sprintf("sha256:%064d", i)
		if _, err := raw.ExecContext(ctx, `INSERT INTO evidence VALUES ('t1', $1, $2, 'deployment', 'd1', '', $3, $4, $5, $6)`,
			fmt.Sprintf("ev-%d", i), i, int64(i)*1000, hash, prev, fmt.Sprintf(`{"id":"ev-%d","n":"é\u00a0%d"}`, i, i)); err != nil {
			t.Fatal(err)
		}
		prev = hash
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO evidence_heads VALUES ('t1', 3, $1, '{"head":3}')`, prev); err != nil {
		t.Fatal(err)
	}
	dump := func() string {
		rows, err := raw.QueryContext(ctx, `SELECT id, seq, type, deployment_id, generated_at_us, packet_hash, prev_hash, packet FROM evidence ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, typ, dep, ph, pv, pk string
			var seq, at int64
			if err := rows.Scan(&id, &seq, &typ, &dep, &at, &ph, &pv, &pk); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, id, seq, typ, dep, at, ph, pv, pk)
		}
		return b.String()
	}
	before := dump()
	raw.Close()

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != len(ms) {
		t.Fatalf("schema version %d, want %d", v, len(ms))
	}
	raw, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	if after := dump(); after != before {
		t.Fatalf("evidence changed by the migration:\n%s\nwas\n%s", after, before)
	}
	for _, q := range []string{`UPDATE evidence SET packet = '{}'`, `DELETE FROM evidence WHERE seq = 3`} {
		if _, err := raw.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s after migration 8: %v, want the append-only refusal", q, err)
		}
	}
	// The chain continues with a packet of a new type.
	err = db.Update(ctx, "t1", func(tx meta.Tx) error {
		_, err := tx.AppendEvidence(ctx, func(h meta.ChainHead) (meta.Evidence, error) {
			if h.Seq != 3 || h.Hash != prev {
				return meta.Evidence{}, fmt.Errorf("head after migration %+v", h)
			}
			return meta.Evidence{ID: "ev-4", Seq: 4, Type: "set_removed", DeploymentID: "d1", GeneratedAt: metatest.T0, PrevHash: prev,
				PacketHash: fmt.Sprintf("sha256:%064d", 4), Packet: []byte(`{"id":"ev-4"}`)}, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
