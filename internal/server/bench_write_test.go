package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/deploy"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/verify"
)

// benchWorld has a release and an environment recorded through the API and a way to make a new
// approved promotion (outside the timer).
func benchWorld(b *testing.B) (*writeWorld, func(i int) string) {
	w := newWriteWorld(b)
	rel, env := exampleBodies(b)
	w.do(b, "PUT", "/api/v1/releases/"+rel["id"].(string), "acme/deployer/jane", rel)
	w.do(b, "PUT", "/api/v1/environments/env-prod", "acme/deployer/jane", env)
	approved := func(i int) string {
		pid := fmt.Sprintf("promo-b%d", i)
		w.do(b, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"id": pid, "releaseId": rel["id"], "environmentId": "env-prod"}, "Idempotency-Key", "p"+pid)
		w.do(b, "POST", "/api/v1/promotions/"+pid+"/decisions", "acme/deployer/john", map[string]any{"action": "approve"}, "Idempotency-Key", "d"+pid)
		return pid
	}
	return w, approved
}

// BenchmarkCreateJobAPI: POST /api/v1/deployment-jobs of an approved promotion (SQLite, local store):
// HTTP, authentication, idempotency, inputs from the stored documents, generate, store, record.
func BenchmarkCreateJobAPI(b *testing.B) {
	w, approved := benchWorld(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		pid := approved(i)
		b.StartTimer()
		if a := w.do(b, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", map[string]any{"promotionId": pid}, "Idempotency-Key", "j"+pid); a.status != 201 {
			b.Fatalf("%d %s", a.status, a.body)
		}
	}
}

// BenchmarkCreateJobInProcess: the same deployment through internal/deploy directly, as the command line
// runs it (inputs parsed, generate, store, record) — the figure the API is held to (at most 1.2×).
func BenchmarkCreateJobInProcess(b *testing.B) {
	w, approved := benchWorld(b)
	signer, err := w.kr.Signer("stella/signing/api")
	if err != nil {
		b.Fatal(err)
	}
	rel, env := exampleBodies(b)
	svc := &deploy.Service{DB: func(context.Context) (meta.DB, error) { return w.db, nil }, Store: w.store, Trust: verify.Keys{Keyring: &w.kr}}
	relDoc, envDoc, tpl := bodies(b, rel, env)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		pid := approved(i)
		b.StartTimer()
		in, err := generate.LoadBytes(generate.Source{Name: "release.json", Data: relDoc}, generate.Source{Name: "environment.json", Data: envDoc}, generate.Source{Name: "compose.yaml", Data: tpl})
		if err != nil {
			b.Fatal(err)
		}
		p := &evidence.Promotion{ID: pid + "-cli", ReleaseID: in.Release.ID, EnvironmentID: in.Environment.ID, Requester: evidence.Person{ID: "u-1", Name: "Jane"}, Decision: "allow"}
		if _, err := svc.Create(context.Background(), deploy.Request{Generate: generate.Request{Inputs: in, TenantID: "acme", DeploymentID: fmt.Sprintf("cli-%d", i), Signer: signer, Now: now()}, Promotion: p}); err != nil {
			b.Fatal(err)
		}
	}
}

func bodies(b *testing.B, rel, env map[string]any) ([]byte, []byte, []byte) {
	tpl := []byte(rel["composeTemplate"].(string))
	r := map[string]any{}
	for k, v := range rel {
		if k != "composeTemplate" {
			r[k] = v
		}
	}
	rj, err := json.Marshal(r)
	if err != nil {
		b.Fatal(err)
	}
	ej, err := json.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	return rj, ej, tpl
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }
