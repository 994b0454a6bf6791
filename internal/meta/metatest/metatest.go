// Package metatest is the conformance suite of the metadata database: every engine runs Run with a
// function that opens a fresh, empty database of its kind.
package metatest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/meta"
)

// Harness is one fresh database for one test.
type Harness struct {
	DB meta.DB
	// Raw is a plain connection to the same database, for SQL issued past the interface.
	Raw *sql.DB
	// Reopen opens the same database again (applying migrations again).
	Reopen func() (meta.DB, error)
}

// Opener opens a fresh, empty database; it registers its own cleanup.
type Opener func(t *testing.T) Harness

// T0 is the fixed time the suite records.
var T0 = time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)

// Run runs the conformance suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"Schema", testSchema},
		{"Records", testRecords},
		{"TenantIsolation", testTenantIsolation},
		{"DeploymentsNewestFirst", testDeploymentsNewestFirst},
		{"RollbackLeavesNothing", testRollback},
		{"EvidenceChain", testEvidenceChain},
		{"EvidenceRefusals", testEvidenceRefusals},
		{"EvidenceAppendOnlyInSQL", testAppendOnlySQL},
		{"ConcurrentWritersOneChain", testConcurrentChain},
		{"NewerSchemaRefused", testNewerSchema},
		{"Tokens", testTokens},
		{"Documents", testDocuments},
		{"PromotionUsedOnce", testPromotionOnce},
		{"Holds", testHolds},
		{"Leases", testLeases},
		{"RetentionEvidenceTypes", testRetentionEvidenceTypes},
		{"WebSessions", testWebSessions},
		{"Pages", testPages},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Seed records a release, an environment with two targets and a deployment d1 for tenant.
