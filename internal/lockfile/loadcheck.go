package lockfile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v3"
)

// ProjectName is the project name the loader check uses; Compose needs one, its value changes nothing
// the check looks at.
const ProjectName = "stella"

// Load loads a lock with compose-go's own loader the way `docker compose --env-file stella.env config`
// would on the target — interpolation (lookup's values, placeholders for what only the target knows),
// schema, normalisation and the consistency checks (unique container names, known networks, volumes and
// secrets, depends_on targets, exclusive device reservation fields…) — every profile enabled, and
// returns the project. Files the lock refers to (env_file, label_file) live on the target and are not
// read. dir is the directory the lock's relative paths are taken from.
func Load(ctx context.Context, file string, lock []byte, dir string, lookup Lookup) (*types.Project, error) {
	return loadFile(ctx, types.ConfigFile{Filename: file, Content: lock}, dir, lookup)
}

func loadFile(ctx context.Context, cf types.ConfigFile, dir string, lookup Lookup) (*types.Project, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{cf},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName(ProjectName, true)
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.ResolvePaths = false
		o.Profiles = []string{"*"}
		o.SkipInclude = true // a lock is one self-contained file (see SelfContained)
		if o.Interpolate != nil {
			o.Interpolate.LookupValue = func(k string) (string, bool) { return lookup(k) }
			o.Interpolate.Substitute = substitute
		}
	})
}

// minChunk is the fewest services worth a loader of their own.
const minChunk = 40

// CheckLock loads the rendered lock with compose-go's loader (see Load), so that Stella never signs a
// lock Compose would refuse. An error names the template's file and line of the path compose-go names.
//
// compose-go's loader costs about 1.5 ms of CPU per service (its path matching dominates), so a large
// lock is loaded in parts on every core: each part holds every top-level section, its share of the
// services, and every other service as a stub ({image: stub}) so that references between services
// (depends_on, network_mode: service:, volumes_from) resolve — every check compose-go makes is about one
// service and the names it refers to, except unique container names, which are checked across the
// whole lock first.
func (t *Template) CheckLock(ctx context.Context, lock []byte, lookup Lookup) error {
	err := t.checkLock(ctx, lock, lookup)
	return t.lockError(err)
}

func (t *Template) lockError(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "validating "+FileName+": ")
	return t.pathError("Compose refuses the lock: ", fmt.Errorf("%s", msg))
}

// checkLock is every check verification makes of a stored lock's bytes (CheckStored: one YAML document,
// self-contained, loaded by compose-go), so that the memo of a generated lock (LoadKey) vouches for all
// three. The renderer resolves include: and extends: into the lock; a lock that still has one is
// Stella's bug, refused here rather than signed.
func (t *Template) checkLock(ctx context.Context, lock []byte, lookup Lookup) error {
	parsed, contained, loads := CheckStored(ctx, lock, filepath.Dir(t.File), lookup)
	switch {
	case parsed != nil:
		return fmt.Errorf("not one YAML document: %w", parsed)
	case contained != nil:
		return contained
	}
	return loads
}

// Check is Load's verdict on a lock, for a lock large enough in parts on every core (see CheckLock):
// nil exactly when Load returns no error; otherwise Load's error (or, for a container name used twice, the
// one check made across the whole lock first).
func Check(ctx context.Context, lock []byte, dir string, lookup Lookup) error {
	m, ok := lockModel(lock)
	return check(ctx, lock, m, ok, dir, lookup)
}

