// Package sticker is the version sticker (stella.version.json): the signed record, placed on each target,
// of what should run there. Generation writes the template; the fields known only at deploy time
// (target, completedAt, deployer, previous) are present and empty unless given.
package sticker

import (
	"encoding/json"
	"fmt"

	"github.com/stella-ops/stella/internal/sign"
)

// FileName is the sticker template's name in an artifact set; a sticker for a named target is
// stella.version.NAME.json.
const FileName = "stella.version.json"

// TargetFileName is the name of the sticker for target name.
func TargetFileName(name string) string { return "stella.version." + name + ".json" }

// Sticker is stella.version.json.
type Sticker struct {
	Version     string     `json:"version"`
	GeneratedAt string     `json:"generatedAt"`
	Generator   string     `json:"generator"`
	TenantID    string     `json:"tenantId"`
	Release     Release    `json:"release"`
	Deployment  Deployment `json:"deployment"`
	Deployer    Deployer   `json:"deployer"`
	Previous    Previous   `json:"previous"`
	sign.SignedFields
}

// Release is the release the sticker says should run.
type Release struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	CreatedAt  string      `json:"createdAt"`
	Components []Component `json:"components"`
}

// Component is one image of the release, by digest.
type Component struct {
	Name   string `json:"name"`
	ID     string `json:"id,omitempty"`
	Image  string `json:"image"`
	Digest string `json:"digest"`
	Semver string `json:"semver"`
	Tag    string `json:"tag"`
}

// Deployment is where and when.
type Deployment struct {
	ID              string `json:"id"`
	PromotionID     string `json:"promotionId"`
	EnvironmentID   string `json:"environmentId"`
	EnvironmentName string `json:"environmentName"`
	TargetID        string `json:"targetId"`
	TargetName      string `json:"targetName"`
	Strategy        string `json:"strategy"`
	StartedAt       string `json:"startedAt"`
	CompletedAt     string `json:"completedAt"`
}

// Deployer is who deployed.
type Deployer struct {
	UserID    string `json:"userId"`
	UserName  string `json:"userName"`
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName"`
}

// Previous is what ran before.
type Previous struct {
	ReleaseID   string `json:"releaseId"`
	ReleaseName string `json:"releaseName"`
	Digest      string `json:"digest"`
}

// Sign fills the signature and returns the file's bytes.
func (s *Sticker) Sign(signer *sign.Signer) ([]byte, error) {
	return sign.SignJSON(signer, s, func(alg, ref, sig string) {
		s.SignatureAlgorithm, s.SignerKeyRef, s.Signature = alg, ref, sig
	})
}

// Parse reads a sticker.
func Parse(data []byte) (*Sticker, error) {
	var s Sticker
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("not a version sticker: %w", err)
	}
	return &s, nil
}