func Seed(t testing.TB, db meta.DB, tenant, depID string, at time.Time) {
	t.Helper()
	err := db.Update(context.Background(), tenant, func(tx meta.Tx) error {
		if err := tx.PutRelease(context.Background(), meta.Release{ID: "rel-1", Name: "myapp-v1", CreatedAt: T0, Doc: []byte(`{"id":"rel-1"}`)}); err != nil {
			return err
		}
		if err := tx.PutEnvironment(context.Background(), meta.Environment{ID: "env-prod", Name: "production", Tier: "production", Doc: []byte(`{}`)}); err != nil {
			return err
		}
		for _, h := range []string{"host-a", "host-b"} {
			if err := tx.PutTarget(context.Background(), meta.Target{EnvironmentID: "env-prod", ID: h, Name: h, Type: "compose_host"}); err != nil {
				return err
			}
		}
		return tx.CreateDeployment(context.Background(), meta.Deployment{ID: depID, ReleaseID: "rel-1", EnvironmentID: "env-prod", Status: meta.StatusGenerated, CreatedAt: at, StoreKey: tenant + "/" + depID},
			[]meta.Task{{TargetID: "host-a", Type: "deploy", IdempotencyKey: depID + "/host-a"}, {TargetID: "host-b", Type: "deploy", IdempotencyKey: depID + "/host-b"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testSchema(t *testing.T, h Harness) {
	v, err := h.DB.SchemaVersion(context.Background())
	must(t, err)
	if v < 1 {
		t.Fatalf("schema version %d after open", v)
	}
	// Opening again is a no-op at the same version.
	db2, err := h.Reopen()
	must(t, err)
	defer db2.Close()
	v2, err := db2.SchemaVersion(context.Background())
	must(t, err)
	if v2 != v {
		t.Fatalf("version %d after reopen, was %d", v2, v)
	}
}

func testRecords(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d1", T0)
	err := h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
		// Same release again: no-op; different document: exists.
		if err := tx.PutRelease(ctx, meta.Release{ID: "rel-1", Name: "myapp-v1", CreatedAt: T0, Doc: []byte(`{"id":"rel-1"}`)}); err != nil {
			return fmt.Errorf("idempotent release: %w", err)
		}
		if err := tx.PutRelease(ctx, meta.Release{ID: "rel-1", Name: "other", CreatedAt: T0, Doc: []byte(`{}`)}); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("changed release: got %v, want ErrExists", err)
		}
		if err := tx.CreateDeployment(ctx, meta.Deployment{ID: "d1", ReleaseID: "rel-1", EnvironmentID: "env-prod", Status: "x", CreatedAt: T0}, nil); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("duplicate deployment: got %v, want ErrExists", err)
		}
		if err := tx.CreateDeployment(ctx, meta.Deployment{ID: "d9", ReleaseID: "rel-nope", EnvironmentID: "env-prod", Status: "x", CreatedAt: T0}, nil); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("deployment of unknown release: got %v, want ErrNotFound", err)
		}
		if err := tx.PutArtifacts(ctx, "d1", []meta.Artifact{
			{Name: "manifest.json", Type: "manifest", Size: 10, SHA256: hex64("m"), StorageKey: "t1/d1/manifest.json"},
			{Name: "compose.stella.lock.yml", Type: "lock", Size: 20, SHA256: hex64("l"), StorageKey: "t1/d1/compose.stella.lock.yml"},
		}); err != nil {
			return err
		}
		if err := tx.PutArtifacts(ctx, "d1", []meta.Artifact{{Name: "manifest.json", Type: "manifest"}}); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("duplicate artifact: got %v, want ErrExists", err)
		}
		if err := tx.PutArtifacts(ctx, "nope", []meta.Artifact{{Name: "x"}}); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("artifact of unknown deployment: got %v, want ErrNotFound", err)
		}
		if err := tx.PutSticker(ctx, meta.Sticker{ID: "s1", DeploymentID: "d1", TargetID: "host-a", IssuedAt: T0, SHA256: hex64("s"), Doc: []byte(`{"v":1}`)}); err != nil {
			return err
		}
		if err := tx.SetDeploymentStatus(ctx, "d1", meta.StatusDeployed, T0.Add(time.Minute)); err != nil {
			return err
		}
		if err := tx.SetDeploymentStatus(ctx, "nope", meta.StatusDeployed, T0); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("status of unknown deployment: got %v", err)
		}
		return tx.SetTaskStatus(ctx, "d1", "host-b", "succeeded", "ok", T0.Add(time.Minute))
	})
	must(t, err)
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		r, err := tx.Release(ctx, "rel-1")
		if err != nil || r.Name != "myapp-v1" || !r.CreatedAt.Equal(T0) || string(r.Doc) != `{"id":"rel-1"}` {
			return fmt.Errorf("release read back %+v, %v", r, err)
		}
		e, err := tx.Environment(ctx, "env-prod")
		if err != nil || e.Tier != "production" {
			return fmt.Errorf("environment read back %+v, %v", e, err)
		}
		ts, err := tx.Targets(ctx, "env-prod")
		if err != nil || len(ts) != 2 || ts[0].ID != "host-a" || ts[1].Type != "compose_host" {
			return fmt.Errorf("targets read back %+v, %v", ts, err)
		}
		d, err := tx.Deployment(ctx, "d1")
		if err != nil || d.Status != meta.StatusDeployed || !d.UpdatedAt.Equal(T0.Add(time.Minute)) || d.StoreKey != "t1/d1" || !d.CreatedAt.Equal(T0) {
			return fmt.Errorf("deployment read back %+v, %v", d, err)
		}
		ks, err := tx.Tasks(ctx, "d1")
		if err != nil || len(ks) != 2 || ks[0].Status != meta.TaskPending || ks[1].Status != "succeeded" || ks[1].Message != "ok" || ks[0].IdempotencyKey != "d1/host-a" {
			return fmt.Errorf("tasks read back %+v, %v", ks, err)
		}
		as, err := tx.Artifacts(ctx, "d1")
		if err != nil || len(as) != 2 || as[0].Name != "compose.stella.lock.yml" || as[0].Size != 20 || as[1].SHA256 != hex64("m") {
			return fmt.Errorf("artifacts read back %+v, %v", as, err)
		}
		ss, err := tx.Stickers(ctx, "host-a")
		if err != nil || len(ss) != 1 || ss[0].DeploymentID != "d1" || string(ss[0].Doc) != `{"v":1}` {
			return fmt.Errorf("stickers read back %+v, %v", ss, err)
		}
		return nil
	}))
	tenants, err := h.DB.Tenants(ctx)
	must(t, err)
	if len(tenants) != 1 || tenants[0] != "t1" {
		t.Fatalf("tenants %v", tenants)
	}
}

