package local

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// checkedRename renames the directory oldpath to newpath unless newpath exists, with plain rename(2).
// It is create-only even when processes race, because of what it renames: a set directory is never
// empty (store.CheckFiles refuses an empty set), and rename(2) of a directory onto an existing directory
// fails with ENOTEMPTY or EEXIST unless that directory is empty. The Lstat only turns the common case —
// newpath is a file, or an empty directory someone made — into a clear error.
func checkedRename(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrExist}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	err := os.Rename(oldpath, newpath)
	if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrExist}
	}
	return err
}
