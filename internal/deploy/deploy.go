// Package deploy is the one pipeline behind every front door that creates a deployment (the command line
// today, the HTTP API next): check the promotion, precheck the records, generate the set, store it,
// record it with its evidence — and, when the deployment id is already stored, adopt the stored set by
// one rule.
//
// The rule: what is recorded is derived from the stored set itself (record.Record reads its signed
// manifest and sticker), never from the caller's inputs. A caller whose set lands in the store wins and
// succeeds; every other caller of the same id gets "already exists" (exit 1) — naming what differs
// when its inputs differ from the stored set's — after recording the stored set if nobody had. So a race
// of identical calls leaves exactly one success, or (when the winner died after storing) an "already
// exists" that is true, and no packet can disagree with the set it vouches for.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/record"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

// Service creates deployments. Its fields are set once; Create may be called concurrently.
type Service struct {
	// DB returns the metadata database (it may still be opening when Create starts: Create asks for it
	// while it generates).
	DB func(ctx context.Context) (meta.DB, error)
	// Store is the artifact store; Locate says where a set of it is, for messages (nil: the ref).
	Store  store.Store
	Locate func(store.Ref) string
	// Trust are the keys a stored set found under the requested id must verify with before it is
	// adopted (recorded with evidence signed by this service's key).
	Trust verify.Keys
	// Now is the real clock (default time.Now): database rows, evidence and the retention of what is
	// stored. The artifacts' own time is the request's Generate.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Request is one deployment to create.
type Request struct {
	// Generate is the generation: inputs, tenant, deployment id, signer, artifact time, resolver…
	// Its Promotion and PromotionID are set by Create from Promotion.
	Generate generate.Request
	// Promotion is the approved promotion the deployment carries out; required when the environment
	// requires one (tier production by default).
	Promotion *evidence.Promotion
	// Rollback makes the deployment a rollback to an earlier deployment's exact digests: it needs no
	// promotion (what it returns to was approved when it was deployed) and its evidence is a rollback
	// packet naming who asked.
	Rollback *manifest.Rollback
}

// Result is a created deployment.
type Result struct {
	Set      *generate.Result
	Record   record.Result
	Location string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) location(ref store.Ref) string {
	if s.Locate != nil {
		return s.Locate(ref)
	}
	return ref.String()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// CheckPromotion applies the environment's promotion rule to a request: a promotion is required where
// the environment says so (tier production unless requirePromotion: false), must be allowed, and must
// name this release and this environment.
func CheckPromotion(in *generate.Inputs, p *evidence.Promotion) error {
	env := in.Environment
	if p == nil {
		if env.PromotionRequired() {
			return fault.Inputf("--promotion: environment %s (tier %s) requires an approved promotion; give its promotion file, or set requirePromotion: false in %s", env.ID, env.Tier, env.File)
		}
		return nil
	}
	if p.Decision != "allow" {
		return fault.Inputf("%s: decision: %s; only an allowed promotion is deployed", p.File, p.Decision)
	}
	return p.Binds(in.Release.ID, env.ID)
}

// Create generates, stores and records one deployment (see the package comment for the rule when the
// id is already stored).
func (s *Service) Create(ctx context.Context, req Request) (*Result, error) {
	g := req.Generate
	in := g.Inputs
	ref := store.Ref{Tenant: g.TenantID, Deployment: g.DeploymentID}
	if err := store.CheckName("--tenant", ref.Tenant); err != nil {
		return nil, err
	}
	if err := store.CheckName("--deployment-id", ref.Deployment); err != nil {
		return nil, err
	}
	if req.Rollback == nil {
		if err := CheckPromotion(in, req.Promotion); err != nil {
			return nil, err
		}
	}
	g.Promotion, g.Rollback = req.Promotion, req.Rollback
	if req.Promotion != nil {
		g.PromotionID = req.Promotion.ID
	}
	// The records are checked (while the set is generated) before anything is stored: an unreachable
	// database, a recorded deployment id, a changed release or a used promotion leave nothing behind.
	type prechecked struct {
		db  meta.DB
		err error
	}
	ready := make(chan prechecked, 1)
	go func() {
		db, err := s.DB(ctx)
		if err == nil {
			err = record.Precheck(ctx, db, ref.Tenant, ref.Deployment, in.Release, g.PromotionID)
		}
		if err == nil && req.Rollback == nil {
			err = record.Blocked(ctx, db, ref.Tenant, in.Environment.ID, in.Release.ID)
		}
		ready <- prechecked{db, err}
	}()
	set, genErr := generate.Generate(ctx, g)
	pc := <-ready
	if pc.err != nil {
		if fault.Is(pc.err, fault.Exists) && set != nil {
			return nil, s.existsError(ref, set.Manifest, s.storedManifest(ctx, ref), "")
		}
		return nil, pc.err
	}
	if genErr != nil {
		return nil, genErr
	}
	db := pc.db
	retainUntil, err := s.retention(set.Manifest)
	if err != nil {
		return nil, err
	}
	files := make([]store.File, len(set.Files))
	recFiles := make([]record.File, len(set.Files))
	for i, f := range set.Files {
		files[i] = store.File{Name: f.Name, Data: f.Data}
		recFiles[i] = record.File{Name: f.Name, Data: f.Data}
		if f.Streamed() {
			// A large extra artifact: copied into the store through one buffer and stored only if it
			// still has the bytes the manifest lists.
			files[i] = store.File{Name: f.Name, Open: f.Open, Size: f.Size, SHA256: f.SHA256}
			recFiles[i] = record.File{Name: f.Name, Size: f.Size, SHA256: f.SHA256}
		}
	}
	// The set is stored while its records are written; the records commit only once the set is stored
	// (BeforeCommit), so the database never names a set the store does not have.
	stored := make(chan error, 1)
	go func() { stored <- store.CreateRetained(ctx, s.Store, ref, files, retainUntil) }()
	var storeErr error
	storeDone := false
	waitStored := func() error {
		if !storeDone {
			storeErr, storeDone = <-stored, true
		}
		return storeErr
	}
	rec, recErr := record.Record(ctx, db, record.Deployment{
		TenantID: ref.Tenant, DeploymentID: ref.Deployment, StoreKey: ref.String(),
		Files: recFiles, Clock: s.now, Signer: g.Signer, BeforeCommit: waitStored,
	})
	loc := s.location(ref)
	if serr := waitStored(); serr != nil {
		if !errors.Is(serr, store.ErrExist) {
			return nil, serr
		}
		// Another generation stored this id first (or stored it and died before recording).
		return nil, s.adopt(ctx, db, ref, set.Manifest, g)
	}
	if recErr != nil {
		if fault.Is(recErr, fault.Exists) {
			// This set was stored by this call, and recorded meanwhile by a caller that found it stored:
			// the records describe exactly these bytes, so the deployment is this call's.
			if r, same, err := record.Recorded(ctx, db, ref.Tenant, ref.Deployment, recFiles); err == nil && same {
				return &Result{Set: set, Record: r, Location: loc}, nil
			}
		}
		return nil, fmt.Errorf("record deployment %s (its set is stored at %s; stella fsck reports it until it is recorded, which the same command run again does): %w", ref, loc, recErr)
	}
	return &Result{Set: set, Record: rec, Location: loc}, nil
}

// retention is when the stored objects' retention ends: the tier's retention counted in calendar units
// from the real time, or the manifest's retainUntil (counted from the artifacts' time) if that is later.
// The artifacts' time (--now) may be fixed in the past for reproducible bytes; it never shortens how long
// the set is kept.
func (s *Service) retention(m *manifest.Manifest) (time.Time, error) {
	until, err := time.Parse(time.RFC3339, m.RetainUntil)
	if err != nil {
		return time.Time{}, fmt.Errorf("deployment %s/%s: manifest retainUntil: %w", m.TenantID, m.DeploymentID, err)
	}
	// Without --now the two are the same moment give or take the generation's own time: the lock then
	// matches the manifest to the second.
	env := &release.Environment{Tier: m.Environment.Tier}
	if m.Subject != nil && m.Subject.Environment != nil {
		env = m.Subject.Environment // its retention override, if any
	}
	if real := env.RetainUntil(s.now()); real.Sub(until) > time.Minute {
		until = real
	}
	return until, nil
}

// adopt handles a deployment id that another generation stored: it verifies the stored set, records it
// (from its own files) if nobody has, and returns the "already exists" error the caller gets.
func (s *Service) adopt(ctx context.Context, db meta.DB, ref store.Ref, mine *manifest.Manifest, g generate.Request) error {
	files, fsys, err := readStored(ctx, s.Store, ref)
	if err != nil {
		return fmt.Errorf("deployment %s is stored but cannot be read to record it: %w", ref, err)
	}
	// The stored lock is loaded unless generation's memo knows its bytes; adopting only reads the memo.
	res, err := verify.SetAtWith(fsys, s.Trust, ref.Tenant, ref.Deployment, verify.Options{LoadCache: g.LoadCache})
	if err != nil {
		return err
	}
	// A large file was not read into memory: it is recorded with the size and SHA-256 that verify found
	// as it streamed it.
	for i, f := range files {
		if f.Data != nil || f.SHA256 != "" {
			continue
		}
		j := slices.IndexFunc(res.Files, func(r verify.FileResult) bool { return r.Name == f.Name })
		if j < 0 {
			return fmt.Errorf("deployment %s: %s was not verified", ref, f.Name)
		}
		files[i].Size, files[i].SHA256 = res.Files[j].Size, res.Files[j].SHA256
	}
	if !res.Valid {
		probs := make([]string, 0, len(res.Problems))
		for _, p := range res.Problems {
			probs = append(probs, p.String())
		}
		return fault.Wrap(fault.Verification, fmt.Errorf("deployment %s is stored at %s but does not verify, so it is not recorded: %s", ref, s.location(ref), strings.Join(probs, "; ")))
	}
	_, err = record.Record(ctx, db, record.Deployment{
		TenantID: ref.Tenant, DeploymentID: ref.Deployment, StoreKey: ref.String(), Files: files, Clock: s.now, Signer: g.Signer,
	})
	recorded := ""
	switch {
	case err == nil:
		recorded = "; it had not been recorded and now is, from the stored set itself"
		s.log().Warn("deployment was stored but not recorded; recorded the stored set", "deployment", ref.String(), "location", s.location(ref))
	case fault.Is(err, fault.Exists):
	default:
		return fmt.Errorf("record the stored deployment %s: %w", ref, err)
	}
	stored, _ := manifestOf(fsys)
	return s.existsError(ref, mine, stored, recorded)
}

// existsError is the "already exists" error for a caller whose generated manifest is mine, naming what
// differs from the stored set's manifest (nil when it could not be read).
func (s *Service) existsError(ref store.Ref, mine, stored *manifest.Manifest, recorded string) error {
	where := s.location(ref)
	if stored == nil {
		// Not read: nothing can be said about its inputs.
		return fault.Existsf("deployment %s already exists (stored at %s%s)", ref, where, recorded)
	}
	if diffs := manifest.Differences(mine, stored); len(diffs) > 0 {
		return fault.Existsf("deployment %s already exists (stored at %s%s) with other inputs than these: %s", ref, where, recorded, strings.Join(diffs, "; "))
	}
	return fault.Existsf("deployment %s already exists (stored at %s, from the same inputs%s)", ref, where, recorded)
}

// storedManifest is the manifest of the stored set, or nil when it cannot be read.
func (s *Service) storedManifest(ctx context.Context, ref store.Ref) *manifest.Manifest {
	fsys, err := s.Store.Open(ctx, ref)
	if err != nil {
		return nil
	}
	m, _ := manifestOf(fsys)
	return m
}

func manifestOf(fsys fs.FS) (*manifest.Manifest, error) {
	raw, err := fs.ReadFile(fsys, manifest.FileName)
	if err != nil {
		return nil, err
	}
	return manifest.Parse(raw)
}

// readStored reads the files of a stored set into memory once, refusing anything but regular files, and
// returns them with the fs.FS to verify them in: the files read, from memory (so that what is recorded is
// what was verified), and any other file over maxInMemory, from the store itself, streamed by verify.
// Such a large file comes back without Data or sums: adopt records it with verify's.
func readStored(ctx context.Context, st store.Store, ref store.Ref) ([]record.File, fs.FS, error) {
	fsys, err := st.Open(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	var files []record.File
	set := &storedFS{mem: fstest.MapFS{}, store: fsys, ents: ents, large: map[string]bool{}}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			return nil, nil, fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: %s is not a regular file", ref, e.Name()))
		}
		if fi, err := e.Info(); err == nil && fi.Size() > maxInMemory && path.Ext(e.Name()) != ".json" {
			files = append(files, record.File{Name: e.Name()})
			set.large[e.Name()] = true
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, nil, err
		}
		files = append(files, record.File{Name: e.Name(), Data: b})
		set.mem[e.Name()] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	return files, set, nil
}

// maxInMemory is the largest stored file (other than the signed JSON documents record parses) that
// adopt reads into memory.
const maxInMemory = 1 << 20

// storedFS is a stored set for verify: its listing as the store gave it, the files read into memory
// from memory, the large ones from the store.
type storedFS struct {
	mem   fstest.MapFS
	store fs.FS
	ents  []fs.DirEntry
	large map[string]bool
}

func (s *storedFS) Open(name string) (fs.File, error) {
	if s.large[name] {
		return s.store.Open(name)
	}
	return s.mem.Open(name)
}

func (s *storedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "." {
		return s.ents, nil
	}
	return fs.ReadDir(s.mem, name)
}
