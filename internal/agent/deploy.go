package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/stella-ops/stella/internal/atomicfile"
	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/script"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

// DeployOutput is what a deploy task reports: the project, the containers as they run afterwards, and
// where the rollout stopped or what it returned to.
type DeployOutput struct {
	DeploymentID string      `json:"deploymentId"`
	Project      string      `json:"project"`
	Strategy     string      `json:"strategy"`
	Batches      [][]string  `json:"batches"`
	Containers   []Container `json:"containers"`
	StickerPath  string      `json:"stickerPath,omitempty"`
	// RolledBackTo is the deployment brought back after a failure (on failure: rollback).
	RolledBackTo string `json:"rolledBackTo,omitempty"`
	// Paused says the rollout stopped where it failed and was left as it was (on failure: pause).
	Paused bool `json:"paused,omitempty"`
	// Failures are the steps that failed and were passed over (on failure: continue).
	Failures []string `json:"failures,omitempty"`
}

// setDir is where the verified set of a deployment is kept on the target.
func (a *Agent) setDir(id string) string { return filepath.Join(a.Dir, "sets", id) }

// Fetch downloads a deployment's set from the server into a private directory, verifies it with the
// code of stella verify against the keys trusted at registration — bound to this agent's tenant and to
// the deployment — and only then moves it to where deployments run from. A half-downloaded or tampered
// set never gets there. A set already kept is returned as it is: Apply verifies every set before it runs.
func (a *Agent) Fetch(ctx context.Context, id string) (string, error) {
	dir := a.setDir(id)
	if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); err == nil {
		return dir, nil
	}
	c, err := a.client(ctx)
	if err != nil {
		return "", err
	}
	arts, err := c.Artifacts(ctx, id)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".download-"+id+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, art := range arts {
		if err := store.CheckName("file name", art.Name); err != nil {
			return "", fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: the server lists %q: %v", id, art.Name, err))
		}
		f, err := os.OpenFile(filepath.Join(tmp, art.Name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return "", err
		}
		_, _, err = c.Artifact(ctx, id, art.Name, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	return a.keep(tmp, id)
}

// keep verifies the set gathered in the private directory tmp and only then moves it to where
// deployments run from; when another copy got there first, that one is verified and kept.
func (a *Agent) keep(tmp, id string) (string, error) {
	if err := a.verifySet(tmp, id); err != nil {
		return "", err
	}
	dir := a.setDir(id)
	if err := os.Rename(tmp, dir); err != nil {
		if !errors.Is(err, fs.ErrExist) && !isNotEmpty(err) {
			return "", err
		}
		return dir, a.verifySet(dir, id) // another copy got there first: that one is what runs
	}
	return dir, nil
}

func isNotEmpty(err error) bool { return errors.Is(err, syscall.ENOTEMPTY) }

// verifySet verifies the set in dir as stella verify does, bound to this agent's tenant and deployment id.
func (a *Agent) verifySet(dir, id string) error {
	keys := a.Keys()
	if len(keys.Given) == 0 {
		return fault.Inputf("--state-dir %s: no trusted keys were given at registration", a.Dir)
	}
	res, err := verify.SetAt(os.DirFS(dir), keys, a.State.TenantID, id)
	if err != nil {
		return err
	}
	if !res.Valid {
		var b strings.Builder
		for i, p := range res.Problems {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p.String())
		}
		return fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: the set does not verify, nothing was run: %s", id, b.String()))
	}
	return nil
}

// ProjectName is the Compose project the agent deploys a tenant's environment as: the one the generated
// deployment scripts use (stella generate --project-name's default), unless the agent was given its own.
func (a *Agent) ProjectName(tenant, environment string) string {
	if a.Project != "" {
		return a.Project
	}
	return script.DefaultProjectName(tenant, environment)
}

// current is the deployment this agent last deployed successfully (state/current.json).
type current struct {
	DeploymentID string    `json:"deploymentId"`
	Project      string    `json:"project"`
	DeployedAt   time.Time `json:"deployedAt"`
	Previous     string    `json:"previous,omitempty"`
}

func (a *Agent) readCurrent() current {
	var c current
	if b, err := os.ReadFile(filepath.Join(a.Dir, "current.json")); err == nil {
		_ = json.Unmarshal(b, &c)
	}
	return c
}

// Apply deploys the verified set in dir (deployment id): a per-project lock, the pre-deploy hook, pull
// by digest, up in batches by the signed strategy with a health wait, a read-back of every container's
// image digest against the lock, the post-deploy hook. On a failure the strategy's onFailure decides:
// rollback brings the previous deployment back, continue goes on and reports the failures, pause stops
// where it is. The error is the failure; out says what ran.
func (a *Agent) Apply(ctx context.Context, dir, id string, log io.Writer) (*DeployOutput, error) {
	if log == nil {
		log = io.Discard
	}
	if err := a.verifySet(dir, id); err != nil {
		return nil, err
	}
	if a.Driver == nil {
		return nil, fault.Inputf("this agent has no Compose driver: run the stella-agent binary (Docker Compose SDK) or put docker compose on PATH")
	}
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	var env *release.Environment
	st := manifest.Strategy{Type: "all-at-once", OnFailure: "rollback"}
	if m.Subject != nil {
		env = m.Subject.Environment
		if m.Subject.Strategy != nil {
			st = *m.Subject.Strategy
		}
	}
	envID := m.Environment.ID
	project := a.ProjectName(m.TenantID, envID)
	out := &DeployOutput{DeploymentID: id, Project: project, Strategy: st.Type, Batches: [][]string{}, Containers: []Container{}}

	unlock, err := lockProject(ctx, filepath.Join(a.Dir, "locks"), project)
	if err != nil {
		return out, err
	}
	defer unlock()

	lock, err := os.ReadFile(filepath.Join(dir, script.LockFileName))
	if err != nil {
		return out, fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: %v", id, err))
	}
	expected, err := drift.Services(ctx, lock, env)
	if err != nil {
		return out, err
	}
	secrets, err := a.secrets(env)
	if err != nil {
		return out, err
	}
	p := Project{Name: project, Dir: dir, Files: []string{script.LockFileName}, Env: secrets, Log: log}
	if _, err := os.Stat(filepath.Join(dir, script.EnvFileName)); err == nil {
		p.EnvFiles = []string{script.EnvFileName}
	}
	prev := a.readCurrent()

	// The hooks of the set's own script, when it has one: pre-deploy before anything changes.
	hooks, _ := script.Script(dir)
	runHook := func(phase string) error {
		if hooks == "" {
			return nil
		}
		fmt.Fprintf(log, "stella-agent: %s hook\n", phase)
		code, err := script.Run(ctx, dir, script.RunOptions{WorkDir: dir, Env: append([]string{"STELLA_PHASE=" + phase}, secrets...), Stdout: log, Stderr: log})
		if err == nil && code != 0 {
			err = fmt.Errorf("%s hook of %s failed with exit status %d", phase, hooks, code)
		}
		return err
	}
	if err := runHook("preDeploy"); err != nil {
		return out, err // nothing changed yet: nothing to roll back
	}
	fmt.Fprintf(log, "stella-agent: pull %s\n", project)
	if err := a.Driver.Pull(ctx, p); err != nil {
		return out, fault.Wrap(fault.Unavailable, err)
	}

	// fail applies onFailure to a failed step: the returned error ends the rollout, nil goes on.
	fail := func(step error) error {
		fmt.Fprintf(log, "stella-agent: %v (on failure: %s)\n", step, st.OnFailure)
		switch st.OnFailure {
		case "continue":
			out.Failures = append(out.Failures, step.Error())
			return nil
		case "pause":
			out.Paused = true
			return fmt.Errorf("%w; paused where it failed (on failure: pause)", step)
		}
		if prev.DeploymentID == "" || prev.DeploymentID == id {
			return fmt.Errorf("%w; nothing to roll back to on this target", step)
		}
		if rerr := a.restore(ctx, prev.DeploymentID, log); rerr != nil {
			return fmt.Errorf("%w; rollback to %s failed: %v", step, prev.DeploymentID, rerr)
		}
		out.RolledBackTo = prev.DeploymentID
		return fmt.Errorf("%w; rolled back to %s", step, prev.DeploymentID)
	}

	names := make([]string, len(expected))
	for i, s := range expected {
		names[i] = s.Name
	}
	batches := [][]string{nil} // all at once
	if st.Type == "rolling" {
		size := max(st.BatchSize, 1)
		batches = nil
		for chunk := range slices.Chunk(names, size) {
			batches = append(batches, chunk)
		}
	}
	for _, b := range batches {
		out.Batches = append(out.Batches, append([]string{}, b...))
		fmt.Fprintf(log, "stella-agent: up %s %v\n", project, b)
		if err := a.Driver.Up(ctx, p, b); err != nil {
			if ferr := fail(err); ferr != nil {
				return out, ferr
			}
		}
	}
	// Read back what runs: every container's image digest must be the lock's.
	running, err := a.Driver.Ps(ctx, project)
	if err != nil {
		return out, err
	}
	out.Containers = running
	if ds := drift.CompareRunning(expected, runningOf(running)); len(ds) > 0 {
		var b strings.Builder
		for i, d := range ds {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(d.String())
		}
		if ferr := fail(fmt.Errorf("the running containers are not the lock's: %s", b.String())); ferr != nil {
			return out, ferr
		}
	}
	if err := runHook("postDeploy"); err != nil {
		if ferr := fail(err); ferr != nil {
			return out, ferr
		}
	}
	if len(out.Failures) > 0 {
		return out, fmt.Errorf("deployed with %d failed steps (on failure: continue): %s", len(out.Failures), strings.Join(out.Failures, "; "))
	}
	c := current{DeploymentID: id, Project: project, DeployedAt: time.Now().UTC()}
	if prev.DeploymentID != id {
		c.Previous = prev.DeploymentID
	} else {
		c.Previous = prev.Previous
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return out, atomicfile.Write(filepath.Join(a.Dir, "current.json"), append(b, '\n'), 0o600)
}

// restore brings a deployment this agent ran before back up from its kept, verified set.
func (a *Agent) restore(ctx context.Context, id string, log io.Writer) error {
	dir := a.setDir(id)
	if err := a.verifySet(dir, id); err != nil {
		return err
	}
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	var env *release.Environment
	if m.Subject != nil {
		env = m.Subject.Environment
	}
	secrets, err := a.secrets(env)
	if err != nil {
		return err
	}
	p := Project{Name: a.ProjectName(m.TenantID, m.Environment.ID), Dir: dir, Files: []string{script.LockFileName}, Env: secrets, Log: log}
	if _, err := os.Stat(filepath.Join(dir, script.EnvFileName)); err == nil {
		p.EnvFiles = []string{script.EnvFileName}
	}
	fmt.Fprintf(log, "stella-agent: rolling back to %s\n", id)
	return a.Driver.Up(ctx, p, nil)
}

func readManifest(dir string) (*manifest.Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifest.FileName))
	if err != nil {
		return nil, err
	}
	return manifest.Parse(raw)
}

