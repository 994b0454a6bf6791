package manifest_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
)

// FuzzParse: no manifest.json makes Parse panic; a refusal says "not a manifest"; a manifest that
// parses re-encodes stably (encode, parse, encode gives the same bytes) and has no differences from
// itself; and one that still verifies with the set's key says exactly what was signed — no difference
// from the generated manifest and the same artifacts.
func FuzzParse(f *testing.F) {
	s, err := sign.NewSigner("fuzz/key", mustKey(f))
	if err != nil {
		f.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), f.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	var signed []byte
	for _, file := range res.Files {
		if file.Name == manifest.FileName {
			signed = file.Data
		}
	}
	orig, err := manifest.Parse(signed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	for _, r := range [][2]string{
		{`"tenantId": "acme"`, `"tenantId": "globex"`},
		{`"tenantId": "acme"`, `"tenantId": "acme", "TenantID": "globex"`},
		{`"tenantId": "acme"`, `"tenantId": "acme", "tenantId": "globex"`},
		{`"deploymentId": "d1"`, `"deploymentId": "d\u0031"`},
		{`"totalSize": `, `"totalSize": -`},
		{`"artifacts": [`, `"artifacts": [{"name": "../x", "size": 1e400},`},
		{`"subject": {`, `"subject": null, "x": {`},
	} {
		f.Add(bytes.Replace(signed, []byte(r[0]), []byte(r[1]), 1))
	}
	f.Add([]byte(`{"artifacts": {}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("{\"tenantId\": \"\xff\"}"))
	v := s.Verifier()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "not a manifest") {
				t.Fatalf("refusal %q does not say what failed to parse", err)
			}
			return
		}
		if d := manifest.Differences(m, m); len(d) != 0 {
			t.Fatalf("a manifest differs from itself: %v", d)
		}
		enc, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("a parsed manifest does not encode: %v", err)
		}
		back, err := manifest.Parse(enc)
		if err != nil {
			t.Fatalf("an encoded manifest does not parse: %v", err)
		}
		if again, _ := json.Marshal(back); !bytes.Equal(again, enc) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, again)
		}
		if sign.VerifyJSON(v, data) == nil {
			if d := manifest.Differences(m, orig); len(d) != 0 {
				t.Fatalf("a manifest that verifies differs from what was signed: %v", d)
			}
			if a, b := mustJSON(t, m.Artifacts), mustJSON(t, orig.Artifacts); a != b {
				t.Fatalf("a manifest that verifies lists other artifacts:\n%s\n%s", a, b)
			}
		}
	})
}

func mustKey(f *testing.F) crypto.Signer {
	k, err := sign.Generate(sign.EdDSA)
	if err != nil {
		f.Fatal(err)
	}
	return k
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
