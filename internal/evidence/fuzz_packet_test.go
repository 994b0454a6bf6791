package evidence_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/sign"
)

// FuzzPacket: an exported evidence packet is outside input (it comes back from an auditor's archive).
// No bytes make Parse, VerifyPacket or the PDF export panic. VerifyPacket refuses with a verification
// failure (exit 3) whose every problem names the packet, never an operational error; a packet verifies
// only if its signed payload is the genuine packet's (reordering and whitespace aside); and every
// packet that parses renders as a PDF.
func FuzzPacket(f *testing.F) {
	kr := sign.Keyring{Dir: f.TempDir()}
	s, err := kr.Generate("stella/signing/fuzz", sign.EdDSA)
	if err != nil {
		f.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "stella.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	metatest.Seed(f, db, "acme", "d1", metatest.T0)
	var genuine []byte
	for i := range 2 {
		err = db.Update(context.Background(), "acme", func(tx meta.Tx) error {
			e, err := evidence.Append(context.Background(), tx, s, draft("acme", "d1", now.Add(time.Duration(i)*time.Second)))
			genuine = e.Packet
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	keys := evidence.KeySet{Public: []*sign.Verifier{s.Verifier()}}
	if err := evidence.VerifyPacket(genuine, keys); err != nil {
		f.Fatal(err)
	}
	payload, err := sign.Payload(genuine)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	for _, r := range [][2]string{
		{`"tenantId":"acme"`, `"tenantId":"globex"`},
		{`"tenantId":"acme"`, `"tenantId":"acme","TenantID":"globex"`},
		{`"sequence":2`, `"sequence":1`},
		{`"sequence":2`, `"sequence":2e400`},
		{`"generatedAt":"`, `"generatedAt":"x`},
		{`"content":{`, `"content":{"x":1,`},
		{`"signerKeyRef":"stella/signing/fuzz"`, `"signerKeyRef":"../../../etc/passwd"`},
		{`"execution":{`, `"execution":null,"x":{`},
		{`"Zoë Quinn"`, `"Zo\u00eb Quinn"`},
		{`"LGTM"`, `"\u0000\u202e\ud83d\ude00 \u2028"`},
	} {
		f.Add(bytes.Replace(genuine, []byte(r[0]), []byte(r[1]), 1))
	}
	for _, b := range []string{"", "null", "[]", "{}", `{"content":[]}`, "{\"id\":\"\xff\"}", `{"signature":"","content":{}}`} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, perr := evidence.Parse(raw)
		if perr != nil && !strings.HasPrefix(perr.Error(), "not an evidence packet") {
			t.Fatalf("Parse refusal %q does not say what failed to parse", perr)
		}
		err := evidence.VerifyPacket(raw, keys)
		if err == nil {
			got, perr2 := sign.Payload(raw)
			if perr != nil || perr2 != nil || !bytes.Equal(got, payload) {
				t.Fatalf("a packet that was not signed verifies:\n%s", raw)
			}
		} else {
			if fault.KindOf(err) != fault.Verification {
				t.Fatalf("refusal %v is not a verification failure (kind %v)", err, fault.KindOf(err))
			}
			var probs *fault.Problems
			if !errors.As(err, &probs) || len(probs.List) == 0 {
				t.Fatalf("refusal %v lists no problem", err)
			}
			for _, pr := range probs.List {
				if !strings.HasPrefix(pr.File, "evidence") {
					t.Fatalf("problem %+v does not name the packet", pr)
				}
			}
		}
		if perr == nil {
			hash, _ := evidence.PacketHash(raw)
			if err := evidence.PDF(io.Discard, p, hash); err != nil {
				t.Fatalf("a packet that parses does not render: %v", err)
			}
		}
	})
}
