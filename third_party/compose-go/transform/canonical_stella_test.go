package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/tree"
)

// TestTransformerIndex checks Stella's patch (transformerIndex) against upstream's scan of every
// transformer: for a concrete path made from each pattern, and from each with one more or one fewer part,
// the index finds the transformer the scan finds, and the scan finds at most one (so upstream's map order
// never chose between two).
func TestTransformerIndex(t *testing.T) {
	var paths []tree.Path
	for p := range transformers {
		c := tree.Path(strings.ReplaceAll(string(p), "*", "x"))
		paths = append(paths, c, c.Next("y"), c.Parent())
	}
	if len(paths) < 3*20 {
		t.Fatalf("only %d paths: the transformer table is not filled", len(paths))
	}
	for _, p := range paths {
		var matched []tree.Path
		for pattern := range transformers {
			if p.Matches(pattern) {
				matched = append(matched, pattern)
			}
		}
		if len(matched) > 1 {
			t.Errorf("%q matches %d transformers: %v", p, len(matched), matched)
		}
		f, ok := transformerIndex().Lookup(p)
		if ok != (len(matched) == 1) {
			t.Errorf("Lookup(%q) found %v, the scan %v", p, ok, matched)
			continue
		}
		if ok && funcName(f) != funcName(transformers[matched[0]]) {
			t.Errorf("Lookup(%q) gave another transformer than %q's", p, matched[0])
		}
	}
}

func funcName(f Func) string { return fmt.Sprintf("%p", f) }
