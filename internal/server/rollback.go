package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"time"

	"github.com/stella-ops/stella/internal/deploy"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/script"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/store"
)

// RollbackRequest is the body of POST /api/v1/environments/{id}/rollback.
type RollbackRequest struct {
	// To is the deployment to return to (default: the one before the environment's current one).
	To string `json:"to,omitempty"`
	// DeploymentID is the new job's id (default: derived from the two deployments).
	DeploymentID string `json:"deploymentId,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// rollback creates a new deployment job of the environment from the exact digests, environment and
// targets of an earlier deployment's stored set, with a rollback evidence packet naming who asked. The
// release's Compose template is the one the API keeps for that release.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	if s.cfg.Signer == nil {
		return unavailable("this server has no signing key (stella serve --key REF): it cannot sign artifact sets")
	}
	var in RollbackRequest
	if err := readJSON(r, &in, "a rollback is {to?, deploymentId?, reason?}"); err != nil {
		return err
	}
	envID := r.PathValue("id")
	var current, target meta.Deployment
	var relDoc meta.Document
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		ds, err := tx.Deployments(r.Context(), 0)
		if err != nil {
			return err
		}
		var mine []meta.Deployment
		for _, d := range ds {
			if d.EnvironmentID == envID {
				mine = append(mine, d)
			}
		}
		if len(mine) == 0 {
			return fault.NotFoundf("environment %s: no deployment to roll back", capID(envID))
		}
		current = mine[0]
		switch {
		case in.To != "":
			i := slices.IndexFunc(mine, func(d meta.Deployment) bool { return d.ID == in.To })
			if i < 0 {
				return fault.NotFoundf("deployment %s of environment %s: not found", capID(in.To), capID(envID))
			}
			if i == 0 {
				return fault.Wrap(fault.Conflict, fmt.Errorf("deployment %s is the environment's current one: nothing to roll back to", in.To))
			}
			target = mine[i]
		case len(mine) < 2:
			return fault.Wrap(fault.Conflict, fmt.Errorf("environment %s has one deployment: nothing to roll back to", envID))
		default:
			target = mine[1]
		}
		relDoc, err = tx.Document(r.Context(), meta.DocRelease, target.ReleaseID)
		if errors.Is(err, meta.ErrNotFound) {
			// A release generated from the command line: the API keeps no template of it; the
			// deployment's own stored set (its signed release and its lock) is the template.
			relDoc, err = meta.Document{}, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	fsys, err := s.cfg.Store.Open(r.Context(), store.Ref{Tenant: p.TenantID, Deployment: target.ID})
	if err != nil {
		return fmt.Errorf("rollback: read %s: %w", target.ID, err)
	}
	rawMan, err := fs.ReadFile(fsys, manifest.FileName)
	if err != nil {
		return err
	}
	m, err := manifest.Parse(rawMan)
	if err != nil || m.Subject == nil || m.Subject.Release == nil || m.Subject.Environment == nil {
		return fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: its manifest has no subject to roll back to", target.ID))
	}
	rawSt, err := fs.ReadFile(fsys, sticker.FileName)
	if err != nil {
		return err
	}
	st, err := sticker.Parse(rawSt)
	if err != nil {
		return fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: %s: %w", target.ID, sticker.FileName, err))
	}
	// The release as the API keeps it, every component pinned to the digest that deployment ran.
	digests := map[string]string{}
	for _, c := range st.Release.Components {
		digests[c.Name] = c.Digest
	}
	var relJSON []byte
	var template, templateName string
	if relDoc.Body != nil {
		relJSON, template, templateName, err = splitRelease(target.ReleaseID, relDoc.Body)
	} else {
		relJSON, template, templateName, err = releaseOfSet(fsys, m)
	}
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(relJSON, &doc); err != nil {
		return err
	}
	// A release the API keeps gets the digests pinned in the release; one from the command line is
	// recorded as declared, and its template — that deployment's lock — pins them instead.
	if comps, ok := doc["components"].([]any); ok && relDoc.Body != nil {
		for _, c := range comps {
			if cm, ok := c.(map[string]any); ok {
				if name, _ := cm["name"].(string); digests[name] != "" {
					cm["digest"] = digests[name]
				}
			}
		}
	}
	relJSON, _ = json.Marshal(doc)
	envJSON, _ := json.Marshal(m.Subject.Environment)
	rel := m.Subject.Release
	inputs, err := generate.LoadBytes(generate.Source{Name: "release-" + rel.ID + ".json", Data: relJSON},
		generate.Source{Name: "environment-" + envID + ".json", Data: envJSON}, generate.Source{Name: templateName, Data: []byte(template)})
	if err != nil {
		return err
	}
	if in.DeploymentID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		in.DeploymentID = "rb-" + hex.EncodeToString(b)
	}
	if !release.IsSafeName(in.DeploymentID) {
		return badField("/deploymentId", "%q is not a safe name", in.DeploymentID)
	}
	names := []string{}
	for _, t := range m.Subject.Targets {
		names = append(names, t.Name)
	}
	rb := &manifest.Rollback{From: current.ID, To: target.ID, ReleaseID: rel.ID, ReleaseName: rel.Name, Digests: digests, Requester: person(p), Reason: in.Reason}
	res, err := s.deploy.Create(r.Context(), deploy.Request{
		Generate: generate.Request{Inputs: inputs, TenantID: p.TenantID, DeploymentID: in.DeploymentID, Signer: s.cfg.Signer,
			Now: s.now().Truncate(time.Second), TargetNames: names, Deployer: stickerDeployer(p),
			ValidCache: s.cfg.ValidCache, LoadCache: s.cfg.LoadCache},
		Rollback: rb,
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fault.NotFoundf("%v", err)
		}
		return err
	}
	// The release rolled back is blocked in this environment until someone clears it.
	if current.ReleaseID != target.ReleaseID {
		err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
			return tx.BlockRelease(r.Context(), meta.Block{EnvironmentID: envID, ReleaseID: current.ReleaseID, BlockedAt: s.now(), BlockedBy: person(p).Name, Reason: in.Reason})
		})
		if err != nil {
			return err
		}
	}
	if err := s.dispatch(r, p.TenantID, in.DeploymentID, "rollback"); err != nil {
		return err
	}
	return s.answerJob(w, r, p, in.DeploymentID, http.StatusCreated, res.Record.EvidenceID)
}

// unblock clears the block a rollback put on a release in an environment.
func (s *Server) unblock(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		return tx.UnblockRelease(r.Context(), r.PathValue("id"), r.PathValue("releaseId"))
	})
	if err != nil {
		return notFoundID(err, "block of release", r.PathValue("releaseId"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// releaseOfSet is the release of a stored set as a template for a rollback: the signed release of its
// manifest and its lock, whose every image is already pinned to the digest that deployment ran.
func releaseOfSet(fsys fs.FS, m *manifest.Manifest) (relJSON []byte, template, templateName string, err error) {
	lock, err := fs.ReadFile(fsys, script.LockFileName)
	if err != nil {
		return nil, "", "", err
	}
	rel := m.Subject.Release
	// The release file's own field names (release.yaml), which the loader reads.
	comps := make([]map[string]any, len(rel.Components))
	for i, c := range rel.Components {
		comps[i] = map[string]any{"name": c.Name, "id": c.ID, "image": c.Image, "tag": c.Tag, "digest": c.Digest, "semver": c.Semver, "role": c.Role}
	}
	doc := map[string]any{"id": rel.ID, "name": rel.Name, "createdAt": rel.CreatedAt, "compose": rel.Compose, "components": comps}
	if rel.CreatedBy != "" {
		doc["createdBy"] = rel.CreatedBy
	}
	if rel.SourceRef != nil {
		doc["sourceRef"] = rel.SourceRef
	}
	relJSON, err = json.Marshal(doc)
	if err != nil {
		return nil, "", "", err
	}
	tpl, err := lockfile.TemplateOf(lock)
	return relJSON, string(tpl), rel.Compose, err
}
