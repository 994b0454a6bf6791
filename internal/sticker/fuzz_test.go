package sticker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/verify"
)

// FuzzSticker: a version sticker is read back from a target host, so it is outside input. No bytes make
// Parse or the drift check panic. Parse refuses with "not a version sticker"; what parses re-encodes
// stably. The drift check of the genuine expected sticker against any actual file never fails: a file
// that is not JSON, not a sticker or not signed by the key is drift of type corrupted; one that verifies
// is drift exactly when what it says to run differs (another tenant, target, release or digest); and
// only a sticker saying what was signed comes out with no drift.
func FuzzSticker(f *testing.F) {
	k, err := sign.Generate(sign.EdDSA)
	if err != nil {
		f.Fatal(err)
	}
	s, err := sign.NewSigner("fuzz/key", k)
	if err != nil {
		f.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), f.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	var expected []byte
	for _, file := range res.Files {
		if strings.HasPrefix(file.Name, "stella.version.") {
			expected = file.Data
			f.Add(file.Data)
		}
	}
	exp, err := sticker.Parse(expected)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range [][2]string{
		{`"tenantId": "acme"`, `"tenantId": "globex"`},
		{`"tenantId": "acme"`, `"tenantId": "acme", "TENANTID": "globex"`},
		{`"digest": "sha256:`, `"digest": "sha256:0`},
		{`"components": [`, `"components": [{"name": "extra", "digest": "x"},`},
		{`"signature": "`, `"signature": "A`},
		{`"signatureAlgorithm": "EdDSA"`, `"signatureAlgorithm": "RS256"`},
		{`"signerKeyRef": "fuzz/key"`, `"signerKeyRef": "../../etc/passwd"`},
	} {
		f.Add(bytes.Replace(expected, []byte(r[0]), []byte(r[1]), 1))
	}
	for _, b := range []string{"", "null", "[]", "{}", `{"signature": ""}`, "{\"release\": {\"components\": null}}", "\xef\xbb\xbf{}"} {
		f.Add([]byte(b))
	}
	keys := verify.Keys{Given: []*sign.Verifier{s.Verifier()}}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, perr := sticker.Parse(data)
		if perr != nil {
			if !strings.HasPrefix(perr.Error(), "not a version sticker") {
				t.Fatalf("refusal %q does not say what failed to parse", perr)
			}
		} else {
			enc, err := json.Marshal(st)
			if err != nil {
				t.Fatalf("a parsed sticker does not encode: %v", err)
			}
			back, err := sticker.Parse(enc)
			if err != nil {
				t.Fatalf("an encoded sticker does not parse: %v", err)
			}
			if again, _ := json.Marshal(back); !bytes.Equal(again, enc) {
				t.Fatalf("encoding is not stable:\n%s\n%s", enc, again)
			}
		}
		r, err := drift.Check(drift.Input{Name: "expected.json", Data: expected}, drift.Input{Name: "actual.json", Data: data}, exp.Deployment.TargetID, keys)
		if err != nil {
			t.Fatalf("drift check of a genuine expected sticker failed: %v", err)
		}
		_, verr := verify.Document(data, keys)
		switch {
		case perr != nil || verr != nil:
			if !r.DriftDetected || r.DriftType != drift.Corrupted || !strings.HasPrefix(r.Reason, "actual.json") {
				t.Fatalf("unparsable or unverified sticker (%v, %v): %+v", perr, verr, r)
			}
		case st.TenantID != exp.TenantID || st.Deployment.TargetID != exp.Deployment.TargetID || len(drift.Compare(exp, st)) > 0:
			if !r.DriftDetected || r.DriftType != drift.Mismatch || len(r.Differences) == 0 {
				t.Fatalf("a signed sticker saying something else: %+v", r)
			}
		default:
			if r.DriftDetected {
				t.Fatalf("the signed sticker as signed: drift %+v", r)
			}
			a, _ := json.Marshal(st)
			b, _ := json.Marshal(exp)
			if !bytes.Equal(a, b) {
				t.Fatalf("no drift, but the sticker is not what was signed:\n%s\n%s", a, b)
			}
		}
	})
}