func testTenantIsolation(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "acme", "d1", T0)
	appendN(t, h.DB, "acme", "d1", 2)
	must(t, h.DB.View(ctx, "globex", func(tx meta.Tx) error {
		if _, err := tx.Release(ctx, "rel-1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("other tenant's release: %v", err)
		}
		if _, err := tx.Deployment(ctx, "d1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("other tenant's deployment: %v", err)
		}
		if _, err := tx.Evidence(ctx, "ev-acme-1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("other tenant's evidence: %v", err)
		}
		ds, _ := tx.Deployments(ctx, 50)
		es, _ := tx.ListEvidence(ctx, 0)
		as, _ := tx.Artifacts(ctx, "d1")
		ks, _ := tx.Tasks(ctx, "d1")
		ts, _ := tx.Targets(ctx, "env-prod")
		h, _ := tx.ChainHead(ctx)
		if len(ds)+len(es)+len(as)+len(ks)+len(ts) != 0 || h.Seq != 0 {
			return fmt.Errorf("other tenant sees %d deployments, %d packets, %d artifacts, %d tasks, %d targets, head %d", len(ds), len(es), len(as), len(ks), len(ts), h.Seq)
		}
		return nil
	}))
	// Globex cannot write into acme's deployment, and has its own id space and chain.
	err := h.DB.Update(ctx, "globex", func(tx meta.Tx) error {
		if err := tx.SetDeploymentStatus(ctx, "d1", "failed", T0); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("update of other tenant's deployment: %v", err)
		}
		_, err := tx.AppendEvidence(ctx, packet("ev-g", "d1"))
		if !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("evidence for other tenant's deployment: %v", err)
		}
		return nil
	})
	must(t, err)
	Seed(t, h.DB, "globex", "d1", T0)
	appendN(t, h.DB, "globex", "d1", 1)
	must(t, h.DB.View(ctx, "globex", func(tx meta.Tx) error {
		hd, err := tx.ChainHead(ctx)
		if err != nil || hd.Seq != 1 {
			return fmt.Errorf("globex head %+v %v", hd, err)
		}
		d, _ := tx.Deployment(ctx, "d1")
		if d.Status != meta.StatusGenerated {
			return fmt.Errorf("globex d1 status %q", d.Status)
		}
		return nil
	}))
}

func testDeploymentsNewestFirst(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d000", T0)
	must(t, h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
		for i := 1; i < 120; i++ {
			// Every tenth pair shares a time; the id breaks the tie.
			at := T0.Add(time.Duration(i/2) * time.Second)
			if err := tx.CreateDeployment(ctx, meta.Deployment{ID: fmt.Sprintf("d%03d", i), ReleaseID: "rel-1", EnvironmentID: "env-prod", Status: meta.StatusGenerated, CreatedAt: at}, nil); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		ds, err := tx.Deployments(ctx, 50)
		if err != nil {
			return err
		}
		if len(ds) != 50 || ds[0].ID != "d119" || ds[1].ID != "d118" || ds[49].ID != "d070" {
			return fmt.Errorf("latest 50: %d, first %s, second %s, last %s", len(ds), ds[0].ID, ds[1].ID, ds[len(ds)-1].ID)
		}
		return nil
	}))
}

func testRollback(t *testing.T, h Harness) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
		if err := tx.PutRelease(ctx, meta.Release{ID: "rel-1", Name: "n", CreatedAt: T0, Doc: []byte(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		if _, err := tx.Release(ctx, "rel-1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("release survived a rolled-back transaction: %v", err)
		}
		return nil
	}))
}

func hex64(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// packet builds a stand-in packet that continues the head (the evidence package builds real ones).
func packet(id, dep string) func(meta.ChainHead) (meta.Evidence, error) {
	return func(h meta.ChainHead) (meta.Evidence, error) {
		return meta.Evidence{ID: id, Seq: h.Seq + 1, Type: "deployment", DeploymentID: dep, GeneratedAt: T0,
			PrevHash: h.Hash, PacketHash: "sha256:" + hex64(h.Hash+id), Packet: []byte(`{"id":"` + id + `"}`)}, nil
	}
}

func appendN(t testing.TB, db meta.DB, tenant, dep string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(db.Update(context.Background(), tenant, func(tx meta.Tx) error {
			_, err := tx.AppendEvidence(context.Background(), packet(fmt.Sprintf("ev-%s-%d", tenant, i), dep))
			return err
		}))
	}
}

