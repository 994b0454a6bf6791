//go:build unix

package trust

import (
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/sign"
)

// Concurrent read-modify-writes under Lock lose nothing.
func TestLockSerialisesUpdates(t *testing.T) {
	dir := t.TempDir()
	p := Path(dir)
	const n = 8
	var vs []*sign.Verifier
	for i := 0; i < n; i++ {
		k, err := sign.Generate(sign.EdDSA)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := sign.NewSigner("k/"+string(rune('a'+i)), k)
		vs = append(vs, s.Verifier())
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(p)
			if err != nil {
				errs <- err
				return
			}
			defer unlock()
			st, err := Open(p)
			if err == nil {
				err = st.Add(v, v.Ref, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			}
			if err == nil {
				err = st.Save(p)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Keys) != n {
		t.Fatalf("%d keys recorded, want %d", len(st.Keys), n)
	}
}
