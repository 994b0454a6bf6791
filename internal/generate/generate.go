// Package generate is the artifact generation pipeline of the spec: load the release, environment and
// Compose template; pin every image (from the release, the template or a registry); render the lock file;
// build the version sticker(s); list every artifact in a signed manifest; checksum every file and sign
// the checksums. It is a pure function of its inputs, the signing key and the clock: it returns the files
// and leaves storing them to the caller.
package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/release"
	resolvepkg "github.com/stella-ops/stella/internal/resolve"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/version"
)

// File is one file of a generated set: its bytes in Data, or — an extra artifact given by path, which
// may be of any size — the file at Path, whose Size and SHA256 the manifest and checksums.sha256 list.
// Whoever stores such a file copies it from Path and must check it still has exactly those bytes
// (store.File does: deploy passes it on as a streamed file).
type File struct {
	Name string
	Data []byte

	Path   string
	Size   int64
	SHA256 string
}

// Streamed reports whether the file's bytes are at Path rather than in Data.
func (f File) Streamed() bool { return f.Path != "" }

// Sum is the file's size and lowercase hex SHA-256.
func (f File) Sum() (int64, string) {
	if f.Streamed() {
		return f.Size, f.SHA256
	}
	return int64(len(f.Data)), checksum.Sum(f.Data)
}

// Open reads the file's bytes (unchecked: see File).
func (f File) Open() (io.ReadCloser, error) {
	if f.Streamed() {
		return os.Open(f.Path)
	}
	return io.NopCloser(bytes.NewReader(f.Data)), nil
}

// Artifact is an extra file a later step adds to the set (a deployment script), with its manifest type:
// its bytes in Data, or the file at Path (a user's script of any size), never held in memory. For a Path
// with a SHA256, Size and SHA256 are the bytes the caller already read and checked (script.Build hashes
// what it parses); otherwise Generate hashes the file, streaming.
type Artifact struct {
	Name string
	Type string
	Data []byte

	Path   string
	Size   int64
	SHA256 string
}

// Inputs are the loaded input files.
type Inputs struct {
	Release      *release.Release
	Environment  *release.Environment
	TemplateFile string
	Template     []byte
	// Files records each input by content hash, for the manifest.
	Files []manifest.Input
	// parsed is Template parsed by Load, for the first Generate (rendering consumes a parsed template).
	parsed *lockfile.Template
	// fromFile: Template was read from TemplateFile, so the files it includes or extends may be read
	// (LoadBytes' templates read no other file).
	fromFile bool
	mu       sync.Mutex
}

// template returns the parsed template: Load's, once, else a new parse.
func (in *Inputs) template() (*lockfile.Template, error) {
	in.mu.Lock()
	tpl := in.parsed
	in.parsed = nil
	in.mu.Unlock()
	if tpl != nil {
		return tpl, nil
	}
	if in.fromFile {
		return lockfile.ParseFile(in.TemplateFile, in.Template)
	}
	return lockfile.Parse(in.TemplateFile, in.Template)
}

// Load reads release.yaml, environment.yaml and the Compose template the release names. The template is
// read and parsed while environment.yaml loads.
func Load(releaseFile, environmentFile string) (*Inputs, error) {
	relData, err := readInput("--release", releaseFile)
	if err != nil {
		return nil, err
	}
	rel, err := release.ParseRelease(releaseFile, relData)
	if err != nil {
		return nil, err
	}
	type parsed struct {
		data []byte
		tpl  *lockfile.Template
		err  error
	}
	tc := make(chan parsed, 1)
	go func() {
		data, err := readInput(fmt.Sprintf("%s: compose", releaseFile), rel.ComposePath)
		if err != nil {
			tc <- parsed{err: err}
			return
		}
		tpl, err := lockfile.ParseFile(rel.ComposePath, data)
		tc <- parsed{data, tpl, err}
	}()
	envData, err := readInput("--environment", environmentFile)
	var env *release.Environment
	if err == nil {
		env, err = release.ParseEnvironment(environmentFile, envData)
	}
	t := <-tc
	if err != nil {
		return nil, err
	}
	if t.err != nil {
		return nil, t.err
	}
	files := []manifest.Input{
		{Role: "release", Name: baseName(releaseFile), SHA256: checksum.Sum(relData)},
		{Role: "environment", Name: baseName(environmentFile), SHA256: checksum.Sum(envData)},
		{Role: "compose-template", Name: baseName(rel.ComposePath), SHA256: checksum.Sum(t.data)},
	}
	// Files the template includes or extends were resolved into the lock; the manifest names them, by
	// their path from the template's directory.
	for _, src := range t.tpl.Sources()[1:] {
		name, err := filepath.Rel(filepath.Dir(rel.ComposePath), src.Name)
		if err != nil {
			name = src.Name
		}
		files = append(files, manifest.Input{Role: "compose-include", Name: filepath.ToSlash(name), SHA256: checksum.Sum(src.Data)})
	}
	return &Inputs{
		Release: rel, Environment: env, TemplateFile: rel.ComposePath, Template: t.data, parsed: t.tpl, fromFile: true, Files: files,
	}, nil
}

