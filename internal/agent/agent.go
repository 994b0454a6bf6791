// Package agent is the process on a target: its identity (an Ed25519 key that never leaves the host and
// the server's answer to its registration), the short-lived access tokens it trades signed assertions
// for, and the loop that heartbeats, long-polls for tasks and runs them with a journal by task id — a
// task already done returns its stored result, a task interrupted by a crash is reported interrupted
// (retriable) and never silently run again, an expired one is refused.
package agent

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/stella-ops/stella/internal/atomicfile"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stella-ops/stella/internal/client"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/verify"
)

// State is what an agent keeps in its state directory (agent.json) besides its private key (agent.key).
type State struct {
	Server      string              `json:"server"`
	AgentID     string              `json:"agentId"`
	TenantID    string              `json:"tenantId"`
	TargetID    string              `json:"targetId"`
	TrustedKeys []server.TrustedKey `json:"trustedKeys"`
}

// Agent is a registered agent.
type Agent struct {
	Dir        string // state directory
	StickerDir string // where the target's stella.version.json lives
	State      State
	key        ed25519.PrivateKey
	Log        *slog.Logger
	// Driver runs Docker Compose for deploy and rollback tasks and reads the running containers for
	// drift; nil refuses those tasks.
	Driver ComposeDriver
	// Project, when set, is the Compose project name instead of the one derived from tenant and
	// environment (several agents on one host).
	Project string
	token   server.AgentToken
}

// Load reads the agent of state directory dir.
func Load(dir string) (*Agent, error) {
	b, err := os.ReadFile(filepath.Join(dir, "agent.json"))
	if err != nil {
		return nil, fault.Inputf("--state-dir %s: not a registered agent (%v); run stella agent register", dir, err)
	}
	a := &Agent{Dir: dir, Log: slog.New(slog.DiscardHandler)}
	if err := json.Unmarshal(b, &a.State); err != nil {
		return nil, fault.Inputf("--state-dir %s: agent.json: %v", dir, err)
	}
	kf := filepath.Join(dir, "agent.key")
	if fi, err := os.Stat(kf); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return nil, fault.Inputf("--state-dir %s: agent.key must exist and be readable by its owner only (0600)", dir)
	}
	raw, err := os.ReadFile(kf)
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fault.Inputf("--state-dir %s: agent.key is not an Ed25519 seed", dir)
	}
	a.key = ed25519.NewKeyFromSeed(seed)
	return a, nil
}

