package local

// CheckedRename is the rename fallback, exported for tests on systems where renameat2 works.
var CheckedRename = checkedRename
