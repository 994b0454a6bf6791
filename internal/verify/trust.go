package verify

import (
	"errors"
	"time"

	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/trust"
)

// Trust gives the keys recorded under a signerKeyRef and judges a signature by its key's validity
// window: *trust.Store (an exported trust file) is one. With Keys.Trust set, a signature counts only
// when its key is in the trust file and the document's own signed time is inside the key's window and
// before any revocation.
type Trust interface {
	Verifiers(ref string) ([]*sign.Verifier, error)
	Check(v *sign.Verifier, at time.Time) error
}

// window reports a problem for file when a trust file is given and the signature v verified does not
// count at the document's signed time. doc is the signed JSON document; nil means the set's own time,
// the manifest's createdAt (checksums.sha256.sig).
func (c *checker) window(file string, v *sign.Verifier, doc []byte) {
	if c.keys.Trust == nil {
		return
	}
	at, err := c.signedAt(doc)
	if err == nil {
		err = c.keys.Trust.Check(v, at)
	}
	if err != nil {
		c.problem(file, "signature does not count: "+err.Error(), "", "")
	}
}

func (c *checker) signedAt(doc []byte) (time.Time, error) {
	if doc != nil {
		return trust.SignedAt(doc)
	}
	if c.man == nil {
		return time.Time{}, errors.New("no readable manifest.json, so no signed time")
	}
	return time.Parse(time.RFC3339, c.man.CreatedAt)
}

// documentWindow is window for Document: the error instead of a problem.
func documentWindow(keys Keys, v *sign.Verifier, doc []byte) error {
	if keys.Trust == nil {
		return nil
	}
	at, err := trust.SignedAt(doc)
	if err != nil {
		return err
	}
	return keys.Trust.Check(v, at)
}
