//go:build unix

package local

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

var errSymlink = errors.New("is a symbolic link, which a stored set does not hold")

// openLeaf opens name, which has no separator, in dir without following a symlink.
func openLeaf(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(dir+string(os.PathSeparator)+name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errSymlink}
	}
	return f, err
}
