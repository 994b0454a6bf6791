// Package evidence makes, stores, verifies and exports evidence packets: signed records of who approved
// what and what exactly was deployed. Packets are of the types in Types (release_decision, deployment,
// rollback; retention_hold, retention_release, set_removed; key_rotation), carry the context schema's content with its canonical hash, are signed like every other
// Stella document (RFC 8785 canonical JSON without "signature") and form one hash chain per tenant in
// the metadata database, which refuses to update or delete them. See docs/evidence.md.
package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/stella-ops/stella/internal/release"
	"slices"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/version"
)

// Packet types.
const (
	TypeReleaseDecision = "release_decision"
	TypeDeployment      = "deployment"
	TypeRollback        = "rollback"
	// Retention (schema version 8): a legal hold put on a deployment's set, its release, and a set
	// removed by the retention sweep.
	TypeRetentionHold    = "retention_hold"
	TypeRetentionRelease = "retention_release"
	TypeSetRemoved       = "set_removed"
	// TypeKeyRotation: a signing key replaced by a new one (stella keys rotate).
	TypeKeyRotation = "key_rotation"
)

// Types lists the packet types.
var Types = []string{TypeReleaseDecision, TypeDeployment, TypeRollback, TypeRetentionHold, TypeRetentionRelease, TypeSetRemoved, TypeKeyRotation, TypeDeploymentCompleted, TypeKeyRevocation}

// TypeKeyRevocation (schema version 10): a signing key revoked (stella keys revoke), signed with
// another key: its signatures dated at or after key.at no longer count.
const TypeKeyRevocation = "key_revocation"

// TypeDeploymentCompleted (schema version 9) completes a deployment (or rollback) packet with what one
// target's agent reported: the outcome, the containers it read back and the sticker issued to it.
const TypeDeploymentCompleted = "deployment_completed"

// Version is the packet format version.
const Version = "1.0"

// Packet is an evidence packet as signed and stored. Sequence and PreviousHash link it into its tenant's
// chain and are signed with the rest.
type Packet struct {
	ID               string    `json:"id"`
	Version          string    `json:"version"`
	Type             string    `json:"type"`
	GeneratedAt      time.Time `json:"generatedAt"`
	GeneratorVersion string    `json:"generatorVersion"`
	TenantID         string    `json:"tenantId"`
	PromotionID      string    `json:"promotionId,omitempty"`
	Content          Content   `json:"content"`
	// ContentHash is "sha256:" + hex SHA-256 of the RFC 8785 canonical JSON of Content.
	ContentHash string `json:"contentHash"`
	// Sequence is the packet's position in its tenant's chain: 1, 2, 3 …
	Sequence int64 `json:"sequence"`
	// PreviousHash is the PacketHash of packet Sequence-1; "" for the first packet.
	PreviousHash string `json:"previousHash"`
	sign.SignedFields
}

// Content is what a packet attests.
type Content struct {
	Release     Release     `json:"release"`
	Environment Environment `json:"environment"`
	Actors      Actors      `json:"actors"`
	Decision    Decision    `json:"decision"`
	Execution   *Execution  `json:"execution,omitempty"`
	Previous    *Previous   `json:"previous,omitempty"`
	// Retention is what a retention_hold, retention_release or set_removed packet is about.
	Retention *Retention `json:"retention,omitempty"`
	// Key is what a key_rotation packet is about.
	Key *KeyEvent `json:"key,omitempty"`
	// Completion is what a deployment_completed packet reports.
	Completion *Completion `json:"completion,omitempty"`
}

// Completion is the outcome of a deployment job on one target, as its agent reported it, with the sticker
// the server issued to that target (its SHA-256 as recorded).
type Completion struct {
	TargetID   string `json:"targetId"`
	AgentID    string `json:"agentId"`
	TaskID     string `json:"taskId"`
	Status     string `json:"status"` // succeeded | failed | interrupted
	Error      string `json:"error,omitempty"`
	StartedAt  string `json:"startedAt"`
	FinishedAt string `json:"finishedAt"`
	// Offline says the result was carried back from an air-gapped target (apply --offline).
	Offline       bool                  `json:"offline,omitempty"`
	StickerSHA256 string                `json:"stickerSha256,omitempty"`
	Containers    []CompletionContainer `json:"containers,omitempty"`
}