// checkLinear checks that the tenant's chain is 1..n with each prev the previous packet's hash.
func checkLinear(t *testing.T, db meta.DB, tenant string, n int) {
	t.Helper()
	ctx := context.Background()
	must(t, db.View(ctx, tenant, func(tx meta.Tx) error {
		var prev meta.Evidence
		count := 0
		err := tx.Chain(ctx, func(e meta.Evidence) error {
			count++
			if e.Seq != int64(count) || e.PrevHash != prev.PacketHash {
				return fmt.Errorf("packet %s: seq %d prev %q after seq %d hash %q", e.ID, e.Seq, e.PrevHash, prev.Seq, prev.PacketHash)
			}
			prev = e
			return nil
		})
		if err != nil {
			return err
		}
		hd, err := tx.ChainHead(ctx)
		if err != nil {
			return err
		}
		if count != n || hd.Seq != int64(n) || hd.Hash != prev.PacketHash {
			return fmt.Errorf("chain of %d packets (want %d), head %+v, last %s", count, n, hd, prev.PacketHash)
		}
		return nil
	}))
}

func testEvidenceChain(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d1", T0)
	appendN(t, h.DB, "t1", "d1", 3)
	checkLinear(t, h.DB, "t1", 3)
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		es, err := tx.ListEvidence(ctx, 2)
		if err != nil || len(es) != 2 || es[0].ID != "ev-t1-3" || es[1].ID != "ev-t1-2" {
			return fmt.Errorf("newest first: %v %v", es, err)
		}
		e, err := tx.Evidence(ctx, "ev-t1-2")
		if err != nil || e.DeploymentID != "d1" || string(e.Packet) != `{"id":"ev-t1-2"}` || !e.GeneratedAt.Equal(T0) {
			return fmt.Errorf("read back %+v %v", e, err)
		}
		return nil
	}))
}

func testEvidenceRefusals(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d1", T0)
	appendN(t, h.DB, "t1", "d1", 1)
	cases := []struct {
		name  string
		build func(meta.ChainHead) (meta.Evidence, error)
		want  error
	}{
		{"duplicate id", packet("ev-t1-1", "d1"), meta.ErrExists},
		{"unknown deployment", packet("ev-x", "no-such-deployment"), meta.ErrNotFound},
		{"wrong sequence", func(hd meta.ChainHead) (meta.Evidence, error) {
			e, _ := packet("ev-y", "d1")(hd)
			e.Seq += 5
			return e, nil
		}, meta.ErrBadChain},
		{"wrong previous hash", func(hd meta.ChainHead) (meta.Evidence, error) {
			e, _ := packet("ev-z", "d1")(hd)
			e.PrevHash = "sha256:" + hex64("forged")
			return e, nil
		}, meta.ErrBadChain},
	}
	for _, c := range cases {
		err := h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
			// Something else written in the same transaction must vanish with the refusal.
			if err := tx.SetDeploymentStatus(ctx, "d1", meta.StatusFailed, T0); err != nil {
				return err
			}
			_, err := tx.AppendEvidence(ctx, c.build)
			return err
		})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	checkLinear(t, h.DB, "t1", 1)
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		d, _ := tx.Deployment(ctx, "d1")
		if d.Status != meta.StatusGenerated {
			return fmt.Errorf("half-written: deployment status %q", d.Status)
		}
		return nil
	}))
}

func testAppendOnlySQL(t *testing.T, h Harness) {
	Seed(t, h.DB, "t1", "d1", T0)
	appendN(t, h.DB, "t1", "d1", 2)
	for _, q := range []string{
		`UPDATE evidence SET packet = '{}' WHERE tenant_id = 't1'`,
		`UPDATE evidence SET prev_hash = '' WHERE id = 'ev-t1-2'`,
		`DELETE FROM evidence WHERE id = 'ev-t1-2'`,
		`DELETE FROM evidence`,
		`DELETE FROM evidence_heads`,
		`UPDATE evidence_heads SET seq = 1`,
	} {
		if _, err := h.Raw.Exec(q); err == nil {
			t.Errorf("%s: accepted", q)
		} else if q[0] == 'U' && q[7] == 'e' || q[0] == 'D' {
			t.Logf("%s: %v", q, err)
		}
	}
	checkLinear(t, h.DB, "t1", 2)
}

