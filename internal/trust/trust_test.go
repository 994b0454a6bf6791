package trust

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/sign"
)

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s+"T00:00:00Z")
	if err != nil {
		panic(err)
	}
	return t
}

func newKey(t *testing.T, kr sign.Keyring, ref string) *sign.Signer {
	t.Helper()
	s, err := kr.Generate(ref, sign.ES256)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWindows(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	a := newKey(t, kr, "prod")
	st := New()
	if err := st.Add(a.Verifier(), "prod", day("2019-01-01")); err != nil {
		t.Fatal(err)
	}
	if err := st.Add(a.Verifier(), "prod", day("2019-01-01")); err == nil {
		t.Fatal("the same key added twice")
	}
	var b *sign.Signer
	if _, err := kr.Rotate("prod", "", func(old *sign.Verifier, n *sign.Signer) error {
		b = n
		return st.Rotate(old, n.Verifier(), "prod", day("2022-01-01"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Revoke(b.Verifier().KeyID(), day("2025-01-01"), "compromised"); err != nil {
		t.Fatal(err)
	}
	av, bv := a.Verifier(), b.Verifier()
	for _, c := range []struct {
		v    *sign.Verifier
		at   string
		want string // "" valid, else a part of the reason
	}{
		{av, "2019-01-01", ""},
		{av, "2021-12-31", ""},
		{av, "2018-12-31", "before the key's window opened at 2019-01-01"},
		{av, "2022-01-01", "after the key's window closed at 2022-01-01T00:00:00Z (rotated; replaced by key " + bv.KeyID()},
		{bv, "2022-01-01", ""},
		{bv, "2024-12-31", ""},
		{bv, "2021-12-31", "before the key's window opened"},
		{bv, "2025-01-01", "after the key was revoked at 2025-01-01T00:00:00Z (compromised)"},
		{bv, "2033-01-01", "revoked"},
	} {
		err := st.Check(c.v, day(c.at))
		var we *WindowError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("key %s at %s: %v, want valid", c.v.KeyID(), c.at, err)
		case c.want != "" && (!errors.As(err, &we) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("key %s at %s: %v, want a WindowError with %q", c.v.KeyID(), c.at, err, c.want)
		}
	}
	other := newKey(t, kr, "other")
	if err := st.Check(other.Verifier(), day("2020-01-01")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key = %v", err)
	}
	vs, err := st.Verifiers("prod")
	if err != nil || len(vs) != 2 {
		t.Fatalf("Verifiers(prod) = %d, %v", len(vs), err)
	}
	if _, err := st.Verifiers("other"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verifiers of an unrecorded ref = %v", err)
	}
	// Rotation bookkeeping refuses nonsense.
	if err := st.Rotate(av, bv, "prod", day("2030-01-01")); err == nil {
		t.Error("a key rotated twice")
	}
	if err := st.Revoke(bv.KeyID(), day("2026-01-01"), "again"); err == nil {
		t.Error("a key revoked twice")
	}
	if err := st.Revoke(av.KeyID(), day("2026-01-01"), ""); err == nil {
		t.Error("a revocation without a reason")
	}
}

func TestSaveOpenAndExport(t *testing.T) {
	dir := t.TempDir()
	kr := sign.Keyring{Dir: dir}
	a := newKey(t, kr, "prod")
	st := New()
	if err := st.Add(a.Verifier(), "file:prod", day("2019-01-01")); err != nil {
		t.Fatal(err)
	}
	p := Path(dir)
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	st2, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(st2.Keys) != 1 || st2.Keys[0].Use != "file:prod" || !st2.Keys[0].NotBefore.Equal(day("2019-01-01")) {
		t.Fatalf("reopened store = %+v", st2.Keys)
	}
	if empty, err := Open(filepath.Join(dir, "none.json")); err != nil || len(empty.Keys) != 0 {
		t.Fatalf("missing store = %v, %v", empty, err)
	}

	out, err := st2.Export(a, day("2026-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(`"use"`)) {
		t.Fatalf("the trust file tells how to reach the private key:\n%s", out)
	}
	f, err := LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Signer().KeyID != a.Verifier().KeyID() || len(f.Keys) != 1 {
		t.Fatalf("loaded file: signer %s, %d keys", f.Signer().KeyID, len(f.Keys))
	}
	// Same store, key and time: the same bytes (ES256 signatures differ, so compare without them).
	again, _ := st2.Export(a, day("2026-06-01"))
	p1, _ := sign.Payload(out)
	p2, _ := sign.Payload(again)
	if !bytes.Equal(p1, p2) {
		t.Fatal("export is not deterministic")
	}

	// Any change to the file, a window moved say, breaks it.
	tampered := bytes.Replace(out, []byte("2019-01-01T00:00:00Z"), []byte("2009-01-01T00:00:00Z"), 1)
	if _, err := LoadFile(tampered); !errors.Is(err, ErrBadFile) {
		t.Fatalf("tampered file = %v, want ErrBadFile", err)
	}
	if _, err := LoadFile([]byte(`{"type":"x"}`)); !errors.Is(err, ErrBadFile) {
		t.Fatalf("wrong type = %v", err)
	}
	unsigned, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(unsigned); !errors.Is(err, ErrBadFile) {
		t.Fatalf("the unsigned store as a trust file = %v, want ErrBadFile", err)
	}

	// A key outside its window cannot export, and a file it signed then does not load.
	if _, err := st2.Export(a, day("2018-01-01")); err == nil {
		t.Fatal("exported with a key before its window")
	}
	if err := st2.Revoke(a.Verifier().KeyID(), day("2026-01-01"), "lost"); err != nil {
		t.Fatal(err)
	}
	if _, err := st2.Export(a, day("2026-06-01")); err == nil {
		t.Fatal("exported with a revoked key")
	}
	// A file signed (bypassing Export's check) by a key it says was revoked before it was made: refused.
	f2 := &Store{Type: Type, Version: "1", GeneratedAt: "2026-06-01T00:00:00Z", Keys: st2.Keys}
	forged, err := sign.SignJSON(a, f2, func(alg, ref, sig string) { f2.SignatureAlgorithm, f2.SignerKeyRef, f2.Signature = alg, ref, sig })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(forged); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("file signed by its revoked key = %v, want ErrBadFile naming the revocation", err)
	}
}

func TestSignedAt(t *testing.T) {
	for doc, want := range map[string]string{
		`{"createdAt":"2026-01-10T14:30:00Z"}`:                                      "2026-01-10T14:30:00Z",
		`{"generatedAt":"2020-02-29T00:00:00Z","createdAt":"2026-01-10T14:30:00Z"}`: "2020-02-29T00:00:00Z",
		`{"generatedAt":"2026-01-10T14:30:00.123456Z"}`:                             "2026-01-10T14:30:00.123456Z",
	} {
		got, err := SignedAt([]byte(doc))
		if err != nil || got.Format(time.RFC3339Nano) != want {
			t.Errorf("SignedAt(%s) = %v, %v; want %s", doc, got, err, want)
		}
	}
	for _, doc := range []string{`{}`, `{"createdAt":"yesterday"}`, `[]`} {
		if _, err := SignedAt([]byte(doc)); err == nil {
			t.Errorf("SignedAt(%s) succeeded", doc)
		}
	}
}

// A rotation inside a second closes the old key's window at the end of that second and opens the new
// key's at its start: what the old key signed earlier in that second (evidence has sub-second times)
// still counts, and a second rotation in the same second is not refused as an empty window.
func TestRotateWithinASecond(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	a := newKey(t, kr, "prod")
	st := New()
	t0 := time.Date(2026, 12, 2, 1, 40, 35, 0, time.UTC)
	if err := st.Add(a.Verifier(), "prod", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	signed, rotated := t0.Add(400*time.Millisecond), t0.Add(700*time.Millisecond)
	var b *sign.Signer
	if _, err := kr.Rotate("prod", "", func(old *sign.Verifier, n *sign.Signer) error {
		b = n
		return st.Rotate(old, n.Verifier(), "prod", rotated)
	}); err != nil {
		t.Fatal(err)
	}
	ka, _ := st.Key(a.Verifier().KeyID())
	kb, _ := st.Key(b.Verifier().KeyID())
	if !ka.Current(signed) {
		t.Errorf("the old key's signature at %s, before the rotation at %s, does not count: %s", signed, rotated, ka.check(signed))
	}
	if ka.Current(t0.Add(time.Second)) || !kb.Current(rotated) || !ka.NotAfter.Equal(t0.Add(time.Second)) || !kb.NotBefore.Equal(t0) {
		t.Errorf("windows: old closes %s, new opens %s", ka.NotAfter, kb.NotBefore)
	}
	if _, err := kr.Rotate("prod", "", func(old *sign.Verifier, n *sign.Signer) error {
		return st.Rotate(old, n.Verifier(), "prod", t0.Add(900*time.Millisecond))
	}); err != nil {
		t.Errorf("a second rotation in the same second: %v", err)
	}
}
