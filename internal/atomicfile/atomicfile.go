// Package atomicfile writes a file so that a reader sees the old file or the whole new one, never part:
// a temporary file beside it, fsync, the mode, rename. A failure leaves no temporary file behind.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes data to name with mode perm.
func Write(name string, data []byte, perm os.FileMode) error {
	return WriteFunc(name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc writes what fill writes to name with mode perm; an error from fill leaves name as it was.
func WriteFunc(name string, perm os.FileMode, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
