package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/verify"
	"github.com/stella-ops/stella/internal/web"
	"github.com/stella-ops/stella/internal/web/webtest"
)

// browser is a cookie-keeping client that does not follow redirects (the tests look at them).
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, res)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	res, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, res)
}

func read(t *testing.T, res *http.Response) page {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{res.StatusCode, res.Header, string(body)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// withoutCSRF is a page's body with its CSRF tokens (random, so any text may turn up in them) blanked.
func withoutCSRF(body string) string {
	return csrfField.ReplaceAllString(body, `name="csrf" value="CSRF"`)
}

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", p.body)
	}
	return m[1]
}

func (b *browser) signIn(token string) {
	b.t.Helper()
	form := b.get("/ui/signin")
	res := b.post("/ui/signin", url.Values{"csrf": {csrfOf(b.t, form)}, "token": {token}, "next": {"/ui/deployments"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/ui/deployments" {
		b.t.Fatalf("sign-in: %d %s\n%s", res.status, res.header.Get("Location"), res.body)
	}
}

// sessionCookie signs in with token and returns the Set-Cookie header of the session cookie.
func (b *browser) sessionCookie(token string) string {
	b.t.Helper()
	form := b.get("/ui/signin")
	res, err := b.c.PostForm(b.base+"/ui/signin", url.Values{"csrf": {csrfOf(b.t, form)}, "token": {token}})
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "stella_session=") {
			return c
		}
	}
	return ""
}

func must(t *testing.T, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

func TestSignInSessionAndSignOut(t *testing.T) {
	f := webtest.New(t)
	base := f.Serve(t)
	b := newBrowser(t, base)
	// Not signed in: every page leads to the sign-in form, keeping where it was going.
	if p := b.get("/ui/deployments/d1"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/signin?next=%2Fui%2Fdeployments%2Fd1" {
		t.Fatalf("anonymous: %d %q", p.status, p.header.Get("Location"))
	}
	form := b.get("/ui/signin")
	must(t, form, 200, `<html lang="en">`, `<label for="token">`, `type="password"`)
	csrf := csrfOf(t, form)
	// The sign-in form needs its CSRF token too; wrong tokens and agents' tokens are refused.
	must(t, b.post("/ui/signin", url.Values{"token": {f.Tokens["acme/admin"]}}), 403, "CSRF")
	must(t, b.post("/ui/signin", url.Values{"csrf": {csrf}, "token": {"stl_nope"}}), 401, "unknown, expired or revoked")
	must(t, b.post("/ui/signin", url.Values{"csrf": {csrfOf(t, b.get("/ui/signin"))}, "token": {f.Tokens["acme/agent"]}}), 403, "agent")

	b.signIn(f.Tokens["acme/admin"])
	var session *http.Cookie
	u, _ := url.Parse(base + "/ui/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "stella_session" {
			session = c
		}
		if strings.Contains(c.Value, f.Tokens["acme/admin"]) {
			t.Fatalf("cookie %s carries the token", c.Name)
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	p := b.get("/ui/deployments")
	must(t, p, 200, "acme admin", "tenant acme", `href="/ui/deployments/d1"`, `href="/ui/deployments/d2"`, "Jane Doe", "John Roe (approved)")
	if strings.Contains(withoutCSRF(p.body), "g1") {
		t.Fatal("acme's timeline shows globex's deployment")
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("CSP %q", p.header.Get("Content-Security-Policy"))
	}
	// The Set-Cookie of the sign-in: HttpOnly and SameSite=Strict.
	set := newBrowser(t, base).sessionCookie(f.Tokens["acme/auditor"])
	if !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") || !strings.Contains(set, "Path=/ui/") {
		t.Fatalf("session cookie %q", set)
	}

	// Sign-out needs the CSRF token, then the session is gone (also for a copy of the cookie).
	must(t, b.post("/ui/signout", url.Values{}), 403, "CSRF")
	out := b.post("/ui/signout", url.Values{"csrf": {csrfOf(t, b.get("/ui/deployments"))}})
	if out.status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", out.status)
	}
	replay := newBrowser(t, base)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "stella_session", Value: session.Value, Path: "/ui/"}})
	if p := replay.get("/ui/deployments"); p.status != http.StatusSeeOther {
		t.Fatalf("signed-out session still answers %d", p.status)
	}
}

