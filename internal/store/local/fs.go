package local

import (
	"errors"
	"io/fs"
	"os"
)

// setFS is the fs.FS of one set directory. Each Open goes through os.OpenInRoot, so no name or symlink
// reaches outside the set, and no descriptor is held between calls.
type setFS string

func (dir setFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := os.OpenInRoot(string(dir), name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}
