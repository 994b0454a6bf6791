package sign

import (
	"errors"
	"strings"
	"testing"
)

func TestEnvBackend(t *testing.T) {
	key, err := Generate(ES256)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := MarshalPrivatePEM(key)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CI_KEY": string(pemKey), "BROKEN": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n"}
	b := Backends{Keyring: Keyring{Dir: t.TempDir()}, Getenv: func(k string) string { return vars[k] }}

	s, err := b.Signer("env:CI_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if s.Ref != "env:CI_KEY" || s.Alg != ES256 {
		t.Fatalf("signer = %s %s", s.Ref, s.Alg)
	}
	sig, err := s.Sign([]byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.Verifier("env:CI_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify([]byte("m"), sig); err != nil {
		t.Fatalf("env key's signature: %v", err)
	}

	if _, err := b.Signer("env:UNSET"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("unset variable = %v, want ErrKeyNotFound", err)
	}
	_, err = b.Signer("env:BROKEN")
	if !errors.Is(err, ErrBadKey) {
		t.Errorf("broken PEM = %v, want ErrBadKey", err)
	}
	if err != nil && (strings.Contains(err.Error(), "c2VjcmV0") || strings.Contains(err.Error(), "secret")) {
		t.Errorf("error shows the variable's value: %v", err)
	}
	if _, err := b.Generate("env:CI_KEY", ES256); !errors.Is(err, ErrBadRef) {
		t.Errorf("Generate on env: = %v, want ErrBadRef", err)
	}
}
