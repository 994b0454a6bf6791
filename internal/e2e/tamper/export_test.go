package tamper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/cli"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/sign"
)

// An exported evidence packet, checked on its own (stella evidence verify --file): every change to its
// bytes — flipped at nine offsets, truncated, appended to, emptied, its keys reordered, its signerKeyRef
// changed, its signature or content hash taken from another packet — is detected, naming the packet.
func TestTamperEvidenceExport(t *testing.T) {
	// Two quickstarts: the packet under test and another one to take a signature and hash from.
	packetOf := func(dir string) []byte {
		if code := cli.Run(context.Background(), []string{"quickstart", dir}, io.Discard, io.Discard); code != 0 {
			t.Fatalf("quickstart: exit %d", code)
		}
		db, err := connect.Open(context.Background(), connect.URL(filepath.Join(dir, "stella-data"), ""))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tenants, err := db.Tenants(context.Background())
		if err != nil || len(tenants) == 0 {
			t.Fatalf("tenants: %v %v", tenants, err)
		}
		var packet []byte
		if err := db.View(context.Background(), tenants[0], func(tx meta.Tx) error {
			es, err := tx.ListEvidence(context.Background(), 1)
			if len(es) == 1 {
				packet = es[0].Packet
			}
			return err
		}); err != nil || packet == nil {
			t.Fatalf("no packet: %v", err)
		}
		return packet
	}
	dir := t.TempDir()
	t.Setenv("STELLA_KEYRING", filepath.Join(dir, "keys"))
	orig := packetOf(dir)
	other := packetOf(t.TempDir())
	kr := sign.Keyring{Dir: filepath.Join(dir, "keys")}
	keys := evidence.KeySet{Keyring: &kr}
	if err := evidence.VerifyPacket(orig, keys); err != nil {
		t.Fatalf("the exported packet does not verify as it is: %v", err)
	}
	field := func(b []byte, name string) string {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		v, _ := m[name].(string)
		return v
	}
	swap := func(name string) []byte {
		a, b := field(orig, name), field(other, name)
		if a == "" || b == "" || a == b {
			return nil
		}
		return bytes.Replace(orig, []byte(a), []byte(b), 1)
	}
	cases := map[string][]byte{
		"truncated":           orig[:len(orig)/2],
		"appended to":         append(bytes.Clone(orig), []byte(`{"x":1}`)...),
		"emptied":             {},
		"keys reordered":      reorder(orig),
		"signerKeyRef":        setField(orig, "signerKeyRef", "stella/signing/other"),
		"signature swapped":   swap("signature"),
		"contentHash swapped": swap("contentHash"),
	}
	for i, off := range []int{0, 1, 10, len(orig) / 4, len(orig) / 3, len(orig) / 2, 2 * len(orig) / 3, len(orig) - 10, len(orig) - 1} {
		b := bytes.Clone(orig)
		b[off] ^= 0x01
		cases["byte flipped at "+string(rune('a'+i))] = b
	}
	total, caught := 0, 0
	for name, b := range cases {
		if b == nil {
			t.Errorf("%s: no such change could be made", name)
			continue
		}
		total++
		err := evidence.VerifyPacket(b, keys)
		if err == nil {
			t.Errorf("%s: the tampered packet verifies", name)
			continue
		}
		if !fault.Is(err, fault.Verification) || !strings.Contains(err.Error(), "evidence") {
			t.Errorf("%s: %v (kind %v)", name, err, fault.KindOf(err))
			continue
		}
		caught++
	}
	t.Logf("evidence export tamper campaign: %d of %d cases detected", caught, total)
}
