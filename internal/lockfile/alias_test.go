package lockfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
)

// An alias inside the node it names, and a template whose aliases would expand without bound, are bad
// input with a line, not a crash.
func TestAliasCyclesAndBombs(t *testing.T) {
	bomb := "x-0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i <= 7; i++ {
		bomb += fmt.Sprintf("x-%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	bomb += "services:\n  a:\n    image: x\n"
	// 300 bytes that would expand into an 800 KB lock: Compose's YAML parser refuses it, so does Stella.
	smallBomb := "x-0: &l0 [xxxxxxxx, xxxxxxx]\n"
	for i := 1; i <= 4; i++ {
		smallBomb += fmt.Sprintf("x-%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	smallBomb += "services:\n  a:\n    image: x\n"
	for tpl, want := range map[string]string{
		"x: &a\n  <<: *a\nservices:\n  a:\n    image: x\n":     "compose.yaml:2: alias *a refers to the node that contains it",
		"x: &a [*a]\nservices:\n  a:\n    image: x\n":          "compose.yaml:1: alias *a refers to the node that contains it",
		"services: &s\n  a:\n    image: x\n    x-y: *s\n":      "compose.yaml:4: alias *s refers to the node that contains it",
		"x: &a 1\nservices:\n  a:\n    image: x\n    <<: *a\n": "a merge key (<<) takes a mapping",
		bomb:      "compose.yaml:2: aliases expand excessively",
		smallBomb: "compose.yaml:2: aliases expand excessively",
	} {
		_, err := Parse("compose.yaml", []byte(tpl))
		if err == nil || !strings.Contains(err.Error(), want) || fault.KindOf(err) != fault.Input {
			t.Errorf("%q: %v, want bad input containing %q", tpl[:min(len(tpl), 40)], err, want)
		}
	}
	// Anchors used the ordinary way still expand.
	tp, err := Parse("compose.yaml", []byte("x-b: &b {restart: always}\nservices:\n  a:\n    <<: *b\n    image: x\n  c:\n    <<: *b\n    image: y\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, v := get(tp.services[1].node, "restart"); v == nil || v.Value != "always" {
		t.Errorf("merge key not expanded into service c")
	}
}
