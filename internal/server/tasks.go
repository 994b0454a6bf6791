package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/script"
	"github.com/stella-ops/stella/internal/store"
)

// Task types an agent runs (context.md). deploy and rollback carry a job's set to the target (a rollback
// job's set holds the earlier digests); they are queued when a job is created, for every target of the
// job that has an agent, and can be queued again by hand.
var TaskTypes = []string{"deploy", "rollback", "read-sticker", "write-sticker", "health-check"}

// needsJob are the task types that name a deployment job of the target.
var needsJob = []string{"deploy", "rollback", "write-sticker"}

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
	var in struct {
		ID           string          `json:"id"`
		Type         string          `json:"type"`
		DeploymentID string          `json:"deploymentId"`
		Payload      json.RawMessage `json:"payload"`
		Timeout      string          `json:"timeout"`
		ExpiresIn    string          `json:"expiresIn"`
	}
	if err := readJSON(r, &in, "a task is {id?, type, deploymentId?, payload?, timeout?, expiresIn?}"); err != nil {
		return err
	}
	if !slices.Contains(TaskTypes, in.Type) {
		return badField("/type", "%q is not one of %v", in.Type, TaskTypes)
	}
	if slices.Contains(needsJob, in.Type) && in.DeploymentID == "" {
		return badField("/deploymentId", "required for %s", in.Type)
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
			if slices.Contains(needsJob, k.Type) {
				ts, err := tx.Tasks(r.Context(), k.DeploymentID)
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(ts, func(t meta.Task) bool { return t.TargetID == k.TargetID }) {
					return badField("/deploymentId", "deployment %s does not go to target %s", k.DeploymentID, k.TargetID)
				}
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
	s.tasks.wake(p.TenantID + "/" + k.TargetID)
	writeJSON(w, http.StatusCreated, taskOf(k))
	return nil
}

// dispatch queues a task of type typ (deploy or rollback) of job id for every target of the job that
// has an agent, with the id DEPLOY-JOB-TARGET (a repeated dispatch is a no-op).
func (s *Server) dispatch(r *http.Request, tenant, id, typ string) error {
	now := s.now()
	var queued []string
	err := s.cfg.DB.Update(r.Context(), tenant, func(tx meta.Tx) error {
		ts, err := tx.Tasks(r.Context(), id)
		if err != nil {
			return err
		}
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.TargetID
		}
		with, err := withAgents(r.Context(), tx, ids)
		if err != nil {
			return err
		}
		for _, t := range with {
			queued = append(queued, t)
			k := meta.AgentTask{ID: jobTaskID(typ, id, t), TargetID: t, Type: typ, DeploymentID: id, Payload: json.RawMessage("{}"),
				Status: meta.TaskQueued, Timeout: 30 * time.Minute, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
			if err := tx.CreateAgentTask(r.Context(), k); err != nil && !errors.Is(err, meta.ErrExists) {
				return err
			}
		}
		return nil
	})
	for _, t := range queued {
		s.tasks.wake(tenant + "/" + t)
	}
	return err
}

// jobTaskID is the id of a job's task on a target, the same for every ask (so queuing it again is a
// no-op): PREFIX-JOB-TARGET, or PREFIX- and a hash of both when that is longer than a safe name.
func jobTaskID(prefix, job, target string) string {
	if id := prefix + "-" + job + "-" + target; len(id) <= store.MaxName {
		return id
	}
	sum := sha256.Sum256([]byte(job + "/" + target))
	return prefix + "-" + hex.EncodeToString(sum[:16])
}

// withAgents are the targets (of ids, in their order) that have an agent not revoked.
func withAgents(ctx context.Context, tx meta.Tx, ids []string) ([]string, error) {
	as, err := tx.Agents(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range ids {
		if slices.ContainsFunc(as, func(a meta.Agent) bool { return a.TargetID == t && a.RevokedAt.IsZero() }) {
			out = append(out, t)
		}
	}
	return out, nil
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
		woken := s.tasks.wait(p.TenantID + "/" + p.TargetID)
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
		// A task queued on this replica wakes the waiters at once; one queued on another replica is
		// seen at the next poll.
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-woken:
		case <-time.After(min(time.Until(deadline), 250*time.Millisecond)):
		}
	}
}

