package lockfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A template given as bytes (the API's) never makes Stella read a file of its host; the same template
// read from its directory includes and extends as Compose does.
func TestBytesReadNoOtherFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(secret, []byte("services:\n  leak:\n    image: x@sha256:"+strings.Repeat("a", 64)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		"include: [" + secret + "]\nservices:\n  api:\n    image: x\n",
		"services:\n  api:\n    extends: {file: " + secret + ", service: leak}\n",
	} {
		if _, err := Parse("compose.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "reads no other file") {
			t.Errorf("Parse(%q) = %v, want a refusal to read another file", src, err)
		}
		tp, err := ParseFile(filepath.Join(dir, "compose.yaml"), []byte(src))
		if err != nil {
			t.Fatalf("ParseFile: %v", err)
		}
		if len(tp.Sources()) != 2 || tp.Sources()[1].Name != secret {
			t.Errorf("sources = %v", tp.Sources())
		}
	}
	// extends within the template itself needs no other file.
	if _, err := Parse("compose.yaml", []byte("services:\n  a:\n    image: x\n  b:\n    extends: a\n")); err != nil {
		t.Errorf("extends in the same template: %v", err)
	}
}