// CompletionContainer is one container the agent read back after the deployment.
type CompletionContainer struct {
	Service string   `json:"service"`
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Digests []string `json:"digests"`
}

// Retention is a retention event on one deployment's artifact set: what (the set, where it was), why
// (the reason given, or the rule that let the sweep remove it) and the set's retainUntil.
type Retention struct {
	// Action is hold, release or remove.
	Action string `json:"action"`
	// Set is TENANT/DEPLOYMENT; Location where the store kept it.
	Set      string `json:"set"`
	Location string `json:"location,omitempty"`
	// RetainUntil is the set's retainUntil as its signed manifest says ("" when it could not be read).
	RetainUntil string `json:"retainUntil,omitempty"`
	Reason      string `json:"reason"`
	// HoldEvidenceID is, for a release, the packet that recorded the hold released.
	HoldEvidenceID string `json:"holdEvidenceId,omitempty"`
}

// KeyEvent is a change of a signing key: the reference, the key closed and the key that replaces it.
type KeyEvent struct {
	Action    string    `json:"action"`
	Ref       string    `json:"ref"`
	OldKeyID  string    `json:"oldKeyId"`
	NewKeyID  string    `json:"newKeyId"`
	Algorithm string    `json:"algorithm,omitempty"`
	At        time.Time `json:"at"`
	// NewPublicKey is the new key's public key, PEM, so the packet carries what verifies it.
	NewPublicKey string `json:"newPublicKey,omitempty"`
	// Reason is why a key was revoked (key_revocation).
	Reason string `json:"reason,omitempty"`
}

// Release is the released set of components.
type Release struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	DisplayName string      `json:"displayName,omitempty"`
	CreatedAt   time.Time   `json:"createdAt"`
	CreatedBy   string      `json:"createdBy,omitempty"`
	Components  []Component `json:"components"`
	SourceRef   *SourceRef  `json:"sourceRef,omitempty"`
}

// Component is one image of the release, pinned by digest.
type Component struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Digest          string `json:"digest"`
	Semver          string `json:"semver"`
	Tag             string `json:"tag"`
	Role            string `json:"role"`
	ImageRepository string `json:"imageRepository"`
}

// SourceRef says where the release was built from.
type SourceRef struct {
	Repository  string `json:"repository,omitempty"`
	CommitSha   string `json:"commitSha,omitempty"`
	Branch      string `json:"branch,omitempty"`
	BuildID     string `json:"buildId,omitempty"`
	PipelineURL string `json:"pipelineUrl,omitempty"`
}

// Environment is where the release goes.
type Environment struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Tier    string   `json:"tier"`
	Targets []Target `json:"targets"`
}

// Target is one host of the environment.
type Target struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Actors are the people behind the decision.
type Actors struct {
	Requester Person     `json:"requester"`
	Approvers []Approver `json:"approvers"`
}

// Person is a requester.
type Person struct {
	ID    string `json:"id" yaml:"id"`
	Name  string `json:"name" yaml:"name"`
	Email string `json:"email" yaml:"email"`
}

// Approver is one approval (or rejection).
type Approver struct {
	ID      string    `json:"id" yaml:"id"`
	Name    string    `json:"name" yaml:"name"`
	Action  string    `json:"action" yaml:"action"`
	At      time.Time `json:"at" yaml:"at"`
	Comment string    `json:"comment" yaml:"comment"`
}

// Decision is the outcome and the gates that led to it.
type Decision struct {
	Result  string   `json:"result"`
	Gates   []Gate   `json:"gates"`
	Reasons []string `json:"reasons"`
}

// Gate is one automated check of the promotion.
type Gate struct {
	Type    string         `json:"type" yaml:"type"`
	Name    string         `json:"name" yaml:"name"`
	Status  string         `json:"status" yaml:"status"`
	Message string         `json:"message" yaml:"message"`
	Details map[string]any `json:"details" yaml:"details"`
}

// Execution is what was done: the deployment job and the artifacts it produced.
type Execution struct {
	WorkflowRunID   string     `json:"workflowRunId,omitempty"`
	DeploymentJobID string     `json:"deploymentJobId"`
	Artifacts       []Artifact `json:"artifacts"`
	// Resolutions says how each image tag without a digest was resolved (reference, digest, registry,
	// time), as the set's manifest records it.
	Resolutions []release.Resolution `json:"resolutions,omitempty"`
	// ArtifactsCreatedAt is the artifacts' own time (the manifest's createdAt, which generate --now
	// may fix); the packet's generatedAt is always the real time of recording.
	ArtifactsCreatedAt string `json:"artifactsCreatedAt,omitempty"`
	Logs               string `json:"logs,omitempty"`
}

// Artifact is one file of the artifact set; ContentHash is "sha256:" + hex of its bytes.
type Artifact struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	ContentHash string `json:"contentHash"`
}

// Previous is what a deployment replaced (or a rollback returns to): component name → digest.
type Previous struct {
	ReleaseID   string            `json:"releaseId"`
	ReleaseName string            `json:"releaseName"`
	Digests     map[string]string `json:"digests"`
}

// Head is the signed chain head stored beside the chain: the tenant's last packet by sequence and hash.
// A head moved back to an earlier packet (the last packets removed and the head rewritten) keeps the
// later packet's signed sequence, or loses its signature: either is found by VerifyChain.
type Head struct {
	TenantID string `json:"tenantId"`
	Sequence int64  `json:"sequence"`
	Hash     string `json:"hash"`
	PacketID string `json:"packetId"`
	sign.SignedFields
}

// Draft is what a caller knows when it records a decision; Append fills in the rest.
type Draft struct {
	// ID is optional; the default is derived from tenant, type, subject and time (see DefaultID).
	ID          string
	Type        string
	TenantID    string
	PromotionID string
	GeneratedAt time.Time
	Content     Content
	// Clock, when GeneratedAt is zero, gives the packet's time under the chain's lock (nil: time.Now).
	Clock func() time.Time
}