// CheckStored is what verification asks of a stored lock (and generation of its own, Template.CheckLock):
// parsed is the YAML parser's verdict (nil when the lock is one YAML document, whatever it holds),
// contained SelfContained's, loads Check's (not run when the lock is not self-contained); the lock is
// parsed once for all of it.
func CheckStored(ctx context.Context, lock []byte, dir string, lookup Lookup) (parsed, contained, loads error) {
	// Compose merges a file's documents; a parse reads the first alone, so a second would be deployed
	// unchecked.
	if parsed = checkOneDocument(FileName, lock); parsed != nil {
		return parsed, nil, nil
	}
	if models, ok := splitModels(lock, runtime.GOMAXPROCS(0)); ok {
		all := mergedServices(models)
		whole := maps.Clone(models[0])
		whole["services"] = all
		if contained = selfContained(whole); contained != nil {
			return nil, contained, nil
		}
		if err := uniqueContainerNames(all); err != nil {
			return nil, nil, err
		}
		return nil, nil, loadParts(ctx, lock, models, all, dir, lookup)
	}
	var doc yaml.Node
	if parsed = yaml.Unmarshal(lock, &doc); parsed != nil {
		return parsed, SelfContained(lock), nil
	}
	v, ok := toJSON(&doc)
	m, _ := v.(map[string]any)
	ok = ok && m != nil
	if ok {
		contained = selfContained(m)
	} else {
		contained = SelfContained(lock)
	}
	if contained != nil {
		return nil, contained, nil
	}
	return nil, nil, check(ctx, lock, m, ok, dir, lookup)
}

func check(ctx context.Context, lock []byte, m map[string]any, ok bool, dir string, lookup Lookup) error {
	services, _ := m["services"].(map[string]any)
	workers := min(runtime.GOMAXPROCS(0), len(services)/minChunk)
	if !ok || services == nil || workers < 2 {
		_, err := loadFile(ctx, types.ConfigFile{Filename: FileName, Content: lock}, dir, lookup)
		if err != nil && ok && services != nil {
			return attribute(ctx, m, services, dir, lookup, err)
		}
		return err
	}
	if err := uniqueContainerNames(services); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(services))
	parts := make([]map[string]any, workers)
	for w := range workers {
		lo, hi := w*len(names)/workers, (w+1)*len(names)/workers
		parts[w] = part(m, names[lo:hi], services)
	}
	return loadParts(ctx, lock, parts, services, dir, lookup)
}

// part is a model of the lock with its own copy (the loader changes what it is given) of every
// top-level section of m and of the services names of all.
func part(m map[string]any, names []string, all map[string]any) map[string]any {
	p := make(map[string]any, len(m))
	for k, v := range m {
		if k != "services" {
			p[k] = deepCopy(v)
		}
	}
	svcs := make(map[string]any, len(names))
	for _, n := range names {
		svcs[n] = deepCopy(all[n])
	}
	p["services"] = svcs
	return p
}

// addStubs gives a part a stub for every service of all that its services refer to and it does not
// hold, so that references resolve.
func addStubs(part, all map[string]any) {
	svcs, _ := part["services"].(map[string]any)
	for _, n := range slices.Sorted(maps.Keys(svcs)) {
		for r := range referenced(all[n], all) {
			if _, ok := svcs[r]; !ok {
				svcs[r] = map[string]any{"image": "stub"}
			}
		}
	}
}

// loadParts loads each part (a model of the lock with every top-level section and a share of the
// services, its own copy: the loader changes what it is given) on its own core, with a stub for every
// service of all that a part's services refer to and it does not hold.
func loadParts(ctx context.Context, lock []byte, parts []map[string]any, all map[string]any, dir string, lookup Lookup) error {
	for _, part := range parts {
		addStubs(part, all)
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for w, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[w] = loadFile(ctx, types.ConfigFile{Filename: FileName, Config: part}, dir, lookup)
		}()
	}
	wg.Wait()
	if err := errors.Join(slices.DeleteFunc(errs, func(e error) bool { return e == nil })...); err != nil {
		// A part failed: the whole lock decides, so that a reference the stubs missed can never refuse
		// a lock Compose accepts, and the error is the one Compose gives.
		if _, err = loadFile(ctx, types.ConfigFile{Filename: FileName, Content: lock}, dir, lookup); err != nil {
			// The parts went through the loader, which changes what it is given: the lock is decoded
			// again for the narrowing.
			if m, ok := lockModel(lock); ok {
				if svcs, _ := m["services"].(map[string]any); svcs != nil {
					return attribute(ctx, m, svcs, dir, lookup, err)
				}
			}
			return err
		}
	}
	return nil
}

