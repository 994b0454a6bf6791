package lockfile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
)

// A lock turned back into a template keeps every pinned image and the user's own labels, and loses what
// Stella added: the header, the x-stella block, the stella.* labels and the "# Original tag" comments.
func TestTemplateOf(t *testing.T) {
	s, err := (sign.Keyring{Dir: t.TempDir()}).Generate("stella/signing/t", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	res, err := quickstart.Generate(context.Background(), t.TempDir(), s, "acme", "d1", time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var lock []byte
	for _, f := range res.Files {
		if f.Name == "compose.stella.lock.yml" {
			lock = f.Data
		}
	}
	tpl, err := lockfile.TemplateOf(lock)
	if err != nil {
		t.Fatal(err)
	}
	text := string(tpl)
	for _, gone := range []string{"x-stella", "stella.digest", "stella.release.id", "DO NOT EDIT", "Original tag"} {
		if strings.Contains(text, gone) {
			t.Errorf("the template still has %q:\n%s", gone, text)
		}
	}
	want, err := lockfile.Load(context.Background(), "lock", lock, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lockfile.Load(context.Background(), "template", tpl, "/", nil)
	if err != nil {
		t.Fatalf("the template does not load: %v\n%s", err, text)
	}
	for name, svc := range want.Services {
		if got.Services[name].Image != svc.Image || !strings.Contains(svc.Image, "@sha256:") {
			t.Errorf("service %s: image %q, the lock's %q", name, got.Services[name].Image, svc.Image)
		}
	}
	if _, err := lockfile.TemplateOf([]byte("- a list\n")); err == nil {
		t.Error("a YAML list was taken for a lock")
	}
}
