package evidence_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/trust"
)

// With a trust file, a packet counts only when its generatedAt is inside its key's window: packets of
// 2019 and 2023 verify after the 2022 rotation; one the retired key signed in 2023 does not.
func TestVerifyChainWithTrustFile(t *testing.T) {
	old, kr := keys(t, sign.ES256)
	db := openSQLite(t, filepath.Join(t.TempDir(), "stella.db"))
	metatest.Seed(t, db, "acme", "d1", metatest.T0)
	at := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	add := func(s *sign.Signer, dep string, when time.Time) {
		t.Helper()
		err := db.Update(context.Background(), "acme", func(tx meta.Tx) error {
			_, err := evidence.Append(context.Background(), tx, s, draft("acme", dep, when))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	st := trust.New()
	if err := st.Add(old.Verifier(), old.Ref, at(2019, 1)); err != nil {
		t.Fatal(err)
	}
	add(old, "d1", at(2019, 6))
	next, err := kr.Rotate(old.Ref, "", func(o *sign.Verifier, n *sign.Signer) error {
		return st.Rotate(o, n.Verifier(), n.Ref, at(2022, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	add(next, "d1", at(2023, 1))
	add(old, "d1", at(2023, 6))
	raw, err := st.Export(next, at(2026, 12))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := trust.LoadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := evidence.VerifyChain(context.Background(), db, "acme", tf)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 {
		t.Fatalf("problems = %v, want exactly the stale packet's", rep.Problems)
	}
	p := rep.Problems[0].String()
	if !strings.Contains(p, "(sequence 3)") || !strings.Contains(p, "signed at 2023-06-01T00:00:00Z, after the key's window closed at 2022-01-01T00:00:00Z") {
		t.Fatalf("problem = %s", p)
	}
	// The same chain with the keys alone (no windows): every signature is good.
	pub, _ := old.Verifier().PublicPEM()
	ov, _ := sign.ParsePublicPEM(old.Ref, pub)
	rep, err = evidence.VerifyChain(context.Background(), db, "acme", evidence.KeySet{Public: []*sign.Verifier{ov, next.Verifier()}})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("without windows: %v %v", rep.Problems, err)
	}
}