// wakeup lets the long polls of a target wait for a task queued on this replica instead of polling the
// database: each target (tenant/target) has a channel closed at its next wake.
type wakeup struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// wait is a channel closed at key's next wake.
func (w *wakeup) wait(key string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = map[string]chan struct{}{}
	}
	c, ok := w.ch[key]
	if !ok {
		c = make(chan struct{})
		w.ch[key] = c
	}
	return c
}

func (w *wakeup) wake(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.ch[key]; ok {
		close(c)
		delete(w.ch, key)
	}
}

// taskResult records an agent's result once; a read-sticker result gets the server's DriftCheck against
// the target's last issued sticker.
func (s *Server) taskResult(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var res TaskResult
	if err := readJSON(r, &res, "a result is {status, retriable, error?, startedAt, finishedAt, output?}"); err != nil {
		return err
	}
	if !slices.Contains([]string{meta.TaskSucceeded, meta.TaskFailed, meta.TaskInterrupted}, res.Status) {
		return badField("/status", "%q is not succeeded, failed or interrupted", res.Status)
	}
	id := r.PathValue("id")
	var out meta.AgentTask
	corrected := false
	err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		corrected = false
		k, err := tx.AgentTask(r.Context(), id)
		if err != nil || k.TargetID != p.TargetID {
			return fault.NotFoundf("task %s: not found", capID(id))
		}
		res.Drift = nil
		if k.Type == "read-sticker" && res.Status == meta.TaskSucceeded {
			var should string
			res.Drift, should, err = s.driftOf(r, tx, p, res.Output)
			if err != nil {
				return err
			}
			if res.Drift != nil && res.Drift.DriftDetected {
				if corrected, err = s.correctDrift(r, tx, p, should, id, res.Drift); err != nil {
					return err
				}
			}
		}
		if (k.Type == "deploy" || k.Type == "rollback") && k.Status == meta.TaskLeased {
			// The job's part on this target follows its agent's result.
			status := meta.TaskSucceeded
			if res.Status != meta.TaskSucceeded {
				status = meta.TaskFailed
			}
			if err := tx.SetTaskStatus(r.Context(), k.DeploymentID, k.TargetID, status, oneLine(res.Error), s.now()); err != nil {
				return err
			}
			if err := s.completeDeployment(r.Context(), tx, p.TenantID, k, p.AgentID, res, false); err != nil {
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
	if corrected {
		s.tasks.wake(p.TenantID + "/" + p.TargetID)
	}
	writeJSON(w, http.StatusOK, taskOf(out))
	return nil
}

// correctDrift queues, when the environment of the deployment the target should run asks for it
// (driftCorrection: redeploy), that deployment again for the target's agent: a deploy task whose id
// names the drift check that found the drift and whose payload says why. Never while another deploy
// or rollback of the target is queued or running. It reports whether it queued one.
func (s *Server) correctDrift(r *http.Request, tx meta.Tx, p meta.Token, deployment, checkID string, d *drift.Result) (bool, error) {
	if deployment == "" {
		return false, nil
	}
	dep, err := tx.Deployment(r.Context(), deployment)
	if err != nil {
		return false, err
	}
	if s.correctionOf(r, p.TenantID, dep) != release.DriftRedeploy {
		return false, nil
	}
	for _, typ := range []string{"deploy", "rollback"} {
		ks, err := tx.AgentTasks(r.Context(), p.TargetID, typ, 20)
		if err != nil {
			return false, err
		}
		for _, k := range ks {
			if k.Status == meta.TaskQueued || k.Status == meta.TaskLeased {
				return false, nil
			}
		}
	}
	payload, _ := json.Marshal(map[string]string{"correction": "drift on target " + p.TargetID + ": " + d.Reason})
	now := s.now()
	k := meta.AgentTask{ID: jobTaskID("correct", checkID, p.TargetID), TargetID: p.TargetID, Type: "deploy", DeploymentID: dep.ID,
		Payload: payload, Status: meta.TaskQueued, Timeout: 30 * time.Minute, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	if err := tx.CreateAgentTask(r.Context(), k); err != nil {
		if errors.Is(err, meta.ErrExists) {
			return false, nil
		}
		return false, err
	}
	s.cfg.Log.Warn("drift correction queued", "tenant", p.TenantID, "target", p.TargetID, "deployment", dep.ID, "task", k.ID, "reason", d.Reason)
	return true, nil
}

// correctionOf is the driftCorrection of the environment in a deployment's signed manifest ("report"
// when it says none or the set cannot be read: a correction is only ever what a set asked for).
func (s *Server) correctionOf(r *http.Request, tenant string, d meta.Deployment) string {
	if env := s.environmentOf(r, tenant, d); env != nil && env.DriftCorrection != "" {
		return env.DriftCorrection
	}
	return release.DriftReport
}

// environmentOf is the environment in a deployment's signed manifest (remembered; nil when the set or
// its manifest cannot be read).
func (s *Server) environmentOf(r *http.Request, tenant string, d meta.Deployment) *release.Environment {
	key := tenant + "/" + d.ID
	s.locks.mu.Lock()
	env, ok := s.locks.envs[key]
	s.locks.mu.Unlock()
	if ok {
		return env
	}
	if fsys, err := s.openSet(r.Context(), tenant, d); err == nil {
		if raw, err := fs.ReadFile(fsys, manifest.FileName); err == nil {
			if m, err := manifest.Parse(raw); err == nil && m.Subject != nil {
				env = m.Subject.Environment
			}
		}
	}
	s.locks.mu.Lock()
	if s.locks.envs == nil || len(s.locks.envs) >= maxLockServices {
		s.locks.envs = map[string]*release.Environment{}
	}
	s.locks.envs[key] = env
	s.locks.mu.Unlock()
	return env
}

// driftOf is the DriftCheck of the sticker an agent read (output {present, sticker}) against the last
// sticker issued to its target, and the deployment that sticker names (what should run there). Without
// an issued sticker there is nothing to compare: no result.
func (s *Server) driftOf(r *http.Request, tx meta.Tx, p meta.Token, output json.RawMessage) (*drift.Result, string, error) {
	var o struct {
		Present bool   `json:"present"`
		Sticker string `json:"sticker"`
		// Containers, when the agent has a Compose driver, are what runs in its project.
		Containers *[]drift.Running `json:"containers"`
	}
	if err := json.Unmarshal(output, &o); err != nil {
		return nil, "", badField("/output", "a read-sticker output is {present, sticker, containers?}")
	}
	ss, err := tx.Stickers(r.Context(), p.TargetID)
	if err != nil || len(ss) == 0 {
		return nil, "", err
	}
	actual := drift.Input{Name: "the sticker on target " + p.TargetID, Data: []byte(o.Sticker), Missing: !o.Present}
	d, err := s.stickers.Check(drift.Input{Name: "sticker " + ss[0].ID, Data: ss[0].Doc}, actual, p.TargetID)
	if err != nil {
		return nil, "", fmt.Errorf("drift of target %s: %w", p.TargetID, err)
	}
	if o.Containers != nil && (!d.DriftDetected || d.DriftType == drift.Mismatch) {
		// The running containers against the lock of the deployment the target's sticker names.
		dep, err := tx.Deployment(r.Context(), ss[0].DeploymentID)
		if err != nil {
			return nil, "", err
		}
		want, err := s.servicesOf(r, p.TenantID, dep)
		if err != nil {
			return nil, "", fmt.Errorf("drift of target %s: %w", p.TargetID, err)
		}
		d.AddRunning(drift.CompareRunning(want, *o.Containers))
	}
	return d, ss[0].DeploymentID, nil
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
		s.metrics.drift(p.TenantID, p.TargetID, st, v)
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

// lockServices remembers what each deployment's lock says should run: a stored set never changes, and
// loading a lock with compose-go costs milliseconds per service, for every drift check of every target.
type lockServices struct {
	mu   sync.Mutex
	m    map[string][]drift.Service      // TENANT/DEPLOYMENT
	envs map[string]*release.Environment // TENANT/DEPLOYMENT: the environment its manifest signs
}

// maxLockServices bounds lockServices; when full it starts over.
const maxLockServices = 10000

// servicesOf is what the lock of a deployment's stored set says should run (remembered).
func (s *Server) servicesOf(r *http.Request, tenant string, d meta.Deployment) ([]drift.Service, error) {
	key := tenant + "/" + d.ID
	s.locks.mu.Lock()
	svcs, ok := s.locks.m[key]
	s.locks.mu.Unlock()
	if ok {
		return svcs, nil
	}
	svcs, err := s.loadServices(r, tenant, d)
	if err != nil {
		return nil, err
	}
	s.locks.mu.Lock()
	if s.locks.m == nil || len(s.locks.m) >= maxLockServices {
		s.locks.m = map[string][]drift.Service{}
	}
	s.locks.m[key] = svcs
	s.locks.mu.Unlock()
	return svcs, nil
}

func (s *Server) loadServices(r *http.Request, tenant string, d meta.Deployment) ([]drift.Service, error) {
	fsys, err := s.openSet(r.Context(), tenant, d)
	if err != nil {
		return nil, err
	}
	lock, err := fs.ReadFile(fsys, script.LockFileName)
	if err != nil {
		return nil, err
	}
	return drift.Services(r.Context(), lock, s.environmentOf(r, tenant, d))
}

// completionReasons say what the agent reported and, for a drift correction, why it ran.
func completionReasons(k meta.AgentTask, res TaskResult) []string {
	out := []string{"the agent of target " + k.TargetID + " reported " + res.Status}
	var p struct {
		Correction string `json:"correction"`
	}
	if json.Unmarshal(k.Payload, &p) == nil && p.Correction != "" {
		out = append(out, "a redeploy correcting "+p.Correction)
	}
	return out
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// completeDeployment appends the deployment_completed packet of a deploy or rollback task's result: the
// outcome as the agent reported it and the containers it read back, with the release and environment
// of the job as recorded and the SHA-256 of the sticker the server issued to the target (append-only:
// the job's deployment packet stays as it was). Without a signing key the server records none.
func (s *Server) completeDeployment(ctx context.Context, tx meta.Tx, tenant string, k meta.AgentTask, agentID string, res TaskResult, offline bool) error {
	if s.cfg.Signer == nil {
		return nil
	}
	d, err := tx.Deployment(ctx, k.DeploymentID)
	if err != nil {
		return err
	}
	c := &evidence.Completion{TargetID: k.TargetID, AgentID: agentID, TaskID: k.ID, Status: res.Status, Error: res.Error,
		StartedAt: res.StartedAt.UTC().Format(time.RFC3339Nano), FinishedAt: res.FinishedAt.UTC().Format(time.RFC3339Nano), Offline: offline}
	var out struct {
		Containers []evidence.CompletionContainer `json:"containers"`
	}
	if json.Unmarshal(res.Output, &out) == nil {
		c.Containers = out.Containers
	}
	if st, err := tx.Stickers(ctx, k.TargetID); err == nil {
		for _, x := range st {
			if x.DeploymentID == d.ID {
				c.StickerSHA256 = "sha256:" + x.SHA256
				break
			}
		}
	}
	content := evidence.Content{
		Actors:     evidence.Actors{Requester: evidence.Person{ID: agentID, Name: "agent " + agentID}},
		Decision:   evidence.Decision{Result: "allow", Reasons: completionReasons(k, res)},
		Execution:  &evidence.Execution{DeploymentJobID: d.ID},
		Completion: c,
	}
	if rel, err := tx.Release(ctx, d.ReleaseID); err == nil {
		content.Release = evidence.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt}
	}
	if env, err := tx.Environment(ctx, d.EnvironmentID); err == nil {
		content.Environment = evidence.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier}
	}
	_, err = evidence.Append(ctx, tx, s.cfg.Signer, evidence.Draft{Type: evidence.TypeDeploymentCompleted, TenantID: tenant,
		PromotionID: d.PromotionID, Content: content, Clock: s.cfg.Now})
	return err
}
