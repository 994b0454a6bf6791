// Package fsck checks everything Stella keeps, for operators: every stored artifact set of every tenant
// (internal/verify), every tenant's evidence chain (internal/evidence), that the artifact store and the
// metadata database agree (a set stored but not recorded, a recorded deployment whose set is gone, a
// recorded file whose digest differs from the stored one), and the database file itself (SQLite's
// PRAGMA quick_check, which ordinary opens skip for speed). It reports leftovers of interrupted creates
// as warnings and, when asked, removes them; it never changes a set or a record. Sets past their
// retention are warnings; a store lock (S3 Object Lock) shorter than the manifest's retainUntil is a
// problem; a recorded deployment whose set the retention sweep removed (its set_removed packet) is not.
package fsck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

// Options say what to check and with which keys.
type Options struct {
	Store store.Store
	// DB is the metadata database; nil when there is none (then only the store is checked).
	DB meta.DB
	// DBName names the database in messages (a URL with the password hidden).
	DBName string
	// SetKeys verify the sets; EvidenceKeys the evidence packets.
	SetKeys      verify.Keys
	EvidenceKeys evidence.Keys
	// LoadCache, when set, is the memo of locks compose-go loads (verify.Options); fsck only reads it.
	LoadCache verify.LoadMemo
	// Repair removes leftovers of interrupted creates that are at least MinLeftoverAge old (younger
	// ones may belong to a create that is still running).
	Repair         bool
	MinLeftoverAge time.Duration
	// Now is the clock for leftover ages (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
}

// Report is what fsck found; it prints as JSON.
type Report struct {
	Clean    bool                   `json:"clean"`
	Tenants  []string               `json:"tenants"`
	Sets     []SetReport            `json:"sets"`
	Chains   []evidence.ChainReport `json:"chains"`
	Database *DatabaseReport        `json:"database"`
	Problems []Problem              `json:"problems"`
	Warnings []Problem              `json:"warnings"`
	Repaired []store.Leftover       `json:"repaired"`
}

// SetReport is one stored set.
type SetReport struct {
	Tenant     string `json:"tenant"`
	Deployment string `json:"deployment"`
	Valid      bool   `json:"valid"`
	// Recorded is whether the metadata database records the deployment (false without a database).
	Recorded bool `json:"recorded"`
	Files    int  `json:"files"`
	// RetainUntil is the manifest's; PastRetention says it has passed (stella retention sweep may
	// remove the set); LockedUntil is the store's own lock where it has one (S3 Object Lock).
	RetainUntil   string `json:"retainUntil,omitempty"`
	PastRetention bool   `json:"pastRetention,omitempty"`
	LockedUntil   string `json:"lockedUntil,omitempty"`
}

// DatabaseReport is the metadata database's part.
type DatabaseReport struct {
	Name        string `json:"name"`
	Engine      string `json:"engine"`
	Deployments int    `json:"deployments"`
	// Removed is how many recorded deployments' sets the retention sweep removed (each with its
	// set_removed packet): their absence from the store is not a problem.
	Removed int `json:"removed"`
	// IntegrityCheck is "ok", "damaged", or "unsupported" (an engine without a file check).
	IntegrityCheck string `json:"integrityCheck"`
}

