// Package sign holds Stella's signing keys and the two signature forms of the contract: a detached
// signature over exact bytes (checksums.sha256.sig) and a signature over the RFC 8785 canonical form of a
// JSON document with its "signature" member removed (manifest, sticker, evidence).
package sign

import "errors"

var (
	// ErrBadSignature means a signature was well formed but does not verify with the key.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrKeyNotFound means the keyring has no key under the reference.
	ErrKeyNotFound = errors.New("key not found")
	// ErrBadKey means a key file cannot be used: unreadable, wrong type, or too open.
	ErrBadKey = errors.New("unusable key")
	// ErrBadRef means a key reference is not a safe path of names.
	ErrBadRef = errors.New("bad key reference")
)
