package s3_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/storeurl"
	"github.com/stella-ops/stella/internal/verify"
	yaml "go.yaml.in/yaml/v3"
)

// TestTwoReplicas: two API servers on one PostgreSQL database and one S3 bucket are asked to create the
// same deployment job at once, round after round: exactly one creates it (201), the other answers that
// same job (200); the job is readable on both at once, its set verifies, and its evidence is one packet.
func TestTwoReplicas(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	bucket := newBucket(t, true)
	url := storeURL(bucket, "replicas")
	kr := sign.Keyring{Dir: t.TempDir()}
	signer, err := kr.Generate("stella/signing/replicas", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	var dbs []meta.DB
	for range 2 {
		db, err := connect.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		st, err := storeurl.Open(url)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(server.New(server.Config{DB: db, Store: st, Keys: verify.Keys{Keyring: &kr}, Signer: signer}))
		t.Cleanup(hs.Close)
		urls, dbs = append(urls, hs.URL), append(dbs, db)
	}
	tokens := map[string]string{}
	for _, who := range []string{"jane", "john"} {
		tok, rec := server.NewToken("acme", meta.RoleDeployer, who, time.Now(), 0)
		if err := dbs[0].Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateToken(ctx, rec) }); err != nil {
			t.Fatal(err)
		}
		tokens[who] = tok
	}
	call := func(base, method, path, who string, body any, key string) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tokens[who])
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	dir := t.TempDir()
	if err := quickstart.Write(dir); err != nil {
		t.Fatal(err)
	}
	load := func(name string) map[string]any {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	rel, env := load("release.yaml"), load("environment.yaml")
	tpl, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	rel["composeTemplate"], rel["createdAt"] = string(tpl), "2026-01-10T14:00:00Z"
	if code, b := call(urls[0], "PUT", "/api/v1/releases/"+rel["id"].(string), "jane", rel, ""); code != 201 {
		t.Fatalf("release: %d %s", code, b)
	}
	if code, b := call(urls[1], "PUT", "/api/v1/environments/env-prod", "jane", env, ""); code != 201 {
		t.Fatalf("environment on the other replica: %d %s", code, b)
	}
	for round := range 4 {
		pid := fmt.Sprintf("promo-r%d", round)
		if code, b := call(urls[round%2], "POST", "/api/v1/promotions", "jane", map[string]any{"id": pid, "releaseId": rel["id"], "environmentId": "env-prod"}, "p-"+pid); code != 201 {
			t.Fatalf("promotion: %d %s", code, b)
		}
		if code, b := call(urls[(round+1)%2], "POST", "/api/v1/promotions/"+pid+"/decisions", "john", map[string]any{"action": "approve"}, "d-"+pid); code != 201 {
			t.Fatalf("approval: %d %s", code, b)
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		bodies := make([][]byte, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], bodies[i] = call(urls[i], "POST", "/api/v1/deployment-jobs", "jane", map[string]any{"promotionId": pid}, fmt.Sprintf("j-%s-%d", pid, i))
			}()
		}
		wg.Wait()
		created := 0
		for i, c := range codes {
			switch c {
			case 201:
				created++
			case 200:
			default:
				t.Errorf("round %d replica %d: %d %s", round, i, c, bodies[i])
			}
			if !strings.Contains(string(bodies[i]), `"id":"dep-r`+fmt.Sprint(round)+`"`) {
				t.Errorf("round %d replica %d answered another job: %s", round, i, bodies[i])
			}
		}
		if created != 1 {
			t.Errorf("round %d: %d replicas created the job (%v), want exactly one", round, created, codes)
		}
		for i := range 2 {
			if code, b := call(urls[i], "GET", "/api/v1/deployment-jobs/dep-r"+fmt.Sprint(round), "jane", nil, ""); code != 200 {
				t.Errorf("round %d: replica %d cannot read the job: %d %s", round, i, code, b)
			}
		}
		st, _ := storeurl.Open(url)
		fsys, err := st.Open(ctx, store.Ref{Tenant: "acme", Deployment: "dep-r" + fmt.Sprint(round)})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := verify.SetAt(fsys, verify.Keys{Keyring: &kr}, "acme", "dep-r"+fmt.Sprint(round)); err != nil || !res.Valid {
			t.Errorf("round %d: the stored set does not verify: %+v %v", round, res, err)
		}
	}
	rep, err := evidence.VerifyChain(ctx, dbs[1], "acme", evidence.KeySet{Keyring: &kr})
	if err != nil || len(rep.Problems) != 0 || rep.Packets != 8 {
		t.Errorf("chain: %d packets (want 4 decisions and 4 deployments), %+v, %v", rep.Packets, rep.Problems, err)
	}
}