// Problem is one finding. Subject is TENANT/DEPLOYMENT for a set or a deployment, TENANT for an evidence
// chain, "database NAME" for the database file, "store" for the store.
type Problem struct {
	Subject    string `json:"subject"`
	Tenant     string `json:"tenant,omitempty"`
	Deployment string `json:"deployment,omitempty"`
	// Object is the file of the set, the evidence packet, or what else the problem is about.
	Object   string `json:"object,omitempty"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
}

// String is the problem on one line: "SUBJECT: OBJECT: message (expected …, found …)".
func (p Problem) String() string { return p.fault().String() }

func (p Problem) fault() fault.Problem {
	f := p.Subject
	if p.Object != "" {
		f += ": " + p.Object
	}
	return fault.Problem{File: f, Message: p.Message, Expected: p.Expected, Found: p.Found}
}

// Err is nil for a clean report, else a *fault.Problems (exit 3) with one line per problem.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	ps := make([]fault.Problem, len(r.Problems))
	for i, p := range r.Problems {
		ps[i] = p.fault()
	}
	return &fault.Problems{List: ps}
}

// Summary is the report in one line.
func (r *Report) Summary() string {
	packets := 0
	for _, c := range r.Chains {
		packets += c.Packets
	}
	db := "no metadata database"
	if r.Database != nil {
		db = fmt.Sprintf("database %s (%d deployments, integrity check %s)", r.Database.Engine, r.Database.Deployments, r.Database.IntegrityCheck)
	}
	state := "clean"
	if !r.Clean {
		state = fmt.Sprintf("%d problems", len(r.Problems))
	}
	s := fmt.Sprintf("%s: %d sets of %d tenants, %d evidence packets, %s", state, len(r.Sets), len(r.Tenants), packets, db)
	if len(r.Warnings) > 0 {
		s += fmt.Sprintf("; %d warnings", len(r.Warnings))
	}
	if len(r.Repaired) > 0 {
		s += fmt.Sprintf("; %d leftovers removed", len(r.Repaired))
	}
	return s
}

func ref(tenant, dep string) string { return tenant + "/" + dep }

// Run checks everything. The error is for failures to check at all (a store that cannot be listed, a
// database that cannot be read); what is found damaged is in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	r := &Report{Tenants: []string{}, Sets: []SetReport{}, Chains: []evidence.ChainReport{}, Problems: []Problem{}, Warnings: []Problem{}, Repaired: []store.Leftover{}}

	tenants := map[string]bool{}
	if tl, ok := o.Store.(store.TenantLister); ok {
		ts, err := tl.Tenants(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			tenants[t] = true
		}
	} else {
		r.Warnings = append(r.Warnings, Problem{Subject: "store", Message: "the store cannot list its tenants: only the tenants of the metadata database are checked"})
	}
	var dbTenants []string
	if o.DB != nil {
		ts, err := o.DB.Tenants(ctx)
		if err != nil {
			return nil, err
		}
		dbTenants = ts
		for _, t := range ts {
			tenants[t] = true
		}
	}
	for t := range tenants {
		r.Tenants = append(r.Tenants, t)
	}
	slices.Sort(r.Tenants)

	// Every stored set, verified in parallel.
	var refs []store.Ref
	for _, t := range r.Tenants {
		rs, err := o.Store.List(ctx, t)
		if err != nil {
			return nil, err
		}
		refs = append(refs, rs...)
	}
	// The evidence chains are walked meanwhile (signature checks either way: the CPU is the limit).
	type chainResult struct {
		reps []evidence.ChainReport
		err  error
	}
	chains := make(chan chainResult, 1)
	go func() {
		var cr chainResult
		for _, t := range dbTenants {
			rep, err := evidence.VerifyChain(ctx, o.DB, t, o.EvidenceKeys)
			if err != nil {
				cr.err = fmt.Errorf("fsck evidence of %s: %w", t, err)
				break
			}
			cr.reps = append(cr.reps, rep)
		}
		chains <- cr
	}()
	sets := verifyAll(ctx, o, refs)
	cr := <-chains
	if cr.err != nil {
		return nil, cr.err
	}
	for _, rep := range cr.reps {
		t := rep.Tenant
		for _, p := range rep.Problems {
			obj := strings.Replace(p.File, "evidence "+t+"/", "evidence ", 1)
			obj = strings.Replace(obj, "evidence chain of tenant "+t, "evidence chain", 1)
			r.Problems = append(r.Problems, Problem{Subject: t, Tenant: t, Object: obj, Message: p.Message, Expected: p.Expected, Found: p.Found})
		}
		rep.Problems = nil // listed in the report's problems
		r.Chains = append(r.Chains, rep)
	}
	stored := map[string]*setResult{}
	for _, s := range sets {
		stored[ref(s.ref.Tenant, s.ref.Deployment)] = s
	}

	if o.DB != nil {
		if err := checkDatabase(ctx, o, r, dbTenants, stored); err != nil {
			return nil, err
		}
	}

	for _, s := range sets {
		r.Sets = append(r.Sets, s.report)
		r.Problems = append(r.Problems, s.problems...)
		r.Warnings = append(r.Warnings, s.warnings...)
	}
	if err := leftovers(ctx, o, r); err != nil {
		return nil, err
	}
	// Sets first (by tenant and deployment), then the rest, each in the order found.
	slices.SortStableFunc(r.Problems, func(a, b Problem) int { return strings.Compare(a.Subject, b.Subject) })
	r.Clean = len(r.Problems) == 0
	return r, nil
}

type setResult struct {
	ref      store.Ref
	report   SetReport
	problems []Problem
	warnings []Problem
	files    map[string]verify.FileResult
}

func verifyAll(ctx context.Context, o Options, refs []store.Ref) []*setResult {
	out := make([]*setResult, len(refs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(refs), 1)) {
		wg.Go(func() {
			for i := range work {
				out[i] = verifySet(ctx, o, refs[i])
			}
		})
	}
	for i := range refs {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

func verifySet(ctx context.Context, o Options, rf store.Ref) *setResult {
	s := &setResult{ref: rf, report: SetReport{Tenant: rf.Tenant, Deployment: rf.Deployment}, files: map[string]verify.FileResult{}}
	add := func(object, msg, want, got string) {
		s.problems = append(s.problems, Problem{Subject: rf.String(), Tenant: rf.Tenant, Deployment: rf.Deployment, Object: object, Message: msg, Expected: want, Found: got})
	}
	fsys, err := o.Store.Open(ctx, rf)
	if err != nil {
		add("", "cannot open the set: "+err.Error(), "", "")
		return s
	}
	res, err := verify.SetAtWith(fsys, o.SetKeys, rf.Tenant, rf.Deployment, verify.Options{LoadCache: o.LoadCache})
	if err != nil {
		add("", "cannot read the set: "+err.Error(), "", "")
		return s
	}
	s.report.Valid, s.report.Files = res.Valid, len(res.Files)
	for _, f := range res.Files {
		s.files[f.Name] = f
	}
	for _, p := range res.Problems {
		add(p.File, p.Message, p.Expected, p.Found)
	}
	checkRetention(ctx, o, s, fsys, add)
	o.Log.Debug("set verified", "set", rf.String(), "valid", res.Valid, "files", len(res.Files))
	return s
}

// checkDatabase compares the records with the store and checks the database file.
func checkDatabase(ctx context.Context, o Options, r *Report, tenants []string, stored map[string]*setResult) error {
	d := &DatabaseReport{Name: o.DBName, Engine: o.DB.Engine()}
	r.Database = d
	dbProblem := func(msg string) {
		r.Problems = append(r.Problems, Problem{Subject: "database " + o.DBName, Message: msg})
	}
	d.IntegrityCheck = "unsupported"
	if ic, ok := o.DB.(meta.IntegrityChecker); ok {
		probs, err := ic.IntegrityCheck(ctx)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
		case err != nil:
			return err
		case len(probs) == 0:
			d.IntegrityCheck = "ok"
		default:
			d.IntegrityCheck = "damaged"
			for _, p := range probs {
				dbProblem("integrity check: " + p)
			}
		}
	}

	recorded := map[string]bool{}
	for _, t := range tenants {
		err := o.DB.View(ctx, t, func(tx meta.Tx) error {
			removed := map[string]string{} // deployment → its set_removed packet
			if err := tx.Chain(ctx, func(e meta.Evidence) error {
				if e.Type == evidence.TypeSetRemoved && e.DeploymentID != "" {
					removed[e.DeploymentID] = e.ID
				}
				return nil
			}); err != nil {
				return err
			}
			deps, err := tx.Deployments(ctx, 0)
			if err != nil {
				return err
			}
			d.Deployments += len(deps)
			for _, dep := range deps {
				key := dep.StoreKey
				if key == "" {
					key = ref(t, dep.ID)
				}
				recorded[key] = true
				add := func(object, msg, want, got string) {
					r.Problems = append(r.Problems, Problem{Subject: ref(t, dep.ID), Tenant: t, Deployment: dep.ID, Object: object, Message: msg, Expected: want, Found: got})
				}
				s, ok := stored[key]
				if !ok {
					if _, gone := removed[dep.ID]; gone {
						d.Removed++
						continue
					}
					add("", "recorded in the metadata database, but its set "+key+" is missing from the store", "", "")
					continue
				}
				if ev, gone := removed[dep.ID]; gone {
					add("", "the retention sweep recorded its removal (evidence "+ev+"), but the set is still stored", "", "")
				}
				s.report.Recorded = true
				arts, err := tx.Artifacts(ctx, dep.ID)
				if err != nil {
					return err
				}
				compareArtifacts(arts, s, add)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fsck %s: %w", t, err)
		}
	}
	for key, s := range stored {
		if !recorded[key] {
			s.problems = append(s.problems, Problem{Subject: key, Tenant: s.ref.Tenant, Deployment: s.ref.Deployment,
				Message: "stored but not recorded in the metadata database (running the same stella generate again records it)"})
		}
	}
	return nil
}

// compareArtifacts checks the recorded files of a deployment against the stored set: a set replaced by
// another one (which may verify on its own) differs here.
func compareArtifacts(arts []meta.Artifact, s *setResult, add func(object, msg, want, got string)) {
	if len(s.files) == 0 {
		return // the set could not be read; already a problem
	}
	seen := map[string]bool{}
	for _, a := range arts {
		seen[a.Name] = true
		f, ok := s.files[a.Name]
		switch {
		case !ok:
			add(a.Name, "recorded in the metadata database but not in the stored set", "", "")
		case f.SHA256 != a.SHA256:
			add(a.Name, "sha256 differs from the one recorded in the metadata database", a.SHA256, f.SHA256)
		}
	}
	if len(arts) == 0 {
		return // recorded without its files (an older record): nothing to compare
	}
	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !seen[n] {
			add(n, "in the stored set but not recorded in the metadata database", "", "")
		}
	}
}

// leftovers warns of what interrupted creates left and removes it with Repair.
func leftovers(ctx context.Context, o Options, r *Report) error {
	lc, ok := o.Store.(store.LeftoverCleaner)
	if !ok {
		return nil
	}
	ls, err := lc.Leftovers(ctx)
	if err != nil {
		return err
	}
	now := o.Now()
	for _, l := range ls {
		w := Problem{Subject: ref(l.Tenant, l.Name), Tenant: l.Tenant, Deployment: l.Deployment,
			Message: "leftover of an interrupted create (not a set); stella fsck --repair removes it"}
		switch {
		case !o.Repair:
		case now.Sub(l.ModTime) < o.MinLeftoverAge:
			w.Message = fmt.Sprintf("leftover of a create, younger than %s: it may still be running, so it is kept", o.MinLeftoverAge)
		default:
			if err := lc.RemoveLeftover(ctx, l); err != nil {
				return err
			}
			r.Repaired = append(r.Repaired, l)
			w.Message = "leftover of an interrupted create: removed"
		}
		r.Warnings = append(r.Warnings, w)
	}
	return nil
}

// checkRetention reads the set's retainUntil from its manifest: past it is a warning (the retention
// sweep may remove the set); a store lock (S3 Object Lock) that ends before it is a problem, since the
// set could then be deleted before its retention ends.
func checkRetention(ctx context.Context, o Options, s *setResult, fsys fs.FS, add func(object, msg, want, got string)) {
	raw, err := fs.ReadFile(fsys, manifest.FileName)
	if err != nil {
		return // already a problem of the set
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		return
	}
	until, err := time.Parse(time.RFC3339, m.RetainUntil)
	if err != nil {
		return // verify names a bad manifest
	}
	s.report.RetainUntil = until.UTC().Format(time.RFC3339)
	if o.Now().After(until) {
		s.report.PastRetention = true
		s.warnings = append(s.warnings, Problem{Subject: s.ref.String(), Tenant: s.ref.Tenant, Deployment: s.ref.Deployment,
			Message: "past its retention (retainUntil " + s.report.RetainUntil + "): stella retention sweep removes it unless it is held or in use"})
	}
	lr, ok := o.Store.(store.LockReader)
	if !ok {
		return
	}
	locked, err := lr.LockedUntil(ctx, s.ref)
	if err != nil {
		add("", "cannot read the store's lock: "+err.Error(), "", "")
		return
	}
	if !locked.IsZero() {
		s.report.LockedUntil = locked.UTC().Format(time.RFC3339)
	}
	// The lock is whole seconds; the manifest's time too.
	if locked.Before(until.Truncate(time.Second)) {
		found := "not locked"
		if !locked.IsZero() {
			found = "locked until " + s.report.LockedUntil
		}
		add("", "the store's lock (Object Lock) ends before the manifest's retainUntil: the set could be deleted before its retention ends",
			"locked until "+s.report.RetainUntil+" or later", found)
	}
}
