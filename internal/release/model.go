// Package release holds the input model of a deployment — release, environment, promotion — and loads
// it from the contract's YAML files with errors that name the file, line and field.
package release

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Release is a named, immutable set of components (release.yaml).
type Release struct {
	ID         string      `yaml:"id" json:"id"`
	Name       string      `yaml:"name" json:"name"`
	CreatedAt  time.Time   `yaml:"createdAt" json:"createdAt"`
	CreatedBy  string      `yaml:"createdBy,omitempty" json:"createdBy,omitempty"`
	Compose    string      `yaml:"compose" json:"compose"`
	Components []Component `yaml:"components" json:"components"`
	SourceRef  *SourceRef  `yaml:"sourceRef,omitempty" json:"sourceRef,omitempty"`

	// File is the path the release was loaded from; ComposePath is Compose resolved against it.
	File        string `yaml:"-" json:"-"`
	ComposePath string `yaml:"-" json:"-"`
	// lines maps field paths ("components[1].digest") to their line in File, for errors found later.
	lines map[string]int
}

// Component fills one Compose service with an image repository, tag and digest.
type Component struct {
	Name   string `yaml:"name" json:"name"`
	ID     string `yaml:"id" json:"id"`
	Image  string `yaml:"image" json:"imageRepository"`
	Tag    string `yaml:"tag,omitempty" json:"tag"`
	Digest string `yaml:"digest,omitempty" json:"digest"`
	Semver string `yaml:"semver,omitempty" json:"semver"`
	Role   string `yaml:"role,omitempty" json:"role"`
}

// SourceRef says where a release was built from.
type SourceRef struct {
	Repository  string `yaml:"repository,omitempty" json:"repository,omitempty"`
	CommitSha   string `yaml:"commitSha,omitempty" json:"commitSha,omitempty"`
	Branch      string `yaml:"branch,omitempty" json:"branch,omitempty"`
	BuildID     string `yaml:"buildId,omitempty" json:"buildId,omitempty"`
	PipelineURL string `yaml:"pipelineUrl,omitempty" json:"pipelineUrl,omitempty"`
}

// Roles a component may have; the first is the default.
var Roles = []string{"primary", "sidecar", "init", "migration"}

// Environment is a stage's configuration (environment.yaml).
type Environment struct {
	ID        string            `yaml:"id" json:"id"`
	Name      string            `yaml:"name" json:"name"`
	Tier      string            `yaml:"tier" json:"tier"`
	Variables map[string]string `yaml:"variables,omitempty" json:"variables,omitempty"`
	Secrets   []SecretRef       `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Replicas  map[string]int    `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	// Registries configures image resolution for this environment: mirrors rewrite a registry host to
	// another (docker.io → an internal mirror), insecure names hosts reached over plain HTTP.
	Registries Registries `yaml:"registries,omitempty" json:"registries,omitempty"`
	Targets    []Target   `yaml:"targets,omitempty" json:"targets,omitempty"`
	// DeployTimeout bounds one deployment (Go duration, e.g. 10m).
	DeployTimeout string `yaml:"deployTimeout,omitempty" json:"deployTimeout,omitempty"`
	// RequirePromotion says whether a deployment needs an approved promotion; nil means the tier's
	// default (PromotionRequired).
	RequirePromotion *bool `yaml:"requirePromotion,omitempty" json:"requirePromotion,omitempty"`
	// Retention lengthens the tier's artifact retention for this environment: calendar years, months
	// and days ("10y", "18m", "1y6m", "120d"). It never shortens it: one that could end before the
	// tier's is refused when the environment is loaded, and RetainUntil takes the later end anyway.
	Retention string `yaml:"retention,omitempty" json:"retention,omitempty"`
	// DriftCorrection is what the server does when a target of the environment drifts: "report" (the
	// default: a metric, a log line, the drift API — never a change on the target) or "redeploy" (it
	// also queues the deployment the target should run for the target's agent to apply again).
	DriftCorrection string `yaml:"driftCorrection,omitempty" json:"driftCorrection,omitempty"`
	// DriftInterval is how often the server's drift schedule checks the environment's targets (a Go
	// duration, at least 10s; default the schedule's own interval, stella serve --drift-interval).
	DriftInterval string `yaml:"driftInterval,omitempty" json:"driftInterval,omitempty"`

	File  string `yaml:"-" json:"-"`
	lines map[string]int
}

// SecretRef names a secret and where its value lives; the value itself is never read by generation.
type SecretRef struct {
	Name string `yaml:"name" json:"name"`
	Ref  string `yaml:"ref" json:"ref"`
}

