package sign

import (
	"fmt"
	"net/url"
	"strings"
)

// Key reference schemes. A reference without a scheme is a keyring reference (file:).
const (
	SchemeFile   = "file"
	SchemePKCS11 = "pkcs11"
	SchemeEnv    = "env"
)

// Scheme returns the scheme of a key reference: "file" for a bare keyring reference.
func Scheme(ref string) string {
	for _, s := range []string{SchemePKCS11, SchemeEnv, SchemeFile} {
		if strings.HasPrefix(ref, s+":") {
			return s
		}
	}
	return SchemeFile
}

// PublicRef is the form of a key reference that is recorded as signerKeyRef and in the trust store: it
// names the key, never how to reach it or unlock it. A keyring reference is its path ("file:" dropped,
// so documents signed before schemes existed keep their refs); an env: reference is itself (the
// variable's name, never its value); a pkcs11: reference keeps its path attributes (token, object, id),
// canonically ordered, and drops the query (module-path, pin-source), which is local configuration.
func PublicRef(ref string) (string, error) {
	switch Scheme(ref) {
	case SchemeFile:
		p := strings.TrimPrefix(ref, "file:")
		if err := CheckRef(p); err != nil {
			return "", err
		}
		return p, nil
	case SchemeEnv:
		name := strings.TrimPrefix(ref, "env:")
		if err := checkEnvName(name); err != nil {
			return "", err
		}
		return "env:" + name, nil
	default:
		u, err := ParsePKCS11URI(ref)
		if err != nil {
			return "", err
		}
		return u.PublicRef(), nil
	}
}

func checkEnvName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: env: needs a variable name (env:STELLA_SIGNING_KEY)", ErrBadRef)
	}
	for i, r := range name {
		if r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return fmt.Errorf("%w: env:%s is not a variable name (letters, digits and _)", ErrBadRef, name)
	}
	return nil
}

// PKCS11URI is a parsed RFC 7512 PKCS#11 URI naming one key pair:
//
//	pkcs11:token=stella;object=prod-key-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:STELLA_PKCS11_PIN
//
// token is the token label and object the key pair's label (CKA_LABEL); id (CKA_ID, percent-encoded
// bytes) is optional. module-path defaults to $STELLA_PKCS11_MODULE and pin-source to
// env:STELLA_PKCS11_PIN; pin-source is env:VAR or file:PATH (a file holding the PIN). pin-value is
// refused: a PIN is never written into a reference.
type PKCS11URI struct {
	Token      string
	Object     string
	ID         []byte
	ModulePath string
	PinSource  string
}

// ParsePKCS11URI parses a pkcs11: reference. Its errors never contain a PIN (pin-value is refused
// before anything else is reported).
func ParsePKCS11URI(ref string) (*PKCS11URI, error) {
	rest, ok := strings.CutPrefix(ref, "pkcs11:")
	if !ok {
		return nil, fmt.Errorf("%w: not a pkcs11: URI", ErrBadRef)
	}
	path, query, _ := strings.Cut(rest, "?")
	if strings.Contains(query, "pin-value") || strings.Contains(path, "pin-value") {
		return nil, fmt.Errorf("%w: pkcs11: pin-value is refused; give pin-source=env:VAR or pin-source=file:PATH", ErrBadRef)
	}
	u := &PKCS11URI{}
	for _, a := range splitNonEmpty(path, ";") {
		k, v, err := attr(a)
		if err != nil {
			return nil, err
		}
		switch k {
		case "token":
			u.Token = v
		case "object":
			u.Object = v
		case "id":
			u.ID = []byte(v)
		case "type":
			if v != "private" && v != "public" {
				return nil, fmt.Errorf("%w: pkcs11: type=%s (a signing key is a private/public pair)", ErrBadRef, v)
			}
		default:
			return nil, fmt.Errorf("%w: pkcs11: unsupported path attribute %q (token, object, id)", ErrBadRef, k)
		}
	}
	for _, a := range splitNonEmpty(query, "&") {
		k, v, err := attr(a)
		if err != nil {
			return nil, err
		}
		switch k {
		case "module-path":
			u.ModulePath = v
		case "pin-source":
			if !strings.HasPrefix(v, "env:") && !strings.HasPrefix(v, "file:") {
				return nil, fmt.Errorf("%w: pkcs11: pin-source must be env:VAR or file:PATH", ErrBadRef)
			}
			u.PinSource = v
		default:
			return nil, fmt.Errorf("%w: pkcs11: unsupported query attribute %q (module-path, pin-source)", ErrBadRef, k)
		}
	}
	if u.Token == "" || u.Object == "" {
		return nil, fmt.Errorf("%w: pkcs11: token= and object= are required (pkcs11:token=stella;object=prod-key-2026)", ErrBadRef)
	}
	return u, nil
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func attr(a string) (string, string, error) {
	k, v, ok := strings.Cut(a, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("%w: pkcs11: attribute %q is not NAME=VALUE", ErrBadRef, a)
	}
	uv, err := url.PathUnescape(v)
	if err != nil {
		return "", "", fmt.Errorf("%w: pkcs11: attribute %s: bad percent-encoding", ErrBadRef, k)
	}
	return k, uv, nil
}

// PublicRef is the URI without its query: pkcs11:token=T;object=O[;id=…].
func (u *PKCS11URI) PublicRef() string {
	s := "pkcs11:token=" + esc(u.Token) + ";object=" + esc(u.Object)
	if len(u.ID) > 0 {
		s += ";id=" + esc(string(u.ID))
	}
	return s
}

func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
