package server_test

import (
	"context"
	"testing"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
)

// Legal holds through the API: only an admin puts or lifts one, with a reason; each is an evidence
// packet naming the token's holder; a held set is held once; another tenant's deployment looks absent.
func TestHoldsAPI(t *testing.T) {
	w := newWriteWorld(t)
	rel, env := exampleBodies(t)
	w.do(t, "PUT", "/api/v1/releases/"+rel["id"].(string), "acme/deployer/jane", rel).expect(t, "release", 201)
	w.do(t, "PUT", "/api/v1/environments/env-prod", "acme/deployer/jane", env).expect(t, "environment", 201)
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"id": "promo-h", "releaseId": rel["id"], "environmentId": "env-prod"}, "Idempotency-Key", "p").expect(t, "promotion", 201)
	w.do(t, "POST", "/api/v1/promotions/promo-h/decisions", "acme/deployer/john", map[string]any{"action": "approve"}, "Idempotency-Key", "d").expect(t, "approval", 201)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": "promo-h", "deploymentId": "dep-h"}, "Idempotency-Key", "j").expect(t, "job", 201, `"id":"dep-h"`)

	const path = "/api/v1/deployment-jobs/dep-h/hold"
	why := map[string]any{"reason": "litigation hold 2026-17"}
	w.do(t, "GET", path, "acme/auditor/audrey", nil).expect(t, "no hold yet", 404)
	w.do(t, "PUT", path, "acme/deployer/jane", why).expect(t, "a deployer holds", 403)
	w.do(t, "PUT", path, "acme/admin/ana", map[string]any{"reason": " "}).expect(t, "no reason", 400, `"field":"/reason"`)
	w.do(t, "PUT", path, "globex/deployer/gil", why).expect(t, "another tenant's role", 403)
	w.do(t, "PUT", "/api/v1/deployment-jobs/nope/hold", "acme/admin/ana", why).expect(t, "no such deployment", 404)
	w.do(t, "PUT", path, "acme/admin/ana", why).expect(t, "hold", 201, `"action":"hold"`, `"by":"ana"`, `"evidenceId":"ev-`)
	w.do(t, "PUT", path, "acme/admin/ana", why).expect(t, "held twice", 409, "already held")
	w.do(t, "GET", path, "acme/auditor/audrey", nil).expect(t, "the hold", 200, `"heldBy":"ana"`, `"reason":"litigation hold 2026-17"`)
	w.do(t, "GET", path, "globex/auditor/gia", nil).expect(t, "another tenant's hold", 404)
	w.do(t, "DELETE", path, "acme/admin/ana", map[string]any{"reason": "case closed"}).expect(t, "release", 200, `"action":"release"`)
	w.do(t, "GET", path, "acme/auditor/audrey", nil).expect(t, "released", 404)
	w.do(t, "DELETE", path, "acme/admin/ana", map[string]any{"reason": "again"}).expect(t, "release without a hold", 404)

	var types []string
	if err := w.db.View(context.Background(), "acme", func(tx meta.Tx) error {
		return tx.Chain(context.Background(), func(e meta.Evidence) error { types = append(types, e.Type); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(types); n < 2 || types[n-2] != evidence.TypeRetentionHold || types[n-1] != evidence.TypeRetentionRelease {
		t.Errorf("packets %v, want retention_hold then retention_release last", types)
	}
	rep, err := evidence.VerifyChain(context.Background(), w.db, "acme", evidence.KeySet{Keyring: &w.kr})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("chain: %+v %v", rep.Problems, err)
	}
}
