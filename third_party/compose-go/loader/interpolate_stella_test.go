package loader

import (
	"fmt"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/tree"
)

// TestCastIndex checks Stella's patch to interpolation (its casts looked up in a tree.Index) against
// upstream's scan of every cast: for a concrete path made from each pattern of the loader's table, and
// from each with one more or one fewer part, the index finds the cast the scan finds, and the scan finds
// at most one (so upstream's map order never chose between two).
func TestCastIndex(t *testing.T) {
	x := tree.NewIndex(interpolateTypeCastMapping)
	var paths []tree.Path
	for p := range interpolateTypeCastMapping {
		c := tree.Path(strings.ReplaceAll(string(p), "*", "x"))
		paths = append(paths, c, c.Next("y"), c.Parent())
	}
	if len(paths) < 3*30 {
		t.Fatalf("only %d paths: the cast table is not filled", len(paths))
	}
	for _, p := range paths {
		var matched []tree.Path
		for pattern := range interpolateTypeCastMapping {
			if p.Matches(pattern) {
				matched = append(matched, pattern)
			}
		}
		if len(matched) > 1 {
			t.Errorf("%q matches %d casts: %v", p, len(matched), matched)
		}
		c, ok := x.Lookup(p)
		if ok != (len(matched) == 1) {
			t.Errorf("Lookup(%q) found %v, the scan %v", p, ok, matched)
			continue
		}
		if ok && fmt.Sprintf("%p", c) != fmt.Sprintf("%p", interpolateTypeCastMapping[matched[0]]) {
			t.Errorf("Lookup(%q) gave another cast than %q's", p, matched[0])
		}
	}
}
