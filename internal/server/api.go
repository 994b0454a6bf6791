package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

// Job is a deployment job as the API shows it.
type Job struct {
	ID            string    `json:"id"`
	TenantID      string    `json:"tenantId"`
	ReleaseID     string    `json:"releaseId"`
	EnvironmentID string    `json:"environmentId"`
	PromotionID   string    `json:"promotionId,omitempty"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	Tasks         []Task    `json:"tasks,omitempty"`
}

// Task is a deployment job's part on one target.
type Task struct {
	TargetID  string    `json:"targetId"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	Message   string    `json:"message,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Artifact is one file of a deployment's artifact set (the spec's Artifact).
type Artifact struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Verification is the verify endpoint's answer for one artifact: its checksum against the recorded and
// signed lists, and the signatures of the set that vouch for it.
type Verification struct {
	DeploymentJobID string `json:"deploymentJobId"`
	Name            string `json:"name"`
	Valid           bool   `json:"valid"`
	// Checksum is "valid", "mismatch" or "missing".
	Checksum string `json:"checksum"`
	// Signature is "valid" or "invalid": checksums.sha256.sig over checksums.sha256, the manifest's
	// signature, and the artifact's own signature when it is a signed JSON document.
	Signature      string          `json:"signature"`
	SHA256         string          `json:"sha256,omitempty"`
	ExpectedSHA256 string          `json:"expectedSha256"`
	SignerKeyRef   string          `json:"signerKeyRef,omitempty"`
	KeyID          string          `json:"keyId,omitempty"`
	Problems       []fault.Problem `json:"problems"`
}

// ReadJob reads a recorded deployment job with its per-target tasks (the API's answer, and the command
// line's deployments show).
func ReadJob(ctx context.Context, tx meta.Tx, id string) (Job, error) {
	d, err := tx.Deployment(ctx, id)
	if err != nil {
		return Job{}, err
	}
	j := JobOf(tx.Tenant(), d)
	ks, err := tx.Tasks(ctx, id)
	for _, k := range ks {
		j.Tasks = append(j.Tasks, Task{TargetID: k.TargetID, Type: k.Type, Status: k.Status, Message: k.Message, UpdatedAt: k.UpdatedAt})
	}
	return j, err
}

// JobOf is a recorded deployment as the API shows a job (without its tasks).
func JobOf(tenant string, d meta.Deployment) Job {
	return Job{ID: d.ID, TenantID: tenant, ReleaseID: d.ReleaseID, EnvironmentID: d.EnvironmentID, PromotionID: d.PromotionID,
		Status: d.Status, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// limitParam reads ?limit= (default def, at most max).
func limitParam(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fault.Inputf("query parameter limit: %q is not a number from 1 to %d", v, max)
	}
	return n, nil
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	limit, err := limitParam(r, 50, 1000)
	if err != nil {
		return err
	}
	out := []Job{}
	err = s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		ds, err := tx.Deployments(r.Context(), limit)
		for _, d := range ds {
			if agentMay(tx, r, p, d.ID) != nil {
				continue // an agent lists its own target's jobs only
			}
			out = append(out, JobOf(p.TenantID, d))
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var j Job
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		if err := agentMay(tx, r, p, r.PathValue("id")); err != nil {
			return err
		}
		var err error
		j, err = ReadJob(r.Context(), tx, r.PathValue("id"))
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// artifacts reads the deployment (404 when absent or another tenant's) and its recorded artifacts.
func (s *Server) artifacts(r *http.Request, p meta.Token) (meta.Deployment, []meta.Artifact, error) {
	var d meta.Deployment
	var as []meta.Artifact
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		if d, err = tx.Deployment(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		if err := agentMay(tx, r, p, d.ID); err != nil {
			return err
		}
		as, err = tx.Artifacts(r.Context(), d.ID)
		return err
	})
	return d, as, err
}

func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	_, as, err := s.artifacts(r, p)
	if err != nil {
		return err
	}
	out := make([]Artifact, 0, len(as))
	for _, a := range as {
		out = append(out, Artifact{Name: a.Name, Type: a.Type, Size: a.Size, SHA256: a.SHA256})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// openSet opens the deployment's stored set. The store key is always the caller's tenant and the
// deployment's id: a record can never point a tenant at another tenant's set.
func (s *Server) openSet(r *http.Request, tenant string, d meta.Deployment) (fs.FS, error) {
	return s.cfg.Store.Open(r.Context(), store.Ref{Tenant: tenant, Deployment: d.ID})
}

// artifact finds one recorded artifact and opens its stored file (download.go checks that its bytes are
// the bytes recorded before any is sent: the API never serves bytes under a checksum they do not have).
func (s *Server) artifact(r *http.Request, p meta.Token, name string) (meta.Deployment, meta.Artifact, fs.File, error) {
	tenant := p.TenantID
	if err := store.CheckName("artifact name", name); err != nil {
		return meta.Deployment{}, meta.Artifact{}, nil, fault.NotFoundf("artifact %s: %v", name, err)
	}
	d, as, err := s.downloadRecords(r, p)
	if err != nil {
		return d, meta.Artifact{}, nil, err
	}
	var a meta.Artifact
	for _, x := range as {
		if x.Name == name {
			a = x
		}
	}
	if a.Name == "" {
		return d, a, nil, fault.NotFoundf("artifact %s of deployment %s: not found", name, d.ID)
	}
	fsys, err := s.openSet(r, tenant, d)
	if err != nil {
		return d, a, nil, fmt.Errorf("read artifact %s of deployment %s: %w", name, d.ID, err)
	}
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return d, a, nil, &fault.Problems{List: []fault.Problem{{File: name, Message: "recorded for deployment " + d.ID + " but missing from the store"}}}
		}
		return d, a, nil, fmt.Errorf("read artifact %s of deployment %s: %w", name, d.ID, err)
	}
	return d, a, f, nil
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	return s.download(w, r, p, manifest.FileName)
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	return s.download(w, r, p, r.PathValue("name"))
}

// contentType is the media type of an artifact by its name.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".json":
		return "application/json"
	case ".yml", ".yaml":
		return "application/yaml"
	case ".sh":
		return "text/x-shellscript; charset=utf-8"
	case ".sha256", ".sig", ".csx":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// serveBytes answers with an artifact's exact bytes: ETag is its SHA-256 (so If-None-Match works), and
// the digest headers carry it for clients that check what they received (RFC 9530, and RFC 3230's
// Digest for older clients). Range requests are served by http.ServeContent; Content-Digest then
// still names the whole representation, so it is only sent on a full answer.
func serveBytes(w http.ResponseWriter, r *http.Request, a meta.Artifact, content io.ReadSeeker) {
	raw, _ := hex.DecodeString(a.SHA256)
	b64 := base64.StdEncoding.EncodeToString(raw)
	h := w.Header()
	h.Set("Content-Type", contentType(a.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.SHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+b64+":")
	h.Set("Digest", "SHA-256="+b64)
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	if r.Header.Get("Range") == "" {
		h.Set("Content-Digest", "sha-256=:"+b64+":")
	}
	h.Set("Content-Disposition", `attachment; filename="`+a.Name+`"`) // safe names need no escaping
	if zeroSuffixRange(r.Header.Get("Range")) {
		// "bytes=-0" asks for no bytes: unsatisfiable (net/http would answer 206 with a Content-Range
		// that names no byte).
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", a.Size))
		for _, k := range []string{"Content-Digest", "Repr-Digest", "Digest", "ETag"} {
			h.Del(k)
		}
		writeJSON(w, http.StatusRequestedRangeNotSatisfiable, map[string]map[string]string{"error": {"code": "range_not_satisfiable", "message": "Range " + capID(r.Header.Get("Range")) + ": no byte is asked for"}})
		return
	}
	http.ServeContent(w, r, "", time.Time{}, content)
}

// zeroSuffixRange reports a Range header with a suffix range of length 0 ("bytes=-0").
func zeroSuffixRange(h string) bool {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok {
		return false
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "-") && strings.Trim(part[1:], "0") == "" && len(part) > 1 {
			return true
		}
	}
	return false
}

// verifyArtifact verifies the stored set (every checksum and signature, verify.Set) and reports the
// state of one artifact: its own checksum problems and those of the signed documents that vouch for it.
func (s *Server) verifyArtifact(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	name := r.PathValue("name")
	if err := store.CheckName("artifact name", name); err != nil {
		return fault.NotFoundf("artifact %s: %v", name, err)
	}
	d, as, err := s.artifacts(r, p)
	if err != nil {
		return err
	}
	v := Verification{DeploymentJobID: d.ID, Name: name, Problems: []fault.Problem{}}
	recorded := false
	for _, a := range as {
		if a.Name == name {
			v.ExpectedSHA256, recorded = a.SHA256, true
		}
	}
	fsys, err := s.openSet(r, p.TenantID, d)
	if err != nil {
		return fmt.Errorf("verify deployment %s: %w", d.ID, err)
	}
	res, err := verify.SetAt(fsys, s.cfg.Keys, p.TenantID, d.ID)
	if err != nil {
		return fmt.Errorf("verify deployment %s: %w", d.ID, err)
	}
	var stored *verify.FileResult
	for i := range res.Files {
		if res.Files[i].Name == name {
			stored = &res.Files[i]
		}
	}
	if !recorded && stored == nil {
		return fault.NotFoundf("artifact %s of deployment %s: not found", name, d.ID)
	}
	v.SignerKeyRef, v.KeyID = res.Signer, res.KeyID
	signers := map[string]bool{checksum.FileName: true, checksum.SigFileName: true, manifest.FileName: true}
	v.Checksum, v.Signature = "valid", "valid"
	for _, pr := range res.Problems {
		switch {
		case pr.File == name:
			v.Problems = append(v.Problems, pr)
			if strings.HasPrefix(pr.Message, "signature") || strings.HasPrefix(pr.Message, "not signed") || strings.HasPrefix(pr.Message, "cannot check the signature") {
				v.Signature = "invalid"
			} else {
				v.Checksum = "mismatch"
			}
		case signers[pr.File]:
			v.Problems = append(v.Problems, pr)
			v.Signature = "invalid"
		}
	}
	switch {
	case stored == nil:
		v.Checksum = "missing"
		v.Problems = append(v.Problems, fault.Problem{File: name, Message: "recorded but missing from the store"})
	default:
		v.SHA256 = stored.SHA256
		if !recorded {
			v.Checksum = "mismatch"
			v.Problems = append(v.Problems, fault.Problem{File: name, Message: "stored but not recorded for deployment " + d.ID})
		} else if stored.SHA256 != v.ExpectedSHA256 {
			v.Checksum = "mismatch"
			v.Problems = append(v.Problems, fault.Problem{File: name, Message: "sha256 does not match the recorded artifact", Expected: v.ExpectedSHA256, Found: stored.SHA256})
		}
	}
	v.Valid = v.Checksum == "valid" && v.Signature == "valid"
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) listEvidence(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	limit, err := limitParam(r, 100, 10000)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	err = s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		es, err := tx.ListEvidence(r.Context(), limit)
		for i, e := range es {
			if i > 0 {
				buf.WriteByte(',')
			}
			// The packet exactly as stored (and signed), so a client can check its hash and signature.
			if !json.Valid(e.Packet) {
				return fmt.Errorf("evidence %s: stored packet is not JSON", e.ID)
			}
			buf.Write(e.Packet)
		}
		return err
	})
	if err != nil {
		return err
	}
	buf.WriteString("]\n")
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var e meta.Evidence
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		e, err = tx.Evidence(r.Context(), r.PathValue("id"))
		return err
	})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(e.Packet)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	_, err = w.Write(e.Packet)
	return err
}
