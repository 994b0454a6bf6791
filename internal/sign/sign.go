package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
)

// Algorithm names as they appear in signatureAlgorithm fields.
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
	ES256 = "ES256" // ECDSA P-256 with SHA-256, ASN.1 DER signature (openssl's form)
	EdDSA = "EdDSA" // Ed25519 over the message itself
)

// Algorithms lists the supported algorithms, default first.
var Algorithms = []string{ES256, RS256, EdDSA}

// Signer signs bytes with a private key.
type Signer struct {
	Ref string // key reference, recorded as signerKeyRef
	Alg string
	key crypto.Signer
	// rand is the entropy source for ES256; nil means crypto/rand.
	rand io.Reader
	// closer releases what the key holds open (a PKCS#11 session); nil for in-memory keys.
	closer func() error
}

// Close releases the key's backend resources (a PKCS#11 session). It is safe to call more than once
// and on any Signer.
func (s *Signer) Close() error {
	if s == nil || s.closer == nil {
		return nil
	}
	c := s.closer
	s.closer = nil
	return c()
}

// Verifier checks signatures with a public key.
type Verifier struct {
	Ref string // key reference it was loaded under, if any
	Alg string
	key crypto.PublicKey
}

// NewSigner wraps a private key; the algorithm follows from the key type.
func NewSigner(ref string, key crypto.Signer) (*Signer, error) {
	alg, err := algOf(key.Public())
	if err != nil {
		return nil, err
	}
	return &Signer{Ref: ref, Alg: alg, key: key}, nil
}

// NewVerifier wraps a public key; the algorithm follows from the key type.
func NewVerifier(ref string, pub crypto.PublicKey) (*Verifier, error) {
	alg, err := algOf(pub)
	if err != nil {
		return nil, err
	}
	return &Verifier{Ref: ref, Alg: alg, key: pub}, nil
}

func algOf(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", fmt.Errorf("%w: RSA key of %d bits (need 2048 or more)", ErrBadKey, k.N.BitLen())
		}
		return RS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: ECDSA key on %s (ES256 needs P-256)", ErrBadKey, k.Curve.Params().Name)
		}
		return ES256, nil
	case ed25519.PublicKey:
		return EdDSA, nil
	default:
		return "", fmt.Errorf("%w: key type %T", ErrBadKey, pub)
	}
}

// Generate makes a new private key for alg.
func Generate(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, 3072)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unknown algorithm %q (want RS256, ES256 or EdDSA)", alg)
}

// Sign returns the raw signature of msg.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	switch s.Alg {
	case EdDSA:
		return s.key.Sign(nil, msg, crypto.Hash(0))
	case RS256:
		d := sha256.Sum256(msg)
		return s.key.Sign(nil, d[:], crypto.SHA256)
	case ES256:
		d := sha256.Sum256(msg)
		r := s.rand
		if r == nil {
			r = rand.Reader
		}
		return s.key.Sign(r, d[:], crypto.SHA256)
	}
	return nil, fmt.Errorf("unknown algorithm %q", s.Alg)
}

// SignBase64 returns the standard base64 of Sign(msg).
func (s *Signer) SignBase64(msg []byte) (string, error) {
	sig, err := s.Sign(msg)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verifier returns the matching verifier.
func (s *Signer) Verifier() *Verifier {
	return &Verifier{Ref: s.Ref, Alg: s.Alg, key: s.key.Public()}
}

// Verify checks a raw signature over msg.
func (v *Verifier) Verify(msg, sig []byte) error {
	ok := false
	switch k := v.key.(type) {
	case *rsa.PublicKey:
		d := sha256.Sum256(msg)
		ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) == nil
	case *ecdsa.PublicKey:
		d := sha256.Sum256(msg)
		ok = ecdsa.VerifyASN1(k, d[:], sig)
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, msg, sig)
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// VerifyBase64 checks a base64 signature over msg.
func (v *Verifier) VerifyBase64(msg []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", ErrBadSignature)
	}
	return v.Verify(msg, raw)
}

// PublicPEM is the SubjectPublicKeyInfo PEM of the verifier's key.
func (v *Verifier) PublicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(v.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeyID is a short fingerprint of the public key: the first 16 hex digits of SHA-256 over its DER.
func (v *Verifier) KeyID() string {
	der, err := x509.MarshalPKIXPublicKey(v.key)
	if err != nil {
		return ""
	}
	d := sha256.Sum256(der)
	return fmt.Sprintf("%x", d[:8])
}

// ParsePublicPEM reads a SubjectPublicKeyInfo PEM.
func ParsePublicPEM(ref string, data []byte) (*Verifier, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: not a PEM PUBLIC KEY", ErrBadKey)
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return NewVerifier(ref, pub)
}

// ParsePrivatePEM reads a PKCS#8 (or PKCS#1 / SEC 1) private key PEM.
func ParsePrivatePEM(ref string, data []byte) (*Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: not PEM", ErrBadKey)
	}
	var key any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrBadKey, b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	cs, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: key type %T", ErrBadKey, key)
	}
	return NewSigner(ref, cs)
}

// MarshalPrivatePEM encodes a private key as PKCS#8 PEM.
func MarshalPrivatePEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
