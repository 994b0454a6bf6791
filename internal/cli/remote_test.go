package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/agent"
	"github.com/stella-ops/stella/internal/client"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
)

// Remote mode: the same commands against a server (--server, --token) answer what the local database
// says; downloads are checked against the recorded SHA-256; errors keep their exit codes.
func TestRemoteMode(t *testing.T) {
	dir := t.TempDir()
	keys, data, st := filepath.Join(dir, "keys"), filepath.Join(dir, "data"), filepath.Join(dir, "store")
	t.Setenv("STELLA_KEYRING", keys)
	if _, err := (sign.Keyring{Dir: keys}).Generate("stella/signing/remote", sign.EdDSA); err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Abs("../../docs/examples")
	if _, errs, code := runCLI(t, "generate", "--release", examples+"/release.yaml", "--environment", examples+"/environment.yaml",
		"--promotion", examples+"/promotion.yaml", "--tenant", "acme", "--deployment-id", "d1", "--key", "stella/signing/remote",
		"--store", st, "--data", data); code != 0 {
		t.Fatalf("generate: %d %s", code, errs)
	}
	tok, errs, code := runCLI(t, "tokens", "create", "--tenant", "acme", "--role", "auditor", "--data", data)
	if code != 0 {
		t.Fatalf("tokens create: %s", errs)
	}
	tok = strings.TrimSpace(tok)
	db, err := connect.Open(context.Background(), connect.URL(data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kr := sign.Keyring{Dir: keys}
	hs := httptest.NewServer(server.New(server.Config{DB: db, Store: local.New(st), Keys: verify.Keys{Keyring: &kr}}))
	defer hs.Close()
	r := func(args ...string) (string, string, int) {
		return runCLI(t, append([]string{"--server", hs.URL, "--token", tok}, args...)...)
	}

	out, errs, code := r("deployments", "ls", "--output", "json")
	if code != 0 || !strings.Contains(out, `"id": "d1"`) || !strings.Contains(out, `"promotionId": "promo-1"`) {
		t.Fatalf("remote deployments ls: %d %s %s", code, out, errs)
	}
	local, _, code := runCLI(t, "deployments", "show", "d1", "--data", data)
	remoteOut, _, code2 := r("deployments", "show", "d1")
	if code != 0 || code2 != 0 || local != remoteOut || !strings.Contains(local, "deployment acme/d1: generated") {
		t.Fatalf("show differs: local %d %q, remote %d %q", code, local, code2, remoteOut)
	}
	out, _, code = r("artifacts", "ls", "d1")
	if code != 0 || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "compose.stella.lock.yml") {
		t.Fatalf("artifacts ls: %d %s", code, out)
	}
	got := filepath.Join(dir, "manifest.json")
	if _, errs, code := r("artifacts", "get", "d1", "manifest.json", "--file", got); code != 0 {
		t.Fatalf("artifacts get: %d %s", code, errs)
	}
	a, _ := os.ReadFile(got)
	b, _ := os.ReadFile(filepath.Join(st, "acme", "d1", "manifest.json"))
	if string(a) != string(b) || len(a) == 0 {
		t.Error("downloaded manifest differs from the stored one")
	}
	if out, errs, code := r("artifacts", "verify", "d1", "compose.stella.lock.yml"); code != 0 || !strings.Contains(out, "valid") {
		t.Fatalf("artifacts verify: %d %s %s", code, out, errs)
	}
	if out, errs, code := r("evidence", "list", "--output", "json"); code != 0 || !strings.Contains(out, `"deploymentJobId": "d1"`) || !strings.Contains(out, `"type": "deployment"`) {
		t.Errorf("remote evidence list: %d %s %s", code, out, errs)
	}
	var rows []struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal([]byte(out), &rows)
	ls, _, _ := r("evidence", "list", "--output", "json")
	_ = json.Unmarshal([]byte(ls), &rows)
	if len(rows) == 0 {
		t.Fatal("no evidence listed remotely")
	}
	pj, pp := filepath.Join(dir, "remote.json"), filepath.Join(dir, "remote.pdf")
	if _, errs, code := r("evidence", "export", rows[0].ID, "--format", "json", "-o", pj); code != 0 {
		t.Fatalf("remote evidence export json: %d %s", code, errs)
	}
	lj := filepath.Join(dir, "local.json")
	if _, errs, code := runCLI(t, "evidence", "export", rows[0].ID, "--format", "json", "-o", lj, "--data", data); code != 0 {
		t.Fatalf("local evidence export: %d %s", code, errs)
	}
	if a, _ := os.ReadFile(pj); string(a) != func() string { b, _ := os.ReadFile(lj); return string(b) }() || len(a) == 0 {
		a, _ := os.ReadFile(pj)
		b, _ := os.ReadFile(lj)
		t.Errorf("the packet exported through the API is not the stored packet byte for byte:\n%q\n%q", a[:min(len(a), 200)], b[:min(len(b), 200)])
	}
	if _, errs, code := r("evidence", "export", rows[0].ID, "--format", "pdf", "-o", pp, "--keyring", keys); code != 0 {
		t.Fatalf("remote evidence export pdf: %d %s", code, errs)
	}
	if _, errs, code := r("deployments", "show", "nope"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("absent job: %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "--server", hs.URL, "--token", "stl_wrong", "deployments", "ls"); code != 1 || !strings.Contains(errs, "unknown, expired or revoked") || strings.Contains(errs, "stl_wrong") {
		t.Errorf("wrong token: %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "deployments", "create", "--promotion-id", "p"); code != 2 || !strings.Contains(errs, "--server") {
		t.Errorf("create without a server: %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "deployments", "typo"); code != 2 || !strings.Contains(errs, `unknown command "typo"`) {
		t.Errorf("unknown subcommand: %d %s", code, errs)
	}
}

// An agent registers with a one-time token, keeps its own key (0600), trades signed assertions for
// access tokens, and is refused once revoked.
func TestAgentRegisterCLI(t *testing.T) {
	dir := t.TempDir()
	data, state := filepath.Join(dir, "data"), filepath.Join(dir, "agent")
	if _, errs, code := runCLI(t, "db", "init", "--data", data); code != 0 {
		t.Fatal(errs)
	}
	reg, errs, code := runCLI(t, "agents", "token", "create", "--tenant", "acme", "--target", "tgt-1", "--data", data)
	if code != 0 || !strings.HasPrefix(reg, "sar_") {
		t.Fatalf("agents token create: %d %q %s", code, reg, errs)
	}
	db, err := connect.Open(context.Background(), connect.URL(data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hs := httptest.NewServer(server.New(server.Config{DB: db, Store: local.New(filepath.Join(dir, "store"))}))
	defer hs.Close()
	out, errs, code := runCLI(t, "agent", "register", "--server", hs.URL, "--token", strings.TrimSpace(reg), "--state-dir", state)
	if code != 0 || !strings.Contains(out, "registered for target tgt-1 of tenant acme") {
		t.Fatalf("agent register: %d %s %s", code, out, errs)
	}
	if fi, err := os.Stat(filepath.Join(state, "agent.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("agent.key: %v %v", fi, err)
	}
	if _, errs, code := runCLI(t, "agent", "register", "--server", hs.URL, "--token", strings.TrimSpace(reg), "--state-dir", filepath.Join(dir, "again")); code != 1 || !strings.Contains(errs, "unknown, used or expired") {
		t.Errorf("a registration token used twice: %d %s", code, errs)
	}
	at, errs, code := runCLI(t, "agent", "token", "--state-dir", state)
	if code != 0 || !strings.HasPrefix(at, "stl_") {
		t.Fatalf("agent token: %d %q %s", code, at, errs)
	}
	if out, errs, code := runCLI(t, "--server", hs.URL, "--token", strings.TrimSpace(at), "deployments", "ls", "--output", "json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("the agent's deployments: %d %q %s", code, out, errs)
	}
	out, _, _ = runCLI(t, "agents", "ls", "--tenant", "acme", "--data", data, "--output", "json")
	var rows []struct {
		ID     string  `json:"id"`
		State  string  `json:"state"`
		SeenAt *string `json:"seenAt"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].SeenAt == nil || rows[0].State != "online" {
		t.Fatalf("agents ls: %s %v", out, err)
	}
	if _, errs, code := runCLI(t, "agents", "revoke", rows[0].ID, "--tenant", "acme", "--data", data); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := runCLI(t, "--server", hs.URL, "--token", strings.TrimSpace(at), "deployments", "ls"); code != 1 || !strings.Contains(errs, "revoked") {
		t.Errorf("a revoked agent's token: %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "agent", "token", "--state-dir", state); code != 1 {
		t.Errorf("a revoked agent's assertion: %d %s", code, errs)
	}
}

// The agent writes its target's sticker: completed and signed by the server from the stored set, checked
// against the keys trusted at registration, written atomically with the previous one kept; a drift check
// of the set's sticker template against it finds no drift.
func TestAgentWritesSticker(t *testing.T) {
	dir := t.TempDir()
	keys, data, st, state, stickers := filepath.Join(dir, "keys"), filepath.Join(dir, "data"), filepath.Join(dir, "store"), filepath.Join(dir, "agent"), filepath.Join(dir, "target")
	t.Setenv("STELLA_KEYRING", keys)
	kr := sign.Keyring{Dir: keys}
	signer, err := kr.Generate("stella/signing/stk", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Abs("../../docs/examples")
	for i, id := range []string{"d1", "d2"} {
		promo := filepath.Join(dir, id+".yaml")
		_ = os.WriteFile(promo, []byte("id: promo-"+id+"\nreleaseId: rel-7f3a\nenvironmentId: env-prod\nrequester: {id: u-1, name: Jane}\ndecision: allow\n"), 0o644)
		if _, errs, code := runCLI(t, "generate", "--release", examples+"/release.yaml", "--environment", examples+"/environment.yaml",
			"--promotion", promo, "--tenant", "acme", "--deployment-id", id, "--key", "stella/signing/stk", "--store", st, "--data", data,
			"--now", fmt.Sprintf("2026-11-0%dT10:00:00Z", i+1)); code != 0 {
			t.Fatalf("generate %s: %s", id, errs)
		}
	}
	reg, _, _ := runCLI(t, "agents", "token", "create", "--tenant", "acme", "--target", "tgt-web-01", "--data", data)
	db, err := connect.Open(context.Background(), connect.URL(data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hs := httptest.NewServer(server.New(server.Config{DB: db, Store: local.New(st), Keys: verify.Keys{Keyring: &kr}, Signer: signer}))
	defer hs.Close()
	if _, errs, code := runCLI(t, "agent", "register", "--server", hs.URL, "--token", strings.TrimSpace(reg), "--state-dir", state); code != 0 {
		t.Fatal(errs)
	}
	for _, id := range []string{"d1", "d2"} {
		if out, errs, code := runCLI(t, "agent", "sticker", "--job", id, "--state-dir", state, "--sticker-dir", stickers); code != 0 || !strings.Contains(out, "stella.version.json") {
			t.Fatalf("agent sticker %s: %d %s %s", id, code, out, errs)
		}
	}
	written, _ := os.ReadFile(filepath.Join(stickers, "stella.version.json"))
	for _, want := range []string{`"targetId": "tgt-web-01"`, `"targetName": "prod-web-01"`, `"id": "d2"`, `"releaseId": "rel-7f3a"`, `"agentId": "agt-`} {
		if !strings.Contains(string(written), want) {
			t.Errorf("the written sticker lacks %s:\n%s", want, written)
		}
	}
	if _, err := os.Stat(filepath.Join(stickers, "stella.version.json.1")); err != nil {
		t.Errorf("the previous sticker was not kept: %v", err)
	}
	out, errs, code := runCLI(t, "drift", "check", "--expected", filepath.Join(st, "acme", "d2", "stella.version.json"),
		"--actual", filepath.Join(stickers, "stella.version.json"), "--keyring", keys, "--output", "json")
	if code != 0 || !strings.Contains(out, `"driftDetected": false`) {
		t.Errorf("drift check of the written sticker: %d %s %s", code, out, errs)
	}
	// Tasks: the agent long-polls, journals and runs them; a read-sticker result gets the server's drift.
	dep, _, _ := runCLI(t, "tokens", "create", "--tenant", "acme", "--role", "deployer", "--data", data)
	dep = strings.TrimSpace(dep)
	queue := func(id, typ, deployment string) {
		t.Helper()
		body := fmt.Sprintf(`{"id":%q,"type":%q,"deploymentId":%q}`, id, typ, deployment)
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/targets/tgt-web-01/tasks", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+dep)
		req.Header.Set("Idempotency-Key", "k-"+id)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("queue %s: %v %v", id, err, res)
		}
		res.Body.Close()
	}
	taskOf := func(id string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+"/api/v1/targets/tgt-web-01/tasks/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+dep)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	runOnce := func() {
		t.Helper()
		if _, errs, code := runCLI(t, "agent", "run", "--once", "--wait", "2s", "--state-dir", state, "--sticker-dir", stickers); code != 0 {
			t.Fatalf("agent run --once: %d %s", code, errs)
		}
	}
	queue("t-read-1", "read-sticker", "")
	runOnce()
	if got := taskOf("t-read-1"); !strings.Contains(got, `"status":"succeeded"`) || !strings.Contains(got, `"driftDetected":false`) {
		t.Errorf("read-sticker: %s", got)
	}
	if err := os.Remove(filepath.Join(stickers, "stella.version.json")); err != nil {
		t.Fatal(err)
	}
	queue("t-read-2", "read-sticker", "")
	runOnce()
	if got := taskOf("t-read-2"); !strings.Contains(got, `"driftType":"missing"`) {
		t.Errorf("read-sticker of a deleted sticker: %s", got)
	}
	queue("t-write-1", "write-sticker", "d1")
	runOnce()
	if got := taskOf("t-write-1"); !strings.Contains(got, `"status":"succeeded"`) {
		t.Errorf("write-sticker: %s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(stickers, "stella.version.json")); !strings.Contains(string(b), `"id": "d1"`) {
		t.Errorf("write-sticker did not write d1's sticker")
	}
	// The target's drift state: the last read said missing; a check now (the sticker is d1's again) says none.
	get := func(path string) string {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+dep)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if got := get("/api/v1/targets/tgt-web-01/drift"); !strings.Contains(got, `"state":"missing"`) {
		t.Errorf("drift state after a missing sticker: %s", got)
	}
	req, _ := http.NewRequest("POST", hs.URL+"/api/v1/targets/tgt-web-01/drift-check", nil)
	req.Header.Set("Authorization", "Bearer "+dep)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 202 {
		t.Fatalf("drift-check now: %v %v", err, res)
	}
	runOnce()
	if got := get("/api/v1/targets/tgt-web-01/drift"); !strings.Contains(got, `"state":"none"`) {
		t.Errorf("drift state after the check: %s", got)
	}
	if got := get("/metrics"); !strings.Contains(got, `stella_target_drift{state="none",target="tgt-web-01",tenant="acme"} 1`) ||
		!strings.Contains(got, `stella_target_drift{state="missing",target="tgt-web-01",tenant="acme"} 0`) {
		t.Errorf("drift metrics: %s", got)
	}

	// A crash mid-task: the journal says started; the next run reports it interrupted and never reruns it.
	queue("t-crash", "write-sticker", "d2")
	a, err := agent.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ac, _ := client.New(hs.URL, tok)
	leased, ok, err := ac.NextTask(context.Background(), time.Second)
	if err != nil || !ok || leased.ID != "t-crash" {
		t.Fatalf("lease: %+v %v %v", leased, ok, err)
	}
	jb, _ := json.Marshal(map[string]any{"task": leased, "state": "started"})
	_ = os.MkdirAll(filepath.Join(state, "journal"), 0o700)
	if err := os.WriteFile(filepath.Join(state, "journal", "t-crash.json"), jb, 0o600); err != nil {
		t.Fatal(err)
	}
	runOnce()
	if got := taskOf("t-crash"); !strings.Contains(got, `"status":"interrupted"`) || !strings.Contains(got, `"retriable":true`) {
		t.Errorf("interrupted task: %s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(stickers, "stella.version.json")); strings.Contains(string(b), `"id": "d2"`) {
		t.Error("the interrupted task was run again")
	}

	// Another target's job is refused; nothing is written.
	reg2, _, _ := runCLI(t, "agents", "token", "create", "--tenant", "acme", "--target", "tgt-nowhere", "--data", data)
	state2 := filepath.Join(dir, "agent2")
	if _, errs, code := runCLI(t, "agent", "register", "--server", hs.URL, "--token", strings.TrimSpace(reg2), "--state-dir", state2); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := runCLI(t, "agent", "sticker", "--job", "d1", "--state-dir", state2, "--sticker-dir", filepath.Join(dir, "t2")); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("another target's sticker: %d %s", code, errs)
	}
}
