package retention_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/postgres"
	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/record"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
)

var ctx = context.Background()

// env is a store and a database with a key and the quickstart's inputs.
type env struct {
	store  store.Store
	db     meta.DB
	signer *sign.Signer
	kr     sign.Keyring
	qs     string
	inputs *generate.Inputs
}

func newEnv(t testing.TB, db meta.DB, st store.Store) *env {
	t.Helper()
	e := &env{kr: sign.Keyring{Dir: t.TempDir()}, db: db, store: st}
	s, err := e.kr.Generate("stella/signing/retention", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	e.signer = s
	if e.store == nil {
		e.store = local.New(filepath.Join(t.TempDir(), "store"))
	}
	if e.db == nil {
		e.db = openSQLite(t)
	}
	qs := filepath.Join(t.TempDir(), "quickstart")
	if err := quickstart.Write(qs); err != nil {
		t.Fatal(err)
	}
	e.qs = qs
	e.inputs = e.load(t)
	return e
}

func (e *env) load(t testing.TB) *generate.Inputs {
	t.Helper()
	in, err := generate.Load(filepath.Join(e.qs, "release.yaml"), filepath.Join(e.qs, "environment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func openSQLite(t testing.TB) meta.DB {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stella.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t testing.TB) meta.DB {
	t.Helper()
	db, err := postgres.Open(ctx, pgtest.FreshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// deploy generates a set of tier at at into environment env-TIER (one target, tgt-TIER), stores it with
// create (nil: Create) and records it, as stella generate does.
func (e *env) deploy(t testing.TB, tenant, dep, tier string, at time.Time, create func(store.Ref, []store.File) error) {
	t.Helper()
	in := e.load(t)
	in.Environment.ID, in.Environment.Name, in.Environment.Tier = "env-"+tier, tier, tier
	in.Environment.Targets = []release.Target{{ID: "tgt-" + tier, Name: tier + "-host", Type: "compose-host"}}
	res, err := generate.Generate(ctx, generate.Request{Inputs: in, TenantID: tenant, DeploymentID: dep, Signer: e.signer, Now: at})
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
	if create == nil {
		create = func(r store.Ref, fs []store.File) error { return e.store.Create(ctx, r, fs) }
	}
	if err := create(ref, files); err != nil {
		t.Fatal(err)
	}
	if _, err := record.Record(ctx, e.db, record.Deployment{
		TenantID: tenant, DeploymentID: dep, StoreKey: ref.String(), Files: recFiles, Clock: func() time.Time { return at }, Signer: e.signer,
	}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) opts(now time.Time, dry bool) retention.Options {
	clock := func() time.Time { return now }
	return retention.Options{DB: e.db, Store: e.store, Signer: e.signer, Now: clock, EvidenceClock: clock, DryRun: dry, Actor: "test"}
}

func (e *env) sweep(t *testing.T, now time.Time, dry bool) *retention.Report {
	t.Helper()
	rep, err := retention.Sweep(ctx, e.opts(now, dry))
	if err != nil {
		t.Fatalf("sweep at %s: %v", now, err)
	}
	return rep
}

func (e *env) listed(t *testing.T, tenant string) []string {
	t.Helper()
	refs, err := e.store.List(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range refs {
		out = append(out, r.Deployment)
	}
	return out
}

func outcome(rep *retention.Report, dep string) retention.Item {
	for _, it := range rep.Items {
		if it.Deployment == dep {
			return it
		}
	}
	return retention.Item{Outcome: "absent"}
}

// evidenceTypes is the tenant's chain, oldest first, by type; the chain must verify.
func (e *env) evidenceTypes(t *testing.T, tenant string) []string {
	t.Helper()
	rep, err := evidence.VerifyChain(ctx, e.db, tenant, evidence.KeySet{Keyring: &e.kr})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("evidence chain of %s does not verify: %+v", tenant, rep.Problems)
	}
	var out []string
	if err := e.db.View(ctx, tenant, func(tx meta.Tx) error {
		return tx.Chain(ctx, func(ev meta.Evidence) error {
			out = append(out, ev.Type)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// boundaries: for each tier, a set made at a fixed time (production on 29 February 2024) and two later
// ones (the environment's and target's previous and current deployments). The sweep never removes the
// old set a day early or at its retainUntil, lists it in a dry run without removing anything, removes
// it the day after with a set_removed packet, and never removes the current or previous one.
var boundaries = []struct {
	tier, created, until string
}{
	{"development", "2026-01-10T14:30:00Z", "2026-02-09T14:30:00Z"},
	{"staging", "2027-12-15T08:00:00Z", "2028-03-14T08:00:00Z"}, // 90 days across 29 February 2028
	{"production", "2024-02-29T12:00:00Z", "2031-03-01T12:00:00Z"},
}

func TestSweepBoundariesSQLite(t *testing.T) {
	testBoundaries(t, func(t *testing.T) meta.DB { return openSQLite(t) })
}

func TestSweepBoundariesPostgres(t *testing.T) {
	testBoundaries(t, func(t *testing.T) meta.DB { return openPostgres(t) })
}

func testBoundaries(t *testing.T, open func(*testing.T) meta.DB) {
	for _, b := range boundaries {
		t.Run(b.tier, func(t *testing.T) {
			e := newEnv(t, open(t), nil)
			created, until := day(b.created), day(b.until)
			e.deploy(t, "acme", "old", b.tier, created, nil)
			e.deploy(t, "acme", "prev", b.tier, created.Add(time.Hour), nil)
			e.deploy(t, "acme", "cur", b.tier, created.Add(2*time.Hour), nil)
			// Another tenant's set of the same age is that tenant's current deployment: kept.
			e.deploy(t, "globex", "old", b.tier, created, nil)
			before := e.evidenceTypes(t, "acme")

			for _, at := range []time.Time{until.AddDate(0, 0, -1), until.Add(-time.Second), until} {
				rep := e.sweep(t, at, false)
				if it := outcome(rep, "old"); it.Outcome != retention.Kept || !strings.Contains(it.Reason, "retained until "+b.until) {
					t.Fatalf("sweep at %s: old %+v, want kept until %s", at.Format(time.RFC3339), it, b.until)
				}
				if rep.Removed != 0 {
					t.Fatalf("sweep at %s removed %d sets", at.Format(time.RFC3339), rep.Removed)
				}
			}
			after := until.AddDate(0, 0, 1)
			dry := e.sweep(t, after, true)
			if it := outcome(dry, "old"); it.Outcome != retention.WouldRemove {
				t.Fatalf("dry run the day after: old %+v", it)
			}
			if dry.Would != 1 || dry.Removed != 0 { // globex/old is globex's current deployment
				t.Fatalf("dry run: %+v", dry)
			}
			if got := e.listed(t, "acme"); !slices.Equal(got, []string{"cur", "old", "prev"}) {
				t.Fatalf("after the dry run the store holds %v", got)
			}
			if got := e.evidenceTypes(t, "acme"); !slices.Equal(got, before) {
				t.Fatalf("the dry run recorded evidence: %v", got)
			}

			rep := e.sweep(t, after, false)
			old := outcome(rep, "old")
			if old.Outcome != retention.Removed || old.EvidenceID == "" || old.RetainUntil == nil || !old.RetainUntil.Equal(until) {
				t.Fatalf("sweep the day after: old %+v", old)
			}
			for _, dep := range []string{"prev", "cur"} {
				it := outcome(rep, dep)
				if it.Outcome != retention.Kept || !strings.Contains(it.Reason, "deployment of") {
					t.Errorf("%s: %+v, want kept as current/previous", dep, it)
				}
			}
			if !strings.Contains(outcome(rep, "cur").Reason, "current") || !strings.Contains(outcome(rep, "prev").Reason, "previous") {
				t.Errorf("reasons: cur %q, prev %q", outcome(rep, "cur").Reason, outcome(rep, "prev").Reason)
			}
			if got := e.listed(t, "acme"); !slices.Equal(got, []string{"cur", "prev"}) {
				t.Fatalf("after the sweep the store holds %v", got)
			}
			types := e.evidenceTypes(t, "acme")
			if want := append(slices.Clone(before), evidence.TypeSetRemoved); !slices.Equal(types, want) {
				t.Fatalf("evidence %v, want %v", types, want)
			}
			// The packet says what, when and why.
			err := e.db.View(ctx, "acme", func(tx meta.Tx) error {
				ev, err := tx.Evidence(ctx, old.EvidenceID)
				if err != nil {
					return err
				}
				p, err := evidence.Parse(ev.Packet)
				if err != nil {
					return err
				}
				r := p.Content.Retention
				if ev.DeploymentID != "old" || r == nil || r.Action != "remove" || r.Set != "acme/old" || r.RetainUntil != b.until ||
					!p.GeneratedAt.Equal(after) || len(p.Content.Execution.Artifacts) == 0 || len(p.Content.Decision.Reasons) != 3 {
					return fmt.Errorf("set_removed packet: %s", ev.Packet)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The record of the deployment stays; the next sweep has nothing more to do.
			if err := e.db.View(ctx, "acme", func(tx meta.Tx) error { _, err := tx.Deployment(ctx, "old"); return err }); err != nil {
				t.Errorf("the deployment's record is gone: %v", err)
			}
			again := e.sweep(t, after.AddDate(0, 1, 0), false)
			if it := outcome(again, "old"); again.Removed != 0 || len(again.Items) != 3 || it.Tenant != "globex" || !strings.Contains(it.Reason, "current deployment") {
				t.Errorf("second sweep: %+v", again)
			}
		})
	}
}

// A legal hold keeps a set however old it is; its release lets the next sweep remove it. Hold, release
// and removal are evidence, in chain order.
func TestHold(t *testing.T) {
	e := newEnv(t, nil, nil)
	created := day("2026-01-10T14:30:00Z")
	e.deploy(t, "acme", "old", "development", created, nil)
	e.deploy(t, "acme", "prev", "development", created.Add(time.Hour), nil)
	e.deploy(t, "acme", "cur", "development", created.Add(2*time.Hour), nil)
	e.deploy(t, "globex", "g1", "development", created, nil)
	ref := store.Ref{Tenant: "acme", Deployment: "old"}
	o := e.opts(created.AddDate(0, 0, 10), false)
	o.Actor = "legal@example.com"
	h, err := retention.Hold(ctx, o, ref, "litigation 2026-17")
	if err != nil {
		t.Fatal(err)
	}
	if h.EvidenceID == "" || h.Action != "hold" || h.By != "legal@example.com" {
		t.Fatalf("hold: %+v", h)
	}
	if _, err := retention.Hold(ctx, o, ref, "again"); !fault.Is(err, fault.Exists) {
		t.Errorf("second hold: %v, want Exists", err)
	}
	if _, err := retention.Hold(ctx, o, store.Ref{Tenant: "globex", Deployment: "old"}, "x"); !fault.Is(err, fault.NotFound) {
		t.Errorf("hold of acme's deployment id in globex: %v, want NotFound", err)
	}
	if _, err := retention.Release(ctx, o, store.Ref{Tenant: "globex", Deployment: "g1"}, "x"); !fault.Is(err, fault.NotFound) {
		t.Errorf("release without a hold: %v, want NotFound", err)
	}
	if _, err := retention.Hold(ctx, o, ref, "  "); !fault.Is(err, fault.Input) {
		t.Errorf("hold without a reason: %v, want Input", err)
	}

	later := created.AddDate(1, 0, 0)
	rep := e.sweep(t, later, false)
	if it := outcome(rep, "old"); it.Outcome != retention.Kept || !strings.Contains(it.Reason, "legal hold") || !strings.Contains(it.Reason, "litigation 2026-17") {
		t.Fatalf("held set: %+v", it)
	}
	if it := outcome(rep, "g1"); it.Outcome != retention.Kept { // globex's only deployment is current
		t.Fatalf("globex/g1: %+v", it)
	}

	o.Now = func() time.Time { return later.Add(time.Hour) }
	o.EvidenceClock = o.Now
	r, err := retention.Release(ctx, o, ref, "case closed")
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != "release" {
		t.Fatalf("release: %+v", r)
	}
	rep = e.sweep(t, later.Add(2*time.Hour), false)
	if it := outcome(rep, "old"); it.Outcome != retention.Removed {
		t.Fatalf("after the release: %+v", it)
	}
	types := e.evidenceTypes(t, "acme")
	if n := len(types); n < 3 || !slices.Equal(types[n-3:], []string{evidence.TypeRetentionHold, evidence.TypeRetentionRelease, evidence.TypeSetRemoved}) {
		t.Fatalf("evidence %v", types)
	}
	// The release names the hold it ends.
	err = e.db.View(ctx, "acme", func(tx meta.Tx) error {
		ev, err := tx.Evidence(ctx, r.EvidenceID)
		if err != nil {
			return err
		}
		p, _ := evidence.Parse(ev.Packet)
		if p.Content.Retention == nil || p.Content.Retention.HoldEvidenceID != h.EvidenceID || p.Content.Retention.Reason != "case closed" {
			return fmt.Errorf("release packet %s", ev.Packet)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A set that the database does not record, or whose manifest is not the recorded one, is kept.
func TestUnjudgedSetsKept(t *testing.T) {
	e := newEnv(t, nil, nil)
	created := day("2026-01-10T14:30:00Z")
	for _, d := range []string{"a", "b", "c", "d"} {
		e.deploy(t, "acme", d, "development", created, nil)
	}
	// A set stored but never recorded (a crash between store and record).
	res, err := generate.Generate(ctx, generate.Request{Inputs: e.inputs, TenantID: "acme", DeploymentID: "stray", Signer: e.signer, Now: created})
	if err != nil {
		t.Fatal(err)
	}
	var files []store.File
	for _, f := range res.Files {
		files = append(files, store.File{Name: f.Name, Data: f.Data})
	}
	if err := e.store.Create(ctx, store.Ref{Tenant: "acme", Deployment: "stray"}, files); err != nil {
		t.Fatal(err)
	}
	rep := e.sweep(t, created.AddDate(1, 0, 0), false)
	if it := outcome(rep, "stray"); it.Outcome != retention.Kept || !strings.Contains(it.Reason, "not recorded") {
		t.Errorf("unrecorded set: %+v", it)
	}
	for _, d := range []string{"a", "b"} {
		if it := outcome(rep, d); it.Outcome != retention.Removed {
			t.Errorf("%s: %+v", d, it)
		}
	}
	if got := e.listed(t, "acme"); !slices.Equal(got, []string{"c", "d", "stray"}) {
		t.Errorf("store holds %v", got)
	}
}

// Without a key a sweep cannot record removals and refuses to run; a dry run needs none.
func TestSweepNeedsKey(t *testing.T) {
	e := newEnv(t, nil, nil)
	o := e.opts(time.Now(), false)
	o.Signer = nil
	if _, err := retention.Sweep(ctx, o); err == nil {
		t.Fatal("sweep without a signer ran")
	}
	o.DryRun = true
	if _, err := retention.Sweep(ctx, o); err != nil {
		t.Fatal(err)
	}
	o.Tenants = []string{"../x"}
	if _, err := retention.Sweep(ctx, o); !fault.Is(err, fault.Input) {
		t.Fatalf("bad tenant: %v", err)
	}
	if _, err := retention.ParseRef("acme"); !fault.Is(err, fault.Input) {
		t.Fatalf("ParseRef without '/': %v", err)
	}
	if r, err := retention.ParseRef("acme/d-1"); err != nil || r.Tenant != "acme" || r.Deployment != "d-1" {
		t.Fatalf("ParseRef: %v %v", r, err)
	}
}

// The scheduled sweep runs on the replica that holds the lease; another replica skips its tick, and
// takes over once the holder's lease has expired.
func TestScheduledSweepOneReplica(t *testing.T) {
	e := newEnv(t, nil, nil)
	created := day("2026-01-10T14:30:00Z")
	for _, d := range []string{"a", "b", "c"} {
		e.deploy(t, "acme", d, "development", created, nil)
	}
	o := e.opts(created.AddDate(0, 2, 0), false)
	every := 500 * time.Millisecond // the lease runs on the real clock; a sweep under -race takes ~100ms
	if !retention.ScheduledSweep(ctx, o, every, "replica-1", nil) {
		t.Fatal("replica-1 did not sweep")
	}
	if got := e.listed(t, "acme"); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("after replica-1's sweep: %v", got)
	}
	if retention.ScheduledSweep(ctx, o, every, "replica-2", nil) {
		t.Fatal("replica-2 swept while replica-1 holds the lease")
	}
	if !retention.ScheduledSweep(ctx, o, every, "replica-1", nil) {
		t.Fatal("replica-1 could not renew its lease")
	}
	time.Sleep(2*every + 50*time.Millisecond)
	if !retention.ScheduledSweep(ctx, o, every, "replica-2", nil) {
		t.Fatal("replica-2 did not take over the expired lease")
	}
	// Schedule stops with its context.
	c, cancel := context.WithTimeout(ctx, 3*every)
	defer cancel()
	done := make(chan struct{})
	go func() { retention.Schedule(c, o, every, "replica-2", nil); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Schedule did not stop with its context")
	}
}

// Without a key the sweep signs with the key that signed the tenant's newest packet.
func TestSweepKeyOfTheTenant(t *testing.T) {
	e := newEnv(t, nil, nil)
	created := day("2026-01-10T14:30:00Z")
	for _, d := range []string{"a", "b", "c"} {
		e.deploy(t, "acme", d, "development", created, nil)
	}
	o := e.opts(created.AddDate(0, 2, 0), false)
	o.Signer = nil
	var asked []string
	o.KeyFor = func(ref string) (*sign.Signer, error) {
		asked = append(asked, ref)
		return e.kr.Signer(ref)
	}
	rep, err := retention.Sweep(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 1 || !slices.Equal(asked, []string{"stella/signing/retention"}) {
		t.Fatalf("removed %d, keys asked %v", rep.Removed, asked)
	}
	e.evidenceTypes(t, "acme") // verifies
}

// holdingStore puts a legal hold on a set the first time the sweep opens it: after the sweep has read
// the holds, before it removes the set.
type holdingStore struct {
	store.Store
	hold func(store.Ref)
	done bool
}

func (h *holdingStore) Open(c context.Context, ref store.Ref) (fs.FS, error) {
	if !h.done {
		h.done = true
		h.hold(ref)
	}
	return h.Store.Open(c, ref)
}

// A hold put while a sweep runs (after it read the holds) keeps the set: the removal reads the hold
// again under the chain head's lock.
func TestHoldDuringSweep(t *testing.T) {
	e := newEnv(t, nil, nil)
	created := day("2026-01-10T14:30:00Z")
	for _, d := range []string{"a", "b", "c"} {
		e.deploy(t, "acme", d, "development", created, nil)
	}
	now := created.AddDate(0, 2, 0)
	hs := &holdingStore{Store: e.store, hold: func(ref store.Ref) {
		if _, err := retention.Hold(ctx, e.opts(now, false), ref, "late hold"); err != nil {
			t.Fatal(err)
		}
	}}
	o := e.opts(now, false)
	o.Store = hs
	rep, err := retention.Sweep(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if it := outcome(rep, "a"); it.Outcome != retention.Kept || !strings.Contains(it.Reason, "late hold") || rep.Removed != 0 {
		t.Fatalf("set held during the sweep: %+v (removed %d)", it, rep.Removed)
	}
	if got := e.listed(t, "acme"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("store holds %v", got)
	}
	if types := e.evidenceTypes(t, "acme"); types[len(types)-1] != evidence.TypeRetentionHold {
		t.Fatalf("evidence %v", types)
	}
}

// failingDelete removes the set and then fails, as a store whose clean-up after the visible removal
// fails (a temp dir that cannot be removed, S3 objects left): the removal is still evidence.
type failingDelete struct{ store.Store }

func (f failingDelete) Delete(c context.Context, ref store.Ref) error {
	if err := f.Store.Delete(c, ref); err != nil {
		return err
	}
	return errors.New("clean-up failed")
}

// refusingDelete fails without removing anything: nothing is recorded and the sweep says why.
type refusingDelete struct{ store.Store }

func (f refusingDelete) Delete(context.Context, store.Ref) error { return errors.New("disk on fire") }

func TestRemovalFailures(t *testing.T) {
	e := newEnv(t, nil, nil)
	created := day("2026-01-10T14:30:00Z")
	for _, d := range []string{"a", "b", "c", "d"} {
		e.deploy(t, "acme", d, "development", created, nil)
	}
	before := e.evidenceTypes(t, "acme")
	o := e.opts(created.AddDate(0, 2, 0), false)
	o.Store = refusingDelete{e.store}
	if _, err := retention.Sweep(ctx, o); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("sweep with a failing store: %v", err)
	}
	if got := e.evidenceTypes(t, "acme"); !slices.Equal(got, before) {
		t.Fatalf("a failed removal was recorded: %v", got)
	}
	if got := e.listed(t, "acme"); len(got) != 4 {
		t.Fatalf("store holds %v", got)
	}
	o.Store = failingDelete{e.store}
	rep, err := retention.Sweep(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if it := outcome(rep, "a"); it.Outcome != retention.Removed || !strings.Contains(it.Reason, "clean-up failed") || rep.Removed != 2 {
		t.Fatalf("a: %+v (removed %d)", it, rep.Removed)
	}
	if got := e.evidenceTypes(t, "acme"); len(got) != len(before)+2 {
		t.Fatalf("evidence %v", got)
	}
}
