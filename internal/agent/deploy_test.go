package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
)

// setAgent writes a generated set of acme/d1 into the agent's sets and returns the agent (trusting the
// set's key) and the set's directory. Its Compose driver is a command that leaves a marker file, so the
// test sees whether anything ran.
func setAgent(t *testing.T) (*Agent, string, string) {
	t.Helper()
	s, err := (sign.Keyring{Dir: t.TempDir()}).Generate("stella/signing/agent", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), t.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	dir := filepath.Join(state, "sets", "d1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pem, _ := s.Verifier().PublicPEM()
	secrets := `{"vault://kv/prod/db#url": "postgres://db", "vault://kv/prod/redis#url": "redis://r"}`
	if err := os.WriteFile(filepath.Join(state, "secrets.json"), []byte(secrets), 0o600); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(state, "ran")
	a := &Agent{Dir: state, State: State{TenantID: "acme", TargetID: "tgt-web-01",
		TrustedKeys: []server.TrustedKey{{KeyID: "stella/signing/agent", PEM: string(pem)}}},
		Driver: ExecDriver{Command: []string{"/bin/sh", "-c", "touch " + marker + "; exit 1", "compose"}}}
	return a, dir, marker
}

// A set is verified against the keys trusted at registration, bound to the agent's tenant and the
// deployment, before anything runs: a flipped byte, or a set of another tenant or id, runs nothing.
func TestApplyRefusesBeforeAnythingRuns(t *testing.T) {
	a, dir, marker := setAgent(t)
	lock := filepath.Join(dir, "compose.stella.lock.yml")
	orig, _ := os.ReadFile(lock)
	b := append([]byte{}, orig...)
	b[len(b)/2] ^= 1
	_ = os.WriteFile(lock, b, 0o600)
	_, err := a.Apply(context.Background(), dir, "d1", nil)
	if !fault.Is(err, fault.Verification) || !strings.Contains(err.Error(), "compose.stella.lock.yml") || !strings.Contains(err.Error(), "nothing was run") {
		t.Errorf("tampered lock: %v", err)
	}
	_ = os.WriteFile(lock, orig, 0o600)
	if _, err := a.Apply(context.Background(), dir, "d2", nil); !fault.Is(err, fault.Verification) {
		t.Errorf("a set applied as another deployment: %v", err)
	}
	a.State.TenantID = "globex"
	if _, err := a.Apply(context.Background(), dir, "d1", nil); !fault.Is(err, fault.Verification) {
		t.Errorf("another tenant's set: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the Compose driver ran for a set that does not verify")
	}
	// The set as generated passes verification and reaches the driver (whose pull fails here).
	a.State.TenantID = "acme"
	if _, err := a.Apply(context.Background(), dir, "d1", nil); err == nil || fault.Is(err, fault.Verification) {
		t.Errorf("a valid set: %v", err)
	} else {
		t.Logf("valid set: %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("a valid set never reached the driver")
	}
}

// Secrets are resolved on the target from env: and file: references; other schemes and absent values
// are refused by name, never by value.
func TestResolveSecrets(t *testing.T) {
	t.Setenv("STELLA_AGENT_TEST_SECRET", "v4lue")
	f := filepath.Join(t.TempDir(), "s")
	_ = os.WriteFile(f, []byte("from-file\n"), 0o600)
	env := &release.Environment{Secrets: []release.SecretRef{{Name: "A", Ref: "env:STELLA_AGENT_TEST_SECRET"}, {Name: "B", Ref: "file:" + f}}}
	got, err := resolveSecrets(env, nil)
	if err != nil || strings.Join(got, ",") != "A=v4lue,B=from-file" {
		t.Fatalf("%v %v", got, err)
	}
	got, err = resolveSecrets(&release.Environment{Secrets: []release.SecretRef{{Name: "V", Ref: "vault://kv/x#y"}}}, map[string]string{"vault://kv/x#y": "from-table"})
	if err != nil || strings.Join(got, ",") != "V=from-table" {
		t.Fatalf("%v %v", got, err)
	}
	for _, ref := range []string{"vault://kv/x#y", "env:STELLA_AGENT_TEST_UNSET"} {
		_, err := resolveSecrets(&release.Environment{Secrets: []release.SecretRef{{Name: "C", Ref: ref}}}, map[string]string{"vault://other": "x"})
		if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "secret C") {
			t.Errorf("%s: %v", ref, err)
		}
	}
}
