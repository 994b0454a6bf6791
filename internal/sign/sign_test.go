package sign

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSignVerifyEachAlgorithm(t *testing.T) {
	kr := Keyring{Dir: t.TempDir()}
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			s, err := kr.Generate("t/"+alg, alg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Alg != alg {
				t.Fatalf("alg = %s, want %s", s.Alg, alg)
			}
			msg := []byte("hello\n")
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			v, err := kr.Verifier("t/" + alg)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(msg, sig); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if err := v.Verify([]byte("hellO\n"), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("verify of changed message = %v, want ErrBadSignature", err)
			}
			loaded, err := kr.Signer("t/" + alg)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Alg != alg {
				t.Fatalf("loaded alg = %s", loaded.Alg)
			}
		})
	}
}

func TestDeterministicSignatures(t *testing.T) {
	kr := Keyring{Dir: t.TempDir()}
	for _, alg := range []string{RS256, EdDSA} {
		s, err := kr.Generate("d/"+alg, alg)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := s.Sign([]byte("x"))
		b, _ := s.Sign([]byte("x"))
		if !bytes.Equal(a, b) {
			t.Errorf("%s signatures differ for the same message", alg)
		}
	}
}

func TestKeyringRefusesOpenPermissions(t *testing.T) {
	kr := Keyring{Dir: t.TempDir()}
	if _, err := kr.Generate("p/k", ES256); err != nil {
		t.Fatal(err)
	}
	p, _ := kr.PrivatePath("p/k")
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %o, want 600", st.Mode().Perm())
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Signer("p/k"); !errors.Is(err, ErrBadKey) {
		t.Fatalf("Signer with 0644 key = %v, want ErrBadKey", err)
	}
}

func TestKeyringRefusesOverwriteAndBadRefs(t *testing.T) {
	kr := Keyring{Dir: t.TempDir()}
	if _, err := kr.Generate("a/b", EdDSA); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Generate("a/b", EdDSA); err == nil {
		t.Fatal("second Generate of the same ref succeeded")
	}
	for _, ref := range []string{"", "../x", "a/../b", "/abs", "a//b", "a/b\x00", ".hidden"} {
		if _, err := kr.Generate(ref, EdDSA); !errors.Is(err, ErrBadRef) {
			t.Errorf("Generate(%q) = %v, want ErrBadRef", ref, err)
		}
	}
	if _, err := kr.Signer("no/such"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Signer of a missing key = %v, want ErrKeyNotFound", err)
	}
	refs, err := kr.List()
	if err != nil || len(refs) != 1 || refs[0] != "a/b" {
		t.Fatalf("List = %v, %v", refs, err)
	}
}

func TestWrongKeyType(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.pem")
	os.WriteFile(p, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	if _, err := LoadPrivateFile("x", p); !errors.Is(err, ErrBadKey) {
		t.Fatalf("certificate as private key = %v, want ErrBadKey", err)
	}
	if _, err := LoadPublicFile(p); !errors.Is(err, ErrBadKey) {
		t.Fatalf("certificate as public key = %v, want ErrBadKey", err)
	}
}

type doc struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	SignedFields
}

func TestSignJSON(t *testing.T) {
	kr := Keyring{Dir: t.TempDir()}
	for _, alg := range Algorithms {
		s, err := kr.Generate("j/"+alg, alg)
		if err != nil {
			t.Fatal(err)
		}
		d := &doc{Name: "x", N: 1}
		out, err := SignJSON(s, d, func(a, r, sig string) { d.SignatureAlgorithm, d.SignerKeyRef, d.Signature = a, r, sig })
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyJSON(s.Verifier(), out); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		tampered := bytes.Replace(out, []byte(`"n": 1`), []byte(`"n": 2`), 1)
		if err := VerifyJSON(s.Verifier(), tampered); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%s: tampered = %v", alg, err)
		}
		// The key reference is inside what is signed.
		tampered = bytes.Replace(out, []byte(`"j/`), []byte(`"k/`), 1)
		if err := VerifyJSON(s.Verifier(), tampered); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%s: changed signerKeyRef = %v", alg, err)
		}
	}
}

func TestPayloadIsCanonical(t *testing.T) {
	p, err := Payload([]byte(`{ "b": 1, "a": "x", "signature": "zzz", "c": 1.50 }`))
	if err != nil {
		t.Fatal(err)
	}
	if string(p) != `{"a":"x","b":1,"c":1.5}` {
		t.Fatalf("payload = %s", p)
	}
}
