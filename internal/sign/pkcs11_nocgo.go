//go:build !cgo

package sign

import "fmt"

// pkcs11Backend needs cgo: the PKCS#11 module is a C library loaded at run time.
type pkcs11Backend struct {
	getenv func(string) string
}

var errNoCgo = fmt.Errorf("%w: pkcs11: this stella was built without cgo (CGO_ENABLED=0), which PKCS#11 modules need", ErrBadRef)

func (pkcs11Backend) Generate(ref, alg string) (*Signer, error) { return nil, errNoCgo }
func (pkcs11Backend) Signer(ref string) (*Signer, error)        { return nil, errNoCgo }
func (pkcs11Backend) Verifier(ref string) (*Verifier, error)    { return nil, errNoCgo }