// Register makes the agent's Ed25519 key pair in dir (the private key 0600; it is never sent), exchanges
// the one-time registration token with the server for the agent's identity, and keeps the answer in
// dir/agent.json. A directory that already holds an agent is refused.
func Register(ctx context.Context, serverURL, registrationToken, dir, name string) (*Agent, error) {
	keyFile := filepath.Join(dir, "agent.key")
	if _, err := os.Stat(keyFile); err == nil {
		return nil, fault.Existsf("agent already registered: %s exists (remove the state directory to register again)", keyFile)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	out, err := client.Register(ctx, serverURL, server.Register{RegistrationToken: registrationToken, PublicKey: base64.StdEncoding.EncodeToString(pub), Name: name})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(keyFile, []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return nil, err
	}
	a := &Agent{Dir: dir, key: priv, Log: slog.New(slog.DiscardHandler),
		State: State{Server: serverURL, AgentID: out.AgentID, TenantID: out.TenantID, TargetID: out.TargetID, TrustedKeys: out.TrustedKeys}}
	b, _ := json.MarshalIndent(a.State, "", "  ")
	if err := atomicfile.Write(filepath.Join(dir, "agent.json"), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return a, nil
}

// Token is a valid access token, traded for a fresh assertion when the last one is near its end.
func (a *Agent) Token(ctx context.Context) (string, error) {
	if a.token.AccessToken != "" && time.Until(a.token.ExpiresAt) > time.Minute {
		return a.token.AccessToken, nil
	}
	now := time.Now()
	as, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.RegisteredClaims{Issuer: a.State.AgentID, Subject: a.State.AgentID,
		Audience: jwt.ClaimStrings{server.AssertionAudience}, IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}).SignedString(a.key)
	if err != nil {
		return "", err
	}
	t, err := client.AgentToken(ctx, a.State.Server, as)
	if err != nil {
		return "", err
	}
	a.token = t
	return t.AccessToken, nil
}

func (a *Agent) client(ctx context.Context) (*client.Client, error) {
	tok, err := a.Token(ctx)
	if err != nil {
		return nil, err
	}
	return client.New(a.State.Server, tok)
}

// Keys are the keys trusted at registration.
func (a *Agent) Keys() verify.Keys {
	var k verify.Keys
	for _, t := range a.State.TrustedKeys {
		if v, err := sign.ParsePublicPEM(t.KeyID, []byte(t.PEM)); err == nil {
			k.Given = append(k.Given, v)
		}
	}
	return k
}

// WriteSticker fetches the target's signed sticker of a job, checks it (the trusted keys; this agent's
// tenant, target and the job) and writes it atomically, keeping the last five.
func (a *Agent) WriteSticker(ctx context.Context, job string) (string, error) {
	c, err := a.client(ctx)
	if err != nil {
		return "", err
	}
	doc, err := c.IssueSticker(ctx, job)
	if err != nil {
		return "", err
	}
	keys := a.Keys()
	if len(keys.Given) == 0 {
		return "", fault.Inputf("--state-dir %s: no trusted keys were given at registration", a.Dir)
	}
	if _, err := verify.Document(doc, keys); err != nil {
		return "", fault.Wrap(fault.Verification, fmt.Errorf("the server's sticker of %s: %v; nothing written", job, err))
	}
	st, err := sticker.Parse(doc)
	if err != nil || st.TenantID != a.State.TenantID || st.Deployment.TargetID != a.State.TargetID || st.Deployment.ID != job {
		return "", fault.Wrap(fault.Verification, fmt.Errorf("the server's sticker of %s is not this target's (%s/%s); nothing written", job, a.State.TenantID, a.State.TargetID))
	}
	return a.putSticker(doc)
}

// journalEntry is the journal of one task: started, then done with its result, then reported.
type journalEntry struct {
	Task     server.AgentTask  `json:"task"`
	State    string            `json:"state"` // started | done | reported
	Result   server.TaskResult `json:"result"`
	Recorded time.Time         `json:"recorded"`
}

func (a *Agent) journalPath(id string) string { return filepath.Join(a.Dir, "journal", id+".json") }

func (a *Agent) journal(e journalEntry) error {
	if err := os.MkdirAll(filepath.Join(a.Dir, "journal"), 0o700); err != nil {
		return err
	}
	e.Recorded = time.Now().UTC()
	b, _ := json.MarshalIndent(e, "", "  ")
	return atomicfile.Write(a.journalPath(e.Task.ID), b, 0o600)
}

// Recover reports what a crash left in the journal: a task started and not finished is reported
// interrupted (retriable), never run again; a finished one not reported is reported with its result.
func (a *Agent) Recover(ctx context.Context) error {
	ents, err := os.ReadDir(filepath.Join(a.Dir, "journal"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, d := range ents {
		b, err := os.ReadFile(filepath.Join(a.Dir, "journal", d.Name()))
		if err != nil {
			return err
		}
		var e journalEntry
		if json.Unmarshal(b, &e) != nil {
			continue
		}
		switch e.State {
		case "started":
			now := time.Now().UTC()
			e.Result = server.TaskResult{Status: "interrupted", Retriable: true, Error: "the agent stopped while running the task; it was not run again", StartedAt: e.Recorded, FinishedAt: now}
			e.State = "done"
			if err := a.journal(e); err != nil {
				return err
			}
			fallthrough
		case "done":
			if err := a.report(ctx, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Agent) report(ctx context.Context, e journalEntry) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	if err := c.TaskResult(ctx, e.Task.ID, e.Result); err != nil && !fault.Is(err, fault.Exists) {
		return err
	}
	e.State = "reported"
	return a.journal(e)
}

// RunOnce heartbeats, then leases at most one task (waiting up to wait) and runs it. It reports whether
// a task was run.
func (a *Agent) RunOnce(ctx context.Context, wait time.Duration) (bool, error) {
	c, err := a.client(ctx)
	if err != nil {
		return false, err
	}
	if err := c.Heartbeat(ctx); err != nil {
		return false, err
	}
	t, ok, err := c.NextTask(ctx, wait)
	if err != nil || !ok {
		return false, err
	}
	if b, err := os.ReadFile(a.journalPath(t.ID)); err == nil {
		// A task seen before (a repeated lease): its stored result, never a second run.
		var e journalEntry
		if json.Unmarshal(b, &e) == nil && e.State != "started" {
			return true, a.report(ctx, e)
		}
	}
	e := journalEntry{Task: t, State: "started"}
	start := time.Now().UTC()
	if !start.Before(t.ExpiresAt) {
		e.Result = server.TaskResult{Status: "failed", Error: "expired before it was started", StartedAt: start, FinishedAt: start}
	} else {
		if err := a.journal(e); err != nil {
			return true, err
		}
		tctx, cancel := context.WithTimeout(ctx, time.Duration(t.TimeoutMs)*time.Millisecond)
		e.Result = a.run(tctx, t)
		cancel()
		e.Result.StartedAt = start
		e.Result.FinishedAt = time.Now().UTC()
	}
	e.State = "done"
	if err := a.journal(e); err != nil {
		return true, err
	}
	return true, a.report(ctx, e)
}

// Run runs tasks until ctx ends, heartbeating about every 30 s (each long poll is one heartbeat).
func (a *Agent) Run(ctx context.Context) error {
	backoff := time.Second
	pending := true // what a crash left in the journal is reported first
	for ctx.Err() == nil {
		var err error
		if pending {
			// A result the server did not take (it went away) is reported again from the journal before
			// the next task; nothing is run twice.
			err = a.Recover(ctx)
		}
		if err == nil {
			_, err = a.RunOnce(ctx, 25*time.Second)
		}
		if pending = err != nil; !pending {
			backoff = time.Second
			continue
		}
		a.Log.Warn("agent", "err", err, "retry in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
	return nil
}

func (a *Agent) run(ctx context.Context, t server.AgentTask) server.TaskResult {
	fail := func(retriable bool, err error) server.TaskResult {
		return server.TaskResult{Status: "failed", Retriable: retriable, Error: err.Error()}
	}
	switch t.Type {
	case "deploy", "rollback":
		if t.DeploymentID == "" {
			return fail(false, errors.New(t.Type+": the task names no deployment"))
		}
		logw := &taskLog{ctx: ctx, a: a, task: t.ID}
		out, err := a.deploy(ctx, t.DeploymentID, logw)
		logw.Flush()
		b, _ := json.Marshal(out)
		if err != nil {
			r := fail(!fault.Is(err, fault.Verification) && !fault.Is(err, fault.Input), err)
			r.Output = b
			return r
		}
		return server.TaskResult{Status: "succeeded", Output: b}
	case "write-sticker":
		path, err := a.WriteSticker(ctx, t.DeploymentID)
		if err != nil {
			return fail(!fault.Is(err, fault.Verification), err)
		}
		out, _ := json.Marshal(map[string]string{"path": path})
		return server.TaskResult{Status: "succeeded", Output: out}
	case "read-sticker":
		data, err := os.ReadFile(filepath.Join(a.StickerDir, sticker.FileName))
		o := map[string]any{"present": err == nil, "sticker": string(data)}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(true, err)
		}
		if a.Driver != nil {
			// What runs, for the server to compare with the lock of the sticker's deployment.
			if cur := a.readCurrent(); cur.Project != "" {
				cs, err := a.Driver.Ps(ctx, cur.Project)
				if err != nil {
					return fail(true, err)
				}
				o["containers"] = runningOf(cs)
			}
		}
		out, _ := json.Marshal(o)
		return server.TaskResult{Status: "succeeded", Output: out}
	case "health-check":
		var p struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(t.Payload, &p) != nil || p.URL == "" {
			return fail(false, errors.New("health-check: payload needs a url"))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
		if err != nil {
			return fail(false, err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return fail(true, err)
		}
		res.Body.Close()
		out, _ := json.Marshal(map[string]int{"status": res.StatusCode})
		if res.StatusCode >= 300 {
			return server.TaskResult{Status: "failed", Retriable: true, Error: fmt.Sprintf("health check answered %d", res.StatusCode), Output: out}
		}
		return server.TaskResult{Status: "succeeded", Output: out}
	}
	return fail(false, fmt.Errorf("task type %q is not one this agent runs", t.Type))
}