func testConcurrentChain(t *testing.T, h Harness) {
	Seed(t, h.DB, "t1", "d1", T0)
	const writers, each = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- h.DB.Update(context.Background(), "t1", func(tx meta.Tx) error {
					_, err := tx.AppendEvidence(context.Background(), packet(fmt.Sprintf("ev-%d-%d", w, i), "d1"))
					return err
				})
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkLinear(t, h.DB, "t1", writers*each)
}

func testNewerSchema(t *testing.T, h Harness) {
	ctx := context.Background()
	v, err := h.DB.SchemaVersion(ctx)
	must(t, err)
	if _, err := h.Raw.Exec(`INSERT INTO stella_schema (version, name, applied_at_us) VALUES ($1, 'from-the-future.sql', 0)`, v+1); err != nil {
		t.Fatal(err)
	}
	db, err := h.Reopen()
	if err == nil {
		db.Close()
		t.Fatal("a database at a newer schema version was opened")
	}
	if !errors.Is(err, meta.ErrNewerSchema) {
		t.Fatalf("got %v, want ErrNewerSchema", err)
	}
	t.Log(err)
}

func testTokens(t *testing.T, h Harness) {
	ctx := context.Background()
	secret := "stl_the-token-itself-is-never-stored"
	sum := sha256.Sum256([]byte(secret))
	acme := meta.Token{ID: "tok-a1", Role: meta.RoleAuditor, Name: "audit bot", SHA256: hex.EncodeToString(sum[:]), CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}
	agent := meta.Token{ID: "tok-a2", Role: meta.RoleAgent, SHA256: hex64("agent"), CreatedAt: T0.Add(time.Second)}
	must(t, h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
		if err := tx.CreateToken(ctx, acme); err != nil {
			return err
		}
		return tx.CreateToken(ctx, agent)
	}))
	got, err := h.DB.TokenBySHA256(ctx, acme.SHA256)
	must(t, err)
	want := acme
	want.TenantID = "acme"
	if got != want {
		t.Fatalf("token by hash:\n got %+v\nwant %+v", got, want)
	}
	if !got.Usable(T0) || got.Usable(T0.Add(time.Hour)) {
		t.Errorf("token expiring at %v: usable at T0 %v, at expiry %v", got.ExpiresAt, got.Usable(T0), got.Usable(T0.Add(time.Hour)))
	}
	if _, err := h.DB.TokenBySHA256(ctx, hex64("unknown")); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("unknown hash: %v, want ErrNotFound", err)
	}
	// The same id or hash again is refused, in any tenant; so is an unknown role.
	for _, tc := range []struct {
		tenant string
		k      meta.Token
	}{
		{"acme", meta.Token{ID: "tok-a1", Role: meta.RoleAdmin, SHA256: hex64("other"), CreatedAt: T0}},
		{"globex", meta.Token{ID: "tok-g9", Role: meta.RoleAdmin, SHA256: acme.SHA256, CreatedAt: T0}},
	} {
		err := h.DB.Update(ctx, tc.tenant, func(tx meta.Tx) error { return tx.CreateToken(ctx, tc.k) })
		if !errors.Is(err, meta.ErrExists) {
			t.Errorf("duplicate token %+v in %s: %v, want ErrExists", tc.k, tc.tenant, err)
		}
	}
	err = h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
		return tx.CreateToken(ctx, meta.Token{ID: "tok-x", Role: "root", SHA256: hex64("root"), CreatedAt: T0})
	})
	if err == nil {
		t.Error("a token with role root was recorded")
	}
	if _, err := h.Raw.Exec(`INSERT INTO api_tokens (sha256, id, tenant_id, role, created_at_us) VALUES ($1, 'tok-sql', 'acme', 'root', 0)`, hex64("sql")); err == nil {
		t.Error("the database took role root past the interface")
	}
	// Another tenant sees none of acme's tokens and cannot revoke them.
	must(t, h.DB.Update(ctx, "globex", func(tx meta.Tx) error {
		if ks, err := tx.Tokens(ctx); err != nil || len(ks) != 0 {
			return fmt.Errorf("globex lists %d tokens (%v)", len(ks), err)
		}
		if err := tx.RevokeToken(ctx, "tok-a1", T0); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("globex revoking acme's token: %v, want ErrNotFound", err)
		}
		return nil
	}))
	must(t, h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
		ks, err := tx.Tokens(ctx)
		if err != nil {
			return err
		}
		if len(ks) != 2 || ks[0].ID != "tok-a1" || ks[1].ID != "tok-a2" {
			return fmt.Errorf("acme's tokens: %+v", ks)
		}
		if err := tx.RevokeToken(ctx, "tok-a2", T0.Add(time.Minute)); err != nil {
			return err
		}
		// A second revocation keeps the first time.
		return tx.RevokeToken(ctx, "tok-a2", T0.Add(time.Hour))
	}))
	got, err = h.DB.TokenBySHA256(ctx, agent.SHA256)
	must(t, err)
	if !got.RevokedAt.Equal(T0.Add(time.Minute)) || got.Usable(T0.Add(time.Minute)) || got.TenantID != "acme" {
		t.Errorf("revoked token: %+v", got)
	}
	// Nothing stored holds the token itself.
	var n int
	must(t, h.Raw.QueryRow(`SELECT count(*) FROM api_tokens WHERE sha256 = $1 OR id = $1 OR name = $1`, secret).Scan(&n))
	if n != 0 {
		t.Errorf("%d rows hold the token in clear", n)
	}
}