// Request is one generation.
type Request struct {
	Inputs       *Inputs
	TenantID     string
	DeploymentID string
	Signer       *sign.Signer
	Now          time.Time
	// Resolver pins images whose digest neither the release nor the template gives; nil refuses them.
	Resolver release.Resolver
	// CheckPinned also asks the resolver about images that carry both a tag and a digest, so that it can
	// report (in its log) a tag that no longer names that digest. The given digest always wins and these
	// lookups are not recorded, so the artifacts do not depend on it.
	CheckPinned bool
	// TargetNames adds a signed sticker per named target (stella.version.NAME.json).
	TargetNames []string
	PromotionID string
	// Promotion is the approved promotion the deployment carries out (its id is PromotionID); it goes
	// into the signed manifest whole.
	Promotion *evidence.Promotion
	// Rollback, for a rollback deployment, goes into the signed manifest's subject.
	Rollback *manifest.Rollback
	Strategy string // default all-at-once
	// BatchSize and OnFailure complete a workflow's strategy; with Strategy they go into the signed
	// subject for the agents.
	BatchSize int
	OnFailure string
	Deployer  sticker.Deployer
	Previous  sticker.Previous
	// ValidCache, if set, skips the Compose schema for a template that passed it before.
	ValidCache lockfile.ValidCache
	// LoadCache, if set, remembers by lockfile.LoadKey the lock, stella.env and secrets' names of every
	// set returned: the lock passed verification's checks (CheckLock makes them, or the template's lock
	// did), so a verification that finds the marker need not make them again. Only generation writes it.
	LoadCache lockfile.ValidCache
	// Extra artifacts (deployment scripts) to carry in the set.
	Extra []Artifact
}

// Result is a generated set.
type Result struct {
	TenantID     string
	DeploymentID string
	Files        []File
	Manifest     *manifest.Manifest
	Pins         []lockfile.Pin
}

