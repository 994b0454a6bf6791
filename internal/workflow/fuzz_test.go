package workflow

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
)

// FuzzParse: no workflow.yaml, however malformed, makes Parse panic; every refusal is bad input (exit 2)
// in one line naming the file; every workflow accepted has a known strategy and failure mode, a
// non-negative batch size, a kind for each step, and a script, when it has one, of a known kind.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../docs/examples/workflow.yaml"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"strategy: {type: rolling, batchSize: 2, onFailure: pause}\n",
		"script: deploy.stella.csx\n", "script: deploy.sh\n", "script: ../../etc/passwd\n", "script: x.py\n",
		"hooks: {preDeploy: [{run: a, healthCheck: {url: http://x}}]}\n",
		"hooks: {postDeploy: [{healthCheck: {command: x, timeout: 1y}}]}\n",
		"hooks: {postDeploy: [{healthCheck: {url: 'http://[::1'}}]}\n",
		"hooks: {postDeploy: [{notify: {url: ftp://x}}]}\n",
		"hooks: {preDeploy: [{}]}\n", "hooks: {preDeploy: null}\n", "strategy: {batchSize: -1}\n",
		"strategy: {batchSize: 99999999999999999999}\n", "strategy:\n  type: rolling\n  type: rolling\n",
		"a: &a [*a]\n", "x: &a\n  <<: *a\n", "---\n---\n", "", "\x00", "\ufeffstrategy: {}\n", "[1, 2]\n",
		"hooks: {preDeploy: [{run: \"a\\nb\", timeout: 1ns}]}\n", "strategy: {type: \"\\u2028\"}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		w, err := Parse("workflow.yaml", []byte(doc))
		if err != nil {
			if fault.KindOf(err) != fault.Input {
				t.Fatalf("%v is not bad input", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "workflow.yaml") || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("refusal %q is not one line naming the file", msg)
			}
			return
		}
		if !slices.Contains(StrategyTypes, w.Strategy.Type) || !slices.Contains(FailureModes, w.Strategy.OnFailure) || w.Strategy.BatchSize < 0 {
			t.Fatalf("accepted strategy %+v", w.Strategy)
		}
		for _, steps := range [][]Step{w.Hooks.PreDeploy, w.Hooks.PostDeploy} {
			for i, s := range steps {
				ok := false
				switch s.Kind() {
				case "run":
					ok = strings.TrimSpace(s.Run) != ""
				case "healthCheck":
					h := s.HealthCheck
					ok = s.Run == "" && s.Notify == nil && (h.URL == "") != (h.Command == "") && h.Timeout > 0 && h.Interval > 0 && h.Retries >= 0
				case "notify":
					ok = s.Run == "" && (strings.HasPrefix(s.Notify.URL, "http://") || strings.HasPrefix(s.Notify.URL, "https://"))
				}
				if !ok {
					t.Fatalf("accepted step %d: %+v", i, s)
				}
			}
		}
		if w.Script != "" && !strings.HasSuffix(w.Script, "."+ScriptCSharp) && !strings.HasSuffix(w.Script, "."+ScriptShell) {
			t.Fatalf("accepted script %q", w.Script)
		}
	})
}
