//go:build cgo

package sign

import (
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ThalesGroup/crypto11"
)

// Defaults of a pkcs11: reference without module-path or pin-source.
const (
	EnvPKCS11Module = "STELLA_PKCS11_MODULE"
	EnvPKCS11PIN    = "STELLA_PKCS11_PIN"
)

// pkcs11Backend keeps keys in a PKCS#11 token (an HSM, or SoftHSM2 in tests) through crypto11. The
// private key is generated in the token as a sensitive, non-extractable object and every signature is
// made by the module (C_Sign); only the public key is read out. ES256 and RS256 (3072 bits).
type pkcs11Backend struct {
	getenv func(string) string
}

// session is an open, logged-in token and the URI it was opened from.
type session struct {
	ctx *crypto11.Context
	uri *PKCS11URI
	pin string
}

func (p pkcs11Backend) open(ref string) (*session, error) {
	u, err := ParsePKCS11URI(ref)
	if err != nil {
		return nil, err
	}
	module := u.ModulePath
	if module == "" {
		module = p.getenv(EnvPKCS11Module)
	}
	if module == "" {
		return nil, fmt.Errorf("%w: %s: no module-path in the URI and $%s is not set", ErrBadRef, u.PublicRef(), EnvPKCS11Module)
	}
	pin, err := p.pin(u)
	if err != nil {
		return nil, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: u.Token, Pin: pin})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: open token %q with %s: %s", u.Token, module, redact(err, pin))
	}
	return &session{ctx: ctx, uri: u, pin: pin}, nil
}

// pin reads the PIN from the URI's pin-source (default env:STELLA_PKCS11_PIN). Errors name the source,
// never the PIN.
func (p pkcs11Backend) pin(u *PKCS11URI) (string, error) {
	src := u.PinSource
	if src == "" {
		src = "env:" + EnvPKCS11PIN
	}
	var pin string
	if name, ok := strings.CutPrefix(src, "env:"); ok {
		pin = p.getenv(name)
	} else {
		path := strings.TrimPrefix(strings.TrimPrefix(src, "file:"), "//")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%w: pkcs11: pin-source %s: %v", ErrBadKey, src, errors.Unwrap(err))
		}
		pin = strings.TrimRight(string(b), "\r\n")
	}
	if pin == "" {
		return "", fmt.Errorf("%w: pkcs11: pin-source %s gives no PIN", ErrBadKey, src)
	}
	return pin, nil
}

// redact is err's text with the PIN removed, in case a module ever echoed it.
func redact(err error, pin string) string {
	s := err.Error()
	if pin != "" {
		s = strings.ReplaceAll(s, pin, "***")
	}
	return s
}

func (s *session) close() error { return s.ctx.Close() }

// find returns every key pair the URI names.
func (s *session) find() ([]crypto11.Signer, error) {
	var id []byte
	if len(s.uri.ID) > 0 {
		id = s.uri.ID
	}
	ks, err := s.ctx.FindKeyPairs(id, []byte(s.uri.Object))
	if err != nil {
		return nil, fmt.Errorf("pkcs11: find %s: %s", s.uri.PublicRef(), redact(err, s.pin))
	}
	return ks, nil
}

// one returns the one key pair the URI names.
func (s *session) one() (crypto11.Signer, error) {
	ks, err := s.find()
	if err != nil {
		return nil, err
	}
	switch len(ks) {
	case 0:
		return nil, fmt.Errorf("%w: %s (no key pair labelled %q in token %q)", ErrKeyNotFound, s.uri.PublicRef(), s.uri.Object, s.uri.Token)
	case 1:
		return ks[0], nil
	}
	return nil, fmt.Errorf("%w: %s: %d key pairs labelled %q in token %q (an interrupted rotation? see docs/operations.md)", ErrBadKey, s.uri.PublicRef(), len(ks), s.uri.Object, s.uri.Token)
}

