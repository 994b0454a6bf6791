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
			if agentMay(r.Context(), tx, p, d.ID) != nil {
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
		if err := agentMay(r.Context(), tx, p, r.PathValue("id")); err != nil {
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
	return s.JobArtifacts(r.Context(), p, r.PathValue("id"))
}

// JobArtifacts reads deployment job id of the caller's tenant (fault.NotFound when absent, another
// tenant's, or — for an agent — another target's) and its recorded artifacts: the API's and the web
// interface's one read of a job's files.
func (s *Server) JobArtifacts(ctx context.Context, p meta.Token, id string) (meta.Deployment, []meta.Artifact, error) {
	var d meta.Deployment
	var as []meta.Artifact
	err := s.cfg.DB.View(ctx, p.TenantID, func(tx meta.Tx) error {
		var err error
		if d, err = tx.Deployment(ctx, id); err != nil {
			return err
		}
		if err := agentMay(ctx, tx, p, d.ID); err != nil {
			return err
		}
		as, err = tx.Artifacts(ctx, d.ID)
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
func (s *Server) openSet(ctx context.Context, tenant string, d meta.Deployment) (fs.FS, error) {
	return s.cfg.Store.Open(ctx, store.Ref{Tenant: tenant, Deployment: d.ID})
}

// Artifact finds one recorded artifact of job id and reads its stored bytes, which must be the bytes
// recorded: neither the API nor the web interface serves bytes under a checksum they do not have. (The
// API's downloads stream instead: download.go.)
func (s *Server) Artifact(ctx context.Context, p meta.Token, id, name string) (meta.Artifact, []byte, error) {
	d, a, f, err := s.openArtifact(ctx, p, id, name, s.JobArtifacts)
	if err != nil {
		return a, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return a, nil, fmt.Errorf("read artifact %s of deployment %s: %w", name, d.ID, err)
	}
	if got := checksum.Sum(data); got != a.SHA256 || int64(len(data)) != a.Size {
		return a, nil, &fault.Problems{List: []fault.Problem{{File: name, Message: "stored bytes of deployment " + d.ID + " do not match the recorded sha256", Expected: a.SHA256, Found: got}}}
	}
	return a, data, nil
}

// openArtifact finds one recorded artifact of job id (its records from records: JobArtifacts, or the
// download's cached lookup) and opens its stored file, unchecked: the caller checks its bytes before it
// sends any.
func (s *Server) openArtifact(ctx context.Context, p meta.Token, id, name string, records func(context.Context, meta.Token, string) (meta.Deployment, []meta.Artifact, error)) (meta.Deployment, meta.Artifact, fs.File, error) {
	d, a, err := s.findArtifact(ctx, p, id, name, records)
	if err != nil {
		return d, a, nil, err
	}
	f, err := s.openStored(ctx, p.TenantID, d, a)
	return d, a, f, err
}

// findArtifact finds the record of artifact name of job id in what records gives for the token.
func (s *Server) findArtifact(ctx context.Context, p meta.Token, id, name string, records func(context.Context, meta.Token, string) (meta.Deployment, []meta.Artifact, error)) (meta.Deployment, meta.Artifact, error) {
	if err := store.CheckName("artifact name", name); err != nil {
		return meta.Deployment{}, meta.Artifact{}, fault.NotFoundf("artifact %s: %v", name, err)
	}
	d, as, err := records(ctx, p, id)
	if err != nil {
		return d, meta.Artifact{}, err
	}
	for _, x := range as {
		if x.Name == name {
			return d, x, nil
		}
	}
	return d, meta.Artifact{}, fault.NotFoundf("artifact %s of deployment %s: not found", name, d.ID)
}

// openStored opens the stored file of artifact a of deployment d, unchecked.
func (s *Server) openStored(ctx context.Context, tenant string, d meta.Deployment, a meta.Artifact) (fs.File, error) {
	fsys, err := s.openSet(ctx, tenant, d)
	if err != nil {
		return nil, fmt.Errorf("read artifact %s of deployment %s: %w", a.Name, d.ID, err)
	}
	f, err := fsys.Open(a.Name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &fault.Problems{List: []fault.Problem{{File: a.Name, Message: "recorded for deployment " + d.ID + " but missing from the store"}}}
		}
		return nil, fmt.Errorf("read artifact %s of deployment %s: %w", a.Name, d.ID, err)
	}
	return f, nil
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	return s.download(w, r, p, r.PathValue("id"), manifest.FileName, true)
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	return s.download(w, r, p, r.PathValue("id"), r.PathValue("name"), true)
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

// ServeArtifact answers with an artifact's exact bytes (as read by Artifact): ETag is its SHA-256 (so If-None-Match works), and
// the digest headers carry it for clients that check what they received (RFC 9530, and RFC 3230's
// Digest for older clients). Range requests are served by http.ServeContent; Content-Digest then
// still names the whole representation, so it is only sent on a full answer.
func ServeArtifact(w http.ResponseWriter, r *http.Request, a meta.Artifact, data []byte) {
	serveData(w, r, a, newArtifactHeaders(a), data)
}

// serveData is serveWith for bytes in memory. A plain GET or HEAD (no Range, no condition) is answered
// by one Write with its Content-Length, so the header and a body that fits net/http's 4 KiB connection
// buffer with it leave in one system call (http.ServeContent copies through ReadFrom, which flushes the
// header first: always two writes). Anything else goes to http.ServeContent.
func serveData(w http.ResponseWriter, r *http.Request, a meta.Artifact, ah artifactHeaders, data []byte) {
	for _, k := range conditionalFields {
		if _, ok := r.Header[k]; ok {
			serveWith(w, r, a, ah, bytes.NewReader(data))
			return
		}
	}
	h := w.Header()
	ah.set(h, true)
	h["Accept-Ranges"] = acceptRanges
	if int64(len(data)) == a.Size {
		h["Content-Length"] = ah.length
	} else {
		h["Content-Length"] = []string{strconv.Itoa(len(data))}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data) // a client gone away is not an error of the server's
	}
}

// conditionalFields are the request header fields (canonical) that http.ServeContent answers to.
var conditionalFields = []string{"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}

var acceptRanges = []string{"bytes"}[:1:1]

// serveBytes is ServeArtifact from content (a file, or bytes in memory).
func serveBytes(w http.ResponseWriter, r *http.Request, a meta.Artifact, content io.ReadSeeker) {
	serveWith(w, r, a, newArtifactHeaders(a), content)
}

// artifactHeaders are the header fields of an answer with one artifact's bytes, built once for it.
// Their values are shared between answers and only ever replaced, never changed (each slice's cap is
// its len, so even an append copies).
type artifactHeaders struct {
	fixed  []headerField
	digest []string // Content-Digest: not on an answer to a Range
	length []string // Content-Length of the whole artifact (its recorded size)
}

type headerField struct {
	key string // canonical
	v   []string
}

func newArtifactHeaders(a meta.Artifact) artifactHeaders {
	raw, _ := hex.DecodeString(a.SHA256)
	b64 := base64.StdEncoding.EncodeToString(raw)
	one := func(v string) []string { return []string{v}[:1:1] }
	return artifactHeaders{fixed: []headerField{
		{"Content-Type", one(contentType(a.Name))},
		{"X-Content-Type-Options", one("nosniff")},
		{"Etag", one(`"` + a.SHA256 + `"`)},
		{"Repr-Digest", one("sha-256=:" + b64 + ":")},
		{"Digest", one("SHA-256=" + b64)},
		{"Cache-Control", one("private, max-age=0, must-revalidate")},
		{"Content-Disposition", one(`attachment; filename="` + a.Name + `"`)}, // safe names need no escaping
	}, digest: one("sha-256=:" + b64 + ":"), length: one(strconv.FormatInt(a.Size, 10))}
}

// set puts the fields in h, Content-Digest only on a full answer (it names the whole representation).
func (ah artifactHeaders) set(h http.Header, full bool) {
	for _, f := range ah.fixed {
		h[f.key] = f.v
	}
	if full {
		h["Content-Digest"] = ah.digest
	}
}

// serveWith is serveBytes with the artifact's header fields already built.
func serveWith(w http.ResponseWriter, r *http.Request, a meta.Artifact, ah artifactHeaders, content io.ReadSeeker) {
	h := w.Header()
	rng := r.Header.Get("Range")
	ah.set(h, rng == "")
	if rng != "" && zeroSuffixRange(rng) {
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
	vs, err := s.VerifyJob(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Name == name {
			writeJSON(w, http.StatusOK, v)
			return nil
		}
	}
	return fault.NotFoundf("artifact %s of deployment %s: not found", name, capID(r.PathValue("id")))
}

// VerifyJob verifies job id's stored set once (every checksum and signature, verify.SetAt) and reports
// each artifact — every recorded one, in the recorded order, then any stored but unrecorded file — as
// the verify endpoint answers it: the API's verify and the web interface's "verify now".
func (s *Server) VerifyJob(ctx context.Context, p meta.Token, id string) ([]Verification, error) {
	d, as, err := s.JobArtifacts(ctx, p, id)
	if err != nil {
		return nil, err
	}
	fsys, err := s.openSet(ctx, p.TenantID, d)
	if err != nil {
		return nil, fmt.Errorf("verify deployment %s: %w", d.ID, err)
	}
	res, err := verify.SetAtWith(fsys, s.cfg.Keys, p.TenantID, d.ID, verify.Options{LoadCache: s.cfg.LoadCache})
	if err != nil {
		return nil, fmt.Errorf("verify deployment %s: %w", d.ID, err)
	}
	out := make([]Verification, 0, len(as))
	seen := map[string]bool{}
	for _, a := range as {
		seen[a.Name] = true
		out = append(out, verificationOf(d.ID, a.Name, &a, res))
	}
	for _, f := range res.Files {
		if !seen[f.Name] {
			out = append(out, verificationOf(d.ID, f.Name, nil, res))
		}
	}
	return out, nil
}

// verificationOf is one artifact's state in a set's verification: its own checksum problems and those
// of the signed documents that vouch for it. rec is its record (nil: stored but not recorded).
func verificationOf(id, name string, rec *meta.Artifact, res *verify.Result) Verification {
	v := Verification{DeploymentJobID: id, Name: name, Problems: []fault.Problem{}}
	if rec != nil {
		v.ExpectedSHA256 = rec.SHA256
	}
	var stored *verify.FileResult
	for i := range res.Files {
		if res.Files[i].Name == name {
			stored = &res.Files[i]
		}
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
		if rec == nil {
			v.Checksum = "mismatch"
			v.Problems = append(v.Problems, fault.Problem{File: name, Message: "stored but not recorded for deployment " + id})
		} else if stored.SHA256 != v.ExpectedSHA256 {
			v.Checksum = "mismatch"
			v.Problems = append(v.Problems, fault.Problem{File: name, Message: "sha256 does not match the recorded artifact", Expected: v.ExpectedSHA256, Found: stored.SHA256})
		}
	}
	v.Valid = v.Checksum == "valid" && v.Signature == "valid"
	return v
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
