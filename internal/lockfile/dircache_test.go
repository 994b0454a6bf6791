package lockfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "compose-valid")
	c := DirCache{Dir: dir}
	if !c.Empty() || c.Valid("k1") {
		t.Fatal("a cache that does not exist is not empty, or knows a key")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("asking a cache made its directory")
	}
	c.Remember("k1")
	if c.Empty() || !c.Valid("k1") || c.Valid("k2") {
		t.Fatalf("after Remember(k1): empty %v, k1 %v, k2 %v", c.Empty(), c.Valid("k1"), c.Valid("k2"))
	}
	if err := os.Remove(filepath.Join(dir, "k1")); err != nil {
		t.Fatal(err)
	}
	if !c.Empty() {
		t.Fatal("an empty directory is not an empty cache")
	}
}

// A YAML document marker starts a line: "..." or "---" elsewhere (a comment, a value) is not one, and
// does not make the one-document check decode the file again.
func TestHasLineStart(t *testing.T) {
	for data, want := range map[string]bool{
		"---\nservices: {}\n":                       true,
		"services: {}\n---\nservices: {}\n":         true,
		"services: {}\n...\n":                       true,
		"# wait...\nservices: {}\n":                 false,
		"services:\n  a:\n    command: 'x --- y'\n": false,
		"": false,
	} {
		if got := hasLineStart([]byte(data), "---") || hasLineStart([]byte(data), "..."); got != want {
			t.Errorf("%q: %v, want %v", data, got, want)
		}
	}
	if err := checkOneDocument("c.yaml", []byte("# starting...\nservices:\n  a: {image: x}\n")); err != nil {
		t.Errorf("a comment with dots: %v", err)
	}
	if err := checkOneDocument("c.yaml", []byte("services:\n  a: {image: x}\n---\nservices: {}\n")); err == nil {
		t.Error("a second document was not found")
	}
}