// CanonicalHash is "sha256:" + hex SHA-256 of the RFC 8785 canonical form of the JSON raw.
func CanonicalHash(raw []byte) (string, error) {
	c, err := sign.Canonical(raw)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ContentHash is the contentHash of c.
func ContentHash(c Content) (string, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return CanonicalHash(raw)
}

// PacketHash is the hash that links a packet into its chain: "sha256:" + hex SHA-256 of the RFC 8785
// canonical form of the whole stored packet, signature included. The next packet's previousHash is it.
func PacketHash(stored []byte) (string, error) { return CanonicalHash(stored) }

// DefaultID derives a packet id from what the packet is about, so the same decision recorded twice has
// the same id and the second is refused as a duplicate.
func DefaultID(d Draft) string {
	subject := d.PromotionID
	if d.Content.Execution != nil {
		subject = d.Content.Execution.DeploymentJobID
	}
	if d.Content.Key != nil {
		subject = d.Content.Key.Ref + "\x00" + d.Content.Key.NewKeyID
	}
	h := sha256.Sum256([]byte(d.TenantID + "\x00" + d.Type + "\x00" + subject + "\x00" + d.GeneratedAt.UTC().Format(time.RFC3339Nano)))
	return "ev-" + hex.EncodeToString(h[:12])
}

// Check validates a draft; its errors are bad input.
func (d Draft) Check() error {
	switch {
	case !slices.Contains(Types, d.Type):
		return fault.Inputf("evidence: type %q is not one of %v", d.Type, Types)
	case d.TenantID == "":
		return fault.Inputf("evidence: no tenant")
	case d.GeneratedAt.IsZero():
		return fault.Inputf("evidence: no generation time")
	case d.Content.Decision.Result != "allow" && d.Content.Decision.Result != "deny":
		return fault.Inputf("evidence: decision.result %q is not allow or deny", d.Content.Decision.Result)
	case d.Type == TypeReleaseDecision && d.PromotionID == "":
		return fault.Inputf("evidence: a release_decision needs a promotion id")
	case d.Type == TypeKeyRotation && (d.Content.Key == nil || d.Content.Key.OldKeyID == "" || d.Content.Key.NewKeyID == ""):
		return fault.Inputf("evidence: a key_rotation packet needs key (old and new key ids)")
	case d.Type == TypeKeyRevocation && (d.Content.Key == nil || d.Content.Key.OldKeyID == "" || d.Content.Key.Reason == ""):
		return fault.Inputf("evidence: a key_revocation packet needs key (the revoked key id and a reason)")
	case (d.Type == TypeRetentionHold || d.Type == TypeRetentionRelease || d.Type == TypeSetRemoved) && (d.Content.Retention == nil || d.Content.Retention.Reason == ""):
		return fault.Inputf("evidence: a %s packet needs retention with a reason", d.Type)
	case d.Type != TypeReleaseDecision && d.Type != TypeKeyRotation && d.Type != TypeKeyRevocation && (d.Content.Execution == nil || d.Content.Execution.DeploymentJobID == ""):
		return fault.Inputf("evidence: a %s packet needs execution.deploymentJobId", d.Type)
	case d.Type == TypeDeploymentCompleted && (d.Content.Completion == nil || d.Content.Completion.TargetID == ""):
		return fault.Inputf("evidence: a deployment_completed packet needs completion with a target")
	case d.Type == TypeRollback && d.Content.Previous == nil:
		return fault.Inputf("evidence: a rollback packet needs previous (the release it returns to)")
	}
	return nil
}

// Append signs the draft as the next packet of its tenant's chain and stores it in tx, returning the
// stored record. The chain head is locked for the rest of tx, so concurrent appends stay linear.
func Append(ctx context.Context, tx meta.Tx, s *sign.Signer, d Draft) (meta.Evidence, error) {
	if d.TenantID == "" {
		d.TenantID = tx.Tenant()
	}
	if d.TenantID != tx.Tenant() {
		return meta.Evidence{}, fmt.Errorf("append evidence: packet of tenant %s in a transaction of %s", d.TenantID, tx.Tenant())
	}
	// The packet's time is the real time of recording, taken under the chain head's lock so the chain is
	// in time order; a caller's GeneratedAt is for tests and imports of packets made elsewhere.
	at := d.GeneratedAt
	if at.IsZero() {
		d.GeneratedAt = time.Unix(1, 0) // checked below; replaced under the lock
	}
	if err := d.Check(); err != nil {
		return meta.Evidence{}, err
	}
	normalize(&d.Content)
	ch, err := ContentHash(d.Content)
	if err != nil {
		return meta.Evidence{}, fmt.Errorf("append evidence %s: %w", d.ID, err)
	}
	var dep string
	if d.Content.Execution != nil {
		dep = d.Content.Execution.DeploymentJobID
	}
	return tx.AppendEvidence(ctx, func(head meta.ChainHead) (meta.Evidence, error) {
		if at.IsZero() {
			d.GeneratedAt = time.Now()
			if d.Clock != nil {
				d.GeneratedAt = d.Clock()
			}
		}
		// The database keeps microseconds; the signed time is what the row can hold.
		d.GeneratedAt = d.GeneratedAt.UTC().Truncate(time.Microsecond)
		if d.ID == "" {
			d.ID = DefaultID(d)
		}
		p := &Packet{
			ID: d.ID, Version: Version, Type: d.Type, GeneratedAt: d.GeneratedAt,
			GeneratorVersion: version.Generator(), TenantID: d.TenantID, PromotionID: d.PromotionID,
			Content: d.Content, ContentHash: ch, Sequence: head.Seq + 1, PreviousHash: head.Hash,
		}
		raw, err := sign.SignJSON(s, p, func(alg, ref, sig string) {
			p.SignatureAlgorithm, p.SignerKeyRef, p.Signature = alg, ref, sig
		})
		if err != nil {
			return meta.Evidence{}, fmt.Errorf("sign evidence %s: %w", d.ID, err)
		}
		// Stored as its canonical form: the exact bytes its packet hash is taken over (sha256sum of the
		// stored packet is the hash), which the chain's check then reads without canonicalising again.
		if raw, err = sign.Canonical(raw); err != nil {
			return meta.Evidence{}, fmt.Errorf("sign evidence %s: %w", d.ID, err)
		}
		ph, err := PacketHash(raw)
		if err != nil {
			return meta.Evidence{}, err
		}
		hd := &Head{TenantID: d.TenantID, Sequence: p.Sequence, Hash: ph, PacketID: p.ID}
		headDoc, err := sign.SignJSON(s, hd, func(alg, ref, sig string) {
			hd.SignatureAlgorithm, hd.SignerKeyRef, hd.Signature = alg, ref, sig
		})
		if err != nil {
			return meta.Evidence{}, fmt.Errorf("sign chain head %d: %w", p.Sequence, err)
		}
		return meta.Evidence{ID: p.ID, Seq: p.Sequence, Type: p.Type, DeploymentID: dep, PromotionID: p.PromotionID,
			GeneratedAt: p.GeneratedAt, PacketHash: ph, PrevHash: p.PreviousHash, Packet: raw, HeadDoc: headDoc}, nil
	})
}

// normalize makes empty lists [] rather than null and times UTC, so equal content hashes equally.
func normalize(c *Content) {
	c.Release.CreatedAt = c.Release.CreatedAt.UTC()
	if c.Key != nil {
		c.Key.At = c.Key.At.UTC()
	}
	if c.Release.Components == nil {
		c.Release.Components = []Component{}
	}
	if c.Environment.Targets == nil {
		c.Environment.Targets = []Target{}
	}
	if c.Actors.Approvers == nil {
		c.Actors.Approvers = []Approver{}
	}
	for i := range c.Actors.Approvers {
		c.Actors.Approvers[i].At = c.Actors.Approvers[i].At.UTC()
	}
	if c.Decision.Gates == nil {
		c.Decision.Gates = []Gate{}
	}
	if c.Decision.Reasons == nil {
		c.Decision.Reasons = []string{}
	}
	if c.Execution != nil && c.Execution.Artifacts == nil {
		c.Execution.Artifacts = []Artifact{}
	}
}

// DeploymentJobID is the deployment job the packet is about ("" for a release decision).
func (p *Packet) DeploymentJobID() string {
	if p.Content.Execution == nil {
		return ""
	}
	return p.Content.Execution.DeploymentJobID
}

// Parse decodes a stored packet.
func Parse(raw []byte) (*Packet, error) {
	var p Packet
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("not an evidence packet: %w", err)
	}
	return &p, nil
}

