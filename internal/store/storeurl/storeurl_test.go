package storeurl_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/storeurl"
)

func TestOpenLocal(t *testing.T) {
	dir := t.TempDir()
	for url, want := range map[string]string{
		dir:                     dir,
		"file://" + dir:         dir,
		"FILE://" + dir:         dir,
		"artifacts":             "artifacts",
		"file://artifacts":      "artifacts",
		"./odd/a://b":           "./odd/a://b", // not a scheme: a path
		filepath.Join(dir, "x"): filepath.Join(dir, "x"),
	} {
		s, err := storeurl.Open(url)
		if err != nil {
			t.Errorf("Open(%q): %v", url, err)
			continue
		}
		l, ok := s.(*local.Store)
		if !ok || l.Dir() != want {
			t.Errorf("Open(%q) = %#v, want the local store at %s", url, s, want)
		}
	}
	// And it is a working store.
	s, err := storeurl.Open("file://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{Tenant: "t", Deployment: "d"}
	if err := s.Create(context.Background(), ref, []store.File{{Name: "f", Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	if refs, err := local.New(dir).List(context.Background(), "t"); err != nil || len(refs) != 1 || refs[0] != ref {
		t.Errorf("List through a second handle = %v, %v", refs, err)
	}
}

func TestOpenUnsupported(t *testing.T) {
	for url, want := range map[string]string{
		"s3://key:secret@bucket/prefix":                 `open store s3://...: credentials do not belong in the store URL`,
		"s3://bucket/p?endpoint=http://k:secret@h:9000": `open store s3://bucket/p: credentials do not belong in the endpoint URL`,
		"gs://key:secret@bucket/prefix":                 `open store gs://...: unsupported store scheme "gs" (supported: file://, s3://, a directory path)`,
		"https://example.com/x":                         `open store https://...: unsupported store scheme "https"`,
		"":                                              "open store: empty store URL",
		"file://":                                       "open store: file:// URL without a path",
	} {
		_, err := storeurl.Open(url)
		if err == nil || !strings.HasPrefix(err.Error(), want) || fault.ExitCode(err) != 2 {
			t.Errorf("Open(%q) = %v, want an input error %q", url, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error shows the credentials: %v", url, err)
		}
	}
}
