// Package webtest builds what the web interface's tests read: deployments generated through the
// command line (signed sets in a local store, recorded with their evidence in the data directory's
// database) for two tenants, and tokens of every role, and runs the real `stella serve` on 127.0.0.1.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/cli"
	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/store"
)

// Fixture is a data directory, store and keyring with deployments acme/d1, acme/d2 and globex/g1 (all
// of release rel-7f3a to env-prod, approved by two people) and a token per tenant and role
// ("acme/admin", "acme/auditor", "globex/admin", …).
type Fixture struct {
	Dir, Data, Store, Keys string
	Tokens                 map[string]string
}

// Stella runs the command line in-process and returns stdout; a non-zero exit fails the test.
func Stella(t testing.TB, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("stella %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

func examples() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "docs", "examples")
}

// New generates the fixture.
func New(t testing.TB) *Fixture {
	t.Helper()
	f := &Fixture{Dir: t.TempDir(), Tokens: map[string]string{}}
	f.Data, f.Store, f.Keys = filepath.Join(f.Dir, "data"), filepath.Join(f.Dir, "store"), filepath.Join(f.Dir, "keys")
	Stella(t, "keys", "generate", "stella/signing/test", "--alg", "EdDSA", "--keyring", f.Keys)
	for i, d := range []struct{ tenant, id string }{{"acme", "d1"}, {"acme", "d2"}, {"globex", "g1"}} {
		promo := filepath.Join(f.Dir, d.tenant+"-"+d.id+"-promotion.yaml")
		at := time.Date(2026, 1, 10, 14, i, 0, 0, time.UTC)
		if err := os.WriteFile(promo, []byte(fmt.Sprintf(`id: promo-%s
releaseId: rel-7f3a
environmentId: env-prod
requester: {id: u-1, name: Jane Doe}
approvers:
  - {id: u-2, name: John Roe, action: approved, at: %s}
  - {id: u-3, name: Ana Lima, action: approved, at: %s}
gates:
  - {type: policy, name: no-critical-cves, status: passed, message: ok}
  - {type: approval, name: two-approvers, status: passed, message: 2 of 2 approvals}
decision: allow
reasons:
  - all gates passed
`, d.id, at.Add(-time.Hour).Format(time.RFC3339), at.Add(-30*time.Minute).Format(time.RFC3339))), 0o644); err != nil {
			t.Fatal(err)
		}
		Stella(t, "generate", "--release", examples()+"/release.yaml", "--environment", examples()+"/environment.yaml", "--promotion", promo,
			"--tenant", d.tenant, "--deployment-id", d.id, "--key", "stella/signing/test", "--keyring", f.Keys,
			"--store", f.Store, "--data", f.Data, "--now", at.Format(time.RFC3339))
	}
	for _, tenant := range []string{"acme", "globex"} {
		for _, role := range meta.Roles {
			args := []string{"tokens", "create", "--tenant", tenant, "--role", role, "--name", tenant + " " + role, "--data", f.Data}
			if role == meta.RoleAgent {
				args = append(args, "--target", "tgt-web-01")
			}
			f.Tokens[tenant+"/"+role] = strings.TrimSpace(Stella(t, args...))
		}
	}
	return f
}

// SetDir is where the local store keeps a tenant's deployment.
func (f *Fixture) SetDir(tenant, id string) string {
	return filepath.Join(f.Store, filepath.FromSlash(store.Ref{Tenant: tenant, Deployment: id}.String()))
}

// Tamper overwrites a stored artifact (the store keeps files read-only) with other bytes.
func (f *Fixture) Tamper(t testing.TB, tenant, id, name string) {
	t.Helper()
	p := filepath.Join(f.SetDir(tenant, id), name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, []byte("\n# tampered\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Serve runs `stella serve` on 127.0.0.1:0 in-process (the command line's own wiring: the API and the
// web interface it mounts) and returns its base URL; cleanup stops it and checks it stopped cleanly.
func (f *Fixture) Serve(t testing.TB) string {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--data", f.Data, "--store", f.Store,
			"--keyring", f.Keys, "--drift-interval", "0"}, &out, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("stella serve: exit %d", code)
		}
	})
	for i := 0; i < 1000; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return "http://" + strings.TrimSpace(string(b))
		}
		select {
		case code := <-done:
			t.Fatalf("stella serve exited %d before listening", code)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("stella serve did not write its address in 10s")
	return ""
}

// Checked records what a target's agent reported (as the API records it): the sticker issued for
// deployment id, and a finished drift check at at that found result (a queued read-sticker task of
// the target is leased and finished; one is queued when there is none).
func (f *Fixture) Checked(t testing.TB, tenant, target, id string, at time.Time, result drift.Result) {
	t.Helper()
	ctx := context.Background()
	doc, err := os.ReadFile(filepath.Join(f.SetDir(tenant, id), "stella.version.json"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := connect.Open(ctx, connect.URL(f.Data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, tenant, func(tx meta.Tx) error {
		if err := tx.PutSticker(ctx, meta.Sticker{ID: "stk-" + target + "-" + at.Format("150405"), DeploymentID: id, TargetID: target, IssuedAt: at, SHA256: checksum.Sum(doc), Doc: doc}); err != nil {
			return err
		}
		if err := tx.CreateAgentTask(ctx, meta.AgentTask{ID: "drift-" + target + "-" + at.Format("150405"), TargetID: target, Type: "read-sticker", Timeout: time.Minute, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
			return err
		}
		k, err := tx.LeaseAgentTask(ctx, target, "agent-"+target, at)
		if err != nil {
			return err
		}
		result.TargetID = target
		res, err := json.Marshal(server.TaskResult{Status: meta.TaskSucceeded, StartedAt: at, FinishedAt: at, Drift: &result})
		if err != nil {
			return err
		}
		return tx.FinishAgentTask(ctx, k.ID, "agent-"+target, meta.TaskSucceeded, res, at)
	})
	if err != nil {
		t.Fatal(err)
	}
}
