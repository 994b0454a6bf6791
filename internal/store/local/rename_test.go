package local_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stella-ops/stella/internal/store/local"
)

// The fallback for systems without renameat2(RENAME_NOREPLACE): racing renames of non-empty directories
// onto one name — exactly one wins, the others get fs.ErrExist, the winner's content stays.
func TestCheckedRenameRace(t *testing.T) {
	dir := t.TempDir()
	const n = 16
	srcs := make([]string, n)
	for i := range srcs {
		srcs[i] = filepath.Join(dir, ".tmp-"+strconv.Itoa(i))
		if err := os.Mkdir(srcs[i], 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(srcs[i], "id"), []byte(strconv.Itoa(i)), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	final := filepath.Join(dir, "set")
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = local.CheckedRename(srcs[i], final)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("renames %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("rename %d: %v, want fs.ErrExist", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no rename succeeded")
	}
	got, err := os.ReadFile(filepath.Join(final, "id"))
	if err != nil || string(got) != strconv.Itoa(winner) {
		t.Errorf("set holds %q, %v; want the winner's %d", got, err, winner)
	}
}

func TestCheckedRenameOntoFile(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := local.CheckedRename(src, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("rename onto a file: %v, want fs.ErrExist", err)
	}
}
