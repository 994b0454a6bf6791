package verify_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/verify"
	"github.com/stella-ops/stella/internal/verify/verifytest"
)

type memo map[string]bool

func (m memo) Valid(k string) bool { return m[k] }

// resigned is the set with lock in place of its own, every checksum and signature made again with the
// set's key.
func resigned(t *testing.T, kr sign.Keyring, fsys fstest.MapFS, lock []byte) fstest.MapFS {
	t.Helper()
	s, err := kr.Signer("v/" + sign.ES256)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for n, f := range fsys {
		files[n] = f.Data
	}
	if err := verifytest.Resign(files, lock, s); err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for n, d := range files {
		out[n] = &fstest.MapFile{Data: d, Mode: 0o444}
	}
	return out
}

// keyOf is the memo's key for the set's lock and stella.env as stored, with its manifest's secrets.
func keyOf(fsys fstest.MapFS) string {
	env, hasEnv := fsys[lockfile.EnvFileName]
	var data []byte
	if hasEnv {
		data = env.Data
	}
	return lockfile.LoadKey(fsys[lockfile.FileName].Data, data, hasEnv, secretsOf(fsys))
}

func secretsOf(fsys fstest.MapFS) []string {
	m, err := manifest.Parse(fsys[manifest.FileName].Data)
	if err != nil || m.Subject == nil {
		return nil
	}
	return lockfile.SecretNames(m.Subject.Environment)
}

func loadProblem(r *verify.Result) bool {
	for _, p := range r.Problems {
		if p.File == lockfile.FileName && strings.Contains(p.Message, "not a Compose file that Compose loads") {
			return true
		}
	}
	return false
}

// A signed set whose lock compose-go refuses does not verify by default: the lock is loaded. With a
// marker for exactly its lock and stella.env it verifies — the load is skipped — and with a marker for
// any other bytes it does not. Whatever the memo says, a changed byte is caught and a lock that is not
// self-contained is refused.
func TestLoadMemo(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	good := set(t, kr, sign.ES256)
	v, _ := kr.Verifier("v/" + sign.ES256)
	keys := verify.Keys{Given: []*sign.Verifier{v}}
	refused := verifytest.Refused(good[lockfile.FileName].Data)
	if bytes.Equal(refused, good[lockfile.FileName].Data) {
		t.Fatal("the lock was not changed")
	}
	bad := resigned(t, kr, good, refused)
	with := func(fsys fstest.MapFS, m memo) *verify.Result {
		t.Helper()
		r, err := verify.SetWith(fsys, keys, verify.Options{LoadCache: m})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	if r := mustVerify(t, good, keys); !r.Valid {
		t.Fatalf("the generated set: %v", r.Err())
	}
	r := mustVerify(t, bad, keys)
	if r.Valid || !loadProblem(r) || len(r.Problems) != 1 {
		t.Fatalf("a re-signed lock Compose refuses, no memo: valid %v, problems %v", r.Valid, r.Problems)
	}
	if r := with(bad, memo{keyOf(good): true}); r.Valid || !loadProblem(r) {
		t.Fatalf("a marker for the generated lock vouched for another: %v", r.Problems)
	}
	if r := with(bad, memo{keyOf(bad): true}); !r.Valid {
		t.Fatalf("with a marker for its bytes (the load skipped): %v", r.Err())
	}
	env, ok := bad[lockfile.EnvFileName]
	if !ok {
		t.Fatal("the quickstart set has no stella.env; the cases below need one")
	}
	lock := bad[lockfile.FileName].Data
	for what, k := range map[string]string{
		"the lock without stella.env": lockfile.LoadKey(lock, nil, false, secretsOf(bad)),
		"the lock with an empty one":  lockfile.LoadKey(lock, nil, true, secretsOf(bad)),
		"another stella.env":          lockfile.LoadKey(lock, append(append([]byte(nil), env.Data...), "X=1\n"...), true, secretsOf(bad)),
	} {
		if r := with(bad, memo{k: true}); r.Valid {
			t.Errorf("a marker for %s vouched for the set's", what)
		}
	}

	// A byte flipped in the lock, even with a marker for the flipped bytes.
	flipped := clone(bad)
	d := flipped[lockfile.FileName].Data
	d[len(d)/2] ^= 1
	if r := with(flipped, memo{keyOf(flipped): true, keyOf(bad): true}); r.Valid || !named(r, lockfile.FileName+": sha256 does not match") {
		t.Fatalf("a flipped byte with a marker: %v", r.Problems)
	}

	// A marker vouches for every check of the lock's bytes (one YAML document, self-contained, loaded):
	// generate writes one only after making all three (lockfile's TestCheckLockIsVerifysChecks); without
	// one, a lock that is not self-contained is refused.
	incl := resigned(t, kr, good, bytes.Replace(good[lockfile.FileName].Data, []byte("\nservices:\n"), []byte("\ninclude: [other.yaml]\nservices:\n"), 1))
	if r := with(incl, memo{}); r.Valid || !named(r, "not a self-contained Compose file") {
		t.Fatalf("include: without a marker: %v", r.Problems)
	}

	// A second YAML document, which Compose would merge over the first (here: an image by tag), is
	// refused, not passed over by a parse that reads the first document only.
	two := resigned(t, kr, good, append(append([]byte(nil), good[lockfile.FileName].Data...), "---\nservices:\n  web:\n    image: nginx:latest\n"...))
	if r := with(two, memo{}); r.Valid || !named(r, "a second YAML document") {
		t.Fatalf("a second document: %v", r.Problems)
	}
}

// Verification reads the memo of a data directory and writes nothing: no cache directory is made where
// there is none, no marker is added where there is one.
func TestLoadMemoReadOnly(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	fsys := set(t, kr, sign.ES256)
	v, _ := kr.Verifier("v/" + sign.ES256)
	keys := verify.Keys{Given: []*sign.Verifier{v}}
	data := t.TempDir()
	dir := filepath.Join(data, "cache", "compose-loads")
	if r, err := verify.SetAtWith(fsys, keys, "acme", "d1", verify.Options{LoadCache: lockfile.DirCache{Dir: dir}}); err != nil || !r.Valid {
		t.Fatalf("%v %v", err, r)
	}
	if _, err := os.Stat(filepath.Join(data, "cache")); !os.IsNotExist(err) {
		t.Fatalf("verify made %s/cache: %v", data, err)
	}
	lockfile.DirCache{Dir: dir}.Remember("unrelated")
	bad := resigned(t, kr, fsys, verifytest.Refused(fsys[lockfile.FileName].Data))
	for _, f := range []fstest.MapFS{fsys, bad} {
		if _, err := verify.SetAtWith(f, keys, "acme", "d1", verify.Options{LoadCache: lockfile.DirCache{Dir: dir}}); err != nil {
			t.Fatal(err)
		}
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 1 {
		t.Fatalf("the memo after verify: %v %v", ents, err)
	}
	lockfile.DirCache{Dir: dir}.Remember(keyOf(bad))
	if r, _ := verify.SetAtWith(bad, keys, "acme", "d1", verify.Options{LoadCache: lockfile.DirCache{Dir: dir}}); !r.Valid {
		t.Fatalf("a marker in the directory: %v", r.Err())
	}
}
