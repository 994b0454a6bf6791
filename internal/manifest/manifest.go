// Package manifest is the signed manifest.json of an artifact set: every artifact with its type, size and
// SHA-256, what the set was generated from, and how each image tag was resolved.
package manifest

import (
	"encoding/json"
	"fmt"
	"time"

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
	sign.SignedFields
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
		RetainUntil:  now.UTC().Add(release.Retention[env.Tier]).Format(time.RFC3339),
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

// Parse reads manifest.json.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	return &m, nil
}
