package sign

import (
	"errors"
	"os"
	"testing"
)

func TestKeyringRotate(t *testing.T) {
	kr := Keyring{Dir: t.TempDir()}
	first, err := kr.Generate("r/k", ES256)
	if err != nil {
		t.Fatal(err)
	}
	oldID := first.Verifier().KeyID()

	// record fails: nothing changes, no leftovers.
	boom := errors.New("boom")
	if _, err := kr.Rotate("r/k", "", func(*Verifier, *Signer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Rotate with failing record = %v", err)
	}
	if v, _ := kr.Verifier("r/k"); v.KeyID() != oldID {
		t.Fatalf("after a failed rotation the key is %s, want %s", v.KeyID(), oldID)
	}
	priv, _ := kr.PrivatePath("r/k")
	if _, err := os.Stat(priv + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("failed rotation left %s.new", priv)
	}

	var gotOld string
	next, err := kr.Rotate("r/k", RS256, func(old *Verifier, n *Signer) error {
		gotOld = old.KeyID()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotOld != oldID || next.Alg != RS256 || next.Verifier().KeyID() == oldID {
		t.Fatalf("rotate: old %s (want %s), new %s %s", gotOld, oldID, next.Alg, next.Verifier().KeyID())
	}
	s, err := kr.Signer("r/k")
	if err != nil || s.Verifier().KeyID() != next.Verifier().KeyID() {
		t.Fatalf("keyring signer after rotation = %v, %v", s, err)
	}
	// The old private key is kept aside, 0600, and not listed as a reference.
	st, err := os.Stat(priv + ".retired-" + oldID)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("retired key: %v %v", st, err)
	}
	refs, _ := kr.List()
	if len(refs) != 1 || refs[0] != "r/k" {
		t.Fatalf("List after rotation = %v", refs)
	}
	if _, err := kr.Rotate("no/such", "", func(*Verifier, *Signer) error { return nil }); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("rotate a missing key = %v", err)
	}
}
