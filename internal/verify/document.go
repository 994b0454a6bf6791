package verify

import (
	"errors"
	"fmt"

	"github.com/stella-ops/stella/internal/sign"
)

// ErrNotSigned is Document's error for a JSON document without a signature.
var ErrNotSigned = errors.New("not signed")

// Document checks the signature of one signed JSON document (a sticker found on a target, say) the way
// Set checks the documents of a set: with the keys given, else the keyring's key of its signerKeyRef.
// It returns the key that verified it.
func Document(doc []byte, keys Keys) (*sign.Verifier, error) {
	f, err := sign.JSONSignature(doc)
	if err != nil {
		return nil, fmt.Errorf("unparsable JSON: %w", err)
	}
	if f.Signature == "" {
		return nil, ErrNotSigned
	}
	c := &checker{keys: keys}
	vs, err := c.verifiers(f.SignerKeyRef)
	if err != nil {
		return nil, fmt.Errorf("cannot check the signature: %w", err)
	}
	if v := first(vs, func(v *sign.Verifier) bool { return sign.VerifyJSON(v, doc) == nil }); v != nil {
		if err := documentWindow(keys, v, doc); err != nil {
			return nil, fmt.Errorf("signature does not count: %w", err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("signature (%s, %s) does not verify with %s", f.SignatureAlgorithm, f.SignerKeyRef, keyNames(vs))
}
