// Package storeurl opens a store.Store from its URL: the one place that knows every backend. (It is not
// store.Open because the backends import store.)
package storeurl

import (
	"strings"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/s3"
)

// Open picks the backend by URL: a plain directory path or file://PATH (file:///abs/dir,
// file://rel/dir) is the local store; s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path-style=true] is S3
// with Object Lock (credentials from the AWS chain, never the URL). Any other scheme is an input error.
func Open(url string) (store.Store, error) {
	if url == "" {
		return nil, fault.Inputf("open store: empty store URL")
	}
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok || !isScheme(scheme) {
		return local.New(url), nil
	}
	switch strings.ToLower(scheme) {
	case "file":
		if rest == "" {
			return nil, fault.Inputf("open store: file:// URL without a path")
		}
		return local.New(rest), nil
	case "s3":
		return s3.OpenURL(url)
	}
	// Only the scheme is shown: the rest of a URL may carry credentials.
	return nil, fault.Inputf("open store %s://...: unsupported store scheme %q (supported: file://, s3://, a directory path)", scheme, scheme)
}

// isScheme reports whether s is a URL scheme (RFC 3986: a letter, then letters, digits, '+', '-', '.').
func isScheme(s string) bool {
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}
