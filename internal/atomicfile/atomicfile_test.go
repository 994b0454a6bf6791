package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := atomicfile.Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", fi, err)
	}
	// A failed fill leaves the old file and no temporary file.
	err := atomicfile.WriteFunc(p, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return errors.New("broken")
	})
	if err == nil {
		t.Fatal("a failed fill was written")
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Errorf("old content lost: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
