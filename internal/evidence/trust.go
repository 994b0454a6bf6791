package evidence

import (
	"fmt"
	"time"

	"github.com/stella-ops/stella/internal/sign"
)

// WindowKeys are Keys that also judge a signature by its key's validity window: a trust file
// (*trust.Store). A packet's signature then counts only when its generatedAt is inside the window of
// the key that made it and before any revocation of that key.
type WindowKeys interface {
	Keys
	Check(v *sign.Verifier, at time.Time) error
}

// checkWindow applies keys' window to a signature v verified, when keys have one.
func checkWindow(keys Keys, v *sign.Verifier, p *Packet) error {
	if m, ok := keys.(*memoKeys); ok {
		keys = m.Keys
	}
	wk, ok := keys.(WindowKeys)
	if !ok {
		return nil
	}
	if err := wk.Check(v, p.GeneratedAt); err != nil {
		return fmt.Errorf("signature does not count: %w", err)
	}
	return nil
}