// Generate runs the pipeline.
func Generate(ctx context.Context, req Request) (*Result, error) {
	in := req.Inputs
	rel, env := in.Release, in.Environment
	if err := checkID("--tenant", req.TenantID); err != nil {
		return nil, err
	}
	if err := checkID("--deployment-id", req.DeploymentID); err != nil {
		return nil, err
	}
	now := req.Now.UTC().Truncate(time.Second)
	targets, err := resolveTargets(env, req.TargetNames)
	if err != nil {
		return nil, err
	}

	// A template that passed the checks before (same files, same environment) is not checked again;
	// otherwise the schema compiles (once per process) while the template is parsed.
	tpl, err := in.template()
	if err != nil {
		return nil, err
	}
	key, known := "", false
	if req.ValidCache != nil {
		key = tpl.ValidKey(env)
		known = req.ValidCache.Valid(key)
	}
	if !known {
		lockfile.WarmUp()
	}
	lookup := tpl.Environment(env)
	// Schema validation runs on its own copy of the tree while the lock is rendered.
	done := make(chan error, 1)
	if known {
		done <- nil
	} else {
		validate, err := tpl.Validator(lookup)
		if err != nil {
			return nil, err
		}
		go func() { done <- validate() }()
	}
	validated := sync.OnceValue(func() error { return tpl.SchemaError(<-done) })

	pins, err := tpl.Pins(rel)
	var resolutions []release.Resolution
	if unpinned := lockfile.Unpinned(pins); err == nil && len(unpinned) > 0 {
		switch {
		case req.Resolver == nil:
			err = lockfile.UnpinnedError(in.TemplateFile, unpinned)
		case validated() == nil: // no registry traffic for a template that is invalid anyway
			resolutions, err = resolve(ctx, req.Resolver, pins, req.CheckPinned)
		}
	} else if err == nil && req.Resolver != nil && req.CheckPinned && validated() == nil {
		_, err = resolve(ctx, req.Resolver, pins, true)
	}
	var lock []byte
	if err == nil {
		lock, err = tpl.Render(pins, lockfile.Meta{
			Release: rel, Environment: env, TenantID: req.TenantID, DeploymentID: req.DeploymentID,
			Now: now, Generator: version.Generator(),
		})
	}
	// The lock is loaded with compose-go's own loader (what Compose will say of it on the target) on a
	// second core while the rest of the set is built and signed; nothing is returned before it passes.
	loaded := make(chan error, 1)
	if err == nil && !known {
		go func() { loaded <- tpl.CheckLock(ctx, lock, lookup) }()
	} else {
		loaded <- nil
	}
	// The rest of the set is built and signed while the schema validation finishes.
	var res *Result
	if err == nil {
		res, err = assemble(req, targets, pins, resolutions, lock, now)
	}
	verr, lerr := validated(), <-loaded
	if verr != nil {
		return nil, verr
	}
	if err != nil {
		return nil, err
	}
	if lerr != nil {
		return nil, lerr
	}
	if !known && key != "" {
		req.ValidCache.Remember(key)
	}
	if req.LoadCache != nil {
		rememberLoads(req.LoadCache, res, lock, env)
	}
	return res, nil
}

// rememberLoads records that the set's lock passed the checks, keyed by what a verification will read
// and interpolate it with (lockfile.LoadKey): the lock, stella.env and the secrets' names — when the
// variables it will read are those the lock was judged with (stella.env is the environment's own, not an
// extra artifact of that name).
func rememberLoads(c lockfile.ValidCache, res *Result, lock []byte, env *release.Environment) {
	own, err := lockfile.EnvFile(env)
	if err != nil {
		return
	}
	var stored []byte
	hasEnv := false
	for _, f := range res.Files {
		if f.Name == lockfile.EnvFileName {
			stored, hasEnv = f.Data, true
			if f.Streamed() {
				return
			}
		}
	}
	if hasEnv != (own != nil) || !bytes.Equal(stored, own) {
		return
	}
	c.Remember(lockfile.LoadKey(lock, stored, hasEnv, lockfile.SecretNames(env)))
}