func TestRevokedTokenEndsSession(t *testing.T) {
	f := webtest.New(t)
	b := newBrowser(t, f.Serve(t))
	tok := strings.TrimSpace(webtest.Stella(t, "tokens", "create", "--tenant", "acme", "--role", "auditor", "--data", f.Data, "--output", "json"))
	var id, secret string
	for _, kv := range regexp.MustCompile(`"(id|token)":\s*"([^"]+)"`).FindAllStringSubmatch(tok, -1) {
		if kv[1] == "id" {
			id = kv[2]
		} else {
			secret = kv[2]
		}
	}
	b.signIn(secret)
	must(t, b.get("/ui/environments"), 200, "production")
	webtest.Stella(t, "tokens", "revoke", id, "--tenant", "acme", "--data", f.Data)
	if p := b.get("/ui/environments"); p.status != http.StatusSeeOther {
		t.Fatalf("revoked token's session answers %d", p.status)
	}
}

func TestPagesAndTenantScope(t *testing.T) {
	f := webtest.New(t)
	b := newBrowser(t, f.Serve(t))
	b.signIn(f.Tokens["acme/admin"])
	must(t, b.get("/ui/environments"), 200, `href="/ui/environments/env-prod"`, "d2")
	env := b.get("/ui/environments/env-prod")
	must(t, env, 200, "<h1>Environment", "tgt-web-01", "unknown: never checked", "Check drift now", `href="/ui/deployments/d1"`)
	dep := b.get("/ui/deployments/d1")
	must(t, dep, 200, "<h1>Deployment d1</h1>", "compose.stella.lock.yml", "manifest.json", `href="/ui/deployments/d1/artifacts/manifest.json"`,
		"sha256:", "Verify now", `data-packet="valid"`, "/report.pdf", "/packet.json", "two-approvers")
	// Another tenant's deployment looks exactly like an absent one.
	other, absent := b.get("/ui/deployments/g1"), b.get("/ui/deployments/zz")
	must(t, other, 404, "Not found")
	must(t, absent, 404, "Not found")
	if strings.ReplaceAll(withoutCSRF(other.body), "g1", "ID") != strings.ReplaceAll(withoutCSRF(absent.body), "zz", "ID") {
		t.Fatalf("another tenant's deployment differs from an absent one:\n%s\n---\n%s", other.body, absent.body)
	}
	must(t, b.get("/ui/deployments/g1/artifacts/manifest.json"), 404)
	must(t, b.get("/ui/environments/env-nope"), 404)

	// Downloads are the stored bytes.
	dl := b.get("/ui/deployments/d1/artifacts/manifest.json")
	want, err := os.ReadFile(filepath.Join(f.SetDir("acme", "d1"), "manifest.json"))
	if err != nil || dl.status != 200 || dl.body != string(want) {
		t.Fatalf("download: %d, %d bytes (want %d), %v", dl.status, len(dl.body), len(want), err)
	}

	// Evidence: the chain, filters, one packet, its JSON as stored and its PDF.
	ev := b.get("/ui/evidence")
	must(t, ev, 200, `data-chain="intact"`, "rel-7f3a", "env-prod")
	must(t, b.get("/ui/evidence?release=rel-other"), 200, "No packets match.")
	must(t, b.get("/ui/evidence?environment=env-prod&from=2026-01-01&to=2099-01-01"), 200, `href="/ui/deployments/d2"`)
	must(t, b.get("/ui/evidence?from=yesterday"), 400, "YYYY-MM-DD")
	must(t, b.get("/ui/evidence?from=2099-01-01"), 200, "No packets match.")
	must(t, b.get("/ui/evidence?to=2020-01-01"), 200, "No packets match.")
	id := regexp.MustCompile(`href="/ui/evidence/([^"/]+)"`).FindStringSubmatch(ev.body)[1]
	must(t, b.get("/ui/evidence/"+id), 200, `data-packet="valid"`, "Jane Doe")
	js := b.get("/ui/evidence/" + id + "/packet.json")
	db, err := connect.Open(context.Background(), connect.URL(f.Data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored meta.Evidence
	if err := db.View(context.Background(), "acme", func(tx meta.Tx) error { stored, err = tx.Evidence(context.Background(), id); return err }); err != nil {
		t.Fatal(err)
	}
	if js.body != string(stored.Packet) {
		t.Fatal("evidence JSON is not the packet as stored")
	}
	if pdf := b.get("/ui/evidence/" + id + "/report.pdf"); pdf.status != 200 || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Fatalf("pdf: %d %.20q", pdf.status, pdf.body)
	}
	gb := newBrowser(t, b.base)
	gb.signIn(f.Tokens["globex/admin"])
	must(t, gb.get("/ui/evidence/"+id), 404)
	must(t, gb.get("/ui/evidence/"+id+"/report.pdf"), 404)
}

func TestVerifyNowAndTamper(t *testing.T) {
	f := webtest.New(t)
	b := newBrowser(t, f.Serve(t))
	b.signIn(f.Tokens["acme/auditor"])
	dep := b.get("/ui/deployments/d1")
	must(t, b.post("/ui/deployments/d1/verify", url.Values{}), 403, "CSRF")
	must(t, b.post("/ui/deployments/d1/verify", url.Values{"csrf": {"forged"}}), 403, "CSRF")
	must(t, b.post("/ui/deployments/d1/verify", url.Values{"csrf": {csrfOf(t, dep)}}), 200, `data-verdict="valid"`, `data-artifact="compose.stella.lock.yml" data-valid="true"`)
	f.Tamper(t, "acme", "d1", "compose.stella.lock.yml")
	p := b.post("/ui/deployments/d1/verify", url.Values{"csrf": {csrfOf(t, dep)}})
	must(t, p, 200, `data-verdict="invalid"`, `data-artifact="compose.stella.lock.yml" data-valid="false"`, "compose.stella.lock.yml: ")
	if !strings.Contains(p.body, `data-artifact="manifest.json" data-valid="true"`) {
		t.Fatal("an untouched artifact is not shown valid")
	}
	// The tampered bytes are not served.
	must(t, b.get("/ui/deployments/d1/artifacts/compose.stella.lock.yml"), 422, "not served")
	// Another tenant's verify is not found.
	must(t, b.post("/ui/deployments/g1/verify", url.Values{"csrf": {csrfOf(t, dep)}}), 404)
}

func TestRolesAndDriftCheck(t *testing.T) {
	f := webtest.New(t)
	base := f.Serve(t)
	aud := newBrowser(t, base)
	aud.signIn(f.Tokens["acme/auditor"])
	for _, path := range []string{"/ui/environments", "/ui/environments/env-prod", "/ui/deployments", "/ui/deployments/d1", "/ui/evidence"} {
		p := aud.get(path)
		must(t, p, 200)
		if strings.Contains(p.body, "drift-check") || strings.Contains(p.body, "Check drift now") {
			t.Fatalf("auditor sees a write button on %s", path)
		}
	}
	env := aud.get("/ui/environments/env-prod")
	must(t, aud.post("/ui/environments/env-prod/targets/tgt-web-01/drift-check", url.Values{"csrf": {csrfOf(t, env)}}), 403, "may not")

	adm := newBrowser(t, base)
	adm.signIn(f.Tokens["acme/deployer"])
	env = adm.get("/ui/environments/env-prod")
	must(t, adm.post("/ui/environments/env-prod/targets/tgt-web-01/drift-check", url.Values{}), 403, "CSRF")
	must(t, adm.post("/ui/environments/env-prod/targets/tgt-nope/drift-check", url.Values{"csrf": {csrfOf(t, env)}}), 404)
	p := adm.post("/ui/environments/env-prod/targets/tgt-web-01/drift-check", url.Values{"csrf": {csrfOf(t, env)}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/ui/environments/env-prod?queued=drift-") {
		t.Fatalf("drift check: %d %s", p.status, p.header.Get("Location"))
	}
	must(t, adm.get(p.header.Get("Location")), 200, "Drift check queued")
	db, err := connect.Open(context.Background(), connect.URL(f.Data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(context.Background(), "acme", func(tx meta.Tx) error {
		ks, err := tx.AgentTasks(context.Background(), "tgt-web-01", "read-sticker", 10)
		if err == nil && len(ks) != 1 {
			t.Errorf("queued read-sticker tasks: %d, want 1", len(ks))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The target's agent answers (as the API records it): a sticker was issued for d1, and the check
	// found another release on the host. The page says so in words, with the state's colour and time.
	f.Checked(t, "acme", "tgt-web-01", "d1", time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		drift.Result{DriftDetected: true, DriftType: "mismatch", Differences: []drift.Difference{{Field: "release.id", ExpectedDigest: "rel-7f3a", ActualDigest: "rel-old"}}})
	env = aud.get("/ui/environments/env-prod")
	must(t, env, 200, `class="badge mismatch" data-drift="mismatch">mismatch: another release or other digests than issued`,
		`checked <time datetime="2026-03-04T05:06:07Z">2026-03-04 05:06:07 UTC</time>`, "release.id: expected rel-7f3a, found rel-old",
		`deployment <a href="/ui/deployments/d1">d1</a>`, "(rel-7f3a)", `data-drift="unknown">unknown: never checked`)
}

// Over TLS the session cookie is also Secure.
func TestSecureCookieOverTLS(t *testing.T) {
	f := webtest.New(t)
	db, err := connect.Open(context.Background(), connect.URL(f.Data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	api := server.New(server.Config{DB: db, Store: local.New(f.Store), Keys: verify.Keys{Keyring: &sign.Keyring{Dir: f.Keys}}})
	ui, err := web.New(web.Config{API: api})
	if err != nil {
		t.Fatal(err)
	}
	api.Mount(web.Prefix, ui)
	ts := httptest.NewTLSServer(api)
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	b.c.Transport = ts.Client().Transport
	set := b.sessionCookie(f.Tokens["acme/auditor"])
	if !strings.Contains(set, "; Secure") || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") {
		t.Fatalf("session cookie over TLS: %q", set)
	}
	must(t, b.get("/ui/deployments/d1"), 200, "Deployment d1")
}

// Sessions live in the database: one opened through a server is known to another on the same database
// (a restart, or a second replica), and signing out through either ends it for both.
func TestSessionSharedByServers(t *testing.T) {
	f := webtest.New(t)
	one, two := f.Serve(t), f.Serve(t)
	b := newBrowser(t, one)
	b.signIn(f.Tokens["acme/auditor"])
	must(t, b.get("/ui/environments"), 200, "production")
	other := &browser{t: t, base: two, c: b.c} // the same cookies (they do not depend on the port)
	must(t, other.get("/ui/environments"), 200, "production")
	must(t, other.post("/ui/signout", url.Values{"csrf": {csrfOf(t, other.get("/ui/environments"))}}), http.StatusSeeOther)
	if p := b.get("/ui/environments"); p.status != http.StatusSeeOther {
		t.Fatalf("after signing out through the other server, the first still answers %d", p.status)
	}
}

// A deployment under a legal hold says so on its page, with who, since when, why and the packet.
func TestDeploymentShowsHold(t *testing.T) {
	f := webtest.New(t)
	webtest.Stella(t, "retention", "hold", "acme/d1", "--reason", "litigation hold 2026-17", "--data", f.Data, "--store", f.Store, "--keyring", f.Keys)
	b := newBrowser(t, f.Serve(t))
	b.signIn(f.Tokens["acme/auditor"])
	must(t, b.get("/ui/deployments/d1"), 200, `id="hold"`, "litigation hold 2026-17", `href="/ui/evidence/ev-`)
	if p := b.get("/ui/deployments/d2"); strings.Contains(p.body, `id="hold"`) {
		t.Error("a deployment without a hold shows one")
	}
}
