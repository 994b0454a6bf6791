// Package web drives the web interface in a real browser: Debian's chromium, headless, through the
// DevTools protocol (chromedp), against `stella serve` on 127.0.0.1. It signs in with a token, opens a
// deployment, presses "verify now" before and after an artifact is tampered with in the store, opens
// another tenant's deployment, looks for write buttons as an auditor, and posts a form without its
// CSRF token. Screenshots of the main pages go to $STELLA_SCREENSHOTS (default: a temporary directory).
package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/internal/web/webtest"
)

// step bounds each browser action.
const step = 30 * time.Second

// browser starts a headless chromium of its own (its own profile, so its own cookies).
func browser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.DisableGPU,
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses to run as root with its sandbox
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start the browser (no timeout on this first call)
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return ctx
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

func shots(t *testing.T) string {
	dir := os.Getenv("STELLA_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("h1")))
}

var verifyButton = chromedp.Search(`//button[normalize-space()="Verify now"]`)

func buttons(t *testing.T, ctx context.Context, label string) int {
	t.Helper()
	return get(t, ctx, "count buttons", chromedp.Evaluate[int](`[...document.querySelectorAll('button')].filter(b => b.textContent.trim() === `+"`"+label+"`"+`).length`))
}

func TestBrowser(t *testing.T) {
	exe := testenv.Command(t, "chromium")
	f := webtest.New(t)
	base := f.Serve(t)
	dir := shots(t)

	ctx := browser(t, exe)
	// Sign in with a token on the way to a deployment; the browser comes back to it.
	do(t, ctx, "open a deployment", chromedp.Navigate(base+"/ui/deployments/d1"), chromedp.WaitVisible(chromedp.CSS("#token")))
	screenshot(t, ctx, dir, "signin")
	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS("#token"), f.Tokens["acme/admin"]),
		chromedp.Click(chromedp.CSS(`form[action="/ui/signin"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	if loc := get(t, ctx, "location", chromedp.Location()); loc != base+"/ui/deployments/d1" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	if h := text(t, ctx, "h1"); h != "Deployment d1" {
		t.Fatalf("heading %q", h)
	}

	// Verify now: valid.
	do(t, ctx, "press verify now", chromedp.Click(verifyButton), chromedp.WaitVisible(chromedp.CSS("#verdict")))
	if v := text(t, ctx, "#verdict"); !strings.HasPrefix(v, "valid") {
		t.Fatalf("verdict %q, want valid", v)
	}
	screenshot(t, ctx, dir, "deployment-valid")

	// Tamper with an artifact in the store, verify again: invalid, naming it.
	f.Tamper(t, "acme", "d1", "compose.stella.lock.yml")
	do(t, ctx, "press verify now again", chromedp.Click(verifyButton), chromedp.WaitVisible(chromedp.CSS("#verdict[data-verdict=invalid]")))
	if v := text(t, ctx, "#verdict"); !strings.HasPrefix(v, "invalid") {
		t.Fatalf("verdict %q, want invalid", v)
	}
	if cell := text(t, ctx, `td[data-artifact="compose.stella.lock.yml"]`); !strings.Contains(cell, "invalid") || !strings.Contains(cell, "compose.stella.lock.yml:") {
		t.Fatalf("the tampered artifact's cell says %q", cell)
	}
	if cell := text(t, ctx, `td[data-artifact="manifest.json"]`); cell != "valid" {
		t.Fatalf("an untouched artifact's cell says %q", cell)
	}
	screenshot(t, ctx, dir, "deployment-invalid")

	// Another tenant's deployment: not found, as an absent one.
	open(t, ctx, base+"/ui/deployments/g1")
	other := text(t, ctx, "main")
	open(t, ctx, base+"/ui/deployments/zz")
	if absent := text(t, ctx, "main"); !strings.HasPrefix(other, "Not found") || strings.ReplaceAll(other, "g1", "X") != strings.ReplaceAll(absent, "zz", "X") {
		t.Fatalf("another tenant's deployment shows %q, an absent one %q", other, absent)
	}

	// The main pages, for the record; the admin sees the write button. One target's agent reported
	// its sticker in sync, the other's a sticker of another release: colour and words.
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	f.Checked(t, "acme", "tgt-web-01", "d2", at, drift.Result{})
	f.Checked(t, "acme", "tgt-web-02", "d1", at, drift.Result{DriftDetected: true, DriftType: "mismatch",
		Differences: []drift.Difference{{Field: "release.id", ExpectedDigest: "rel-7f3a", ActualDigest: "rel-6e21"}}})
	open(t, ctx, base+"/ui/environments/env-prod")
	if got := text(t, ctx, `[data-drift=mismatch]`); got != "mismatch: another release or other digests than issued" {
		t.Fatalf("the mismatched target's drift says %q", got)
	}
	if got := text(t, ctx, `[data-drift=none]`); got != "none: in sync with its sticker" {
		t.Fatalf("the target in sync says %q", got)
	}
	if n := buttons(t, ctx, "Check drift now"); n != 2 {
		t.Fatalf("admin sees %d drift-check buttons, want one per target (2)", n)
	}
	screenshot(t, ctx, dir, "environment")
	do(t, ctx, "open the evidence chain", chromedp.Navigate(base+"/ui/evidence"), chromedp.WaitVisible(chromedp.CSS("[data-chain=intact]")))
	screenshot(t, ctx, dir, "evidence")

	// A form posted without its CSRF token is refused.
	open(t, ctx, base+"/ui/deployments/d2")
	do(t, ctx, "post verify without the CSRF token",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector('form[action$="/verify"] input[name=csrf]').remove() === undefined`)(ctx, tg)
			return err
		}),
		chromedp.Click(verifyButton),
		chromedp.WaitVisible(chromedp.CSS("[data-status]")),
	)
	status := get(t, ctx, "read the status", chromedp.AttributeValue(chromedp.CSS("[data-status]"), "data-status"))
	if msg := text(t, ctx, "[data-status]"); status.Value != "403" || !strings.Contains(msg, "CSRF") {
		t.Fatalf("a POST without the CSRF token answered %s %q", status.Value, msg)
	}

	// An auditor (its own browser, its own cookies) signs in with the keyboard alone — the token field
	// has the focus, Enter submits — and sees no write button anywhere.
	actx := browser(t, exe)
	do(t, actx, "open the sign-in page", chromedp.Navigate(base+"/ui/environments/env-prod"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if id := get(t, actx, "focused element", chromedp.Evaluate[string](`document.activeElement.id`)); id != "token" {
		t.Fatalf("the sign-in page has the focus on %q, not the token field", id)
	}
	do(t, actx, "type the token and press Enter",
		chromedp.KeyEvent(f.Tokens["acme/auditor"]),
		chromedp.KeyEvent("\r"),
		chromedp.WaitNotPresent(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	// The skip link is the first stop of Tab and leads to the content.
	do(t, actx, "press Tab", chromedp.KeyEvent("\t"))
	if txt := get(t, actx, "focused element", chromedp.Evaluate[string](`document.activeElement.textContent`)); txt != "Skip to content" {
		t.Fatalf("the first Tab stop is %q", txt)
	}
	for _, path := range []string{"/ui/environments/env-prod", "/ui/deployments/d2", "/ui/evidence", "/ui/environments", "/ui/deployments"} {
		open(t, actx, base+path)
		if h := text(t, actx, "h1"); h == "Not found" || h == "Sign in to Stella" {
			t.Fatalf("auditor on %s: %q", path, h)
		}
		if n := buttons(t, actx, "Check drift now"); n != 0 {
			t.Fatalf("the auditor sees %d drift-check buttons on %s", n, path)
		}
		if n := get(t, actx, "count write forms", chromedp.Evaluate[int](`document.querySelectorAll('form[action*="drift-check"]').length`)); n != 0 {
			t.Fatalf("the auditor's %s has %d drift-check forms", path, n)
		}
	}
	screenshot(t, actx, dir, "deployments-auditor")
	t.Logf("screenshots in %s", dir)
}
