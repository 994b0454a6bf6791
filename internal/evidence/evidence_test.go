package evidence_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/postgres"
	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/testenv"
)

var now = time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC)

const (
	digestAPI    = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestWorker = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func keys(t *testing.T, alg string) (*sign.Signer, sign.Keyring) {
	t.Helper()
	kr := sign.Keyring{Dir: t.TempDir()}
	s, err := kr.Generate("stella/signing/test-key", alg)
	if err != nil {
		t.Fatal(err)
	}
	return s, kr
}

func draft(tenant, dep string, at time.Time) evidence.Draft {
	return evidence.Draft{
		Type: evidence.TypeDeployment, TenantID: tenant, PromotionID: "promo-1", GeneratedAt: at,
		Content: evidence.Content{
			Release: evidence.Release{ID: "rel-1", Name: "myapp-v2.3.1", CreatedAt: metatest.T0, Components: []evidence.Component{
				{ID: "comp-api", Name: "api", Digest: digestAPI, Semver: "2.3.1", Tag: "v2.3.1", Role: "primary", ImageRepository: "registry.example.com/myapp/api"},
				{ID: "comp-worker", Name: "worker", Digest: digestWorker, Semver: "2.3.1", Tag: "v2.3.1", Role: "sidecar", ImageRepository: "registry.example.com/myapp/worker"},
			}},
			Environment: evidence.Environment{ID: "env-prod", Name: "production", Tier: "production", Targets: []evidence.Target{{ID: "host-a", Name: "host-a", Type: "compose_host"}}},
			Actors: evidence.Actors{Requester: evidence.Person{ID: "u-1", Name: "Jane Doe", Email: "jane@example.com"},
				Approvers: []evidence.Approver{{ID: "u-2", Name: "John Roe", Action: "approved", At: metatest.T0.Add(10 * time.Minute), Comment: "LGTM"}, {ID: "u-3", Name: "Zoë Quinn", Action: "approved", At: metatest.T0.Add(12 * time.Minute)}}},
			Decision: evidence.Decision{Result: "allow", Gates: []evidence.Gate{{Type: "policy", Name: "no-critical-cves", Status: "passed", Message: "ok", Details: map[string]any{"critical": 0}}}},
			Execution: &evidence.Execution{DeploymentJobID: dep, Artifacts: []evidence.Artifact{
				{Type: "lock", Name: "compose.stella.lock.yml", ContentHash: "sha256:" + strings.Repeat("a", 64)},
				{Type: "manifest", Name: "manifest.json", ContentHash: "sha256:" + strings.Repeat("b", 64)},
			}},
		},
	}
}

func openSQLite(t *testing.T, path string) meta.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func appendPackets(t *testing.T, db meta.DB, s *sign.Signer, tenant, dep string, n int) []meta.Evidence {
	t.Helper()
	var out []meta.Evidence
	for i := 0; i < n; i++ {
		err := db.Update(context.Background(), tenant, func(tx meta.Tx) error {
			e, err := evidence.Append(context.Background(), tx, s, draft(tenant, dep, now.Add(time.Duration(i)*time.Second)))
			out = append(out, e)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func verify(t *testing.T, db meta.DB, tenant string, kr sign.Keyring) evidence.ChainReport {
	t.Helper()
	rep, err := evidence.VerifyChain(context.Background(), db, tenant, evidence.KeySet{Keyring: &kr})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendAndVerify(t *testing.T) {
	for _, alg := range sign.Algorithms {
		t.Run(alg, func(t *testing.T) {
			s, kr := keys(t, alg)
			db := openSQLite(t, filepath.Join(t.TempDir(), "stella.db"))
			metatest.Seed(t, db, "acme", "d1", metatest.T0)
			es := appendPackets(t, db, s, "acme", "d1", 3)
			rep := verify(t, db, "acme", kr)
			if len(rep.Problems) != 0 || rep.Packets != 3 || rep.Head != 3 {
				t.Fatalf("clean chain: %+v", rep)
			}
			p, err := evidence.Parse(es[1].Packet)
			if err != nil {
				t.Fatal(err)
			}
			if p.Sequence != 2 || p.PreviousHash != es[0].PacketHash || p.SignerKeyRef != "stella/signing/test-key" || p.SignatureAlgorithm != alg || p.Version != "1.0" {
				t.Fatalf("packet fields: %+v", p)
			}
			ch, _ := evidence.ContentHash(p.Content)
			if ch != p.ContentHash {
				t.Fatalf("contentHash %s, recomputed %s", p.ContentHash, ch)
			}
			if err := evidence.VerifyPacket(es[1].Packet, evidence.KeySet{Keyring: &kr}); err != nil {
				t.Fatal(err)
			}
			// Another key does not verify.
			other, _ := keys(t, alg)
			err = evidence.VerifyPacket(es[1].Packet, evidence.KeySet{Public: []*sign.Verifier{other.Verifier()}})
			if fault.KindOf(err) != fault.Verification {
				t.Fatalf("packet verified with another key: %v", err)
			}
		})
	}
}

func TestBadDrafts(t *testing.T) {
	s, _ := keys(t, sign.EdDSA)
	db := openSQLite(t, filepath.Join(t.TempDir(), "stella.db"))
	metatest.Seed(t, db, "acme", "d1", metatest.T0)
	appendPackets(t, db, s, "acme", "d1", 1)
	ctx := context.Background()
	try := func(d evidence.Draft) error {
		return db.Update(ctx, "acme", func(tx meta.Tx) error {
			_, err := evidence.Append(ctx, tx, s, d)
			return err
		})
	}
	unknown := draft("acme", "no-such-deployment", now)
	if err := try(unknown); !errors.Is(err, meta.ErrNotFound) || fault.ExitCode(err) != 1 || strings.Contains(err.Error(), "\n") {
		t.Errorf("unknown deployment: %v", err)
	} else {
		t.Log(err)
	}
	if err := try(draft("acme", "d1", now)); !errors.Is(err, meta.ErrExists) {
		t.Errorf("duplicate id: %v", err)
	} else {
		t.Log(err)
	}
	bad := draft("acme", "d1", now.Add(time.Hour))
	bad.Content.Decision.Result = "maybe"
	if err := try(bad); fault.KindOf(err) != fault.Input {
		t.Errorf("bad decision: %v", err)
	}
	noDep := draft("acme", "", now.Add(time.Hour))
	if err := try(noDep); fault.KindOf(err) != fault.Input {
		t.Errorf("deployment packet without deployment: %v", err)
	}
	rb := draft("acme", "d1", now.Add(time.Hour))
	rb.Type = evidence.TypeRollback
	if err := try(rb); fault.KindOf(err) != fault.Input {
		t.Errorf("rollback without previous: %v", err)
	}
	_, kr := keys(t, sign.EdDSA)
	_ = kr
	// Nothing half-written: still one packet.
	err := db.View(ctx, "acme", func(tx meta.Tx) error {
		h, err := tx.ChainHead(ctx)
		if err == nil && h.Seq != 1 {
			err = fmt.Errorf("head %d after refusals", h.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tamper copies the database file, runs SQL on the copy with the append-only triggers dropped (what
// someone with the file could do), and returns the copy's path.
func tamper(t *testing.T, src string, stmts ...string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+dst)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range append([]string{`DROP TRIGGER evidence_no_delete`, `DROP TRIGGER evidence_no_update`}, stmts...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return dst
}

func TestVerifyFindsTampering(t *testing.T) {
	s, kr := keys(t, sign.ES256)
	path := filepath.Join(t.TempDir(), "stella.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	metatest.Seed(t, db, "acme", "d1", metatest.T0)
	es := appendPackets(t, db, s, "acme", "d1", 4)
	db.Close() // checkpoints the WAL into the file

	cases := []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"deleted in the middle", []string{`DELETE FROM evidence WHERE seq = 2`},
			[]string{es[2].ID, "sequence 2 missing between " + es[0].ID}},
		{"deleted at the end", []string{`DELETE FROM evidence WHERE seq = 4`},
			[]string{"chain head is at sequence 4 but the last packet is " + es[2].ID}},
		{"content altered", []string{`UPDATE evidence SET packet = replace(packet, 'John Roe', 'Evil Eve') WHERE seq = 3`},
			[]string{es[2].ID, "contentHash does not match", "packet hash does not match", "signature"}},
		{"re-chained after a delete", []string{`DELETE FROM evidence WHERE seq = 2`, `UPDATE evidence SET seq = seq - 1, prev_hash = '` + es[0].PacketHash + `' WHERE seq = 3`},
			[]string{es[2].ID, "stored previousHash differs", "stored sequence differs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openSQLite(t, tamper(t, path, c.stmts...))
			rep := verify(t, db, "acme", kr)
			msg := (&fault.Problems{List: rep.Problems}).Error()
			t.Log(msg)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("problems do not mention %q", w)
				}
			}
		})
	}
	// The untouched original still verifies.
	db2 := openSQLite(t, path)
	if rep := verify(t, db2, "acme", kr); len(rep.Problems) != 0 {
		t.Fatalf("original: %+v", rep.Problems)
	}
}

// Several handles on one SQLite file (as several processes would have) append concurrently.
func TestConcurrentWritersSQLiteFile(t *testing.T) {
	s, kr := keys(t, sign.EdDSA)
	path := filepath.Join(t.TempDir(), "stella.db")
	metatest.Seed(t, openSQLite(t, path), "acme", "d1", metatest.T0)
	const handles, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, handles*each)
	for h := 0; h < handles; h++ {
		db := openSQLite(t, path)
		wg.Add(1)
		go func(h int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- db.Update(context.Background(), "acme", func(tx meta.Tx) error {
					_, err := evidence.Append(context.Background(), tx, s, draft("acme", "d1", now.Add(time.Duration(h*1000+i)*time.Millisecond)))
					return err
				})
			}
		}(h)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rep := verify(t, openSQLite(t, path), "acme", kr)
	if len(rep.Problems) != 0 || rep.Packets != handles*each {
		t.Fatalf("%+v", rep)
	}
}

func TestPDFReadBack(t *testing.T) {
	pdftotext := testenv.Command(t, "pdftotext")
	s, _ := keys(t, sign.RS256)
	db := openSQLite(t, filepath.Join(t.TempDir(), "stella.db"))
	metatest.Seed(t, db, "acme", "d1", metatest.T0)
	es := appendPackets(t, db, s, "acme", "d1", 2)
	p, err := evidence.Parse(es[1].Packet)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ev.pdf")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := evidence.PDF(f, p, es[1].PacketHash); err != nil {
		t.Fatal(err)
	}
	f.Close()
	txt, err := exec.Command(pdftotext, "-layout", out, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, txt)
	}
	text := string(txt)
	for _, want := range []string{"myapp-v2.3.1", digestAPI, digestWorker, "Jane Doe", "John Roe", "Zoë Quinn", "LGTM",
		"no-critical-cves", "ALLOW", "compose.stella.lock.yml", "sha256:" + strings.Repeat("a", 64), "RS256",
		"stella/signing/test-key", "packet 2 of tenant acme", es[1].PacketHash, es[0].PacketHash, "production", "host-a", p.ID} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
	// Same packet, same bytes.
	var a, b strings.Builder
	_ = evidence.PDF(&a, p, es[1].PacketHash)
	_ = evidence.PDF(&b, p, es[1].PacketHash)
	if a.String() != b.String() {
		t.Error("PDF is not deterministic")
	}
}

// forgeries are tamperings of the rows beside the signed packets: every queryable column is compared
// with the packet, and a head rewound to an earlier packet no longer matches its signed head. es are the
// four packets appended; the statements run with the append-only triggers out of the way.
func forgeries(es []meta.Evidence) []struct {
	name  string
	stmts []string
	want  []string
} {
	return []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"forged promotion_id", []string{`UPDATE evidence SET promotion_id = 'promo-forged' WHERE seq = 2`},
			[]string{es[1].ID, "stored promotionId differs from the signed packet's", "promo-forged"}},
		{"forged generated_at", []string{`UPDATE evidence SET generated_at_us = 1577836800000000 WHERE seq = 3`},
			[]string{es[2].ID, "stored generatedAt differs from the signed packet's", "2020-01-01"}},
		{"forged deployment_id", []string{`UPDATE evidence SET deployment_id = NULL WHERE seq = 4`},
			[]string{es[3].ID, "stored deploymentId differs from the signed packet's"}},
		{"truncated and head rewound", []string{`DELETE FROM evidence WHERE seq = 4`,
			`UPDATE evidence_heads SET seq = 3, packet_hash = '` + es[2].PacketHash + `'`},
			[]string{"chain head: the head row says sequence 3", "the signed head says tenant acme, sequence 4"}},
		{"truncated, head rewound, signature dropped", []string{`DELETE FROM evidence WHERE seq = 4`,
			`UPDATE evidence_heads SET seq = 3, packet_hash = '` + es[2].PacketHash + `', head_doc = ''`},
			[]string{"chain head: sequence 3 carries no signed head document"}},
	}
}

func TestVerifyFindsForgedColumnsSQLite(t *testing.T) {
	s, kr := keys(t, sign.EdDSA)
	path := filepath.Join(t.TempDir(), "stella.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	metatest.Seed(t, db, "acme", "d1", metatest.T0)
	es := appendPackets(t, db, s, "acme", "d1", 4)
	db.Close()
	for _, c := range forgeries(es) {
		t.Run(c.name, func(t *testing.T) {
			stmts := append([]string{`DROP TRIGGER evidence_heads_forward`}, c.stmts...)
			rep := verify(t, openSQLite(t, tamper(t, path, stmts...)), "acme", kr)
			expectProblems(t, rep, c.want)
		})
	}
}

func TestVerifyFindsForgedColumnsPostgres(t *testing.T) {
	s, kr := keys(t, sign.EdDSA)
	for _, c := range forgeries(make([]meta.Evidence, 4)) {
		t.Run(c.name, func(t *testing.T) {
			dsn := pgtest.FreshSchema(t)
			db, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			metatest.Seed(t, db, "acme", "d1", metatest.T0)
			es := appendPackets(t, db, s, "acme", "d1", 4)
			var cc = forgeries(es)
			for _, x := range cc {
				if x.name == c.name {
					c = x
				}
			}
			raw, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			// As the database's owner would: switch the append-only triggers off, then forge.
			for _, q := range append([]string{`ALTER TABLE evidence DISABLE TRIGGER USER`, `ALTER TABLE evidence_heads DISABLE TRIGGER USER`}, c.stmts...) {
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			expectProblems(t, verify(t, db, "acme", kr), c.want)
		})
	}
}

func expectProblems(t *testing.T, rep evidence.ChainReport, want []string) {
	t.Helper()
	msg := (&fault.Problems{List: rep.Problems}).Error()
	if len(rep.Problems) == 0 {
		t.Fatal("verification found nothing")
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("problems do not mention %q:\n%s", w, msg)
		}
	}
}

// A retention packet and a key rotation packet render their own sections.
func TestPDFRetentionAndKey(t *testing.T) {
	pdftotext := testenv.Command(t, "pdftotext")
	at := time.Date(2031, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, p := range []*evidence.Packet{
		{ID: "ev-r", Type: evidence.TypeSetRemoved, TenantID: "acme", GeneratedAt: at, Content: evidence.Content{
			Retention: &evidence.Retention{Action: "remove", Set: "acme/d1", Location: "s3://b/p/acme/d1", RetainUntil: "2031-03-01T12:00:00Z", Reason: "retention sweep: retention ended"}}},
		{ID: "ev-k", Type: evidence.TypeKeyRotation, TenantID: "acme", GeneratedAt: at, Content: evidence.Content{
			Key: &evidence.KeyEvent{Action: "rotate", Ref: "stella/signing/prod", OldKeyID: "0cbdbc2b5e30e130", NewKeyID: "ad1f0ce65cb2d366", Algorithm: "ES256", At: at}}},
	} {
		out := filepath.Join(t.TempDir(), p.ID+".pdf")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := evidence.PDF(f, p, "sha256:x"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		txt, err := exec.Command(pdftotext, "-layout", out, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, txt)
		}
		want := []string{"Retention", "acme/d1", "s3://b/p/acme/d1", "2031-03-01T12:00:00Z", "retention ended"}
		if p.Content.Key != nil {
			want = []string{"Signing key", "stella/signing/prod", "0cbdbc2b5e30e130", "ad1f0ce65cb2d366", "ES256"}
		}
		for _, w := range want {
			if !strings.Contains(string(txt), w) {
				t.Errorf("%s: PDF text lacks %q:\n%s", p.Type, w, txt)
			}
		}
	}
}