// attribute narrows whole, the error of a lock that does not load, to the first service in name order
// that does not load on its own (in a model with every top-level section of m and a stub for each
// service it refers to), so that of several problems the same one is reported every time — compose-go
// walks maps, which Go orders at random — and the message names the service even where compose-go's
// does not ("invalid hostPort: x"). The services are halved in name order while the first half still
// fails, about one whole load in all, paid only by a lock that fails. A problem no service has alone (a
// depends_on cycle) or one of the top-level sections keeps whole, the error Compose gives.
func attribute(ctx context.Context, m, all map[string]any, dir string, lookup Lookup, whole error) error {
	names := slices.Sorted(maps.Keys(all))
	load := func(names []string) error {
		p := part(m, names, all)
		addStubs(p, all)
		_, err := loadFile(ctx, types.ConfigFile{Filename: FileName, Config: p}, dir, lookup)
		return err
	}
	if len(names) == 0 || load(nil) != nil {
		return whole
	}
	lo, hi := 0, len(names) // names[lo:hi] fails (the whole lock does)
	var err error           // its error, once names[lo:hi] was loaded alone
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if err = load(names[lo:mid]); err != nil {
			hi = mid
		} else {
			lo = mid
		}
	}
	if err == nil {
		err = load(names[lo:hi])
	}
	if err == nil || ctx.Err() != nil {
		return whole
	}
	n := names[lo]
	if msg := err.Error(); !strings.Contains(msg, "services."+n) && !strings.Contains(msg, fmt.Sprintf("service %q", n)) {
		return fmt.Errorf("services.%s: %w", n, err)
	}
	return err
}

// referenced is every other service a service's definition may refer to: any string in it (mapping
// keys included) that is a service's name, or names one before a colon or after "service:" or
// "container:" (depends_on, links, volumes_from, network_mode, ipc, pid…). It over-approximates; a
// part's stubs only need to cover it.
func referenced(def any, services map[string]any) map[string]bool {
	refs := map[string]bool{}
	note := func(s string) {
		for _, c := range []string{s, strings.TrimPrefix(s, "service:"), strings.TrimPrefix(s, "container:")} {
			if _, ok := services[c]; ok {
				refs[c] = true
			}
			if before, _, ok := strings.Cut(c, ":"); ok {
				if _, ok := services[before]; ok {
					refs[before] = true
				}
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				note(k)
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			note(v)
		}
	}
	walk(def)
	return refs
}

// lockModel decodes the lock as JSON-shaped values; ok is false for a shape toJSON does not know (then
// the lock is loaded from its text, in one part).
func lockModel(lock []byte) (map[string]any, bool) {
	var doc yaml.Node
	if yaml.Unmarshal(lock, &doc) != nil {
		return nil, false
	}
	v, ok := toJSON(&doc)
	m, _ := v.(map[string]any)
	return m, ok && m != nil
}

// uniqueContainerNames is compose-go's CheckContainerNameUnicity, across all services.
func uniqueContainerNames(services map[string]any) error {
	seen := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(services)) {
		s, _ := services[n].(map[string]any)
		cn, _ := s["container_name"].(string)
		if cn == "" || strings.Contains(cn, "$") {
			continue
		}
		if other, dup := seen[cn]; dup {
			return fmt.Errorf("services.%s.container_name: %q is also services.%s's; a container name must be unique", n, cn, other)
		}
		seen[cn] = n
	}
	return nil
}

// SelfContained reports a lock that still refers to other Compose files — include:, or extends: with a
// file — which a set cannot carry: what it deploys would depend on files outside the signed set.
// (Stella resolves both at generation; older sets may have them.)
func SelfContained(lock []byte) error {
	var m map[string]any
	if err := yaml.Unmarshal(lock, &m); err != nil {
		return fmt.Errorf("unparsable YAML: %v", err)
	}
	return selfContained(m)
}

func selfContained(m map[string]any) error {
	if _, ok := m["include"]; ok {
		return fmt.Errorf("include: the lock refers to other Compose files; it is not self-contained")
	}
	services, _ := m["services"].(map[string]any)
	for _, n := range slices.Sorted(maps.Keys(services)) {
		s, _ := services[n].(map[string]any)
		if e, ok := s["extends"].(map[string]any); ok && e["file"] != nil {
			return fmt.Errorf("services.%s.extends.file: the lock refers to another Compose file (%v); it is not self-contained", n, e["file"])
		}
	}
	return nil
}
