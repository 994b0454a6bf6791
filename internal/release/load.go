package release

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

var (
	digestRe = lazyRegexp(`^sha256:[0-9a-f]{64}$`)
	envName  = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// IsSafeName reports whether s is a safe id: letters, digits, '.', '_' and '-', not starting with '.',
// at most 128 characters.
func IsSafeName(s string) bool {
	// A loop, not the pattern ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$: its 128 bounded repetitions cost
	// half a millisecond to compile at every start.
	if len(s) == 0 || len(s) > 128 || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// IsDigest reports whether s is "sha256:" followed by 64 lowercase hex digits.
func IsDigest(s string) bool { return digestRe().MatchString(s) }

// Line returns the line of a field path in the release file (0 if unknown).
func (r *Release) Line(path string) int { return r.lines[path] }

// Line returns the line of a field path in the environment file (0 if unknown).
func (e *Environment) Line(path string) int { return e.lines[path] }

// Component returns the component that fills service, or nil.
func (r *Release) Component(service string) *Component {
	for i := range r.Components {
		if r.Components[i].Name == service {
			return &r.Components[i]
		}
	}
	return nil
}

// LoadRelease reads and validates release.yaml.
func LoadRelease(path string) (*Release, error) {
	data, err := readFile("--release", path)
	if err != nil {
		return nil, err
	}
	return ParseRelease(path, data)
}

// ParseRelease validates release.yaml bytes; file names it in errors and anchors the compose path.
func ParseRelease(file string, data []byte) (*Release, error) {
	r := &Release{}
	lines, _, err := decodeStrict(file, data, r)
	if err != nil {
		return nil, err
	}
	r.File, r.lines = file, lines
	e := func(path, format string, args ...any) error {
		return FieldError(file, r.lines[path], path, format, args...)
	}
	if r.ID == "" {
		return nil, e("id", "required")
	}
	if !IsSafeName(r.ID) {
		return nil, e("id", "%q is not a safe name (letters, digits, '.', '_', '-'; at most 128)", r.ID)
	}
	if r.Name == "" {
		return nil, e("name", "required")
	}
	if r.Compose == "" {
		return nil, e("compose", "required: the path of the Compose template, relative to this file")
	}
	r.ComposePath = r.Compose
	if !filepath.IsAbs(r.ComposePath) {
		r.ComposePath = filepath.Join(filepath.Dir(file), r.Compose)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Time{}
	}
	names, ids := map[string]bool{}, map[string]bool{}
	for i := range r.Components {
		c := &r.Components[i]
		p := fmt.Sprintf("components[%d]", i)
		if c.Name == "" {
			return nil, e(p, "name: required (the Compose service the component fills)")
		}
		if names[c.Name] {
			return nil, e(p+".name", "duplicate component for service %q", c.Name)
		}
		names[c.Name] = true
		if c.ID == "" {
			return nil, e(p, "id: required")
		}
		if !IsSafeName(c.ID) {
			return nil, e(p+".id", "%q is not a safe name", c.ID)
		}
		if ids[c.ID] {
			return nil, e(p+".id", "duplicate component id %q", c.ID)
		}
		ids[c.ID] = true
		if c.Image == "" {
			return nil, e(p, "image: required (the image repository, without tag)")
		}
		repo, err := name.NewRepository(c.Image)
		if err != nil {
			return nil, e(p+".image", "%q is not an image repository: %v", c.Image, err)
		}
		_ = repo
		if c.Tag != "" {
			if _, err := name.NewTag(c.Image + ":" + c.Tag); err != nil {
				return nil, e(p+".tag", "%q is not a valid tag", c.Tag)
			}
		}
		if c.Digest != "" && !IsDigest(c.Digest) {
			return nil, e(p+".digest", "%q is not sha256: followed by 64 lowercase hex digits", c.Digest)
		}
		if c.Role == "" {
			c.Role = Roles[0]
		} else if !slices.Contains(Roles, c.Role) {
			return nil, e(p+".role", "%q is not one of primary, sidecar, init, migration", c.Role)
		}
	}
	return r, nil
}

// LoadEnvironment reads and validates environment.yaml.
func LoadEnvironment(path string) (*Environment, error) {
	data, err := readFile("--environment", path)
	if err != nil {
		return nil, err
	}
	return ParseEnvironment(path, data)
}

// ParseEnvironment validates environment.yaml bytes.
func ParseEnvironment(file string, data []byte) (*Environment, error) {
	env := &Environment{}
	lines, _, err := decodeStrict(file, data, env)
	if err != nil {
		return nil, err
	}
	env.File, env.lines = file, lines
	e := func(path, format string, args ...any) error {
		return FieldError(file, env.lines[path], path, format, args...)
	}
	if env.ID == "" {
		return nil, e("id", "required")
	}
	if !IsSafeName(env.ID) {
		return nil, e("id", "%q is not a safe name (letters, digits, '.', '_', '-'; at most 128)", env.ID)
	}
	if env.Name == "" {
		return nil, e("name", "required")
	}
	if env.Tier == "" {
		return nil, e("tier", "required: development, staging or production (it sets the retention)")
	}
	if _, ok := Retentions[env.Tier]; !ok {
		return nil, e("tier", "%q is not development, staging or production", env.Tier)
	}
	if env.Retention != "" {
		r, err := ParseRetention(env.Retention)
		if err != nil {
			return nil, e("retention", "%v", err)
		}
		if min := Retentions[env.Tier]; !r.AtLeast(min) {
			return nil, e("retention", "%s is shorter than the %s tier's %s: an environment may lengthen its tier's retention, never shorten it", env.Retention, env.Tier, min)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(env.Variables)) {
		if !envName().MatchString(k) {
			return nil, e("variables."+k, "%q is not a valid variable name", k)
		}
	}
	seen := map[string]bool{}
	for i, s := range env.Secrets {
		p := fmt.Sprintf("secrets[%d]", i)
		if s.Name == "" {
			return nil, e(p, "name: required")
		}
		if !envName().MatchString(s.Name) {
			return nil, e(p+".name", "%q is not a valid variable name", s.Name)
		}
		if s.Ref == "" {
			return nil, e(p, "ref: required (where the secret's value lives, e.g. vault://kv/prod/db#url)")
		}
		if seen[s.Name] {
			return nil, e(p+".name", "duplicate secret %q", s.Name)
		}
		if _, ok := env.Variables[s.Name]; ok {
			return nil, e(p+".name", "%q is both a variable and a secret", s.Name)
		}
		seen[s.Name] = true
	}
	for _, k := range slices.Sorted(maps.Keys(env.Replicas)) {
		if env.Replicas[k] < 0 {
			return nil, e("replicas."+k, "%d is negative", env.Replicas[k])
		}
	}
	tids, tnames := map[string]bool{}, map[string]bool{}
	for i, t := range env.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		if t.ID == "" || !IsSafeName(t.ID) {
			return nil, e(p+".id", "required, a safe name")
		}
		if t.Name == "" {
			return nil, e(p+".name", "required")
		}
		if tids[t.ID] || tnames[t.Name] {
			return nil, e(p, "duplicate target %q", t.Name)
		}
		tids[t.ID], tnames[t.Name] = true, true
	}
	if env.DeployTimeout != "" {
		if d, err := time.ParseDuration(env.DeployTimeout); err != nil || d <= 0 {
			return nil, e("deployTimeout", "%q is not a positive duration (e.g. 10m)", env.DeployTimeout)
		}
	}
	if env.DriftInterval != "" {
		if d, err := time.ParseDuration(env.DriftInterval); err != nil || d < MinDriftInterval {
			return nil, e("driftInterval", "%q is not a duration of at least %s (e.g. 5m)", env.DriftInterval, MinDriftInterval)
		}
	}
	switch env.DriftCorrection {
	case "", DriftReport, DriftRedeploy:
	default:
		return nil, e("driftCorrection", "%q is not report or redeploy", env.DriftCorrection)
	}
	for i, h := range env.Registries.Insecure {
		if !IsRegistryHost(h) {
			return nil, e(fmt.Sprintf("registries.insecure[%d]", i), "%q is not a registry host or host:port", h)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(env.Registries.Mirrors)) {
		if !IsRegistryHost(k) {
			return nil, e("registries.mirrors."+k, "%q is not a registry host or host:port", k)
		}
		if m := env.Registries.Mirrors[k]; !IsRegistryHost(m) {
			return nil, e("registries.mirrors."+k, "mirror %q is not a registry host or host:port", m)
		}
	}
	return env, nil
}

// MinDriftInterval is the shortest Environment.DriftInterval.
const MinDriftInterval = 10 * time.Second

// Drift corrections (Environment.DriftCorrection).
const (
	DriftReport   = "report"
	DriftRedeploy = "redeploy"
)

// IsRegistryHost reports whether s names a registry: host or host:port, no scheme, no path.
func IsRegistryHost(s string) bool {
	if s == "" || strings.ContainsAny(s, "/ @") {
		return false
	}
	_, err := name.NewRegistry(s, name.StrictValidation)
	return err == nil
}

// IsSecret reports whether name is one of the environment's secrets.
func (e *Environment) IsSecret(name string) bool {
	for _, s := range e.Secrets {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Exposed reports whether name is a variable or secret the environment exposes to Compose.
func (e *Environment) Exposed(name string) bool {
	_, ok := e.Variables[name]
	return ok || e.IsSecret(name)
}
