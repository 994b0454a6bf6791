package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
	yaml "go.yaml.in/yaml/v3"
)

// writeWorld is a server over a fresh database and store, with a signing key and tokens.
type writeWorld struct {
	url    string
	db     meta.DB
	store  store.Store
	kr     sign.Keyring
	tokens map[string]string // "tenant/role[/name]" → token
	srv    *server.Server
	cache  string // the data directory's cache: compose-valid/, compose-loads/
}

func newWriteWorld(t testing.TB) *writeWorld {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "stella.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &writeWorld{db: db, store: local.New(filepath.Join(dir, "store")), kr: sign.Keyring{Dir: filepath.Join(dir, "keys")}, tokens: map[string]string{}}
	signer, err := w.kr.Generate("stella/signing/api", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"acme/deployer/jane", "acme/deployer/john", "acme/admin/ana", "acme/auditor/audrey", "acme/agent/bot", "globex/deployer/gil", "globex/deployer/gus", "globex/auditor/gia"} {
		parts := strings.Split(k, "/")
		tok, rec := server.NewToken(parts[0], parts[1], parts[2], time.Now(), 0)
		if parts[1] == meta.RoleAgent {
			rec.TargetID = "tgt-web-01"
		}
		if err := db.Update(context.Background(), parts[0], func(tx meta.Tx) error { return tx.CreateToken(context.Background(), rec) }); err != nil {
			t.Fatal(err)
		}
		w.tokens[k] = tok
	}
	w.cache = filepath.Join(dir, "cache")
	w.srv = server.New(server.Config{DB: db, Store: w.store, Keys: verify.Keys{Keyring: &w.kr}, Signer: signer,
		ValidCache: lockfile.DirCache{Dir: filepath.Join(w.cache, "compose-valid")}, LoadCache: lockfile.DirCache{Dir: filepath.Join(w.cache, "compose-loads")}})
	hs := httptest.NewServer(w.srv)
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

type answer struct {
	status int
	body   []byte
	header http.Header
}

func (w *writeWorld) do(t testing.TB, method, path, who string, body any, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, w.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[who])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, b, res.Header}
}

func (a answer) expect(t *testing.T, what string, status int, contains ...string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, a.status, status, a.body)
	}
	for _, c := range contains {
		if !strings.Contains(string(a.body), c) {
			t.Errorf("%s: body does not contain %q: %s", what, c, a.body)
		}
	}
}

// exampleBodies are the quickstart's release (with its template) and environment as API bodies.
func exampleBodies(t testing.TB) (map[string]any, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	if err := quickstart.Write(dir); err != nil {
		t.Fatal(err)
	}
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	rel, env := read("release.yaml"), read("environment.yaml")
	tpl, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rel["composeTemplate"] = string(tpl)
	rel["createdAt"] = "2026-01-10T14:00:00Z"
	return rel, env
}

