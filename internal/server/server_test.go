package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stella-ops/stella/internal/cli"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
)

const examples = "../../docs/examples"

// stella runs the command line in-process and returns stdout; a non-zero exit fails the test.
func stella(t testing.TB, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("stella %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

type fixture struct {
	dir, data, store, keys string
	dbURL                  string            // the metadata database every command and the server use
	tokens                 map[string]string // "tenant/role" (and "acme/expired", "acme/revoked") → token
	cacheTTL               time.Duration     // the served handler's LookupCacheTTL (benchmarks: serve's default)
}

// newFixture generates three deployments through the CLI (acme/d1, acme/d2, globex/g1) into one data
// directory and store, and creates tokens of every role.
func newFixture(t testing.TB) *fixture { return newFixtureDB(t, "") }

// newFixtureDB is newFixture on the database at dbURL ("": the embedded SQLite of the data directory).
func newFixtureDB(t testing.TB, dbURL string) *fixture {
	f := &fixture{dir: t.TempDir(), tokens: map[string]string{}}
	f.data, f.store, f.keys = filepath.Join(f.dir, "data"), filepath.Join(f.dir, "store"), filepath.Join(f.dir, "keys")
	f.dbURL = connect.URL(f.data, dbURL)
	stella(t, "keys", "generate", "stella/signing/test", "--alg", "EdDSA", "--keyring", f.keys)
	for i, d := range []struct{ tenant, id string }{{"acme", "d1"}, {"acme", "d2"}, {"globex", "g1"}} {
		// Production needs an approved promotion; a promotion approves one deployment.
		promo := filepath.Join(f.dir, d.tenant+"-"+d.id+"-promotion.yaml")
		if err := os.WriteFile(promo, []byte("id: promo-"+d.id+"\nreleaseId: rel-7f3a\nenvironmentId: env-prod\n"+
			"requester: {id: u-1, name: Jane Doe}\ndecision: allow\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		stella(t, "generate", "--release", examples+"/release.yaml", "--environment", examples+"/environment.yaml", "--promotion", promo,
			"--tenant", d.tenant, "--deployment-id", d.id, "--key", "stella/signing/test", "--keyring", f.keys,
			"--store", f.store, "--database", f.dbURL, "--now", time.Date(2026, 1, 10, 14, i, 0, 0, time.UTC).Format(time.RFC3339))
	}
	for _, tenant := range []string{"acme", "globex"} {
		for _, role := range meta.Roles {
			args := []string{"tokens", "create", "--tenant", tenant, "--role", role, "--database", f.dbURL}
			if role == meta.RoleAgent {
				args = append(args, "--target", "tgt-web-01")
			}
			tok := strings.TrimSpace(stella(t, args...))
			if !strings.HasPrefix(tok, server.TokenPrefix) || strings.ContainsAny(tok, " \n") {
				t.Fatalf("tokens create printed %q, want the token alone", tok)
			}
			f.tokens[tenant+"/"+role] = tok
		}
	}
	f.tokens["acme/expired"] = strings.TrimSpace(stella(t, "tokens", "create", "--tenant", "acme", "--role", "admin", "--expires", "1ns", "--database", f.dbURL))
	var created struct{ ID, Token string }
	if err := json.Unmarshal([]byte(stella(t, "tokens", "create", "--tenant", "acme", "--role", "admin", "--name", "to revoke", "--database", f.dbURL, "--output", "json")), &created); err != nil {
		t.Fatal(err)
	}
	f.tokens["acme/revoked"] = created.Token
	stella(t, "tokens", "revoke", created.ID, "--tenant", "acme", "--database", f.dbURL)
	return f
}

// serve starts the real listener on 127.0.0.1:0 through server.Serve and returns its base URL, the
// database it reads, and the log it writes. Cleanup stops it and checks the shutdown was graceful.
func (f *fixture) serve(t testing.TB, storeDir string) (string, meta.DB, *syncBuffer) {
	t.Helper()
	return f.serveStore(t, local.New(storeDir))
}

// serveStore is serve on any store.
func (f *fixture) serveStore(t testing.TB, st store.Store) (string, meta.DB, *syncBuffer) {
	t.Helper()
	db, err := connect.Open(context.Background(), f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := server.New(server.Config{DB: db, Store: st, Keys: verify.Keys{Keyring: &sign.Keyring{Dir: f.keys}}, Log: log, LookupCacheTTL: f.cacheTTL})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, h, addrFile, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		db.Close()
	})
	// Serve writes the file before it starts accepting; the listener already queues connections.
	var addr []byte
	for i := 0; i < 200 && len(addr) == 0; i++ {
		addr, _ = os.ReadFile(addrFile)
		time.Sleep(5 * time.Millisecond)
	}
	if got := strings.TrimSpace(string(addr)); got != ln.Addr().String() {
		t.Fatalf("addr file holds %q, listener is %s", got, ln.Addr())
	}
	return "http://" + strings.TrimSpace(string(addr)), db, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, url, token string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

// want checks the status, and for errors the envelope's code.
func (r response) want(t *testing.T, what string, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if code == "" {
		return
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("%s: body %s, want an error envelope with code %s", what, r.body, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: error Content-Type %q", what, ct)
	}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func TestAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testAPI(t, newFixture(t)) })
	t.Run("postgres", func(t *testing.T) { testAPI(t, newFixtureDB(t, pgtest.FreshSchema(t))) })
}

func testAPI(t *testing.T, f *fixture) {
	base, db, logs := f.serve(t, f.store)
	api := base + "/api/v1"
	auditor, agent := f.tokens["acme/auditor"], f.tokens["acme/agent"]

	call(t, "GET", base+"/healthz", "").want(t, "healthz", 200, "")

	// Authentication: no token, a malformed header, an unknown, an expired and a revoked token.
	for name, tok := range map[string]string{"no token": "", "unknown": server.TokenPrefix + "nope", "expired": f.tokens["acme/expired"], "revoked": f.tokens["acme/revoked"]} {
		r := call(t, "GET", api+"/deployment-jobs", tok)
		r.want(t, name, 401, "unauthenticated")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, r.header.Get("WWW-Authenticate"))
		}
	}
	call(t, "GET", api+"/deployment-jobs", "", "Authorization", "Basic "+auditor).want(t, "basic scheme", 401, "unauthenticated")

	// Jobs: the tenant's own, newest first; limit; a bad limit.
	jobs := decode[[]server.Job](t, call(t, "GET", api+"/deployment-jobs", auditor))
	if len(jobs) != 2 || jobs[0].ID != "d2" || jobs[1].ID != "d1" || jobs[0].TenantID != "acme" || jobs[1].Status != meta.StatusGenerated {
		t.Fatalf("acme's jobs: %+v", jobs)
	}
	if j := decode[[]server.Job](t, call(t, "GET", api+"/deployment-jobs?limit=1", auditor)); len(j) != 1 || j[0].ID != "d2" {
		t.Fatalf("limit=1: %+v", j)
	}
	call(t, "GET", api+"/deployment-jobs?limit=zero", auditor).want(t, "bad limit", 400, "bad_input")
	if j := decode[[]server.Job](t, call(t, "GET", api+"/deployment-jobs", f.tokens["globex/agent"])); len(j) != 1 || j[0].ID != "g1" {
		t.Fatalf("globex's jobs: %+v", j)
	}
	job := decode[server.Job](t, call(t, "GET", api+"/deployment-jobs/d1", auditor))
	if job.ID != "d1" || job.ReleaseID != "rel-7f3a" || job.EnvironmentID != "env-prod" || len(job.Tasks) == 0 {
		t.Fatalf("job d1: %+v", job)
	}

	// Tenant isolation: another tenant's ids look exactly like ids that do not exist.
	for _, p := range []string{"/deployment-jobs/g1", "/deployment-jobs/g1/artifacts", "/deployment-jobs/g1/artifacts/manifest", "/deployment-jobs/g1/artifacts/manifest.json"} {
		other := call(t, "GET", api+p, auditor)
		other.want(t, "acme reading globex "+p, 404, "not_found")
		absent := call(t, "GET", api+strings.Replace(p, "g1", "nope", 1), auditor)
		absent.want(t, "absent "+p, 404, "not_found")
		if strings.Contains(string(other.body), "globex") {
			t.Errorf("the answer to acme names globex: %s", other.body)
		}
	}
	call(t, "POST", api+"/deployment-jobs/g1/artifacts/manifest.json/verify", auditor).want(t, "verify other tenant's", 404, "not_found")

	// Artifacts: the recorded list is the stored set; every download is the stored bytes.
	setDir := filepath.Join(f.store, "acme", "d1")
	ents, err := os.ReadDir(setDir)
	if err != nil {
		t.Fatal(err)
	}
	arts := decode[[]server.Artifact](t, call(t, "GET", api+"/deployment-jobs/d1/artifacts", agent))
	if len(arts) != len(ents) {
		t.Fatalf("%d artifacts listed, %d files stored", len(arts), len(ents))
	}
	for _, a := range arts {
		stored, err := os.ReadFile(filepath.Join(setDir, a.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(stored)
		if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(stored)) || a.Type == "" {
			t.Errorf("artifact %+v does not describe the stored file (%d bytes)", a, len(stored))
		}
		r := call(t, "GET", api+"/deployment-jobs/d1/artifacts/"+a.Name, agent)
		r.want(t, "download "+a.Name, 200, "")
		if !bytes.Equal(r.body, stored) {
			t.Errorf("download %s: %d bytes differ from the stored %d", a.Name, len(r.body), len(stored))
		}
		if r.header.Get("ETag") != `"`+a.SHA256+`"` {
			t.Errorf("download %s: ETag %q", a.Name, r.header.Get("ETag"))
		}
		if want := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"; r.header.Get("Content-Digest") != want {
			t.Errorf("download %s: Content-Digest %q, want %q", a.Name, r.header.Get("Content-Digest"), want)
		}
		call(t, "GET", api+"/deployment-jobs/d1/artifacts/"+a.Name, agent, "If-None-Match", `"`+a.SHA256+`"`).want(t, "conditional "+a.Name, 304, "")
		v := decode[server.Verification](t, call(t, "POST", api+"/deployment-jobs/d1/artifacts/"+a.Name+"/verify", agent))
		if !v.Valid || v.Checksum != "valid" || v.Signature != "valid" || v.SHA256 != a.SHA256 || v.SignerKeyRef != "stella/signing/test" || len(v.Problems) != 0 {
			t.Errorf("verify intact %s: %+v", a.Name, v)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(setDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := call(t, "GET", api+"/deployment-jobs/d1/artifacts/manifest", auditor)
	m.want(t, "manifest", 200, "")
	if !bytes.Equal(m.body, manifest) || m.header.Get("Content-Type") != "application/json" {
		t.Errorf("manifest endpoint: %q, %d bytes; stored %d", m.header.Get("Content-Type"), len(m.body), len(manifest))
	}
	if r := call(t, "GET", api+"/deployment-jobs/d1/artifacts/manifest.json", auditor, "Range", "bytes=0-9"); r.status != 206 || !bytes.Equal(r.body, manifest[:10]) {
		t.Errorf("range: %d %q", r.status, r.body)
	}
	call(t, "GET", api+"/deployment-jobs/d1/artifacts/nope.yml", auditor).want(t, "unknown artifact", 404, "not_found")
	call(t, "GET", api+"/deployment-jobs/d1/artifacts/..%2fd2%2fmanifest.json", auditor).want(t, "traversal", 404, "not_found")
	call(t, "POST", api+"/deployment-jobs/d1/artifacts/nope.yml/verify", auditor).want(t, "verify unknown artifact", 404, "not_found")

	// Evidence: people read it, agents may not; as stored; another tenant's packet is absent.
	call(t, "GET", api+"/evidence", agent).want(t, "agent reads evidence", 403, "forbidden")
	var globexPacket string
	for _, role := range []string{"admin", "deployer", "auditor"} {
		ps := decode[[]json.RawMessage](t, call(t, "GET", api+"/evidence", f.tokens["acme/"+role]))
		if len(ps) != 2 {
			t.Fatalf("%s lists %d packets, want acme's 2", role, len(ps))
		}
	}
	if err := db.View(context.Background(), "globex", func(tx meta.Tx) error {
		es, err := tx.ListEvidence(context.Background(), 0)
		if len(es) == 1 {
			globexPacket = es[0].ID
		}
		return err
	}); err != nil || globexPacket == "" {
		t.Fatalf("globex's packet: %v", err)
	}
	var acme meta.Evidence
	if err := db.View(context.Background(), "acme", func(tx meta.Tx) error {
		es, err := tx.ListEvidence(context.Background(), 1)
		acme = es[0]
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := call(t, "GET", api+"/evidence/"+acme.ID, auditor); r.status != 200 || !bytes.Equal(r.body, acme.Packet) {
		t.Errorf("evidence %s: %d, not the stored packet", acme.ID, r.status)
	}
	if ps := decode[[]json.RawMessage](t, call(t, "GET", api+"/evidence?limit=1", auditor)); len(ps) != 1 || !bytes.Equal(ps[0], bytes.TrimSpace(acme.Packet)) {
		t.Errorf("evidence?limit=1: %d packets", len(ps))
	}
	call(t, "GET", api+"/evidence/"+globexPacket, auditor).want(t, "acme reading globex's packet", 404, "not_found")
	call(t, "GET", api+"/evidence/"+globexPacket, f.tokens["globex/agent"]).want(t, "globex agent reading evidence", 403, "forbidden")
	if r := call(t, "GET", api+"/evidence/"+globexPacket, f.tokens["globex/auditor"]); r.status != 200 {
		t.Errorf("globex auditor reading its packet: %d", r.status)
	}
	call(t, "DELETE", api+"/deployment-jobs/d1", f.tokens["acme/admin"]).want(t, "DELETE", 405, "method_not_allowed")
	call(t, "GET", api+"/nothing-here", auditor).want(t, "unknown endpoint", 404, "not_found")

	// Metrics count requests by route pattern and status.
	metrics := string(call(t, "GET", base+"/metrics", "").body)
	for _, want := range []string{
		`stella_http_requests_total{code="200",method="GET",route="GET /api/v1/deployment-jobs/{id}/artifacts/{name}"}`,
		`stella_http_requests_total{code="404",method="GET",route="GET /api/v1/deployment-jobs/{id}"}`,
		`stella_http_requests_total{code="401",method="GET",route="GET /api/v1/deployment-jobs"} 5`,
		`stella_http_request_duration_seconds_bucket{method="POST",route="POST /api/v1/deployment-jobs/{id}/artifacts/{name}/verify"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The log follows requests but never holds a token.
	l := logs.String()
	if !strings.Contains(l, "msg=request method=GET path=/api/v1/deployment-jobs/d1/artifacts/manifest status=200 bytes=") || !strings.Contains(l, "tenant=acme token=") {
		t.Errorf("log lacks the requests:\n%s", l)
	}
	for k, tok := range f.tokens {
		if strings.Contains(l, tok) || strings.Contains(l, strings.TrimPrefix(tok, server.TokenPrefix)) {
			t.Errorf("the log holds token %s", k)
		}
	}
}

// copyTree copies a store into a writable directory.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A tampered store: the artifact that changed verifies invalid (and is not served), the others of its
// set still verify; a wrong set signature makes every artifact of that set invalid.
func TestVerifyTampered(t *testing.T) {
	f := newFixture(t)
	tampered := filepath.Join(f.dir, "tampered")
	copyTree(t, f.store, tampered)
	lock := filepath.Join(tampered, "acme", "d1", "compose.stella.lock.yml")
	b, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(lock, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// d2 carries d1's signature of checksums.sha256: valid base64, wrong bytes.
	sig, err := os.ReadFile(filepath.Join(tampered, "acme", "d1", "checksums.sha256.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tampered, "acme", "d2", "checksums.sha256.sig"), sig, 0o644); err != nil {
		t.Fatal(err)
	}

	base, _, _ := f.serve(t, tampered)
	api, tok := base+"/api/v1/deployment-jobs", f.tokens["acme/deployer"]

	v := decode[server.Verification](t, call(t, "POST", api+"/d1/artifacts/compose.stella.lock.yml/verify", tok))
	if v.Valid || v.Checksum != "mismatch" || v.Signature != "valid" || v.SHA256 == v.ExpectedSHA256 || len(v.Problems) == 0 {
		t.Fatalf("tampered lock: %+v", v)
	}
	for _, p := range v.Problems {
		if p.File != "compose.stella.lock.yml" {
			t.Errorf("problem of another file reported for the lock: %+v", p)
		}
	}
	if v := decode[server.Verification](t, call(t, "POST", api+"/d1/artifacts/manifest.json/verify", tok)); !v.Valid {
		t.Errorf("intact manifest beside a tampered lock: %+v", v)
	}
	call(t, "GET", api+"/d1/artifacts/compose.stella.lock.yml", tok).want(t, "download tampered", 422, "verification_failed")

	v = decode[server.Verification](t, call(t, "POST", api+"/d2/artifacts/stella.version.json/verify", tok))
	if v.Valid || v.Signature != "invalid" || v.Checksum != "valid" {
		t.Fatalf("set with a foreign signature: %+v", v)
	}
	if !slices.ContainsFunc(v.Problems, func(p fault.Problem) bool {
		return strings.Contains(p.Message, "does not verify")
	}) {
		t.Errorf("no signature problem named: %+v", v.Problems)
	}
	// The untouched tenant is unaffected.
	if v := decode[server.Verification](t, call(t, "POST", api+"/g1/artifacts/compose.stella.lock.yml/verify", f.tokens["globex/auditor"])); !v.Valid {
		t.Errorf("globex's intact lock: %+v", v)
	}
}

// The same handler behind httptest, with a server whose database is closed: 503 on health, the
// envelope with a generic message (no SQL, no paths) on the API.
func TestDatabaseDown(t *testing.T) {
	f := newFixture(t)
	db, err := connect.Open(context.Background(), f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Store: local.New(f.store), Log: slog.New(slog.NewTextHandler(logs, nil))}))
	defer srv.Close()
	db.Close()
	call(t, "GET", srv.URL+"/healthz", "").want(t, "healthz with the database closed", 503, "")
	r := call(t, "GET", srv.URL+"/api/v1/deployment-jobs", f.tokens["acme/admin"])
	r.want(t, "API with the database closed", 500, "operational")
	if strings.Contains(string(r.body), "sql") || strings.Contains(string(r.body), f.data) {
		t.Errorf("500 leaks details: %s", r.body)
	}
	if !strings.Contains(logs.String(), "request failed") {
		t.Errorf("the failure is not logged: %s", logs.String())
	}
}
