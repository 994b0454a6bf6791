package script

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/internal/workflow"
)

var update = flag.Bool("update", false, "rewrite the golden scripts in testdata")

func parseWorkflow(t *testing.T, dir, yaml string) *workflow.Workflow {
	t.Helper()
	path := filepath.Join(dir, "workflow.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	wf, err := workflow.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return wf
}

// TestGolden generates each testdata/shell/*.txtar's workflow and compares the script with the golden
// one (go test -update rewrites it). The golden script is fed back through the formatter to prove that
// printing is stable, and is shellcheck clean at every severity.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/shell/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var opts Options
			var wfText string
			golden := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "options":
					for l := range strings.SplitSeq(strings.TrimSpace(string(f.Data)), "\n") {
						k, v, _ := strings.Cut(l, "=")
						switch k {
						case "project":
							opts.ProjectName = v
						case "compose":
							opts.ComposeCommand = v
						case "deployment":
							opts.DeploymentID = v
						}
					}
				case "workflow.yaml":
					wfText = string(f.Data)
				case ShellName:
					golden = i
				}
			}
			wf, err := workflow.Parse("workflow.yaml", []byte(wfText))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Shell(context.Background(), wf, opts)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Shell(context.Background(), wf, opts)
			if err != nil || !bytes.Equal(got, again) {
				t.Fatalf("second generation differs (err %v)", err)
			}
			if *update {
				ar.Files[golden].Data = got
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := ar.Files[golden].Data
			if !bytes.Equal(got, want) {
				t.Errorf("script differs from golden %s (go test -update rewrites it):\n%s", file, got)
			}
			reprinted, err := format(string(want))
			if err != nil || !bytes.Equal(reprinted, want) {
				t.Errorf("golden script is not stable under the printer (err %v)", err)
			}
			sc := testenv.Command(t, "shellcheck")
			cmd := exec.Command(sc, "--shell=bash", "--severity=style", "-")
			cmd.Stdin = bytes.NewReader(got)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("shellcheck: %v\n%s", err, out)
			}
		})
	}
}

func TestShellSyntaxError(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unclosed quote", "hooks:\n  preDeploy:\n    - run: echo ok\n    - run: 'echo \"unclosed'\n",
			`workflow.yaml:4: hooks.preDeploy[1].run: shell syntax error: reached EOF without closing quote`},
		{"block scalar second line", "hooks:\n  postDeploy:\n    - run: |\n        echo one\n        if true; then echo two\n",
			`workflow.yaml:5: hooks.postDeploy[0].run: shell syntax error`},
		{"health check command", "hooks:\n  preDeploy:\n    - healthCheck:\n        command: 'curl -f localhost | | grep ok'\n",
			`workflow.yaml:4: hooks.preDeploy[0].healthCheck.command: shell syntax error`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf := parseWorkflow(t, t.TempDir(), tc.yaml)
			_, err := Shell(context.Background(), wf, Options{})
			if err == nil || !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one input-error line containing %q", err, tc.want)
			}
		})
	}
}

func TestShellcheckRejectsUserCommand(t *testing.T) {
	testenv.Command(t, "shellcheck")
	wf := parseWorkflow(t, t.TempDir(), "hooks:\n  preDeploy:\n    - run: echo ok\n    - run: 'for f in $(ls *.txt); do echo \"$f\"; done'\n")
	_, err := Shell(context.Background(), wf, Options{})
	if err == nil || !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "workflow.yaml:4: hooks.preDeploy[1].run: shellcheck: SC2045") {
		t.Fatalf("err = %v", err)
	}
}

func TestOptionsRejected(t *testing.T) {
	wf := parseWorkflow(t, t.TempDir(), "hooks: {preDeploy: [{run: 'true'}]}\n")
	_, err := Shell(context.Background(), wf, Options{ProjectName: "My App"})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "--project-name") {
		t.Fatalf("err = %v", err)
	}
}

// webhook records JSON posts; health answers 503 until it has been asked fails times.
type stub struct {
	mu     sync.Mutex
	posts  []map[string]string
	asked  atomic.Int32
	fails  int32
	server *httptest.Server
}

func newStub(t *testing.T, fails int32) *stub {
	s := &stub{fails: fails}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		if s.asked.Add(1) <= s.fails {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &m) != nil {
			http.Error(w, "want JSON", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.posts = append(s.posts, m)
		s.mu.Unlock()
	})
	s.server = httptest.NewServer(mux)
	t.Cleanup(s.server.Close)
	return s
}

// fakeCompose writes an executable that appends "deploy ARGS (in DIR)" to the log: the stand-in for
// docker compose, called as "FAKE compose -f ... up -d".
func fakeCompose(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "fake-compose")
	script := "#!/bin/sh\necho \"deploy $* (in $(basename \"$PWD\"))\" >> \"$STELLA_TEST_LOG\"\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// runShell writes the script into a set directory and runs it with bash in workdir.
