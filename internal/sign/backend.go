package sign

import (
	"fmt"
	"os"
)

// Backend holds the private keys of one reference scheme. Whatever the backend, the key inside the
// Signer it returns is a crypto.Signer: the keyring's and env:'s are in memory, a pkcs11: key signs
// inside its module and never leaves it. A Signer from a backend is closed with Signer.Close.
type Backend interface {
	// Generate makes a new key pair under ref; an existing key under ref is never overwritten.
	Generate(ref, alg string) (*Signer, error)
	// Signer opens the private key of ref.
	Signer(ref string) (*Signer, error)
	// Verifier returns the public key of ref.
	Verifier(ref string) (*Verifier, error)
}

// Rotator is a Backend that can replace the key behind a reference. Rotate makes a new key pair under
// ref, calls record with the old key's public key and the new signer, and only when record succeeds
// retires the old private key (the keyring renames it aside, REF.key.retired-KEYID; an HSM destroys
// it). When record fails the new key is removed and the old one stays in use.
type Rotator interface {
	Rotate(ref, alg string, record func(old *Verifier, next *Signer) error) (*Signer, error)
}

// Backends are the key backends of one command, one per scheme. They are chosen here, in For, and
// nowhere else.
type Backends struct {
	// Keyring holds file: (and bare) references.
	Keyring Keyring
	// Getenv reads env: keys, the pkcs11 module default and PIN variables; nil means os.Getenv.
	Getenv func(string) string
}

// For returns the backend of ref's scheme and the reference as that backend takes it.
func (b Backends) For(ref string) (Backend, string, error) {
	getenv := b.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch Scheme(ref) {
	case SchemeFile:
		p, err := PublicRef(ref)
		return b.Keyring, p, err
	case SchemeEnv:
		return envBackend{getenv: getenv}, ref, nil
	case SchemePKCS11:
		return pkcs11Backend{getenv: getenv}, ref, nil
	}
	return nil, "", fmt.Errorf("%w: unknown scheme in %q", ErrBadRef, ref)
}

// Signer opens the private key of ref with its scheme's backend.
func (b Backends) Signer(ref string) (*Signer, error) {
	be, r, err := b.For(ref)
	if err != nil {
		return nil, err
	}
	return be.Signer(r)
}

// Verifier returns the public key of ref with its scheme's backend.
func (b Backends) Verifier(ref string) (*Verifier, error) {
	be, r, err := b.For(ref)
	if err != nil {
		return nil, err
	}
	return be.Verifier(r)
}

// Generate makes a new key pair under ref with its scheme's backend.
func (b Backends) Generate(ref, alg string) (*Signer, error) {
	be, r, err := b.For(ref)
	if err != nil {
		return nil, err
	}
	return be.Generate(r, alg)
}

var (
	_ Backend = Keyring{}
	_ Rotator = Keyring{}
	_ Backend = envBackend{}
	_ Backend = pkcs11Backend{}
)
