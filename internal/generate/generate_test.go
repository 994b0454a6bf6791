package generate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/testenv"
)

func archive(t *testing.T, name string) *txtar.Archive {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join(testdataDir, "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return ar
}

func generateWith(t *testing.T, ar *txtar.Archive, s *sign.Signer) *Result {
	t.Helper()
	dir := t.TempDir()
	for _, f := range ar.Files {
		if !strings.HasPrefix(f.Name, "want/") && f.Name != "targets" {
			os.MkdirAll(filepath.Dir(filepath.Join(dir, f.Name)), 0o755)
			os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644)
		}
	}
	in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(context.Background(), Request{Inputs: in, TenantID: "acme", DeploymentID: "deploy-1", Signer: s, Now: goldenNow})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func file(res *Result, name string) []byte {
	for _, f := range res.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// Same inputs, key and clock give the same bytes: every file for RS256 and EdDSA (deterministic
// signatures), the lock for ES256 (ECDSA signatures are randomised).
func TestDeterminism(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	for _, alg := range sign.Algorithms {
		s, err := kr.Generate("det/"+alg, alg)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"contract.txtar", "kept.txtar", "include.txtar", "extends.txtar"} {
			a := generateWith(t, archive(t, name), s)
			b := generateWith(t, archive(t, name), s)
			if len(a.Files) != len(b.Files) {
				t.Fatalf("%s %s: %d files, then %d", alg, name, len(a.Files), len(b.Files))
			}
			for i := range a.Files {
				same := bytes.Equal(a.Files[i].Data, b.Files[i].Data)
				// With ES256 every file but the lock carries or hashes a randomised signature.
				if !same && (alg != sign.ES256 || a.Files[i].Name == lockfile.FileName) {
					t.Errorf("%s %s: %s differs between two runs", alg, name, a.Files[i].Name)
				}
			}
		}
	}
}

// The lock loads with compose-go's full loader (what Docker Compose uses), without interpolation, and
// says what the release and environment say.
func TestLockLoadsWithComposeGo(t *testing.T) {
	for _, name := range []string{"contract.txtar", "kept.txtar"} {
		t.Run(name, func(t *testing.T) {
			res := generateWith(t, archive(t, name), testKey(t))
			lock := file(res, lockfile.FileName)
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "token.txt"), []byte("x"), 0o644)
			p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
				WorkingDir:  dir,
				ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, lockfile.FileName), Content: lock}},
				Environment: types.Mapping{},
			}, func(o *loader.Options) {
				o.SkipInterpolation = true
				o.SkipResolveEnvironment = true
				o.SetProjectName("roundtrip", true)
				o.Profiles = []string{"*"}
			})
			if err != nil {
				t.Fatalf("compose-go cannot load the lock: %v", err)
			}
			for _, pin := range res.Pins {
				svc, ok := p.Services[pin.Service]
				if !ok {
					t.Fatalf("service %s missing after load", pin.Service)
				}
				if svc.Image != pin.Image() {
					t.Errorf("%s: image %q, want %q", pin.Service, svc.Image, pin.Image())
				}
				if svc.Labels["stella.digest"] != pin.Digest || svc.Labels["stella.release.id"] == "" {
					t.Errorf("%s: labels %v", pin.Service, svc.Labels)
				}
				if pin.ComponentID != "" && svc.Labels["stella.component.id"] != pin.ComponentID {
					t.Errorf("%s: stella.component.id = %q", pin.Service, svc.Labels["stella.component.id"])
				}
				if svc.Build != nil {
					t.Errorf("%s: the lock must not build", pin.Service)
				}
			}
			if _, ok := p.Extensions["x-stella"]; !ok {
				t.Error("x-stella missing after load")
			}
			if name == "contract.txtar" {
				if r := p.Services["api"].Deploy; r == nil || r.Replicas == nil || *r.Replicas != 2 {
					t.Errorf("api replicas = %v, want 2", r)
				}
				if r := p.Services["worker"].Deploy; r == nil || r.Replicas == nil || *r.Replicas != 1 {
					t.Errorf("worker replicas = %v, want 1 (environment overrides the template's 3)", r)
				}
				if v := p.Services["api"].Environment["DATABASE_URL"]; v == nil || *v != "${DATABASE_URL}" {
					t.Errorf("DATABASE_URL = %v, want the literal ${DATABASE_URL}", v)
				}
			}
			if name == "kept.txtar" {
				api := p.Services["api"]
				if api.HealthCheck == nil || len(api.Secrets) != 1 || len(api.Volumes) != 1 || len(api.Profiles) != 1 || api.Extensions["x-note"] != "keep me" {
					t.Errorf("api lost template fields: %+v", api)
				}
				for k, want := range map[string]string{"REQUIRED": "${REQUIRED:?set REQUIRED}", "LOG_LEVEL": "${LOG_LEVEL:-info}", "PRICE": "$$5"} {
					if v := api.Environment[k]; v == nil || *v != want {
						t.Errorf("api %s = %v, want %q", k, v, want)
					}
				}
				// A bare name stays bare: Compose takes it from the target's environment, or leaves it unset.
				if v, ok := api.Environment["DATABASE_URL"]; !ok || v != nil {
					t.Errorf("api DATABASE_URL = %v (present %v), want the bare name kept", v, ok)
				}
				if p.Services["api"].DependsOn["db"].Condition != "service_healthy" {
					t.Errorf("depends_on lost: %+v", p.Services["api"].DependsOn)
				}
			}
		})
	}
}

