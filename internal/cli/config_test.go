package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One mapping for every command: flags > $STELLA_* > the config file (a command's section over the top
// level) > defaults.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "stella.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// keys list takes --keyring: the file names a keyring with one key.
	if _, errs, code := runCLI(t, "keys", "generate", "from/file", "--alg", "EdDSA", "--keyring", filepath.Join(dir, "kfile")); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := runCLI(t, "keys", "generate", "from/section", "--alg", "EdDSA", "--keyring", filepath.Join(dir, "ksection")); code != 0 {
		t.Fatal(errs)
	}
	t.Setenv("STELLA_KEYRING", "")
	write("keyring: " + filepath.Join(dir, "kfile") + "\n")
	out, errs, code := runCLI(t, "--config", cfg, "keys", "list")
	if code != 0 || !strings.Contains(out, "from/file") {
		t.Fatalf("file value: %d %q %s", code, out, errs)
	}
	write("keyring: " + filepath.Join(dir, "kfile") + "\nkeys list:\n  keyring: " + filepath.Join(dir, "ksection") + "\n")
	if out, _, _ := runCLI(t, "--config", cfg, "keys", "list"); !strings.Contains(out, "from/section") {
		t.Errorf("the command's section does not win: %q", out)
	}
	if out, _, _ := runCLI(t, "--config", cfg, "keys", "list", "--keyring", filepath.Join(dir, "kfile")); !strings.Contains(out, "from/file") {
		t.Errorf("the flag does not win: %q", out)
	}
	t.Setenv("STELLA_KEYRING", filepath.Join(dir, "none"))
	if out, _, _ := runCLI(t, "--config", cfg, "keys", "list"); strings.Contains(out, "from/") {
		t.Errorf("$STELLA_KEYRING does not beat the file: %q", out)
	}
	// An environment variable beats the file: --output from $STELLA_OUTPUT.
	write("output: text\n")
	t.Setenv("STELLA_OUTPUT", "json")
	if out, _, _ := runCLI(t, "--config", cfg, "version"); !strings.Contains(out, `"version"`) {
		t.Errorf("$STELLA_OUTPUT does not beat the file: %q", out)
	}
	if _, errs, code := runCLI(t, "--config", filepath.Join(dir, "missing.yaml"), "version"); code != 2 || !strings.Contains(errs, "missing.yaml") {
		t.Errorf("a named config file that is missing: %d %s", code, errs)
	}
	write("output: [unclosed\n")
	if _, errs, code := runCLI(t, "--config", cfg, "version"); code != 2 || !strings.Contains(errs, "stella.yaml") {
		t.Errorf("a bad config file: %d %s", code, errs)
	}
}