func runningOf(cs []Container) []drift.Running {
	out := make([]drift.Running, len(cs))
	for i, c := range cs {
		out[i] = drift.Running{Service: c.Service, Name: c.Name, State: c.State, Digests: c.Digests}
	}
	return out
}

// secretsFile maps references the agent cannot resolve itself (vault://…) to values, on the target.
const secretsFile = "secrets.json"

// secrets resolves the environment's secret references on this host (resolveSecrets), with the state
// directory's secrets.json (0600, {"vault://kv/prod/db#url": "…"}) for other schemes.
func (a *Agent) secrets(env *release.Environment) ([]string, error) {
	table := map[string]string{}
	path := filepath.Join(a.Dir, secretsFile)
	if fi, err := os.Stat(path); err == nil {
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fault.Inputf("--state-dir %s: %s must be readable by its owner only (0600)", a.Dir, secretsFile)
		}
		b, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(b, &table)
		}
		if err != nil {
			return nil, fault.Inputf("--state-dir %s: %s is not a JSON object of references to values", a.Dir, secretsFile)
		}
	}
	return resolveSecrets(env, table)
}

// resolveSecrets resolves the environment's secret references: env:NAME (the agent's environment),
// file:PATH (a file's content, without a trailing newline), any other reference from table. A value is
// never logged or written into an error.
func resolveSecrets(env *release.Environment, table map[string]string) ([]string, error) {
	if env == nil {
		return nil, nil
	}
	var out []string
	for _, s := range env.Secrets {
		scheme, rest, _ := strings.Cut(s.Ref, ":")
		v, ok := table[s.Ref]
		if ok {
			scheme = "table"
		}
		switch scheme {
		case "table":
		case "env":
			var ok bool
			if v, ok = os.LookupEnv(rest); !ok {
				return nil, fault.Inputf("secret %s: %s is not set in the agent's environment", s.Name, s.Ref)
			}
		case "file":
			b, err := os.ReadFile(strings.TrimPrefix(rest, "//"))
			if err != nil {
				return nil, fault.Inputf("secret %s: %s: cannot be read", s.Name, s.Ref)
			}
			v = string(bytes.TrimRight(b, "\r\n"))
		default:
			return nil, fault.Inputf("secret %s: %s: not in the agent's %s, and this agent resolves only env: and file: references itself", s.Name, s.Ref, secretsFile)
		}
		out = append(out, s.Name+"="+v)
	}
	return out, nil
}