func (s *session) generate(alg string, id []byte) (crypto11.Signer, error) {
	label := []byte(s.uri.Object)
	var k crypto11.Signer
	var err error
	switch alg {
	case ES256:
		k, err = s.ctx.GenerateECDSAKeyPairWithLabel(id, label, elliptic.P256())
	case RS256:
		k, err = s.ctx.GenerateRSAKeyPairWithLabel(id, label, 3072)
	default:
		return nil, fmt.Errorf("%w: pkcs11: algorithm %s is not supported in a token (ES256 or RS256)", ErrBadKey, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs11: generate %s key %s: %s", alg, s.uri.PublicRef(), redact(err, s.pin))
	}
	return k, nil
}

func newID(given []byte) ([]byte, error) {
	if len(given) > 0 {
		return given, nil
	}
	id := make([]byte, 16)
	_, err := rand.Read(id)
	return id, err
}

// signer wraps a token key; closing it closes the session.
func (s *session) signer(k crypto11.Signer) (*Signer, error) {
	sg, err := NewSigner(s.uri.PublicRef(), k)
	if err != nil {
		return nil, err
	}
	sg.closer = s.close
	return sg, nil
}

func (p pkcs11Backend) Generate(ref, alg string) (*Signer, error) {
	s, err := p.open(ref)
	if err != nil {
		return nil, err
	}
	ks, err := s.find()
	if err == nil && len(ks) > 0 {
		err = fmt.Errorf("key %s already exists in token %q", s.uri.PublicRef(), s.uri.Token)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	id, err := newID(s.uri.ID)
	if err != nil {
		s.close()
		return nil, err
	}
	k, err := s.generate(alg, id)
	if err != nil {
		s.close()
		return nil, err
	}
	sg, err := s.signer(k)
	if err != nil {
		_ = k.Delete()
		s.close()
		return nil, err
	}
	return sg, nil
}

func (p pkcs11Backend) Signer(ref string) (*Signer, error) {
	s, err := p.open(ref)
	if err != nil {
		return nil, err
	}
	k, err := s.one()
	if err != nil {
		s.close()
		return nil, err
	}
	sg, err := s.signer(k)
	if err != nil {
		s.close()
		return nil, err
	}
	return sg, nil
}

func (p pkcs11Backend) Verifier(ref string) (*Verifier, error) {
	sg, err := p.Signer(ref)
	if err != nil {
		return nil, err
	}
	defer sg.Close()
	return sg.Verifier(), nil
}

// Rotate makes a second key pair with the same label (and a new CKA_ID), records it, then destroys the
// old one in the token. Between the two steps the label names two pairs, which Signer refuses as
// ambiguous; Rotate holds both handles, so it is not affected.
func (p pkcs11Backend) Rotate(ref, alg string, record func(old *Verifier, next *Signer) error) (*Signer, error) {
	s, err := p.open(ref)
	if err != nil {
		return nil, err
	}
	if len(s.uri.ID) > 0 {
		s.close()
		return nil, fmt.Errorf("%w: %s: a key named by id= cannot be rotated in place (the new key needs a new id); name it by object= only", ErrBadRef, s.uri.PublicRef())
	}
	old, err := s.one()
	if err != nil {
		s.close()
		return nil, err
	}
	oldSigner, err := NewSigner(s.uri.PublicRef(), old)
	if err != nil {
		s.close()
		return nil, err
	}
	if alg == "" {
		alg = oldSigner.Alg
	}
	id, err := newID(nil)
	if err != nil {
		s.close()
		return nil, err
	}
	k, err := s.generate(alg, id)
	if err != nil {
		s.close()
		return nil, err
	}
	next, err := s.signer(k)
	if err == nil {
		err = record(oldSigner.Verifier(), next)
	}
	if err != nil {
		if derr := k.Delete(); derr != nil {
			err = fmt.Errorf("%w (and removing the new key failed: %s)", err, redact(derr, s.pin))
		}
		s.close()
		return nil, err
	}
	if err := old.Delete(); err != nil {
		next.Close()
		return nil, fmt.Errorf("pkcs11: the new key of %s is recorded, but destroying the old one failed (destroy it by hand, e.g. with pkcs11-tool --delete-object): %s", s.uri.PublicRef(), redact(err, s.pin))
	}
	return next, nil
}

var _ Rotator = pkcs11Backend{}
