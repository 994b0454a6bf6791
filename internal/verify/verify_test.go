package verify_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/verify"
)

// set generates the quickstart example with a fresh key of alg and returns it as an in-memory FS.
func set(t *testing.T, kr sign.Keyring, alg string) fstest.MapFS {
	t.Helper()
	s, err := kr.Generate("v/"+alg, alg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), t.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC), "prod-web-01")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range res.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data, Mode: 0o444}
	}
	return fsys
}

func clone(m fstest.MapFS) fstest.MapFS {
	c := fstest.MapFS{}
	for k, v := range m {
		d := append([]byte(nil), v.Data...)
		c[k] = &fstest.MapFile{Data: d, Mode: v.Mode}
	}
	return c
}

func mustVerify(t *testing.T, fsys fstest.MapFS, keys verify.Keys) *verify.Result {
	t.Helper()
	r, err := verify.Set(fsys, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func named(r *verify.Result, file string) bool {
	for _, p := range r.Problems {
		if strings.Contains(p.String(), file) {
			return true
		}
	}
	return false
}

func TestValidSetEachAlgorithm(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	for _, alg := range sign.Algorithms {
		fsys := set(t, kr, alg)
		v, _ := kr.Verifier("v/" + alg)
		if r := mustVerify(t, fsys, verify.Keys{Given: []*sign.Verifier{v}}); !r.Valid {
			t.Fatalf("%s with the public key: %v", alg, r.Err())
		}
		if r := mustVerify(t, fsys, verify.Keys{Keyring: &kr}); !r.Valid {
			t.Fatalf("%s from the keyring: %v", alg, r.Err())
		}
	}
}

// Flipping one byte anywhere in any file makes the set invalid and names that file.
func TestTamperEveryFile(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	fsys := set(t, kr, sign.ES256)
	v, _ := kr.Verifier("v/" + sign.ES256)
	keys := verify.Keys{Given: []*sign.Verifier{v}}
	for name, f := range fsys {
		for _, at := range []int{0, 3, len(f.Data) / 2, len(f.Data) - 2} {
			c := clone(fsys)
			if strings.HasSuffix(name, ".sig") {
				raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(c[name].Data)))
				raw[at%len(raw)] ^= 1
				c[name].Data = []byte(base64.StdEncoding.EncodeToString(raw) + "\n")
			} else {
				c[name].Data[at] ^= 1
			}
			r := mustVerify(t, c, keys)
			if r.Valid {
				t.Errorf("%s with byte %d flipped: still valid", name, at)
				continue
			}
			if !named(r, name) {
				t.Errorf("%s with byte %d flipped: not named in %v", name, at, r.Err())
			}
		}
	}
}

func TestMissingExtraAndWrongKey(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	fsys := set(t, kr, sign.EdDSA)
	v, _ := kr.Verifier("v/" + sign.EdDSA)
	keys := verify.Keys{Given: []*sign.Verifier{v}}

	for name := range fsys {
		c := clone(fsys)
		delete(c, name)
		if r := mustVerify(t, c, keys); r.Valid || !named(r, name) {
			t.Errorf("without %s: valid=%v, problems %v", name, r.Valid, r.Err())
		}
	}
	c := clone(fsys)
	c["evil.sh"] = &fstest.MapFile{Data: []byte("rm -rf /\n")}
	if r := mustVerify(t, c, keys); r.Valid || !named(r, "evil.sh") {
		t.Errorf("extra file: valid=%v, problems %v", r.Valid, r.Err())
	}

	other, err := kr.Generate("other/key", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, fsys, verify.Keys{Given: []*sign.Verifier{other.Verifier()}})
	if r.Valid {
		t.Fatal("a set verified with a key that did not sign it")
	}
	for _, f := range []string{"checksums.sha256", "manifest.json", "stella.version.json", "stella.version.prod-web-01.json"} {
		if !named(r, f) {
			t.Errorf("wrong key: %s not named in %v", f, r.Err())
		}
	}
	// Two keys given, one of them right: valid.
	if r := mustVerify(t, fsys, verify.Keys{Given: []*sign.Verifier{other.Verifier(), v}}); !r.Valid {
		t.Errorf("with the right key among others: %v", r.Err())
	}
	// The keyring lacks the key the documents name.
	empty := sign.Keyring{Dir: t.TempDir()}
	if r := mustVerify(t, fsys, verify.Keys{Keyring: &empty}); r.Valid {
		t.Error("verified with an empty keyring")
	}
}

// A meaningful edit (not just a flipped bit) of the lock is caught and named.
func TestConsistentForgery(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	fsys := set(t, kr, sign.RS256)
	v, _ := kr.Verifier("v/" + sign.RS256)
	c := clone(fsys)
	lock := string(c["compose.stella.lock.yml"].Data)
	c["compose.stella.lock.yml"].Data = []byte(strings.Replace(lock, "replicas: 2", "replicas: 9", 1))
	r := mustVerify(t, c, verify.Keys{Given: []*sign.Verifier{v}})
	if r.Valid || !named(r, "compose.stella.lock.yml") {
		t.Fatalf("altered replicas: %v", r.Err())
	}
}

// FuzzVerify: any bytes in place of any file of a set make verify name that file (or, for the file's
// own bytes, pass), never panic.
func FuzzVerify(f *testing.F) {
	kr := sign.Keyring{Dir: f.TempDir()}
	s, err := kr.Generate("fuzz/key", sign.EdDSA)
	if err != nil {
		f.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), f.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	base := fstest.MapFS{}
	var names []string
	for _, file := range res.Files {
		base[file.Name] = &fstest.MapFile{Data: file.Data, Mode: 0o444}
		names = append(names, file.Name)
	}
	for i, file := range res.Files {
		f.Add(uint8(i), file.Data)
		f.Add(uint8(i), []byte("{}"))
		f.Add(uint8(i), append(append([]byte(nil), file.Data...), ' '))
		f.Add(uint8(i), append([]byte(" "), file.Data...))
	}
	keys := verify.Keys{Given: []*sign.Verifier{s.Verifier()}}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := names[int(which)%len(names)]
		c := clone(base)
		c[name] = &fstest.MapFile{Data: data, Mode: 0o444}
		r, err := verify.Set(c, keys)
		if err != nil {
			t.Fatal(err)
		}
		same := string(data) == string(base[name].Data)
		if r.Valid != same {
			t.Fatalf("%s replaced (same bytes: %v): valid = %v", name, same, r.Valid)
		}
		if !same && !named(r, name) {
			t.Fatalf("%s replaced but not named: %v", name, r.Err())
		}
	})
}