// Documents: create-only unless replaced, scoped to the tenant, listed newest first with a cursor.
func testDocuments(t *testing.T, h Harness) {
	ctx := context.Background()
	for i := range 5 {
		must(t, h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
			return tx.PutDocument(ctx, meta.Document{Kind: meta.DocRelease, ID: fmt.Sprint("r", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), SHA256: "x", CreatedAt: T0.Add(time.Duration(i) * time.Minute)}, false)
		}))
	}
	err := h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
		return tx.PutDocument(ctx, meta.Document{Kind: meta.DocRelease, ID: "r1", Body: []byte(`{"n":9}`), SHA256: "y", CreatedAt: T0}, false)
	})
	if !errors.Is(err, meta.ErrExists) {
		t.Fatalf("second create of r1: %v, want ErrExists", err)
	}
	must(t, h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
		return tx.PutDocument(ctx, meta.Document{Kind: meta.DocRelease, ID: "r1", Body: []byte(`{"n":10}`), SHA256: "z", CreatedAt: T0, UpdatedAt: T0.Add(time.Hour)}, true)
	}))
	must(t, h.DB.View(ctx, "acme", func(tx meta.Tx) error {
		d, err := tx.Document(ctx, meta.DocRelease, "r1")
		if err != nil || string(d.Body) != `{"n":10}` || d.SHA256 != "z" || !d.CreatedAt.Equal(T0.Add(time.Minute)) || !d.UpdatedAt.Equal(T0.Add(time.Hour)) {
			return fmt.Errorf("replaced r1: %+v, %v", d, err)
		}
		page1, err := tx.Documents(ctx, meta.DocRelease, "", 2)
		if err != nil || len(page1) != 2 || page1[0].ID != "r4" || page1[1].ID != "r3" {
			return fmt.Errorf("page 1: %+v, %v", page1, err)
		}
		page2, err := tx.Documents(ctx, meta.DocRelease, page1[1].ID, 10)
		if err != nil || len(page2) != 3 || page2[0].ID != "r2" || page2[2].ID != "r0" {
			return fmt.Errorf("page 2: %+v, %v", page2, err)
		}
		return nil
	}))
	must(t, h.DB.View(ctx, "globex", func(tx meta.Tx) error {
		if _, err := tx.Document(ctx, meta.DocRelease, "r1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("other tenant's document: %v", err)
		}
		if ds, err := tx.Documents(ctx, meta.DocRelease, "", 0); err != nil || len(ds) != 0 {
			return fmt.Errorf("other tenant's documents: %v, %v", ds, err)
		}
		return nil
	}))
}

