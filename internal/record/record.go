// Package record writes what a stored artifact set means into the metadata database: the release, the
// environment and its targets, the deployment job with one task per target, every artifact of the set
// (name, type, size, sha256, storage key), and the signed `deployment` evidence packet whose
// execution.artifacts lists every file with its hash — all in one transaction.
//
// One rule: everything recorded is derived from the set's own files — its signed manifest (which carries
// the release as declared, the environment, the targets and the approved promotion) and its sticker
// (the pinned digests) — never from the inputs of whoever records it. Recording a set that was just
// generated and adopting one found stored (after a crash between store and record, or a lost race) are
// the same call on the same bytes, so evidence can never disagree with the stored set.
//
// Order and crashes: the records commit only once the set is stored (BeforeCommit). A crash in between
// leaves a stored set with no metadata and no evidence — never evidence of a set that is not stored.
package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
)

// File is one stored file of the set: its bytes, or — for a file not held in memory (a large
// deployment script, streamed into the store) — its size and SHA-256, which the store checked as it
// wrote the file.
type File struct {
	Name string
	Data []byte

	// Size and SHA256, when SHA256 is set, describe the file instead of Data (which is then nil).
	Size   int64
	SHA256 string
}

// sum is the file's size and lowercase hex SHA-256.
func (f File) sum() (int64, string) {
	if f.SHA256 != "" {
		return f.Size, f.SHA256
	}
	return int64(len(f.Data)), checksum.Sum(f.Data)
}

// Deployment is one stored set to record.
type Deployment struct {
	TenantID     string
	DeploymentID string
	StoreKey     string
	// Files are the set's files, exactly as stored.
	Files []File
	// Clock is the real clock (nil: time.Now): the rows' times, and the packet's generatedAt (taken under
	// the chain's lock). The artifacts' own time (which --now may fix) is inside the content
	// (execution.artifactsCreatedAt).
	Clock  func() time.Time
	Signer *sign.Signer
	// BeforeCommit, if set, runs last inside the transaction; its error rolls everything back and is
	// returned. generate waits there for the set to be stored.
	BeforeCommit func() error
}

// Result is what was recorded.
type Result struct {
	EvidenceID string
	PacketHash string
	Sequence   int64
}

// Set is a set's files with its manifest and sticker parsed: what Record derives everything from.
type Set struct {
	Files    []File
	Manifest *manifest.Manifest
	Sticker  *sticker.Sticker
}

// ParseSet reads the manifest and the sticker template of files and checks that the manifest binds the
// set to tenant/deployment and describes it (a subject, and every file it lists present with its size
// and SHA-256). It does not check signatures: the set's files are the ones generate signed, or a stored
// set that the caller verified.
func ParseSet(tenant, deployment string, files []File) (*Set, error) {
	byName := map[string][]byte{}
	byNameFile := map[string]File{}
	for _, f := range files {
		byName[f.Name] = f.Data
		byNameFile[f.Name] = f
	}
	bad := func(format string, args ...any) error {
		return fault.Wrap(fault.Verification, fmt.Errorf("set %s/%s: "+format, append([]any{tenant, deployment}, args...)...))
	}
	raw, ok := byName[manifest.FileName]
	if !ok {
		return nil, bad("no %s", manifest.FileName)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		return nil, bad("%s: %v", manifest.FileName, err)
	}
	if m.TenantID != tenant || m.DeploymentID != deployment {
		return nil, bad("%s is signed for %s/%s, not for this place", manifest.FileName, m.TenantID, m.DeploymentID)
	}
	if m.Subject == nil || m.Subject.Release == nil || m.Subject.Environment == nil {
		return nil, bad("%s has no subject (release, environment, promotion): made by an older stella, it cannot be recorded", manifest.FileName)
	}
	for _, a := range m.Artifacts {
		f, ok := byNameFile[a.Name]
		if size, sum := f.sum(); !ok || size != a.Size || sum != a.SHA256 {
			return nil, bad("%s does not match its manifest entry", a.Name)
		}
	}
	st := &sticker.Sticker{}
	if err := json.Unmarshal(byName[sticker.FileName], st); err != nil {
		return nil, bad("%s: %v", sticker.FileName, err)
	}
	if st.TenantID != tenant || st.Deployment.ID != deployment {
		return nil, bad("%s is signed for %s/%s, not for this place", sticker.FileName, st.TenantID, st.Deployment.ID)
	}
	return &Set{Files: files, Manifest: m, Sticker: st}, nil
}

func sumOf(f File) string { _, sum := f.sum(); return sum }

// typeOf is a file's artifact type: the manifest's, else what the set's own signed files are.
func (s *Set) typeOf(name string) string {
	for _, a := range s.Manifest.Artifacts {
		if a.Name == name {
			return a.Type
		}
	}
	switch name {
	case manifest.FileName:
		return "manifest"
	case checksum.FileName:
		return "checksums"
	case checksum.SigFileName:
		return "signature"
	}
	return "file"
}