// assemble builds the stickers, the manifest, the checksums and their signature around the lock.
func assemble(req Request, targets []release.Target, pins []lockfile.Pin, resolutions []release.Resolution, lock []byte, now time.Time) (*Result, error) {
	in := req.Inputs
	rel, env := in.Release, in.Environment
	m := manifest.New(req.TenantID, req.DeploymentID, rel, env, now, version.Generator())
	m.PromotionID = req.PromotionID
	m.Inputs = in.Files
	m.Resolutions = resolutions
	// The deployment's targets: those named, else every target of the environment.
	deployTo := targets
	if len(req.TargetNames) == 0 {
		deployTo = env.Targets
	}
	m.Subject = &manifest.Subject{Release: rel, Environment: env, Targets: deployTo, Promotion: req.Promotion, Rollback: req.Rollback}
	if req.Strategy != "" {
		m.Subject.Strategy = &manifest.Strategy{Type: req.Strategy, BatchSize: req.BatchSize, OnFailure: req.OnFailure}
	}
	if m.Subject.Targets == nil {
		m.Subject.Targets = []release.Target{}
	}
	if req.Promotion == nil && (req.Deployer.UserID != "" || req.Deployer.UserName != "") {
		m.Subject.Requester = &evidence.Person{ID: req.Deployer.UserID, Name: req.Deployer.UserName}
	}
	var files []File
	addFile := func(f File, typ string) {
		files = append(files, f)
		size, sum := f.Sum()
		m.Artifacts = append(m.Artifacts, manifest.Artifact{Name: f.Name, Type: typ, Size: size, SHA256: sum})
	}
	add := func(name, typ string, data []byte) { addFile(File{Name: name, Data: data}, typ) }
	add(lockfile.FileName, manifest.TypeComposeLock, lock)
	envFile, err := lockfile.EnvFile(env)
	if err != nil {
		return nil, err
	}
	if envFile != nil {
		add(lockfile.EnvFileName, manifest.TypeEnvFile, envFile)
	}

	st := newSticker(req, pins, now)
	data, err := st.Sign(req.Signer)
	if err != nil {
		return nil, fmt.Errorf("sign sticker: %w", err)
	}
	add(sticker.FileName, manifest.TypeVersionSticker, data)
	for _, t := range targets {
		st := newSticker(req, pins, now)
		st.Deployment.TargetID, st.Deployment.TargetName = t.ID, t.Name
		data, err := st.Sign(req.Signer)
		if err != nil {
			return nil, fmt.Errorf("sign sticker: %w", err)
		}
		add(sticker.TargetFileName(t.Name), manifest.TypeVersionSticker, data)
	}
	for _, a := range req.Extra {
		if err := checkID("artifact name", a.Name); err != nil {
			return nil, err
		}
		if a.Path == "" {
			add(a.Name, a.Type, a.Data)
			continue
		}
		f, err := streamedFile(a)
		if err != nil {
			return nil, err
		}
		addFile(f, a.Type)
	}
	manifestData, err := m.Sign(req.Signer)
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	files = append(files, File{Name: manifest.FileName, Data: manifestData})

	entries := make([]checksum.Entry, len(files))
	for i, f := range files {
		_, sum := f.Sum()
		if i < len(m.Artifacts) && m.Artifacts[i].Name == f.Name {
			sum = m.Artifacts[i].SHA256 // hashed once, above
		}
		entries[i] = checksum.Entry{Name: f.Name, SHA256: sum}
	}
	sums := checksum.Format(entries)
	sig, err := req.Signer.SignBase64(sums)
	if err != nil {
		return nil, fmt.Errorf("sign checksums: %w", err)
	}
	files = append(files,
		File{Name: checksum.FileName, Data: sums},
		File{Name: checksum.SigFileName, Data: []byte(sig + "\n")},
	)
	slices.SortFunc(files, func(a, b File) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	for i := 1; i < len(files); i++ {
		if files[i].Name == files[i-1].Name {
			return nil, fault.Inputf("artifact %s: two files of the set have this name", files[i].Name)
		}
	}
	return &Result{TenantID: req.TenantID, DeploymentID: req.DeploymentID, Files: files, Manifest: m, Pins: pins}, nil
}

// streamedFile is the set's file of an artifact given by path: the size and SHA-256 the caller gives, or
// those of the file, hashed through one buffer.
func streamedFile(a Artifact) (File, error) {
	if a.Data != nil {
		return File{}, fmt.Errorf("artifact %s: both Data and Path given", a.Name)
	}
	if a.SHA256 != "" {
		return File{Name: a.Name, Path: a.Path, Size: a.Size, SHA256: a.SHA256}, nil
	}
	r, err := os.Open(a.Path)
	if err != nil {
		return File{}, fmt.Errorf("artifact %s: %w", a.Name, err)
	}
	defer r.Close()
	sum, n, err := checksum.Stream(r)
	if err != nil {
		return File{}, fmt.Errorf("artifact %s: read %s: %w", a.Name, a.Path, err)
	}
	return File{Name: a.Name, Path: a.Path, Size: n, SHA256: sum}, nil
}

func newSticker(req Request, pins []lockfile.Pin, now time.Time) *sticker.Sticker {
	rel, env := req.Inputs.Release, req.Inputs.Environment
	created := ""
	if !rel.CreatedAt.IsZero() {
		created = rel.CreatedAt.UTC().Format(time.RFC3339)
	}
	digests := map[string]string{}
	for _, p := range pins {
		digests[p.Service] = p.Digest
	}
	comps := make([]sticker.Component, 0, len(rel.Components))
	for _, c := range rel.Components {
		comps = append(comps, sticker.Component{Name: c.Name, ID: c.ID, Image: c.Image, Digest: digests[c.Name], Semver: c.Semver, Tag: c.Tag})
	}
	strategy := req.Strategy
	if strategy == "" {
		strategy = "all-at-once"
	}
	return &sticker.Sticker{
		Version:     "1.0",
		GeneratedAt: now.Format(time.RFC3339),
		Generator:   version.Generator(),
		TenantID:    req.TenantID,
		Release:     sticker.Release{ID: rel.ID, Name: rel.Name, CreatedAt: created, Components: comps},
		Deployment: sticker.Deployment{
			ID: req.DeploymentID, PromotionID: req.PromotionID,
			EnvironmentID: env.ID, EnvironmentName: env.Name,
			Strategy: strategy, StartedAt: now.Format(time.RFC3339),
		},
		Deployer: req.Deployer,
		Previous: req.Previous,
	}
}

// resolve asks the resolver once for every distinct unpinned reference and fills the pins. With
// checkPinned it also sends the tag@digest of pins that have both, for the resolver to compare; their
// given digest stays. A failure names the services that use each reference.
func resolve(ctx context.Context, r release.Resolver, pins []lockfile.Pin, checkPinned bool) ([]release.Resolution, error) {
	var refs, all []string
	services := map[string][]string{}
	for _, p := range pins {
		ref := p.Reference
		switch {
		case p.Digest == "":
		case checkPinned && p.Tag != "":
			ref = p.Repository + ":" + p.Tag + "@" + p.Digest
		default:
			continue
		}
		if _, seen := services[ref]; !seen {
			all = append(all, ref)
			if p.Digest == "" {
				refs = append(refs, ref)
			}
		}
		services[ref] = append(services[ref], p.Service)
	}
	if len(all) == 0 {
		return nil, nil
	}
	got, err := r.Resolve(ctx, all)
	if err != nil {
		for e := range resolveErrors(err) {
			e.Services = services[e.Reference]
		}
		return nil, err
	}
	out := make([]release.Resolution, 0, len(refs))
	for _, ref := range refs {
		res, ok := got[ref]
		if !ok || !release.IsDigest(res.Digest) {
			return nil, fmt.Errorf("resolve %s: the resolver gave no digest", ref)
		}
		out = append(out, res)
	}
	for i := range pins {
		if pins[i].Digest == "" {
			pins[i].Digest = got[pins[i].Reference].Digest
		}
	}
	return out, nil
}

// resolveErrors yields each per-reference failure inside err.
func resolveErrors(err error) func(func(*resolvepkg.Error) bool) {
	return func(yield func(*resolvepkg.Error) bool) {
		var list *resolvepkg.Errors
		if errors.As(err, &list) {
			for _, e := range list.List {
				if !yield(e) {
					return
				}
			}
		}
	}
}

func resolveTargets(env *release.Environment, names []string) ([]release.Target, error) {
	var out []release.Target
	seen := map[string]bool{}
	for _, n := range names {
		if err := checkID("--target-name", n); err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fault.Inputf("--target-name: %q given twice", n)
		}
		seen[n] = true
		t := release.Target{ID: n, Name: n}
		if len(env.Targets) > 0 {
			i := slices.IndexFunc(env.Targets, func(t release.Target) bool { return t.Name == n })
			if i < 0 {
				return nil, fault.Inputf("--target-name: environment %s (%s) has no target %q", env.ID, env.File, n)
			}
			t = env.Targets[i]
		}
		out = append(out, t)
	}
	return out, nil
}

func checkID(what, s string) error {
	if !release.IsSafeName(s) {
		return fault.Inputf("%s: %q is not a safe name (letters, digits, '.', '_', '-'; not starting with '.'; at most 128)", what, s)
	}
	return nil
}
