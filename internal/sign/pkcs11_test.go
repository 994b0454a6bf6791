//go:build cgo

package sign

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/stella-ops/stella/internal/testenv"
)

// hsmRef is a reference to a fresh object label in the test token, reached through the URI's
// module-path and pin-source (the variable is only in b.Getenv, never in the process environment).
func hsmRef(t *testing.T) (string, Backends, func(string) string) {
	module, token, pin := testenv.PKCS11(t)
	id := make([]byte, 6)
	rand.Read(id)
	ref := "pkcs11:token=" + esc(token) + ";object=t-" + hex.EncodeToString(id) + "?module-path=" + module + "&pin-source=env:TEST_HSM_PIN"
	vars := map[string]string{"TEST_HSM_PIN": pin}
	getenv := func(k string) string { return vars[k] }
	return ref, Backends{Keyring: Keyring{Dir: t.TempDir()}, Getenv: getenv}, getenv
}

func TestPKCS11SignInsideTheModule(t *testing.T) {
	for _, alg := range []string{ES256, RS256} {
		t.Run(alg, func(t *testing.T) {
			ref, b, _ := hsmRef(t)
			s, err := b.Generate(ref, alg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pub, _ := PublicRef(ref)
			if s.Ref != pub || strings.Contains(s.Ref, "module-path") || s.Alg != alg {
				t.Fatalf("signer %q %s, want %q %s", s.Ref, s.Alg, pub, alg)
			}
			// The key is the module's, not a copy in memory.
			switch s.key.(type) {
			case *ecdsa.PrivateKey, *rsa.PrivateKey:
				t.Fatalf("key is in memory: %T", s.key)
			}
			msg := []byte("checksums\n")
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			// Verify with the public key read back through a new session, as PEM.
			v, err := b.Verifier(ref)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := v.PublicPEM()
			pv, err := ParsePublicPEM("", p)
			if err != nil {
				t.Fatal(err)
			}
			if err := pv.Verify(msg, sig); err != nil {
				t.Fatalf("HSM signature does not verify with its public key: %v", err)
			}
			if err := pv.Verify([]byte("other"), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("HSM signature verifies another message: %v", err)
			}
			// A second signer (new session) signs with the same key.
			s2, err := b.Signer(ref)
			if err != nil {
				t.Fatal(err)
			}
			sig2, err := s2.Sign(msg)
			s2.Close()
			if err != nil || pv.Verify(msg, sig2) != nil {
				t.Fatalf("second session: %v", err)
			}
			if _, err := b.Generate(ref, alg); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("second Generate of the same label = %v", err)
			}
		})
	}
}

// The token holds the private key as sensitive and not extractable.
func TestPKCS11KeyIsNotExtractable(t *testing.T) {
	ref, b, getenv := hsmRef(t)
	s, err := b.Generate(ref, ES256)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	u, _ := ParsePKCS11URI(ref)
	ctx, err := crypto11.Configure(&crypto11.Config{Path: u.ModulePath, TokenLabel: u.Token, Pin: getenv("TEST_HSM_PIN")})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	k, err := ctx.FindKeyPair(nil, []byte(u.Object))
	if err != nil || k == nil {
		t.Fatalf("find: %v %v", k, err)
	}
	for attr, want := range map[crypto11.AttributeType]byte{crypto11.CkaExtractable: 0, crypto11.CkaSensitive: 1} {
		a, err := ctx.GetAttribute(k, attr)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Value) != 1 || a.Value[0] != want {
			t.Errorf("attribute %#x = %v, want %d", attr, a.Value, want)
		}
	}
}

func TestPKCS11Rotate(t *testing.T) {
	ref, b, _ := hsmRef(t)
	first, err := b.Generate(ref, ES256)
	if err != nil {
		t.Fatal(err)
	}
	oldID := first.Verifier().KeyID()
	first.Close()
	be, r, _ := b.For(ref)
	rot := be.(Rotator)

	boom := errors.New("boom")
	if _, err := rot.Rotate(r, "", func(*Verifier, *Signer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("rotate with failing record = %v", err)
	}
	if v, err := b.Verifier(ref); err != nil || v.KeyID() != oldID {
		t.Fatalf("after failed rotation: %v %v (want one key %s)", v, err, oldID)
	}

	var recorded string
	next, err := rot.Rotate(r, RS256, func(old *Verifier, n *Signer) error {
		recorded = old.KeyID()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if recorded != oldID || next.Alg != RS256 {
		t.Fatalf("rotate recorded %s (want %s), new alg %s", recorded, oldID, next.Alg)
	}
	v, err := b.Verifier(ref)
	if err != nil {
		t.Fatalf("after rotation the label must name one key: %v", err)
	}
	if v.KeyID() != next.Verifier().KeyID() {
		t.Fatalf("label names %s, want the new key %s", v.KeyID(), next.Verifier().KeyID())
	}
}

func TestPKCS11Errors(t *testing.T) {
	ref, b, _ := hsmRef(t)
	module, token, _ := testenv.PKCS11(t)
	if _, err := b.Generate(ref, EdDSA); !errors.Is(err, ErrBadKey) {
		t.Errorf("EdDSA in a token = %v, want ErrBadKey", err)
	}
	if _, err := b.Signer(ref); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("missing object = %v, want ErrKeyNotFound", err)
	}
	const wrong = "wrong-PIN-98765"
	bad := Backends{Getenv: func(k string) string {
		return map[string]string{EnvPKCS11PIN: wrong, EnvPKCS11Module: module}[k]
	}}
	_, err := bad.Signer("pkcs11:token=" + esc(token) + ";object=x")
	if err == nil || strings.Contains(err.Error(), wrong) {
		t.Errorf("wrong PIN: err = %v (it must fail and not show the PIN)", err)
	}
	none := Backends{Getenv: func(string) string { return "" }}
	if _, err := none.Signer("pkcs11:token=a;object=b"); !errors.Is(err, ErrBadRef) {
		t.Errorf("no module = %v, want ErrBadRef", err)
	}
	if _, err := none.Signer("pkcs11:token=a;object=b?module-path=" + module); !errors.Is(err, ErrBadKey) {
		t.Errorf("no PIN = %v, want ErrBadKey", err)
	}
}
