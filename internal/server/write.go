package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/stella-ops/stella/internal/deploy"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/store"
)

// MaxBody is the largest request body the API reads (a release with its Compose template).
const MaxBody = 4 << 20

// Promotion states (context.md).
const (
	PromotionPending   = "pending_approval"
	PromotionApproved  = "approved"
	PromotionRejected  = "rejected"
	PromotionDeploying = "deploying"
)

// Promotion is a promotion as the API keeps and shows it. Requester and approvers are the holders of the
// tokens that asked and decided, never what a body claims.
type Promotion struct {
	ID                string              `json:"id"`
	ReleaseID         string              `json:"releaseId"`
	EnvironmentID     string              `json:"environmentId"`
	State             string              `json:"state"`
	RequiredApprovals int                 `json:"requiredApprovals"`
	Requester         evidence.Person     `json:"requester"`
	Approvers         []evidence.Approver `json:"approvers"`
	Gates             []evidence.Gate     `json:"gates"`
	DeploymentJobID   string              `json:"deploymentJobId,omitempty"`
	CreatedAt         time.Time           `json:"createdAt"`
	UpdatedAt         time.Time           `json:"updatedAt"`
}

// StoredDocument is how a release or an environment put through the API is answered.
type StoredDocument struct {
	ID        string          `json:"id"`
	SHA256    string          `json:"sha256"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
	Document  json.RawMessage `json:"document"`
}

// readJSON reads a JSON request body (readBody) into v, refusing unknown fields: bad input naming shape,
// what a body of this request is.
func readJSON(r *http.Request, v any, shape string) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badField("/", "%s: %v", shape, err)
	}
	return nil
}

// readBody reads a JSON request body of at most MaxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, fault.Inputf("request body: %v", err)
	}
	if len(b) > MaxBody {
		return nil, fault.Wrap(fault.TooLarge, fmt.Errorf("request body: larger than %d bytes", MaxBody))
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, fault.Inputf("request body: not JSON: %v", err)
	}
	return b, nil
}

// fieldInput is bad input naming a JSON pointer into the request body.
type fieldInput struct {
	pointer string
	msg     string
}

func (e *fieldInput) Error() string { return "request body " + e.pointer + ": " + e.msg }

func badField(pointer, format string, args ...any) error {
	return fault.Wrap(fault.Input, &fieldInput{pointer: pointer, msg: fmt.Sprintf(format, args...)})
}

// asBodyError turns a loader's FILE:LINE: FIELD error into one naming the body's JSON pointer.
func asBodyError(err error) error {
	var fe *release.FieldErr
	if errors.As(err, &fe) && fault.Is(err, fault.Input) {
		p := fe.Pointer()
		if p == "" {
			p = "/"
		}
		return badField(p, "%s", fe.Msg)
	}
	return err
}

// canonical is the RFC 8785 form of a JSON document and its hex SHA-256.
func canonical(b []byte) ([]byte, string, error) {
	c, err := jcs.Transform(b)
	if err != nil {
		return nil, "", fault.Inputf("request body: %v", err)
	}
	sum := sha256.Sum256(c)
	return c, hex.EncodeToString(sum[:]), nil
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// etag answers 304 when the request already has the document's version; otherwise it sets the ETag.
func etag(w http.ResponseWriter, r *http.Request, sum string) bool {
	tag := `"` + sum + `"`
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == tag || inm == "*") {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// splitRelease takes composeTemplate out of a release body: what stays is release.yaml as JSON.
func splitRelease(id string, body []byte) (relDoc []byte, template, templateName string, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, "", "", badField("/", "a release is a JSON object")
	}
	raw, ok := m["composeTemplate"]
	if !ok {
		return nil, "", "", badField("/composeTemplate", "required: the Compose template, as text")
	}
	if err := json.Unmarshal(raw, &template); err != nil {
		return nil, "", "", badField("/composeTemplate", "must be a string (the Compose file's text)")
	}
	delete(m, "composeTemplate")
	if v, ok := m["id"]; ok {
		var got string
		if json.Unmarshal(v, &got) != nil || got != id {
			return nil, "", "", badField("/id", "%s differs from the id in the path, %q", v, id)
		}
	} else {
		m["id"], _ = json.Marshal(id)
	}
	templateName = "compose.yaml"
	if v, ok := m["compose"]; ok {
		_ = json.Unmarshal(v, &templateName)
	} else {
		m["compose"], _ = json.Marshal(templateName)
	}
	relDoc, err = json.Marshal(m)
	return relDoc, template, templateName, err
}

func (s *Server) putRelease(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	id := r.PathValue("id")
	if !release.IsSafeName(id) {
		return fault.Inputf("release id %s: not a safe name", capID(id))
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	relDoc, template, templateName, err := splitRelease(id, body)
	if err != nil {
		return err
	}
	if _, err := release.ParseRelease("release", relDoc); err != nil {
		return asBodyError(err)
	}
	if _, err := lockfile.Parse(templateName, []byte(template)); err != nil {
		return badField("/composeTemplate", "%v", err)
	}
	canon, sum, err := canonical(body)
	if err != nil {
		return err
	}
	now := s.now()
	doc := meta.Document{Kind: meta.DocRelease, ID: id, Body: canon, SHA256: sum, CreatedAt: now}
	status := http.StatusCreated
	err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		old, err := tx.Document(r.Context(), meta.DocRelease, id)
		if err == nil {
			if old.SHA256 != sum {
				return fault.Existsf("release %s already exists with other content; a release is immutable, give it a new id", id)
			}
			doc, status = old, http.StatusOK
			return nil
		}
		if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		return tx.PutDocument(r.Context(), doc, false)
	})
	if err != nil {
		return err
	}
	writeDocument(w, status, doc)
	return nil
}

func writeDocument(w http.ResponseWriter, status int, d meta.Document) {
	w.Header().Set("ETag", `"`+d.SHA256+`"`)
	writeJSON(w, status, StoredDocument{ID: d.ID, SHA256: d.SHA256, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Document: d.Body})
}

func (s *Server) getDocument(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p meta.Token) error {
		var d meta.Document
		err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
			var err error
			d, err = tx.Document(r.Context(), kind, r.PathValue("id"))
			return err
		})
		if err != nil {
			return notFoundID(err, kind, r.PathValue("id"))
		}
		if etag(w, r, d.SHA256) {
			return nil
		}
		writeDocument(w, http.StatusOK, d)
		return nil
	}
}

// notFoundID keeps a 404's message short: an id longer than a safe name is cut.
func notFoundID(err error, kind, id string) error {
	if errors.Is(err, meta.ErrNotFound) {
		return fault.NotFoundf("%s %s: not found", kind, capID(id))
	}
	return err
}

func capID(id string) string {
	if len(id) > store.MaxName {
		return fmt.Sprintf("%q… (%d bytes)", id[:store.MaxName], len(id))
	}
	return fmt.Sprintf("%q", id)
}

// Page is one page of a list: the items and the cursor of the next page ("" at the end).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func (s *Server) listDocuments(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p meta.Token) error {
		limit, err := limitParam(r, 50, 1000)
		if err != nil {
			return err
		}
		state := r.URL.Query().Get("state")
		var page Page[StoredDocument]
		page.Items = []StoredDocument{}
		err = s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
			// Read in batches until the page is full; with a state filter a batch may match nothing.
			// cursor is the last document looked at: where the next page starts.
			cursor := r.URL.Query().Get("cursor")
			for {
				ds, err := tx.Documents(r.Context(), kind, cursor, limit+1)
				if err != nil {
					return err
				}
				for _, d := range ds {
					if len(page.Items) == limit {
						page.Next = cursor
						return nil
					}
					cursor = d.ID
					if state != "" {
						var pr Promotion
						if json.Unmarshal(d.Body, &pr) != nil || pr.State != state {
							continue
						}
					}
					page.Items = append(page.Items, StoredDocument{ID: d.ID, SHA256: d.SHA256, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Document: d.Body})
				}
				if len(ds) <= limit {
					return nil
				}
			}
		})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, page)
		return nil
	}
}

func (s *Server) putEnvironment(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	id := r.PathValue("id")
	if !release.IsSafeName(id) {
		return fault.Inputf("environment id %s: not a safe name", capID(id))
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return badField("/", "an environment is a JSON object")
	}
	if v, ok := m["id"]; ok {
		var got string
		if json.Unmarshal(v, &got) != nil || got != id {
			return badField("/id", "%s differs from the id in the path, %q", v, id)
		}
	} else {
		m["id"], _ = json.Marshal(id)
	}
	doc, _ := json.Marshal(m)
	d, status, err := s.storeEnvironment(r.Context(), p.TenantID, id, doc)
	if err != nil {
		return err
	}
	writeDocument(w, status, d)
	return nil
}

// storeEnvironment checks and writes an environment document (insert or replace).
func (s *Server) storeEnvironment(ctx context.Context, tenant, id string, doc []byte) (meta.Document, int, error) {
	if _, err := release.ParseEnvironment("environment", doc); err != nil {
		return meta.Document{}, 0, asBodyError(err)
	}
	canon, sum, err := canonical(doc)
	if err != nil {
		return meta.Document{}, 0, err
	}
	now := s.now()
	d := meta.Document{Kind: meta.DocEnvironment, ID: id, Body: canon, SHA256: sum, CreatedAt: now, UpdatedAt: now}
	status := http.StatusCreated
	err = s.cfg.DB.Update(ctx, tenant, func(tx meta.Tx) error {
		old, err := tx.Document(ctx, meta.DocEnvironment, id)
		switch {
		case err == nil && old.SHA256 == sum:
			d, status = old, http.StatusOK
			return nil
		case err == nil:
			d.CreatedAt, status = old.CreatedAt, http.StatusOK
		case !errors.Is(err, meta.ErrNotFound):
			return err
		}
		return tx.PutDocument(ctx, d, true)
	})
	return d, status, err
}

func (s *Server) putTarget(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	envID, targetID := r.PathValue("id"), r.PathValue("targetId")
	if !release.IsSafeName(targetID) {
		return fault.Inputf("target id %s: not a safe name", capID(targetID))
	}
	var t release.Target
	if err := readJSON(r, &t, "a target is {name, type}"); err != nil {
		return err
	}
	if t.ID != "" && t.ID != targetID {
		return badField("/id", "%q differs from the id in the path, %q", t.ID, targetID)
	}
	t.ID = targetID
	if t.Name == "" {
		return badField("/name", "required")
	}
	var env map[string]any
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		d, err := tx.Document(r.Context(), meta.DocEnvironment, envID)
		if err != nil {
			return notFoundID(err, "environment", envID)
		}
		return json.Unmarshal(d.Body, &env)
	})
	if err != nil {
		return err
	}
	targets, _ := env["targets"].([]any)
	entry := map[string]any{"id": t.ID, "name": t.Name}
	if t.Type != "" {
		entry["type"] = t.Type
	}
	replaced := false
	for i, x := range targets {
		if m, ok := x.(map[string]any); ok && m["id"] == t.ID {
			targets[i], replaced = entry, true
		}
	}
	if !replaced {
		targets = append(targets, entry)
	}
	env["targets"] = targets
	doc, _ := json.Marshal(env)
	d, _, err := s.storeEnvironment(r.Context(), p.TenantID, envID, doc)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !replaced {
		status = http.StatusCreated
	}
	writeDocument(w, status, d)
	return nil
}

// person is the holder of a token, as a requester or approver.
func person(p meta.Token) evidence.Person {
	name := p.Name
	if name == "" {
		name = p.ID
	}
	return evidence.Person{ID: p.ID, Name: name}
}

func newPromotionID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "promo-" + hex.EncodeToString(b)
}

func (s *Server) createPromotion(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var in struct {
		ID                string          `json:"id"`
		ReleaseID         string          `json:"releaseId"`
		EnvironmentID     string          `json:"environmentId"`
		RequiredApprovals int             `json:"requiredApprovals"`
		Gates             []evidence.Gate `json:"gates"`
	}
	if err := readJSON(r, &in, "a promotion is {id?, releaseId, environmentId, requiredApprovals?, gates?}"); err != nil {
		return err
	}
	switch {
	case in.ID != "" && !release.IsSafeName(in.ID):
		return badField("/id", "%q is not a safe name", in.ID)
	case in.ReleaseID == "":
		return badField("/releaseId", "required")
	case in.EnvironmentID == "":
		return badField("/environmentId", "required")
	case in.RequiredApprovals < 0 || in.RequiredApprovals > 10:
		return badField("/requiredApprovals", "%d is not from 1 to 10", in.RequiredApprovals)
	}
	for i, g := range in.Gates {
		if g.Type == "" || g.Name == "" || g.Status == "" {
			return badField(fmt.Sprintf("/gates/%d", i), "type, name and status are required")
		}
	}
	if in.ID == "" {
		in.ID = newPromotionID()
	}
	if in.RequiredApprovals == 0 {
		in.RequiredApprovals = 1
	}
	now := s.now()
	pr := Promotion{ID: in.ID, ReleaseID: in.ReleaseID, EnvironmentID: in.EnvironmentID, State: PromotionPending,
		RequiredApprovals: in.RequiredApprovals, Requester: person(p), Approvers: []evidence.Approver{}, Gates: in.Gates, CreatedAt: now, UpdatedAt: now}
	if pr.Gates == nil {
		pr.Gates = []evidence.Gate{}
	}
	for _, g := range pr.Gates {
		if g.Status == "failed" {
			pr.State = PromotionRejected // a failed gate decides before any person does
		}
	}
	err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		if _, err := tx.Document(r.Context(), meta.DocRelease, in.ReleaseID); err != nil {
			return notFoundID(err, "release", in.ReleaseID)
		}
		if _, err := tx.Document(r.Context(), meta.DocEnvironment, in.EnvironmentID); err != nil {
			return notFoundID(err, "environment", in.EnvironmentID)
		}
		return putPromotion(r.Context(), tx, pr, false)
	})
	if err != nil {
		if errors.Is(err, meta.ErrExists) {
			return fault.Existsf("promotion %s already exists", in.ID)
		}
		return err
	}
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

func putPromotion(ctx context.Context, tx meta.Tx, pr Promotion, replace bool) error {
	b, err := json.Marshal(pr)
	if err != nil {
		return err
	}
	c, sum, err := canonical(b)
	if err != nil {
		return err
	}
	return tx.PutDocument(ctx, meta.Document{Kind: meta.DocPromotion, ID: pr.ID, Body: c, SHA256: sum, CreatedAt: pr.CreatedAt, UpdatedAt: pr.UpdatedAt}, replace)
}

func readPromotion(ctx context.Context, tx meta.Tx, id string) (Promotion, error) {
	var pr Promotion
	d, err := tx.Document(ctx, meta.DocPromotion, id)
	if err != nil {
		return pr, notFoundID(err, "promotion", id)
	}
	return pr, json.Unmarshal(d.Body, &pr)
}

func (s *Server) getPromotion(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var pr Promotion
	var sum string
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		d, err := tx.Document(r.Context(), meta.DocPromotion, r.PathValue("id"))
		if err != nil {
			return notFoundID(err, "promotion", r.PathValue("id"))
		}
		sum = d.SHA256
		return json.Unmarshal(d.Body, &pr)
	})
	if err != nil {
		return err
	}
	if etag(w, r, sum) {
		return nil
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// Decision is the answer to a promotion decision: the promotion after it and the evidence packet.
type Decision struct {
	Promotion  Promotion `json:"promotion"`
	EvidenceID string    `json:"evidenceId"`
}

// decide records a person's approval or rejection. The decider is the token's holder; the requester may
// not approve their own promotion. Each decision is a signed release_decision packet, appended in the
// same transaction as the promotion's new state.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	if s.cfg.Signer == nil {
		return unavailable("this server has no signing key (stella serve --key REF): decisions are signed evidence")
	}
	var in struct {
		Action  string `json:"action"`
		Comment string `json:"comment"`
	}
	if err := readJSON(r, &in, "a decision is {action: approve|reject, comment?}"); err != nil {
		return err
	}
	if in.Action != "approve" && in.Action != "reject" {
		return badField("/action", "%q is not approve or reject", in.Action)
	}
	var out Decision
	err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		pr, err := readPromotion(r.Context(), tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if pr.State != PromotionPending {
			return fault.Wrap(fault.Conflict, fmt.Errorf("promotion %s is %s: only a promotion pending approval is decided", pr.ID, pr.State))
		}
		who := person(p)
		if who.ID == pr.Requester.ID && in.Action == "approve" {
			return fault.Wrap(fault.Conflict, fmt.Errorf("promotion %s: its requester may not approve it", pr.ID))
		}
		for _, a := range pr.Approvers {
			if a.ID == who.ID {
				return fault.Wrap(fault.Conflict, fmt.Errorf("promotion %s: %s has already decided", pr.ID, who.ID))
			}
		}
		now := s.now()
		action := map[string]string{"approve": "approved", "reject": "rejected"}[in.Action]
		pr.Approvers = append(pr.Approvers, evidence.Approver{ID: who.ID, Name: who.Name, Action: action, At: now, Comment: in.Comment})
		approvals := 0
		for _, a := range pr.Approvers {
			if a.Action == "approved" {
				approvals++
			}
		}
		result, reasons := "allow", []string{fmt.Sprintf("approval %d of %d", approvals, pr.RequiredApprovals)}
		switch {
		case action == "rejected":
			pr.State, result, reasons = PromotionRejected, "deny", []string{"rejected by " + who.Name}
		case approvals >= pr.RequiredApprovals:
			pr.State = PromotionApproved
			reasons = append(reasons, "approved")
		default:
			reasons = append(reasons, "pending further approvals")
		}
		pr.UpdatedAt = now
		content, err := promotionContent(r.Context(), tx, pr)
		if err != nil {
			return err
		}
		content.Decision = evidence.Decision{Result: result, Gates: pr.Gates, Reasons: reasons}
		e, err := evidence.Append(r.Context(), tx, s.cfg.Signer, evidence.Draft{Type: evidence.TypeReleaseDecision, TenantID: p.TenantID, PromotionID: pr.ID, Content: content, Clock: s.cfg.Now})
		if err != nil {
			return err
		}
		out = Decision{Promotion: pr, EvidenceID: e.ID}
		return putPromotion(r.Context(), tx, pr, true)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// promotionContent is the packet content of a promotion decision: the release and environment as
// stored, the requester and approvers.
func promotionContent(ctx context.Context, tx meta.Tx, pr Promotion) (evidence.Content, error) {
	var c evidence.Content
	rd, err := tx.Document(ctx, meta.DocRelease, pr.ReleaseID)
	if err != nil {
		return c, notFoundID(err, "release", pr.ReleaseID)
	}
	relDoc, _, _, err := splitRelease(pr.ReleaseID, rd.Body)
	if err != nil {
		return c, err
	}
	rel, err := release.ParseRelease("release", relDoc)
	if err != nil {
		return c, err
	}
	ed, err := tx.Document(ctx, meta.DocEnvironment, pr.EnvironmentID)
	if err != nil {
		return c, notFoundID(err, "environment", pr.EnvironmentID)
	}
	env, err := release.ParseEnvironment("environment", ed.Body)
	if err != nil {
		return c, err
	}
	c.Release = evidence.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt, CreatedBy: rel.CreatedBy}
	for _, x := range rel.Components {
		role := x.Role
		if role == "" {
			role = "primary"
		}
		c.Release.Components = append(c.Release.Components, evidence.Component{ID: x.ID, Name: x.Name, Digest: x.Digest, Semver: x.Semver, Tag: x.Tag, Role: role, ImageRepository: x.Image})
	}
	c.Environment = evidence.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier}
	for _, t := range env.Targets {
		c.Environment.Targets = append(c.Environment.Targets, evidence.Target{ID: t.ID, Name: t.Name, Type: t.Type})
	}
	c.Actors = evidence.Actors{Requester: pr.Requester, Approvers: pr.Approvers}
	return c, nil
}

// CreateJob is the body of POST /api/v1/deployment-jobs.
type CreateJob struct {
	PromotionID  string   `json:"promotionId"`
	DeploymentID string   `json:"deploymentId,omitempty"`
	TargetNames  []string `json:"targetNames,omitempty"`
}

// JobCreated is the answer: the job and its artifacts.
type JobCreated struct {
	Job        Job        `json:"job"`
	Artifacts  []Artifact `json:"artifacts"`
	EvidenceID string     `json:"evidenceId,omitempty"`
}

// createJob generates, stores and records the deployment of an approved promotion through the same
// service as stella generate. The job id defaults to one derived from the promotion, so asking twice
// answers the same job.
func (s *Server) createJob(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	if s.cfg.Signer == nil {
		return unavailable("this server has no signing key (stella serve --key REF): it cannot sign artifact sets")
	}
	var in CreateJob
	if err := readJSON(r, &in, "a deployment job is {promotionId, deploymentId?, targetNames?}"); err != nil {
		return err
	}
	if in.PromotionID == "" {
		return badField("/promotionId", "required: the approved promotion to carry out")
	}
	if in.DeploymentID == "" {
		in.DeploymentID = "dep-" + strings.TrimPrefix(in.PromotionID, "promo-")
	}
	if !release.IsSafeName(in.DeploymentID) {
		return badField("/deploymentId", "%q is not a safe name", in.DeploymentID)
	}
	var pr Promotion
	var relBody, envBody []byte
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		if pr, err = readPromotion(r.Context(), tx, in.PromotionID); err != nil {
			return err
		}
		rd, err := tx.Document(r.Context(), meta.DocRelease, pr.ReleaseID)
		if err != nil {
			return notFoundID(err, "release", pr.ReleaseID)
		}
		ed, err := tx.Document(r.Context(), meta.DocEnvironment, pr.EnvironmentID)
		if err != nil {
			return notFoundID(err, "environment", pr.EnvironmentID)
		}
		relBody, envBody = rd.Body, ed.Body
		return nil
	})
	if err != nil {
		return err
	}
	if pr.State == PromotionDeploying && pr.DeploymentJobID == in.DeploymentID {
		return s.answerJob(w, r, p, in.DeploymentID, http.StatusOK, "")
	}
	if pr.State != PromotionApproved {
		return fault.Wrap(fault.Conflict, fmt.Errorf("promotion %s is %s: only an approved promotion is deployed", pr.ID, pr.State))
	}
	relDoc, template, templateName, err := splitRelease(pr.ReleaseID, relBody)
	if err != nil {
		return err
	}
	inputs, err := generate.LoadBytes(generate.Source{Name: "release-" + pr.ReleaseID + ".json", Data: relDoc},
		generate.Source{Name: "environment-" + pr.EnvironmentID + ".json", Data: envBody},
		generate.Source{Name: templateName, Data: []byte(template)})
	if err != nil {
		return err
	}
	promo := &evidence.Promotion{ID: pr.ID, ReleaseID: pr.ReleaseID, EnvironmentID: pr.EnvironmentID, Requester: pr.Requester,
		Approvers: pr.Approvers, Gates: pr.Gates, Decision: "allow", Reasons: []string{"approved through the API"}, File: "promotion " + pr.ID}
	pj, _ := json.Marshal(pr)
	_, psum, _ := canonical(pj)
	inputs.Files = append(inputs.Files, manifestInput("promotion", "promotion-"+pr.ID+".json", psum))
	res, err := s.deploy.Create(r.Context(), deploy.Request{
		Generate: generate.Request{Inputs: inputs, TenantID: p.TenantID, DeploymentID: in.DeploymentID, Signer: s.cfg.Signer,
			Now: s.now().Truncate(time.Second), TargetNames: in.TargetNames, Resolver: s.cfg.Resolver,
			Deployer: stickerDeployer(p), ValidCache: s.cfg.ValidCache, LoadCache: s.cfg.LoadCache},
		Promotion: promo,
	})
	if err != nil {
		if fault.Is(err, fault.Exists) {
			// Another request (another replica, another key) created this promotion's job first: the
			// job is the answer, as for a repeated request.
			var d meta.Deployment
			if verr := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
				var err error
				d, err = tx.Deployment(r.Context(), in.DeploymentID)
				return err
			}); verr == nil && d.PromotionID == pr.ID {
				return s.answerJob(w, r, p, in.DeploymentID, http.StatusOK, "")
			}
		}
		return err
	}
	err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		cur, err := readPromotion(r.Context(), tx, pr.ID)
		if err != nil {
			return err
		}
		cur.State, cur.DeploymentJobID, cur.UpdatedAt = PromotionDeploying, in.DeploymentID, s.now()
		return putPromotion(r.Context(), tx, cur, true)
	})
	if err != nil {
		return err
	}
	if err := s.dispatch(r, p.TenantID, in.DeploymentID, "deploy"); err != nil {
		return err
	}
	return s.answerJob(w, r, p, in.DeploymentID, http.StatusCreated, res.Record.EvidenceID)
}

func (s *Server) answerJob(w http.ResponseWriter, r *http.Request, p meta.Token, id string, status int, evidenceID string) error {
	var out JobCreated
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		if out.Job, err = ReadJob(r.Context(), tx, id); err != nil {
			return err
		}
		as, err := tx.Artifacts(r.Context(), id)
		for _, a := range as {
			out.Artifacts = append(out.Artifacts, Artifact{Name: a.Name, Type: a.Type, Size: a.Size, SHA256: a.SHA256})
		}
		return err
	})
	if err != nil {
		return err
	}
	out.EvidenceID = evidenceID
	w.Header().Set("Location", "/api/v1/deployment-jobs/"+id)
	writeJSON(w, status, out)
	return nil
}

// idempotent wraps a POST handler: the Idempotency-Key header is required; the first answer to a key is
// kept, and the same request with the same key gets it again; the key with another request is refused.
func (s *Server) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p meta.Token) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" || len(key) > 200 || strings.ContainsAny(key, "\x00\r\n") {
			return fault.Inputf("header Idempotency-Key: required on %s %s (a unique string of at most 200 bytes per request)", r.Method, r.Pattern)
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\x00" + string(body)))
		reqSum := hex.EncodeToString(sum[:])
		keySum := sha256.Sum256([]byte(key))
		id := hex.EncodeToString(keySum[:])
		type kept struct {
			Request string          `json:"request"`
			Status  int             `json:"status"`
			Body    json.RawMessage `json:"body"`
		}
		var old kept
		found := false
		err = s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
			d, err := tx.Document(r.Context(), meta.DocIdempotency, id)
			if errors.Is(err, meta.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			found = true
			return json.Unmarshal(d.Body, &old)
		})
		if err != nil {
			return err
		}
		if found {
			if old.Request != reqSum {
				return fault.Wrap(fault.Conflict, errors.New("header Idempotency-Key: already used for another request"))
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(old.Status)
			_, _ = w.Write(old.Body)
			return nil
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &captureWriter{ResponseWriter: w, status: http.StatusOK}
		if err := h(rec, r, p); err != nil {
			return err
		}
		if rec.status < 300 {
			k := kept{Request: reqSum, Status: rec.status, Body: json.RawMessage(bytes.TrimSpace(rec.buf.Bytes()))}
			b, _ := json.Marshal(k)
			now := s.now()
			_ = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
				return tx.PutDocument(r.Context(), meta.Document{Kind: meta.DocIdempotency, ID: id, Body: b, SHA256: reqSum, CreatedAt: now}, false)
			})
		}
		return nil
	}
}

// captureWriter passes an answer through and keeps a copy of its status and body.
type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) { c.status = code; c.ResponseWriter.WriteHeader(code) }
func (c *captureWriter) Write(b []byte) (int, error) {
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

func manifestInput(role, name, sum string) manifest.Input {
	return manifest.Input{Role: role, Name: name, SHA256: sum}
}

// stickerDeployer names the token's holder as the deployer in the set's stickers.
func stickerDeployer(p meta.Token) sticker.Deployer {
	who := person(p)
	return sticker.Deployer{UserID: who.ID, UserName: who.Name}
}
