package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stella-ops/stella/internal/fault"
	"go.yaml.in/yaml/v3"
)

func TestLoadExample(t *testing.T) {
	w, err := Load("../../docs/examples/workflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w.Strategy != (Strategy{Type: Rolling, BatchSize: 1, OnFailure: Rollback}) {
		t.Errorf("strategy = %+v", w.Strategy)
	}
	pre, post := w.Hooks.PreDeploy, w.Hooks.PostDeploy
	if len(pre) != 2 || len(post) != 3 {
		t.Fatalf("hooks = %d pre, %d post", len(pre), len(post))
	}
	if pre[0].Run != "./scripts/backup-database.sh" || pre[0].Line != 5 || pre[0].RunLine != 5 {
		t.Errorf("pre[0] = %+v", pre[0])
	}
	h := pre[1].HealthCheck
	if pre[1].Name != "database answers" || h == nil || h.Command != "pg_isready -h db.internal" || h.Timeout.D() != time.Minute || h.Retries != 10 || h.Interval.D() != time.Second {
		t.Errorf("pre[1] = %+v %+v", pre[1], h)
	}
	if h := post[0].HealthCheck; h == nil || h.URL != "http://localhost:8080/ready" || h.Timeout.D() != 30*time.Second || h.Interval.D() != 2*time.Second {
		t.Errorf("post[0] = %+v", post[0])
	}
	if post[1].Run != "./scripts/warm-cache.sh\necho \"cache warm\"\n" || post[1].RunLine != 11 {
		t.Errorf("post[1] = %q line %d", post[1].Run, post[1].RunLine)
	}
	if n := post[2].Notify; n == nil || n.URL != "https://hooks.example.com/deploy" || n.Message != "Deployment complete" {
		t.Errorf("post[2] = %+v", post[2])
	}
}