// Secret references may appear (in the lock's x-stella block, and in the manifest's subject, which
// carries the environment as deployed); nothing else carries them.
func TestNoSecretValues(t *testing.T) {
	res := generateWith(t, archive(t, "kept.txtar"), testKey(t))
	for _, f := range res.Files {
		if bytes.Contains(f.Data, []byte("vault://")) && f.Name != lockfile.FileName && f.Name != "manifest.json" {
			t.Errorf("%s carries a secret reference outside the lock's x-stella block and the manifest's subject", f.Name)
		}
	}
}

// The set checks out with the tools a user has: sha256sum -c, openssl against the public key, and the
// contract's sed line for the lock's own checksum.
func TestInteropWithSha256sumAndOpenSSL(t *testing.T) {
	sha256sum := testenv.Command(t, "sha256sum")
	openssl := testenv.Command(t, "openssl")
	kr := sign.Keyring{Dir: t.TempDir()}
	for _, alg := range sign.Algorithms {
		t.Run(alg, func(t *testing.T) {
			s, err := kr.Generate("interop/"+alg, alg)
			if err != nil {
				t.Fatal(err)
			}
			res := generateWith(t, archive(t, "kept.txtar"), s)
			dir := t.TempDir()
			for _, f := range res.Files {
				os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o444)
			}
			run := func(name string, args ...string) string {
				cmd := exec.Command(name, args...)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s %v: %v\n%s", name, args, err, out)
				}
				return string(out)
			}
			run(sha256sum, "-c", "--strict", "checksums.sha256")
			pub, _ := kr.PublicPath(s.Ref)
			sig := filepath.Join(t.TempDir(), "sig.bin")
			run("sh", "-c", "base64 -d checksums.sha256.sig > "+sig)
			if alg == sign.EdDSA {
				run(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", "checksums.sha256", "-sigfile", sig)
			} else {
				run(openssl, "dgst", "-sha256", "-verify", pub, "-signature", sig, "checksums.sha256")
			}
			// docs/signing.md's recipe for a signed JSON document: canonical JSON without "signature".
			python := testenv.Command(t, "python3")
			for _, doc := range []string{"manifest.json", "stella.version.json"} {
				payload := filepath.Join(t.TempDir(), "payload")
				jsig := filepath.Join(t.TempDir(), "jsig.bin")
				run("sh", "-c", python+` -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("signature"); sys.stdout.write(json.dumps(d, sort_keys=True, separators=(",",":"), ensure_ascii=False))' `+doc+" > "+payload)
				run("sh", "-c", python+` -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["signature"]))' `+doc+" > "+jsig)
				if alg == sign.EdDSA {
					run(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", payload, "-sigfile", jsig)
				} else {
					run(openssl, "dgst", "-sha256", "-verify", pub, "-signature", jsig, payload)
				}
			}
			got := run("sh", "-c", `sed -E 's/^([[:space:]]*sha256:[[:space:]]*)"?[0-9a-f]{64}"?[[:space:]]*$/\1""/' compose.stella.lock.yml | sha256sum | cut -c1-64`)
			recorded, _ := lockfile.SelfChecksum(file(res, lockfile.FileName))
			if strings.TrimSpace(got) != recorded {
				t.Fatalf("sed | sha256sum = %s, lock records %s", got, recorded)
			}
		})
	}
}

