package reference

import (
	"regexp"
	"sync"
	"testing"
)

// TestLazyRegexpsAsUpstream checks Stella's patch: each expression, compiled on first use, is the one
// upstream compiled in init, and concurrent first uses share one compiled value.
func TestLazyRegexpsAsUpstream(t *testing.T) {
	for name, c := range map[string]struct {
		got  func() *regexp.Regexp
		want string
	}{
		"DigestRegexp":             {DigestRegexp, digestPat},
		"DomainRegexp":             {DomainRegexp, domainAndPort},
		"IdentifierRegexp":         {IdentifierRegexp, identifier},
		"NameRegexp":               {NameRegexp, namePat},
		"ReferenceRegexp":          {ReferenceRegexp, referencePat},
		"TagRegexp":                {TagRegexp, tag},
		"anchoredTagRegexp":        {anchoredTagRegexp, anchored(tag)},
		"anchoredDigestRegexp":     {anchoredDigestRegexp, anchored(digestPat)},
		"anchoredNameRegexp":       {anchoredNameRegexp, anchored(optional(capture(domainAndPort), `/`), capture(remoteName))},
		"anchoredIdentifierRegexp": {anchoredIdentifierRegexp, anchored(identifier)},
	} {
		if got := c.got().String(); got != regexp.MustCompile(c.want).String() {
			t.Errorf("%s = %q, want %q", name, got, c.want)
		}
	}

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
	if _, err := ParseNormalizedNamed("registry.example.com:5000/team/app:1.2@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
}
