package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalNext: whatever a sign-in form's "next" holds, the browser is sent to a path of this
// interface on this host — never to another site (an open redirect).
func FuzzLocalNext(f *testing.F) {
	for _, s := range []string{"/ui/deployments/d1", "//evil.example/ui/", "/ui/../api", "https://evil.example/ui/", "/ui/\\\\evil", "/ui/x?y=1#z", "", "/ui//evil.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localNext(next)
		if !strings.HasPrefix(got, Prefix) || strings.HasPrefix(got, "//") {
			t.Fatalf("localNext(%q) = %q", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || u.User != nil {
			t.Fatalf("localNext(%q) = %q: host %q, scheme %q, %v", next, got, u.Host, u.Scheme, err)
		}
		if got != Prefix && got != next {
			t.Fatalf("localNext(%q) = %q: neither the path given nor the home", next, got)
		}
	})
}
