package local

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// setFS is the fs.FS of one set directory: no name or symlink reaches outside the set, and no descriptor
// is held between calls. A name in the set directory itself (every file Stella writes but a bundled
// config file's) is opened with O_NOFOLLOW: the name has no separator (fs.ValidPath), so nothing but a
// symlink could lead out, and a symlink is refused. Any other name goes through os.OpenInRoot, which
// opens the directory as a root first — two more system calls and a descriptor for every download of a
// manifest, where the whole answer takes a few (docs/performance.md, "Stop 22").
type setFS string

func (dir setFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	var f *os.File
	var err error
	if name != "." && !strings.Contains(name, "/") {
		f, err = openLeaf(string(dir), name)
	} else {
		f, err = os.OpenInRoot(string(dir), name)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}
