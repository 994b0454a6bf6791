package graph

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/utils"
)

// upstreamSearchCycle is compose-go's exhaustive search, as released.
func upstreamSearchCycle[T any](path []string, v *vertex[T]) error {
	for _, name := range utils.MapKeys(v.children) {
		if i := slices.Index(path, name); i >= 0 {
			return fmt.Errorf("dependency cycle detected: %s -> %s", strings.Join(path[i:], " -> "), name)
		}
		if err := upstreamSearchCycle(append(path, name), v.children[name]); err != nil {
			return err
		}
	}
	return nil
}

func upstreamCheckCycle[T any](g *graph[T]) error {
	for _, name := range utils.MapKeys(g.vertices) {
		if err := upstreamSearchCycle([]string{name}, g.vertices[name]); err != nil {
			return err
		}
	}
	return nil
}

// The linear search reports the cycle the exhaustive one reports, on random graphs with and without
// cycles.
func TestCheckCycleMatchesUpstream(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	cycles := 0
	for range 3000 {
		n := 1 + r.Intn(8)
		g := &graph[int]{vertices: map[string]*vertex[int]{}}
		for i := range n {
			g.addVertex(fmt.Sprintf("s%d", i), i)
		}
		for range r.Intn(3 * n) {
			a, b := r.Intn(n), r.Intn(n)
			if a > b && r.Intn(4) > 0 { // mostly forward edges: many DAGs
				a, b = b, a
			}
			g.addEdge(fmt.Sprintf("s%d", a), fmt.Sprintf("s%d", b))
		}
		want, got := upstreamCheckCycle(g), g.checkCycle()
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("upstream %v, Stella %v", want, got)
		}
		if want != nil {
			cycles++
		}
	}
	if cycles < 300 || cycles > 2700 {
		t.Fatalf("%d of 3000 graphs have a cycle: the test does not cover both kinds", cycles)
	}
}

// A lattice of depends_on (every service of a layer on every one of the layer below) is searched once
// per vertex: the exhaustive search walks each of its 2^40 paths and would not finish within the test
// timeout. A cycle at the bottom is still found.
func TestCheckCycleLattice(t *testing.T) {
	g := &graph[int]{vertices: map[string]*vertex[int]{}}
	const layers, width = 41, 2
	for l := range layers {
		for w := range width {
			g.addVertex(fmt.Sprintf("l%02d-%d", l, w), 0)
		}
	}
	for l := 1; l < layers; l++ {
		for w := range width {
			for v := range width {
				g.addEdge(fmt.Sprintf("l%02d-%d", l, w), fmt.Sprintf("l%02d-%d", l-1, v))
			}
		}
	}
	if err := g.checkCycle(); err != nil {
		t.Fatal(err)
	}
	g.addEdge("l00-1", "l40-0")
	if err := g.checkCycle(); err == nil || !strings.HasPrefix(err.Error(), "dependency cycle detected: ") {
		t.Fatalf("checkCycle = %v, want a cycle", err)
	}
}
