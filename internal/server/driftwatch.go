package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
)

// DriftState is a target's drift as last checked: the spec's DriftCheck, when it was checked, and since
// when the target has been in this state.
type DriftState struct {
	TargetID  string        `json:"targetId"`
	State     string        `json:"state"` // none | missing | corrupted | mismatch | unknown
	CheckedAt time.Time     `json:"checkedAt,omitzero"`
	Since     time.Time     `json:"since,omitzero"`
	Check     *drift.Result `json:"check,omitempty"`
	TaskID    string        `json:"taskId,omitempty"`
}

// queueDriftCheck asks the target's agent to read its sticker now; the answer is the task to follow.
func queueDriftCheck(ctx context.Context, tx meta.Tx, target string, now time.Time) (meta.AgentTask, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	k := meta.AgentTask{ID: "drift-" + hex.EncodeToString(b), TargetID: target, Type: "read-sticker", Payload: []byte("{}"),
		Status: meta.TaskQueued, Timeout: time.Minute, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	return k, tx.CreateAgentTask(ctx, k)
}

func (s *Server) driftCheckNow(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	t, err := s.CheckDriftNow(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/targets/"+t.TargetID+"/tasks/"+t.ID)
	writeJSON(w, http.StatusAccepted, t)
	return nil
}

// environmentDriftCheck queues a read-sticker task for every target of the environment that has an
// agent, and answers the tasks (202); the results come as each agent reports.
func (s *Server) environmentDriftCheck(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	env := r.PathValue("id")
	var out []AgentTask
	err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error {
		out = out[:0]
		ts, err := tx.Targets(r.Context(), env)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return fault.NotFoundf("environment %s: no targets recorded", capID(env))
		}
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		with, err := withAgents(r.Context(), tx, ids)
		if err != nil {
			return err
		}
		for _, t := range with {
			k, err := queueDriftCheck(r.Context(), tx, t, s.now())
			if err != nil {
				return err
			}
			out = append(out, taskOf(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range out {
		s.tasks.wake(p.TenantID + "/" + k.TargetID)
	}
	if out == nil {
		out = []AgentTask{}
	}
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

// CheckDriftNow asks target's agent to read its sticker now (the API's drift-check and the web
// interface's "check drift now"); the answer is the queued task. The caller checks the role.
func (s *Server) CheckDriftNow(ctx context.Context, p meta.Token, target string) (AgentTask, error) {
	var k meta.AgentTask
	err := s.cfg.DB.Update(ctx, p.TenantID, func(tx meta.Tx) error {
		var err error
		k, err = queueDriftCheck(ctx, tx, target, s.now())
		return err
	})
	if err == nil {
		s.tasks.wake(p.TenantID + "/" + k.TargetID) // the target's long poll answers at once
	}
	return taskOf(k), err
}

// environmentDrift lists the drift state of every target of an environment (ReadDrift of each).
func (s *Server) environmentDrift(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	env := r.PathValue("id")
	out := []DriftState{}
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		ts, err := tx.Targets(r.Context(), env)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return fault.NotFoundf("environment %s: no targets recorded", capID(env))
		}
		for _, t := range ts {
			st, err := ReadDrift(r.Context(), tx, t.ID)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func stateOf(d *drift.Result) string {
	if d == nil {
		return "unknown"
	}
	if !d.DriftDetected {
		return "none"
	}
	return d.DriftType
}

// targetDrift is the target's drift state from its read-sticker results, newest first.
func (s *Server) targetDrift(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	var st DriftState
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		st, err = ReadDrift(r.Context(), tx, r.PathValue("id"))
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// DriftLease is the lease the drift schedule holds (meta.DB.TryLease): with several replicas, one
// schedules.
const DriftLease = "drift-watch"

// ReadDrift is target's drift state from its last read-sticker results: the state of the newest
// successful check, when it was checked, and since when the target has been in that state ("unknown"
// when never checked).
func ReadDrift(ctx context.Context, tx meta.Tx, target string) (DriftState, error) {
	st := DriftState{TargetID: target, State: "unknown"}
	ks, err := tx.AgentTasksByStatus(ctx, target, "read-sticker", meta.TaskSucceeded, 500)
	if err != nil {
		return st, err
	}
	for _, k := range ks {
		if k.Status != meta.TaskSucceeded {
			continue
		}
		if st.Check == nil {
			var res TaskResult
			if json.Unmarshal(k.Result, &res) != nil || res.Drift == nil {
				continue
			}
			st.State, st.Check, st.CheckedAt, st.TaskID, st.Since = stateOf(res.Drift), res.Drift, k.FinishedAt, k.ID, k.FinishedAt
			continue
		}
		// Older results only for their state: not their stickers.
		var res struct {
			Drift *struct {
				DriftDetected bool   `json:"driftDetected"`
				DriftType     string `json:"driftType"`
			} `json:"drift"`
		}
		if json.Unmarshal(k.Result, &res) != nil || res.Drift == nil {
			continue
		}
		state := stateOf(&drift.Result{DriftDetected: res.Drift.DriftDetected, DriftType: res.Drift.DriftType})
		if state != st.State {
			break
		}
		st.Since = k.FinishedAt
	}
	return st, nil
}

// WatchDrift queues a read-sticker task for every registered agent's target every interval — its
// environment's driftInterval where it has one, else every — skipping a target whose last drift task
// is still pending, until ctx ends. It runs on the replica that holds the DriftLease lease as holder
// (taken or renewed each tick for two ticks, so another replica takes over within two ticks of the
// holder's end); it ticks every min(every, 30s) and queues the targets that are due.
func (s *Server) WatchDrift(ctx context.Context, every time.Duration, holder string) {
	tick := min(every, driftTick)
	t := time.NewTicker(tick)
	defer t.Stop()
	due := map[string]time.Time{} // TENANT/TARGET → when its next check is due
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ok, err := s.cfg.DB.TryLease(ctx, DriftLease, holder, 2*tick); err != nil || !ok {
			if err != nil {
				s.cfg.Log.Warn("drift watch", "err", err)
			}
			clear(due) // another replica schedules meanwhile: start over when this one holds it again
			continue
		}
		tenants, err := s.cfg.DB.Tenants(ctx)
		if err != nil {
			s.cfg.Log.Warn("drift watch", "err", err)
			continue
		}
		for _, tenant := range tenants {
			var queued []string
			err := s.cfg.DB.Update(ctx, tenant, func(tx meta.Tx) error {
				queued = queued[:0]
				now := s.now()
				as, err := tx.Agents(ctx)
				if err != nil {
					return err
				}
				var intervals map[string]time.Duration // read once a target is due
				seen := map[string]bool{}
				for _, a := range as {
					key := tenant + "/" + a.TargetID
					if !a.RevokedAt.IsZero() || seen[a.TargetID] || now.Before(due[key]) {
						continue
					}
					seen[a.TargetID] = true
					if intervals == nil {
						if intervals, err = driftIntervals(ctx, tx); err != nil {
							return err
						}
					}
					iv := every
					if d, ok := intervals[a.TargetID]; ok {
						iv = d
					}
					last, err := tx.AgentTasks(ctx, a.TargetID, "read-sticker", 1)
					if err != nil {
						return err
					}
					if len(last) == 1 && (last[0].Status == meta.TaskQueued || last[0].Status == meta.TaskLeased) {
						continue
					}
					// Due half a tick early, so that a check every tick is not put off to every other.
					if len(last) == 1 && now.Sub(last[0].CreatedAt) < iv-tick/2 {
						due[key] = last[0].CreatedAt.Add(iv - tick/2)
						continue
					}
					if _, err := queueDriftCheck(ctx, tx, a.TargetID, now); err != nil {
						return err
					}
					due[key] = now.Add(iv - tick/2)
					queued = append(queued, a.TargetID)
				}
				return nil
			})
			for _, t := range queued {
				s.tasks.wake(tenant + "/" + t)
			}
			if err != nil {
				s.cfg.Log.Warn("drift watch", "tenant", tenant, "err", err)
			}
		}
	}
}

// driftTick is the longest time between two looks of the drift schedule.
const driftTick = 30 * time.Second

// driftIntervals are the targets of a tenant's environments that have a driftInterval, with it.
func driftIntervals(ctx context.Context, tx meta.Tx) (map[string]time.Duration, error) {
	envs, err := tx.Environments(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Duration{}
	for _, e := range envs {
		var doc struct {
			DriftInterval string `json:"driftInterval"`
		}
		if json.Unmarshal(e.Doc, &doc) != nil || doc.DriftInterval == "" {
			continue
		}
		d, err := time.ParseDuration(doc.DriftInterval)
		if err != nil || d < release.MinDriftInterval {
			continue
		}
		ts, err := tx.Targets(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			out[t.ID] = d
		}
	}
	return out, nil
}
