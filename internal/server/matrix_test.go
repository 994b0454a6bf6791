package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestTenantRoleMatrix enumerates every route the server registers (so a new route is covered without
// an edit) × every role × an id of the caller's own tenant, of another tenant and one that exists
// nowhere. Another tenant's ids must answer exactly like absent ones — same status, same error code —
// and never name the other tenant; a role that may not use a route is refused whatever the id.
func TestTenantRoleMatrix(t *testing.T) {
	w := newWriteWorld(t)
	rel, env := exampleBodies(t)
	relID := rel["id"].(string)
	// The same world in both tenants: a release, an environment, an approved promotion and its job.
	ids := map[string]map[string]string{}
	for _, tenant := range []string{"acme", "globex"} {
		dep := tenant + "/deployer/jane"
		if tenant == "globex" {
			dep = "globex/deployer/gil"
		}
		w.do(t, "PUT", "/api/v1/releases/"+relID, dep, rel).expect(t, tenant+" release", 201)
		w.do(t, "PUT", "/api/v1/environments/env-prod", dep, env).expect(t, tenant+" environment", 201)
		pid := map[string]string{"acme": "promo-a1", "globex": "promo-g7"}[tenant]
		w.do(t, "POST", "/api/v1/promotions", dep, map[string]any{"id": pid, "releaseId": relID, "environmentId": "env-prod"}, "Idempotency-Key", "p-"+pid).expect(t, tenant+" promotion", 201)
		ids[tenant] = map[string]string{"promotion": pid}
	}
	w.do(t, "POST", "/api/v1/promotions/promo-a1/decisions", "acme/deployer/john", map[string]any{"action": "approve"}, "Idempotency-Key", "d-a1").expect(t, "acme approval", 201)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": "promo-a1"}, "Idempotency-Key", "j-a1").expect(t, "acme job", 201)
	w.do(t, "POST", "/api/v1/promotions/promo-g7/decisions", "globex/deployer/gus", map[string]any{"action": "approve"}, "Idempotency-Key", "d-g7").expect(t, "globex approval", 201)
	w.do(t, "POST", "/api/v1/deployment-jobs", "globex/deployer/gil", map[string]any{"promotionId": "promo-g7"}, "Idempotency-Key", "j-g7").expect(t, "globex job", 201)
	for tenant, who := range map[string]string{"acme": "acme/auditor/audrey", "globex": "globex/auditor/gia"} {
		var evs []map[string]any
		_ = json.Unmarshal(w.do(t, "GET", "/api/v1/evidence", who, nil).body, &evs)
		if len(evs) == 0 {
			t.Fatalf("no %s evidence", tenant)
		}
		ids[tenant]["evidence"] = evs[0]["id"].(string)
	}
	ids["acme"]["job"], ids["globex"]["job"] = "dep-a1", "dep-g7"
	kinds := map[string]string{}
	value := func(tenant, param, route string) string {
		switch {
		case param == "name":
			return "manifest.json"
		case strings.Contains(route, "/promotions/"):
			kinds[route] = "promotion"
			return ids[tenant]["promotion"]
		case strings.Contains(route, "/evidence/"):
			return ids[tenant]["evidence"]
		case strings.Contains(route, "/releases/"):
			return relID
		case strings.Contains(route, "/environments/"):
			if param == "targetId" {
				return "tgt-web-01"
			}
			return "env-prod"
		case strings.Contains(route, "/targets/"):
			return "tgt-web-01"
		}
		return ids[tenant]["job"]
	}
	roles := map[string]string{"admin": "acme/admin/ana", "deployer": "acme/deployer/jane", "auditor": "acme/auditor/audrey", "agent": "acme/agent/bot"}
	n, compared := 0, 0
	for _, route := range w.srv.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if !strings.Contains(path, "{") {
			continue // no id: nothing of another tenant to reach
		}
		fill := func(tenant string, absent bool) string {
			out := path
			for strings.Contains(out, "{") {
				i, j := strings.Index(out, "{"), strings.Index(out, "}")
				param := out[i+1 : j]
				v := value(tenant, param, path)
				if absent && param != "name" {
					v = "absent-" + param + "-0123"
				}
				out = out[:i] + v + out[j+1:]
			}
			return out
		}
		for role, who := range roles {
			other := w.do(t, method, fill("globex", false), who, "{}", "Idempotency-Key", fmt.Sprint("m-o-", n))
			absent := w.do(t, method, fill("acme", true), who, "{}", "Idempotency-Key", fmt.Sprint("m-a-", n))
			n++
			code := func(a answer) string {
				var e struct {
					Error struct {
						Code string `json:"code"`
					} `json:"error"`
				}
				_ = json.Unmarshal(a.body, &e)
				return e.Error.Code
			}
			// Paths whose ids are the same strings in both tenants (releases, environments, targets)
			// reach the caller's own records; only compare where the id names another tenant's record.
			if fill("globex", false) == fill("acme", false) {
				if strings.Contains(string(other.body), "globex") {
					t.Errorf("%s as %s: an answer names another tenant: %s", route, role, other.body)
				}
				continue
			}
			compared++
			if other.status != absent.status || code(other) != code(absent) {
				t.Errorf("%s as %s: another tenant's id answers %d %s, an absent one %d %s", route, role, other.status, other.body, absent.status, absent.body)
			}
			if strings.Contains(string(other.body), "globex") || other.status < 300 {
				t.Errorf("%s as %s: another tenant's record shows: %d %s", route, role, other.status, other.body)
			}
		}
	}
	if compared < 40 {
		t.Errorf("only %d other-tenant/absent comparisons", compared)
	}
	if n < 40 {
		t.Errorf("only %d requests: the router's routes were not enumerated", n)
	}
}
