package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
)

// Task types an agent runs (context.md); deploy and rollback come with the container driver.
var TaskTypes = []string{"read-sticker", "write-sticker", "health-check"}

// AgentTask is an agent task as the API shows it.
type AgentTask struct {
	ID           string          `json:"id"`
	TargetID     string          `json:"targetId"`
	Type         string          `json:"type"`
	DeploymentID string          `json:"deploymentId,omitempty"`
	Payload      json.RawMessage `json:"payload"`
	Status       string          `json:"status"`
	TimeoutMs    int64           `json:"timeoutMs"`
	CreatedAt    time.Time       `json:"createdAt"`
	ExpiresAt    time.Time       `json:"expiresAt"`
	AgentID      string          `json:"agentId,omitempty"`
	Result       json.RawMessage `json:"result,omitempty"`
}

func taskOf(k meta.AgentTask) AgentTask {
	t := AgentTask{ID: k.ID, TargetID: k.TargetID, Type: k.Type, DeploymentID: k.DeploymentID, Payload: k.Payload, Status: k.Status,
		TimeoutMs: k.Timeout.Milliseconds(), CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, AgentID: k.AgentID}
	if len(k.Result) > 0 {
		t.Result = k.Result
	}
	return t
}

// TaskResult is what an agent reports: success, whether a failure is worth retrying, the error, timings
// and the task's output (for read-sticker: the sticker found, as text).
type TaskResult struct {
	Status     string          `json:"status"` // succeeded | failed | interrupted
	Retriable  bool            `json:"retriable"`
	Error      string          `json:"error,omitempty"`
	StartedAt  time.Time       `json:"startedAt"`
	FinishedAt time.Time       `json:"finishedAt"`
	Output     json.RawMessage `json:"output,omitempty"`
	// Drift is the server's DriftCheck of a read-sticker result against the target's last issued sticker.
	Drift *drift.Result `json:"drift,omitempty"`
}

