package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/stella-ops/stella/internal/sign"
)

// canonSeeds are JSON texts where canonical forms are easy to get wrong: numbers in every notation,
// escapes, non-ASCII names (sorted by UTF-16 code units), nesting, and packets in the stored form.
var canonSeeds = []string{
	`{"b":1,"a":2,"signature":"c2ln","content":{"z":[1,2.5,-0,1e21,1E-7,0.000001,123456789012345680000],"é":"\u00e9","€":"x","😀":"y","\ud83d\ude00x":1}}`,
	`{"content":{"s":"tab\t nl\n quote\" bs\\ ctl\u0001 del\u007f ls\u2028 <>&"},"signature":null,"signerKeyRef":"k","signatureAlgorithm":"EdDSA"}`,
	"{\n  \"id\": \"ev-1\",\n  \"content\": {\"release\": {\"components\": [{\"name\": \"api\"}, {\"name\": \"worker\"}]}},\n  \"signature\": \"\",\n  \"n\": 1.0\n}\n",
	`{"a":{"c":{},"b":[]},"content":[],"x":true,"y":false,"z":null}`,
	`{"content":4.35,"v":[1e-7,1e+22,5e-324,1.7976931348623157e308,0.1,100,1e2]}`,
}

// oldCanon is what the packet's checks computed before canonicalize, with gowebpki/jcs: the packet
// hash, the content's hash and the signature's payload, each from its own canonical form.
func oldCanon(t *testing.T, raw []byte) (hash, content string, payload []byte, ok bool) {
	c, err := jcs.Transform(raw)
	if err != nil {
		return "", "", nil, false
	}
	s := sha256.Sum256(c)
	hash = "sha256:" + hex.EncodeToString(s[:])
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "", "", nil, false
	}
	if cc, err := jcs.Transform(m["content"]); err == nil && m["content"] != nil {
		s := sha256.Sum256(cc)
		content = "sha256:" + hex.EncodeToString(s[:])
	}
	delete(m, "signature")
	b, _ := json.Marshal(m)
	payload, err = jcs.Transform(b)
	if err != nil {
		t.Fatalf("payload of %s: %v", raw, err)
	}
	return hash, content, payload, true
}

// canonicalize gives, in one pass, exactly what three separate canonicalisations with gowebpki/jcs gave
// (the implementation the chain's existing signatures were made with).
func TestCanonicalizeMatchesJCS(t *testing.T) {
	for _, raw := range canonSeeds {
		h, ch, pl, ok := oldCanon(t, []byte(raw))
		if !ok {
			t.Fatalf("seed does not canonicalise: %s", raw)
		}
		c, err := canonicalize([]byte(raw))
		if err != nil {
			t.Fatalf("canonicalize(%s): %v", raw, err)
		}
		if ph, err := PacketHash([]byte(raw)); err != nil || ph != h {
			t.Errorf("%s: PacketHash %s (%v), jcs %s", raw, ph, err, h)
		}
		if spl, err := sign.Payload([]byte(raw)); err != nil || !bytes.Equal(spl, pl) {
			t.Errorf("%s: sign.Payload %s (%v), jcs %s", raw, spl, err, pl)
		}
		if c.hash != h || c.contentHash != ch || !bytes.Equal(c.payload, pl) {
			t.Errorf("%s:\n hash %s / %s\n content %s / %s\n payload %s\n      vs %s", raw, c.hash, h, c.contentHash, ch, c.payload, pl)
		}
		f, err := sign.JSONSignature([]byte(raw))
		if err != nil || f != c.sig {
			t.Errorf("%s: signed fields %+v, JSONSignature %+v (%v)", raw, c.sig, f, err)
		}
	}
}

// FuzzCanonicalize: whatever the bytes, when both canonicalize and the three jcs canonicalisations
// succeed, they agree; canonicalize refuses duplicate member names and invalid UTF-8 (which jcs let
// through, to hash something else than what a JSON reader sees).
func FuzzCanonicalize(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := canonicalize(raw)
		if err != nil {
			return
		}
		h, ch, pl, ok := oldCanon(t, raw)
		if !ok {
			if strings.TrimSpace(string(raw)) != "" {
				t.Logf("jcs refuses what canonicalize accepts: %q", raw)
			}
			return
		}
		if spl, err := sign.Payload(raw); err == nil && !bytes.Equal(spl, pl) {
			t.Fatalf("%q: sign.Payload %s, jcs %s", raw, spl, pl)
		}
		if c.hash != h || c.contentHash != ch || !bytes.Equal(c.payload, pl) {
			t.Fatalf("%q: canonicalize and jcs disagree:\n %s %s %s\n %s %s %s", raw, c.hash, c.contentHash, c.payload, h, ch, pl)
		}
	})
}

// A packet stored canonical with its recorded hash is read as it is; the same packet stored indented
// (as before schema version 10), or altered, is canonicalised: every way gives what canonicalize gives
// of the same bytes, and an altered packet never takes the fast path.
func TestCanonicalizeKnown(t *testing.T) {
	for _, raw := range canonSeeds {
		want, err := canonicalize([]byte(raw))
		if err != nil {
			continue
		}
		canonical, err := sign.Canonical([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			raw      []byte
			recorded string
		}{
			"canonical, recorded":  {canonical, want.hash},
			"as given, recorded":   {[]byte(raw), want.hash},
			"canonical, no record": {canonical, ""},
		} {
			got, err := canonicalizeKnown(c.raw, c.recorded)
			if err != nil {
				t.Fatalf("%s %s: %v", name, raw, err)
			}
			if got.hash != want.hash || got.contentHash != want.contentHash || !bytes.Equal(got.payload, want.payload) || got.sig != want.sig {
				t.Errorf("%s %s: %+v, want %+v", name, raw, got, want)
			}
		}
		// Altered bytes under the recorded hash: canonicalised, and the hash shows the change.
		altered := bytes.Replace(canonical, []byte(`"`), []byte(`"x`), 1)
		if got, err := canonicalizeKnown(altered, want.hash); err == nil && got.hash == want.hash {
			t.Errorf("%s altered still hashes as recorded", raw)
		}
	}
}