// Content is the evidence content of a set: derived from its manifest and sticker alone.
func (s *Set) Content() evidence.Content {
	m, sub := s.Manifest, s.Manifest.Subject
	rel, env := sub.Release, sub.Environment
	var evArts []evidence.Artifact
	for _, f := range s.Files {
		evArts = append(evArts, evidence.Artifact{Type: s.typeOf(f.Name), Name: f.Name, ContentHash: "sha256:" + sumOf(f)})
	}
	pinned := map[string]string{}
	for _, c := range s.Sticker.Release.Components {
		pinned[c.Name] = c.Digest
	}
	content := evidence.Content{
		Release:     evidence.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt, CreatedBy: rel.CreatedBy},
		Environment: evidence.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier},
		Execution: &evidence.Execution{DeploymentJobID: m.DeploymentID, Artifacts: evArts, Resolutions: m.Resolutions,
			ArtifactsCreatedAt: m.CreatedAt},
		Previous: previousOf(s.Sticker.Previous, rel),
	}
	for _, c := range rel.Components {
		dg := c.Digest
		if x := pinned[c.Name]; x != "" {
			dg = x
		}
		content.Release.Components = append(content.Release.Components, evidence.Component{
			ID: c.ID, Name: c.Name, Digest: dg, Semver: c.Semver, Tag: c.Tag, Role: orDefault(c.Role, "primary"), ImageRepository: c.Image})
	}
	if sr := rel.SourceRef; sr != nil {
		content.Release.SourceRef = &evidence.SourceRef{Repository: sr.Repository, CommitSha: sr.CommitSha, Branch: sr.Branch, BuildID: sr.BuildID, PipelineURL: sr.PipelineURL}
	}
	for _, t := range sub.Targets {
		content.Environment.Targets = append(content.Environment.Targets, evidence.Target{ID: orDefault(t.ID, t.Name), Name: t.Name, Type: orDefault(t.Type, "compose_host")})
	}
	if rb := sub.Rollback; rb != nil {
		content.Actors = evidence.Actors{Requester: rb.Requester}
		reasons := []string{fmt.Sprintf("rollback of %s to %s (release %s) asked by %s", rb.From, rb.To, rb.ReleaseID, rb.Requester.Name)}
		if rb.Reason != "" {
			reasons = append(reasons, rb.Reason)
		}
		content.Decision = evidence.Decision{Result: "allow", Reasons: reasons}
		content.Previous = &evidence.Previous{ReleaseID: rb.ReleaseID, ReleaseName: rb.ReleaseName, Digests: rb.Digests}
	} else if p := sub.Promotion; p != nil {
		content.Actors = p.Actors()
		content.Decision = p.DecisionContent()
	} else {
		if sub.Requester != nil {
			content.Actors.Requester = *sub.Requester
		}
		why := "no promotion: the environment does not require one"
		if env.RequirePromotion != nil && !*env.RequirePromotion {
			why += " (requirePromotion: false)"
		}
		content.Decision = evidence.Decision{Result: "allow", Reasons: []string{why + "; no approvals or gates recorded"}}
	}
	return content
}

// previousOf turns the sticker's previous into the packet's: the digest is the primary component's.
func previousOf(p sticker.Previous, rel *release.Release) *evidence.Previous {
	if p.ReleaseID == "" && p.Digest == "" {
		return nil
	}
	pv := &evidence.Previous{ReleaseID: p.ReleaseID, ReleaseName: p.ReleaseName, Digests: map[string]string{}}
	if p.Digest != "" {
		name := "primary"
		for _, c := range rel.Components {
			if c.Role == "" || c.Role == "primary" {
				name = c.Name
				break
			}
		}
		pv.Digests[name] = p.Digest
	}
	return pv
}

