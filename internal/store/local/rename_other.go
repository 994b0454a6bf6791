//go:build !linux

package local

// renameNoReplace renames oldpath to newpath, failing with an fs.ErrExist error if newpath exists.
func renameNoReplace(oldpath, newpath string) error { return checkedRename(oldpath, newpath) }
