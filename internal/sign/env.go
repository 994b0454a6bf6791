package sign

import (
	"fmt"
	"strings"
)

// envBackend reads a PEM private key (PKCS#8, PKCS#1 or SEC 1) from an environment variable: env:NAME.
// It is meant for CI, where the key comes from the CI system's secret store. The value is never part
// of an error or of signerKeyRef (which is "env:NAME").
type envBackend struct {
	getenv func(string) string
}

func (e envBackend) Generate(ref, alg string) (*Signer, error) {
	return nil, fmt.Errorf("%w: %s: Stella does not make env: keys; make one (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256) and put it in the variable", ErrBadRef, ref)
}

func (e envBackend) Signer(ref string) (*Signer, error) {
	pub, err := PublicRef(ref)
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(pub, "env:")
	v := e.getenv(name)
	if v == "" {
		return nil, fmt.Errorf("%w: %s (the variable %s is not set)", ErrKeyNotFound, pub, name)
	}
	s, err := ParsePrivatePEM(pub, []byte(v))
	if err != nil {
		// ParsePrivatePEM's errors describe the PEM's form, never its bytes.
		return nil, fmt.Errorf("%s: %w", pub, err)
	}
	return s, nil
}

func (e envBackend) Verifier(ref string) (*Verifier, error) {
	s, err := e.Signer(ref)
	if err != nil {
		return nil, err
	}
	return s.Verifier(), nil
}
