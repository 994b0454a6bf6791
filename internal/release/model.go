// Package release holds the input model of a deployment — release, environment, promotion — and loads
// it from the contract's YAML files with errors that name the file, line and field.
package release

import (
	"context"
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
