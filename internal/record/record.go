// Package record writes what a generated artifact set means into the metadata database: the release, the
// environment and its targets, the deployment job with one task per target, every artifact of the set
// (name, type, size, sha256, storage key), and the signed `deployment` evidence packet whose
// execution.artifacts lists every file with its hash — all in one transaction.
//
// Order and crashes: the set is stored first (create-only, atomic), the metadata second. A crash in
// between leaves a stored set with no metadata and no evidence — never evidence of a set that is not
// stored. Running the same generation again finds the set stored and the deployment unrecorded, checks the
// stored files against their manifest, and records them (Adopt): the metadata then describes the stored
// bytes, not a regeneration.
package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/sign"
)

// File is one stored file of the set.
type File struct {
	Name string
	Data []byte
}

// Deployment is one generated, stored set and what it was generated from.
type Deployment struct {
	TenantID     string
	DeploymentID string
	StoreKey     string
	Release      *release.Release
	Environment  *release.Environment
	// Targets are the targets the deployment goes to (one task each).
	Targets []release.Target
	// Digests maps component id to the digest it was pinned to.
	Digests   map[string]string
	Files     []File
	Manifest  *manifest.Manifest
	Promotion *evidence.Promotion // nil: generated without a promotion file
	// Requester stands in for the promotion's requester when there is none.
	Requester evidence.Person
	Previous  *evidence.Previous
	Now       time.Time
	Signer    *sign.Signer
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

// Exists reports whether the deployment is already recorded for the tenant.
func Exists(ctx context.Context, db meta.DB, tenant, id string) (bool, error) {
	err := db.View(ctx, tenant, func(tx meta.Tx) error {
		_, err := tx.Deployment(ctx, id)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Record writes the deployment's metadata and its evidence packet in one transaction.
func Record(ctx context.Context, db meta.DB, d Deployment) (Result, error) {
	types := map[string]string{"manifest.json": "manifest", "checksums.sha256": "checksums", "checksums.sha256.sig": "signature"}
	if d.Manifest != nil {
		for _, a := range d.Manifest.Artifacts {
			types[a.Name] = a.Type
		}
	}
	var arts []meta.Artifact
	var evArts []evidence.Artifact
	for _, f := range d.Files {
		typ := types[f.Name]
		if typ == "" {
			typ = "file"
		}
		sum := checksum.Sum(f.Data)
		arts = append(arts, meta.Artifact{Name: f.Name, Type: typ, Size: int64(len(f.Data)), SHA256: sum, StorageKey: path.Join(d.StoreKey, f.Name)})
		evArts = append(evArts, evidence.Artifact{Type: typ, Name: f.Name, ContentHash: "sha256:" + sum})
	}
	rel, env := d.Release, d.Environment
	relDoc, err := json.Marshal(rel)
	if err != nil {
		return Result{}, err
	}
	envDoc, err := json.Marshal(env)
	if err != nil {
		return Result{}, err
	}
	content := evidence.Content{
		Release:     evidence.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt, CreatedBy: rel.CreatedBy},
		Environment: evidence.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier},
		Execution:   &evidence.Execution{DeploymentJobID: d.DeploymentID, Artifacts: evArts},
		Previous:    d.Previous,
	}
	for _, c := range rel.Components {
		dg := c.Digest
		if x := d.Digests[c.ID]; x != "" {
			dg = x
		}
		content.Release.Components = append(content.Release.Components, evidence.Component{
			ID: c.ID, Name: c.Name, Digest: dg, Semver: c.Semver, Tag: c.Tag, Role: orDefault(c.Role, "primary"), ImageRepository: c.Image})
	}
	if d.Manifest != nil {
		content.Execution.Resolutions = d.Manifest.Resolutions
	}
	if s := rel.SourceRef; s != nil {
		content.Release.SourceRef = &evidence.SourceRef{Repository: s.Repository, CommitSha: s.CommitSha, Branch: s.Branch, BuildID: s.BuildID, PipelineURL: s.PipelineURL}
	}
	for _, t := range d.Targets {
		content.Environment.Targets = append(content.Environment.Targets, evidence.Target{ID: t.ID, Name: t.Name, Type: orDefault(t.Type, "compose_host")})
	}
	promotionID := ""
	if p := d.Promotion; p != nil {
		promotionID = p.ID
		content.Actors = p.Actors()
		content.Decision = p.DecisionContent()
	} else {
		content.Actors = evidence.Actors{Requester: d.Requester}
		content.Decision = evidence.Decision{Result: "allow", Reasons: []string{"generated from the command line without a promotion file: no approvals or gates recorded"}}
	}
	if d.Manifest != nil && d.Manifest.PromotionID != "" && promotionID == "" {
		promotionID = d.Manifest.PromotionID
	}

	var res Result
	err = db.Update(ctx, d.TenantID, func(tx meta.Tx) error {
		if err := tx.PutRelease(ctx, meta.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt, Doc: relDoc}); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return fault.Inputf("%s: release %s is already recorded for tenant %s with other content; a release is immutable, give it a new id", rel.File, rel.ID, d.TenantID)
			}
			return err
		}
		if err := tx.PutEnvironment(ctx, meta.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier, Doc: envDoc}); err != nil {
			return err
		}
		var tasks []meta.Task
		for _, t := range d.Targets {
			if err := tx.PutTarget(ctx, meta.Target{EnvironmentID: env.ID, ID: orDefault(t.ID, t.Name), Name: t.Name, Type: t.Type}); err != nil {
				return err
			}
			tid := orDefault(t.ID, t.Name)
			tasks = append(tasks, meta.Task{TargetID: tid, Type: "deploy", Status: meta.TaskPending, IdempotencyKey: d.TenantID + "/" + d.DeploymentID + "/" + tid})
		}
		err := tx.CreateDeployment(ctx, meta.Deployment{ID: d.DeploymentID, ReleaseID: rel.ID, EnvironmentID: env.ID, PromotionID: promotionID,
			Status: meta.StatusGenerated, CreatedAt: d.Now, StoreKey: d.StoreKey}, tasks)
		if errors.Is(err, meta.ErrExists) {
			return fault.Existsf("deployment %s/%s already exists", d.TenantID, d.DeploymentID)
		}
		if err != nil {
			return err
		}
		if err := tx.PutArtifacts(ctx, d.DeploymentID, arts); err != nil {
			return err
		}
		e, err := evidence.Append(ctx, tx, d.Signer, evidence.Draft{
			Type: evidence.TypeDeployment, TenantID: d.TenantID, PromotionID: promotionID, GeneratedAt: d.Now, Content: content,
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

// StoredFiles reads a stored set and checks each file the manifest lists against its size and sha256,
// so that Adopt records only an intact set.
func StoredFiles(set fs.FS) ([]File, *manifest.Manifest, error) {
	ents, err := fs.ReadDir(set, ".")
	if err != nil {
		return nil, nil, err
	}
	var files []File
	byName := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(set, e.Name())
		if err != nil {
			return nil, nil, err
		}
		files = append(files, File{Name: e.Name(), Data: b})
		byName[e.Name()] = b
	}
	var m manifest.Manifest
	if err := json.Unmarshal(byName["manifest.json"], &m); err != nil {
		return nil, nil, fault.Wrap(fault.Verification, fmt.Errorf("stored set: manifest.json: %v", err))
	}
	for _, a := range m.Artifacts {
		b, ok := byName[a.Name]
		if !ok || int64(len(b)) != a.Size || checksum.Sum(b) != a.SHA256 {
			return nil, nil, fault.Wrap(fault.Verification, fmt.Errorf("stored set: %s does not match its manifest entry", a.Name))
		}
	}
	return files, &m, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Precheck refuses, before anything is generated or stored, a deployment id already recorded for the
// tenant and a release id recorded with other content.
func Precheck(ctx context.Context, db meta.DB, tenant, deploymentID string, rel *release.Release) error {
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
		return nil
	})
}
