package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/deploy"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
)

var ctx = context.Background()

const forgedDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

// world is one set of inputs (the quickstart example), a keyring and a store.
type world struct {
	dir    string
	signer *sign.Signer
	kr     sign.Keyring
	store  store.Store
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dir: t.TempDir()}
	if err := quickstart.Write(w.dir); err != nil {
		t.Fatal(err)
	}
	w.kr = sign.Keyring{Dir: filepath.Join(w.dir, "keys")}
	s, err := w.kr.Generate("stella/signing/test", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	w.signer = s
	w.store = local.New(filepath.Join(w.dir, "store"))
	return w
}

// variant writes a copy of the example's inputs with edits applied to release.yaml and promotion.yaml.
func (w *world) variant(t *testing.T, name string, release, promotion func(string) string) (string, string) {
	t.Helper()
	dir := filepath.Join(w.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range quickstart.Files {
		b, err := os.ReadFile(filepath.Join(w.dir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		switch {
		case f == "release.yaml" && release != nil:
			s = release(s)
		case f == "promotion.yaml" && promotion != nil:
			s = promotion(s)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "release.yaml"), filepath.Join(dir, "promotion.yaml")
}

func openDB(t *testing.T, path string) meta.DB {
	t.Helper()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// create runs the service on db with the given release and promotion files, artifact time at and real
// clock real.
func (w *world) create(t *testing.T, db meta.DB, releaseFile, promoFile, id string, at, real time.Time) (*deploy.Result, error) {
	t.Helper()
	in, err := generate.Load(releaseFile, filepath.Join(w.dir, "environment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := evidence.LoadPromotion(promoFile)
	if err != nil {
		t.Fatal(err)
	}
	svc := &deploy.Service{
		DB:    func(context.Context) (meta.DB, error) { return db, nil },
		Store: w.store, Trust: verify.Keys{Keyring: &w.kr},
		Now: func() time.Time { return real },
	}
	return svc.Create(ctx, deploy.Request{
		Generate:  generate.Request{Inputs: in, TenantID: "acme", DeploymentID: id, Signer: w.signer, Now: at},
		Promotion: p,
	})
}

func packets(t *testing.T, db meta.DB, tenant string) []*evidence.Packet {
	t.Helper()
	var out []*evidence.Packet
	err := db.View(ctx, tenant, func(tx meta.Tx) error {
		return tx.Chain(ctx, func(e meta.Evidence) error {
			p, err := evidence.Parse(e.Packet)
			out = append(out, p)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The reproduction: a deployment generated into one database, then the same id into the same
// store with another database, another promotion (other id and approvers) and a release whose api digest
// differs. The second caller gets "already exists" naming what differs; the packet recorded in the second
// database describes the stored set — the first promotion, its approvers, the stored digest — and verifies.
func TestAdoptDerivesEvidenceFromTheStoredSet(t *testing.T) {
	w := newWorld(t)
	real := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	dbA := openDB(t, filepath.Join(w.dir, "dataA", "stella.db"))
	relA, promoA := w.variant(t, "a", nil, nil)
	if _, err := w.create(t, dbA, relA, promoA, "adopt-1", at, real); err != nil {
		t.Fatal(err)
	}
	relB, promoB := w.variant(t, "b",
		func(s string) string {
			return strings.Replace(s, "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", forgedDigest, 1)
		},
		func(s string) string {
			return strings.NewReplacer("id: promo-myapp-2.3.1-prod", "id: promo-other", "John Roe", "Mallory Moe").Replace(s)
		})
	dbB := openDB(t, filepath.Join(w.dir, "dataB", "stella.db"))
	_, err := w.create(t, dbB, relB, promoB, "adopt-1", at.Add(time.Hour), real.Add(time.Hour))
	if !fault.Is(err, fault.Exists) {
		t.Fatalf("second generate: %v (kind %v), want already exists", err, fault.KindOf(err))
	}
	for _, want := range []string{"already exists", "with other inputs", "promotion: promo-other here, promo-myapp-2.3.1-prod in the stored set", "input release (sha256)", "now is, from the stored set itself"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	ps := packets(t, dbB, "acme")
	if len(ps) != 1 {
		t.Fatalf("%d packets in the second database, want the adopted set's one", len(ps))
	}
	p := ps[0]
	if p.PromotionID != "promo-myapp-2.3.1-prod" || len(p.Content.Actors.Approvers) == 0 || p.Content.Actors.Approvers[0].Name != "John Roe" {
		t.Errorf("packet names promotion %q, approvers %+v: not the stored set's", p.PromotionID, p.Content.Actors.Approvers)
	}
	for _, c := range p.Content.Release.Components {
		if c.Digest == forgedDigest {
			t.Errorf("packet carries the caller's digest %s for %s, not the stored set's", c.Digest, c.Name)
		}
	}
	if !p.GeneratedAt.Equal(real.Add(time.Hour)) {
		t.Errorf("packet generatedAt %v, want the real time of recording %v", p.GeneratedAt, real.Add(time.Hour))
	}
	rep, err := evidence.VerifyChain(ctx, dbB, "acme", evidence.KeySet{Keyring: &w.kr})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("chain of the second database: %+v, %v", rep.Problems, err)
	}
	// The packet's artifacts are the stored files, byte for byte.
	fsys, err := w.store.Open(ctx, store.Ref{Tenant: "acme", Deployment: "adopt-1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.SetAt(fsys, verify.Keys{Keyring: &w.kr}, "acme", "adopt-1")
	if err != nil || !res.Valid {
		t.Fatalf("stored set: %+v, %v", res, err)
	}
	stored := map[string]string{}
	for _, f := range res.Files {
		stored[f.Name] = "sha256:" + f.SHA256
	}
	for _, a := range p.Content.Execution.Artifacts {
		if stored[a.Name] != a.ContentHash {
			t.Errorf("packet says %s is %s; the store has %s", a.Name, a.ContentHash, stored[a.Name])
		}
	}
	// The same inputs again (another time, a third database): already exists, from the same inputs.
	dbC := openDB(t, filepath.Join(w.dir, "dataC", "stella.db"))
	_, err = w.create(t, dbC, relA, promoA, "adopt-1", at.Add(2*time.Hour), real)
	if !fault.Is(err, fault.Exists) || !strings.Contains(err.Error(), "from the same inputs") {
		t.Errorf("identical inputs: %v", err)
	}
}

// --now fixes the artifacts' times only: the packet and the rows carry the real time, the content the
// artifacts' time; retention counts from the real time.
func TestArtifactTimeIsNotRecordTime(t *testing.T) {
	w := newWorld(t)
	real := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	db := openDB(t, filepath.Join(w.dir, "data", "stella.db"))
	rel, promo := w.variant(t, "a", nil, nil)
	out, err := w.create(t, db, rel, promo, "d-past", past, real)
	if err != nil {
		t.Fatal(err)
	}
	if out.Set.Manifest.CreatedAt != "2020-01-01T00:00:00Z" {
		t.Errorf("manifest createdAt %s, want the artifact time", out.Set.Manifest.CreatedAt)
	}
	p := packets(t, db, "acme")[0]
	if !p.GeneratedAt.Equal(real) || p.Content.Execution.ArtifactsCreatedAt != "2020-01-01T00:00:00Z" {
		t.Errorf("packet generatedAt %v (want %v), artifactsCreatedAt %q", p.GeneratedAt, real, p.Content.Execution.ArtifactsCreatedAt)
	}
	err = db.View(ctx, "acme", func(tx meta.Tx) error {
		d, err := tx.Deployment(ctx, "d-past")
		if err == nil && !d.CreatedAt.Equal(real) {
			t.Errorf("deployment row created %v, want the real time %v", d.CreatedAt, real)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Production needs a promotion; the promotion must name this release and environment; it is used once.
func TestPromotionRules(t *testing.T) {
	w := newWorld(t)
	real := time.Now().UTC()
	db := openDB(t, filepath.Join(w.dir, "data", "stella.db"))
	rel, promo := w.variant(t, "a", nil, nil)
	in, err := generate.Load(rel, filepath.Join(w.dir, "environment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := deploy.CheckPromotion(in, nil); !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "requires an approved promotion") {
		t.Errorf("production without a promotion: %v", err)
	}
	_, otherRel := w.variant(t, "b", nil, func(s string) string {
		return strings.Replace(s, "releaseId: rel-myapp-2.3.1", "releaseId: rel-other", 1)
	})
	if _, err := w.create(t, db, rel, otherRel, "d-0", real, real); !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), `releaseId: promotion promo-myapp-2.3.1-prod approves release "rel-other"`) {
		t.Errorf("a promotion of another release: %v", err)
	}
	if _, err := w.create(t, db, rel, promo, "d-1", real, real); err != nil {
		t.Fatal(err)
	}
	_, err = w.create(t, db, rel, promo, "d-2", real, real)
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "already carried out by deployment acme/d-1") {
		t.Errorf("a replayed promotion: %v", err)
	}
	if _, err := w.store.Open(ctx, store.Ref{Tenant: "acme", Deployment: "d-2"}); err == nil {
		t.Error("the refused replay stored a set")
	}
}

// A large extra artifact given by path streams from its file into the store: the stored set verifies,
// holds the file's exact bytes, and its records carry their size and SHA-256. A file that no longer has
// the bytes that were hashed (here: a caller's digest that does not match it) fails the deployment
// with nothing stored and nothing recorded.
func TestStreamedArtifact(t *testing.T) {
	w := newWorld(t)
	db := openDB(t, filepath.Join(w.dir, "meta.db"))
	script := []byte(strings.Repeat("echo 'deploying with a long script'\n", 40_000))
	p := filepath.Join(w.dir, "deploy.sh")
	if err := os.WriteFile(p, script, 0o644); err != nil {
		t.Fatal(err)
	}
	create := func(db meta.DB, id string, a generate.Artifact) (*deploy.Result, error) {
		in, err := generate.Load(filepath.Join(w.dir, "release.yaml"), filepath.Join(w.dir, "environment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		pr, err := evidence.LoadPromotion(filepath.Join(w.dir, "promotion.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		svc := &deploy.Service{DB: func(context.Context) (meta.DB, error) { return db, nil }, Store: w.store, Trust: verify.Keys{Keyring: &w.kr}}
		return svc.Create(ctx, deploy.Request{
			Generate:  generate.Request{Inputs: in, TenantID: "acme", DeploymentID: id, Signer: w.signer, Now: time.Now(), Extra: []generate.Artifact{a}},
			Promotion: pr,
		})
	}
	if _, err := create(db, "streamed", generate.Artifact{Name: "deploy.stella.sh", Type: "script-shell", Path: p}); err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{Tenant: "acme", Deployment: "streamed"}
	fsys, err := w.store.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.ReadFile(fsys, "deploy.stella.sh"); err != nil || !bytes.Equal(got, script) {
		t.Fatalf("stored script: %d bytes, %v; want the file's %d", len(got), err, len(script))
	}
	res, err := verify.SetAt(fsys, verify.Keys{Keyring: &w.kr}, "acme", "streamed")
	if err != nil || !res.Valid {
		t.Fatalf("stored set does not verify: %v %+v", err, res)
	}
	err = db.View(ctx, "acme", func(tx meta.Tx) error {
		arts, err := tx.Artifacts(ctx, "streamed")
		for _, a := range arts {
			if a.Name == "deploy.stella.sh" && (a.Size != int64(len(script)) || a.SHA256 != checksum.Sum(script)) {
				t.Errorf("recorded %+v, want %d bytes with sha256 %s", a, len(script), checksum.Sum(script))
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The same id again, recorded in another database: the stored set is adopted (verified and recorded
	// from the store, its large script streamed rather than read into memory) with the script's sums.
	db3 := openDB(t, filepath.Join(w.dir, "meta3.db"))
	if _, err := create(db3, "streamed", generate.Artifact{Name: "deploy.stella.sh", Type: "script-shell", Path: p}); !fault.Is(err, fault.Exists) ||
		!strings.Contains(err.Error(), "now is, from the stored set itself") {
		t.Fatalf("the same id into another database: %v, want the stored set adopted", err)
	}
	err = db3.View(ctx, "acme", func(tx meta.Tx) error {
		arts, err := tx.Artifacts(ctx, "streamed")
		found := false
		for _, a := range arts {
			if a.Name == "deploy.stella.sh" {
				found = a.Size == int64(len(script)) && a.SHA256 == checksum.Sum(script)
			}
		}
		if !found {
			t.Errorf("adopted records %+v do not list deploy.stella.sh with %d bytes and sha256 %s", arts, len(script), checksum.Sum(script))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The file was changed after it was hashed: the digest given is of other bytes. (Another database:
	// the promotion was carried out in the first.)
	db = openDB(t, filepath.Join(w.dir, "meta2.db"))
	other := checksum.Sum([]byte("the bytes that were checked"))
	_, err = create(db, "changed", generate.Artifact{Name: "deploy.stella.sh", Type: "script-shell", Path: p, Size: int64(len(script)), SHA256: other})
	if !errors.Is(err, checksum.ErrMismatch) {
		t.Fatalf("deployment of a changed file: %v, want checksum.ErrMismatch", err)
	}
	if _, err := w.store.Open(ctx, store.Ref{Tenant: "acme", Deployment: "changed"}); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("the changed file's set: Open error %v, want store.ErrNotExist", err)
	}
	err = db.View(ctx, "acme", func(tx meta.Tx) error {
		if d, err := tx.Deployment(ctx, "changed"); err == nil {
			t.Errorf("the changed file's deployment was recorded: %+v", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
