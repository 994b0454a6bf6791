package generate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/stella-ops/stella/internal/lockfile"
	yaml "go.yaml.in/yaml/v3"
)

// loadProject loads a Compose file as Docker Compose would (include and extends resolved, paths made
// absolute from dir, every profile on) with env as its environment.
func loadProject(t *testing.T, dir, file string, env types.Mapping) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, file)}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SkipResolveEnvironment = true
		o.SetProjectName("corpus", true)
		o.Profiles = []string{"*"}
	})
	if err != nil {
		t.Fatalf("compose-go cannot load %s: %v", file, err)
	}
	return p
}

// withoutStellaChanges clears what the lock may change on purpose: image, build, Stella's labels and
// the replica count.
func withoutStellaChanges(s types.ServiceConfig) types.ServiceConfig {
	// pull_policy: build or never goes with the build Stella drops.
	if s.Build != nil && (s.PullPolicy == types.PullPolicyBuild || s.PullPolicy == types.PullPolicyNever) {
		s.PullPolicy = ""
	}
	s.Image, s.Build, s.Scale = "", nil, nil
	s.Labels = withoutStellaLabels(s.Labels)
	// pre_start hooks inherit the service's image and labels.
	hooks := make([]types.PreStartHook, len(s.PreStart))
	for i, h := range s.PreStart {
		h.Image = ""
		h.Labels = withoutStellaLabels(h.Labels)
		hooks[i] = h
	}
	s.PreStart = hooks
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
		if reflect.DeepEqual(d, types.DeployConfig{}) {
			s.Deploy = nil
		}
	}
	return s
}

func withoutStellaLabels(l types.Labels) types.Labels {
	labels := types.Labels{}
	for k, v := range l {
		if !strings.HasPrefix(k, "stella.") {
			labels[k] = v
		}
	}
	if len(labels) == 0 {
		return nil
	}
	return labels
}

// Every lock of the golden corpus means its template: loaded by compose-go next to it, with the
// environment read back from stella.env, each service equals the template's apart from image, build,
// Stella's labels and replicas; every service of the template is in the lock, pinned and labelled.
func TestCorpusLocksMeanTheirTemplates(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(testdataDir, "golden", "*.txtar"))
	n := 0
	for _, path := range paths {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(filepath.Base(path), "err-") {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			res, err := runArchive(t, ar)
			if err != nil {
				t.Fatal(err)
			}
			dir, _ := os.Getwd() // runArchive works in the archive's directory
			in, err := Load("release.yaml", "environment.yaml")
			if err != nil {
				t.Fatal(err)
			}
			want := in.Environment.Variables
			env := types.Mapping{"REQUIRED": "x", "DATABASE_URL": "postgres://db"}
			if data := file(res, lockfile.EnvFileName); data != nil {
				os.WriteFile(filepath.Join(dir, lockfile.EnvFileName), data, 0o644)
				vars, err := dotenv.GetEnvFromFile(types.Mapping{}, []string{filepath.Join(dir, lockfile.EnvFileName)})
				if err != nil {
					t.Fatalf("compose-go cannot read %s: %v", lockfile.EnvFileName, err)
				}
				for k, v := range want {
					if vars[k] != v {
						t.Errorf("%s: %s read back as %q, want %q", lockfile.EnvFileName, k, vars[k], v)
					}
				}
				if len(vars) != len(want) {
					t.Errorf("%s holds %d variables, the environment %d", lockfile.EnvFileName, len(vars), len(want))
				}
				for k, v := range vars {
					env[k] = v
				}
			}
			os.WriteFile(filepath.Join(dir, lockfile.FileName), file(res, lockfile.FileName), 0o644)
			tp := loadProject(t, dir, "compose.yaml", env)
			lp := loadProject(t, dir, lockfile.FileName, env)
			if len(tp.Services) != len(lp.Services) {
				t.Errorf("template has %d services, lock %d", len(tp.Services), len(lp.Services))
			}
			for name, ts := range tp.Services {
				ls, ok := lp.Services[name]
				if !ok {
					t.Errorf("%s: missing from the lock", name)
					continue
				}
				if !strings.Contains(ls.Image, "@sha256:") || ls.Labels["stella.digest"] == "" || ls.Build != nil {
					t.Errorf("%s: not pinned and labelled: image %q, labels %v, build %v", name, ls.Image, ls.Labels, ls.Build)
				}
				a, b := withoutStellaChanges(ts), withoutStellaChanges(ls)
				if !reflect.DeepEqual(a, b) {
					ya, _ := yaml.Marshal(a)
					yb, _ := yaml.Marshal(b)
					t.Errorf("%s differs from the template:\n--- template\n%s\n--- lock\n%s", name, ya, yb)
				}
			}
			for _, section := range []struct {
				name string
				a, b any
			}{{"networks", tp.Networks, lp.Networks}, {"volumes", tp.Volumes, lp.Volumes}, {"secrets", tp.Secrets, lp.Secrets}, {"configs", tp.Configs, lp.Configs}} {
				if !reflect.DeepEqual(section.a, section.b) {
					t.Errorf("%s differ: template %v, lock %v", section.name, section.a, section.b)
				}
			}
		})
	}
	if n < 5 {
		t.Fatalf("only %d archives generate a set", n)
	}
}
