package script

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/internal/workflow"
)

// csxWorkflow writes a workflow naming deploy.stella.csx with the given source, next to it.
func csxWorkflow(t *testing.T, src string) *workflow.Workflow {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deploy.stella.csx"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return parseWorkflow(t, dir, "strategy: {type: rolling, batchSize: 2}\nscript: deploy.stella.csx\n")
}

func specExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/csharp/deploy.stella.csx")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeSet(t *testing.T, arts []Artifact) string {
	t.Helper()
	set := filepath.Join(t.TempDir(), "set")
	if err := os.MkdirAll(set, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if err := os.WriteFile(filepath.Join(set, a.Name), a.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

// TestCSharpSpecExample compiles the spec's example unchanged and runs it with mono: the hooks' commands
// run in order around the (stand-in) deploy, the health check polls and the notification is posted.
func TestCSharpSpecExample(t *testing.T) {
	mcs := testenv.Command(t, "mcs")
	mono := testenv.Command(t, "mono")
	wf := csxWorkflow(t, specExample(t))
	work := t.TempDir()
	log := filepath.Join(work, "log")
	opts := Options{CSXCompiler: mcs, ProjectName: "myapp", DeploymentID: "dep-7", ComposeCommand: fakeCompose(t, work) + " compose"}
	arts, err := Build(context.Background(), wf, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range arts {
		names = append(names, a.Name+":"+a.Type)
	}
	if got := strings.Join(names, " "); got != "StellaOps.Sdk.dll:script-sdk deploy.stella.script.csx:script-source deploy.stella.script.dll:script-compiled" {
		t.Fatalf("artifacts = %s", got)
	}
	if string(arts[1].Data) != specExample(t) {
		t.Error("the source artifact is not the script as given")
	}
	again, err := Build(context.Background(), wf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range arts {
		if !bytes.Equal(arts[i].Data, again[i].Data) {
			t.Errorf("%s differs between two builds: mcs output is not deterministic", arts[i].Name)
		}
	}

	set := writeSet(t, arts)
	if err := os.MkdirAll(filepath.Join(work, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"backup-database", "warm-cache"} {
		sh := "#!/bin/sh\necho " + name + " >> \"$STELLA_TEST_LOG\"\n"
		if err := os.WriteFile(filepath.Join(work, "scripts", name+".sh"), []byte(sh), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st := newStub(t, 1)
	cmd := exec.Command(mono, filepath.Join(set, DLLName))
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "STELLA_TEST_LOG="+log, "STELLA_HEALTH_BASE_URL="+st.server.URL, "STELLA_NOTIFY_SLACK="+st.server.URL+"/hook")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mono: %v\n%s", err, out)
	}
	want := []string{"backup-database", "deploy compose -f compose.stella.lock.yml -p myapp up -d (in set)", "warm-cache"}
	if got := readLog(t, log); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log = %q, want %q\n%s", got, want, out)
	}
	if n := st.asked.Load(); n != 2 {
		t.Errorf("health asked %d times, want 2 (a 503, then 200)", n)
	}
	if len(st.posts) != 1 || st.posts[0]["message"] != "Deployment complete" || st.posts[0]["channel"] != "slack" || st.posts[0]["deploymentId"] != "dep-7" {
		t.Errorf("webhook got %v", st.posts)
	}
}

func TestCSharpFailingHook(t *testing.T) {
	mcs := testenv.Command(t, "mcs")
	mono := testenv.Command(t, "mono")
	wf := csxWorkflow(t, `#r "nuget: StellaOps.Sdk, 1.0.0"
using StellaOps.Sdk;
await Context.RunPreDeployHook(async (ctx) => {
    await ctx.ExecuteCommand("echo one >> \"$STELLA_TEST_LOG\"");
    await ctx.ExecuteCommand("exit 5");
    await ctx.ExecuteCommand("echo not-reached >> \"$STELLA_TEST_LOG\"");
});
await Context.Deploy();
`)
	work := t.TempDir()
	arts, err := Build(context.Background(), wf, Options{CSXCompiler: mcs, ComposeCommand: fakeCompose(t, work)})
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(work, "log")
	cmd := exec.Command(mono, filepath.Join(writeSet(t, arts), DLLName))
	cmd.Env = append(os.Environ(), "STELLA_TEST_LOG="+log)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 5 {
		t.Fatalf("err = %v, want exit 5\n%s", err, out)
	}
	if !strings.Contains(string(out), "hook preDeploy failed with exit status 5") {
		t.Errorf("output does not name the hook:\n%s", out)
	}
	if got := readLog(t, log); strings.Join(got, "|") != "one" {
		t.Errorf("log = %q", got)
	}
}

func TestCSharpBadInput(t *testing.T) {
	mcs := testenv.Command(t, "mcs")
	for _, tc := range []struct{ name, src, want string }{
		{"type error", "#r \"nuget: StellaOps.Sdk, 1.0.0\"\nusing StellaOps.Sdk;\n\nawait Context.Deploy();\nint port = \"8080\";\n",
			"deploy.stella.csx:5:12: does not compile: CS0029"},
		{"unknown name", "using StellaOps.Sdk;\n// comment\nawait Context.Deploy();\nawait Context.Undeploy();\n",
			"deploy.stella.csx:4:"},
		{"unknown reference", "#r \"nuget: Newtonsoft.Json, 13.0.1\"\nusing StellaOps.Sdk;\n",
			`deploy.stella.csx:1: #r "nuget: Newtonsoft.Json, 13.0.1": unknown reference`},
		{"dll reference", "using StellaOps.Sdk;\n#r \"System.Net.Http.dll\"\n",
			`deploy.stella.csx:2: #r "System.Net.Http.dll": unknown reference`},
		{"newer sdk", "#r \"nuget: StellaOps.Sdk, 1.2.0\"\n",
			`deploy.stella.csx:1: #r "nuget: StellaOps.Sdk, 1.2.0": the bundled StellaOps.Sdk is 1.0.0`},
		{"late reference", "using StellaOps.Sdk;\nawait Context.Deploy();\n#r \"nuget: StellaOps.Sdk\"\n",
			"deploy.stella.csx:3: #r must stand before the script's first statement"},
		{"unbalanced braces", "using StellaOps.Sdk;\nawait Context.Deploy();\n}\n",
			"does not compile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf := csxWorkflow(t, tc.src)
			_, err := Build(context.Background(), wf, Options{CSXCompiler: mcs})
			if err == nil || !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one input-error line containing %q", err, tc.want)
			}
		})
	}
}

func TestCSharpNoCompiler(t *testing.T) {
	wf := csxWorkflow(t, specExample(t))
	t.Setenv("PATH", t.TempDir())
	_, err := Build(context.Background(), wf, Options{})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "mono-mcs and mono-runtime") || !strings.Contains(err.Error(), "workflow.yaml:2: script deploy.stella.csx") {
		t.Fatalf("err = %v", err)
	}
	_, err = Build(context.Background(), wf, Options{CSXCompiler: filepath.Join(t.TempDir(), "mcs")})
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "--csx-compiler") {
		t.Fatalf("err = %v", err)
	}
}

