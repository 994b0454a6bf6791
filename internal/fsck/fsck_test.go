package fsck_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/fsck"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/postgres"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/record"
	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
	"github.com/stella-ops/stella/internal/verify/verifytest"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC)
)

// env is a store and a database with the quickstart example generated into them.
type env struct {
	dir    string
	store  *local.Store
	dbPath string
	db     meta.DB
	signer *sign.Signer
	kr     sign.Keyring
	inputs *generate.Inputs
}

func newEnv(t testing.TB) *env { return newEnvB(t) }

func newEnvB(t testing.TB) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), kr: sign.Keyring{Dir: t.TempDir()}}
	s, err := e.kr.Generate("stella/signing/fsck", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	e.signer = s
	e.store = local.New(filepath.Join(e.dir, "store"))
	e.dbPath = filepath.Join(e.dir, "data", "stella.db")
	e.db = openSQLite(t, e.dbPath)
	qs := filepath.Join(e.dir, "quickstart")
	if err := quickstart.Write(qs); err != nil {
		t.Fatal(err)
	}
	if e.inputs, err = generate.Load(filepath.Join(qs, "release.yaml"), filepath.Join(qs, "environment.yaml")); err != nil {
		t.Fatal(err)
	}
	return e
}

func openSQLite(t testing.TB, path string) meta.DB {
	t.Helper()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// deploy generates a set for tenant/dep, stores it and, with recordIt, records it (with its evidence) in
// db, as stella generate does.
func (e *env) deploy(t testing.TB, db meta.DB, tenant, dep string, at time.Time, recordIt bool) {
	t.Helper()
	res, err := generate.Generate(ctx, generate.Request{Inputs: e.inputs, TenantID: tenant, DeploymentID: dep, Signer: e.signer, Now: at})
	if err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{Tenant: tenant, Deployment: dep}
	var files []store.File
	var recFiles []record.File
	for _, f := range res.Files {
		files = append(files, store.File{Name: f.Name, Data: f.Data})
		recFiles = append(recFiles, record.File{Name: f.Name, Data: f.Data})
	}
	if err := e.store.Create(ctx, ref, files); err != nil {
		t.Fatal(err)
	}
	if !recordIt {
		return
	}
	_, err = record.Record(ctx, db, record.Deployment{
		TenantID: tenant, DeploymentID: dep, StoreKey: ref.String(), Files: recFiles, Clock: func() time.Time { return at }, Signer: e.signer,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) run(t *testing.T, db meta.DB, repair bool) *fsck.Report {
	t.Helper()
	r, err := fsck.Run(ctx, fsck.Options{
		Store: e.store, DB: db, DBName: "sqlite://test",
		SetKeys: verify.Keys{Keyring: &e.kr}, EvidenceKeys: evidence.KeySet{Keyring: &e.kr},
		Repair: repair, MinLeftoverAge: time.Hour, Now: func() time.Time { return t0.Add(24 * time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// lines is the report's problems, one line each.
func lines(r *fsck.Report) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func wantProblems(t *testing.T, r *fsck.Report, want ...string) {
	t.Helper()
	if r.Clean || len(r.Problems) == 0 {
		t.Fatalf("report is clean; want problems %q", want)
	}
	got := lines(r)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("problems do not name %q:\n%s", w, got)
		}
	}
	if err := r.Err(); fault.ExitCode(err) != 3 {
		t.Errorf("Err() = %v (exit %d), want exit 3", err, fault.ExitCode(err))
	}
}

// seed stores and records three deployments of two tenants.
func (e *env) seed(t *testing.T, db meta.DB) {
	e.deploy(t, db, "acme", "d1", t0, true)
	e.deploy(t, db, "acme", "d2", t0.Add(time.Hour), true)
	e.deploy(t, db, "globex", "g1", t0.Add(2*time.Hour), true)
}

func TestClean(t *testing.T) {
	e := newEnv(t)
	e.seed(t, e.db)
	r := e.run(t, e.db, false)
	if !r.Clean || r.Err() != nil || len(r.Warnings) != 0 {
		t.Fatalf("clean store: %s%+v", lines(r), r.Warnings)
	}
	if len(r.Sets) != 3 || len(r.Tenants) != 2 || len(r.Chains) != 2 || r.Database.Deployments != 3 || r.Database.IntegrityCheck != "ok" {
		t.Fatalf("report: %+v", r)
	}
	for _, s := range r.Sets {
		if !s.Valid || !s.Recorded || s.Files < 5 {
			t.Errorf("set %+v", s)
		}
	}
	if got := r.Summary(); got != "clean: 3 sets of 2 tenants, 3 evidence packets, database sqlite (3 deployments, integrity check ok)" {
		t.Errorf("summary %q", got)
	}
	// Without a database, only the store.
	if r := e.run(t, nil, false); !r.Clean || len(r.Sets) != 3 || r.Database != nil || len(r.Chains) != 0 {
		t.Errorf("store only: %+v", r)
	}
}

// A byte flipped in one set's file names that set and file, and only that set.
func TestFlippedByte(t *testing.T) {
	e := newEnv(t)
	e.seed(t, e.db)
	lock := filepath.Join(e.store.Path(store.Ref{Tenant: "acme", Deployment: "d2"}), "compose.stella.lock.yml")
	flip(t, lock, 200)
	r := e.run(t, e.db, false)
	wantProblems(t, r, "acme/d2: compose.stella.lock.yml: sha256 does not match checksums.sha256",
		"acme/d2: compose.stella.lock.yml: sha256 differs from the one recorded in the metadata database")
	for _, p := range r.Problems {
		if p.Subject != "acme/d2" {
			t.Errorf("problem outside acme/d2: %s", p)
		}
	}
	for _, s := range r.Sets {
		if s.Valid == (s.Tenant == "acme" && s.Deployment == "d2") {
			t.Errorf("set %+v", s)
		}
	}
}

// flip changes one byte of a read-only file in a read-only set directory.
func flip(t *testing.T, path string, at int) {
	t.Helper()
	dir := filepath.Dir(path)
	must(t, os.Chmod(dir, 0o755))
	must(t, os.Chmod(path, 0o644))
	data, err := os.ReadFile(path)
	must(t, err)
	data[at] ^= 1
	must(t, os.WriteFile(path, data, 0o444))
	must(t, os.Chmod(path, 0o444))
	must(t, os.Chmod(dir, 0o555))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// An evidence row deleted from a copy of the database (the append-only triggers dropped first, as
// someone holding the file could) is named by tenant and packet.
func TestDeletedEvidenceRow(t *testing.T) {
	e := newEnv(t)
	e.seed(t, e.db)
	var id1, id2 string
	must(t, e.db.View(ctx, "acme", func(tx meta.Tx) error {
		es, err := tx.ListEvidence(ctx, 0)
		if len(es) == 2 {
			id2, id1 = es[0].ID, es[1].ID
		}
		return err
	}))
	if id1 == "" {
		t.Fatal("acme has no two packets")
	}
	e.db.Close()
	copyPath := tamper(t, e.dbPath, `DELETE FROM evidence WHERE tenant_id = 'acme' AND seq = 1`)
	db := openSQLite(t, copyPath)
	r := e.run(t, db, false)
	wantProblems(t, r, "acme: evidence "+id2+" (sequence 2): chain broken: sequence 1 missing")
	for _, p := range r.Problems {
		if p.Tenant != "acme" || p.Deployment != "" {
			t.Errorf("unexpected problem %s", p)
		}
	}
}

// tamper copies the database file and runs SQL on the copy with the append-only triggers dropped.
func tamper(t *testing.T, src string, stmts ...string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	must(t, err)
	dst := filepath.Join(t.TempDir(), "copy.db")
	must(t, os.WriteFile(dst, data, 0o600))
	raw, err := sql.Open("sqlite", "file:"+dst)
	must(t, err)
	defer raw.Close()
	for _, q := range append([]string{`DROP TRIGGER evidence_no_delete`, `DROP TRIGGER evidence_no_update`}, stmts...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return dst
}

// A set stored but never recorded (a crash between store and record) is named; so is a recorded
// deployment whose set is gone from the store.
func TestStoreAndDatabaseDisagree(t *testing.T) {
	e := newEnv(t)
	e.seed(t, e.db)
	e.deploy(t, e.db, "acme", "orphan", t0.Add(3*time.Hour), false)
	r := e.run(t, e.db, false)
	wantProblems(t, r, "acme/orphan: stored but not recorded in the metadata database")
	if len(r.Problems) != 1 {
		t.Errorf("more than the orphan:\n%s", lines(r))
	}

	// The same store against another database that records a deployment the store lacks.
	other := openSQLite(t, filepath.Join(t.TempDir(), "other.db"))
	e2 := *e
	e2.store = local.New(filepath.Join(t.TempDir(), "elsewhere"))
	e2.deploy(t, other, "initech", "i1", t0, true)
	r = e.run(t, other, false)
	wantProblems(t, r, "initech/i1: recorded in the metadata database, but its set initech/i1 is missing from the store",
		"acme/d1: stored but not recorded")
}

// A leftover temp dir is a warning, not a problem; --repair removes an old one and keeps a young one.
func TestLeftovers(t *testing.T) {
	e := newEnv(t)
	e.seed(t, e.db)
	old := filepath.Join(e.store.Dir(), "acme", ".tmp-d3-111")
	young := filepath.Join(e.store.Dir(), "acme", ".tmp-d4-222")
	for _, d := range []string{old, young} {
		must(t, os.Mkdir(d, 0o755))
		must(t, os.WriteFile(filepath.Join(d, "manifest.json"), []byte("half"), 0o444))
	}
	must(t, os.Chtimes(old, t0, t0))
	now := t0.Add(24 * time.Hour)
	must(t, os.Chtimes(young, now.Add(-time.Minute), now.Add(-time.Minute)))

	r := e.run(t, e.db, false)
	if !r.Clean || len(r.Warnings) != 2 || !strings.Contains(r.Warnings[0].String(), "acme/.tmp-d3-111: leftover of an interrupted create") {
		t.Fatalf("warnings: %+v, problems:\n%s", r.Warnings, lines(r))
	}
	r = e.run(t, e.db, true)
	if !r.Clean || len(r.Repaired) != 1 || r.Repaired[0].Name != ".tmp-d3-111" || r.Repaired[0].Deployment != "d3" {
		t.Fatalf("repair: %+v", r)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old leftover still there: %v", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young leftover removed: %v", err)
	}
	if len(r.Sets) != 3 {
		t.Errorf("sets after repair: %+v", r.Sets)
	}
}

// The same checks with PostgreSQL as the metadata database (no file check there).
func TestPostgres(t *testing.T) {
	db, err := postgres.Open(ctx, pgtest.FreshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := newEnv(t)
	tenant := fmt.Sprintf("fsck-%d", time.Now().UnixNano())
	e.deploy(t, db, tenant, "d1", t0, true)
	e.deploy(t, db, tenant, "d2", t0.Add(time.Hour), false)
	r := e.run(t, db, false)
	if r.Database.Engine != "postgres" || r.Database.IntegrityCheck != "unsupported" {
		t.Errorf("database: %+v", r.Database)
	}
	got := lines(r)
	if !strings.Contains(got, tenant+"/d2: stored but not recorded") || strings.Contains(got, tenant+"/d1") {
		t.Errorf("problems:\n%s", got)
	}
}

// Sets past their retention are warnings (the report stays clean); a recorded deployment whose set the
// retention sweep removed, with its set_removed packet, is not a problem; one removed without it is.
func TestRetention(t *testing.T) {
	e := newEnv(t)
	for i, d := range []string{"d1", "d2", "d3", "d4"} {
		e.deploy(t, e.db, "acme", d, t0.Add(time.Duration(i)*time.Hour), true)
	}
	later := t0.AddDate(7, 1, 0) // production: seven years
	run := func() *fsck.Report {
		r, err := fsck.Run(ctx, fsck.Options{Store: e.store, DB: e.db, DBName: "sqlite://test",
			SetKeys: verify.Keys{Keyring: &e.kr}, EvidenceKeys: evidence.KeySet{Keyring: &e.kr}, Now: func() time.Time { return later }})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := run()
	if !r.Clean || len(r.Warnings) != 4 || !strings.Contains(r.Warnings[0].String(), "acme/d1: past its retention (retainUntil 2033-01-10T14:30:00Z)") {
		t.Fatalf("past retention: clean %v, warnings %v", r.Clean, r.Warnings)
	}
	if !r.Sets[0].PastRetention || r.Sets[0].RetainUntil != "2033-01-10T14:30:00Z" {
		t.Errorf("set report %+v", r.Sets[0])
	}
	clock := func() time.Time { return later }
	rep, err := retention.Sweep(ctx, retention.Options{DB: e.db, Store: e.store, Signer: e.signer, Now: clock, EvidenceClock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 2 {
		t.Fatalf("sweep: %+v", rep)
	}
	r = run()
	if !r.Clean || r.Database.Removed != 2 || len(r.Sets) != 2 {
		t.Fatalf("after the sweep: %s, database %+v", lines(r), r.Database)
	}
	// A set removed behind Stella's back is still a problem.
	if err := e.store.Delete(ctx, store.Ref{Tenant: "acme", Deployment: "d3"}); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, run(), "acme/d3: recorded in the metadata database, but its set acme/d3 is missing from the store")
}

type loadMemo map[string]bool

func (m loadMemo) Valid(k string) bool { return m[k] }

// Fsck asks the memo of locks that load, as verify does: a signed set whose lock compose-go refuses is a
// problem unless the memo knows its exact bytes.
func TestLoadMemo(t *testing.T) {
	e := newEnv(t)
	res, err := generate.Generate(ctx, generate.Request{Inputs: e.inputs, TenantID: "acme", DeploymentID: "d1", Signer: e.signer, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	if err := verifytest.Resign(files, verifytest.Refused(files[lockfile.FileName]), e.signer); err != nil {
		t.Fatal(err)
	}
	var stored []store.File
	for n, d := range files {
		stored = append(stored, store.File{Name: n, Data: d})
	}
	if err := e.store.Create(ctx, store.Ref{Tenant: "acme", Deployment: "d1"}, stored); err != nil {
		t.Fatal(err)
	}
	env, hasEnv := files[lockfile.EnvFileName]
	known := loadMemo{lockfile.LoadKey(files[lockfile.FileName], env, hasEnv, lockfile.SecretNames(res.Manifest.Subject.Environment)): true}
	for _, m := range []loadMemo{nil, {}, known} {
		o := fsck.Options{Store: e.store, SetKeys: verify.Keys{Keyring: &e.kr}, Now: func() time.Time { return t0 }}
		if m != nil {
			o.LoadCache = m
		}
		r, err := fsck.Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		loads := strings.Contains(fmt.Sprint(r.Problems), "not a Compose file that Compose loads")
		if want := len(m) == 0; loads != want || r.Clean == want {
			t.Errorf("memo %v: clean %v, problems %v", m, r.Clean, r.Problems)
		}
	}
}