// Record writes the deployment's metadata and its evidence packet in one transaction, all derived from
// d.Files (see the package comment).
func Record(ctx context.Context, db meta.DB, d Deployment) (Result, error) {
	set, err := ParseSet(d.TenantID, d.DeploymentID, d.Files)
	if err != nil {
		return Result{}, err
	}
	m, sub := set.Manifest, set.Manifest.Subject
	rel, env := sub.Release, sub.Environment
	var arts []meta.Artifact
	for _, f := range d.Files {
		size, sum := f.sum()
		arts = append(arts, meta.Artifact{Name: f.Name, Type: set.typeOf(f.Name), Size: size, SHA256: sum, StorageKey: path.Join(d.StoreKey, f.Name)})
	}
	relDoc, err := json.Marshal(rel)
	if err != nil {
		return Result{}, err
	}
	envDoc, err := json.Marshal(env)
	if err != nil {
		return Result{}, err
	}
	content := set.Content()
	promotionID := m.PromotionID
	clock := d.Clock
	if clock == nil {
		clock = time.Now
	}
	var res Result
	err = db.Update(ctx, d.TenantID, func(tx meta.Tx) error {
		now := clock().UTC().Truncate(time.Microsecond)
		if err := tx.PutRelease(ctx, meta.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt, Doc: relDoc}); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return fault.Inputf("%s: release %s is already recorded for tenant %s with other content; a release is immutable, give it a new id", orDefault(rel.File, "release"), rel.ID, d.TenantID)
			}
			return err
		}
		if err := tx.PutEnvironment(ctx, meta.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier, Doc: envDoc}); err != nil {
			return err
		}
		var tasks []meta.Task
		for _, t := range sub.Targets {
			tid := orDefault(t.ID, t.Name)
			if err := tx.PutTarget(ctx, meta.Target{EnvironmentID: env.ID, ID: tid, Name: t.Name, Type: t.Type}); err != nil {
				return err
			}
			tasks = append(tasks, meta.Task{TargetID: tid, Type: "deploy", Status: meta.TaskPending, IdempotencyKey: d.TenantID + "/" + d.DeploymentID + "/" + tid})
		}
		err := tx.CreateDeployment(ctx, meta.Deployment{ID: d.DeploymentID, ReleaseID: rel.ID, EnvironmentID: env.ID, PromotionID: promotionID,
			Status: meta.StatusGenerated, CreatedAt: now, StoreKey: d.StoreKey}, tasks)
		if errors.Is(err, meta.ErrExists) {
			return fault.Existsf("deployment %s/%s already exists", d.TenantID, d.DeploymentID)
		}
		if err != nil {
			return err
		}
		if err := tx.PutArtifacts(ctx, d.DeploymentID, arts); err != nil {
			return err
		}
		// The packet's time is taken by Append under the chain's lock: the real time of recording.
		typ := evidence.TypeDeployment
		if sub.Rollback != nil {
			typ = evidence.TypeRollback
		}
		e, err := evidence.Append(ctx, tx, d.Signer, evidence.Draft{
			Type: typ, TenantID: d.TenantID, PromotionID: promotionID, Content: content, Clock: clock,
		})
		if err != nil {
			return err
		}
		res = Result{EvidenceID: e.ID, PacketHash: e.PacketHash, Sequence: e.Seq}
		if d.BeforeCommit != nil {
			return d.BeforeCommit()
		}
		return nil
	})
	return res, err
}

// Recorded is the evidence of a recorded deployment and whether its recorded artifacts are exactly files:
// for a generation that stored its set while another process recorded it.
func Recorded(ctx context.Context, db meta.DB, tenant, deployment string, files []File) (Result, bool, error) {
	var res Result
	same := false
	err := db.View(ctx, tenant, func(tx meta.Tx) error {
		arts, err := tx.Artifacts(ctx, deployment)
		if err != nil {
			return err
		}
		want := map[string]string{}
		for _, f := range files {
			want[f.Name] = sumOf(f)
		}
		same = len(arts) == len(want)
		for _, a := range arts {
			if want[a.Name] != a.SHA256 {
				same = false
			}
		}
		return tx.Chain(ctx, func(e meta.Evidence) error {
			if (e.Type == evidence.TypeDeployment || e.Type == evidence.TypeRollback) && e.DeploymentID == deployment && res.EvidenceID == "" {
				res = Result{EvidenceID: e.ID, PacketHash: e.PacketHash, Sequence: e.Seq}
			}
			return nil
		})
	})
	return res, same, err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Precheck refuses, before anything is generated or stored, a deployment id already recorded for the
// tenant, a release id recorded with other content, and a promotion that another deployment of the
// tenant already carried out (promotionID empty: none).
func Precheck(ctx context.Context, db meta.DB, tenant, deploymentID string, rel *release.Release, promotionID string) error {
	relDoc, err := json.Marshal(rel)
	if err != nil {
		return err
	}
	return db.View(ctx, tenant, func(tx meta.Tx) error {
		if _, err := tx.Deployment(ctx, deploymentID); err == nil {
			return fault.Existsf("deployment %s/%s already exists", tenant, deploymentID)
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		old, err := tx.Release(ctx, rel.ID)
		if err == nil && (old.Name != rel.Name || string(old.Doc) != string(relDoc)) {
			return fault.Inputf("%s: release %s is already recorded for tenant %s with other content; a release is immutable, give it a new id", rel.File, rel.ID, tenant)
		}
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if promotionID != "" {
			d, err := tx.DeploymentByPromotion(ctx, promotionID)
			if err == nil && d.ID != deploymentID {
				return fault.Inputf("--promotion: promotion %s was already carried out by deployment %s/%s; a promotion approves one deployment", promotionID, tenant, d.ID)
			}
			if err != nil && !errors.Is(err, meta.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

// Blocked refuses a release that a rollback blocked in the environment, until someone clears it.
func Blocked(ctx context.Context, db meta.DB, tenant, environmentID, releaseID string) error {
	return db.View(ctx, tenant, func(tx meta.Tx) error {
		b, err := tx.ReleaseBlock(ctx, environmentID, releaseID)
		if errors.Is(err, meta.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return fault.Wrap(fault.Conflict, fmt.Errorf("release %s is blocked in environment %s since %s (%s rolled it back: %s); clear the block first (DELETE /api/v1/environments/%s/blocked-releases/%s)",
			releaseID, environmentID, b.BlockedAt.UTC().Format(time.RFC3339), b.BlockedBy, orDefault(b.Reason, "no reason given"), environmentID, releaseID))
	})
}
