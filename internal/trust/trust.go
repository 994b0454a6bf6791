// Package trust is Stella's trust store: every public key that has signed for it, each with a validity
// window (not-before, not-after), and its revocation (revoked-at, reason). A signature counts only when
// the document's own signed time falls inside its key's window and before any revocation, so a set
// signed in 2026 still verifies in 2033 after its key has been rotated, and a signature made with a
// retired or revoked key does not, with the reason.
//
// The store lives beside the keyring as trust.json (unsigned: it is the operator's own state). Export
// writes the trust file an air-gapped verifier carries: the same keys, without how this host opens
// them, signed by a current key of the store. LoadFile checks that signature before anything in the
// file is used. See docs/operations.md.
package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/stella-ops/stella/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/stella-ops/stella/internal/sign"
)

// FileName is the store's name in the keyring directory.
const FileName = "trust.json"

// Type is the "type" member of a trust store and a trust file.
const Type = "stella-trust"

// Key is one public key with its validity window.
type Key struct {
	// KeyID is sign.Verifier.KeyID: the first 16 hex digits of SHA-256 over the key's DER.
	KeyID string `json:"keyId"`
	// Ref is the key reference as documents carry it in signerKeyRef (sign.PublicRef).
	Ref       string `json:"ref"`
	Algorithm string `json:"algorithm"`
	// PublicKey is the SubjectPublicKeyInfo PEM.
	PublicKey string `json:"publicKey"`
	// NotBefore opens the window; zero means the key was recorded only when it was rotated away, with
	// no earlier record of when it was made (a keyring older than the trust store).
	NotBefore time.Time `json:"notBefore,omitzero"`
	// NotAfter closes it (set by rotation); zero means open.
	NotAfter time.Time `json:"notAfter,omitzero"`
	// ReplacedBy is the keyId of the key that took over at NotAfter.
	ReplacedBy string    `json:"replacedBy,omitempty"`
	RevokedAt  time.Time `json:"revokedAt,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	// Use is how this host opens the private key: the reference as given, with module-path and
	// pin-source for pkcs11 (never a PIN). It stays in the local store and is not exported.
	Use string `json:"use,omitempty"`
}

// Current reports whether the key is open at t: inside its window and not revoked.
func (k Key) Current(t time.Time) bool { return k.check(t) == "" }

// check is "" when t is inside k's window and before its revocation, else why not.
func (k Key) check(t time.Time) string {
	at := t.UTC().Format(time.RFC3339)
	switch {
	case !k.RevokedAt.IsZero() && !t.Before(k.RevokedAt):
		r := "signed at " + at + ", after the key was revoked at " + k.RevokedAt.Format(time.RFC3339)
		if k.Reason != "" {
			r += " (" + k.Reason + ")"
		}
		return r
	case !k.NotBefore.IsZero() && t.Before(k.NotBefore):
		return "signed at " + at + ", before the key's window opened at " + k.NotBefore.Format(time.RFC3339)
	case !k.NotAfter.IsZero() && !t.Before(k.NotAfter):
		r := "signed at " + at + ", after the key's window closed at " + k.NotAfter.Format(time.RFC3339)
		if k.ReplacedBy != "" {
			r += " (rotated; replaced by key " + k.ReplacedBy + ")"
		}
		return r
	}
	return ""
}

// Store is a trust store, and in its exported form (GeneratedAt and the signature set, Use empty) a
// trust file.
type Store struct {
	Type        string `json:"type"`
	Version     string `json:"version"`
	GeneratedAt string `json:"generatedAt,omitempty"`
	Keys        []Key  `json:"keys"`
	sign.SignedFields

	verifiers map[string]*sign.Verifier
	signer    Key
}

// WindowError says why a signature by a known key does not count.
type WindowError struct {
	KeyID, Ref string
	Why        string
}

func (e *WindowError) Error() string { return fmt.Sprintf("key %s (%s): %s", e.KeyID, e.Ref, e.Why) }

var (
	// ErrUnknownKey means the key is not in the trust store.
	ErrUnknownKey = errors.New("key not in the trust file")
	// ErrBadFile means a trust file is unparsable or its signature does not hold.
	ErrBadFile = errors.New("bad trust file")
)

// New is an empty store.
func New() *Store { return &Store{Type: Type, Version: "1", Keys: []Key{}} }

// Path is the store's path in a keyring directory.
func Path(keyringDir string) string { return filepath.Join(keyringDir, FileName) }

// Open reads the store at path; a missing file is an empty store.
func Open(path string) (*Store, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, err
	}
	s, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func parse(data []byte) (*Store, error) {
	s := &Store{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	if s.Type != Type {
		return nil, fmt.Errorf("%w: type is %q, not %q", ErrBadFile, s.Type, Type)
	}
	if s.Keys == nil {
		s.Keys = []Key{}
	}
	s.verifiers = map[string]*sign.Verifier{}
	for i, k := range s.Keys {
		v, err := sign.ParsePublicPEM(k.Ref, []byte(k.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("%w: keys[%d] (%s): %v", ErrBadFile, i, k.KeyID, err)
		}
		if v.KeyID() != k.KeyID || v.Alg != k.Algorithm {
			return nil, fmt.Errorf("%w: keys[%d]: keyId %s and algorithm %s do not match its public key (%s %s)", ErrBadFile, i, k.KeyID, k.Algorithm, v.KeyID(), v.Alg)
		}
		s.verifiers[k.KeyID] = v
	}
	return s, nil
}

// Save writes the store to path atomically (temp file, fsync, rename).
func (s *Store) Save(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// Key returns the entry of keyID.
func (s *Store) Key(keyID string) (Key, bool) {
	for _, k := range s.Keys {
		if k.KeyID == keyID {
			return k, true
		}
	}
	return Key{}, false
}

func (s *Store) index(keyID string) int {
	return slices.IndexFunc(s.Keys, func(k Key) bool { return k.KeyID == keyID })
}

func entry(v *sign.Verifier, use string) (Key, error) {
	pem, err := v.PublicPEM()
	if err != nil {
		return Key{}, err
	}
	return Key{KeyID: v.KeyID(), Ref: v.Ref, Algorithm: v.Alg, PublicKey: string(pem), Use: use}, nil
}

func (s *Store) remember(k Key) {
	s.Keys = append(s.Keys, k)
	if s.verifiers == nil {
		s.verifiers = map[string]*sign.Verifier{}
	}
	s.verifiers[k.KeyID], _ = sign.ParsePublicPEM(k.Ref, []byte(k.PublicKey))
}

// Add records v (whose Ref is its public reference) with a window opening at at. use is how this
// host opens its private key. A key already recorded is refused, and so is a second open key for the
// same reference: that is a rotation.
func (s *Store) Add(v *sign.Verifier, use string, at time.Time) error {
	if _, ok := s.Key(v.KeyID()); ok {
		return fmt.Errorf("key %s (%s) is already in the trust store", v.KeyID(), v.Ref)
	}
	at = at.UTC().Truncate(time.Second)
	for _, k := range s.Keys {
		if k.Ref == v.Ref && k.Current(at) && k.NotAfter.IsZero() {
			return fmt.Errorf("%s already has the open key %s; rotate it (stella keys rotate %s) instead", v.Ref, k.KeyID, v.Ref)
		}
	}
	k, err := entry(v, use)
	if err != nil {
		return err
	}
	k.NotBefore = at
	s.remember(k)
	return nil
}

// Rotate closes old's window at at and opens next's there. old need not be recorded yet (a key made
// before the trust store existed): it is then recorded with no NotBefore. Windows are whole seconds:
// next's opens at the second at falls in, old's closes at the end of it (CloseAt), so that what old
// signed earlier in that second — evidence carries sub-second times — still counts.
func (s *Store) Rotate(old, next *sign.Verifier, use string, at time.Time) error {
	closeAt := CloseAt(at)
	at = at.UTC().Truncate(time.Second)
	if old.KeyID() == next.KeyID() {
		return fmt.Errorf("rotate %s: the new key is the old key %s", old.Ref, old.KeyID())
	}
	if _, ok := s.Key(next.KeyID()); ok {
		return fmt.Errorf("rotate %s: key %s is already in the trust store", old.Ref, next.KeyID())
	}
	i := s.index(old.KeyID())
	if i < 0 {
		k, err := entry(old, "")
		if err != nil {
			return err
		}
		s.remember(k)
		i = len(s.Keys) - 1
	}
	o := &s.Keys[i]
	if !o.NotAfter.IsZero() {
		return fmt.Errorf("rotate %s: key %s was already rotated at %s", old.Ref, o.KeyID, o.NotAfter.Format(time.RFC3339))
	}
	if !o.NotBefore.IsZero() && !closeAt.After(o.NotBefore) {
		return fmt.Errorf("rotate %s: rotation time %s is not after key %s's window opened (%s)", old.Ref, at.Format(time.RFC3339), o.KeyID, o.NotBefore.Format(time.RFC3339))
	}
	o.NotAfter, o.ReplacedBy = closeAt, next.KeyID()
	n, err := entry(next, use)
	if err != nil {
		return err
	}
	n.NotBefore = at
	s.remember(n)
	return nil
}

// CloseAt is when a rotation at t closes the old key's window: t when it is a whole second, else the
// next whole second.
func CloseAt(t time.Time) time.Time {
	t = t.UTC()
	if f := t.Truncate(time.Second); !f.Equal(t) {
		return f.Add(time.Second)
	}
	return t
}

// Revoke marks keyID revoked at at for reason: its signatures made at or after at no longer count.
func (s *Store) Revoke(keyID string, at time.Time, reason string) error {
	if reason == "" {
		return errors.New("revoke: a reason is required")
	}
	i := s.index(keyID)
	if i < 0 {
		return fmt.Errorf("revoke: %w: %s", ErrUnknownKey, keyID)
	}
	if !s.Keys[i].RevokedAt.IsZero() {
		return fmt.Errorf("revoke: key %s was already revoked at %s", keyID, s.Keys[i].RevokedAt.Format(time.RFC3339))
	}
	s.Keys[i].RevokedAt, s.Keys[i].Reason = at.UTC().Truncate(time.Second), reason
	return nil
}

// ByRef returns the entries recorded under ref, oldest first.
func (s *Store) ByRef(ref string) []Key {
	var out []Key
	for _, k := range s.Keys {
		if k.Ref == ref {
			out = append(out, k)
		}
	}
	return out
}

// Verifiers returns every key recorded under ref (signerKeyRef), current or not: which of them counts
// is Check's question. It implements evidence.Keys and verify.Trust.
func (s *Store) Verifiers(ref string) ([]*sign.Verifier, error) {
	var vs []*sign.Verifier
	for _, k := range s.ByRef(ref) {
		if v := s.verifiers[k.KeyID]; v != nil {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: no key for signerKeyRef %q", ErrUnknownKey, ref)
	}
	return vs, nil
}

// Check says whether a signature that v verified, made at at (the document's own signed time), counts:
// nil when at is inside v's window and before any revocation, else a *WindowError saying why.
func (s *Store) Check(v *sign.Verifier, at time.Time) error {
	k, ok := s.Key(v.KeyID())
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownKey, v.KeyID())
	}
	if why := k.check(at); why != "" {
		return &WindowError{KeyID: k.KeyID, Ref: k.Ref, Why: why}
	}
	return nil
}

// Export returns the signed trust file: every key (Use removed), generatedAt now, signed by signer,
// whose key must be in the store and current at now.
func (s *Store) Export(signer *sign.Signer, now time.Time) ([]byte, error) {
	now = now.UTC().Truncate(time.Second)
	sv := signer.Verifier()
	k, ok := s.Key(sv.KeyID())
	if !ok {
		return nil, fmt.Errorf("export trust: the signing key %s (%s) is not in the trust store", sv.KeyID(), signer.Ref)
	}
	if why := k.check(now); why != "" {
		return nil, fmt.Errorf("export trust: the signing key %s (%s) is not current: %s", k.KeyID, k.Ref, why)
	}
	out := &Store{Type: Type, Version: "1", GeneratedAt: now.Format(time.RFC3339), Keys: make([]Key, len(s.Keys))}
	for i, k := range s.Keys {
		k.Use = ""
		out.Keys[i] = k
	}
	return sign.SignJSON(signer, out, func(alg, ref, sig string) {
		out.SignatureAlgorithm, out.SignerKeyRef, out.Signature = alg, ref, sig
	})
}

// Signer is the entry of the key that signed a trust file read by LoadFile.
func (s *Store) Signer() Key { return s.signer }

// LoadFile reads an exported trust file and checks it before anything in it is used: it parses, every
// key matches its keyId, it is signed, and the signature verifies with a key of the file recorded
// under its signerKeyRef that was current at the file's generatedAt. The file is its own anchor: who
// carries it decides whom it trusts (compare the signer's keyId out of band; see docs/operations.md).
func LoadFile(data []byte) (*Store, error) {
	s, err := parse(data)
	if err != nil {
		return nil, err
	}
	if s.Signature == "" {
		return nil, fmt.Errorf("%w: not signed (a trust store, not an exported trust file? use stella keys trust export)", ErrBadFile)
	}
	at, err := time.Parse(time.RFC3339, s.GeneratedAt)
	if err != nil {
		return nil, fmt.Errorf("%w: generatedAt %q is not an RFC 3339 time", ErrBadFile, s.GeneratedAt)
	}
	vs, err := s.Verifiers(s.SignerKeyRef)
	if err != nil {
		return nil, fmt.Errorf("%w: signerKeyRef %q names no key of the file", ErrBadFile, s.SignerKeyRef)
	}
	for _, v := range vs {
		if sign.VerifyJSON(v, data) != nil {
			continue
		}
		if err := s.Check(v, at); err != nil {
			return nil, fmt.Errorf("%w: signed by %v", ErrBadFile, err)
		}
		s.signer, _ = s.Key(v.KeyID())
		return s, nil
	}
	return nil, fmt.Errorf("%w: the signature does not verify with any key recorded under %s", ErrBadFile, s.SignerKeyRef)
}

// SignedAt is a signed JSON document's own signed time: its top-level generatedAt (stickers, evidence,
// trust files), else createdAt (manifests).
func SignedAt(doc []byte) (time.Time, error) {
	var f struct {
		GeneratedAt string `json:"generatedAt"`
		CreatedAt   string `json:"createdAt"`
	}
	if err := json.Unmarshal(doc, &f); err != nil {
		return time.Time{}, err
	}
	s := f.GeneratedAt
	if s == "" {
		s = f.CreatedAt
	}
	if s == "" {
		return time.Time{}, errors.New("no generatedAt or createdAt: the document carries no signed time")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("signed time %q is not RFC 3339", s)
	}
	return t, nil
}