func TestDefaults(t *testing.T) {
	w, err := Parse("w.yaml", []byte("hooks: {preDeploy: [{run: 'true'}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Strategy != (Strategy{Type: AllAtOnce, OnFailure: Rollback}) {
		t.Errorf("strategy = %+v", w.Strategy)
	}
	w, err = Parse("dir/w.yaml", []byte("strategy: {type: rolling}\nscript: deploy.stella.csx\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Strategy.BatchSize != 1 || w.ScriptPath != filepath.Join("dir", "deploy.stella.csx") || w.ScriptLine != 2 {
		t.Errorf("workflow = %+v", w)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown field", "strategy: {type: rolling}\nhook: {}\n", "w.yaml:2: hook: unknown field"},
		{"unknown strategy field", "strategy:\n  type: rolling\n  batch: 2\n", "w.yaml:3: strategy.batch: unknown field"},
		{"bad strategy type", "strategy: {type: blue-green}\n", `w.yaml:1: strategy.type: "blue-green" is not one of all-at-once, rolling`},
		{"bad onFailure", "strategy: {onFailure: explode}\n", `strategy.onFailure: "explode" is not one of rollback, continue, pause`},
		{"batch size zero", "strategy: {type: rolling, batchSize: 0}\n", "strategy.batchSize: must be a whole number of at least 1"},
		{"batch size all at once", "strategy:\n  batchSize: 2\n", "w.yaml:2: strategy.batchSize: only a rolling strategy has a batch size"},
		{"unknown step kind", "hooks:\n  preDeploy:\n    - run: a\n    - sleep: 3\n", "w.yaml:4: hooks.preDeploy[1].sleep: unknown step kind (known: run, healthCheck, notify)"},
		{"unknown hook", "hooks:\n  midDeploy: []\n", "w.yaml:2: hooks.midDeploy: unknown field"},
		{"hook with no command", "hooks:\n  postDeploy:\n    - run:\n", "w.yaml:3: hooks.postDeploy[0].run: a run step needs a command"},
		{"blank command", "hooks:\n  postDeploy:\n    - run: '  '\n", "w.yaml:3: hooks.postDeploy[0].run: a run step needs a command"},
		{"step with nothing", "hooks:\n  postDeploy:\n    - name: x\n", "w.yaml:3: hooks.postDeploy[0]: a step needs one of run, healthCheck, notify"},
		{"two kinds", "hooks:\n  postDeploy:\n    - run: a\n      notify: {url: 'http://x', message: m}\n", "w.yaml:4: hooks.postDeploy[0].notify: a step has exactly one of"},
		{"health check without target", "hooks:\n  preDeploy:\n    - healthCheck: {timeout: 30s}\n", "w.yaml:3: hooks.preDeploy[0].healthCheck: a health check needs a url or a command"},
		{"health check empty", "hooks:\n  preDeploy:\n    - healthCheck:\n", "w.yaml:3: hooks.preDeploy[0].healthCheck: a health check needs a url or a command"},
		{"health check both", "hooks:\n  preDeploy:\n    - healthCheck: {url: 'http://a', command: b}\n", "a url or a command, not both"},
		{"bad timeout", "hooks:\n  preDeploy:\n    - healthCheck:\n        url: http://localhost/ready\n        timeout: soon\n", `w.yaml:5: hooks.preDeploy[0].healthCheck.timeout: "soon" is not a positive duration like 30s or 2m`},
		{"timeout without unit", "hooks:\n  preDeploy:\n    - healthCheck: {url: 'http://a', timeout: 30}\n", `healthCheck.timeout: "30" is not a positive duration`},
		{"bad url", "hooks:\n  preDeploy:\n    - healthCheck: {url: /ready}\n", `healthCheck.url: "/ready" is not an http or https URL`},
		{"notify without url", "hooks:\n  postDeploy:\n    - notify: {message: hi}\n", "w.yaml:3: hooks.postDeploy[0].notify.url: a notify step needs a webhook url"},
		{"notify unknown field", "hooks:\n  postDeploy:\n    - notify: {url: 'http://a', message: hi, channel: x}\n", "notify.channel: unknown field"},
		{"script kind", "script: deploy.py\n", `w.yaml:1: script: "deploy.py" is neither a C# script (.csx) nor a shell script (.sh)`},
		{"script and hooks", "hooks: {preDeploy: [{run: a}]}\nscript: d.csx\n", "w.yaml:2: script: a workflow with its own script carries its hooks"},
		{"not yaml", "strategy: [\n", "w.yaml:1: not valid YAML"},
		{"empty", "", "w.yaml:1: empty file"},
		{"list", "- a\n", "w.yaml:1: must be a mapping"},
		{"twice", "strategy: {}\nstrategy: {}\n", "w.yaml:2: strategy: given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("w.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("accepted %q", tc.in)
			}
			if !fault.Is(err, fault.Input) {
				t.Errorf("kind = %v, want input", fault.KindOf(err))
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line containing %q", msg, tc.want)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "nope.yaml: no such file") {
		t.Errorf("err = %v", err)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile("../../docs/schemas/workflow.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func yamlValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The schema documents what the loader accepts: the example passes both, and inputs the loader refuses
// for their shape are refused by the schema too.
func TestSchema(t *testing.T) {
	s := compileSchema(t)
	data, err := os.ReadFile("../../docs/examples/workflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(yamlValue(t, data)); err != nil {
		t.Fatalf("example does not validate: %v", err)
	}
	for _, bad := range []string{
		"hook: {}\n",
		"strategy: {type: blue-green}\n",
		"strategy: {batchSize: 2}\n",
		"hooks: {preDeploy: [{sleep: 3}]}\n",
		"hooks: {preDeploy: [{healthCheck: {timeout: 30s}}]}\n",
		"hooks: {preDeploy: [{healthCheck: {url: 'http://a', timeout: soon}}]}\n",
		"hooks: {postDeploy: [{notify: {message: hi}}]}\n",
		"hooks: {preDeploy: [{run: a}]}\nscript: d.csx\n",
		"script: deploy.py\n",
	} {
		if err := s.Validate(yamlValue(t, []byte(bad))); err == nil {
			t.Errorf("schema accepts %q", bad)
		}
		if _, err := Parse("w.yaml", []byte(bad)); err == nil {
			t.Errorf("loader accepts %q", bad)
		}
	}
}
