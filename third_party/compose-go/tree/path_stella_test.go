package tree

import (
	"strings"
	"testing"
)

// upstreamMatches is v2.16.2's Matches, kept to check Stella's patch against it.
func upstreamMatches(p, pattern Path) bool {
	patternParts := strings.Split(string(pattern), pathSeparator)
	parts := strings.Split(string(p), pathSeparator)
	if len(patternParts) != len(parts) {
		return false
	}
	for index, part := range parts {
		switch patternParts[index] {
		case PathMatchAll, part:
			continue
		default:
			return false
		}
	}
	return true
}

func TestMatchesAsUpstream(t *testing.T) {
	paths := []Path{"", ".", "..", "*", "a", "a.b", "a.*", "*.b", "a.b.c", "a..c", "services", "services.web",
		"services.web.ports", "services.web.ports.[]", "services.*.ports.[]", "services.*.*", "*.*.*",
		"services.web.ports.[].published", "services.*", "a.b.", ".a.b", "services.w👻b", "services.*.ports"}
	n := 0
	for _, p := range paths {
		for _, q := range paths {
			if got, want := p.Matches(q), upstreamMatches(p, q); got != want {
				t.Errorf("Path(%q).Matches(%q) = %v, upstream %v", p, q, got, want)
			}
			if got, want := p.Last(), strings.Split(string(p), pathSeparator)[len(strings.Split(string(p), pathSeparator))-1]; got != want {
				t.Errorf("Path(%q).Last() = %q, upstream %q", p, got, want)
			}
			n++
		}
	}
	if n != len(paths)*len(paths) {
		t.Fatal("not every pair compared")
	}
}
