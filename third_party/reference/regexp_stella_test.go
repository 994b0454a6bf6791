package reference

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// TestInitCompilesNothing checks Stella's patch where it matters: starting a program that links this
// package no longer compiles its regular expressions. The test binary runs itself again with
// GODEBUG=inittrace=1 and reads this package's init line. Upstream's init made ~3,600 allocations; the
// patched one ~64 (the ten closures and the patterns' strings); compiling even the smallest of the ten
// expressions takes ~170, so one compiled at start again fails the bound of 150.
// (That the expressions still match what upstream's did is upstream's own suite, which runs on the copy.)
func TestInitCompilesNothing(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`(?m)^init github\.com/distribution/reference @.* ([0-9]+) allocs$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no init line for this package in:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n > 150 {
		t.Errorf("package init made %d allocations; the regexps are compiled at start again", n)
	}
}

// TestLazyRegexpShared checks that concurrent first calls share one compiled value.
func TestLazyRegexpShared(t *testing.T) {
	fresh := lazy(referencePat)
	var wg sync.WaitGroup
	seen := make([]*regexp.Regexp, 8)
	for i := range seen {
		wg.Add(1)
		go func(i int) { defer wg.Done(); seen[i] = fresh() }(i)
	}
	wg.Wait()
	for i, re := range seen {
		if re != seen[0] {
			t.Fatalf("call %d compiled its own regexp", i)
		}
	}
}
