package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
)

// approvedJob runs the API flow up to a deployment job of promotion pid to the named targets.
func approvedJob(t *testing.T, w *writeWorld, relID, pid string, targets ...string) string {
	t.Helper()
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"id": pid, "releaseId": relID, "environmentId": "env-prod"}, "Idempotency-Key", "p-"+pid).expect(t, "promotion "+pid, 201)
	w.do(t, "POST", "/api/v1/promotions/"+pid+"/decisions", "acme/deployer/john", map[string]any{"action": "approve"}, "Idempotency-Key", "d-"+pid).expect(t, "approval "+pid, 201)
	a := w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": pid, "targetNames": targets}, "Idempotency-Key", "j-"+pid)
	a.expect(t, "job "+pid, 201)
	var out server.JobCreated
	_ = json.Unmarshal(a.body, &out)
	return out.Job.ID
}

func assertion(t *testing.T, priv ed25519.PrivateKey, agentID string, iat time.Time, life time.Duration, aud string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.RegisteredClaims{Issuer: agentID, Subject: agentID, Audience: jwt.ClaimStrings{aud},
		IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(iat.Add(life)), ID: agentID + iat.String()})
	s, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Agents: a one-time registration token makes one agent of one target; its signed assertion buys a
// short-lived token that reads its own target's jobs only; revocation stops it at its next request.
func TestAgentIdentity(t *testing.T) {
	w := newWriteWorld(t)
	rel, env := exampleBodies(t)
	relID := rel["id"].(string)
	w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/deployer/jane", rel).expect(t, "release", 201)
	w.do(t, "PUT", "/api/v1/environments/env-prod", "acme/deployer/jane", env).expect(t, "environment", 201)
	mine := approvedJob(t, w, relID, "promo-t2", "prod-web-02")
	other := approvedJob(t, w, relID, "promo-t1", "prod-web-01")

	ctx := context.Background()
	reg, rec := server.NewRegistration("acme", "tgt-web-02", time.Now(), 15*time.Minute)
	if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateRegistration(ctx, rec) }); err != nil {
		t.Fatal(err)
	}
	oldReg, oldRec := server.NewRegistration("acme", "tgt-web-02", time.Now().Add(-time.Hour), 15*time.Minute)
	if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateRegistration(ctx, oldRec) }); err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := base64.StdEncoding.EncodeToString(pub)
	w.do(t, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": reg, "publicKey": "short"}).expect(t, "bad key", 400, `"/publicKey"`)
	w.do(t, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": oldReg, "publicKey": key}).expect(t, "expired registration", 401)
	a := w.do(t, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": reg, "publicKey": key, "name": "web-02"})
	a.expect(t, "register", 201, `"targetId":"tgt-web-02"`, `"tenantId":"acme"`, "BEGIN PUBLIC KEY")
	w.do(t, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": reg, "publicKey": key}).expect(t, "registration used twice", 401)
	var id server.Registered
	_ = json.Unmarshal(a.body, &id)

	now := time.Now()
	for what, as := range map[string]string{
		"another audience": assertion(t, priv, id.AgentID, now, time.Minute, "elsewhere"),
		"too long a life":  assertion(t, priv, id.AgentID, now, time.Hour, "stella"),
		"expired":          assertion(t, priv, id.AgentID, now.Add(-10*time.Minute), time.Minute, "stella"),
		"another agent's":  assertion(t, priv, "agt-nobody", now, time.Minute, "stella"),
		"not signed EdDSA": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Issuer: id.AgentID, Subject: id.AgentID, Audience: jwt.ClaimStrings{"stella"}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}).SignedString([]byte(pub))
			return s
		}(),
		"signed by another": func() string {
			_, p2, _ := ed25519.GenerateKey(rand.Reader)
			return assertion(t, p2, id.AgentID, now, time.Minute, "stella")
		}(),
	} {
		w.do(t, "POST", "/api/v1/agents/token", "", map[string]any{"assertion": as}).expect(t, what, 401)
	}
	tokAns := w.do(t, "POST", "/api/v1/agents/token", "", map[string]any{"assertion": assertion(t, priv, id.AgentID, now, time.Minute, "stella")})
	tokAns.expect(t, "access token", 200, `"accessToken":"stl_`)
	var at server.AgentToken
	_ = json.Unmarshal(tokAns.body, &at)
	if d := time.Until(at.ExpiresAt); d > server.AgentTokenTTL || d < server.AgentTokenTTL-time.Minute {
		t.Errorf("access token lives %v", d)
	}
	w.tokens["acme/agent/web-02"] = at.AccessToken
	w.do(t, "POST", "/api/v1/agents/heartbeat", "acme/agent/web-02", nil).expect(t, "heartbeat", 200, id.AgentID)
	list := w.do(t, "GET", "/api/v1/deployment-jobs", "acme/agent/web-02", nil)
	list.expect(t, "agent lists jobs", 200, `"id":"`+mine+`"`)
	if strings.Contains(string(list.body), `"id":"`+other+`"`) {
		t.Errorf("the agent of tgt-web-02 lists %s, a job of tgt-web-01: %s", other, list.body)
	}
	w.do(t, "GET", "/api/v1/deployment-jobs/"+mine+"/artifacts/manifest", "acme/agent/web-02", nil).expect(t, "own job's manifest", 200)
	w.do(t, "GET", "/api/v1/deployment-jobs/"+other, "acme/agent/web-02", nil).expect(t, "another target's job", 404)
	w.do(t, "GET", "/api/v1/deployment-jobs/"+other+"/artifacts", "acme/agent/web-02", nil).expect(t, "another target's artifacts", 404)
	w.do(t, "GET", "/api/v1/evidence", "acme/agent/web-02", nil).expect(t, "agent reads evidence", 403)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/agent/web-02", map[string]any{"promotionId": "promo-t1"}, "Idempotency-Key", "x").expect(t, "agent writes", 403)
	// A job created now queues a deploy task for each of its targets with an agent, and the agent's
	// long poll gets it; a job of another target queues nothing for it.
	approvedJob(t, w, relID, "promo-t4", "prod-web-01")
	job := approvedJob(t, w, relID, "promo-t3", "prod-web-02")
	next := w.do(t, "GET", "/api/v1/agents/tasks/next?wait=2s", "acme/agent/web-02", nil)
	next.expect(t, "dispatched deploy task", 200, `"type":"deploy"`, `"deploymentId":"`+job+`"`, `"id":"deploy-`+job+`-tgt-web-02"`)
	w.do(t, "GET", "/api/v1/agents/tasks/next?wait=100ms", "acme/agent/web-02", nil).expect(t, "nothing else queued", 204)
	w.do(t, "POST", "/api/v1/agents/tasks/deploy-"+job+"-tgt-web-02/result", "acme/agent/web-02", map[string]any{"status": "failed", "error": "pull failed"}).expect(t, "deploy result", 200)
	w.do(t, "GET", "/api/v1/deployment-jobs/"+job, "acme/deployer/jane", nil).expect(t, "job after a failed deploy", 200, `"failed"`, "pull failed")
	// The job's deployment packet is completed by a further one, with the outcome on this target.
	w.do(t, "GET", "/api/v1/evidence?limit=1", "acme/auditor/audrey", nil).expect(t, "completion packet", 200,
		`"type":"deployment_completed"`, `"deploymentJobId":"`+job+`"`, `"targetId":"tgt-web-02"`, `"status":"failed"`, "pull failed")
	if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.RevokeAgent(ctx, id.AgentID, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	w.do(t, "GET", "/api/v1/deployment-jobs", "acme/agent/web-02", nil).expect(t, "revoked agent's token", 401)
	w.do(t, "POST", "/api/v1/agents/token", "", map[string]any{"assertion": assertion(t, priv, id.AgentID, time.Now(), time.Minute, "stella")}).expect(t, "revoked agent's assertion", 401)
}

// WatchDrift queues one read-sticker task per registered agent's target, and none while one is pending;
// only on the replica that holds the schedule's lease.
func TestWatchDrift(t *testing.T) {
	w := newWriteWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	for _, target := range []string{"tgt-a", "tgt-b"} {
		reg, rec := server.NewRegistration("acme", target, now, time.Minute)
		if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateRegistration(ctx, rec) }); err != nil {
			t.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		w.do(t, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": reg, "publicKey": base64.StdEncoding.EncodeToString(pub)}).expect(t, "register "+target, 201)
	}
	// Another replica holds the schedule's lease: this one queues nothing until it is given up.
	if ok, err := w.db.TryLease(ctx, server.DriftLease, "replica-2", time.Hour); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	go w.srv.WatchDrift(ctx, 20*time.Millisecond, "replica-1")
	time.Sleep(200 * time.Millisecond)
	var none []meta.AgentTask
	_ = w.db.View(ctx, "acme", func(tx meta.Tx) error {
		none, _ = tx.AgentTasks(ctx, "tgt-a", "read-sticker", 0)
		return nil
	})
	if len(none) != 0 {
		t.Fatalf("a replica without the lease queued %d drift tasks", len(none))
	}
	if err := w.db.ReleaseLease(ctx, server.DriftLease, "replica-2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var a, b []meta.AgentTask
		_ = w.db.View(ctx, "acme", func(tx meta.Tx) error {
			a, _ = tx.AgentTasks(ctx, "tgt-a", "read-sticker", 0)
			b, _ = tx.AgentTasks(ctx, "tgt-b", "read-sticker", 0)
			return nil
		})
		if len(a) >= 1 && len(b) >= 1 {
			time.Sleep(100 * time.Millisecond) // several more ticks: still one pending task each
			_ = w.db.View(ctx, "acme", func(tx meta.Tx) error {
				a, _ = tx.AgentTasks(ctx, "tgt-a", "read-sticker", 0)
				b, _ = tx.AgentTasks(ctx, "tgt-b", "read-sticker", 0)
				return nil
			})
			if len(a) != 1 || len(b) != 1 {
				t.Errorf("pending drift tasks: %d and %d, want one each", len(a), len(b))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drift task queued: %d %d", len(a), len(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An environment's driftInterval replaces the schedule's interval for its targets: with the schedule
// ticking every 20ms, a target of an environment checked hourly is checked once while another is
// checked again each time its last check has finished.
func TestWatchDriftIntervals(t *testing.T) {
	w := newWriteWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	agents := map[string]string{}
	for _, target := range []string{"tgt-fast", "tgt-slow"} {
		reg, rec := server.NewRegistration("acme", target, now, time.Minute)
		if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateRegistration(ctx, rec) }); err != nil {
			t.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		a := w.do(t, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": reg, "publicKey": base64.StdEncoding.EncodeToString(pub)})
		a.expect(t, "register "+target, 201)
		var out struct{ AgentID string }
		_ = json.Unmarshal(a.body, &out)
		agents[target] = out.AgentID
	}
	if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error {
		if err := tx.PutEnvironment(ctx, meta.Environment{ID: "env-slow", Name: "slow", Tier: "development", Doc: []byte(`{"id":"env-slow","driftInterval":"1h"}`)}); err != nil {
			return err
		}
		return tx.PutTarget(ctx, meta.Target{EnvironmentID: "env-slow", ID: "tgt-slow", Name: "slow-1", Type: "compose-host"})
	}); err != nil {
		t.Fatal(err)
	}
	go w.srv.WatchDrift(ctx, 20*time.Millisecond, "replica-1")
	count := func(target string) int {
		var ks []meta.AgentTask
		_ = w.db.View(ctx, "acme", func(tx meta.Tx) error {
			ks, _ = tx.AgentTasks(ctx, target, "read-sticker", 0)
			return nil
		})
		return len(ks)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count("tgt-fast") < 4 {
		// The agents take and finish what is queued.
		for target, agent := range agents {
			_ = w.db.Update(ctx, "acme", func(tx meta.Tx) error {
				k, err := tx.LeaseAgentTask(ctx, target, agent, time.Now())
				if err != nil {
					return err
				}
				return tx.FinishAgentTask(ctx, k.ID, agent, meta.TaskSucceeded, []byte(`{"status":"succeeded"}`), time.Now())
			})
		}
		if time.Now().After(deadline) {
			t.Fatalf("the target without an interval of its own was checked %d times in 10s", count("tgt-fast"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := count("tgt-slow"); n != 1 {
		t.Errorf("the target of the hourly environment was checked %d times, want 1", n)
	}
}

// Rollback: a new job from the exact digests of the deployment before the current one, with a rollback
// packet naming who asked and what it returns to.
func TestRollback(t *testing.T) {
	w := newWriteWorld(t)
	rel, env := exampleBodies(t)
	relID := rel["id"].(string)
	w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/deployer/jane", rel).expect(t, "release 1", 201)
	rel2 := map[string]any{}
	for k, v := range rel {
		rel2[k] = v
	}
	comps, _ := json.Marshal(rel["components"])
	newDigest := "sha256:" + strings.Repeat("ab", 32)
	var cs []map[string]any
	_ = json.Unmarshal(comps, &cs)
	oldDigest := cs[0]["digest"].(string)
	cs[0]["digest"] = newDigest
	rel2["id"], rel2["name"], rel2["components"] = "rel-2", "myapp-v2.4.0", cs
	w.do(t, "PUT", "/api/v1/releases/rel-2", "acme/deployer/jane", rel2).expect(t, "release 2", 201)
	w.do(t, "PUT", "/api/v1/environments/env-prod", "acme/deployer/jane", env).expect(t, "environment", 201)
	first := approvedJob(t, w, relID, "promo-r1")
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"id": "promo-r2", "releaseId": "rel-2", "environmentId": "env-prod"}, "Idempotency-Key", "p-r2").expect(t, "promotion 2", 201)
	w.do(t, "POST", "/api/v1/promotions/promo-r2/decisions", "acme/deployer/john", map[string]any{"action": "approve"}, "Idempotency-Key", "d-r2").expect(t, "approval 2", 201)
	time.Sleep(10 * time.Millisecond) // the second job is the newer one
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": "promo-r2"}, "Idempotency-Key", "j-r2").expect(t, "job 2", 201)

	w.do(t, "POST", "/api/v1/environments/env-prod/rollback", "acme/deployer/jane", map[string]any{"to": "dep-r2"}, "Idempotency-Key", "rb0").expect(t, "to the current one", 409)
	w.do(t, "POST", "/api/v1/environments/env-prod/rollback", "acme/deployer/jane", map[string]any{"to": "nope"}, "Idempotency-Key", "rb1").expect(t, "to an absent one", 404)
	w.do(t, "POST", "/api/v1/environments/env-prod/rollback", "globex/deployer/gil", map[string]any{}, "Idempotency-Key", "rb2").expect(t, "another tenant", 404)
	w.do(t, "POST", "/api/v1/environments/env-prod/rollback", "acme/auditor/audrey", map[string]any{}, "Idempotency-Key", "rb3").expect(t, "an auditor", 403)
	a := w.do(t, "POST", "/api/v1/environments/env-prod/rollback", "acme/admin/ana", map[string]any{"deploymentId": "rb-1", "reason": "api 2.4.0 fails health checks"}, "Idempotency-Key", "rb4")
	a.expect(t, "rollback", 201, `"id":"rb-1"`, `"releaseId":"`+relID+`"`)
	lock := w.do(t, "GET", "/api/v1/deployment-jobs/rb-1/artifacts/compose.stella.lock.yml", "acme/auditor/audrey", nil)
	lock.expect(t, "rollback lock", 200, oldDigest)
	if strings.Contains(string(lock.body), newDigest) {
		t.Error("the rollback's lock pins the rolled-back digest")
	}
	// rel-2 is blocked in env-prod now: a new promotion of it cannot be deployed until the block is cleared.
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"id": "promo-r3", "releaseId": "rel-2", "environmentId": "env-prod"}, "Idempotency-Key", "p-r3").expect(t, "promotion 3", 201)
	w.do(t, "POST", "/api/v1/promotions/promo-r3/decisions", "acme/deployer/john", map[string]any{"action": "approve"}, "Idempotency-Key", "d-r3").expect(t, "approval 3", 201)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": "promo-r3"}, "Idempotency-Key", "j-r3").expect(t, "a blocked release", 409, "blocked in environment env-prod", "fails health checks")
	w.do(t, "DELETE", "/api/v1/environments/env-prod/blocked-releases/rel-2", "acme/auditor/audrey", nil).expect(t, "an auditor clears", 403)
	w.do(t, "DELETE", "/api/v1/environments/env-prod/blocked-releases/rel-2", "acme/deployer/jane", nil).expect(t, "clear the block", 204)
	w.do(t, "DELETE", "/api/v1/environments/env-prod/blocked-releases/rel-2", "acme/deployer/jane", nil).expect(t, "clear it again", 404)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": "promo-r3"}, "Idempotency-Key", "j-r3b").expect(t, "after the block is cleared", 201)
	var packets []map[string]any
	_ = json.Unmarshal(w.do(t, "GET", "/api/v1/evidence?limit=3", "acme/auditor/audrey", nil).body, &packets)
	for len(packets) > 0 && packets[0]["type"] != "rollback" {
		packets = packets[1:]
	}
	if len(packets) == 0 {
		t.Fatal("no rollback packet")
	}
	if len(packets) == 0 || packets[0]["type"] != "rollback" {
		t.Fatalf("newest packet: %v", packets[0]["type"])
	}
	b, _ := json.Marshal(packets[0]["content"])
	for _, want := range []string{`"releaseId":"` + relID + `"`, oldDigest, `"name":"ana"`, "rollback of dep-r2 to " + first, "fails health checks"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("rollback packet lacks %s: %s", want, b)
		}
	}
}
