package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/cli"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
)

// fuzzFixture is a small real installation: one signing key, one deployment of tenant acme (d1) and one
// of tenant globex (gx-only-7), generated through the command line into a local store and an SQLite
// database, and a token of each of the roles used.
type fuzzFixture struct {
	h      http.Handler
	log    *syncBuffer
	tokens []string // "" (none), acme admin, acme agent, globex auditor, a made-up token
}

func newFuzzFixture(f *testing.F) *fuzzFixture {
	dir := f.TempDir()
	data, st, keys := filepath.Join(dir, "data"), filepath.Join(dir, "store"), filepath.Join(dir, "keys")
	dbURL := connect.URL(data, "")
	run := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), args, &out, &errb); code != 0 {
			f.Fatalf("stella %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	run("keys", "generate", "stella/signing/test", "--alg", "EdDSA", "--keyring", keys)
	for i, d := range []struct{ tenant, id string }{{"acme", "d1"}, {"globex", "gx-only-7"}} {
		promo := filepath.Join(dir, d.id+"-promotion.yaml")
		if err := os.WriteFile(promo, []byte("id: promo-"+d.id+"\nreleaseId: rel-7f3a\nenvironmentId: env-prod\n"+
			"requester: {id: u-1, name: Jane Doe}\ndecision: allow\n"), 0o644); err != nil {
			f.Fatal(err)
		}
		run("generate", "--release", examples+"/release.yaml", "--environment", examples+"/environment.yaml", "--promotion", promo,
			"--tenant", d.tenant, "--deployment-id", d.id, "--key", "stella/signing/test", "--keyring", keys,
			"--store", st, "--database", dbURL, "--now", time.Date(2026, 1, 10, 14, i, 0, 0, time.UTC).Format(time.RFC3339))
	}
	fx := &fuzzFixture{log: &syncBuffer{}, tokens: []string{""}}
	for _, tr := range [][2]string{{"acme", "admin"}, {"acme", "agent"}, {"globex", "auditor"}} {
		args := []string{"tokens", "create", "--tenant", tr[0], "--role", tr[1], "--database", dbURL}
		if tr[1] == "agent" {
			args = append(args, "--target", "tgt-web-01") // an agent token reads one target's jobs
		}
		fx.tokens = append(fx.tokens, run(args...))
	}
	fx.tokens = append(fx.tokens, server.TokenPrefix+"made-up-token-0000000000000000")
	db, err := connect.Open(context.Background(), dbURL)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(fx.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fx.h = server.New(server.Config{DB: db, Store: local.New(st), Keys: verify.Keys{Keyring: &sign.Keyring{Dir: keys}}, Log: log})
	return fx
}

// FuzzHandler sends the API arbitrary requests — method, path (with query), body, and one of: no
// token, an acme admin's, an acme agent's, a globex auditor's, a made-up one — through the HTTP
// request parser into the real handler over a real SQLite database and store. No request makes it
// panic or fail with a 5xx; every error is the one JSON envelope with a code; an acme caller never sees
// anything of globex (its tenant name or deployment id) that the request did not itself contain; a
// request for an API route without a valid token gets 401 (or a redirect to the clean path); and neither the answer
// nor the log ever holds a token.
func FuzzHandler(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, s := range []struct {
		who          uint8
		method, path string
		body         string
	}{
		{1, "GET", "/api/v1/deployment-jobs", ""},
		{1, "GET", "/api/v1/deployment-jobs?limit=1", ""},
		{1, "GET", "/api/v1/deployment-jobs?limit=-1&limit=99999999999999999999", ""},
		{1, "GET", "/api/v1/deployment-jobs/d1", ""},
		{1, "GET", "/api/v1/deployment-jobs/gx-only-7", ""},
		{3, "GET", "/api/v1/deployment-jobs/gx-only-7/artifacts", ""},
		{1, "GET", "/api/v1/deployment-jobs/d1/artifacts/manifest", ""},
		{1, "GET", "/api/v1/deployment-jobs/d1/artifacts/compose.stella.lock.yml", ""},
		{1, "GET", "/api/v1/deployment-jobs/d1/artifacts/..%2f..%2fgx-only-7%2fmanifest.json", ""},
		{1, "GET", "/api/v1/deployment-jobs/..%2fglobex%2fgx-only-7/artifacts", ""},
		{2, "POST", "/api/v1/deployment-jobs/d1/artifacts/manifest.json/verify", "{}"},
		{1, "POST", "/api/v1/deployment-jobs/d1/artifacts/manifest.json/verify", `{"x":` + strings.Repeat("[", 5000)},
		{2, "GET", "/api/v1/evidence", ""},
		{1, "GET", "/api/v1/evidence?limit=0", ""},
		{1, "GET", "/api/v1/evidence/promo-d1", ""},
		{0, "GET", "/api/v1/deployment-jobs", ""},
		{4, "GET", "/api/v1/deployment-jobs", ""},
		{1, "DELETE", "/api/v1/deployment-jobs/d1", ""},
		{1, "POST", "/api/v1/deployment-jobs", `{"releaseId":"rel-7f3a","tenantId":"globex"}`},
		{1, "PUT", "/api/v1/evidence/x", "\x00\xff"},
		{1, "GET", "/healthz", ""},
		{1, "GET", "/metrics", ""},
		{1, "GET", "//api/v1/../v1/./deployment-jobs", ""},
		{1, "GET", "/api/v1/deployment-jobs/%00", ""},
		{1, "GET", "*", ""},
		{1, "BREW", "/api/v1/deployment-jobs/d1", ""},
	} {
		f.Add(s.who, s.method, s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, who uint8, method, target string, body []byte) {
		tok := fx.tokens[int(who)%len(fx.tokens)]
		var raw bytes.Buffer
		fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: stella.test\r\n", method, target)
		if tok != "" {
			fmt.Fprintf(&raw, "Authorization: Bearer %s\r\n", tok)
		}
		fmt.Fprintf(&raw, "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		raw.Write(body)
		req, err := http.ReadRequest(bufio.NewReader(&raw))
		if err != nil || req.Method != method {
			return // the server's own parser answers 400 before any handler runs
		}
		req.RemoteAddr = "192.0.2.1:1234"
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		res := rec.Result()
		out := rec.Body.String()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, res.StatusCode, out)
		}
		for _, secret := range fx.tokens[1:] {
			if strings.Contains(out, secret) {
				t.Fatalf("%s %s: the answer holds a token", method, target)
			}
		}
		if who%uint8(len(fx.tokens)) == 1 || who%uint8(len(fx.tokens)) == 2 {
			asked := strings.ToLower(target + string(body))
			for _, other := range []string{"globex", "gx-only-7"} {
				if strings.Contains(strings.ToLower(out), other) && !strings.Contains(asked, other) {
					t.Fatalf("%s %s as acme: the answer shows %s's %q:\n%s", method, target, "globex", other, out)
				}
			}
		}
		// Without a valid token an API route answers 401, or the router's redirect of an unclean path
		// ("/api//v1/x", "/api/v1/./x") to its clean form, which carries nothing but the path.
		route := req.Pattern
		if (tok == "" || strings.Contains(tok, "made-up")) && strings.Contains(route, " /api/") {
			if res.StatusCode != http.StatusUnauthorized && !(res.StatusCode/100 == 3 && res.Header.Get("Location") != "") {
				t.Fatalf("%s %s without a valid token: %d %s", method, target, res.StatusCode, out)
			}
		}
		if res.StatusCode >= 400 && method != http.MethodHead {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s: %d is not the error envelope: %q", method, target, res.StatusCode, out)
			}
		}
		logs := fx.log.String()
		for _, secret := range fx.tokens[1:] {
			if strings.Contains(logs, secret) {
				t.Fatalf("%s %s: the log holds a token", method, target)
			}
		}
	})
}