// createTask queues a task for a target (people with write rights).
func (s *Server) createTask(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in struct {
		ID           string          `json:"id"`
		Type         string          `json:"type"`
		DeploymentID string          `json:"deploymentId"`
		Payload      json.RawMessage `json:"payload"`
		Timeout      string          `json:"timeout"`
		ExpiresIn    string          `json:"expiresIn"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return badField("/", "a task is {id?, type, deploymentId?, payload?, timeout?, expiresIn?}: %v", err)
	}
	if !slices.Contains(TaskTypes, in.Type) {
		return badField("/type", "%q is not one of %v", in.Type, TaskTypes)
	}
	if in.Type == "write-sticker" && in.DeploymentID == "" {
		return badField("/deploymentId", "required for write-sticker")
	}
	if in.ID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		in.ID = "task-" + hex.EncodeToString(b)
	}
	if !release.IsSafeName(in.ID) {
		return badField("/id", "%q is not a safe name", in.ID)
	}
	dur := func(field, v string, def time.Duration) (time.Duration, error) {
		if v == "" {
			return def, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 24*time.Hour {
			return 0, badField("/"+field, "%q is not a duration from 1s to 24h", v)
		}
		return d, nil
	}
	timeout, err := dur("timeout", in.Timeout, 5*time.Minute)
	if err != nil {
		return err
	}
	expires, err := dur("expiresIn", in.ExpiresIn, time.Hour)
	if err != nil {
		return err
	}
	if len(in.Payload) == 0 {
		in.Payload = json.RawMessage("{}")
	}
	now := s.now()
	k := meta.AgentTask{ID: in.ID, TargetID: r.PathValue("id"), Type: in.Type, DeploymentID: in.DeploymentID, Payload: in.Payload,
		Status: meta.TaskQueued, Timeout: timeout, CreatedAt: now, ExpiresAt: now.Add(expires)}
	err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		if k.DeploymentID != "" {
			if _, err := tx.Deployment(r.Context(), k.DeploymentID); err != nil {
				return err
			}
		}
		return tx.CreateAgentTask(r.Context(), k)
	})
	if err != nil {
		if errors.Is(err, meta.ErrExists) {
			return fault.Existsf("task %s already exists", in.ID)
		}
		return err
	}
	writeJSON(w, http.StatusCreated, taskOf(k))
	return nil
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var k meta.AgentTask
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		k, err = tx.AgentTask(r.Context(), r.PathValue("taskId"))
		return err
	})
	if err != nil {
		return err
	}
	if k.TargetID != r.PathValue("id") {
		return fault.NotFoundf("task %s of target %s: not found", capID(k.ID), capID(r.PathValue("id")))
	}
	writeJSON(w, http.StatusOK, taskOf(k))
	return nil
}

// MaxWait bounds a long poll.
const MaxWait = 30 * time.Second

// nextTask leases the calling agent's next task, waiting up to ?wait= (at most MaxWait) for one: 200
// with the task, or 204 when none came.
func (s *Server) nextTask(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	if p.AgentID == "" || p.TargetID == "" {
		return fault.Wrap(fault.Forbidden, errors.New("only a registered agent leases tasks"))
	}
	wait := time.Duration(0)
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fault.Inputf("query parameter wait: %q is not a duration", v)
		}
		wait = min(d, MaxWait)
	}
	deadline := time.Now().Add(wait)
	for {
		var k meta.AgentTask
		err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
			var err error
			k, err = tx.LeaseAgentTask(r.Context(), p.TargetID, p.AgentID, s.now())
			return err
		})
		if err == nil {
			writeJSON(w, http.StatusOK, taskOf(k))
			return nil
		}
		if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if !time.Now().Before(deadline) {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// taskResult records an agent's result once; a read-sticker result gets the server's DriftCheck against
// the target's last issued sticker.
func (s *Server) taskResult(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var res TaskResult
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return badField("/", "a result is {status, retriable, error?, startedAt, finishedAt, output?}: %v", err)
	}
	if !slices.Contains([]string{meta.TaskSucceeded, meta.TaskFailed, meta.TaskInterrupted}, res.Status) {
		return badField("/status", "%q is not succeeded, failed or interrupted", res.Status)
	}
	id := r.PathValue("id")
	var out meta.AgentTask
	err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		k, err := tx.AgentTask(r.Context(), id)
		if err != nil || k.TargetID != p.TargetID {
			return fault.NotFoundf("task %s: not found", capID(id))
		}
		res.Drift = nil
		if k.Type == "read-sticker" && res.Status == meta.TaskSucceeded {
			res.Drift, err = s.driftOf(r, tx, p, res.Output)
			if err != nil {
				return err
			}
		}
		b, _ := json.Marshal(res)
		if err := tx.FinishAgentTask(r.Context(), id, p.AgentID, res.Status, b, s.now()); err != nil {
			return err
		}
		out, err = tx.AgentTask(r.Context(), id)
		if err == nil && res.Drift != nil {
			s.noteDrift(r, tx, p, id, res.Drift)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, meta.ErrExists) {
			return fault.Existsf("task %s already has its result", capID(id))
		}
		return err
	}
	writeJSON(w, http.StatusOK, taskOf(out))
	return nil
}

// driftOf is the DriftCheck of the sticker an agent read (output {present, sticker}) against the last
// sticker issued to its target. Without an issued sticker there is nothing to compare: no result.
func (s *Server) driftOf(r *http.Request, tx meta.Tx, p meta.Token, output json.RawMessage) (*drift.Result, error) {
	var o struct {
		Present bool   `json:"present"`
		Sticker string `json:"sticker"`
	}
	if err := json.Unmarshal(output, &o); err != nil {
		return nil, badField("/output", "a read-sticker output is {present, sticker}")
	}
	ss, err := tx.Stickers(r.Context(), p.TargetID)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	actual := drift.Input{Name: "the sticker on target " + p.TargetID, Data: []byte(o.Sticker), Missing: !o.Present}
	d, err := drift.Check(drift.Input{Name: "sticker " + ss[0].ID, Data: ss[0].Doc}, actual, p.TargetID, s.trust)
	if err != nil {
		return nil, fmt.Errorf("drift of target %s: %w", p.TargetID, err)
	}
	return d, nil
}

func (s *Server) taskLog(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in struct {
		Seq  int    `json:"seq"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Seq < 0 {
		return badField("/", "a log chunk is {seq, text}")
	}
	id := r.PathValue("id")
	err = s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		k, err := tx.AgentTask(r.Context(), id)
		if err != nil || k.TargetID != p.TargetID || k.AgentID != p.AgentID {
			return fault.NotFoundf("task %s: not found", capID(id))
		}
		return tx.AppendTaskLog(r.Context(), id, in.Seq, in.Text)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// noteDrift exposes a target's new drift state as a metric and logs a change of state once — an alert
// on a transition, never a correction.
func (s *Server) noteDrift(r *http.Request, tx meta.Tx, p meta.Token, taskID string, d *drift.Result) {
	state := stateOf(d)
	for _, st := range []string{"none", "missing", "corrupted", "mismatch"} {
		v := 0.0
		if st == state {
			v = 1
		}
		s.drift.WithLabelValues(p.TenantID, p.TargetID, st).Set(v)
	}
	ks, err := tx.AgentTasks(r.Context(), p.TargetID, "read-sticker", 20)
	if err != nil {
		return
	}
	for _, k := range ks {
		if k.ID == taskID || k.Status != meta.TaskSucceeded {
			continue
		}
		var prev TaskResult
		if json.Unmarshal(k.Result, &prev) == nil && prev.Drift != nil {
			if was := stateOf(prev.Drift); was != state {
				s.cfg.Log.Warn("drift changed", "tenant", p.TenantID, "target", p.TargetID, "from", was, "to", state, "reason", d.Reason)
			}
			return
		}
	}
	if state != "none" {
		s.cfg.Log.Warn("drift found", "tenant", p.TenantID, "target", p.TargetID, "state", state, "reason", d.Reason)
	}
}
