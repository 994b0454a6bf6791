//go:build cgo

package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/testenv"
)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := run(t, args...)
	if code != 0 {
		t.Fatalf("stella %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// A set generated with a key inside the HSM verifies with openssl from the exported public key; after
// the HSM key is rotated, that set still verifies from the trust file alone, with no token and no PIN
// in reach. The PIN appears in no output and no file.
func TestHSMSetVerifiesWithOpenSSLAndTrustFile(t *testing.T) {
	module, token, pin := testenv.PKCS11(t)
	openssl := testenv.Command(t, "openssl")
	for _, alg := range []string{sign.ES256, sign.RS256} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			if err := quickstart.Write(dir); err != nil {
				t.Fatal(err)
			}
			t.Setenv("STELLA_PKCS11_MODULE", module)
			t.Setenv("STELLA_HSM_TEST_PIN", pin)
			id := make([]byte, 6)
			rand.Read(id)
			object := "cli-" + alg + "-" + hex.EncodeToString(id)
			ref := "pkcs11:token=" + token + ";object=" + object + "?pin-source=env:STELLA_HSM_TEST_PIN"
			public := "pkcs11:token=" + token + ";object=" + object
			kr := filepath.Join(dir, "keys")
			var outputs strings.Builder
			do := func(args ...string) string {
				out := mustRun(t, args...)
				outputs.WriteString(out)
				return out
			}
			do("keys", "generate", ref, "--alg", alg, "--keyring", kr, "--now", "2019-01-01T00:00:00Z")
			pem := do("keys", "public", ref, "--keyring", kr)
			pemFile := filepath.Join(dir, "hsm.pem")
			os.WriteFile(pemFile, []byte(pem), 0o644)
			gen := func(dep, now string) string {
				// A promotion approves one deployment: each set gets its own.
				promo := filepath.Join(dir, "promotion-"+dep+".yaml")
				p := must(os.ReadFile(filepath.Join(dir, "promotion.yaml")))
				os.WriteFile(promo, bytes.Replace(p, []byte("id: promo-"), []byte("id: "+dep+"-promo-"), 1), 0o644)
				do("generate", "--release", filepath.Join(dir, "release.yaml"), "--environment", filepath.Join(dir, "environment.yaml"),
					"--promotion", promo, "--tenant", "acme", "--deployment-id", dep, "--key", ref,
					"--keyring", kr, "--store", filepath.Join(dir, "store"), "--data", filepath.Join(dir, "data"), "--now", now)
				return filepath.Join(dir, "store", "acme", dep)
			}
			set := gen("hsm-2019", "2019-06-01T00:00:00Z")

			// openssl, from the exported public key alone: the detached signature and the manifest's.
			sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(must(os.ReadFile(filepath.Join(set, "checksums.sha256.sig"))))))
			if err != nil {
				t.Fatal(err)
			}
			sigFile := filepath.Join(dir, "sig.bin")
			os.WriteFile(sigFile, sig, 0o644)
			opensslVerify(t, openssl, pemFile, sigFile, filepath.Join(set, "checksums.sha256"))
			man := must(os.ReadFile(filepath.Join(set, "manifest.json")))
			if !bytes.Contains(man, []byte(`"signerKeyRef": "`+public+`"`)) {
				t.Fatalf("manifest's signerKeyRef is not %s", public)
			}
			f, _ := sign.JSONSignature(man)
			payload, _ := sign.Payload(man)
			msig, _ := base64.StdEncoding.DecodeString(f.Signature)
			os.WriteFile(filepath.Join(dir, "payload"), payload, 0o644)
			os.WriteFile(sigFile, msig, 0o644)
			opensslVerify(t, openssl, pemFile, sigFile, filepath.Join(dir, "payload"))
			// Tampering is caught by openssl too: the check can fail.
			os.WriteFile(filepath.Join(dir, "payload"), append(payload, ' '), 0o644)
			if err := exec.Command(openssl, "dgst", "-sha256", "-verify", pemFile, "-signature", sigFile, filepath.Join(dir, "payload")).Run(); err == nil {
				t.Fatal("openssl accepted a changed payload")
			}

			// Rotate inside the HSM; a set signed after it uses the new key.
			do("keys", "rotate", ref, "--keyring", kr, "--now", "2022-01-01T00:00:00Z")
			set2 := gen("hsm-2023", "2023-01-01T00:00:00Z")
			trustJSON := do("keys", "trust", "export", "--keyring", kr, "--now", "2026-12-01T00:00:00Z")
			trustFile := filepath.Join(dir, "trust.json")
			os.WriteFile(trustFile, []byte(trustJSON), 0o644)

			// Offline: no module, no PIN, an empty keyring.
			t.Setenv("STELLA_PKCS11_MODULE", "")
			t.Setenv("STELLA_HSM_TEST_PIN", "")
			empty := t.TempDir()
			for _, s := range []string{set, set2} {
				out := do("verify", "--trust", trustFile, "--keyring", empty, s)
				if !strings.Contains(out, "valid") {
					t.Fatalf("verify %s: %s", s, out)
				}
			}
			if _, errs, code := run(t, "verify", "--public-key", pemFile, set2); code != 3 || !strings.Contains(errs, "does not verify") {
				t.Fatalf("the rotated-away key verified the new set: exit %d %s", code, errs)
			}

			// The PIN is nowhere: not in any output, not in any file written. (.ci/run's PIN is 24 hex
			// digits; a short one could occur in a signature by chance.)
			if len(pin) < 12 {
				t.Logf("PIN of %d characters: too short to search the outputs for", len(pin))
				return
			}
			if strings.Contains(outputs.String(), pin) {
				t.Fatal("the PIN appears in stella's output")
			}
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && bytes.Contains(must(os.ReadFile(p)), []byte(pin)) {
					t.Errorf("the PIN appears in %s", p)
				}
				return nil
			})
		})
	}
}

func opensslVerify(t *testing.T, openssl, pub, sig, file string) {
	t.Helper()
	out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pub, "-signature", sig, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl dgst -verify %s: %v\n%s", file, err, out)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