// Registries is an environment's registry configuration.
type Registries struct {
	Mirrors  map[string]string `yaml:"mirrors,omitempty" json:"mirrors,omitempty"`
	Insecure []string          `yaml:"insecure,omitempty" json:"insecure,omitempty"`
}

// Target is one host of the environment, served by one agent.
type Target struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
}

// PromotionRequired reports whether a deployment to the environment needs an approved promotion: as the
// environment says, else only for tier production.
func (e *Environment) PromotionRequired() bool {
	if e.RequirePromotion != nil {
		return *e.RequirePromotion
	}
	return e.Tier == "production"
}

// Retention is a tier's artifact retention: a number of calendar years, months and days (not a count of
// hours, so seven years end on the same calendar day seven years later, leap days included).
type Retention struct{ Years, Months, Days int }

// Tiers and their artifact retention: development 30 days, staging 90 days, production 7 years.
var Retentions = map[string]Retention{
	"development": {Days: 30},
	"staging":     {Days: 90},
	"production":  {Years: 7},
}

// RetainUntil is the end of the retention of a set of tier made at from (UTC, whole seconds). An
// unknown tier has no retention (from itself).
func RetainUntil(tier string, from time.Time) time.Time {
	r := Retentions[tier]
	return from.UTC().Truncate(time.Second).AddDate(r.Years, r.Months, r.Days)
}

// String is the retention as environment.yaml writes it ("7y", "30d", "1y6m").
func (r Retention) String() string {
	out := ""
	for _, u := range []struct {
		n    int
		unit string
	}{{r.Years, "y"}, {r.Months, "m"}, {r.Days, "d"}} {
		if u.n != 0 {
			out += strconv.Itoa(u.n) + u.unit
		}
	}
	if out == "" {
		return "0d"
	}
	return out
}

// end is the end of the retention r of a set made at from.
func (r Retention) end(from time.Time) time.Time {
	return from.UTC().Truncate(time.Second).AddDate(r.Years, r.Months, r.Days)
}

// ParseRetention reads a retention of calendar units: one or more NUMBER UNIT with unit y, m or d, each
// unit at most once, in that order ("10y", "1y6m", "120d").
func ParseRetention(s string) (Retention, error) {
	var r Retention
	rest := s
	last := -1
	if rest == "" {
		return r, fmt.Errorf("empty")
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || i > 5 {
			return Retention{}, fmt.Errorf("%q is not a retention like 10y, 18m, 1y6m or 120d", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		idx := strings.IndexByte("ymd", rest[i])
		if idx < 0 || idx <= last {
			return Retention{}, fmt.Errorf("%q is not a retention like 10y, 18m, 1y6m or 120d (units y, m, d, each once, in that order)", s)
		}
		last = idx
		switch idx {
		case 0:
			r.Years = n
		case 1:
			r.Months = n
		case 2:
			r.Days = n
		}
		rest = rest[i+1:]
	}
	return r, nil
}

// AtLeast reports whether r ends no earlier than min for a set made on any day. It is checked for every
// start day of 2024–2032: two leap cycles, so every month length and every count of leap days a span of
// calendar years can hold (a century's skipped leap day only ever removes one) is met.
func (r Retention) AtLeast(min Retention) bool {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := start; d.Year() < 2033; d = d.AddDate(0, 0, 1) {
		if r.end(d).Before(min.end(d)) {
			return false
		}
	}
	return true
}

// RetainUntil is the end of the environment's retention for a set made at from: the tier's, or the
// environment's own retention where that ends later. An override never makes it earlier.
func (e *Environment) RetainUntil(from time.Time) time.Time {
	until := RetainUntil(e.Tier, from)
	if e.Retention != "" {
		if r, err := ParseRetention(e.Retention); err == nil {
			if o := r.end(from); o.After(until) {
				until = o
			}
		}
	}
	return until
}

// Resolution records how one image reference was resolved to a digest.
type Resolution struct {
	Reference  string    `json:"reference"`
	Digest     string    `json:"digest"`
	Registry   string    `json:"registry"`
	ResolvedAt time.Time `json:"resolvedAt"`
	Platform   string    `json:"platform,omitempty"`
	MediaType  string    `json:"mediaType,omitempty"`
}

// Resolver turns image references (repository:tag) into digests. Generation calls it once with every
// distinct unpinned reference; the result maps each reference to its resolution.
type Resolver interface {
	Resolve(ctx context.Context, refs []string) (map[string]Resolution, error)
}