type memCache map[string]bool

func (m memCache) Valid(k string) bool { return m[k] }
func (m memCache) Remember(k string)   { m[k] = true }

// A template that passed the checks is remembered by its files and environment; one that failed is not; a remembered
// key skips the schema (shown by a cache that vouches for an invalid template).
func TestValidCache(t *testing.T) {
	ar := archive(t, "contract.txtar")
	cache := memCache{}
	dir := t.TempDir()
	for _, f := range ar.Files {
		if !strings.HasPrefix(f.Name, "want/") {
			os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644)
		}
	}
	gen := func() error {
		in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Generate(context.Background(), Request{Inputs: in, TenantID: "a", DeploymentID: "d", Signer: testKey(t), Now: goldenNow, ValidCache: cache})
		return err
	}
	if err := gen(); err != nil {
		t.Fatal(err)
	}
	if len(cache) != 1 {
		t.Fatalf("cache after a valid template: %v", cache)
	}
	tpl, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	bad := append(tpl, []byte("    deploy2: {}\n")...)
	os.WriteFile(filepath.Join(dir, "compose.yaml"), bad, 0o644)
	if err := gen(); err == nil || !strings.Contains(err.Error(), "deploy2") {
		t.Fatalf("invalid template: %v", err)
	}
	if len(cache) != 1 {
		t.Fatalf("an invalid template was remembered: %v", cache)
	}
	in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := in.template()
	if err != nil {
		t.Fatal(err)
	}
	cache[tp.ValidKey(in.Environment)] = true
	if err := gen(); err != nil {
		t.Fatalf("a remembered key still validated: %v", err)
	}
}

