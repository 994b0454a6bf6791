package storeurl_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/s3"
	"github.com/stella-ops/stella/internal/store/storeurl"
)

// FuzzOpen: no --store value makes Open panic or reach the network; every refusal is bad input (exit 2)
// in one line that never repeats a credential or the query of the URL; a path opens the local store at
// exactly that path; an accepted s3:// URL has a valid bucket, no credentials and an http(s) endpoint.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{
		"/var/lib/stella/artifacts", "artifacts", "file:///srv/a", "FILE://x", "file://", "",
		"s3://stella-artifacts", "s3://stella-artifacts/prod/eu?region=eu-west-1",
		"s3://b.c-d/p?endpoint=http://127.0.0.1:9000&path-style=true&region=us-east-1",
		"s3://key:secret@bucket/prefix", "s3://bucket/p?endpoint=http://k:secret@h:9000",
		"s3://bucket/p?endpoint=http://h:9000?token=secret", "s3://bucket/p#secret", "s3://Bucket",
		"s3://bucket//double", "s3://bucket/../up", "s3://bucket/p?region=a&region=b", "s3://bucket/p?x=secret",
		"s3://bucket/p?path-style=maybe", "s3://bucket/p?%zz=1", "S3://bucket", "gs://key:secret@bucket/p",
		"https://user:secret@example.com/x", "./odd/a://b", "s3://", "s3://ab", "s3://-ab", "s3://a..b/\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		st, err := storeurl.Open(raw)
		if err != nil {
			if fault.KindOf(err) != fault.Input {
				t.Fatalf("Open(%q): %v is not bad input", raw, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "open store") || strings.Contains(msg, "\n") {
				t.Fatalf("Open(%q): refusal %q is not one line starting with \"open store\"", raw, msg)
			}
			shown, _, _ := strings.Cut(raw, "?") // the store URL's bucket and prefix may be shown
			for _, secret := range secrets(raw) {
				if strings.Contains(msg, secret) && !strings.Contains(shown, secret) {
					t.Fatalf("Open(%q): refusal %q repeats %q", raw, msg, secret)
				}
			}
			return
		}
		switch s := st.(type) {
		case *local.Store:
			want := raw
			if len(raw) > 7 && strings.EqualFold(raw[:7], "file://") {
				want = raw[7:]
			}
			if s.Dir() == "" || s.Dir() != want {
				t.Fatalf("Open(%q) opened the local store at %q", raw, s.Dir())
			}
		case *s3.Store:
			c, err := s3.ParseURL(raw)
			if err != nil {
				t.Fatalf("Open(%q) opened an S3 store ParseURL refuses: %v", raw, err)
			}
			if strings.Contains(c.Bucket, "@") || (c.Endpoint != "" && !strings.HasPrefix(c.Endpoint, "http")) {
				t.Fatalf("Open(%q) accepted %+v", raw, c)
			}
			if e, err := url.Parse(c.Endpoint); c.Endpoint != "" && (err != nil || e.User != nil || e.Host == "") {
				t.Fatalf("Open(%q) accepted the endpoint %q", raw, c.Endpoint)
			}
		default:
			t.Fatalf("Open(%q) = %T", raw, st)
		}
	})
}

// secrets are the parts of a store URL an error must not repeat: the password of user information
// (before an '@' after the scheme), the values of the query (but region and path-style, which are no secret) and the fragment, when they are long enough
// to tell apart from the message's own words. (A parameter's name may be repeated: "unknown parameter".)
func secrets(raw string) []string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	var out []string
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if user, _, ok := strings.Cut(authority, "@"); ok {
		if _, pass, ok := strings.Cut(user, ":"); ok && len(pass) >= 6 {
			out = append(out, pass)
		}
	}
	rest, frag, _ := strings.Cut(rest, "#")
	if len(frag) >= 8 {
		out = append(out, frag)
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		for kv := range strings.SplitSeq(query, "&") {
			if k, v, ok := strings.Cut(kv, "="); ok && len(v) >= 8 && k != "region" && k != "path-style" {
				out = append(out, v)
			}
		}
	}
	return out
}
