package drift_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/verify"
)

const targetFile = "stella.version.prod-web-01.json"

// fixture generates the quickstart example (target prod-web-01) and returns the target's sticker, the
// signer and keys that trust it.
type fixture struct {
	sticker []byte
	signer  *sign.Signer
	kr      sign.Keyring
	keys    verify.Keys
}

func newFixture(t testing.TB, alg string) fixture {
	t.Helper()
	kr := sign.Keyring{Dir: t.TempDir()}
	s, err := kr.Generate("stella/signing/drift", alg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), t.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC), "prod-web-01")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		if f.Name == targetFile {
			return fixture{sticker: f.Data, signer: s, kr: kr, keys: verify.Keys{Given: []*sign.Verifier{s.Verifier()}}}
		}
	}
	t.Fatalf("no %s among the generated files", targetFile)
	return fixture{}
}

// resign parses the fixture's sticker, lets edit change it and signs it again with the same key: a
// sticker that verifies but says something else.
func (f fixture) resign(t testing.TB, edit func(*sticker.Sticker)) []byte {
	t.Helper()
	st, err := sticker.Parse(f.sticker)
	if err != nil {
		t.Fatal(err)
	}
	edit(st)
	out, err := st.Sign(f.signer)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func in(name string, data []byte) drift.Input { return drift.Input{Name: name, Data: data} }

func check(t *testing.T, f fixture, actual drift.Input) *drift.Result {
	t.Helper()
	r, err := drift.Check(in("expected.json", f.sticker), actual, "", f.keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNoDriftEachAlgorithm(t *testing.T) {
	for _, alg := range sign.Algorithms {
		f := newFixture(t, alg)
		for name, keys := range map[string]verify.Keys{"given key": f.keys, "keyring": {Keyring: &f.kr}} {
			r, err := drift.Check(in("expected.json", f.sticker), in("actual.json", f.sticker), "", keys)
			if err != nil {
				t.Fatalf("%s, %s: %v", alg, name, err)
			}
			if r.DriftDetected || r.DriftType != "" || r.Details != nil || r.TargetID != "tgt-web-01" {
				t.Fatalf("%s, %s: %+v", alg, name, r)
			}
			if !strings.HasPrefix(r.Summary(), "no drift: target tgt-web-01 carries release rel-myapp-2.3.1") {
				t.Errorf("summary %q", r.Summary())
			}
		}
	}
}

// Another deployment of the same release (a new sticker, other times, another deployment id) is no drift:
// the same release runs with the same digests.
func TestSameReleaseOtherDeploymentIsNoDrift(t *testing.T) {
	f := newFixture(t, sign.EdDSA)
	other := f.resign(t, func(s *sticker.Sticker) {
		s.Deployment.ID, s.Deployment.CompletedAt, s.GeneratedAt = "d2", "2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z"
	})
	if r := check(t, f, in("actual.json", other)); r.DriftDetected {
		t.Fatalf("drift reported: %+v", r)
	}
}

func TestMissing(t *testing.T) {
	f := newFixture(t, sign.ES256)
	dir := t.TempDir()
	exp := filepath.Join(dir, "expected.json")
	if err := os.WriteFile(exp, f.sticker, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := drift.CheckFiles(exp, filepath.Join(dir, "absent.json"), "", f.keys)
	if err != nil {
		t.Fatal(err)
	}
	if !r.DriftDetected || r.DriftType != drift.Missing || r.ActualSticker != nil || r.Details == nil || r.Details.ActualDigest != "" || !strings.HasPrefix(r.Details.ExpectedDigest, "sha256:") {
		t.Fatalf("missing: %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"actualSticker":null`)) || !bytes.Contains(out, []byte(`"driftType":"missing"`)) {
		t.Errorf("JSON: %s", out)
	}
}

func TestCorrupted(t *testing.T) {
	f := newFixture(t, sign.ES256)
	other := sign.Keyring{Dir: t.TempDir()}
	oth, err := other.Generate("stella/signing/drift", sign.ES256) // same reference, another key
	if err != nil {
		t.Fatal(err)
	}
	st, _ := sticker.Parse(f.sticker)
	byOther, err := st.Sign(oth)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Replace(f.sticker, []byte(`"tag": "v2.3.1"`), []byte(`"tag": "v2.3.2"`), 1)
	if bytes.Equal(flipped, f.sticker) {
		t.Fatal("the sticker has no tag to change")
	}
	unsigned := bytes.Replace(f.sticker, []byte(`"signature": "`), []byte(`"signature": "", "x": "`), 1)
	cases := []struct {
		name, data, field string
		hasActual         bool
		reason            string
	}{
		{"not JSON", "{\"version\": \"1.0\", \"release\": ", "sticker", false, "not a version sticker"},
		{"empty", "", "sticker", false, "not a version sticker"},
		{"a JSON array", "[]", "sticker", false, "not a version sticker"},
		{"a changed tag", string(flipped), "signature", true, "does not verify"},
		{"another key", string(byOther), "signature", true, "does not verify"},
		{"unsigned", string(unsigned), "signature", true, "not signed"},
	}
	for _, c := range cases {
		r := check(t, f, in("actual.json", []byte(c.data)))
		if !r.DriftDetected || r.DriftType != drift.Corrupted || r.Details.Field != c.field || !strings.Contains(r.Reason, c.reason) || (r.ActualSticker != nil) != c.hasActual {
			t.Errorf("%s: %+v", c.name, r)
		}
		if !strings.Contains(r.Summary(), "drift (corrupted) on target tgt-web-01: actual.json: ") {
			t.Errorf("%s: summary %q", c.name, r.Summary())
		}
	}
	// With the keyring, the signerKeyRef's key decides: the other key's sticker is corrupted too.
	r, err := drift.Check(in("e", f.sticker), in("a", byOther), "", verify.Keys{Keyring: &f.kr})
	if err != nil || r.DriftType != drift.Corrupted {
		t.Errorf("keyring, other key: %+v, %v", r, err)
	}
}

func TestMismatch(t *testing.T) {
	f := newFixture(t, sign.RS256)
	const other = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	st, _ := sticker.Parse(f.sticker)
	apiDigest := st.Release.Components[0].Digest
	workerDigest := st.Release.Components[1].Digest

	r := check(t, f, in("a", f.resign(t, func(s *sticker.Sticker) { s.Release.Components[0].Digest = other })))
	if !r.DriftDetected || r.DriftType != drift.Mismatch || len(r.Differences) != 1 ||
		*r.Details != (drift.Difference{Field: "release.components[api].digest", ExpectedDigest: apiDigest, ActualDigest: other}) {
		t.Fatalf("one digest: %+v", r)
	}
	if r.ActualSticker == nil {
		t.Error("a mismatching sticker is not shown")
	}
	if want := "drift (mismatch) on target tgt-web-01: release.components[api].digest: expected " + apiDigest + ", found " + other; r.Summary() != want {
		t.Errorf("summary\n %s\nwant\n %s", r.Summary(), want)
	}

	r = check(t, f, in("a", f.resign(t, func(s *sticker.Sticker) {
		s.Release.ID = "rel-old"
		s.Release.Components[1].Digest = other
		s.Release.Components = append(s.Release.Components[1:], sticker.Component{Name: "cron", Digest: other})
	})))
	want := []drift.Difference{
		{Field: "release.id", ExpectedDigest: "rel-myapp-2.3.1", ActualDigest: "rel-old"},
		{Field: "release.components[api]", ExpectedDigest: apiDigest},
		{Field: "release.components[worker].digest", ExpectedDigest: workerDigest, ActualDigest: other},
		{Field: "release.components[cron]", ActualDigest: other},
	}
	if r.DriftType != drift.Mismatch || len(r.Differences) != len(want) || *r.Details != want[0] {
		t.Fatalf("several: %+v", r)
	}
	for i := range want {
		if r.Differences[i] != want[i] {
			t.Errorf("difference %d = %+v, want %+v", i, r.Differences[i], want[i])
		}
	}
	if !strings.HasSuffix(r.Summary(), "(and 3 more)") {
		t.Errorf("summary %q", r.Summary())
	}
}

// The expected sticker is the trusted side: one that does not parse or verify is bad input.
func TestBadExpectedIsInput(t *testing.T) {
	f := newFixture(t, sign.ES256)
	flipped := bytes.Replace(f.sticker, []byte(`"name": "api"`), []byte(`"name": "apx"`), 1)
	for name, data := range map[string][]byte{"not JSON": []byte("nope"), "altered": flipped} {
		_, err := drift.Check(in("exp.json", data), in("a", f.sticker), "", f.keys)
		if fault.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--expected exp.json: ") {
			t.Errorf("%s: %v (exit %d)", name, err, fault.ExitCode(err))
		}
	}
	_, err := drift.CheckFiles(filepath.Join(t.TempDir(), "none.json"), "a", "", f.keys)
	if fault.ExitCode(err) != 2 || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("absent expected: %v", err)
	}
}

func TestTargetIDOverride(t *testing.T) {
	f := newFixture(t, sign.EdDSA)
	r, err := drift.Check(in("e", f.sticker), drift.Input{Name: "a", Missing: true}, "host-7", f.keys)
	if err != nil || r.TargetID != "host-7" {
		t.Fatalf("%+v, %v", r, err)
	}
}

// A well-signed sticker of another tenant, or of another target, running the same release is drift: it
// says nothing about this target. Each is a mismatch naming the field.
func TestOtherTenantOrTargetIsMismatch(t *testing.T) {
	f := newFixture(t, sign.EdDSA)
	for field, edit := range map[string]func(*sticker.Sticker){
		"tenantId":            func(s *sticker.Sticker) { s.TenantID = "globex" },
		"deployment.targetId": func(s *sticker.Sticker) { s.Deployment.TargetID, s.Deployment.TargetName = "tgt-web-02", "prod-web-02" },
	} {
		r := check(t, f, in("actual.json", f.resign(t, edit)))
		if !r.DriftDetected || r.DriftType != drift.Mismatch || r.Details == nil || r.Details.Field != field {
			t.Errorf("%s changed: %+v, want a mismatch on %s", field, r, field)
		}
	}
	// --target names the target to expect when the expected sticker is the set's template.
	r, err := drift.Check(in("e", f.sticker), in("a", f.sticker), "tgt-web-09", f.keys)
	if err != nil || !r.DriftDetected || r.Details.Field != "deployment.targetId" || r.Details.ActualDigest != "tgt-web-01" {
		t.Errorf("another --target: %+v, %v", r, err)
	}
}
