package evidence_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
)

// FuzzPromotion: no promotion.yaml, however malformed, makes ParsePromotion panic; every refusal is bad
// input (exit 2) in one line naming the file. A promotion accepted has a safe id and an allow or deny
// decision, records the SHA-256 of the exact bytes, binds its own release and environment and no other
// (that refusal naming the file too), and its JSON form — what the signed manifest carries — encodes
// and decodes back to the same promotion, and hashes as packet content.
func FuzzPromotion(f *testing.F) {
	if b, err := os.ReadFile("../../docs/examples/promotion.yaml"); err == nil {
		f.Add(string(b))
	}
	base := "id: p\nreleaseId: r\nenvironmentId: e\nrequester: {id: u, name: n}\ndecision: allow\n"
	for _, s := range []string{
		base,
		base + "gates: [{type: policy, name: g, status: passed, details: {n: .nan}}]\n",
		base + "gates: [{type: policy, name: g, status: passed, details: {n: .inf, m: [1, {a: b}], 1: x}}]\n",
		base + "gates: [{type: policy, name: g, status: passed, details: {m: [{1: a}], k: {[1]: x}}}]\n",
		base + "gates: [{type: policy, name: g, status: passed, details: {t: 2026-01-10T14:10:00Z, b: !!binary aGk=}}]\n",
		base + "approvers: [{id: a, name: b, action: approved, at: 2026-01-10T14:10:00+02:00}]\n",
		base + "approvers: [{id: a, name: b, action: approved, at: '2026-13-10T14:10:00Z'}]\n",
		base + "approvers: [{id: a, name: b, action: rejected, at: 2026-01-10T14:10:00Z}]\n",
		base + "requester: {id: u, name: n}\n", base + "reasons: [\"a\\nb\"]\n", base + "extra: 1\n",
		strings.Replace(base, "id: p", "id: ../p", 1), strings.Replace(base, "allow", "maybe", 1),
		strings.Replace(base, "{id: u, name: n}", "{id: u, name: n, email: \"a@b\"}", 1),
		"x: &a\n  <<: *a\n", "[]\n", "", "---\n...\n", "id: [\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := evidence.ParsePromotion("promotion.yaml", []byte(doc))
		if err != nil {
			oneLineInput(t, err, "promotion.yaml")
			return
		}
		if p.ID == "" || strings.ContainsAny(p.ID, "/\\ \n") || (p.Decision != "allow" && p.Decision != "deny") {
			t.Fatalf("accepted id %q, decision %q", p.ID, p.Decision)
		}
		if sum := sha256.Sum256([]byte(doc)); p.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("SHA256 %s is not of the bytes read", p.SHA256)
		}
		if err := p.Binds(p.ReleaseID, p.EnvironmentID); err != nil {
			t.Fatalf("does not bind its own release and environment: %v", err)
		}
		oneLineInput(t, p.Binds(p.ReleaseID+"-other", p.EnvironmentID), "promotion.yaml")
		oneLineInput(t, p.Binds(p.ReleaseID, p.EnvironmentID+"-other"), "promotion.yaml")
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted promotion does not encode as JSON: %v", err)
		}
		var back evidence.Promotion
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("JSON form does not decode: %v", err)
		}
		again, err := json.Marshal(&back)
		if err != nil || string(again) != string(raw) {
			t.Fatalf("JSON round trip:\n%s\n%s (%v)", raw, again, err)
		}
		if _, err := evidence.ContentHash(evidence.Content{Actors: p.Actors(), Decision: p.DecisionContent()}); err != nil {
			t.Fatalf("accepted promotion does not hash as packet content: %v", err)
		}
	})
}

// oneLineInput fails unless err is bad input in one line starting with file.
func oneLineInput(t *testing.T, err error, file string) {
	t.Helper()
	if err == nil || fault.KindOf(err) != fault.Input {
		t.Fatalf("%v is not bad input", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, file) || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("refusal %q is not one line naming %s", msg, file)
	}
}
