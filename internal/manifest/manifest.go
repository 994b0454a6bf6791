// Package manifest is the signed manifest.json of an artifact set: every artifact with its type, size and
// SHA-256, what the set was generated from, and how each image tag was resolved.
package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/sign"
)

// FileName is the manifest's name in an artifact set.
const FileName = "manifest.json"

// Artifact types.
const (
	TypeComposeLock    = "compose-lock"
	TypeVersionSticker = "version-sticker"
	TypeScriptSource   = "script-source"
	TypeScriptCompiled = "script-compiled"
	TypeScriptShell    = "script-shell"
	TypeScriptSDK      = "script-sdk"
	TypeEnvFile        = "env-file"
)

// Artifact is one file of the set.
type Artifact struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Input is one input file the set was generated from, by content hash.
type Input struct {
	Role   string `json:"role"` // release | environment | compose-template | compose-include | workflow | promotion | script
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Manifest is manifest.json.
type Manifest struct {
	Version      string               `json:"version"`
	DeploymentID string               `json:"deploymentId"`
	TenantID     string               `json:"tenantId"`
	CreatedAt    string               `json:"createdAt"`
	Generator    string               `json:"generator"`
	Release      ReleaseRef           `json:"release"`
	Environment  EnvironmentRef       `json:"environment"`
	PromotionID  string               `json:"promotionId,omitempty"`
	RetainUntil  string               `json:"retainUntil"`
	Artifacts    []Artifact           `json:"artifacts"`
	TotalSize    int64                `json:"totalSize"`
	Inputs       []Input              `json:"inputs,omitempty"`
	Resolutions  []release.Resolution `json:"resolutions,omitempty"`
	// Subject is what the deployment is — the release as declared, the environment, the targets and the
	// approved promotion — so that everything the deployment's evidence says derives from the signed,
	// stored set itself, never from whoever records it.
	Subject *Subject `json:"subject,omitempty"`
	sign.SignedFields
}

// Subject is the deployment's release, environment, targets, promotion and requester, as generated.
type Subject struct {
	Release     *release.Release     `json:"release"`
	Environment *release.Environment `json:"environment"`
	// Targets are the targets the deployment goes to (one deployment task each).
	Targets []release.Target `json:"targets"`
	// Promotion is the approved promotion the deployment carries out; nil when the environment does not
	// require one and none was given.
	Promotion *evidence.Promotion `json:"promotion,omitempty"`
	// Requester stands for who asked when there is no promotion (the deployer given to generate).
	Requester *evidence.Person `json:"requester,omitempty"`
	// Rollback, when set, says the deployment returns the environment to an earlier deployment's exact
	// digests: its evidence is a rollback packet.
	Rollback *Rollback `json:"rollback,omitempty"`
	// Strategy is how the agents roll the deployment out (the workflow's); nil means all at once and,
	// on failure, roll back.
	Strategy *Strategy `json:"strategy,omitempty"`
}

// Strategy is the workflow's rollout: all-at-once or rolling in batches of BatchSize services, and what
// an agent does when a step fails (rollback | continue | pause).
type Strategy struct {
	Type      string `json:"type"`
	BatchSize int    `json:"batchSize,omitempty"`
	OnFailure string `json:"onFailure"`
}

// Rollback is what a rollback deployment returns to, and who asked for it.
type Rollback struct {
	// From is the deployment rolled back (the environment's current one); To the one returned to.
	From        string            `json:"from"`
	To          string            `json:"to"`
	ReleaseID   string            `json:"releaseId"`
	ReleaseName string            `json:"releaseName"`
	Digests     map[string]string `json:"digests"`
	Requester   evidence.Person   `json:"requester"`
	Reason      string            `json:"reason,omitempty"`
}

// ReleaseRef names the release deployed.
type ReleaseRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// EnvironmentRef names the environment deployed to.
type EnvironmentRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tier string `json:"tier"`
}

// New starts a manifest for the set.
func New(tenant, deployment string, rel *release.Release, env *release.Environment, now time.Time, generator string) *Manifest {
	return &Manifest{
		Version:      "1.0",
		DeploymentID: deployment,
		TenantID:     tenant,
		CreatedAt:    now.UTC().Format(time.RFC3339),
		Generator:    generator,
		Release:      ReleaseRef{ID: rel.ID, Name: rel.Name},
		Environment:  EnvironmentRef{ID: env.ID, Name: env.Name, Tier: env.Tier},
		RetainUntil:  env.RetainUntil(now).Format(time.RFC3339),
		Artifacts:    []Artifact{},
	}
}

// Sign fills totalSize and the signature and returns the file's bytes.
func (m *Manifest) Sign(s *sign.Signer) ([]byte, error) {
	m.TotalSize = 0
	for _, a := range m.Artifacts {
		m.TotalSize += a.Size
	}
	return sign.SignJSON(s, m, func(alg, ref, sig string) {
		m.SignatureAlgorithm, m.SignerKeyRef, m.Signature = alg, ref, sig
	})
}

// Differences lists what makes the set described by m differ from the one described by stored, for a
// caller that generated m for a deployment id that stored already holds: tenant and deployment, the input
// files (by role and hash), the promotion, the targets and every pinned digest. Times are not compared:
// the same inputs generated at another time describe the same deployment.
func Differences(m, stored *Manifest) []string {
	var out []string
	diff := func(what, mine, theirs string) {
		if mine != theirs {
			out = append(out, fmt.Sprintf("%s: %s here, %s in the stored set", what, orNone(mine), orNone(theirs)))
		}
	}
	diff("tenant", m.TenantID, stored.TenantID)
	diff("deployment", m.DeploymentID, stored.DeploymentID)
	diff("release", m.Release.ID, stored.Release.ID)
	diff("environment", m.Environment.ID, stored.Environment.ID)
	diff("promotion", m.PromotionID, stored.PromotionID)
	// Inputs by role and content: the same file under another name or path is the same input.
	roles := func(in []Input) map[string]string {
		r := map[string][]string{}
		for _, i := range in {
			r[i.Role] = append(r[i.Role], i.SHA256)
		}
		out := map[string]string{}
		for role, sums := range r {
			slices.Sort(sums)
			out[role] = strings.Join(sums, ",")
		}
		return out
	}
	mine, theirs := roles(m.Inputs), roles(stored.Inputs)
	for _, k := range sortedKeys(mine, theirs) {
		diff("input "+k+" (sha256)", mine[k], theirs[k])
	}
	digests := func(x *Manifest) map[string]string {
		r := map[string]string{}
		for _, res := range x.Resolutions {
			r[res.Reference] = res.Digest
		}
		return r
	}
	md, td := digests(m), digests(stored)
	for _, k := range sortedKeys(md, td) {
		diff("image "+k, md[k], td[k])
	}
	targets := func(x *Manifest) string {
		if x.Subject == nil {
			return ""
		}
		var names []string
		for _, t := range x.Subject.Targets {
			names = append(names, t.ID)
		}
		return strings.Join(names, ",")
	}
	diff("targets", targets(m), targets(stored))
	diff("signing key", m.SignerKeyRef, stored.SignerKeyRef)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sortedKeys(a, b map[string]string) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// Parse reads manifest.json.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	return &m, nil
}
