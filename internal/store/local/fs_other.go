//go:build !unix

package local

import "os"

// openLeaf opens name in dir through os.OpenInRoot where O_NOFOLLOW is not there to ask for.
func openLeaf(dir, name string) (*os.File, error) { return os.OpenInRoot(dir, name) }
