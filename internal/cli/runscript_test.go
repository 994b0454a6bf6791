package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
)

func stella(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// e2e prepares a keyring with a key, the example release and environment, and a work directory.
type e2e struct {
	keyring, store, work, log, examples string
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	dir := t.TempDir()
	e := &e2e{keyring: filepath.Join(dir, "keys"), store: filepath.Join(dir, "store"), work: filepath.Join(dir, "work"), log: filepath.Join(dir, "log")}
	e.examples, _ = filepath.Abs("../../docs/examples")
	if err := os.MkdirAll(filepath.Join(e.work, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := stella(t, "keys", "generate", "test/key", "--alg", "EdDSA", "--keyring", e.keyring); code != 0 {
		t.Fatalf("keys generate: %d %s", code, stderr)
	}
	// The stand-in for docker compose logs its arguments and the directory it ran in.
	fake := "#!/bin/sh\necho \"compose $* in $(basename \"$PWD\")\" >> \"$STELLA_TEST_LOG\"\n"
	if err := os.WriteFile(filepath.Join(dir, "fake-compose"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STELLA_TEST_LOG", e.log)
	return e
}

func (e *e2e) fakeCompose() string { return filepath.Join(filepath.Dir(e.work), "fake-compose") }

func (e *e2e) generate(t *testing.T, deployment, workflow string, extra ...string) (int, string, string) {
	t.Helper()
	// Production needs an approved promotion, and a promotion approves one deployment: one per id.
	promo := filepath.Join(t.TempDir(), "promotion.yaml")
	if err := os.WriteFile(promo, []byte("id: promo-"+deployment+"\nreleaseId: rel-7f3a\nenvironmentId: env-prod\n"+
		"requester: {id: u-1, name: Jane Doe}\ndecision: allow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"generate", "--release", filepath.Join(e.examples, "release.yaml"),
		"--environment", filepath.Join(e.examples, "environment.yaml"), "--workflow", workflow, "--promotion", promo,
		"--tenant", "acme", "--deployment-id", deployment, "--key", "test/key", "--keyring", e.keyring,
		"--store", e.store, "--now", "2026-01-10T14:30:00Z", "--compose-command", e.fakeCompose() + " compose"}, extra...)
	// Each store gets its own metadata database beside it: one deployment id is one deployment per database.
	data := e.store + ".data"
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--store" {
			data = extra[i+1] + ".data"
		}
	}
	return stella(t, append(args, "--data", data)...)
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	data, _ := os.ReadFile(p)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestGenerateAndRunShellScript(t *testing.T) {
	testenv.Command(t, "bash")
	e := newE2E(t)
	wf := filepath.Join(t.TempDir(), "workflow.yaml")
	writeFile(t, wf, `strategy: {type: rolling, batchSize: 1, onFailure: pause}
hooks:
  preDeploy:
    - run: echo "pre $STELLA_DEPLOYMENT_ID $STELLA_RELEASE_ID $GREETING" >> "$STELLA_TEST_LOG"
  postDeploy:
    - run: echo post >> "$STELLA_TEST_LOG"
    - run: exit 6
    - run: echo not-reached >> "$STELLA_TEST_LOG"
`)
	code, stdout, stderr := e.generate(t, "dep-1", wf, "--project-name", "myapp")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	set := strings.TrimSpace(stdout)

	var m struct {
		Artifacts []struct{ Name, Type string }
		Inputs    []struct{ Role, Name string }
	}
	readJSON(t, filepath.Join(set, "manifest.json"), &m)
	if !hasArtifact(m.Artifacts, "deploy.stella.sh", "script-shell") {
		t.Errorf("manifest artifacts = %v", m.Artifacts)
	}
	if !strings.Contains(fmt.Sprint(m.Inputs), "{workflow workflow.yaml}") {
		t.Errorf("manifest inputs = %v", m.Inputs)
	}
	var st struct{ Deployment struct{ Strategy string } }
	readJSON(t, filepath.Join(set, "stella.version.json"), &st)
	if st.Deployment.Strategy != "rolling" {
		t.Errorf("sticker strategy = %q", st.Deployment.Strategy)
	}
	sums, _ := os.ReadFile(filepath.Join(set, "checksums.sha256"))
	if !strings.Contains(string(sums), "  deploy.stella.sh\n") {
		t.Errorf("checksums.sha256 does not list the script:\n%s", sums)
	}
	if code, _, stderr := stella(t, "verify", set, "--keyring", e.keyring); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stderr)
	}

	code, _, stderr = stella(t, "run-script", set, "--keyring", e.keyring, "--workdir", e.work, "--env", "GREETING=hello")
	if code != 6 {
		t.Fatalf("run-script: exit %d, want 6 (the failing hook's status): %s", code, stderr)
	}
	// The environment has variables, so the set carries stella.env and Compose gets it.
	want := []string{"pre dep-1 rel-7f3a hello", "compose compose --env-file stella.env -f compose.stella.lock.yml -p myapp up -d in " + filepath.Base(set), "post"}
	got := readLines(t, e.log)
	// The set runs from a private verified copy, whose directory name differs.
	if len(got) != 3 || got[0] != want[0] || !strings.HasPrefix(got[1], "compose compose --env-file stella.env -f compose.stella.lock.yml -p myapp up -d in stella-run-") || got[2] != want[2] {
		t.Errorf("log = %q", got)
	}
	if !strings.Contains(stderr, "stella: hook postDeploy failed at step 2 with exit status 6") {
		t.Errorf("stderr does not name the failing hook:\n%s", stderr)
	}

	// A changed script is not run: verification fails first (exit 3), naming the file.
	if err := os.Chmod(filepath.Join(set, "deploy.stella.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(set, "deploy.stella.sh"), "#!/bin/sh\necho tampered >> \"$STELLA_TEST_LOG\"\n")
	code, _, stderr = stella(t, "run-script", set, "--keyring", e.keyring, "--workdir", e.work)
	if code != 3 || !strings.Contains(stderr, "deploy.stella.sh") {
		t.Errorf("tampered set: exit %d: %s", code, stderr)
	}
	if strings.Contains(strings.Join(readLines(t, e.log), "\n"), "tampered") {
		t.Error("a tampered script ran")
	}
}

func TestGenerateAndRunCSharp(t *testing.T) {
	testenv.Command(t, "mcs")
	testenv.Command(t, "mono")
	e := newE2E(t)
	dir := t.TempDir()
	src, err := os.ReadFile("../script/testdata/csharp/deploy.stella.csx")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "deploy.stella.csx"), string(src))
	writeFile(t, filepath.Join(dir, "workflow.yaml"), "strategy: {type: all-at-once}\nscript: deploy.stella.csx\n")
	for _, n := range []string{"backup-database", "warm-cache"} {
		writeFile(t, filepath.Join(e.work, "scripts", n+".sh"), "#!/bin/sh\necho "+n+" >> \"$STELLA_TEST_LOG\"\n")
		if err := os.Chmod(filepath.Join(e.work, "scripts", n+".sh"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := e.generate(t, "dep-cs", filepath.Join(dir, "workflow.yaml"))
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	set := strings.TrimSpace(stdout)
	var m struct{ Artifacts []struct{ Name, Type string } }
	readJSON(t, filepath.Join(set, "manifest.json"), &m)
	for _, a := range [][2]string{{"deploy.stella.script.csx", "script-source"}, {"deploy.stella.script.dll", "script-compiled"}, {"StellaOps.Sdk.dll", "script-sdk"}} {
		if !hasArtifact(m.Artifacts, a[0], a[1]) {
			t.Errorf("manifest lacks %s (%s): %v", a[0], a[1], m.Artifacts)
		}
	}
	// Same inputs, key and --now: the same bytes, the compiled script too.
	code, stdout2, stderr := e.generate(t, "dep-cs", filepath.Join(dir, "workflow.yaml"), "--store", filepath.Join(dir, "store2"))
	if code != 0 {
		t.Fatalf("generate again: %s", stderr)
	}
	for _, n := range []string{"deploy.stella.script.dll", "StellaOps.Sdk.dll"} {
		a, _ := os.ReadFile(filepath.Join(set, n))
		b, _ := os.ReadFile(filepath.Join(strings.TrimSpace(stdout2), n))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two generations", n)
		}
	}

	// A webhook and a health endpoint for the script's HealthCheck("/ready") and Notify("slack", ...).
	srv := newHookServer(t)
	code, _, stderr = stella(t, "run-script", set, "--keyring", e.keyring, "--workdir", e.work,
		"--env", "STELLA_HEALTH_BASE_URL="+srv.URL, "--env", "STELLA_NOTIFY_SLACK="+srv.URL+"/hook")
	if code != 0 {
		t.Fatalf("run-script: exit %d: %s", code, stderr)
	}
	got := readLines(t, e.log)
	if len(got) != 3 || got[0] != "backup-database" || !strings.HasPrefix(got[1], "compose compose --env-file stella.env -f compose.stella.lock.yml -p acme-env-prod up -d") || got[2] != "warm-cache" {
		t.Errorf("log = %q", got)
	}
	if srv.posts() != 1 {
		t.Errorf("webhook got %d posts", srv.posts())
	}
}

func TestGenerateWorkflowBadInput(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "deploy.stella.csx"), "using StellaOps.Sdk;\nawait Context.Deploy();\n")
	for _, tc := range []struct{ name, workflow, env, want string }{
		{"syntax error", "hooks:\n  preDeploy:\n    - run: 'echo \"oops'\n", "", "workflow.yaml:3: hooks.preDeploy[0].run: shell syntax error"},
		{"unknown step kind", "hooks:\n  preDeploy:\n    - sleep: 3\n", "", "workflow.yaml:3: hooks.preDeploy[0].sleep: unknown step kind"},
		{"bad timeout", "hooks:\n  preDeploy:\n    - healthCheck: {url: 'http://a/', timeout: soon}\n", "", "healthCheck.timeout: \"soon\" is not a positive duration"},
		{"no compiler", "script: deploy.stella.csx\n", "nopath", "install the Debian packages mono-mcs and mono-runtime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf := filepath.Join(dir, "workflow.yaml")
			writeFile(t, wf, tc.workflow)
			if tc.env == "nopath" {
				t.Setenv("PATH", t.TempDir())
			}
			code, _, stderr := e.generate(t, "dep-bad", wf)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line containing %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(e.store, "acme", "dep-bad")); !os.IsNotExist(err) {
				t.Errorf("something was stored: %v", err)
			}
		})
	}
}

func hasArtifact(arts []struct{ Name, Type string }, name, typ string) bool {
	for _, a := range arts {
		if a.Name == name && a.Type == typ {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}
