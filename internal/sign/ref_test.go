package sign

import (
	"errors"
	"strings"
	"testing"
)

func TestPublicRef(t *testing.T) {
	for _, c := range []struct{ ref, want string }{
		{"stella/signing/prod", "stella/signing/prod"},
		{"file:stella/signing/prod", "stella/signing/prod"},
		{"env:STELLA_SIGNING_KEY", "env:STELLA_SIGNING_KEY"},
		{"pkcs11:token=stella;object=prod-key-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:STELLA_PKCS11_PIN", "pkcs11:token=stella;object=prod-key-2026"},
		{"pkcs11:object=prod;token=my%20token", "pkcs11:token=my%20token;object=prod"},
		{"pkcs11:token=t;object=o;id=%01%02?pin-source=file:/run/pin", "pkcs11:token=t;object=o;id=%01%02"},
		{"pkcs11:token=t;object=o;type=private", "pkcs11:token=t;object=o"},
	} {
		got, err := PublicRef(c.ref)
		if err != nil || got != c.want {
			t.Errorf("PublicRef(%q) = %q, %v; want %q", c.ref, got, err, c.want)
		}
	}
}

func TestBadRefs(t *testing.T) {
	for _, ref := range []string{
		"", "../x", "file:../x", "env:", "env:1X", "env:A-B",
		"pkcs11:", "pkcs11:token=t", "pkcs11:object=o", "pkcs11:token=t;object=o;slot=1",
		"pkcs11:token=t;object=o?pin-source=secret", "pkcs11:token=t;object=o?module=x", "pkcs11:token=t;object=o;type=secret-key",
		"pkcs11:token=t;object=%zz", "pkcs11:token",
	} {
		if _, err := PublicRef(ref); !errors.Is(err, ErrBadRef) {
			t.Errorf("PublicRef(%q) = %v, want ErrBadRef", ref, err)
		}
	}
}

// A PIN written into a reference is refused without being repeated.
func TestPinValueRefusedAndNotEchoed(t *testing.T) {
	for _, ref := range []string{
		"pkcs11:token=t;object=o?pin-value=S3cr3t-PIN",
		"pkcs11:token=t;object=o;pin-value=S3cr3t-PIN",
	} {
		_, err := ParsePKCS11URI(ref)
		if !errors.Is(err, ErrBadRef) {
			t.Fatalf("%q: err = %v, want ErrBadRef", ref, err)
		}
		if strings.Contains(err.Error(), "S3cr3t") {
			t.Fatalf("error repeats the PIN: %v", err)
		}
	}
}

func TestScheme(t *testing.T) {
	for ref, want := range map[string]string{"a/b": SchemeFile, "file:a": SchemeFile, "env:X": SchemeEnv, "pkcs11:token=a;object=b": SchemePKCS11} {
		if got := Scheme(ref); got != want {
			t.Errorf("Scheme(%q) = %s, want %s", ref, got, want)
		}
	}
}