// AppendKeyRotation records a key rotation in a tenant's chain: a key_rotation packet, signed with the
// new key s, naming the reference, the closed key and its successor, and who rotated it.
// AppendKeyRevocation appends a key_revocation packet (k: action revoke, the revoked key as OldKeyID,
// the revocation time and the reason), signed with s — never the revoked key — to tenant's chain.
func AppendKeyRevocation(ctx context.Context, db meta.DB, tenant string, s *sign.Signer, k KeyEvent, by Person) (meta.Evidence, error) {
	if s.Verifier().KeyID() == k.OldKeyID {
		return meta.Evidence{}, fault.Inputf("evidence: a key_revocation packet cannot be signed with the key it revokes")
	}
	var ev meta.Evidence
	err := db.Update(ctx, tenant, func(tx meta.Tx) error {
		var err error
		ev, err = Append(ctx, tx, s, Draft{Type: TypeKeyRevocation, TenantID: tenant, Content: Content{
			Actors:   Actors{Requester: by},
			Decision: Decision{Result: "allow", Reasons: []string{fmt.Sprintf("key %s of %s revoked from %s: %s", k.OldKeyID, k.Ref, k.At.UTC().Format(time.RFC3339), k.Reason)}},
			Key:      &k,
		}})
		return err
	})
	return ev, err
}

func AppendKeyRotation(ctx context.Context, db meta.DB, tenant string, s *sign.Signer, k KeyEvent, by Person) (meta.Evidence, error) {
	var ev meta.Evidence
	err := db.Update(ctx, tenant, func(tx meta.Tx) error {
		var err error
		reasons := []string{fmt.Sprintf("key %s of %s closed at %s; key %s in use", k.OldKeyID, k.Ref, k.At.UTC().Format(time.RFC3339), k.NewKeyID)}
		if k.Reason != "" {
			reasons = append(reasons, k.Reason)
		}
		ev, err = Append(ctx, tx, s, Draft{Type: TypeKeyRotation, TenantID: tenant, Content: Content{
			Actors:   Actors{Requester: by},
			Decision: Decision{Result: "allow", Reasons: reasons},
			Key:      &k,
		}})
		return err
	})
	return ev, err
}
