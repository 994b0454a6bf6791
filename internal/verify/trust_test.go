package verify_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/trust"
	"github.com/stella-ops/stella/internal/verify"
)

func setAt(t *testing.T, s *sign.Signer, at time.Time) fstest.MapFS {
	t.Helper()
	res, err := quickstart.Generate(context.Background(), t.TempDir(), s, "acme", "d1", at, "prod-web-01")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range res.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data, Mode: 0o444}
	}
	return fsys
}

func utc(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// A set signed inside its key's window verifies from the trust file alone, after the key was rotated;
// one its old key signed after the rotation, and one signed after a revocation, do not, and say why.
func TestSetAgainstTrustFile(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	old, err := kr.Generate("prod", sign.ES256)
	if err != nil {
		t.Fatal(err)
	}
	st := trust.New()
	if err := st.Add(old.Verifier(), "prod", utc(2019, 1, 1)); err != nil {
		t.Fatal(err)
	}
	// Signed in 2019, before the rotation; and by the same key in 2023, after it (a retired key still
	// in someone's hands).
	before := setAt(t, old, utc(2019, 6, 1))
	stale := setAt(t, old, utc(2023, 1, 1))
	next, err := kr.Rotate("prod", "", func(o *sign.Verifier, n *sign.Signer) error {
		return st.Rotate(o, n.Verifier(), "prod", utc(2022, 1, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	lateNew := setAt(t, next, utc(2025, 6, 1))
	if err := st.Revoke(next.Verifier().KeyID(), utc(2025, 1, 1), "key compromised"); err != nil {
		t.Fatal(err)
	}
	third, err := kr.Rotate("prod", "", func(o *sign.Verifier, n *sign.Signer) error {
		return st.Rotate(o, n.Verifier(), "prod", utc(2025, 1, 2))
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := st.Export(third, utc(2026, 12, 1))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := trust.LoadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	keys := verify.Keys{Trust: tf}

	if r := mustVerify(t, before, keys); !r.Valid {
		t.Fatalf("set signed inside the window: %v", r.Problems)
	}
	r := mustVerify(t, stale, keys)
	if r.Valid || !named(r, "after the key's window closed at 2022-01-01T00:00:00Z") {
		t.Fatalf("set signed by the rotated key after its window: valid=%v %v", r.Valid, r.Problems)
	}
	for _, f := range []string{"checksums.sha256", "manifest.json", "stella.version"} {
		if !named(r, f) {
			t.Errorf("the stale set's %s is not named: %v", f, r.Problems)
		}
	}
	r = mustVerify(t, lateNew, keys)
	if r.Valid || !named(r, "revoked at 2025-01-01T00:00:00Z (key compromised)") {
		t.Fatalf("set signed after the revocation: valid=%v %v", r.Valid, r.Problems)
	}
	// Without the trust file, the keyring holds only the current key.
	if r := mustVerify(t, before, verify.Keys{Keyring: &kr}); r.Valid {
		t.Fatal("the keyring's current key verified a set of the rotated key")
	}
	// A sticker checked on its own is judged the same way.
	if _, err := verify.Document(before["stella.version.json"].Data, keys); err != nil {
		t.Errorf("sticker inside the window: %v", err)
	}
	if _, err := verify.Document(stale["stella.version.json"].Data, keys); err == nil || !strings.Contains(err.Error(), "window closed") {
		t.Errorf("sticker after the window: %v", err)
	}
}