func TestSDKVersions(t *testing.T) {
	for v, want := range map[string]bool{"1.0.0": true, "1.0": true, "1": true, "0.9.0": false, "1.0.1": false, "2.0.0": false, "x": false} {
		if got := sdkSatisfies(v); got != want {
			t.Errorf("sdkSatisfies(%q) = %v, want %v", v, got, want)
		}
	}
}

// The C# SDK's Deploy passes --env-file stella.env when the set carries one, like deploy.stella.sh.
func TestCSharpDeployPassesEnvFile(t *testing.T) {
	mcs := testenv.Command(t, "mcs")
	mono := testenv.Command(t, "mono")
	wf := csxWorkflow(t, "#r \"nuget: StellaOps.Sdk, 1.0.0\"\nusing StellaOps.Sdk;\nawait Context.Deploy();\n")
	work := t.TempDir()
	log := filepath.Join(work, "log")
	arts, err := Build(context.Background(), wf, Options{CSXCompiler: mcs, ProjectName: "myapp", DeploymentID: "dep-1", ComposeCommand: fakeCompose(t, work) + " compose"})
	if err != nil {
		t.Fatal(err)
	}
	set := writeSet(t, append(arts, Artifact{Name: EnvFileName, Data: []byte("LOG_LEVEL=warn\n")}))
	cmd := exec.Command(mono, filepath.Join(set, DLLName))
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "STELLA_TEST_LOG="+log)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mono: %v\n%s", err, out)
	}
	want := "deploy compose --env-file stella.env -f compose.stella.lock.yml -p myapp up -d (in set)"
	if got := readLog(t, log); len(got) != 1 || got[0] != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}
