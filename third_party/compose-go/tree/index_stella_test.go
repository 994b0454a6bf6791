package tree

import (
	"slices"
	"testing"
)

// TestIndexAsLinearScan checks Index against what upstream did (a scan of every pattern), over every pair
// of a pattern list and a path list: the same verdict, and where several patterns match, the first in
// sorted order.
func TestIndexAsLinearScan(t *testing.T) {
	patterns := []Path{"services.*.ports.[]", "services.*.ports", "services.*.deploy.replicas", "services.*.*",
		"services.*", "volumes.*", "*", "*.*", "a.b.c", "a.*.c", "*.b.c", "services.*.healthcheck.retries",
		"services.*.build.args.*", "services.*.volumes.[]", "services.*.env_file", "services.*.pre_start.*.volumes.*",
		"include.*", "[]", "*.[]", "services.w👻b.image"}
	paths := []Path{"", "*", "a", "a.b", "a.b.c", "a.x.c", "z.b.c", "services", "services.web", "services.web.ports",
		"services.web.ports.[]", "services.web.deploy.replicas", "services.web.deploy", "services.web.build.args.X",
		"services.web.volumes.[]", "services.web.env_file", "services.web.pre_start.init.volumes.data", "volumes.db",
		"include.[]", "[]", "x.[]", "services.w👻b.image", "services.*", "services.*.ports", "services.web.ports.*"}
	values := map[Path]int{}
	for i, p := range patterns {
		values[p] = i
	}
	x := NewIndex(values)
	sorted := slices.Sorted(slices.Values(patterns))
	n := 0
	for _, p := range paths {
		want, wantOK := -1, false
		for _, q := range sorted {
			if upstreamMatches(p, q) {
				want, wantOK = values[q], true
				break
			}
		}
		got, ok := x.Lookup(p)
		if ok != wantOK || (ok && got != want) {
			t.Errorf("Lookup(%q) = %d, %v; a scan in sorted order gives %d, %v", p, got, ok, want, wantOK)
		}
		n++
	}
	if n != len(paths) {
		t.Fatal("not every path looked up")
	}
	if _, ok := NewIndex(map[Path]int{}).Lookup("a.b"); ok {
		t.Error("an empty index matched")
	}
}
