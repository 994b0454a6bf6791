package lockfile

import (
	"fmt"
	"testing"

	"github.com/stella-ops/stella/internal/release"
)

// A LoadKey changes with any byte of the lock or of the env file, with the env file absent rather than
// empty, and with where the lock ends and the env file begins; it is never the ValidKey domain's.
func TestLoadKeyCoversEveryByte(t *testing.T) {
	lock := []byte("services:\n  api:\n    image: x\n")
	env := []byte("A=1\n")
	base := LoadKey(lock, env, true, nil)
	if base != LoadKey(append([]byte(nil), lock...), append([]byte(nil), env...), true, nil) {
		t.Fatal("LoadKey is not a function of the bytes")
	}
	seen := map[string]string{base: "base"}
	note := func(what, k string) {
		t.Helper()
		if prev, dup := seen[k]; dup {
			t.Errorf("%s has the key of %s", what, prev)
		}
		seen[k] = what
	}
	for i := range lock {
		l := append([]byte(nil), lock...)
		l[i] ^= 1
		note(fmt.Sprintf("lock byte %d", i), LoadKey(l, env, true, nil))
	}
	for i := range env {
		e := append([]byte(nil), env...)
		e[i] ^= 0x20
		note(fmt.Sprintf("env byte %d", i), LoadKey(lock, e, true, nil))
	}
	note("lock with one more byte", LoadKey(append(append([]byte(nil), lock...), ' '), env, true, nil))
	note("another checks version", loadKeyWith("stella-compose-checks/0", lock, env, true, nil))
	note("no env file", LoadKey(lock, nil, false, nil))
	note("empty env file", LoadKey(lock, nil, true, nil))
	note("a secret", LoadKey(lock, env, true, []string{"DB_PASS"}))
	note("another secret", LoadKey(lock, env, true, []string{"DB_PAS"}))
	note("two secrets", LoadKey(lock, env, true, []string{"DB_PASS", "X"}))
	if LoadKey(lock, env, true, []string{"X", "DB_PASS", "X"}) != LoadKey(lock, env, true, []string{"DB_PASS", "X"}) {
		t.Error("the order or repetition of the secrets' names changes the key")
	}
	note("a byte moved from the env file to the lock", LoadKey(append(append([]byte(nil), lock...), 'A'), env[1:], true, nil))
}

func TestLoadKeyEmptyEnvIsNilEnv(t *testing.T) {
	lock := []byte("services: {}\n")
	if LoadKey(lock, nil, true, nil) != LoadKey(lock, []byte{}, true, nil) {
		t.Fatal("an empty env file has two keys")
	}
	if LoadKey(lock, nil, true, nil) == LoadKey(lock, nil, false, nil) {
		t.Fatal("an empty env file has the key of none")
	}
}

// Verification interpolates a stored lock as generation did: stella.env's variables first, then the
// placeholder for each of the manifest's secrets, nothing for any other name.
func TestVerifyLookup(t *testing.T) {
	env := &release.Environment{Variables: map[string]string{"SHARED": "v", "A": "1"}, Secrets: []release.SecretRef{{Name: "DB_PASS"}, {Name: "SHARED"}}}
	gen, ver := EnvLookup(env), VerifyLookup(env.Variables, SecretNames(env))
	for _, name := range []string{"A", "SHARED", "DB_PASS", "OTHER", ""} {
		gv, gok := gen(name)
		vv, vok := ver(name)
		if gv != vv || gok != vok {
			t.Errorf("%q: generation gives %q %v, verification %q %v", name, gv, gok, vv, vok)
		}
	}
	if v, ok := ver("DB_PASS"); !ok || v != Placeholder {
		t.Errorf("a secret is %q %v, want the placeholder", v, ok)
	}
}