// Every set returned leaves the marker of exactly the lock and stella.env it holds: after the lock was
// loaded (cold) and when the template was known (warm, the lock not loaded again); a lock that fails the
// load leaves none, nor one whose secrets generation's load saw as placeholders and verification's
// would not.
func TestLoadCache(t *testing.T) {
	write := func(t *testing.T, ar *txtar.Archive, env string) string {
		t.Helper()
		dir := t.TempDir()
		for _, f := range ar.Files {
			if !strings.HasPrefix(f.Name, "want/") && f.Name != "error" {
				os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644)
			}
		}
		if env != "" {
			os.WriteFile(filepath.Join(dir, "environment.yaml"), []byte(env), 0o644)
		}
		return dir
	}
	gen := func(t *testing.T, dir, id string, valid, loads memCache) (*Result, error) {
		t.Helper()
		in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(context.Background(), Request{Inputs: in, TenantID: "a", DeploymentID: id, Signer: testKey(t), Now: goldenNow, ValidCache: valid, LoadCache: loads})
		return res, err
	}
	keyOf := func(res *Result) string {
		env := file(res, lockfile.EnvFileName)
		return lockfile.LoadKey(file(res, lockfile.FileName), env, env != nil, lockfile.SecretNames(res.Manifest.Subject.Environment))
	}

	t.Run("cold and warm", func(t *testing.T) {
		for _, name := range []string{"typed-vars.txtar", "contract.txtar"} { // with and without stella.env
			dir := write(t, archive(t, name), "")
			valid, loads := memCache{}, memCache{}
			cold, err := gen(t, dir, "d1", valid, loads)
			if err != nil {
				t.Fatal(err)
			}
			if want := keyOf(cold); len(loads) != 1 || !loads[want] {
				t.Fatalf("%s cold: markers %v, want only %s", name, loads, want)
			}
			if len(valid) != 1 {
				t.Fatalf("%s: the template was not remembered: %v", name, valid)
			}
			warm, err := gen(t, dir, "d2", valid, loads) // another deployment id: another lock
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(file(cold, lockfile.FileName), file(warm, lockfile.FileName)) {
				t.Fatal("the two locks are the same; the test shows nothing")
			}
			if len(loads) != 2 || !loads[keyOf(cold)] || !loads[keyOf(warm)] {
				t.Fatalf("%s warm: markers %v, want those of both locks", name, loads)
			}
			hasEnv := file(cold, lockfile.EnvFileName) != nil
			if hasEnv != (name == "typed-vars.txtar") {
				t.Fatalf("%s: stella.env present = %v", name, hasEnv)
			}
			if loads[lockfile.LoadKey(file(cold, lockfile.FileName), file(cold, lockfile.EnvFileName), !hasEnv, lockfile.SecretNames(cold.Manifest.Subject.Environment))] {
				t.Fatalf("%s: the marker does not say whether stella.env is there", name)
			}
		}
	})
	t.Run("lock refused", func(t *testing.T) {
		loads := memCache{}
		if _, err := gen(t, write(t, archive(t, "err-device-reservations.txtar"), ""), "d1", memCache{}, loads); err == nil {
			t.Fatal("generated")
		}
		if len(loads) != 0 {
			t.Fatalf("markers for a lock Compose refuses: %v", loads)
		}
	})
	t.Run("secret in a typed field", func(t *testing.T) {
		// Verification interpolates a secret with the placeholder as generation does (the manifest names
		// the secrets; lockfile.VerifyLookup), so the verdict stands for both and is remembered.
		const env = "id: env-prod\nname: production\ntier: production\nsecrets: [{name: API_REPLICAS, ref: 'vault://kv/x#n'}]\n"
		loads := memCache{}
		res, err := gen(t, write(t, archive(t, "typed-vars.txtar"), env), "d1", memCache{}, loads)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(file(res, lockfile.FileName), []byte("${API_REPLICAS")) || len(loads) != 1 || !loads[keyOf(res)] {
			t.Fatalf("markers %v, want the lock's (with its secret)", loads)
		}
	})
	t.Run("secret in an environment value", func(t *testing.T) {
		const env = "id: env-prod\nname: production\ntier: production\nsecrets: [{name: DB_URL, ref: 'vault://kv/x#n'}]\n"
		dir := write(t, archive(t, "typed-vars.txtar"), env)
		tpl, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
		os.WriteFile(filepath.Join(dir, "compose.yaml"), append(tpl, "    environment:\n      - DB_URL=${DB_URL}\n"...), 0o644)
		loads := memCache{}
		res, err := gen(t, dir, "d1", memCache{}, loads)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(file(res, lockfile.FileName), []byte("DB_URL=${DB_URL}")) || len(loads) != 1 || !loads[keyOf(res)] {
			t.Fatalf("markers %v, want the lock's", loads)
		}
	})
	t.Run("stella.env from an extra artifact", func(t *testing.T) {
		dir := write(t, archive(t, "contract.txtar"), "")
		in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		loads := memCache{}
		_, err = Generate(context.Background(), Request{Inputs: in, TenantID: "a", DeploymentID: "d1", Signer: testKey(t), Now: goldenNow, LoadCache: loads,
			Extra: []Artifact{{Name: lockfile.EnvFileName, Type: "env", Data: []byte("X=1\n")}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(loads) != 0 {
			t.Fatalf("markers %v: the lock was loaded without the variables of the set's stella.env", loads)
		}
	})
}
