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
	base := LoadKey(lock, env, true)
	if base != LoadKey(append([]byte(nil), lock...), append([]byte(nil), env...), true) {
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
		note(fmt.Sprintf("lock byte %d", i), LoadKey(l, env, true))
	}
	for i := range env {
		e := append([]byte(nil), env...)
		e[i] ^= 0x20
		note(fmt.Sprintf("env byte %d", i), LoadKey(lock, e, true))
	}
	note("lock with one more byte", LoadKey(append(append([]byte(nil), lock...), ' '), env, true))
	note("another checks version", loadKeyWith("stella-compose-checks/0", lock, env, true))
	note("no env file", LoadKey(lock, nil, false))
	note("empty env file", LoadKey(lock, nil, true))
	note("a byte moved from the env file to the lock", LoadKey(append(append([]byte(nil), lock...), 'A'), env[1:], true))
}

func TestLoadKeyEmptyEnvIsNilEnv(t *testing.T) {
	lock := []byte("services: {}\n")
	if LoadKey(lock, nil, true) != LoadKey(lock, []byte{}, true) {
		t.Fatal("an empty env file has two keys")
	}
	if LoadKey(lock, nil, true) == LoadKey(lock, nil, false) {
		t.Fatal("an empty env file has the key of none")
	}
}

// A secret is the placeholder for generation's load and unset for verification's: their verdicts are
// the same when the lock refers to no secret, or only in environment values, which Compose does not
// check; anywhere else (a typed field, a label, a key, a list with a name twice) they may differ.
func TestLoadsAlike(t *testing.T) {
	env := &release.Environment{Variables: map[string]string{"SHARED": "v"}, Secrets: []release.SecretRef{{Name: "DB_PASS"}, {Name: "SHARED"}}}
	const svc = "services:\n  api:\n    image: x\n"
	for lock, want := range map[string]bool{
		svc: true,
		svc + "    environment:\n      - P=${DB_PASS}\n      - Q=$DB_PASS\n      - R\n":         true,
		svc + "    environment: {P: '${DB_PASS:-x}', Q: $DB_PASS}\n":                            true,
		svc + "    environment: ['P=${SHARED:-x}']\n    scale: ${SHARED}\n":                     true,
		svc + "    secrets: [DB_PASS]\nsecrets: {DB_PASS: {environment: DB_PASS}}\n":            true,
		svc + "    scale: ${DB_PASS:-2}\n":                                                      false,
		svc + "    labels: ['a=${DB_PASS}']\n":                                                    false,
		svc + "    environment:\n      - P=${DB_PASS}\n      - P=\n":                            false,
		svc + "    environment: ['${DB_PASS}=1']\n":                                             false,
		svc + "    environment: {'${DB_PASS}': 1}\n":                                            false,
		svc + "x-other: ${DB_PASS}\n":                                                           false,
		svc + "    environment: &e ['P=${DB_PASS}']\n  b:\n    image: x\n    environment: *e\n": false,
	} {
		if got := LoadsAlike([]byte(lock), env); got != want {
			t.Errorf("LoadsAlike(%q) = %v, want %v", lock, got, want)
		}
	}
	if !LoadsAlike([]byte("x: $DB_PASS"), nil) {
		t.Error("no environment: nothing differs")
	}
}