// lockProject takes the per-project lock (an flock on DIR/PROJECT.lock), waiting while ctx lasts.
func lockProject(ctx context.Context, dir, project string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, project+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("project %s is locked by another deployment: %w", project, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// deploy is the deploy (and rollback) task: fetch and verify the set, apply it, then write the sticker
// the server completes and signs.
func (a *Agent) deploy(ctx context.Context, id string, log io.Writer) (*DeployOutput, error) {
	dir, err := a.Fetch(ctx, id)
	if err != nil {
		return &DeployOutput{DeploymentID: id}, err
	}
	out, err := a.Apply(ctx, dir, id, log)
	if err != nil {
		return out, err
	}
	out.StickerPath, err = a.WriteSticker(ctx, id)
	return out, err
}

// taskLog sends a task's log to the server in numbered chunks of up to 16 KiB; a chunk that cannot be
// sent is dropped, never the task.
type taskLog struct {
	ctx  context.Context
	a    *Agent
	task string
	seq  int
	buf  bytes.Buffer
}

func (l *taskLog) Write(p []byte) (int, error) {
	l.buf.Write(p)
	if l.buf.Len() >= 16<<10 {
		l.Flush()
	}
	return len(p), nil
}

// Flush sends what is buffered.
func (l *taskLog) Flush() {
	if l.buf.Len() == 0 {
		return
	}
	text := l.buf.String()
	l.buf.Reset()
	c, err := l.a.client(l.ctx)
	if err == nil {
		err = c.TaskLog(l.ctx, l.task, l.seq, text)
	}
	if err != nil {
		l.a.Log.Warn("task log", "task", l.task, "seq", l.seq, "err", err)
	}
	l.seq++
}