// PromotionUsedOnce: a second deployment carrying a promotion id is refused with ErrPromotionUsed.
func testPromotionOnce(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "acme", "d1", T0)
	create := func(id string) error {
		return h.DB.Update(ctx, "acme", func(tx meta.Tx) error {
			return tx.CreateDeployment(ctx, meta.Deployment{ID: id, ReleaseID: "rel-1", EnvironmentID: "env-prod", PromotionID: "promo-x", Status: meta.StatusGenerated, CreatedAt: T0, StoreKey: "acme/" + id}, nil)
		})
	}
	must(t, create("p1"))
	if err := create("p2"); !errors.Is(err, meta.ErrPromotionUsed) {
		t.Fatalf("second deployment of promo-x: %v, want ErrPromotionUsed", err)
	}
	must(t, h.DB.View(ctx, "acme", func(tx meta.Tx) error {
		d, err := tx.DeploymentByPromotion(ctx, "promo-x")
		if err != nil || d.ID != "p1" {
			return fmt.Errorf("DeploymentByPromotion: %+v, %v", d, err)
		}
		return nil
	}))
}

func testHolds(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d1", T0)
	Seed(t, h.DB, "t2", "d1", T0)
	must(t, h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
		if err := tx.PutHold(ctx, meta.Hold{DeploymentID: "d1", HeldAt: T0, HeldBy: "legal", Reason: "case 42", EvidenceID: "ev-h"}); err != nil {
			return err
		}
		if err := tx.PutHold(ctx, meta.Hold{DeploymentID: "d1", HeldAt: T0, HeldBy: "x", Reason: "again"}); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("second hold: %v, want ErrExists", err)
		}
		return nil
	}))
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		got, err := tx.Hold(ctx, "d1")
		if err != nil || got.Reason != "case 42" || got.HeldBy != "legal" || got.EvidenceID != "ev-h" || !got.HeldAt.Equal(T0) {
			return fmt.Errorf("hold read back %+v %v", got, err)
		}
		hs, err := tx.Holds(ctx)
		if err != nil || len(hs) != 1 || hs[0].DeploymentID != "d1" {
			return fmt.Errorf("holds %+v %v", hs, err)
		}
		return nil
	}))
	// Another tenant's hold is absent.
	must(t, h.DB.View(ctx, "t2", func(tx meta.Tx) error {
		if _, err := tx.Hold(ctx, "d1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("t2 sees t1's hold: %v", err)
		}
		if hs, err := tx.Holds(ctx); err != nil || len(hs) != 0 {
			return fmt.Errorf("t2 holds %+v %v", hs, err)
		}
		return nil
	}))
	must(t, h.DB.Update(ctx, "t2", func(tx meta.Tx) error {
		if err := tx.RemoveHold(ctx, "d1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("t2 removed t1's hold: %v", err)
		}
		return nil
	}))
	must(t, h.DB.Update(ctx, "t1", func(tx meta.Tx) error { return tx.RemoveHold(ctx, "d1") }))
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		if _, err := tx.Hold(ctx, "d1"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("hold after release: %v", err)
		}
		return nil
	}))
}