// The whole flow through the API: a release and an environment are recorded, a promotion is requested,
// approved by another person, and its deployment job is created by the same service as stella generate —
// with signed release_decision and deployment evidence, and a stored set that verifies.
func TestAPIWriteFlow(t *testing.T) {
	w := newWriteWorld(t)
	rel, env := exampleBodies(t)
	relID := rel["id"].(string)

	w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/auditor/audrey", rel).expect(t, "auditor writes", 403, `"forbidden"`)
	w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/deployer/jane", rel).expect(t, "new release", 201, `"sha256"`)
	again := w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/deployer/jane", rel)
	again.expect(t, "same release again", 200)
	changed := map[string]any{}
	for k, v := range rel {
		changed[k] = v
	}
	changed["name"] = "something-else"
	w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/deployer/jane", changed).expect(t, "changed release", 409, "immutable")
	bad := map[string]any{}
	for k, v := range rel {
		bad[k] = v
	}
	comps := []any{map[string]any{"name": "api", "id": "comp-api", "image": "registry.example.com/myapp/api", "tag": "v1", "digest": "sha256:nope"}}
	bad["components"], bad["id"] = comps, "r-bad"
	w.do(t, "PUT", "/api/v1/releases/r-bad", "acme/deployer/jane", bad).expect(t, "bad digest", 400, `"field":"/components/0/digest"`)
	w.do(t, "PUT", "/api/v1/releases/r-bad", "acme/deployer/jane", `{"id":`).expect(t, "malformed JSON", 400, "not JSON")
	w.do(t, "PUT", "/api/v1/releases/r-big", "acme/deployer/jane", strings.Repeat(" ", server.MaxBody+1)).expect(t, "too large", 413)
	if got := w.do(t, "GET", "/api/v1/releases/"+relID, "acme/auditor/audrey", nil, "If-None-Match", again.header.Get("ETag")); got.status != 304 {
		t.Errorf("conditional GET: %d", got.status)
	}

	w.do(t, "PUT", "/api/v1/environments/env-prod", "acme/deployer/jane", env).expect(t, "environment", 201)
	w.do(t, "PUT", "/api/v1/environments/env-prod/targets/tgt-web-03", "acme/deployer/jane", map[string]any{"name": "prod-web-03", "type": "compose-host"}).expect(t, "target", 201, "prod-web-03")
	w.do(t, "PUT", "/api/v1/environments/nope/targets/t1", "acme/deployer/jane", map[string]any{"name": "x"}).expect(t, "target of no environment", 404)

	promo := map[string]any{"id": "promo-api-1", "releaseId": relID, "environmentId": "env-prod"}
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", promo).expect(t, "no idempotency key", 400, "Idempotency-Key")
	w.do(t, "POST", "/api/v1/promotions", "globex/deployer/gil", promo, "Idempotency-Key", "g1").expect(t, "another tenant's release", 404)
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", promo, "Idempotency-Key", "p1").expect(t, "promotion", 201, `"state":"pending_approval"`, `"name":"jane"`)
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", promo, "Idempotency-Key", "p1").expect(t, "replayed promotion", 201, `"pending_approval"`)
	w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"releaseId": relID, "environmentId": "env-prod", "colour": 1}, "Idempotency-Key", "p1").expect(t, "key reused", 409, "Idempotency-Key")

	job := map[string]any{"promotionId": "promo-api-1"}
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", job, "Idempotency-Key", "j0").expect(t, "job of a pending promotion", 409, "pending_approval")
	w.do(t, "POST", "/api/v1/promotions/promo-api-1/decisions", "acme/deployer/jane", map[string]any{"action": "approve"}, "Idempotency-Key", "d0").expect(t, "self-approval", 409, "requester")
	w.do(t, "POST", "/api/v1/promotions/promo-api-1/decisions", "acme/deployer/john", map[string]any{"action": "maybe"}, "Idempotency-Key", "d1").expect(t, "bad action", 400, `"field":"/action"`)
	w.do(t, "POST", "/api/v1/promotions/promo-api-1/decisions", "acme/deployer/john", map[string]any{"action": "approve", "comment": "LGTM"}, "Idempotency-Key", "d2").expect(t, "approval", 201, `"state":"approved"`, `"evidenceId":"ev-`)
	w.do(t, "POST", "/api/v1/promotions/promo-api-1/decisions", "acme/admin/ana", map[string]any{"action": "reject"}, "Idempotency-Key", "d3").expect(t, "decision after approval", 409)

	created := w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", job, "Idempotency-Key", "j1")
	created.expect(t, "job", 201, `"id":"dep-api-1"`, `"compose.stella.lock.yml"`, `"evidenceId":"ev-`)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", job, "Idempotency-Key", "j1").expect(t, "replayed job", 201, `"id":"dep-api-1"`)
	w.do(t, "POST", "/api/v1/deployment-jobs", "acme/deployer/jane", job, "Idempotency-Key", "j2").expect(t, "same promotion, new key", 200, `"id":"dep-api-1"`)
	w.do(t, "POST", "/api/v1/deployment-jobs", "globex/deployer/gil", job, "Idempotency-Key", "j3").expect(t, "another tenant's promotion", 404)
	w.do(t, "GET", "/api/v1/deployment-jobs/dep-api-1", "acme/agent/bot", nil).expect(t, "agent reads the job", 200, `"promotionId":"promo-api-1"`)
	w.do(t, "GET", "/api/v1/deployment-jobs/dep-api-1", "globex/deployer/gil", nil).expect(t, "another tenant reads it", 404)
	rng := w.do(t, "GET", "/api/v1/deployment-jobs/dep-api-1/artifacts/manifest.json", "acme/agent/bot", nil, "Range", "bytes=-0")
	if rng.status != 416 || !strings.HasPrefix(rng.header.Get("Content-Range"), "bytes */") {
		t.Errorf("Range bytes=-0: %d, Content-Range %q", rng.status, rng.header.Get("Content-Range"))
	}

	// The stored set verifies where it is; its manifest carries the approved promotion.
	fsys, err := w.store.Open(context.Background(), store.Ref{Tenant: "acme", Deployment: "dep-api-1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.SetAt(fsys, verify.Keys{Keyring: &w.kr}, "acme", "dep-api-1")
	if err != nil || !res.Valid {
		t.Fatalf("the API's set: %+v, %v", res, err)
	}
	// A job generated through the API leaves generate's memos as the command line does: its template
	// and the exact lock it stored.
	lock, _ := fs.ReadFile(fsys, lockfile.FileName)
	envFile, envErr := fs.ReadFile(fsys, lockfile.EnvFileName)
	mdata, _ := fs.ReadFile(fsys, manifest.FileName)
	m, err := manifest.Parse(mdata)
	if err != nil {
		t.Fatal(err)
	}
	key := lockfile.LoadKey(lock, envFile, envErr == nil, lockfile.SecretNames(m.Subject.Environment))
	for dir, want := range map[string]string{"compose-loads": key, "compose-valid": ""} {
		ents, _ := os.ReadDir(filepath.Join(w.cache, dir))
		if len(ents) != 1 || (want != "" && ents[0].Name() != want) {
			t.Errorf("%s after one job: %v, want one marker %s", dir, ents, want)
		}
	}
	// Evidence: one release_decision (john's approval) and one deployment packet naming the promotion.
	rep, err := evidence.VerifyChain(context.Background(), w.db, "acme", evidence.KeySet{Keyring: &w.kr})
	if err != nil || len(rep.Problems) != 0 || rep.Packets != 2 {
		t.Fatalf("chain: %d packets, %+v, %v", rep.Packets, rep.Problems, err)
	}
	var types []string
	_ = w.db.View(context.Background(), "acme", func(tx meta.Tx) error {
		return tx.Chain(context.Background(), func(e meta.Evidence) error {
			p, err := evidence.Parse(e.Packet)
			if err == nil && p.Type == evidence.TypeDeployment && (p.PromotionID != "promo-api-1" || p.Content.Actors.Approvers[0].Name != "john") {
				t.Errorf("deployment packet: promotion %s, approvers %+v", p.PromotionID, p.Content.Actors.Approvers)
			}
			types = append(types, e.Type)
			return err
		})
	})
	if strings.Join(types, ",") != "release_decision,deployment" {
		t.Errorf("packets %v", types)
	}
	// Lists: newest first with a cursor; a state filter.
	page := w.do(t, "GET", "/api/v1/promotions?state=deploying", "acme/auditor/audrey", nil)
	page.expect(t, "promotions deploying", 200, `"promo-api-1"`)
	w.do(t, "GET", "/api/v1/promotions?state=approved", "acme/auditor/audrey", nil).expect(t, "promotions approved", 200, `"items":[]`)
	w.do(t, "GET", "/api/v1/releases?limit=1", "globex/deployer/gil", nil).expect(t, "another tenant's releases", 200, `"items":[]`)
}

// TestOpenAPI: every route the server registers is in the OpenAPI document, and every documented
// operation answers (not the router's 404 or 405).
func TestOpenAPI(t *testing.T) {
	w := newWriteWorld(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	got := w.do(t, "GET", "/api/v1/openapi.json", "", nil)
	got.expect(t, "openapi.json", 200)
	if err := json.Unmarshal(got.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi.json: %v %q", err, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range w.srv.Routes() {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
		delete(documented, r)
	}
	for r := range documented {
		t.Errorf("openapi.json documents %s, which the server does not route", r)
	}
	// Every documented operation answers in the envelope or with its document, never the router's miss.
	for path, ops := range doc.Paths {
		for method := range ops {
			p := strings.NewReplacer("{id}", "x1", "{name}", "manifest.json", "{targetId}", "t1").Replace(path)
			a := w.do(t, strings.ToUpper(method), p, "acme/admin/ana", "{}", "Idempotency-Key", "k-"+method+p)
			if a.status == 405 || strings.Contains(string(a.body), "no such endpoint") {
				t.Errorf("%s %s: %d %s", method, p, a.status, a.body)
			}
		}
	}
}

// Hardening: the metrics never carry a caller's method string, a 404 never echoes a huge id, an empty
// suffix range is 416 with a valid Content-Range.
func TestHardening(t *testing.T) {
	w := newWriteWorld(t)
	long := strings.Repeat("X", 50<<10)
	for range 3 {
		req, _ := http.NewRequest(long[:10000], w.url+"/api/v1/deployment-jobs", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	m := w.do(t, "GET", "/metrics", "", nil)
	if strings.Contains(string(m.body), "XXXXXXXXXX") || !strings.Contains(string(m.body), `method="OTHER"`) {
		t.Errorf("metrics carry the caller's method: %d bytes", len(m.body))
	}
	a := w.do(t, "GET", "/api/v1/releases/"+long, "acme/auditor/audrey", nil)
	if a.status != 404 && a.status != 400 || len(a.body) > 2048 {
		t.Errorf("huge id: %d, %d bytes of answer", a.status, len(a.body))
	}
	a = w.do(t, "GET", "/api/v1/nothing/"+long, "acme/auditor/audrey", nil)
	if a.status != 404 || len(a.body) > 2048 {
		t.Errorf("huge path: %d, %d bytes of answer", a.status, len(a.body))
	}
}

// Pages of a filtered list: every matching promotion exactly once, newest first, across batches in
// which few or none match.
func TestListPagesWithStateFilter(t *testing.T) {
	w := newWriteWorld(t)
	rel, env := exampleBodies(t)
	relID := rel["id"].(string)
	w.do(t, "PUT", "/api/v1/releases/"+relID, "acme/deployer/jane", rel).expect(t, "release", 201)
	w.do(t, "PUT", "/api/v1/environments/env-prod", "acme/deployer/jane", env).expect(t, "environment", 201)
	var rejected []string
	for i := range 7 {
		pid := fmt.Sprintf("promo-l%d", i)
		w.do(t, "POST", "/api/v1/promotions", "acme/deployer/jane", map[string]any{"id": pid, "releaseId": relID, "environmentId": "env-prod"}, "Idempotency-Key", "p-"+pid).expect(t, pid, 201)
		if i%2 == 1 {
			w.do(t, "POST", "/api/v1/promotions/"+pid+"/decisions", "acme/deployer/john", map[string]any{"action": "reject"}, "Idempotency-Key", "d-"+pid).expect(t, "reject "+pid, 201)
			rejected = append([]string{pid}, rejected...) // newest first
		}
		time.Sleep(2 * time.Millisecond)
	}
	var got []string
	cursor := ""
	for range 10 {
		a := w.do(t, "GET", "/api/v1/promotions?state=rejected&limit=1&cursor="+cursor, "acme/auditor/audrey", nil)
		a.expect(t, "page", 200)
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next string `json:"next"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			got = append(got, it.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if strings.Join(got, ",") != strings.Join(rejected, ",") {
		t.Errorf("rejected promotions paged as %v, want %v", got, rejected)
	}
}
