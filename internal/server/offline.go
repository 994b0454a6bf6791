package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
)

// OfflineAudience is the aud of an offline result.
const OfflineAudience = "stella-offline-result"

// OfflineResult is what stella agent apply --offline signs with the agent's key (a JWT, EdDSA): the
// result of deploying a job's set on an air-gapped target, carried back by hand.
type OfflineResult struct {
	jwt.RegisteredClaims
	TenantID     string     `json:"tenantId"`
	TargetID     string     `json:"targetId"`
	DeploymentID string     `json:"deploymentId"`
	Result       TaskResult `json:"result"`
}

// importResult records an offline result as the target's deploy task of the job (id
// offline-JOB-TARGET), once: the JWT must be signed by the key of the target's agent of this tenant,
// and name this target and a job that goes to it. The job's part on the target follows the result.
func (s *Server) importResult(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in struct {
		Result string `json:"result"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Result == "" {
		return badField("/result", "required: the signed result file stella agent apply --offline wrote")
	}
	target := r.PathValue("id")
	bad := fault.Wrap(fault.Verification, errors.New("the offline result is not signed by an agent of this target, or names another target"))
	var agent meta.Agent
	claims := &OfflineResult{}
	_, err = jwt.ParseWithClaims(in.Result, claims, s.agentKey(r.Context(), &agent), jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience(OfflineAudience), jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.cfg.Now), jwt.WithLeeway(2*time.Minute))
	if err != nil || agent.TenantID != p.TenantID || agent.TargetID != target || claims.TargetID != target || claims.TenantID != p.TenantID {
		return bad
	}
	res := claims.Result
	if !slices.Contains([]string{meta.TaskSucceeded, meta.TaskFailed}, res.Status) {
		return badField("/result", "the result's status %q is not succeeded or failed", res.Status)
	}
	res.Drift = nil
	b, _ := json.Marshal(res)
	id := jobTaskID("offline", claims.DeploymentID, target)
	k := meta.AgentTask{ID: id, TargetID: target, Type: "deploy", DeploymentID: claims.DeploymentID, Status: res.Status,
		CreatedAt: res.StartedAt, ExpiresAt: res.FinishedAt, AgentID: agent.ID, FinishedAt: res.FinishedAt, Result: b, Payload: []byte(`{"offline":true}`)}
	err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		ts, err := tx.Tasks(r.Context(), claims.DeploymentID)
		if err != nil {
			return notFoundID(err, "deployment job", claims.DeploymentID)
		}
		if !slices.ContainsFunc(ts, func(t meta.Task) bool { return t.TargetID == target }) {
			return badField("/result", "deployment %s does not go to target %s", claims.DeploymentID, target)
		}
		if err := tx.ImportAgentTask(r.Context(), k); err != nil {
			return err
		}
		status := meta.TaskSucceeded
		if res.Status != meta.TaskSucceeded {
			status = meta.TaskFailed
		}
		if err := tx.SetTaskStatus(r.Context(), claims.DeploymentID, target, status, oneLine(res.Error), s.now()); err != nil {
			return err
		}
		return s.completeDeployment(r.Context(), tx, p.TenantID, k, agent.ID, res, true)
	})
	if err != nil {
		if errors.Is(err, meta.ErrExists) {
			return fault.Existsf("the offline result of %s on %s was imported before", claims.DeploymentID, target)
		}
		return err
	}
	var out meta.AgentTask
	if err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		out, err = tx.AgentTask(r.Context(), id)
		return err
	}); err != nil {
		return fmt.Errorf("import offline result: %w", err)
	}
	writeJSON(w, http.StatusCreated, taskOf(out))
	return nil
}
