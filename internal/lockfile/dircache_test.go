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
