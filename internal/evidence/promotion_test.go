package evidence_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
)

const goodPromotion = `id: promo-1
requester: {id: u-1, name: Jane Doe, email: jane@example.com}
approvers:
  - {id: u-2, name: John Roe, action: approved, at: 2026-01-10T14:10:00Z, comment: LGTM}
gates:
  - {type: policy, name: no-critical-cves, status: passed, message: ok}
decision: allow
releaseId: rel-1
environmentId: env-prod
`

func TestLoadPromotion(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "promotion.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := evidence.LoadPromotion(write(goodPromotion))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "promo-1" || p.Requester.Email != "jane@example.com" || len(p.Approvers) != 1 || p.Approvers[0].At.Hour() != 14 || p.Gates[0].Status != "passed" || p.Decision != "allow" {
		t.Fatalf("%+v", p)
	}
	bad := []struct{ body, want string }{
		{strings.Replace(goodPromotion, "decision: allow", "decision: allow\ncolour: red", 1), "promotion.yaml:8: colour: unknown field"},
		{strings.Replace(goodPromotion, "decision: allow", "decision: perhaps", 1), `promotion.yaml:7: decision: "perhaps" is not allow or deny`},
		{strings.Replace(goodPromotion, "action: approved", "action: waved", 1), `promotion.yaml:4: approvers[0].action: "waved" is not approved or rejected`},
		{strings.Replace(goodPromotion, "status: passed", "status: failed", 1), `promotion.yaml:6: gates[0].status: failed, but decision is allow`},
		{strings.Replace(goodPromotion, "id: u-1, ", "", 1), "promotion.yaml:2: requester.id: required"},
		{strings.Replace(goodPromotion, "at: 2026-01-10T14:10:00Z", "at: yesterday", 1), `promotion.yaml:4: approvers[0].at: "yesterday" is not a time (RFC 3339`},
		{strings.Replace(goodPromotion, "at: 2026-01-10T14:10:00Z", "at: 2026-01-10", 1), `promotion.yaml:4: approvers[0].at: "2026-01-10" is not an RFC 3339 time`},
		{"id: [oops\n", "promotion.yaml:"},
		{strings.Replace(goodPromotion, "releaseId: rel-1\n", "", 1), "promotion.yaml: releaseId: required"},
		{strings.Replace(goodPromotion, "environmentId: env-prod\n", "", 1), "promotion.yaml: environmentId: required"},
	}
	// The promotion approves one release for one environment; another is bad input naming the field's line.
	if err := p.Binds("rel-1", "env-prod"); err != nil {
		t.Errorf("Binds(its own release and environment) = %v", err)
	}
	for _, c := range []struct{ rel, env, want string }{
		{"rel-2", "env-prod", `promotion.yaml:8: releaseId: promotion promo-1 approves release "rel-1", not "rel-2"`},
		{"rel-1", "env-stage", `promotion.yaml:9: environmentId: promotion promo-1 approves environment "env-prod", not "env-stage"`},
	} {
		if err := p.Binds(c.rel, c.env); !fault.Is(err, fault.Input) || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("Binds(%s, %s) = %v, want %q", c.rel, c.env, err, c.want)
		}
	}
	for _, b := range bad {
		_, err := evidence.LoadPromotion(write(b.body))
		if err == nil || fault.KindOf(err) != fault.Input || !strings.Contains(err.Error(), b.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %v, want one bad-input line containing %q", err, b.want)
		}
	}
}
