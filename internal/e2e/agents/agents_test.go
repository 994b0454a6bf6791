// Package agents runs the whole loop on real containers: stella serve and two stella-agent processes on
// loopback, each with its own state and sticker directory, deploying images pushed to a local
// docker-registry through podman's Docker API with the Docker Compose SDK. It is an end-to-end test in a
// package of its own so that it runs beside the others.
package agents_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stella-ops/stella/internal/agent"
	"github.com/stella-ops/stella/internal/agent/composesdk"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/internal/verify"
)

var bin, agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stella-agents-")
	if err != nil {
		panic(err)
	}
	bin, agentBin = filepath.Join(dir, "stella"), filepath.Join(dir, "stella-agent")
	for out, pkg := range map[string]string{bin: "../../../cmd/stella", agentBin: "../../../cmd/stella-agent"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// image pushes a runnable image (the static busybox, sleeping) to repo:tag; version makes the digest.
func image(t *testing.T, repo, tag, version string) string {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static: %v", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	_ = tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bb))})
	_, _ = tw.Write(bb)
	_ = tw.WriteHeader(&tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox"})
	_ = tw.WriteHeader(&tar.Header{Name: "version", Mode: 0o644, Size: int64(len(version))})
	_, _ = tw.Write([]byte(version))
	_ = tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Entrypoint: []string{"/bin/busybox"}, Cmd: []string{"sleep", "86400"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, func() *v1.ConfigFile {
		cf, _ := img.ConfigFile()
		cf.Architecture, cf.OS = "amd64", "linux"
		return cf
	}())
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, _ := img.Digest()
	return d.String()
}

type world struct {
	t                     *testing.T
	dir, data, store, reg string
	keys, url, admin      string
	env                   []string
	serve                 *exec.Cmd
	addr                  string
}

func (w *world) run(args ...string) (string, string, int) {
	w.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (w *world) must(args ...string) string {
	w.t.Helper()
	out, errs, code := w.run(args...)
	if code != 0 {
		w.t.Fatalf("stella %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return strings.TrimSpace(out)
}

// startServe starts stella serve on addr (empty: a free port).
func (w *world) startServe(addr string) {
	w.t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	af := filepath.Join(w.dir, "addr")
	_ = os.Remove(af)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--addr-file", af, "--data", w.data, "--store", w.store, "--key", w.keys, "--drift-interval", "0")
	cmd.Env = w.env
	logf, _ := os.OpenFile(filepath.Join(w.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.serve = cmd
	for range 200 {
		if b, err := os.ReadFile(af); err == nil && len(b) > 0 {
			w.addr = strings.TrimSpace(string(b))
			w.url = "http://" + w.addr
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatal("stella serve did not start")
}

func (w *world) stopServe() {
	_ = w.serve.Process.Kill()
	_ = w.serve.Wait()
}

func (w *world) api(method, path, token string, body any) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if method == http.MethodPost {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("k-%d", time.Now().UnixNano()))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// task queues a task on a target and waits for its end; it returns the task as the API shows it.
func (w *world) task(target, typ, deployment string) map[string]any {
	w.t.Helper()
	body := map[string]any{"type": typ}
	if deployment != "" {
		body["deploymentId"] = deployment
	}
	code, b := w.api("POST", "/api/v1/targets/"+target+"/tasks", w.admin, body)
	if code != 201 {
		w.t.Fatalf("queue %s on %s: %d %s", typ, target, code, b)
	}
	var k map[string]any
	_ = json.Unmarshal(b, &k)
	return w.await(target, k["id"].(string))
}

func (w *world) await(target, id string) map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		code, b := w.api("GET", "/api/v1/targets/"+target+"/tasks/"+id, w.admin, nil)
		var k map[string]any
		_ = json.Unmarshal(b, &k)
		if code == 200 && k["status"] != "pending" && k["status"] != "leased" {
			return k
		}
		time.Sleep(200 * time.Millisecond)
	}
	logs, _ := os.ReadFile(filepath.Join(w.dir, "serve.log"))
	w.t.Fatalf("task %s on %s did not finish; serve log:\n%s", id, target, logs)
	return nil
}

func result(k map[string]any) (status, errMsg string, output map[string]any) {
	r, _ := k["result"].(map[string]any)
	status, _ = r["status"].(string)
	errMsg, _ = r["error"].(string)
	output, _ = r["output"].(map[string]any)
	return
}

// driftOf runs a read-sticker task on target and returns the drift the server found.
func (w *world) driftOf(target string) map[string]any {
	w.t.Helper()
	k := w.task(target, "read-sticker", "")
	r, _ := k["result"].(map[string]any)
	d, _ := r["drift"].(map[string]any)
	if d == nil {
		w.t.Fatalf("no drift in the result of read-sticker on %s: %v", target, k)
	}
	return d
}

func TestAgentsDeployRealContainers(t *testing.T) {
	reg := testenv.Var(t, testenv.Registry)
	host := testenv.Var(t, testenv.DockerHost)
	dir := t.TempDir()
	w := &world{t: t, dir: dir, data: filepath.Join(dir, "data"), store: filepath.Join(dir, "store"), reg: reg, keys: "stella/signing/e2e"}
	w.env = append(os.Environ(), "STELLA_KEYRING="+filepath.Join(dir, "keys"), "DOCKER_HOST="+host, "E2E_SECRET=s3cr3t-value")
	if _, err := (sign.Keyring{Dir: filepath.Join(dir, "keys")}).Generate(w.keys, sign.EdDSA); err != nil {
		t.Fatal(err)
	}
	repo := reg + "/stella-e2e/app"
	d1 := image(t, repo, "v1", "1")
	d2 := image(t, repo, "v2", "2")
	dOther := image(t, repo, "other", "other")

	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("compose.yaml", "services:\n  app:\n    image: "+repo+":v1\n    network_mode: none\n    environment:\n      GREETING: ${E2E_SECRET}\n")
	env := write("environment.yaml", "id: env-dev\nname: development\ntier: development\nsecrets:\n  - {name: E2E_SECRET, ref: \"env:E2E_SECRET\"}\ntargets:\n  - {id: t1, name: host-1, type: compose-host}\n  - {id: t2, name: host-2, type: compose-host}\n")
	releaseOf := func(id, tag string) string {
		return write("release-"+id+".yaml", "id: "+id+"\nname: app-"+tag+"\ncompose: compose.yaml\ncomponents:\n  - {name: app, id: c-app, image: "+repo+", tag: "+tag+"}\n")
	}
	gen := func(dep, rel string) {
		w.must("generate", "--release", rel, "--environment", env, "--tenant", "acme", "--deployment-id", dep,
			"--key", w.keys, "--store", w.store, "--data", w.data, "--insecure-registry", reg, "--deployer-name", "jane")
	}
	gen("dep-1", releaseOf("rel-1", "v1"))
	w.startServe("")
	defer func() { w.stopServe() }()
	w.admin = w.must("tokens", "create", "--tenant", "acme", "--role", "admin", "--data", w.data)

	// Two agents, each registered with its own one-time token, each running as its own process.
	agents := map[string]string{}
	for _, tg := range []string{"t1", "t2"} {
		reg := w.must("agents", "token", "create", "--tenant", "acme", "--target", tg, "--data", w.data)
		state := filepath.Join(dir, "agent-"+tg)
		cmd := exec.Command(agentBin, "register", "--server", w.url, "--token", reg, "--state-dir", state)
		cmd.Env = w.env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("register %s: %v %s", tg, err, out)
		}
		agents[tg] = state
	}
	procs := map[string]*exec.Cmd{}
	startAgent := func(tg string) {
		cmd := exec.Command(agentBin, "run", "--state-dir", agents[tg], "--sticker-dir", filepath.Join(dir, "sticker-"+tg), "--project", "e2e-"+tg, "--verbose")
		cmd.Env = w.env
		logf, _ := os.OpenFile(filepath.Join(dir, "agent-"+tg+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[tg] = cmd
	}
	for tg := range agents {
		startAgent(tg)
	}
	drv := &composesdk.Driver{Host: host}
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		for tg := range agents {
			_ = drv.Down(context.Background(), "e2e-"+tg)
		}
		if t.Failed() {
			for _, f := range []string{"serve.log", "agent-t1.log", "agent-t2.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("%s:\n%s", f, b)
			}
		}
	}()
	running := func(tg string) []agent.Container {
		cs, err := drv.Ps(context.Background(), "e2e-"+tg)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	runsDigest := func(tg, want string) {
		t.Helper()
		cs := running(tg)
		if len(cs) != 1 || cs[0].State != "running" {
			t.Fatalf("%s: containers %+v", tg, cs)
		}
		for _, d := range cs[0].Digests {
			if strings.HasSuffix(d, "@"+want) {
				return
			}
		}
		t.Fatalf("%s runs %v, want %s", tg, cs[0].Digests, want)
	}
	kr := sign.Keyring{Dir: filepath.Join(dir, "keys")}

	// Deploy dep-1 to both targets: sticker written and verified, containers run the lock's digest.
	for _, tg := range []string{"t1", "t2"} {
		k := w.task(tg, "deploy", "dep-1")
		if st, e, _ := result(k); st != "succeeded" {
			t.Fatalf("deploy dep-1 on %s: %s %s", tg, st, e)
		}
		runsDigest(tg, d1)
		doc, err := os.ReadFile(filepath.Join(dir, "sticker-"+tg, sticker.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verify.Document(doc, verify.Keys{Keyring: &kr}); err != nil {
			t.Fatalf("sticker on %s: %v", tg, err)
		}
		s, _ := sticker.Parse(doc)
		if s.Deployment.TargetID != tg || s.Deployment.ID != "dep-1" || s.Deployment.CompletedAt == "" || s.Release.Components[0].Digest != d1 {
			t.Errorf("sticker on %s: %+v", tg, s.Deployment)
		}
		if d := w.driftOf(tg); d["driftDetected"] != false {
			t.Errorf("drift on %s after deploy: %v", tg, d)
		}
	}
	if out, errs, code := w.run("drift", "check", "--environment", "env-dev", "--server", w.url, "--token", w.admin); code != 0 || strings.Count(out, "no drift") != 2 {
		t.Errorf("drift check --environment: %d %s %s", code, out, errs)
	}
	if code, b := w.api("GET", "/api/v1/environments/env-dev/drift", w.admin, nil); code != 200 || strings.Count(string(b), `"state":"none"`) != 2 {
		t.Errorf("drift of env-dev: %d %s", code, b)
	}
	if out, errs, code := w.run("evidence", "list", "--data", w.data, "--output", "json"); code != 0 || strings.Count(out, `"type": "deployment_completed"`) < 2 {
		t.Errorf("completion packets of dep-1: %d %s %s", code, out, errs)
	}
	if out, errs, code := w.run("evidence", "verify", "--data", w.data); code != 0 {
		t.Errorf("evidence verify with completion packets: %d %s %s", code, out, errs)
	}
	code, b := w.api("GET", "/api/v1/deployment-jobs/dep-1", w.admin, nil)
	if code != 200 || !strings.Contains(string(b), `"succeeded"`) {
		t.Errorf("job dep-1 after both deploys: %d %s", code, b)
	}

	// Drift on t1: a missing sticker, a flipped byte, a valid sticker of another release.
	sp := filepath.Join(dir, "sticker-t1", sticker.FileName)
	orig, _ := os.ReadFile(sp)
	_ = os.Remove(sp)
	if d := w.driftOf("t1"); d["driftType"] != "missing" {
		t.Errorf("sticker removed: %v", d)
	}
	flipped := bytes.Clone(orig)
	flipped[len(flipped)/2] ^= 1
	_ = os.WriteFile(sp, flipped, 0o644)
	if d := w.driftOf("t1"); d["driftType"] != "corrupted" {
		t.Errorf("byte flipped: %v", d)
	}
	if out, errs, code := w.run("drift", "check", "--environment", "env-dev", "--server", w.url, "--token", w.admin); code != 3 || !strings.Contains(out, "drift (corrupted) on target t1") {
		t.Errorf("drift check --environment with t1 corrupted: %d %s %s", code, out, errs)
	}

	// dep-2 (release v2) to t2, then its valid sticker placed on t1: a mismatch naming the field.
	gen("dep-2", releaseOf("rel-2", "v2"))
	if st, e, _ := result(w.task("t2", "deploy", "dep-2")); st != "succeeded" {
		t.Fatalf("deploy dep-2 on t2: %s %s", st, e)
	}
	runsDigest("t2", d2)
	other, _ := os.ReadFile(filepath.Join(dir, "sticker-t2", sticker.FileName))
	_ = os.WriteFile(sp, other, 0o644)
	d := w.driftOf("t1")
	if dj, _ := json.Marshal(d); d["driftType"] != "mismatch" || !strings.Contains(string(dj), "release.components[app].digest") {
		t.Errorf("another release's sticker: %s", dj)
	}
	_ = os.WriteFile(sp, orig, 0o644)
	if d := w.driftOf("t1"); d["driftDetected"] != false {
		t.Errorf("sticker put back: %v", d)
	}

	// A container replaced by another digest (behind the agent's back): a mismatch of the running digest.
	odir := t.TempDir()
	_ = os.WriteFile(filepath.Join(odir, "compose.yaml"), []byte("services:\n  app:\n    image: "+repo+"@"+dOther+"\n    network_mode: none\n"), 0o644)
	if err := drv.Up(context.Background(), agent.Project{Name: "e2e-t1", Dir: odir, Files: []string{"compose.yaml"}}, nil); err != nil {
		t.Fatal(err)
	}
	d = w.driftOf("t1")
	if dj, _ := json.Marshal(d); d["driftType"] != "mismatch" || !strings.Contains(string(dj), ".digest") || !strings.Contains(string(dj), dOther) {
		t.Errorf("container replaced: %s", dj)
	}
	// Redeploying dep-1 corrects it (only when asked).
	if st, e, _ := result(w.task("t1", "deploy", "dep-1")); st != "succeeded" {
		t.Fatalf("redeploy dep-1 on t1: %s %s", st, e)
	}
	runsDigest("t1", d1)

	// A tampered set is refused before anything runs, naming the file.
	gen("dep-3", releaseOf("rel-2", "v2"))
	lock := filepath.Join(w.store, "acme", "dep-3", "compose.stella.lock.yml")
	_ = os.Chmod(filepath.Dir(lock), 0o755)
	_ = os.Chmod(lock, 0o644)
	lb, _ := os.ReadFile(lock)
	lb = bytes.Replace(lb, []byte(d2), []byte(dOther), 1)
	_ = os.WriteFile(lock, lb, 0o644)
	k := w.task("t1", "deploy", "dep-3")
	// (The server refuses to send bytes that differ from its records; the agent's own verification
	// refuses a set whose records were changed too: see internal/agent's tests.)
	if st, e, _ := result(k); st != "failed" || !strings.Contains(e, "compose.stella.lock.yml") {
		t.Errorf("tampered set: %s %s", st, e)
	}
	runsDigest("t1", d1)

	// The server goes away: the agent retries with backoff and takes the next task once it is back.
	addr := w.addr
	w.stopServe()
	time.Sleep(3 * time.Second)
	w.startServe(addr)
	if st, e, _ := result(w.task("t1", "deploy", "dep-2")); st != "succeeded" {
		t.Fatalf("deploy dep-2 on t1 after the server came back: %s %s", st, e)
	}
	runsDigest("t1", d2)

	// Tag v1 moves on in the registry: a rollback must return to the digest dep-1 ran, not the tag's.
	image(t, repo, "v1", "1-moved")

	// Rollback of the environment (CLI-generated releases): a job from dep-1's exact digests, deployed
	// by both agents (queued for them when the job is created).
	code, b = w.api("POST", "/api/v1/environments/env-dev/rollback", w.admin, map[string]any{"to": "dep-1", "deploymentId": "rb-1", "reason": "v2 misbehaves"})
	if code != 201 {
		t.Fatalf("rollback: %d %s", code, b)
	}
	for _, tg := range []string{"t1", "t2"} {
		k := w.await(tg, "rollback-rb-1-"+tg)
		if st, e, _ := result(k); st != "succeeded" {
			t.Fatalf("rollback on %s: %s %s", tg, st, e)
		}
		runsDigest(tg, d1)
	}

	// Air-gapped: dep-4 carried to t2 by hand, applied offline, the signed result carried back.
	// (rel-2 is blocked in env-dev since the rollback: clear the block first.)
	if code, b := w.api("DELETE", "/api/v1/environments/env-dev/blocked-releases/rel-2", w.admin, nil); code != 204 {
		t.Fatalf("clear the block: %d %s", code, b)
	}
	gen("dep-4", releaseOf("rel-2", "v2"))
	res := filepath.Join(dir, "dep-4-t2.jwt")
	cmd := exec.Command(agentBin, "apply", "--offline", filepath.Join(w.store, "acme", "dep-4"), "--state-dir", agents["t2"],
		"--sticker-dir", filepath.Join(dir, "sticker-t2"), "--project", "e2e-t2", "--result", res)
	cmd.Env = w.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apply --offline: %v %s", err, out)
	}
	runsDigest("t2", d2)
	if out, errs, code := w.run("agents", "import", res, "--target", "t2", "--server", w.url, "--token", w.admin); code != 0 || !strings.Contains(out, "succeeded") {
		t.Fatalf("agents import: %d %s %s", code, out, errs)
	}
	if _, errs, code := w.run("agents", "import", res, "--target", "t2", "--server", w.url, "--token", w.admin); code != 1 || !strings.Contains(errs, "imported before") {
		t.Errorf("second import: %d %s", code, errs)
	}
	if _, errs, code := w.run("agents", "import", res, "--target", "t1", "--server", w.url, "--token", w.admin); code != 3 {
		t.Errorf("import as another target's: %d %s", code, errs)
	}
	if code, b := w.api("GET", "/api/v1/deployment-jobs/dep-4", w.admin, nil); code != 200 || !strings.Contains(string(b), `"succeeded"`) {
		t.Errorf("job dep-4 after the offline import: %d %s", code, b)
	}

	// An agent may not touch another target's task; a revoked agent is refused at its next request.
	tok := func(tg string) string {
		cmd := exec.Command(agentBin, "token", "--state-dir", agents[tg])
		cmd.Env = w.env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("agent token %s: %v", tg, err)
		}
		return strings.TrimSpace(string(out))
	}
	t1tok := tok("t1")
	if code, b := w.api("GET", "/api/v1/targets/t2/tasks/rollback-rb-1-t2", t1tok, nil); code != 404 && code != 403 {
		t.Errorf("agent t1 reads t2's task: %d %s", code, b)
	}
	if code, b := w.api("POST", "/api/v1/agents/tasks/rollback-rb-1-t2/result", t1tok, map[string]any{"status": "succeeded"}); code != 404 {
		t.Errorf("agent t1 reports t2's task: %d %s", code, b)
	}
	var list []map[string]any
	_ = json.Unmarshal([]byte(w.must("agents", "ls", "--tenant", "acme", "--data", w.data, "--output", "json")), &list)
	for _, a := range list {
		if a["targetId"] == "t2" {
			w.must("agents", "revoke", a["id"].(string), "--tenant", "acme", "--data", w.data)
		}
	}
	if code, _ := w.api("POST", "/api/v1/agents/heartbeat", tok("t1"), nil); code != 204 && code != 200 {
		t.Errorf("agent t1 heartbeat: %d", code)
	}
	cmd = exec.Command(agentBin, "token", "--state-dir", agents["t2"])
	cmd.Env = w.env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "revoked") {
		t.Errorf("revoked agent got a token: %v %s", err, out)
	}
}

// An environment that asks for it (driftCorrection: redeploy) has drift corrected: a container replaced
// behind the agent's back is found by a drift check, the server queues the deployment the target should
// run again, the agent applies it, and the deployment_completed packet says it was a correction. Before
// that, the server goes away in the middle of the first download (a proxy cuts it): that deploy fails,
// leaves no set and runs nothing, and the next one deploys. Run
// with stella-agent (the Docker Compose SDK) and with `stella agent` (its fallback: the docker compose
// command line: the Docker CLI with the Compose plugin built from its module source).
func TestAgentsCorrectDrift(t *testing.T) {
	t.Run("sdk", func(t *testing.T) { correctDrift(t, []string{agentBin}, nil) })
	t.Run("docker-compose-cli", func(t *testing.T) {
		testenv.Command(t, "docker")
		plugin := testenv.Var(t, testenv.DockerCompose)
		cfg := t.TempDir()
		if err := os.MkdirAll(filepath.Join(cfg, "cli-plugins"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(plugin, filepath.Join(cfg, "cli-plugins", "docker-compose")); err != nil {
			t.Fatal(err)
		}
		correctDrift(t, []string{bin, "agent"}, []string{"DOCKER_CONFIG=" + cfg})
	})
}

func correctDrift(t *testing.T, agentCmd, agentEnv []string) {
	reg := testenv.Var(t, testenv.Registry)
	host := testenv.Var(t, testenv.DockerHost)
	dir := t.TempDir()
	w := &world{t: t, dir: dir, data: filepath.Join(dir, "data"), store: filepath.Join(dir, "store"), reg: reg, keys: "stella/signing/e2e"}
	w.env = append(os.Environ(), "STELLA_KEYRING="+filepath.Join(dir, "keys"), "DOCKER_HOST="+host)
	agentExec := func(args ...string) *exec.Cmd {
		cmd := exec.Command(agentCmd[0], append(append([]string{}, agentCmd[1:]...), args...)...)
		cmd.Env = append(append([]string{}, w.env...), agentEnv...)
		return cmd
	}
	if _, err := (sign.Keyring{Dir: filepath.Join(dir, "keys")}).Generate(w.keys, sign.EdDSA); err != nil {
		t.Fatal(err)
	}
	repo := reg + "/stella-e2e/fix"
	d1 := image(t, repo, "v1", "fix-1")
	dOther := image(t, repo, "other", "fix-other")
	for name, text := range map[string]string{
		"compose.yaml":     "services:\n  app:\n    image: " + repo + ":v1\n    network_mode: none\n",
		"environment.yaml": "id: env-auto\nname: auto\ntier: development\ndriftCorrection: redeploy\ntargets:\n  - {id: t9, name: host-9, type: compose-host}\n",
		"release.yaml":     "id: rel-fix\nname: fix-v1\ncompose: compose.yaml\ncomponents:\n  - {name: app, id: c-app, image: " + repo + ", tag: v1}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.must("generate", "--release", filepath.Join(dir, "release.yaml"), "--environment", filepath.Join(dir, "environment.yaml"), "--tenant", "acme",
		"--deployment-id", "dep-fix", "--key", w.keys, "--store", w.store, "--data", w.data, "--insecure-registry", reg, "--deployer-name", "jane")
	w.startServe("")
	defer func() { w.stopServe() }()
	w.admin = w.must("tokens", "create", "--tenant", "acme", "--role", "admin", "--data", w.data)
	state := filepath.Join(dir, "agent-t9")
	// The agent reaches the server through a proxy that cuts the first download of the lock halfway:
	// the server going away mid-download.
	target, _ := url.Parse(w.url)
	rp := httputil.NewSingleHostReverseProxy(target)
	var cut atomic.Bool
	cut.Store(true)
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/artifacts/compose.stella.lock.yml") && cut.CompareAndSwap(true, false) {
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				rw.Header()[k] = v
			}
			rw.WriteHeader(rec.Code)
			b := rec.Body.Bytes()
			_, _ = rw.Write(b[:len(b)/2])
			rw.(http.Flusher).Flush()
			if conn, _, err := rw.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		rp.ServeHTTP(rw, r)
	}))
	defer proxy.Close()
	cmd := agentExec("register", "--server", proxy.URL, "--token", w.must("agents", "token", "create", "--tenant", "acme", "--target", "t9", "--data", w.data), "--state-dir", state)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("register: %v %s", err, out)
	}
	run := agentExec("run", "--state-dir", state, "--sticker-dir", filepath.Join(dir, "sticker-t9"), "--project", "e2e-t9", "--verbose")
	logf, _ := os.Create(filepath.Join(dir, "agent-t9.log"))
	run.Stdout, run.Stderr = logf, logf
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	drv := &composesdk.Driver{Host: host}
	defer func() {
		_ = run.Process.Kill()
		_ = run.Wait()
		_ = drv.Down(context.Background(), "e2e-t9")
		if t.Failed() {
			for _, f := range []string{"serve.log", "agent-t9.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("%s:\n%s", f, b)
			}
		}
	}()
	runs := func(want string) {
		t.Helper()
		cs, err := drv.Ps(context.Background(), "e2e-t9")
		if err != nil || len(cs) != 1 || cs[0].State != "running" {
			t.Fatalf("containers %+v %v", cs, err)
		}
		for _, d := range cs[0].Digests {
			if strings.HasSuffix(d, "@"+want) {
				return
			}
		}
		t.Fatalf("t9 runs %v, want %s", cs[0].Digests, want)
	}
	// The cut download fails the first deploy and leaves nothing behind; the next one deploys.
	if st, e, _ := result(w.task("t9", "deploy", "dep-fix")); st != "failed" || !strings.Contains(e, "compose.stella.lock.yml") {
		t.Fatalf("deploy through a cut download: %s %s", st, e)
	}
	if left, _ := filepath.Glob(filepath.Join(state, "sets", "*")); len(left) != 0 {
		t.Fatalf("a cut download left %v", left)
	}
	if cs, _ := drv.Ps(context.Background(), "e2e-t9"); len(cs) != 0 {
		t.Fatalf("a cut download ran containers: %+v", cs)
	}
	if st, e, _ := result(w.task("t9", "deploy", "dep-fix")); st != "succeeded" {
		t.Fatalf("deploy: %s %s", st, e)
	}
	runs(d1)

	odir := t.TempDir()
	_ = os.WriteFile(filepath.Join(odir, "compose.yaml"), []byte("services:\n  app:\n    image: "+repo+"@"+dOther+"\n    network_mode: none\n"), 0o644)
	if err := drv.Up(context.Background(), agent.Project{Name: "e2e-t9", Dir: odir, Files: []string{"compose.yaml"}}, nil); err != nil {
		t.Fatal(err)
	}
	runs(dOther)
	check := w.task("t9", "read-sticker", "")
	r, _ := check["result"].(map[string]any)
	if d, _ := r["drift"].(map[string]any); d["driftType"] != "mismatch" {
		t.Fatalf("drift after the container was replaced: %v", r["drift"])
	}
	// The correction the server queued (its id names the drift check) runs, and the drift is gone.
	fix := w.await("t9", "correct-"+check["id"].(string)+"-t9")
	if st, e, _ := result(fix); st != "succeeded" || fix["type"] != "deploy" || fix["deploymentId"] != "dep-fix" {
		t.Fatalf("correction: %s %s %v", st, e, fix)
	}
	runs(d1)
	// Without drift, no correction: a clean check queues none.
	clean := w.task("t9", "read-sticker", "")
	if r, _ := clean["result"].(map[string]any); r["drift"].(map[string]any)["driftDetected"] != false {
		t.Errorf("drift after the correction: %v", r["drift"])
	}
	if code, b := w.api("GET", "/api/v1/targets/t9/tasks/correct-"+clean["id"].(string)+"-t9", w.admin, nil); code != 404 {
		t.Errorf("a correction was queued without drift: %d %s", code, b)
	}
	code, b := w.api("GET", "/api/v1/evidence?limit=100", w.admin, nil)
	if code != 200 || !strings.Contains(string(b), "a redeploy correcting drift on target t9") {
		t.Errorf("no deployment_completed packet of the correction: %d %s", code, b)
	}
}