func testLeases(t *testing.T, h Harness) {
	ctx := context.Background()
	ok, err := h.DB.TryLease(ctx, "sweep", "a", time.Hour)
	if err != nil || !ok {
		t.Fatalf("first lease: %v %v", ok, err)
	}
	if ok, err := h.DB.TryLease(ctx, "sweep", "b", time.Hour); err != nil || ok {
		t.Fatalf("b took a's running lease: %v %v", ok, err)
	}
	if ok, err := h.DB.TryLease(ctx, "sweep", "a", time.Hour); err != nil || !ok {
		t.Fatalf("a could not renew: %v %v", ok, err)
	}
	if ok, err := h.DB.TryLease(ctx, "drift", "b", time.Hour); err != nil || !ok {
		t.Fatalf("another name is another lease: %v %v", ok, err)
	}
	// b releasing a's lease does nothing; a releasing it frees it.
	must(t, h.DB.ReleaseLease(ctx, "sweep", "b"))
	if ok, _ := h.DB.TryLease(ctx, "sweep", "b", time.Hour); ok {
		t.Fatal("b's release freed a's lease")
	}
	must(t, h.DB.ReleaseLease(ctx, "sweep", "a"))
	if ok, err := h.DB.TryLease(ctx, "sweep", "b", 50*time.Millisecond); err != nil || !ok {
		t.Fatalf("b after a released: %v %v", ok, err)
	}
	// An expired lease goes to whoever asks.
	time.Sleep(80 * time.Millisecond)
	if ok, err := h.DB.TryLease(ctx, "sweep", "a", time.Hour); err != nil || !ok {
		t.Fatalf("a after b's lease expired: %v %v", ok, err)
	}
	if _, err := h.DB.TryLease(ctx, "", "a", time.Hour); err == nil {
		t.Fatal("empty name accepted")
	}
	// Many contenders at once: exactly one wins.
	var wins sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wins.Add(1)
		go func() {
			defer wins.Done()
			ok, err := h.DB.TryLease(ctx, "race", fmt.Sprintf("r%d", i), time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wins.Wait()
	if won != 1 {
		t.Fatalf("%d contenders won the lease, want 1", won)
	}
}

// The evidence types of retention and key rotation (schema version 8) and key revocation (10) are
// accepted by the database, an unknown type still is not; a key rotation or revocation packet has no
// deployment.
func testRetentionEvidenceTypes(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d1", T0)
	for i, typ := range []string{"retention_hold", "retention_release", "set_removed", "key_rotation", "key_revocation"} {
		dep := "d1"
		if typ == "key_rotation" || typ == "key_revocation" {
			dep = ""
		}
		must(t, h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
			_, err := tx.AppendEvidence(ctx, func(hd meta.ChainHead) (meta.Evidence, error) {
				e, _ := packet(fmt.Sprintf("ev-%d", i), dep)(hd)
				e.Type = typ
				return e, nil
			})
			return err
		}))
	}
	checkLinear(t, h.DB, "t1", 5)
	err := h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
		_, err := tx.AppendEvidence(ctx, func(hd meta.ChainHead) (meta.Evidence, error) {
			e, _ := packet("ev-bad", "d1")(hd)
			e.Type = "shredded"
			return e, nil
		})
		return err
	})
	if err == nil {
		t.Fatal("an unknown evidence type was stored")
	}
}

// Web sessions: found by the hash of their id until they expire, extended, dropped; expired ones go.
func testWebSessions(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d1", T0)
	hex64 := func(c string) string { return strings.Repeat(c, 64) }
	must(t, h.DB.PutSession(ctx, meta.Session{IDSHA256: hex64("a"), TenantID: "t1", TokenSHA256: hex64("b"), CSRF: "c1", ExpiresAt: T0.Add(time.Hour)}))
	must(t, h.DB.PutSession(ctx, meta.Session{IDSHA256: hex64("d"), TenantID: "t1", TokenSHA256: hex64("b"), CSRF: "c2", ExpiresAt: T0.Add(time.Minute)}))
	if err := h.DB.PutSession(ctx, meta.Session{IDSHA256: hex64("a"), TenantID: "t1", TokenSHA256: hex64("b"), CSRF: "c3", ExpiresAt: T0.Add(time.Hour)}); err == nil {
		t.Error("a session id recorded twice")
	}
	x, err := h.DB.Session(ctx, hex64("a"), T0)
	if err != nil || x.TenantID != "t1" || x.TokenSHA256 != hex64("b") || x.CSRF != "c1" || !x.ExpiresAt.Equal(T0.Add(time.Hour)) {
		t.Fatalf("session: %+v %v", x, err)
	}
	if _, err := h.DB.Session(ctx, hex64("a"), T0.Add(time.Hour)); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("an expired session is found: %v", err)
	}
	must(t, h.DB.TouchSession(ctx, hex64("a"), T0.Add(2*time.Hour)))
	if _, err := h.DB.Session(ctx, hex64("a"), T0.Add(90*time.Minute)); err != nil {
		t.Errorf("an extended session: %v", err)
	}
	must(t, h.DB.DropExpiredSessions(ctx, T0.Add(30*time.Minute)))
	if _, err := h.DB.Session(ctx, hex64("d"), T0); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("an expired session outlived DropExpiredSessions: %v", err)
	}
	must(t, h.DB.DropSession(ctx, hex64("a")))
	if _, err := h.DB.Session(ctx, hex64("a"), T0); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("a dropped session is found: %v", err)
	}
}
