package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Keyring is a directory of key pairs: REF "stella/signing/prod" lives in DIR/stella/signing/prod.key
// (PKCS#8 PEM, mode 0600) and DIR/stella/signing/prod.pub (SubjectPublicKeyInfo PEM).
type Keyring struct {
	Dir string
}

// refPart reports whether p matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ (a loop: that pattern's 128
// bounded repetitions cost half a millisecond to compile at every start).
func refPart(p string) bool {
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
	if len(p) == 0 || len(p) > 128 || !alnum(p[0]) {
		return false
	}
	for i := 1; i < len(p); i++ {
		if c := p[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// DefaultKeyringDir is $STELLA_KEYRING, else ~/.config/stella/keys.
func DefaultKeyringDir() string {
	if d := os.Getenv("STELLA_KEYRING"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "stella", "keys")
	}
	return filepath.Join(".stella", "keys")
}

// CheckRef validates a key reference: names of letters, digits, '.', '_' and '-' joined by '/'.
func CheckRef(ref string) error {
	if ref == "" {
		return fmt.Errorf("%w: empty", ErrBadRef)
	}
	for _, p := range strings.Split(ref, "/") {
		if !refPart(p) || p == "." || p == ".." {
			return fmt.Errorf("%w %q: each part separated by / must be letters, digits, '.', '_' or '-'", ErrBadRef, ref)
		}
	}
	return nil
}

func (k Keyring) path(ref, ext string) (string, error) {
	if err := CheckRef(ref); err != nil {
		return "", err
	}
	return filepath.Join(k.Dir, filepath.FromSlash(ref)+ext), nil
}

// PrivatePath is where the private key of ref is kept.
func (k Keyring) PrivatePath(ref string) (string, error) { return k.path(ref, ".key") }

// PublicPath is where the public key of ref is kept.
func (k Keyring) PublicPath(ref string) (string, error) { return k.path(ref, ".pub") }

// Generate creates a new key pair under ref. It refuses to overwrite an existing key.
func (k Keyring) Generate(ref, alg string) (*Signer, error) {
	priv, err := k.PrivatePath(ref)
	if err != nil {
		return nil, err
	}
	pubPath, _ := k.PublicPath(ref)
	s, err := k.write(ref, alg, priv, pubPath)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("key %s already exists in %s", ref, k.Dir)
		}
		return nil, err
	}
	return s, nil
}

// write makes a new key pair and writes it to priv (0600, created exclusively) and pub.
func (k Keyring) write(ref, alg, priv, pubPath string) (*Signer, error) {
	key, err := Generate(alg)
	if err != nil {
		return nil, err
	}
	s, err := NewSigner(ref, key)
	if err != nil {
		return nil, err
	}
	privPEM, err := MarshalPrivatePEM(key)
	if err != nil {
		return nil, err
	}
	pubPEM, err := s.Verifier().PublicPEM()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(priv), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(priv, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(privPEM); err != nil {
		f.Close()
		os.Remove(priv)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(priv)
		return nil, err
	}
	if err := f.Close(); err != nil {
		os.Remove(priv)
		return nil, err
	}
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(priv)
		return nil, err
	}
	return s, nil
}

// Rotate replaces the key pair of ref (see Rotator). The new pair is written beside the old as
// REF.key.new and REF.pub.new; once record succeeds the old pair is renamed to REF.key.retired-KEYID
// and REF.pub.retired-KEYID (kept, mode 0600, so an operator decides when to destroy it) and the new
// one takes its place. alg "" keeps the old key's algorithm.
func (k Keyring) Rotate(ref, alg string, record func(old *Verifier, next *Signer) error) (*Signer, error) {
	priv, err := k.PrivatePath(ref)
	if err != nil {
		return nil, err
	}
	pubPath, _ := k.PublicPath(ref)
	old, err := k.Signer(ref)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = old.Alg
	}
	next, err := k.write(ref, alg, priv+".new", pubPath+".new")
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("rotate %s: %s exists (an interrupted rotation?); remove it and rotate again", ref, priv+".new")
		}
		return nil, err
	}
	discard := func() { os.Remove(priv + ".new"); os.Remove(pubPath + ".new") }
	if err := record(old.Verifier(), next); err != nil {
		discard()
		return nil, err
	}
	suffix := ".retired-" + old.Verifier().KeyID()
	for _, r := range [][2]string{{priv, priv + suffix}, {pubPath, pubPath + suffix}, {priv + ".new", priv}, {pubPath + ".new", pubPath}} {
		if err := os.Rename(r[0], r[1]); err != nil && !(errors.Is(err, fs.ErrNotExist) && r[0] == pubPath) {
			return nil, fmt.Errorf("rotate %s: the new key is recorded but not in place: %w", ref, err)
		}
	}
	return next, nil
}

// Signer loads the private key of ref. A key file readable by group or others is refused.
func (k Keyring) Signer(ref string) (*Signer, error) {
	p, err := k.PrivatePath(ref)
	if err != nil {
		return nil, err
	}
	return LoadPrivateFile(ref, p)
}

// LoadPrivateFile reads a private key PEM file, refusing one that group or others may read.
func LoadPrivateFile(ref, path string) (*Signer, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s (no %s)", ErrKeyNotFound, ref, path)
		}
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadKey, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; a private key must be 0600 or stricter (chmod 600 %s)", ErrBadKey, path, st.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ParsePrivatePEM(ref, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Verifier loads the public key of ref; where only the private key is present, it is derived from it.
func (k Keyring) Verifier(ref string) (*Verifier, error) {
	p, err := k.PublicPath(ref)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		s, serr := k.Signer(ref)
		if errors.Is(serr, ErrKeyNotFound) {
			// A verifier wants the public key: name it, not the private key file it also tried.
			return nil, fmt.Errorf("%w: no public key for %s (%s)", ErrKeyNotFound, ref, p)
		}
		if serr != nil {
			return nil, serr
		}
		return s.Verifier(), nil
	}
	if err != nil {
		return nil, err
	}
	v, err := ParsePublicPEM(ref, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return v, nil
}

// List returns the references of every key pair in the keyring, sorted.
func (k Keyring) List() ([]string, error) {
	var refs []string
	err := filepath.WalkDir(k.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == k.Dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".pub") && !strings.HasSuffix(p, ".key") {
			return nil
		}
		rel, err := filepath.Rel(k.Dir, p)
		if err != nil {
			return err
		}
		ref := filepath.ToSlash(strings.TrimSuffix(strings.TrimSuffix(rel, ".pub"), ".key"))
		if len(refs) == 0 || refs[len(refs)-1] != ref {
			refs = append(refs, ref)
		}
		return nil
	})
	return refs, err
}

// LoadPublicFile reads a public key PEM file given on the command line.
func LoadPublicFile(path string) (*Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := ParsePublicPEM("", data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