func runShell(t *testing.T, script []byte, log string) (int, string) {
	t.Helper()
	bash := testenv.Command(t, "bash")
	set := filepath.Join(t.TempDir(), "set")
	if err := os.MkdirAll(set, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(set, ShellName)
	if err := os.WriteFile(p, script, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, p)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "STELLA_TEST_LOG="+log)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

func readLog(t *testing.T, log string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestRunInOrder(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	st := newStub(t, 2)
	wf := parseWorkflow(t, dir, fmt.Sprintf(`hooks:
  preDeploy:
    - run: echo "pre $STELLA_PROJECT" >> "$STELLA_TEST_LOG"
  postDeploy:
    - healthCheck: {url: "%s/ready", timeout: 20s, interval: 100ms}
    - run: |
        echo post >> "$STELLA_TEST_LOG"
    - notify: {url: "%s/hook", message: "Deployment complete"}
`, st.server.URL, st.server.URL))
	script, err := Shell(context.Background(), wf, Options{ProjectName: "myapp", DeploymentID: "dep-9", ComposeCommand: fakeCompose(t, dir) + " compose"})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := runShell(t, script, log)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := []string{"pre myapp", "deploy compose -f compose.stella.lock.yml -p myapp up -d (in set)", "post"}
	if got := readLog(t, log); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log = %q, want %q", got, want)
	}
	if n := st.asked.Load(); n != 3 {
		t.Errorf("health endpoint asked %d times, want 3 (two 503s, then 200)", n)
	}
	if len(st.posts) != 1 || st.posts[0]["message"] != "Deployment complete" || st.posts[0]["hook"] != "postDeploy" || st.posts[0]["deploymentId"] != "dep-9" {
		t.Errorf("webhook got %v", st.posts)
	}
	for _, s := range []string{"stella: preDeploy step 1: run: echo", "stella: deploy step 1:", "stella: postDeploy step 3: notify"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
}

func TestRunStopsAtFailingHook(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	wf := parseWorkflow(t, dir, `hooks:
  preDeploy:
    - run: echo one >> "$STELLA_TEST_LOG"
    - run: |
        echo two >> "$STELLA_TEST_LOG"
        (exit 7)
        echo not-reached >> "$STELLA_TEST_LOG"
    - run: echo three >> "$STELLA_TEST_LOG"
  postDeploy:
    - run: echo post >> "$STELLA_TEST_LOG"
`)
	script, err := Shell(context.Background(), wf, Options{ComposeCommand: fakeCompose(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := runShell(t, script, log)
	if code != 7 {
		t.Errorf("exit %d, want 7", code)
	}
	if got := readLog(t, log); strings.Join(got, "|") != "one|two" {
		t.Errorf("log = %q, want one, two and nothing after", got)
	}
	if !strings.Contains(stderr, "stella: hook preDeploy failed at step 2 with exit status 7") {
		t.Errorf("stderr does not name the hook:\n%s", stderr)
	}
}

func TestHealthCheckGivesUp(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	st := newStub(t, 1000)
	wf := parseWorkflow(t, dir, fmt.Sprintf(`strategy: {onFailure: pause}
hooks:
  postDeploy:
    - healthCheck: {url: "%s/ready", timeout: 20s, interval: 50ms, retries: 2}
    - run: echo not-reached >> "$STELLA_TEST_LOG"
`, st.server.URL))
	script, err := Shell(context.Background(), wf, Options{ComposeCommand: fakeCompose(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := runShell(t, script, log)
	if code != 1 || !strings.Contains(stderr, "stella: hook postDeploy failed at step 1") || !strings.Contains(stderr, "deployment paused") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if n := st.asked.Load(); n != 3 {
		t.Errorf("asked %d times, want 3 (first try and two retries)", n)
	}
	if got := readLog(t, log); len(got) != 1 || !strings.HasPrefix(got[0], "deploy") {
		t.Errorf("log = %q", got)
	}
}

func TestRunContinueOnFailure(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	wf := parseWorkflow(t, dir, `strategy: {onFailure: continue}
hooks:
  postDeploy:
    - run: exit 4
    - healthCheck: {command: 'test -f "$STELLA_TEST_LOG"', timeout: 5s}
    - run: echo after >> "$STELLA_TEST_LOG"
`)
	script, err := Shell(context.Background(), wf, Options{ComposeCommand: fakeCompose(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := runShell(t, script, log)
	if code != 4 || !strings.Contains(stderr, "continuing (on failure: continue)") {
		t.Errorf("exit %d, want 4; stderr:\n%s", code, stderr)
	}
	if got := readLog(t, log); len(got) != 2 || got[1] != "after" {
		t.Errorf("log = %q", got)
	}
}

func TestUserShellScript(t *testing.T) {
	dir := t.TempDir()
	good := "#!/usr/bin/env bash\nset -euo pipefail\necho \"deploying $STELLA_SET_DIR\"\n"
	if err := os.WriteFile(filepath.Join(dir, "mine.sh"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	wf := parseWorkflow(t, dir, "script: mine.sh\n")
	arts, err := Build(context.Background(), wf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Name != ShellName || arts[0].Type != TypeShell || arts[0].Data != nil ||
		arts[0].Path != filepath.Join(dir, "mine.sh") || arts[0].Size != int64(len(good)) || arts[0].SHA256 != checksum.Sum([]byte(good)) {
		t.Fatalf("artifacts = %+v", arts)
	}

	bad := "#!/usr/bin/env bash\necho start\nif [ -f x ]; then\n  echo y\n"
	if err := os.WriteFile(filepath.Join(dir, "mine.sh"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), wf, Options{})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "mine.sh:3:1: shell syntax error") {
		t.Fatalf("err = %v", err)
	}

	testenv.Command(t, "shellcheck")
	lint := "#!/usr/bin/env bash\necho start\ncd /srv/app\n"
	if err := os.WriteFile(filepath.Join(dir, "mine.sh"), []byte(lint), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), wf, Options{})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "mine.sh:3: shellcheck: SC2164") {
		t.Fatalf("err = %v", err)
	}
}

// A user's script of many buffers is parsed, linted and hashed in one read: the artifact carries the
// size and digest of exactly its bytes, with and without shellcheck; a syntax error after the first
// buffers is still found.
func TestUserShellScriptLarge(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\nset -euo pipefail\n")
	for i := 0; b.Len() < 1<<20+12345; i++ {
		fmt.Fprintf(&b, "printf '%%s\\n' 'line %d %s' >/dev/null\n", i, strings.Repeat("x", 200))
	}
	good := b.String()
	p := filepath.Join(dir, "big.sh")
	if err := os.WriteFile(p, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	wf := parseWorkflow(t, dir, "script: big.sh\n")
	for _, o := range []Options{{noLint: true}, {}} {
		arts, err := Build(context.Background(), wf, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(arts) != 1 || arts[0].Path != p || arts[0].Size != int64(len(good)) || arts[0].SHA256 != checksum.Sum([]byte(good)) {
			t.Fatalf("artifact = %+v, want %d bytes with sha256 %s", arts[0], len(good), checksum.Sum([]byte(good)))
		}
	}
	if err := os.WriteFile(p, []byte(good+"if true; then\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), wf, Options{}); !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "shell syntax error") {
		t.Fatalf("syntax error at the end of a large script: %v", err)
	}
}

// A set with stella.env deploys with --env-file stella.env; a set without one deploys without it.
func TestShellPassesEnvFile(t *testing.T) {
	bash := testenv.Command(t, "bash")
	dir := t.TempDir()
	wf := parseWorkflow(t, dir, "strategy: {type: all-at-once}\n")
	script, err := Shell(context.Background(), wf, Options{ProjectName: "myapp", DeploymentID: "dep-1", ComposeCommand: fakeCompose(t, dir) + " compose"})
	if err != nil {
		t.Fatal(err)
	}
	for _, withEnv := range []bool{true, false} {
		log := filepath.Join(t.TempDir(), "log")
		set := filepath.Join(t.TempDir(), "set")
		if err := os.MkdirAll(set, 0o755); err != nil {
			t.Fatal(err)
		}
		if withEnv {
			if err := os.WriteFile(filepath.Join(set, EnvFileName), []byte("LOG_LEVEL=warn\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(set, ShellName)
		if err := os.WriteFile(p, script, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bash, p)
		cmd.Env = append(os.Environ(), "STELLA_TEST_LOG="+log)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		want := "deploy compose -f compose.stella.lock.yml -p myapp up -d (in set)"
		if withEnv {
			want = "deploy compose --env-file stella.env -f compose.stella.lock.yml -p myapp up -d (in set)"
		}
		if got := readLog(t, log); len(got) != 1 || got[0] != want {
			t.Errorf("with env file %v: log = %q, want %q", withEnv, got, want)
		}
	}
}

// A user's script over MaxLintSize is parsed, hashed and stored but not given to shellcheck (whose
// memory grows with it): a lint warning in it does not refuse it, and the log says it was not linted.
func TestUserShellScriptTooLargeToLint(t *testing.T) {
	testenv.Command(t, "shellcheck")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\necho start\ncd /srv/app\n") // shellcheck: SC2164
	for b.Len() <= MaxLintSize {
		b.WriteString("echo " + strings.Repeat("x", 100) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.sh"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	wf := parseWorkflow(t, dir, "script: mine.sh\n")
	arts, err := Build(context.Background(), wf, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("a script too large to lint was refused: %v", err)
	}
	if len(arts) != 1 || arts[0].SHA256 != checksum.Sum([]byte(b.String())) {
		t.Fatalf("artifacts = %+v", arts)
	}
	if !strings.Contains(logs.String(), "not linted") {
		t.Errorf("no warning that the script was not linted: %s", logs.String())
	}
}
