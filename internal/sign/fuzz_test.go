package sign_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/sign"
)

// fuzzKeys are one Ed25519 and one RSA key (both have one valid signature per message, so "only the
// genuine signature verifies" is a property; ECDSA signatures are malleable and not used here).
func fuzzKeys(f *testing.F) []*sign.Signer {
	var out []*sign.Signer
	for _, alg := range []string{sign.EdDSA, sign.RS256} {
		k, err := sign.Generate(alg)
		if err != nil {
			f.Fatal(err)
		}
		s, err := sign.NewSigner("fuzz/"+alg, k)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

type doc struct {
	TenantID string   `json:"tenantId"`
	Items    []string `json:"items"`
	N        float64  `json:"n"`
	sign.SignedFields
}

// FuzzVerifyJSON: no document makes Payload or VerifyJSON panic. Payload is canonical (its own payload)
// and drops the top-level signature; every refusal is one line, and ErrBadSignature for a document that
// has a payload (one that has none — not JSON, invalid UTF-8 — cannot have been signed); and a
// document verifies only if its payload is the payload that was signed — reordered keys, escapes and
// whitespace aside, no change to a signed document keeps a signature valid.
func FuzzVerifyJSON(f *testing.F) {
	keys := fuzzKeys(f)
	var signed [][]byte
	for _, s := range keys {
		d := &doc{TenantID: "acme", Items: []string{"a", "ü\u2028"}, N: 1e21}
		b, err := sign.SignJSON(s, d, func(alg, ref, sig string) { d.SignatureAlgorithm, d.SignerKeyRef, d.Signature = alg, ref, sig })
		if err != nil {
			f.Fatal(err)
		}
		signed = append(signed, b)
		f.Add(uint8(len(signed)-1), b)
		f.Add(uint8(len(signed)-1), bytes.Replace(b, []byte(`"acme"`), []byte(`"acm\u0065"`), 1))
		f.Add(uint8(len(signed)-1), bytes.Replace(b, []byte(`"tenantId"`), []byte(`"TenantID"`), 1))
		f.Add(uint8(len(signed)-1), bytes.Replace(b, []byte("{"), []byte(`{"tenantId":"globex",`), 1))
		f.Add(uint8(len(signed)-1), bytes.Replace(b, []byte("{"), []byte(`{"signature":"x",`), 1))
		f.Add(uint8(len(signed)-1), append(b, []byte(`{}`)...))
	}
	for _, s := range []string{`[]`, `null`, `{"signature":null}`, `{"a":1e400}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":{"signature":""}}`} {
		f.Add(uint8(0), []byte(s))
	}
	payloads := make([][]byte, len(signed))
	for i, b := range signed {
		p, err := sign.Payload(b)
		if err != nil {
			f.Fatal(err)
		}
		payloads[i] = p
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(keys)
		v := keys[i].Verifier()
		p, perr := sign.Payload(data)
		if perr == nil {
			again, err := sign.Payload(p)
			if err != nil || !bytes.Equal(again, p) {
				t.Fatalf("payload is not canonical: %q → %q (%v)", p, again, err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(p, &m); err != nil {
				t.Fatalf("payload %q is not a JSON object: %v", p, err)
			}
			if _, ok := m["signature"]; ok {
				t.Fatalf("payload %q keeps the signature", p)
			}
		}
		// SignedParts, verification's one-pass read, says what JSONSignature and Payload say of every
		// document it reads.
		if f, sp, err := sign.SignedParts(data); err == nil {
			want, ferr := sign.JSONSignature(data)
			if perr != nil || ferr != nil || f != want || !bytes.Equal(sp, p) {
				t.Fatalf("SignedParts %+v %q, JSONSignature %+v (%v), Payload %q (%v)", f, sp, want, ferr, p, perr)
			}
		}
		err := sign.VerifyJSON(v, data)
		if err == nil {
			if perr != nil || !bytes.Equal(p, payloads[i]) {
				t.Fatalf("a document that was not signed verifies:\n%s", data)
			}
			return
		}
		if perr == nil && !errors.Is(err, sign.ErrBadSignature) {
			t.Fatalf("refusal of a JSON object %v is not a bad signature", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("refusal %q is not one line", err)
		}
	})
}

// FuzzDetached: checksums.sha256.sig is standard base64 of a signature over the exact bytes of
// checksums.sha256. No signature text makes VerifyBase64 panic; every refusal is ErrBadSignature; only
// the genuine signature's bytes verify (Ed25519 and RSA PKCS #1 v1.5 have one signature per message).
func FuzzDetached(f *testing.F) {
	keys := fuzzKeys(f)
	msg := []byte("0000000000000000000000000000000000000000000000000000000000000000  manifest.json\n")
	var genuine []string
	for i, s := range keys {
		sig, err := s.SignBase64(msg)
		if err != nil {
			f.Fatal(err)
		}
		genuine = append(genuine, sig)
		f.Add(uint8(i), sig)
		f.Add(uint8(i), sig+"\n")
		f.Add(uint8(i), strings.TrimRight(sig, "="))
		f.Add(uint8(i), base64.URLEncoding.EncodeToString([]byte(sig)))
		f.Add(uint8(i), genuine[(i+1)%len(genuine)])
	}
	f.Add(uint8(0), "")
	f.Add(uint8(0), "====")
	f.Fuzz(func(t *testing.T, which uint8, sig string) {
		i := int(which) % len(keys)
		err := keys[i].Verifier().VerifyBase64(msg, sig)
		if err == nil {
			// Line breaks and the padding's spare bits are base64's own leeway; the bytes must be the same.
			raw, derr := base64.StdEncoding.DecodeString(sig)
			want, _ := base64.StdEncoding.DecodeString(genuine[i])
			if derr != nil || !bytes.Equal(raw, want) {
				t.Fatalf("%q verifies but is not the signature %q", sig, genuine[i])
			}
			return
		}
		if !errors.Is(err, sign.ErrBadSignature) {
			t.Fatalf("refusal %v is not ErrBadSignature", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("refusal %q is not one line", err)
		}
	})
}

// FuzzKeyPEM: no key file makes the PEM readers panic; every refusal is ErrBadKey and never repeats the
// file's contents (a private key's bytes are a secret); a key read back signs and verifies.
func FuzzKeyPEM(f *testing.F) {
	for _, alg := range sign.Algorithms {
		k, err := sign.Generate(alg)
		if err != nil {
			f.Fatal(err)
		}
		priv, err := sign.MarshalPrivatePEM(k)
		if err != nil {
			f.Fatal(err)
		}
		s, err := sign.NewSigner("fuzz/key", k)
		if err != nil {
			f.Fatal(err)
		}
		pub, err := s.Verifier().PublicPEM()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(priv)
		f.Add(pub)
		f.Add(bytes.Replace(priv, []byte("PRIVATE KEY"), []byte("RSA PRIVATE KEY"), 2))
		f.Add(priv[:len(priv)/2])
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("0123456789abcdef0123456789abcdef")}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}}))
	f.Add([]byte("not pem"))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(what string, err error) {
			if !errors.Is(err, sign.ErrBadKey) {
				t.Fatalf("%s: refusal %v is not ErrBadKey", what, err)
			}
			if b, _ := pem.Decode(data); b != nil && len(b.Bytes) >= 12 {
				for _, shown := range []string{base64.StdEncoding.EncodeToString(b.Bytes[:12]), string(b.Bytes[:12])} {
					if strings.Contains(err.Error(), shown) {
						t.Fatalf("%s: refusal %q repeats the key's bytes", what, err)
					}
				}
			}
		}
		if s, err := sign.ParsePrivatePEM("fuzz/key", data); err != nil {
			check("private", err)
		} else if sig, err := s.Sign([]byte("m")); err != nil || s.Verifier().Verify([]byte("m"), sig) != nil {
			t.Fatalf("private key read back does not sign and verify: %v", err)
		}
		if _, err := sign.ParsePublicPEM("fuzz/key", data); err != nil {
			check("public", err)
		}
	})
}
